"""The security settings (``settings.TINHSO["SECURITY"]``), with their defaults, and the clock.

Every value can be overridden in settings; see docs/deployment.md, section "Bảo mật".
"""

from datetime import datetime

from django.conf import settings
from django.utils import timezone

from tinhso.core.models import Role

DEFAULT_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}

DEFAULTS = {
    # Account lockout: LOCKOUT_FAILURES failed sign-ins for one user name within LOCKOUT_WINDOW_MINUTES lock that
    # name for LOCKOUT_MINUTES (wrong two-factor codes count as failures too).
    "LOCKOUT_FAILURES": 5,
    "LOCKOUT_WINDOW_MINUTES": 15,
    "LOCKOUT_MINUTES": 15,
    # Throttle per client address: IP_FAILURES failures (any user names) within IP_WINDOW_MINUTES block sign-in
    # from that address for IP_LOCKOUT_MINUTES.
    "IP_FAILURES": 30,
    "IP_WINDOW_MINUTES": 15,
    "IP_LOCKOUT_MINUTES": 15,
    # Two-factor authentication (TOTP) for staff holding one of TOTP_REQUIRED_ROLES (None: every staff role), and
    # for superusers. Off in development and tests unless TINHSO_TOTP=1 (demo logins keep working).
    "TOTP_ENABLED": True,
    "TOTP_REQUIRED_ROLES": None,
    "TOTP_ISSUER": "",
    "TOTP_MAX_ATTEMPTS": 5,  # wrong codes in one sign-in before the password must be entered again
    "TOTP_PENDING_MINUTES": 5,  # time allowed between the password and the code
    "RECOVERY_CODES": 10,
    # Sessions: idle timeout (staff, others) and absolute lifetime after sign-in.
    "IDLE_MINUTES_STAFF": 30,
    "IDLE_MINUTES": 60,
    "ABSOLUTE_HOURS": 12,
    # Content-Security-Policy directives; CSP_REPORT_ONLY sends Content-Security-Policy-Report-Only instead.
    "CSP": DEFAULT_CSP,
    "CSP_REPORT_ONLY": False,
    "PERMISSIONS_POLICY": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), "
                          "magnetometer=(), gyroscope=(), accelerometer=(), browsing-topics=()",
}


def get(name: str):
    return settings.TINHSO.get("SECURITY", {}).get(name, DEFAULTS[name])


def totp_roles() -> set[str]:
    roles = get("TOTP_REQUIRED_ROLES")
    return set(Role.values) if roles is None else set(roles)


def issuer() -> str:
    return get("TOTP_ISSUER") or settings.TINHSO.get("PLATFORM_NAME", "Tỉnh Số")


def now() -> datetime:
    """The current instant. Lockouts, codes and session timeouts all read it (tests replace it to move time)."""
    return timezone.now()
