"""Every state change of online payments: one transaction, a permission check (or a verified signature), an audit
record. The dossier's own payment fields (``fee_amount``, ``payment_state``, ``paid_online``, ``paid_at``) change only
through ``onestop.services.note_event``, in the same transaction as the payment, so that the citizen's page, the
officer's page, the API and the dossier row never disagree.

The life of a payment::

    created ─(redirect issued)→ pending ─IPN success→ paid
                                   ├─IPN failure→ failed        (a new order may be started)
                                   ├─IPN cancel→ cancelled
                                   ├─a new order started→ cancelled ("superseded")
                                   └─validity passed→ expired
    failed / cancelled / expired ─IPN success paid within the order's validity→ paid (the money was taken)

**The server-to-server notification (IPN) is the only authority.** The browser's return to the platform is verified
and logged and shows where things stand, but never marks a payment paid (the provider may still reverse it, and the
citizen's browser is not a trusted channel); the page waits for the IPN. A second identical IPN answers
``already_confirmed`` and changes nothing; forged, replayed or inconsistent callbacks are refused with a stable code and
logged in ``PaymentCallback`` (docs/payments.md lists the codes).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from tinhso.core import permissions
from tinhso.core.errors import DomainError, Forbidden, NotFound
from tinhso.core.models import Role, User
from tinhso.core.services import record
from tinhso.core.templatetags.humanize_vi import format_vnd
from tinhso.onestop import services as onestop
from tinhso.onestop.models import Dossier, PaidOnline, Status
from tinhso.onestop.models import PaymentState as DossierPaymentState

from . import fees, providers
from .models import OPEN_STATES, Payment, PaymentCallback, PaymentState, Purpose
from .providers.base import REFERENCE_FIELDS, Callback, CallbackRefused

#: Statuses in which nothing is collected any more.
NOT_PAYABLE_STATUSES = (Status.REFUSED, Status.WITHDRAWN, Status.STOPPED)
#: Who may request or waive a dossier's fee: the desk that received it and the heads above it.
FEE_ROLES = (Role.RECEIVING_OFFICER, Role.DEPARTMENT_HEAD, Role.AGENCY_LEADER)
MAX_PAYLOAD_KEYS = 40


class Conflict(DomainError):
    status = 409


def _config() -> dict:
    return settings.TINHSO.get("PAYMENT", {})


def _order_minutes() -> int:
    return int(_config().get("ORDER_MINUTES", 15))


def _local_day(moment: datetime | None):
    return timezone.localtime(moment or timezone.now()).date()


def _dossier(dossier: Dossier | int) -> Dossier:
    pk = dossier.pk if isinstance(dossier, Dossier) else dossier
    found = (Dossier.objects.select_related("channel", "procedure_version__procedure", "receiving_agency",
                                            "handling_agency").filter(pk=pk).first())
    if found is None:
        raise NotFound("dossier_not_found", "Không tìm thấy hồ sơ.")
    return found


def is_owner(actor, dossier: Dossier) -> bool:
    return bool(getattr(actor, "is_authenticated", False) and getattr(actor, "is_applicant", False)
                and dossier.applicant_id == actor.pk)


def can_manage_fee(actor, dossier: Dossier) -> bool:
    """Receiving officers of the dossier's desk and the heads above it (``permissions`` covers superusers)."""
    if not getattr(actor, "is_authenticated", False):
        return False
    return permissions.has_role(actor, FEE_ROLES, dossier.receiving_agency)


def _require_owner(actor, dossier: Dossier) -> None:
    if not is_owner(actor, dossier):
        raise Forbidden("Chỉ người nộp hồ sơ mới thanh toán được cho hồ sơ này.")


def _require_fee_manager(actor, dossier: Dossier) -> None:
    if not can_manage_fee(actor, dossier):
        raise Forbidden("Thao tác này cần vai trò công chức tiếp nhận hoặc lãnh đạo tại "
                        f"{dossier.receiving_agency.name}.")


# --- the fee of a dossier -----------------------------------------------------------------------------------------

def fee_day(dossier: Dossier):
    """The day whose fee rates apply: the day the dossier was submitted (today for a draft)."""
    return _local_day(dossier.submitted_at)


def fee_quote(dossier: Dossier, *, copies: int = 1, pages: int = 1) -> fees.Quote:
    try:
        return fees.quote_channel(dossier.channel, on=fee_day(dossier), copies=copies, pages=pages)
    except fees.RuleError as exc:
        raise DomainError("invalid_quantity", str(exc), field="copies") from exc


