"""Every state change of the security app: security events, failed sign-ins and locks, two-factor enrolment and
verification, recovery codes, the sign-in itself.

Sign-in (see views.login_view): ``authenticate_password`` checks locks, then the password; a user who must use
two-factor authentication is not signed in yet: ``start_pending`` keeps who passed the password in the session and
the code page (``verify_second_factor``) or the enrolment page (``confirm_enrolment``) finishes with
``complete_login``. Until then the session is anonymous, so neither pages nor the API can be used.
"""

import logging
from datetime import datetime, timedelta

from django.contrib.auth import BACKEND_SESSION_KEY, authenticate, get_user_model, login
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tinhso.core import permissions
from tinhso.core import services as core_services
from tinhso.core.errors import DomainError, Forbidden
from tinhso.core.middleware import client_ip, current_request

from . import conf, crypto, queries, totp
from .jsonlog import LOGGER_NAME
from .models import LoginFailure, LoginLock, RecoveryCode, SecurityEvent, TOTPDevice

logger = logging.getLogger(LOGGER_NAME)
Kind = SecurityEvent.Kind

#: Session keys.
PENDING = "security.pending"  # the user who passed the password and still owes a code
MFA_DONE = "security.mfa"  # this session passed the second factor
ENROL_SECRET = "security.enrol_secret"  # the secret being set up (encrypted), until a code confirms it
STARTED = "security.started"  # sign-in time (epoch seconds)
SEEN = "security.seen"  # last activity (epoch seconds, refreshed at most once a minute)

FAILURE_KINDS = {Kind.LOGIN_FAILED, Kind.LOCKOUT, Kind.TOTP_FAILED, Kind.PERMISSION_DENIED}


# --- security events -----------------------------------------------------------------------------------------------

def record_event(kind: str, *, user=None, username: str | None = None, data: dict | None = None,
                 request=None) -> SecurityEvent:
    """Store one security event and write it as a JSON line to the ``tinhso.security`` logger (for the SIEM)."""
    info = current_request.get()
    if request is not None:
        ip, agent, path = client_ip(request), request.META.get("HTTP_USER_AGENT", "")[:300], request.path[:300]
    else:
        ip, agent, path = (info.ip, info.user_agent, info.path) if info else ("", "", "")
    user = user if user is not None and getattr(user, "pk", None) else None
    if username is None:
        username = user.get_username() if user is not None else ""
    event = SecurityEvent.objects.create(
        at=conf.now(), kind=kind, user=user, username=username[:150], ip=ip, user_agent=agent, path=path,
        data=data or {},
    )
    logger.info(kind, extra={"security_event": {
        "event": kind,
        "outcome": "failure" if kind in FAILURE_KINDS else "success",
        "user_id": user.pk if user is not None else None,
        "username": event.username,
        "ip": ip,
        "user_agent": agent,
        "path": path,
        "data": event.data,
        "id": event.pk,
    }})
    return event


# --- failed sign-ins and locks -------------------------------------------------------------------------------------

class LoginRefused(DomainError):
    status = 429

    def __init__(self, lock: LoginLock):
        until = timezone.localtime(lock.until)
        when = f"{until:%H:%M}"
        if until.date() != timezone.localtime(conf.now()).date():
            when += f" ngày {until:%d/%m/%Y}"
        if lock.scope == LoginLock.Scope.IP:
            message = _("Có quá nhiều lần đăng nhập sai từ địa chỉ mạng của bạn. Vui lòng thử lại sau %(when)s.")
            code = "login_throttled"
        else:
            message = _("Tài khoản tạm khóa đến %(when)s do đăng nhập sai nhiều lần.")
            code = "account_locked"
        super().__init__(code, message % {"when": when})
        self.lock = lock


class BadCredentials(DomainError):
    status = 401

    def __init__(self):
        super().__init__("bad_credentials", _("Tên đăng nhập hoặc mật khẩu không đúng."))


def username_key(username: str) -> str:
    return (username or "").strip().lower()[:150]


