"""Online payment API (``/api/payments``).

- ``GET /dossiers/{id}``: a dossier's payment state, for its applicant or the staff who see it (the same reading as
  the pages: ``queries.dossier_payments``).
- ``POST /dossiers/{id}/start``: the applicant starts paying; answers the provider's pay URL to send the browser to.
- ``POST /ipn/{provider}``: the provider's server-to-server notification (form-encoded, signed). No session: the
  signature is the authentication. Answers JSON ``{code, message, rsp_code}``: 200 for ``confirmed``, ``recorded``
  (a failure recorded) and ``already_confirmed`` (a duplicate, nothing changed); 4xx for a refusal with a stable code
  (``bad_signature``, ``unknown_order``, ``amount_mismatch``, ``currency_mismatch``, ``order_expired``,
  ``not_redirected``, ``state_conflict``, ``duplicate_payment``, ``duplicate_transaction``, ``already_paid``,
  ``not_payable``, ``malformed``, ``wrong_merchant``, ``unknown_provider``). docs/payments.md.

Session calls are CSRF-checked; refusals are ``{code, message, field}``.
"""

from datetime import date, datetime

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.security import SessionAuth

from tinhso.core.api import ErrorOut
from tinhso.core.errors import DomainError, Forbidden
from tinhso.core.middleware import client_ip

from . import providers, queries, services
from .models import PaymentCallback


class NotAuthenticated(DomainError):
    status = 401


class SignedIn(SessionAuth):
    """Django's session, any signed-in account, with the API's error format."""

    def _get_key(self, request: HttpRequest):
        try:
            return super()._get_key(request)
        except HttpError as exc:
            raise Forbidden("Thiếu hoặc sai mã CSRF; hãy tải lại trang rồi thử lại.", code="csrf_failed") from exc

    def authenticate(self, request: HttpRequest, key):
        if not request.user.is_authenticated:
            raise NotAuthenticated("not_authenticated", "Hãy đăng nhập.")
        return request.user


router = Router(tags=["Thanh toán trực tuyến"])


class QuoteLineOut(Schema):
    label: str
    kind: str | None
    amount: int | None
    unit_amount: int | None
    detail: str
    source: str = Field(description="text: quy tắc đọc từ danh mục; rule: quy tắc do quản trị lưu")


class QuoteOut(Schema):
    total: int | None
    complete: bool
    copies: int
    pages: int
    on: date | None
    needs: list[str] = Field(description="Số lượng cần nhập để tính: copies (số bản), pages (số trang mỗi bản)")
    lines: list[QuoteLineOut]


class FeeOut(Schema):
    state: str = Field(description="none, unknown, unpaid, requested, paid, waived")
    label: str
    amount: int | None
    can_pay: bool
    quote: QuoteOut | None


class ObligationOut(Schema):
    state: str = Field(description="none, requested, paid_online, paid_at_desk")
    label: str
    amount: int | None
    can_pay: bool


class PaymentOut(Schema):
    order_ref: str
    purpose: str
    purpose_label: str
    amount: int
    currency: str
    provider: str
    state: str = Field(description="created, pending, paid, failed, cancelled, expired")
    state_label: str
    provider_txn: str | None
    created_at: datetime
    expires_at: datetime
    paid_at: datetime | None
    receipt_number: str | None
    receipt_url: str | None


class PaymentStateOut(Schema):
    dossier_id: int
    dossier_code: str | None
    payment_state: str = Field(description="Trạng thái thanh toán của hồ sơ: rỗng, requested, paid, waived")
    payment_state_label: str
    fee_amount: int | None
    paid_online: int = Field(description="DuocThanhToanTrucTuyen: 0, 1 (Cổng DVCQG), 2 (cổng của địa phương)")
    paid_at: datetime | None
    fee: FeeOut
    obligation: ObligationOut
    online_payment: bool
    provider: str
    provider_is_test: bool
    payments: list[PaymentOut]


class StartIn(Schema):
    purpose: str = Field(description="fee (phí, lệ phí) hoặc obligation (nghĩa vụ tài chính)")
    copies: int = Field(1, ge=1, le=1000)
    pages: int = Field(1, ge=1, le=1000)


class StartOut(Schema):
    order_ref: str
    amount: int
    currency: str
    expires_at: datetime
    pay_url: str = Field(description="Chuyển trình duyệt của người nộp tới địa chỉ này")


class IpnOut(Schema):
    code: str
    message: str
    rsp_code: str = Field(description="Mã trả lời theo quy ước của cổng (00 ghi nhận, 02 đã xác nhận trước đó…)")


@router.get("/dossiers/{dossier_id}", response={200: PaymentStateOut, 401: ErrorOut, 404: ErrorOut}, auth=SignedIn(),
            summary="Trạng thái thanh toán của một hồ sơ (người nộp hoặc cán bộ được xem hồ sơ)")
def dossier_state(request: HttpRequest, dossier_id: int):
    dossier = queries.dossier_for(request.auth, dossier_id)
    return queries.as_dict(queries.dossier_payments(dossier))


@router.post("/dossiers/{dossier_id}/start", response={200: StartOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                                                       409: ErrorOut, 503: ErrorOut},
             auth=SignedIn(), summary="Người nộp bắt đầu thanh toán phí, lệ phí hoặc nghĩa vụ tài chính")
def start(request: HttpRequest, dossier_id: int, payload: StartIn):
    dossier = queries.dossier_for(request.auth, dossier_id)
    provider = providers.configured()
    started = services.start_payment(
        request.auth, dossier, purpose=payload.purpose, client_ip=client_ip(request),
        return_url=request.build_absolute_uri(reverse("payments:return", args=[provider.code])),
        copies=payload.copies, pages=payload.pages)
    payment = started.payment
    return {"order_ref": payment.order_ref, "amount": payment.amount, "currency": payment.currency,
            "expires_at": payment.expires_at, "pay_url": request.build_absolute_uri(started.url)}


@router.post("/ipn/{provider}", response={200: IpnOut, 400: IpnOut, 404: IpnOut, 409: IpnOut}, auth=None,
             url_name="payments_ipn", summary="Thông báo kết quả thanh toán từ cổng (IPN, máy chủ – máy chủ)")
def ipn(request: HttpRequest, provider: str):
    outcome = services.handle_callback(provider, request.POST, channel=PaymentCallback.Channel.IPN,
                                       ip=client_ip(request))
    try:
        rsp_code = providers.get(provider).acknowledgement(outcome.code)
    except DomainError:
        rsp_code = "99"
    return JsonResponse({"code": outcome.code, "message": outcome.message, "rsp_code": rsp_code},
                        status=outcome.status, json_dumps_params={"ensure_ascii": False})
