"""Document exchange between platforms (liên thông văn bản, QCVN 102:2016): the peers this instance talks to, the
messages it sends (a transactional outbox with retries) and receives (an idempotent inbox), the link between a
received edXML document and the incoming document it became, and the status reports received about local documents.

State changes go through ``services.py``; the HTTP endpoint is ``views.receive``. See docs/edxml.md.
"""

import os
import re
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tinhso.core.errors import DomainError
from tinhso.core.models import Agency

from .edxml import StatusCode

#: The receiving endpoint, under the platform's address (``urls.py`` maps it).
ENDPOINT_PATH = "/lien-thong/goi-tin/"
#: A shared secret must be at least this long (bytes of its UTF-8 form).
MIN_SECRET_BYTES = 32
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]{2,99}$")
_KEY_ID = re.compile(r"^[A-Za-z0-9._-]{3,64}$")


def validate_env_name(value: str) -> None:
    if not _ENV_NAME.match(value or ""):
        raise ValidationError(_("Tên biến môi trường chỉ gồm chữ in hoa, chữ số và “_”, bắt đầu bằng chữ (ví dụ "
                                "TINHSO_PEER_SECRET_CAOBANG)."), code="invalid_env_name")


def validate_key_id(value: str) -> None:
    if not _KEY_ID.match(value or ""):
        raise ValidationError(_("Mã khóa gồm 3–64 ký tự: chữ không dấu, chữ số, “.”, “_”, “-”."),
                              code="invalid_key_id")


def split_organ_ids(raw: str) -> list[str]:
    """Agency identifiers written one per line, or separated by commas or spaces."""
    return [part for part in re.split(r"[\s,;]+", raw or "") if part]