def active_lock(username: str, ip: str) -> LoginLock | None:
    """The lock that refuses this user name or this address now, if any (the one lasting longest)."""
    match = Q(scope=LoginLock.Scope.USERNAME, key=username_key(username))
    if ip:
        match |= Q(scope=LoginLock.Scope.IP, key=ip)
    return LoginLock.objects.filter(match, until__gt=conf.now()).order_by("-until").first()


def check_login_allowed(username: str, ip: str) -> None:
    lock = active_lock(username, ip)
    if lock is not None:
        raise LoginRefused(lock)


def _failures_since(scope: str, key: str, window_minutes: int, now: datetime) -> int:
    since = now - timedelta(minutes=window_minutes)
    previous = LoginLock.objects.filter(scope=scope, key=key).values_list("until", flat=True).first()
    if previous is not None and previous > since:
        since = previous  # failures before the end of the last lock were paid for by that lock
    field = "username" if scope == LoginLock.Scope.USERNAME else "ip"
    return LoginFailure.objects.filter(**{field: key, "at__gt": since}).count()


def _lock(scope: str, key: str, minutes: int, failures: int, now: datetime) -> LoginLock:
    lock, _created = LoginLock.objects.update_or_create(
        scope=scope, key=key,
        defaults={"until": now + timedelta(minutes=minutes), "failures": failures, "created_at": now},
    )
    return lock


@transaction.atomic
def register_failure(username: str, ip: str, *, reason: str, user=None,
                     kind: str = Kind.LOGIN_FAILED) -> LoginLock | None:
    """Count one failed sign-in (or wrong code) for this name and this address; lock them past the limits.

    Unknown user names are counted and locked exactly like real ones, so neither the message nor the lock tells
    whether an account exists. Returns the lock now in force, if this failure caused one.
    """
    now = conf.now()
    key = username_key(username)
    LoginFailure.objects.create(at=now, username=key, ip=ip)
    horizon = max(conf.get("LOCKOUT_WINDOW_MINUTES"), conf.get("IP_WINDOW_MINUTES")) * 2
    LoginFailure.objects.filter(at__lt=now - timedelta(minutes=horizon)).delete()
    record_event(kind, user=user, username=username, data={"reason": reason})

    lock = None
    count = _failures_since(LoginLock.Scope.USERNAME, key, conf.get("LOCKOUT_WINDOW_MINUTES"), now)
    if count >= conf.get("LOCKOUT_FAILURES"):
        lock = _lock(LoginLock.Scope.USERNAME, key, conf.get("LOCKOUT_MINUTES"), count, now)
        record_event(Kind.LOCKOUT, user=user, username=username,
                     data={"scope": "username", "failures": count, "until": lock.until.isoformat()})
    if ip:
        count = _failures_since(LoginLock.Scope.IP, ip, conf.get("IP_WINDOW_MINUTES"), now)
        if count >= conf.get("IP_FAILURES"):
            ip_lock = _lock(LoginLock.Scope.IP, ip, conf.get("IP_LOCKOUT_MINUTES"), count, now)
            record_event(Kind.LOCKOUT, user=user, username=username,
                         data={"scope": "ip", "failures": count, "until": ip_lock.until.isoformat()})
            lock = lock if lock is not None and lock.until >= ip_lock.until else ip_lock
    return lock


def authenticate_password(request, username: str, password: str):
    """The user for this name and password; ``LoginRefused`` while locked, ``BadCredentials`` otherwise.

    A locked name or address is refused before the password is checked (whether the account exists or not).
    """
    ip = client_ip(request)
    try:
        check_login_allowed(username, ip)
    except LoginRefused as exc:
        record_event(Kind.LOGIN_FAILED, username=username, data={"reason": "locked", "scope": exc.lock.scope},
                     request=request)
        raise
    user = authenticate(request, username=username, password=password)
    if user is None:
        lock = register_failure(username, ip, reason="bad_credentials")
        if lock is not None:
            raise LoginRefused(lock)
        raise BadCredentials()
    return user