def fee_outstanding(dossier: Dossier) -> bool:
    """Whether the procedure's fee is still owed (requested, or not yet requested but due)."""
    if dossier.payment_state == DossierPaymentState.REQUESTED:
        return True
    if dossier.payment_state:
        return False
    quote = fee_quote(dossier)
    return not quote.complete or (quote.total or 0) > 0


def _check_fee_payable(dossier: Dossier) -> None:
    if dossier.is_draft:
        raise Conflict("not_submitted", "Hãy nộp hồ sơ trước khi thanh toán phí, lệ phí.")
    if dossier.status in NOT_PAYABLE_STATUSES:
        raise Conflict("not_payable", f"Hồ sơ đang ở trạng thái “{Status(dossier.status).label}”: không thu phí, "
                                      "lệ phí.")
    if dossier.payment_state == DossierPaymentState.PAID and dossier.fee_amount:
        raise Conflict("already_paid", "Phí, lệ phí của hồ sơ đã được thanh toán.")
    if dossier.payment_state == DossierPaymentState.WAIVED:
        raise Conflict("fee_waived", "Hồ sơ được miễn phí, lệ phí.")


@transaction.atomic
def request_fee(actor: User, dossier: Dossier | int, *, copies: int = 1, pages: int = 1,
                amount: int | None = None) -> Dossier:
    """Ask for the procedure's fee: ``fee_amount`` and ``payment_state = requested`` on the dossier.

    The applicant does it by starting the payment (quantities they chose); the desk may do it too, and may set the
    amount when the rule cannot compute it (``amount``).
    """
    dossier = _dossier(dossier)
    if is_owner(actor, dossier):
        if amount is not None:
            raise Forbidden("Người nộp hồ sơ không tự đặt số tiền phí, lệ phí.")
    else:
        _require_fee_manager(actor, dossier)
    _check_fee_payable(dossier)
    if dossier.payment_state == DossierPaymentState.REQUESTED:
        raise Conflict("fee_already_requested", f"Đã yêu cầu nộp phí, lệ phí {format_vnd(dossier.fee_amount)}.")
    quote = fee_quote(dossier, copies=copies, pages=pages)
    if amount is not None:
        if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= fees.MAX_AMOUNT:
            raise DomainError("invalid_amount", "Số tiền phải là số nguyên dương (đồng).", field="amount")
        total, how = amount, "officer"
    elif not quote.complete:
        raise DomainError("fee_not_computable", "Chưa tính được số tiền phí, lệ phí của thủ tục này một cách tự "
                                                "động. Bộ phận Một cửa sẽ xác định và thông báo số tiền.")
    elif not quote.total:
        raise DomainError("no_fee", "Thủ tục này không thu phí, lệ phí.")
    else:
        total, how = quote.total, "rule"
    note = f"Phí, lệ phí phải nộp: {format_vnd(total)}."
    onestop.note_event(dossier, "fee_requested", actor, note=note, public=False,
                       data={"amount": total, "how": how, "quote": quote.as_dict()},
                       fields={"fee_amount": total, "payment_state": DossierPaymentState.REQUESTED})
    record("payment.fee_requested", actor=actor, obj=dossier, agency=dossier.receiving_agency,
           summary=f"{dossier} {note}", data={"amount": total, "how": how, "copies": quote.copies,
                                              "pages": quote.pages})
    dossier.refresh_from_db()
    return dossier


@transaction.atomic
def waive_fee(actor: User, dossier: Dossier | int, reason: str) -> Dossier:
    """The desk records that the fee is not collected (an exemption the law grants this applicant)."""
    dossier = _dossier(dossier)
    _require_fee_manager(actor, dossier)
    reason = " ".join((reason or "").split())[:500]
    if not reason:
        raise DomainError("reason_required", "Hãy ghi lý do miễn phí, lệ phí (căn cứ miễn).", field="reason")
    _check_fee_payable(dossier)
    for payment in Payment.objects.select_for_update().filter(dossier=dossier, purpose=Purpose.FEE,
                                                              state__in=OPEN_STATES):
        _close(payment, PaymentState.CANCELLED, "Hồ sơ được miễn phí, lệ phí", actor)
    onestop.note_event(dossier, "fee_waived", actor, note=f"Miễn phí, lệ phí: {reason}", public=False,
                       data={"reason": reason}, fields={"payment_state": DossierPaymentState.WAIVED})
    record("payment.fee_waived", actor=actor, obj=dossier, agency=dossier.receiving_agency,
           summary=f"{dossier} miễn phí, lệ phí", data={"reason": reason})
    dossier.refresh_from_db()
    return dossier


