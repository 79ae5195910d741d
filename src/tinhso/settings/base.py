"""Settings shared by every mode (development, test, production).

Every mode honours ``DATABASE_URL`` (``sqlite:///path`` or ``postgres://user:pass@host/db``) when it is set.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from tinhso.security.jsonlog import logging_config as security_logging

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
    "ninja",  # the API docs page with Swagger UI served from static files (no CDN, no inline script: CSP)
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
    "tinhso.security.middleware.SecurityHeadersMiddleware",  # CSP, Permissions-Policy
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
    "tinhso.security.middleware.SessionGuardMiddleware",  # session timeouts, two-factor gate, 403 events
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
    elif config["ENGINE"].startswith("django.db.backends.postgresql"):
        # Server settings for the platform's sessions: no JIT compilation by default (it is made for long analytic
        # queries; on the work boxes' short ones it cost more to compile than to run). DB_PG_OPTIONS="" keeps the
        # server's own settings (e.g. behind a pooler that refuses startup options).
        options = os.environ.get("DB_PG_OPTIONS", "-c jit=off")
        if options:
            config.setdefault("OPTIONS", {})["options"] = options
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
# Security events as JSON lines (logger ``tinhso.security``): a file path, or ``-`` for standard output.
SECURITY_LOG = os.environ.get("TINHSO_SECURITY_LOG", str(VAR_DIR / "log" / "security.jsonl"))
LOGGING = security_logging(LOGGING, SECURITY_LOG)

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
        "dossier.citizen": ["payments/panel_citizen.html", "feedback/panels/dossier_citizen.html"],
        "dossier.staff": ["payments/panel_staff.html", "feedback/panels/dossier_staff.html"],
        "dossier.lookup": ["feedback/panels/dossier_lookup.html"],
        "nav.public": ["feedback/nav/public.html", "reporting/nav_public.html"],
        "nav.applicant": ["onestop/panels/nav_store.html"],
        "nav.staff": ["security/_nav.html", "feedback/nav/staff.html", "reporting/nav_staff.html"],
    },
    # Online payment of fees (docs/payments.md). The sandbox gateway (/thanh-toan/sandbox/) is for development, demos
    # and tests only: production turns it off (settings/prod.py) and configures a real provider and its secret.
    "PAYMENT": {
        "PROVIDER": os.environ.get("TINHSO_PAYMENT_PROVIDER", "sandbox"),
        "MERCHANT_CODE": os.environ.get("TINHSO_PAYMENT_MERCHANT_CODE", "TINHSO01"),
        "SECRET": os.environ.get("TINHSO_PAYMENT_SECRET", "tinhso-sandbox-secret-not-for-production"),
        "ORDER_MINUTES": int(os.environ.get("TINHSO_PAYMENT_ORDER_MINUTES", "15")),
        "SANDBOX_ENABLED": os.environ.get("TINHSO_PAYMENT_SANDBOX", "1") == "1",
        # Where the sandbox gateway posts its notifications (IPN); empty: this site's /api/payments/ipn/sandbox.
        "SANDBOX_IPN_URL": os.environ.get("TINHSO_PAYMENT_SANDBOX_IPN_URL", ""),
        "SANDBOX_SEND_IPN": True,
    },
    # Hardening (tinhso/security/conf.py lists every key and its default; docs/deployment.md, "Bảo mật").
    "SECURITY": {
        "LOCKOUT_FAILURES": int(os.environ.get("TINHSO_LOCKOUT_FAILURES", "5")),
        "LOCKOUT_WINDOW_MINUTES": int(os.environ.get("TINHSO_LOCKOUT_WINDOW_MINUTES", "15")),
        "LOCKOUT_MINUTES": int(os.environ.get("TINHSO_LOCKOUT_MINUTES", "15")),
        "IP_FAILURES": int(os.environ.get("TINHSO_IP_FAILURES", "30")),
        # Two-factor authentication for staff (TINHSO_TOTP=0 turns it off; development and tests default to off).
        "TOTP_ENABLED": os.environ.get("TINHSO_TOTP", "1") == "1",
        "TOTP_REQUIRED_ROLES": None,  # None: every staff role; or e.g. ["administrator", "agency_leader"]
        "IDLE_MINUTES_STAFF": int(os.environ.get("TINHSO_IDLE_MINUTES_STAFF", "30")),
        "IDLE_MINUTES": int(os.environ.get("TINHSO_IDLE_MINUTES", "60")),
        "ABSOLUTE_HOURS": int(os.environ.get("TINHSO_SESSION_HOURS", "12")),
        "CSP_REPORT_ONLY": os.environ.get("TINHSO_CSP_REPORT_ONLY", "0") == "1",
    },
}