@transaction.atomic
def complete_login(request, user, *, method: str, backend: str | None = None) -> str:
    """Sign ``user`` in (a new session key), clear the name's failures, record the event.

    Returns the page asked for before the second factor (``""`` if none).
    """
    next_url = (request.session.get(PENDING) or {}).get("next", "")
    request.session.pop(PENDING, None)
    request.session.pop(ENROL_SECRET, None)
    login(request, user, backend=backend or getattr(user, "backend", None))
    if method != "password":
        request.session[MFA_DONE] = True
    key = username_key(user.get_username())
    LoginFailure.objects.filter(username=key).delete()
    LoginLock.objects.filter(scope=LoginLock.Scope.USERNAME, key=key).delete()
    record_event(Kind.LOGIN_OK, user=user, data={"method": method}, request=request)
    return next_url


# --- the state between the password and the code -----------------------------------------------------------------

def start_pending(request, user, *, next_url: str = "", username: str = "") -> None:
    """Remember that ``user`` passed the password (not signed in yet); a new session key against fixation."""
    request.session.cycle_key()
    request.session[PENDING] = {
        "uid": user.pk,
        "backend": getattr(user, "backend", None) or request.session.get(BACKEND_SESSION_KEY, ""),
        "at": conf.now().timestamp(),
        "hash": user.get_session_auth_hash(),
        "next": next_url,
        "username": username or user.get_username(),
        "attempts": 0,
    }


def pending_user(request):
    """The user waiting for a code in this session, or ``None`` (nothing pending, too late, password changed)."""
    pending = request.session.get(PENDING)
    if not pending:
        return None
    user = get_user_model().objects.filter(pk=pending.get("uid"), is_active=True).first()
    fresh = conf.now().timestamp() - pending.get("at", 0) <= conf.get("TOTP_PENDING_MINUTES") * 60
    if user is None or not fresh or user.get_session_auth_hash() != pending.get("hash"):
        request.session.pop(PENDING, None)
        return None
    user.backend = pending.get("backend") or None
    return user


def drop_pending(request) -> None:
    request.session.pop(PENDING, None)
    request.session.pop(ENROL_SECRET, None)


class WrongCode(DomainError):
    def __init__(self, message: str | None = None):
        super().__init__("wrong_code", message or _("Mã xác thực không đúng hoặc đã hết hạn. Hãy nhập mã mới nhất "
                                                    "trên ứng dụng xác thực."), field="code")


def _check_totp(device: TOTPDevice, code: str) -> str:
    """``""`` when ``code`` is valid and unused (and marks its step used), else the reason: wrong_code / replay."""
    key = totp.secret_bytes(crypto.decrypt(device.secret))
    step = totp.match_step(key, code, conf.now().timestamp(), window=1)
    if step is None:
        return "wrong_code"
    # Conditional update: of two requests with the same code (two app servers), exactly one wins.
    used = TOTPDevice.objects.filter(pk=device.pk, last_step__lt=step).update(last_step=step)
    return "" if used else "replay"


def _use_recovery_code(user, code: str) -> bool:
    code_hash = crypto.hash_recovery_code(code)
    return RecoveryCode.objects.filter(user=user, code_hash=code_hash, used_at__isnull=True).update(
        used_at=conf.now()) == 1