# --- starting a payment -------------------------------------------------------------------------------------------

@dataclass
class Started:
    payment: Payment
    url: str


def obligation_round(dossier: Dossier) -> int:
    """Which financial-obligation request this is (a dossier may be asked more than once)."""
    return max(1, dossier.events.filter(action="payment_requested").count())


def _close(payment: Payment, state: str, reason: str, actor: User | None) -> None:
    payment.state, payment.closed_at, payment.close_reason = state, timezone.now(), reason[:200]
    payment.save(update_fields=["state", "closed_at", "close_reason"])
    record(f"payment.{state}", actor=actor, obj=payment, agency=payment.dossier.receiving_agency,
           summary=f"{payment.order_ref}: {reason}"[:500], data={"order_ref": payment.order_ref})


#: How long after an order's expiry a success reported by the browser's return still blocks paying again (the
#: provider's notification may be late; after that the reconciliation catches a double payment).
CONFIRMATION_GRACE = timedelta(hours=1)


def return_reported_success(payment: Payment) -> bool | None:
    """What the last verified browser return said about ``payment``: True (paid), False (not paid), None (nothing)."""
    last = (PaymentCallback.objects.filter(payment=payment, channel=PaymentCallback.Channel.RETURN,
                                           outcome=PaymentCallback.Outcome.DISPLAYED)
            .order_by("-received_at", "-id").values_list("code", flat=True).first())
    return None if last is None else last in ("awaiting_confirmation", "paid")


@transaction.atomic
def start_payment(actor: User, dossier: Dossier | int, *, purpose: str, return_url: str, client_ip: str = "",
                  copies: int = 1, pages: int = 1) -> Started:
    """The applicant pays: a new order (any open one is superseded) and the provider's signed pay URL."""
    provider = providers.configured()
    dossier = _dossier(dossier)
    _require_owner(actor, dossier)
    if purpose == Purpose.FEE:
        _check_fee_payable(dossier)
        if dossier.payment_state != DossierPaymentState.REQUESTED or not dossier.fee_amount:
            dossier = request_fee(actor, dossier, copies=copies, pages=pages)
        amount, round_ = dossier.fee_amount, 1
        event = dossier.events.filter(action="fee_requested").order_by("-at", "-id").first()
        breakdown = (event.data or {}).get("quote", {}) if event else {}
    elif purpose == Purpose.OBLIGATION:
        if dossier.status != Status.FINANCIAL or not dossier.amount_due:
            raise Conflict("not_payable", "Hồ sơ không có yêu cầu thực hiện nghĩa vụ tài chính đang chờ thanh toán.")
        amount, round_ = dossier.amount_due, obligation_round(dossier)
        breakdown = {"total": amount, "lines": [{"label": "Nghĩa vụ tài chính", "amount": amount}]}
    else:
        raise DomainError("invalid_purpose", "Khoản thanh toán không hợp lệ.", field="purpose")
    now = timezone.now()
    open_orders = list(Payment.objects.select_for_update().filter(dossier=dossier, purpose=purpose,
                                                                  state__in=OPEN_STATES))
    for old in open_orders:
        if return_reported_success(old) and now < old.expires_at + CONFIRMATION_GRACE:
            raise Conflict("awaiting_confirmation", f"Cổng thanh toán đã báo đơn hàng {old.order_ref} thanh toán thành "
                                                    "công và đang chờ xác nhận chính thức: không cần thanh toán lại. "
                                                    "Hãy xem lại sau ít phút.")
    for old in open_orders:
        if old.expires_at <= now:
            _close(old, PaymentState.EXPIRED, "Quá thời hạn thanh toán của đơn hàng", actor)
        else:
            _close(old, PaymentState.CANCELLED, "Thay bằng yêu cầu thanh toán mới", actor)
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                dossier=dossier, purpose=purpose, round=round_, amount=amount, currency="VND",
                provider=provider.code, state=PaymentState.CREATED, created_at=now, created_by=actor,
                expires_at=now + timedelta(minutes=_order_minutes()), breakdown=breakdown)
    except IntegrityError as exc:
        raise Conflict("payment_in_progress", "Đang có một yêu cầu thanh toán khác cho hồ sơ này. Hãy tải lại trang "
                                              "rồi thử lại.") from exc
    url = provider.pay_url(payment, return_url=return_url, client_ip=client_ip)
    payment.state, payment.redirected_at = PaymentState.PENDING, now
    payment.save(update_fields=["state", "redirected_at"])
    record("payment.started", actor=actor, obj=payment, agency=dossier.receiving_agency,
           summary=f"{dossier} {payment.get_purpose_display()} {format_vnd(amount)} qua {provider.name}",
           data={"order_ref": payment.order_ref, "amount": amount, "purpose": purpose, "provider": provider.code})
    return Started(payment, url)


