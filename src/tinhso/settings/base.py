"""Settings shared by every mode (development, test, production).

Every mode honours ``DATABASE_URL`` (``sqlite:///path`` or ``postgres://user:pass@host/db``) when it is set.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent.parent
# Where the development database, uploads and other run-time files live (ignored by git).
VAR_DIR = Path(os.environ.get("TINHSO_VAR_DIR", Path.cwd() / "var"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "tinhso.core",
    "tinhso.catalog",
    "tinhso.onestop",
    "tinhso.signing",
    "tinhso.exchange",
    "tinhso.documents",
    "tinhso.payments",
    "tinhso.feedback",
    "tinhso.reporting",
    "tinhso.security",
    "tinhso.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tinhso.core.middleware.RequestContextMiddleware",
]

ROOT_URLCONF = "tinhso.urls"
WSGI_APPLICATION = "tinhso.wsgi.application"
ASGI_APPLICATION = "tinhso.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "tinhso.core.context_processors.platform",
            ],
        },
    },
]


def database_from_env(default_sqlite: Path) -> dict:
    """The ``default`` database: ``DATABASE_URL`` when set, else SQLite at ``default_sqlite``."""
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{default_sqlite}"
    config = dj_database_url.parse(url, conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers work while one writer writes; IMMEDIATE avoids "database is locked" on upgrade.
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
            "transaction_mode": "IMMEDIATE",
        }
    return config


DATABASES = {"default": database_from_env(VAR_DIR / "tinhso.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:account"
LOGOUT_REDIRECT_URL = "home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("TINHSO_STATIC_ROOT", VAR_DIR / "static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("TINHSO_MEDIA_ROOT", VAR_DIR / "media"))

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files from the app directories without collectstatic (development, tests, benchmarks);
# production runs collectstatic and serves hashed, compressed files (settings/prod.py).
WHITENOISE_USE_FINDERS = True

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("TINHSO_LOG_LEVEL", "INFO")},
}

# Platform-wide settings (see docs/configuration.md).
TINHSO = {
    # Name shown in page headers; the demo sets the province.
    "PLATFORM_NAME": os.environ.get("TINHSO_PLATFORM_NAME", "Tỉnh Số"),
    # Catalogue search page size.
    "PAGE_SIZE": 20,
    # Public address of the portal, used in links sent by e-mail/SMS and in the QR code of form 01.
    "SITE_URL": os.environ.get("TINHSO_SITE_URL", "http://127.0.0.1:8000"),
    # Public dossier lookups per client address (page and API).
    "LOOKUP_RATE": os.environ.get("TINHSO_LOOKUP_RATE", "20/m"),
    # Extension points in pages (core/templatetags/panels.py): slot → templates of other apps rendered there.
    # Slots: "dossier.citizen" (the applicant's dossier page), "dossier.staff" (the officer's dossier page),
    # "dossier.lookup" (the public lookup result, context ``result``); "nav.public", "nav.applicant", "nav.staff"
    # (``<li>`` links in the main navigation for everyone, for citizens and businesses, for staff).
    "PANELS": {
        "dossier.citizen": [],
        "dossier.staff": [],
        "dossier.lookup": [],
        "nav.public": [],
        "nav.applicant": [],
        "nav.staff": [],
    },
}
