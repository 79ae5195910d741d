"""Development: SQLite under var/ (WAL mode), debug on, a fixed insecure key."""

import os

from .base import *  # noqa: F403
from .base import VAR_DIR

DEBUG = True
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]
(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)  # collectstatic's target; whitenoise expects it
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# `make run` demo logins work without an authenticator app; TINHSO_TOTP=1 turns two-factor authentication on.
TINHSO["SECURITY"]["TOTP_ENABLED"] = os.environ.get("TINHSO_TOTP", "0") == "1"  # noqa: F405
