"""Settings for benchmark servers: development settings with debug off and the bench URLs (bare baseline view)."""

from tinhso.settings.dev import *  # noqa: F403

DEBUG = False
ROOT_URLCONF = "bench.urls"
LOGGING = {"version": 1, "disable_existing_loggers": True, "root": {"handlers": [], "level": "ERROR"}}
