"""The ``tinhso`` console command: Django's management commands with the project's settings.

``tinhso run`` serves the platform, ``tinhso migrate``, ``tinhso demo``, ``tinhso import-procedures FILE`` and every
other management command work as ``tinhso <command>``. Settings default to development; set
``DJANGO_SETTINGS_MODULE=tinhso.settings.prod`` in production.
"""

import os
import sys

# Hyphenated aliases for commands whose Python module names use underscores.
ALIASES = {
    "run": "runserver",
    "import-procedures": "import_procedures",
    "import-units": "import_units",
    "sweep-deadlines": "sweep_deadlines",
}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings.dev")
    args = list(sys.argv if argv is None else argv)
    if len(args) > 1:
        args[1] = ALIASES.get(args[1], args[1])
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)


if __name__ == "__main__":
    main()