@transaction.atomic
def expire_stale(now: datetime | None = None) -> int:
    """Close the open orders whose validity has passed (a late IPN for them is still honoured)."""
    now = now or timezone.now()
    count = 0
    for payment in (Payment.objects.select_for_update().select_related("dossier__receiving_agency")
                    .filter(state__in=OPEN_STATES, expires_at__lt=now)):
        _close(payment, PaymentState.EXPIRED, "Quá thời hạn thanh toán của đơn hàng", None)
        count += 1
    return count


# --- callbacks ----------------------------------------------------------------------------------------------------

@dataclass
class Outcome:
    """What happened to one callback: ``code`` and ``message`` are answered to the provider / shown to people."""

    code: str
    message: str
    status: int
    outcome: str
    payment: Payment | None = None
    callback: Callback | None = None

    @property
    def accepted(self) -> bool:
        return self.outcome in (PaymentCallback.Outcome.ACCEPTED, PaymentCallback.Outcome.DUPLICATE)


def _payload(params) -> dict:
    items = list(params.items())[:MAX_PAYLOAD_KEYS]
    return {str(k)[:60]: str(v)[:500] for k, v in items}


def _refs(params) -> tuple[str, str]:
    """The order reference and transaction number as received (providers name them in ``base.REFERENCE_FIELDS``)."""
    return (str(params.get(REFERENCE_FIELDS[0], ""))[:64], str(params.get(REFERENCE_FIELDS[1], ""))[:64])


def _log(provider: str, channel: str, params, outcome: Outcome, *, ip: str, signature_valid: bool) -> None:
    order_ref, txn = _refs(params)
    PaymentCallback.objects.create(
        provider=provider[:20], channel=channel, payment=outcome.payment, order_ref=order_ref, provider_txn=txn,
        outcome=outcome.outcome, code=outcome.code, message=outcome.message[:300], signature_valid=signature_valid,
        payload=_payload(params), ip=ip[:45])


def _refused(provider: str, channel: str, params, exc: CallbackRefused, *, ip: str,
             payment: Payment | None = None, callback: Callback | None = None) -> Outcome:
    outcome = Outcome(exc.code, exc.message, exc.status, PaymentCallback.Outcome.REFUSED, payment, callback)
    with transaction.atomic():
        _log(provider, channel, params, outcome, ip=ip, signature_valid=exc.signature_valid)
        record("payment.callback_refused", actor=None, obj=payment,
               agency=payment.dossier.receiving_agency if payment else None,
               summary=f"{channel} {_refs(params)[0]}: {exc.code}",
               data={"code": exc.code, "channel": channel, "provider": provider[:20]})
    return outcome


def handle_callback(provider_code: str, params, *, channel: str = PaymentCallback.Channel.IPN,
                    ip: str = "") -> Outcome:
    """Verify and apply one callback (IPN), or verify and log it (browser return). Never raises for bad input."""
    params = {str(k): str(v) for k, v in params.items()}
    try:
        provider = providers.get(provider_code)
    except DomainError:
        exc = CallbackRefused("unknown_provider", "Cổng thanh toán này không được bật trên hệ thống.", status=404)
        return _refused(provider_code, channel, params, exc, ip=ip)
    try:
        callback = provider.parse_callback(params)
    except CallbackRefused as exc:
        known = Payment.objects.filter(provider=provider.code, order_ref=_refs(params)[0]).first()
        return _refused(provider.code, channel, params, exc, ip=ip, payment=known)
    if channel == PaymentCallback.Channel.RETURN:
        return _display_return(provider, callback, params, ip=ip)
    try:
        with transaction.atomic():
            outcome = _apply(provider, callback, params)
            _log(provider.code, channel, params, outcome, ip=ip, signature_valid=True)
            return outcome
    except CallbackRefused as exc:
        known = Payment.objects.filter(provider=provider.code, order_ref=callback.order_ref).first()
        return _refused(provider.code, channel, params, exc, ip=ip, payment=known, callback=callback)