def verify_second_factor(request, user, code: str) -> str:
    """Check a TOTP code (±1 step, each step once) or a recovery code for the pending ``user``; sign in on success.

    Returns the page asked for before sign-in (``""`` if none). A wrong code counts as a failed sign-in (and may
    lock the account); ``LoginRefused`` when locked, ``WrongCode`` otherwise. After TOTP_MAX_ATTEMPTS wrong codes
    the password must be entered again.
    """
    ip = client_ip(request)
    pending = request.session.get(PENDING) or {}
    try:
        check_login_allowed(user.get_username(), ip)
    except LoginRefused:
        drop_pending(request)
        raise
    device = queries.confirmed_device(user)
    if device is None:
        raise DomainError("not_enrolled", _("Tài khoản chưa thiết lập xác thực hai lớp."))
    method = "recovery" if crypto.looks_like_recovery_code(code) else "totp"
    if method == "recovery":
        reason = "" if _use_recovery_code(user, code) else "wrong_recovery_code"
    else:
        reason = _check_totp(device, code)
    if not reason:
        if method == "recovery":
            record_event(Kind.TOTP_RECOVERY_USED, user=user, request=request,
                         data={"left": queries.recovery_codes_left(user)})
        return complete_login(request, user, method=method)
    lock = register_failure(user.get_username(), ip, reason=reason, user=user, kind=Kind.TOTP_FAILED)
    if lock is not None:
        drop_pending(request)
        raise LoginRefused(lock)
    pending["attempts"] = pending.get("attempts", 0) + 1
    if pending["attempts"] >= conf.get("TOTP_MAX_ATTEMPTS"):
        drop_pending(request)
        raise DomainError("too_many_codes", _("Nhập sai mã quá nhiều lần. Vui lòng đăng nhập lại."))
    request.session[PENDING] = pending
    if reason == "replay":
        raise WrongCode(_("Mã này vừa được dùng. Hãy đợi mã mới trên ứng dụng xác thực rồi nhập lại."))
    raise WrongCode()


# --- enrolment and recovery codes ------------------------------------------------------------------------------------

def enrolment_secret(request) -> str:
    """The secret being set up in this session (created on first call), base32."""
    token = request.session.get(ENROL_SECRET)
    if token:
        try:
            return crypto.decrypt(token)
        except ValueError:
            pass
    secret = totp.new_secret()
    request.session[ENROL_SECRET] = crypto.encrypt(secret)
    return secret


def _new_recovery_codes(user) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = [crypto.new_recovery_code() for _ in range(conf.get("RECOVERY_CODES"))]
    RecoveryCode.objects.bulk_create([RecoveryCode(user=user, code_hash=crypto.hash_recovery_code(c)) for c in codes])
    return codes


@transaction.atomic
def confirm_enrolment(request, user, code: str) -> list[str]:
    """Keep the session's secret as ``user``'s authenticator once ``code`` proves the app has it.

    Replaces any earlier authenticator and recovery codes; returns the new recovery codes (shown once). The
    confirming code's step is marked used, so it cannot also sign in.
    """
    secret = enrolment_secret(request)
    step = totp.match_step(totp.secret_bytes(secret), code, conf.now().timestamp(), window=1)
    if step is None:
        raise WrongCode()
    now = conf.now()
    TOTPDevice.objects.update_or_create(user=user, defaults={
        "secret": crypto.encrypt(secret), "created_at": now, "confirmed_at": now, "last_step": step})
    codes = _new_recovery_codes(user)
    request.session.pop(ENROL_SECRET, None)
    record_event(Kind.TOTP_ENROLLED, user=user, request=request)
    return codes


@transaction.atomic
def regenerate_recovery_codes(request, user) -> list[str]:
    if queries.confirmed_device(user) is None:
        raise DomainError("not_enrolled", _("Tài khoản chưa thiết lập xác thực hai lớp."))
    codes = _new_recovery_codes(user)
    record_event(Kind.TOTP_ENROLLED, user=user, request=request, data={"recovery_codes": "regenerated"})
    return codes


@transaction.atomic
def reset_totp(actor, user) -> None:
    """Remove ``user``'s authenticator and recovery codes (phone lost): they enrol again at their next sign-in.

    Only an administrator of an agency where ``user`` works (or a superuser) may do it.
    """
    if not getattr(actor, "is_superuser", False):
        agencies = list(permissions.memberships(user).values_list("agency_id", flat=True))
        scope = permissions.agency_scope(actor, queries.EVENT_VIEWER_ROLES)
        if not agencies or not set(agencies) <= scope:
            raise Forbidden(_("Bạn chỉ được hủy xác thực hai lớp của cán bộ thuộc cơ quan mình quản trị."))
    TOTPDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    record_event(Kind.TOTP_RESET, user=user, data={"by": actor.get_username() if actor else "hệ thống"})
    core_services.record("security.totp_reset", actor=actor, obj=user,
                         summary=f"Hủy xác thực hai lớp của {user.get_username()}")
