"""Thanh toán trực tuyến phí, lệ phí: payments of dossiers, every callback received, fee rules, the sandbox ledger.

- ``Payment``: one order sent to a payment provider for a dossier (the fee at submission, or the financial obligation
  of status 6). Its state changes only in ``services.py``; a dossier has at most one paid payment per purpose and
  round, and at most one open one.
- ``PaymentCallback``: every callback received (server-to-server notification or browser return), accepted or refused,
  with the reason: the audit trail and the input of reconciliation.
- ``FeeRule``: the computable rule of a catalogue fee line, when the province's IT staff saved one (``fees.py``).
- ``SandboxTransaction``: the ledger of the **sandbox** gateway (``providers/sandbox.py``), the stand-in for a bank.
  It belongs to the gateway, not to the platform: the platform never reads it except to fetch the settlement list,
  exactly as it would download a bank's file.
"""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tinhso.catalog.models import Fee
from tinhso.onestop.models import Dossier

from . import fees


def new_order_ref() -> str:
    """``TS`` + the local date + 8 random characters: unique, unguessable, 18 characters (VNPay allows 100)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return f"TS{timezone.localtime():%y%m%d}" + "".join(secrets.choice(alphabet) for _ in range(8))


class Purpose(models.TextChoices):
    FEE = "fee", _("Phí, lệ phí khi nộp hồ sơ")
    OBLIGATION = "obligation", _("Nghĩa vụ tài chính")


class PaymentState(models.TextChoices):
    CREATED = "created", _("Mới tạo")
    PENDING = "pending", _("Đang chờ thanh toán")
    PAID = "paid", _("Đã thanh toán")
    FAILED = "failed", _("Thanh toán không thành công")
    CANCELLED = "cancelled", _("Đã hủy")
    EXPIRED = "expired", _("Hết thời gian thanh toán")


OPEN_STATES = (PaymentState.CREATED, PaymentState.PENDING)


class Payment(models.Model):
    dossier = models.ForeignKey(Dossier, verbose_name=_("hồ sơ"), on_delete=models.PROTECT, related_name="payments")
    purpose = models.CharField(_("khoản thu"), max_length=12, choices=Purpose.choices)
    round = models.PositiveSmallIntegerField(
        _("lần yêu cầu"), default=1,
        help_text=_("Phí: luôn 1. Nghĩa vụ tài chính: lần thứ mấy hồ sơ được yêu cầu nộp tiền."))
    amount = models.PositiveBigIntegerField(_("số tiền (đồng)"))
    currency = models.CharField(_("đơn vị tiền"), max_length=3, default="VND")
    provider = models.CharField(_("cổng thanh toán"), max_length=20)
    state = models.CharField(_("trạng thái"), max_length=10, choices=PaymentState.choices,
                             default=PaymentState.CREATED, db_index=True)
    order_ref = models.CharField(_("mã đơn hàng"), max_length=40, unique=True, default=new_order_ref)
    provider_txn = models.CharField(_("mã giao dịch của cổng"), max_length=64, unique=True, null=True, blank=True)
    breakdown = models.JSONField(_("cách tính"), default=dict, blank=True)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    redirected_at = models.DateTimeField(_("chuyển sang cổng lúc"), null=True, blank=True)
    expires_at = models.DateTimeField(_("hết hạn lúc"))
    paid_at = models.DateTimeField(_("thanh toán lúc"), null=True, blank=True, db_index=True)
    closed_at = models.DateTimeField(_("kết thúc lúc"), null=True, blank=True)
    close_reason = models.CharField(_("lý do kết thúc"), max_length=200, blank=True)
    receipt_number = models.CharField(_("số biên lai"), max_length=20, unique=True, null=True, blank=True)
    return_payload = models.JSONField(_("tham số trả về trình duyệt"), default=dict, blank=True)
    callback_payload = models.JSONField(_("tham số thông báo IPN"), default=dict, blank=True)

    class Meta:
        verbose_name = _("giao dịch thanh toán")
        verbose_name_plural = _("giao dịch thanh toán")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "purpose", "round"], condition=Q(state="paid"),
                                    name="payment_one_paid_per_purpose"),
            models.UniqueConstraint(fields=["dossier", "purpose"], condition=Q(state__in=["created", "pending"]),
                                    name="payment_one_open_per_purpose"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=~Q(state="paid") | (Q(paid_at__isnull=False)
                                                                 & Q(provider_txn__isnull=False)),
                                   name="payment_paid_has_txn"),
        ]
        indexes = [models.Index(fields=["provider", "paid_at"], name="payment_provider_paid")]

    def __str__(self) -> str:
        return f"{self.order_ref} ({self.get_state_display()})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class PaymentCallback(models.Model):
    """One callback received from a payment provider, kept whatever happened to it."""

    class Channel(models.TextChoices):
        IPN = "ipn", _("Thông báo máy chủ – máy chủ (IPN)")
        RETURN = "return", _("Trình duyệt quay về")

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("Đã ghi nhận")
        DUPLICATE = "duplicate", _("Trùng, đã ghi nhận trước đó")
        DISPLAYED = "displayed", _("Chỉ hiển thị (không đổi trạng thái)")
        REFUSED = "refused", _("Từ chối")

    received_at = models.DateTimeField(_("nhận lúc"), default=timezone.now, db_index=True)
    provider = models.CharField(_("cổng thanh toán"), max_length=20)
    channel = models.CharField(_("kênh"), max_length=8, choices=Channel.choices)
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="callbacks")
    order_ref = models.CharField(_("mã đơn hàng (như nhận được)"), max_length=64, blank=True)
    provider_txn = models.CharField(_("mã giao dịch (như nhận được)"), max_length=64, blank=True)
    outcome = models.CharField(_("kết quả"), max_length=10, choices=Outcome.choices)
    code = models.CharField(_("mã"), max_length=40)
    message = models.CharField(_("thông báo"), max_length=300, blank=True)
    signature_valid = models.BooleanField(_("chữ ký hợp lệ"), default=False)
    payload = models.JSONField(_("tham số nhận được"), default=dict, blank=True)
    ip = models.CharField(_("địa chỉ gửi"), max_length=45, blank=True)

    class Meta:
        verbose_name = _("thông báo từ cổng thanh toán")
        verbose_name_plural = _("thông báo từ cổng thanh toán")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.received_at:%d/%m/%Y %H:%M:%S} {self.channel} {self.order_ref} {self.code}"


class FeeRule(models.Model):
    """The computable rule of one catalogue fee line, saved by IT staff (otherwise parsed from the fee's text)."""

    fee = models.OneToOneField(Fee, verbose_name=_("phí, lệ phí trong danh mục"), on_delete=models.CASCADE,
                               related_name="payment_rule")
    rule = models.JSONField(
        _("quy tắc tính"), default=dict,
        help_text=_('Ví dụ {"kind": "fixed", "amount": 100000}; {"kind": "per_copy", "amount": 250000}; '
                    '{"kind": "per_page", "amount": 2000, "tiers": [{"from_page": 3, "amount": 1000}], '
                    '"max_per_copy": 200000}; thêm "periods" cho mức thu tạm thời. Xem docs/payments.md.'))
    is_active = models.BooleanField(_("đang dùng"), default=True)
    note = models.CharField(_("ghi chú"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        verbose_name = _("quy tắc tính phí")
        verbose_name_plural = _("quy tắc tính phí")

    def __str__(self) -> str:
        return f"{self.fee} — {self.rule.get('kind', '?')}"

    def clean(self):
        try:
            fees.validate_rule(self.rule)
        except fees.RuleError as exc:
            raise ValidationError({"rule": str(exc)}) from exc


class SandboxTransaction(models.Model):
    """The **sandbox** gateway's own ledger: what a bank keeps about each payment attempt (never real money)."""

    txn_no = models.CharField(_("mã giao dịch"), max_length=20, unique=True)
    merchant = models.CharField(_("mã đơn vị chấp nhận"), max_length=20)
    order_ref = models.CharField(_("mã đơn hàng"), max_length=64, db_index=True)
    amount = models.PositiveBigIntegerField(_("số tiền (đồng)"))
    currency = models.CharField(max_length=3, default="VND")
    order_info = models.CharField(_("nội dung"), max_length=255, blank=True)
    bank_code = models.CharField(_("ngân hàng"), max_length=20, blank=True)
    response_code = models.CharField(_("mã phản hồi"), max_length=2)
    created_at = models.DateTimeField(_("thời điểm giao dịch"), default=timezone.now, db_index=True)
    return_url = models.URLField(max_length=500)
    callback = models.JSONField(_("tham số gửi về đơn vị"), default=dict)
    ipn_url = models.URLField(max_length=500, blank=True)
    ipn_status = models.CharField(_("kết quả gửi IPN"), max_length=12, blank=True)
    ipn_response = models.TextField(_("phản hồi IPN"), blank=True)

    class Meta:
        verbose_name = _("giao dịch cổng thử nghiệm")
        verbose_name_plural = _("giao dịch cổng thử nghiệm")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "order_ref"], condition=Q(response_code="00"),
                                    name="sandbox_one_success_per_order"),
        ]

    def __str__(self) -> str:
        return f"{self.txn_no} {self.order_ref} {self.response_code}"