def _matching(provider, callback: Callback) -> Payment:
    payment = (Payment.objects.select_for_update(of=("self",)).select_related("dossier__receiving_agency")
               .filter(provider=provider.code, order_ref=callback.order_ref).first())
    if payment is None:
        raise CallbackRefused("unknown_order", "Không có đơn hàng nào với mã này.", status=404, signature_valid=True)
    if callback.currency != payment.currency:
        raise CallbackRefused("currency_mismatch", f"Đơn vị tiền {callback.currency[:3]} khác với đơn hàng "
                                                   f"({payment.currency}).", signature_valid=True)
    if callback.amount != payment.amount:
        raise CallbackRefused("amount_mismatch", f"Số tiền {format_vnd(callback.amount)} khác với đơn hàng "
                                                 f"({format_vnd(payment.amount)}).", signature_valid=True)
    return payment


def _apply(provider, callback: Callback, params: dict) -> Outcome:
    payment = _matching(provider, callback)
    if payment.state == PaymentState.CREATED:
        raise CallbackRefused("not_redirected", "Đơn hàng chưa được chuyển sang cổng thanh toán: thông báo này đến "
                                                "trước khi chuyển hướng nên không được chấp nhận.",
                              signature_valid=True)
    if callback.success:
        return _success(payment, callback, params)
    return _failure(payment, callback, params)


def _success(payment: Payment, callback: Callback, params: dict) -> Outcome:
    if payment.state == PaymentState.PAID:
        if payment.provider_txn == callback.provider_txn:
            return Outcome("already_confirmed", "Giao dịch đã được ghi nhận trước đó; không thay đổi gì.", 200,
                           PaymentCallback.Outcome.DUPLICATE, payment, callback)
        raise CallbackRefused("duplicate_payment", "Đơn hàng đã được thanh toán bằng một giao dịch khác; giao dịch này "
                                                   "cần được hoàn tiền.", signature_valid=True)
    if callback.pay_date is None or callback.pay_date > payment.expires_at:
        raise CallbackRefused("order_expired", "Giao dịch được thực hiện sau thời hạn thanh toán của đơn hàng.",
                              signature_valid=True)
    if Payment.objects.filter(provider=payment.provider, provider_txn=callback.provider_txn).exclude(
            pk=payment.pk).exists():
        raise CallbackRefused("duplicate_transaction", "Mã giao dịch này đã được dùng cho một đơn hàng khác.",
                              signature_valid=True)
    if Payment.objects.filter(dossier_id=payment.dossier_id, purpose=payment.purpose, round=payment.round,
                              state=PaymentState.PAID).exclude(pk=payment.pk).exists():
        raise CallbackRefused("already_paid", "Khoản này của hồ sơ đã được thanh toán bằng một đơn hàng khác; giao "
                                              "dịch cần được hoàn tiền.", signature_valid=True)
    _mark_paid(payment, callback, params)
    return Outcome("confirmed", "Đã ghi nhận thanh toán.", 200, PaymentCallback.Outcome.ACCEPTED, payment, callback)


