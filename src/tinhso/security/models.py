"""Bảo mật: xác thực hai lớp, khóa đăng nhập, sự kiện bảo mật.

- ``SecurityEvent``: what happened (sign-in, lockout, two-factor, permission refused, session expiry…), kept in the
  database for the staff page and the admin, and also written as one JSON line to the ``tinhso.security`` logger.
- ``LoginFailure`` / ``LoginLock``: failed sign-ins and the locks they cause, in the database so that every app
  server sees the same counts.
- ``TOTPDevice`` / ``RecoveryCode``: a user's authenticator secret (encrypted) and single-use recovery codes (hashed).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SecurityEvent(models.Model):
    class Kind(models.TextChoices):
        LOGIN_OK = "login.ok", _("Đăng nhập thành công")
        LOGIN_FAILED = "login.failed", _("Đăng nhập thất bại")
        LOCKOUT = "login.locked", _("Tạm khóa đăng nhập")
        LOGOUT = "logout", _("Đăng xuất")
        TOTP_ENROLLED = "2fa.enrolled", _("Thiết lập xác thực hai lớp")
        TOTP_FAILED = "2fa.failed", _("Mã xác thực hai lớp sai")
        TOTP_RECOVERY_USED = "2fa.recovery_used", _("Dùng mã khôi phục")
        TOTP_RESET = "2fa.reset", _("Hủy xác thực hai lớp của tài khoản")
        PERMISSION_DENIED = "permission.denied", _("Bị từ chối quyền truy cập")
        PASSWORD_CHANGED = "password.changed", _("Đổi mật khẩu")
        SESSION_EXPIRED = "session.expired", _("Hết phiên làm việc")

    at = models.DateTimeField(_("thời điểm"), db_index=True)
    kind = models.CharField(_("loại sự kiện"), max_length=24, choices=Kind.choices, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("tài khoản"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(_("tên đăng nhập đã nhập"), max_length=150, blank=True, db_index=True)
    ip = models.CharField(_("địa chỉ IP"), max_length=45, blank=True, db_index=True)
    user_agent = models.CharField(_("trình duyệt"), max_length=300, blank=True)
    path = models.CharField(_("đường dẫn"), max_length=300, blank=True)
    data = models.JSONField(_("chi tiết"), default=dict, blank=True)

    class Meta:
        verbose_name = _("sự kiện bảo mật")
        verbose_name_plural = _("sự kiện bảo mật")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["user", "-at"], name="security_event_user_at")]

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M:%S} {self.get_kind_display()} {self.username}"


class LoginFailure(models.Model):
    """One failed sign-in (wrong password, unknown name or wrong two-factor code)."""

    at = models.DateTimeField(db_index=True)
    username = models.CharField(max_length=150)  # normalised: stripped, lower case
    ip = models.CharField(max_length=45, blank=True)

    class Meta:
        verbose_name = _("lần đăng nhập sai")
        verbose_name_plural = _("lần đăng nhập sai")
        indexes = [
            models.Index(fields=["username", "at"], name="security_failure_user_at"),
            models.Index(fields=["ip", "at"], name="security_failure_ip_at"),
        ]

    def __str__(self) -> str:
        return f"{self.username} {self.ip} {self.at:%d/%m/%Y %H:%M:%S}"


class LoginLock(models.Model):
    """A user name or a client address refused sign-in until ``until``. Deleting the row lifts the lock."""

    class Scope(models.TextChoices):
        USERNAME = "username", _("tên đăng nhập")
        IP = "ip", _("địa chỉ IP")

    scope = models.CharField(_("phạm vi"), max_length=10, choices=Scope.choices)
    key = models.CharField(_("tên đăng nhập / địa chỉ"), max_length=150)
    until = models.DateTimeField(_("khóa đến"))
    failures = models.PositiveIntegerField(_("số lần sai"), default=0)
    created_at = models.DateTimeField(_("khóa lúc"))

    class Meta:
        verbose_name = _("khóa đăng nhập")
        verbose_name_plural = _("khóa đăng nhập")
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="security_lock_unique")]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} {self.key}"


class TOTPDevice(models.Model):
    """A user's authenticator app. ``secret`` is encrypted with a key derived from SECRET_KEY (see crypto.py)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("tài khoản"), on_delete=models.CASCADE,
                                related_name="totp_device")
    secret = models.TextField(_("khóa bí mật (đã mã hóa)"))
    created_at = models.DateTimeField(_("tạo lúc"))
    confirmed_at = models.DateTimeField(_("xác nhận lúc"), null=True, blank=True)
    last_step = models.BigIntegerField(_("bước thời gian của mã dùng gần nhất"), default=-1)

    class Meta:
        verbose_name = _("thiết bị xác thực hai lớp")
        verbose_name_plural = _("thiết bị xác thực hai lớp")

    def __str__(self) -> str:
        return str(self.user)

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class RecoveryCode(models.Model):
    """A single-use code for when the phone is lost; only its SHA-256 is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_recovery_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("mã khôi phục")
        verbose_name_plural = _("mã khôi phục")

    def __str__(self) -> str:
        return f"{self.user} {'(đã dùng)' if self.used_at else ''}".strip()