class Peer(models.Model):
    """Another platform (a province, a ministry, later the national axis) and the agencies it speaks for.

    Both sides share one secret per link; it is never stored in the database: the row names the environment
    variable that holds it (``secret_env``). Requests *from* the peer carry ``inbound_key_id``; requests *to* the
    peer carry ``outbound_key_id`` (the id under which the peer registered this platform).
    """

    name = models.CharField(_("tên"), max_length=200)
    base_url = models.URLField(_("địa chỉ nền tảng"), max_length=300,
                               help_text=_("Ví dụ https://vanban.caobang.gov.vn; gói tin được gửi tới "
                                           "<địa chỉ>/lien-thong/goi-tin/."))
    organ_ids = models.TextField(_("mã định danh các cơ quan"),
                                 help_text=_("Các cơ quan nền tảng này phục vụ (mã QĐ 20/2020), mỗi mã một dòng."))
    inbound_key_id = models.CharField(_("mã khóa bên kia dùng khi gửi đến"), max_length=64, unique=True,
                                      validators=[validate_key_id])
    outbound_key_id = models.CharField(_("mã khóa nền tảng này dùng khi gửi đi"), max_length=64,
                                       validators=[validate_key_id])
    secret_env = models.CharField(_("biến môi trường chứa khóa bí mật"), max_length=100,
                                  validators=[validate_env_name])
    is_active = models.BooleanField(_("đang kết nối"), default=True)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)
    last_success_at = models.DateTimeField(_("gửi thành công gần nhất"), null=True, blank=True)
    last_failure_at = models.DateTimeField(_("gửi lỗi gần nhất"), null=True, blank=True)
    last_error = models.CharField(_("lỗi gần nhất"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("nền tảng liên thông")
        verbose_name_plural = _("nền tảng liên thông")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def organ_id_list(self) -> list[str]:
        return split_organ_ids(self.organ_ids)

    def serves(self, organ_id: str) -> bool:
        return organ_id in self.organ_id_list

    @property
    def endpoint_url(self) -> str:
        return self.base_url.rstrip("/") + ENDPOINT_PATH

    def secret(self) -> bytes:
        """The shared secret from the environment; ``DomainError`` when it is missing or too short."""
        value = os.environ.get(self.secret_env, "")
        if not value:
            raise DomainError("secret_missing", f"Chưa đặt biến môi trường {self.secret_env} chứa khóa bí mật của "
                                                f"kết nối “{self.name}”.")
        data = value.encode("utf-8")
        if len(data) < MIN_SECRET_BYTES:
            raise DomainError("secret_weak", f"Khóa bí mật trong {self.secret_env} quá ngắn (cần ít nhất "
                                             f"{MIN_SECRET_BYTES} ký tự).")
        return data

    def clean(self):
        super().clean()
        from .edxml import ORGAN_ID_RE

        ids = split_organ_ids(self.organ_ids)
        if not ids:
            raise ValidationError({"organ_ids": _("Cần ít nhất một mã định danh cơ quan.")})
        bad = [i for i in ids if not ORGAN_ID_RE.match(i)]
        if bad:
            raise ValidationError({"organ_ids": _("Mã định danh không đúng dạng 000.00.00.H37: %(codes)s")
                                   % {"codes": ", ".join(bad[:5])}})
        self.organ_ids = "\n".join(dict.fromkeys(ids))


class MessageKind(models.TextChoices):
    DOCUMENT = "document", _("Văn bản")
    STATUS = "status", _("Trạng thái")


STATUS_CHOICES = [(c.value, f"{c.value} — {c.label}") for c in StatusCode]
BUSINESS_CHOICES = [(0, _("Văn bản mới")), (1, _("Thu hồi")), (2, _("Cập nhật")), (3, _("Thay thế"))]


class OutboxMessage(models.Model):
    """One edXML package to send to a peer, written in the same transaction as the action that produced it
    (issuing, recalling, the receiver's clerk accepting …): nothing is sent for an action that rolled back, nothing
    is lost for one that committed. Sent by ``services.deliver_due`` (a task and the ``tinhso exchange deliver``
    command) with exponential backoff; ``dead`` after too many attempts or a permanent refusal."""

    class State(models.TextChoices):
        PENDING = "pending", _("Chờ gửi")
        SENDING = "sending", _("Đang gửi")
        SENT = "sent", _("Đã gửi")
        FAILED = "failed", _("Gửi lỗi, sẽ gửi lại")
        DEAD = "dead", _("Ngừng gửi (cần xử lý)")
        CANCELLED = "cancelled", _("Đã hủy trước khi gửi")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("loại gói tin"), max_length=10, choices=MessageKind.choices)
    peer = models.ForeignKey(Peer, verbose_name=_("nền tảng nhận"), on_delete=models.PROTECT,
                             related_name="outbox")
    recipient = models.CharField(_("mã định danh nơi nhận"), max_length=64)
    edxml_id = models.CharField(_("DocumentId (edXML)"), max_length=255, db_index=True)
    business_type = models.PositiveSmallIntegerField(_("nghiệp vụ"), null=True, blank=True,
                                                     choices=BUSINESS_CHOICES)
    status_code = models.CharField(_("mã trạng thái"), max_length=2, blank=True, choices=STATUS_CHOICES)
    document = models.ForeignKey("documents.Document", verbose_name=_("văn bản"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    sequence_key = models.CharField(max_length=64, db_index=True, editable=False,
                                    help_text=_("Gói tin cùng văn bản, cùng nơi nhận được gửi theo thứ tự."))
    body = models.BinaryField(_("gói tin"))
    size = models.PositiveIntegerField(_("kích thước"), default=0)
    sha256 = models.CharField(max_length=64)
    description = models.CharField(_("mô tả"), max_length=500, blank=True)
    state = models.CharField(_("tình trạng"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(_("số lần gửi"), default=0)
    next_attempt_at = models.DateTimeField(_("gửi lần tới lúc"), default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_http_status = models.PositiveSmallIntegerField(_("mã HTTP gần nhất"), null=True, blank=True)
    last_error_code = models.CharField(_("mã lỗi gần nhất"), max_length=64, blank=True)
    last_error = models.CharField(_("lỗi gần nhất"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    sent_at = models.DateTimeField(_("gửi xong lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("gói tin gửi đi")
        verbose_name_plural = _("gói tin gửi đi")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="exchange_outbox_due")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="document", business_type__isnull=False, status_code="")
                           | Q(kind="status", business_type__isnull=True) & ~Q(status_code="")),
                name="exchange_outbox_kind_fields",
            ),
        ]

    def __str__(self) -> str:
        what = f"{self.status_code}" if self.kind == MessageKind.STATUS else self.get_business_type_display()
        return f"{self.get_kind_display()} {what} → {self.recipient}: {self.edxml_id}"


class OutboxAttempt(models.Model):
    """One try at sending an outbox message: when, the HTTP status (none for a network error), the error."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField(default=timezone.now)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error = models.CharField(max_length=1000, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("lần gửi")
        verbose_name_plural = _("lần gửi")
        ordering = ["message_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M:%S} {self.http_status or self.error_code}"


class InboxMessage(models.Model):
    """A package received from a peer, kept as received. ``idempotency_key`` (unique) makes a package that arrives
    twice a duplicate: answered "already received", processed once. The same key with another body is a conflict."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    peer = models.ForeignKey(Peer, verbose_name=_("nền tảng gửi"), on_delete=models.PROTECT, related_name="inbox")
    received_at = models.DateTimeField(_("nhận lúc"), default=timezone.now)
    kind = models.CharField(_("loại gói tin"), max_length=10, choices=MessageKind.choices)
    sender = models.CharField(_("mã định danh nơi gửi"), max_length=64)
    edxml_id = models.CharField(_("DocumentId (edXML)"), max_length=255, db_index=True)
    business_type = models.PositiveSmallIntegerField(_("nghiệp vụ"), null=True, blank=True,
                                                     choices=BUSINESS_CHOICES)
    status_code = models.CharField(_("mã trạng thái"), max_length=2, blank=True, choices=STATUS_CHOICES)
    idempotency_key = models.CharField(max_length=64, unique=True, editable=False)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(_("kích thước"), default=0)
    body = models.BinaryField(_("gói tin"))
    outcome = models.JSONField(_("kết quả xử lý"), default=dict, blank=True)

    class Meta:
        verbose_name = _("gói tin nhận được")
        verbose_name_plural = _("gói tin nhận được")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.status_code or ''} ← {self.sender}: {self.edxml_id}"


class ReceivedDocument(models.Model):
    """An incoming document that arrived through the exchange: who sent it (the peer, the issuing agency), its
    edXML DocumentId, and what the sender did to it later (recalled, updated, replaced). The incoming document is
    never deleted; its history keeps every change."""

    class State(models.TextChoices):
        ACTIVE = "active", _("Đang hiệu lực")
        UPDATED = "updated", _("Đã được cập nhật")
        RECALLED = "recalled", _("Đã bị thu hồi")
        REPLACED = "replaced", _("Đã bị thay thế")

    document = models.OneToOneField("documents.Document", verbose_name=_("văn bản đến"), on_delete=models.PROTECT,
                                    related_name="+")
    agency = models.ForeignKey(Agency, verbose_name=_("cơ quan nhận"), on_delete=models.PROTECT, related_name="+")
    peer = models.ForeignKey(Peer, verbose_name=_("nền tảng gửi"), on_delete=models.PROTECT, related_name="+")
    sender = models.CharField(_("mã định danh cơ quan gửi"), max_length=64)
    edxml_id = models.CharField(_("DocumentId (edXML)"), max_length=255)
    state = models.CharField(_("tình trạng"), max_length=10, choices=State.choices, default=State.ACTIVE)
    inbox = models.ForeignKey(InboxMessage, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("nhận lúc"), default=timezone.now)
    changed_at = models.DateTimeField(_("thay đổi lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("văn bản nhận qua liên thông")
        verbose_name_plural = _("văn bản nhận qua liên thông")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "sender", "edxml_id"], name="exchange_received_once"),
        ]

    def __str__(self) -> str:
        return self.edxml_id


class ReceivedStatus(models.Model):
    """A status report received about a local document: from a recipient of an outgoing document (01 đã đến … 06
    hoàn thành, 15/16 the answer to a recall or update), or from the sender of an incoming one (13 lấy lại)."""

    document = models.ForeignKey("documents.Document", verbose_name=_("văn bản"), on_delete=models.PROTECT,
                                 related_name="+")
    edxml_id = models.CharField(_("DocumentId (edXML)"), max_length=255)
    reporter = models.CharField(_("mã định danh cơ quan báo"), max_length=64)
    reporter_name = models.CharField(_("cơ quan báo"), max_length=250, blank=True)
    status_code = models.CharField(_("mã trạng thái"), max_length=2, choices=STATUS_CHOICES)
    description = models.TextField(_("nội dung"), blank=True)
    staff = models.CharField(_("người xử lý"), max_length=250, blank=True)
    timestamp = models.DateTimeField(_("thời điểm"))
    received_at = models.DateTimeField(_("nhận lúc"), default=timezone.now)
    inbox = models.ForeignKey(InboxMessage, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("trạng thái nhận được")
        verbose_name_plural = _("trạng thái nhận được")
        ordering = ["edxml_id", "timestamp", "id"]
        indexes = [models.Index(fields=["document", "reporter"], name="exchange_status_doc_reporter")]

    def __str__(self) -> str:
        return f"{self.reporter}: {self.status_code}"

    @property
    def label(self) -> str:
        return StatusCode(self.status_code).label


class ReplayGuard(models.Model):
    """Nonces seen in the last minutes (twice the allowed clock skew): a request replayed is refused."""

    key_id = models.CharField(max_length=64)
    nonce = models.CharField(max_length=64)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key_id", "nonce"], name="exchange_replay_once")]

    def __str__(self) -> str:
        return f"{self.key_id} {self.seen_at:%d/%m/%Y %H:%M:%S}"