def _mark_paid(payment: Payment, callback: Callback, params: dict) -> None:
    dossier = _dossier(payment.dossier_id)
    if payment.purpose == Purpose.FEE:
        if dossier.status in NOT_PAYABLE_STATUSES or dossier.payment_state == DossierPaymentState.WAIVED:
            raise CallbackRefused("not_payable", "Hồ sơ không còn phải nộp phí, lệ phí; giao dịch cần được hoàn tiền.",
                                  signature_valid=True)
    elif dossier.status != Status.FINANCIAL or payment.round != obligation_round(dossier):
        raise CallbackRefused("not_payable", "Hồ sơ không còn chờ thực hiện nghĩa vụ tài chính (có thể đã nộp tại Bộ "
                                             "phận Một cửa); giao dịch cần được hoàn tiền.", signature_valid=True)
    now = timezone.now()
    payment.state, payment.provider_txn, payment.paid_at = PaymentState.PAID, callback.provider_txn, callback.pay_date
    payment.closed_at, payment.close_reason, payment.callback_payload = now, "", _payload(params)
    try:
        with transaction.atomic():
            payment.save(update_fields=["state", "provider_txn", "paid_at", "closed_at", "close_reason",
                                        "callback_payload"])
    except IntegrityError as exc:
        raise CallbackRefused("already_paid", "Khoản này của hồ sơ đã được thanh toán; giao dịch cần được hoàn tiền.",
                              signature_valid=True) from exc
    payment.receipt_number = f"{timezone.localtime(callback.pay_date):%Y}-{payment.pk:07d}"
    payment.save(update_fields=["receipt_number"])
    reference = f"Thanh toán trực tuyến {format_vnd(payment.amount)}, mã giao dịch {callback.provider_txn}"
    if payment.purpose == Purpose.OBLIGATION:
        try:
            onestop.confirm_payment(None, dossier, reference=reference)
        except DomainError as exc:
            raise CallbackRefused("not_payable", f"Không xác nhận được nghĩa vụ tài chính: {exc.message}",
                                  signature_valid=True) from exc
    fields = {"paid_online": PaidOnline.LOCAL, "paid_at": callback.pay_date}
    dossier.refresh_from_db()
    if payment.purpose == Purpose.FEE or not fee_outstanding(dossier):
        fields["payment_state"] = DossierPaymentState.PAID
    onestop.note_event(dossier, "paid_online", None, note=f"{reference}.", public=payment.purpose == Purpose.FEE,
                       data={"order_ref": payment.order_ref, "amount": payment.amount, "purpose": payment.purpose,
                             "provider": payment.provider, "provider_txn": callback.provider_txn,
                             "receipt_number": payment.receipt_number},
                       fields=fields)
    record("payment.paid", actor=None, obj=payment, agency=dossier.receiving_agency,
           summary=f"{dossier} {payment.get_purpose_display()}: {reference}",
           data={"order_ref": payment.order_ref, "amount": payment.amount, "provider_txn": callback.provider_txn})


def _failure(payment: Payment, callback: Callback, params: dict) -> Outcome:
    state = PaymentState.CANCELLED if callback.cancelled else PaymentState.FAILED
    if payment.state == PaymentState.PAID:
        raise CallbackRefused("state_conflict", "Đơn hàng đã được thanh toán; không ghi nhận thông báo giao dịch không "
                                                "thành công.", signature_valid=True)
    if payment.callback_payload.get("ts_txn_no") == callback.provider_txn:
        return Outcome("already_confirmed", "Giao dịch đã được ghi nhận trước đó; không thay đổi gì.", 200,
                       PaymentCallback.Outcome.DUPLICATE, payment, callback)
    payment.callback_payload = _payload(params)
    fields = ["callback_payload"]
    if payment.state == PaymentState.PENDING:
        reason = callback.response_text or f"Cổng thanh toán trả mã {callback.response_code[:4]}"
        payment.state, payment.closed_at, payment.close_reason = state, timezone.now(), reason
        fields += ["state", "closed_at", "close_reason"]
        record(f"payment.{state}", actor=None, obj=payment, agency=payment.dossier.receiving_agency,
               summary=f"{payment.order_ref}: {reason}", data={"response_code": callback.response_code})
    payment.save(update_fields=fields)
    return Outcome("recorded", "Đã ghi nhận giao dịch không thành công.", 200, PaymentCallback.Outcome.ACCEPTED,
                   payment, callback)


def _display_return(provider, callback: Callback, params: dict, *, ip: str) -> Outcome:
    """The browser came back: check it against the order, keep it, change nothing (the IPN decides)."""
    channel = PaymentCallback.Channel.RETURN
    try:
        with transaction.atomic():
            payment = _matching(provider, callback)
            Payment.objects.filter(pk=payment.pk).update(return_payload=_payload(params))
            payment.refresh_from_db()
            if payment.state == PaymentState.PAID:
                code, message = "paid", "Đã thanh toán."
            elif callback.success:
                code, message = "awaiting_confirmation", "Cổng thanh toán báo giao dịch thành công; đang chờ xác nhận."
            else:
                code, message = "not_paid", "Giao dịch chưa thành công hoặc đã bị hủy."
            outcome = Outcome(code, message, 200, PaymentCallback.Outcome.DISPLAYED, payment, callback)
            _log(provider.code, channel, params, outcome, ip=ip, signature_valid=True)
            return outcome
    except CallbackRefused as exc:
        known = Payment.objects.filter(provider=provider.code, order_ref=callback.order_ref).first()
        return _refused(provider.code, channel, params, exc, ip=ip, payment=known, callback=callback)
