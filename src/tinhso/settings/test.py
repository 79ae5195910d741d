"""Tests: like development, but fast password hashing. ``DATABASE_URL`` selects PostgreSQL in CI."""

import os
import tempfile

from .dev import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# Two-factor authentication stays off (tests sign staff in with the password or force_login); the security app's
# tests turn it on where they test it. Security events go to a per-process file (tests read it back).
TINHSO["SECURITY"]["TOTP_ENABLED"] = False  # noqa: F405
SECURITY_LOG = os.path.join(tempfile.gettempdir(), f"tinhso-security-{os.getpid()}.jsonl")
LOGGING = security_logging(LOGGING, SECURITY_LOG)  # noqa: F405

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not the in-memory default: concurrent tests need real locking (WAL, busy timeout) as in production.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"tinhso-test-{os.getpid()}.sqlite3"),
    }
