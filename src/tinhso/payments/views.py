"""Pages of online payment (thin: they validate input, call ``services`` / ``queries`` and render).

- the applicant starts a payment from the dossier's panel and is sent to the provider;
- the provider sends the browser back (``return_view``): verified and logged, then the order's page, which waits for
  the provider's server-to-server notification when it has not arrived yet;
- the receipt (PDF), the desk's fee actions, the reconciliation report (page and CSV).
"""

import csv
from datetime import date, datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tinhso.core.errors import DomainError, Forbidden, NotFound
from tinhso.core.middleware import client_ip

from . import providers, queries, receipts, services
from .models import PaymentCallback, PaymentState


def _dossier_page(request, dossier_pk: int) -> str:
    if getattr(request.user, "is_applicant", False):
        return reverse("onestop:citizen-dossier", args=[dossier_pk]) + "#thanh-toan"
    return reverse("onestop:staff-dossier", args=[dossier_pk]) + "#thanh-toan"


def _int(value, default: int = 1) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _signed_in(view):
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapper.__name__, wrapper.__doc__ = view.__name__, view.__doc__
    return never_cache(wrapper)


# --- the applicant pays -------------------------------------------------------------------------------------------

@require_POST
@_signed_in
def start(request, pk: int):
    """Start a payment (the fee, or the financial obligation) and send the browser to the provider."""
    try:
        dossier = queries.dossier_for(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    try:
        provider = providers.configured()
        return_url = request.build_absolute_uri(reverse("payments:return", args=[provider.code]))
        started = services.start_payment(
            request.user, dossier, purpose=request.POST.get("purpose", ""), return_url=return_url,
            client_ip=client_ip(request), copies=_int(request.POST.get("copies")),
            pages=_int(request.POST.get("pages")))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(_dossier_page(request, pk))
    return redirect(started.url)


@require_GET
@never_cache
def return_view(request, provider: str):
    """The provider sends the browser back here with signed parameters. Verified and logged; the IPN decides."""
    outcome = services.handle_callback(provider, request.GET, channel=PaymentCallback.Channel.RETURN,
                                       ip=client_ip(request))
    if outcome.payment is not None and outcome.code != "bad_signature":
        if outcome.outcome == PaymentCallback.Outcome.REFUSED:
            messages.error(request, outcome.message)
        return redirect("payments:order", order_ref=outcome.payment.order_ref)
    return render(request, "payments/return_refused.html", {"outcome": outcome}, status=400)


def _order_context(request, order_ref: str) -> dict:
    try:
        payment = queries.payment_for(request.user, order_ref)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    reported = services.return_reported_success(payment)
    return {
        "payment": payment, "dossier": payment.dossier,
        "dossier_url": _dossier_page(request, payment.dossier_id),
        "waiting": payment.state in (PaymentState.CREATED, PaymentState.PENDING),
        "reported_success": reported is True,
        "reported_failure": reported is False,
        "can_retry": payment.state != PaymentState.PAID and services.is_owner(request.user, payment.dossier),
    }


@require_GET
@_signed_in
def order(request, order_ref: str):
    """One order: paid (with the receipt), waiting for the provider's confirmation (the page refreshes itself), or
    not paid (with a way to try again)."""
    context = _order_context(request, order_ref)
    if request.htmx:
        return render(request, "payments/_order_state.html", context)
    return render(request, "payments/order.html", context)


@require_GET
@_signed_in
def receipt(request, order_ref: str):
    try:
        payment = queries.payment_for(request.user, order_ref)
        pdf = receipts.receipt_pdf(payment)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("payments:order", order_ref=order_ref)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="bien-lai-{payment.receipt_number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- the desk -----------------------------------------------------------------------------------------------------

def _staff_dossier(request, pk: int):
    try:
        return queries.dossier_for(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@require_POST
@_signed_in
def request_fee(request, pk: int):
    dossier = _staff_dossier(request, pk)
    raw_amount = request.POST.get("amount", "").strip().replace(".", "")
    try:
        amount = None
        if raw_amount:
            if not raw_amount.isdigit():
                raise DomainError("invalid_amount", "Số tiền phải là số nguyên dương (đồng).", field="amount")
            amount = int(raw_amount)
        services.request_fee(request.user, dossier, copies=_int(request.POST.get("copies")),
                             pages=_int(request.POST.get("pages")), amount=amount)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Đã yêu cầu người nộp thanh toán phí, lệ phí.")
    return redirect(_dossier_page(request, pk))


@require_POST
@_signed_in
def waive(request, pk: int):
    dossier = _staff_dossier(request, pk)
    try:
        services.waive_fee(request.user, dossier, request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Đã ghi nhận miễn phí, lệ phí cho hồ sơ.")
    return redirect(_dossier_page(request, pk))


# --- reconciliation -----------------------------------------------------------------------------------------------

def _day(raw: str) -> date | None:
    raw = (raw or "").strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    return None


@require_http_methods(["GET", "POST"])
@login_required
@never_cache
def reconciliation(request):
    """Our payments of a day against the provider's settlement list (fetched, or a file the provider delivered)."""
    raw_day = request.POST.get("ngay") if request.method == "POST" else request.GET.get("ngay")
    day = _day(raw_day) if raw_day else timezone.localdate()
    context = {"day": day, "raw_day": raw_day or day.strftime("%d/%m/%Y"), "report": None, "totals": [],
               "error": ""}
    status = 200
    try:
        if day is None:
            raise DomainError("invalid_date", "Ngày không hợp lệ; hãy nhập theo dạng ngày/tháng/năm, ví dụ 23/11/2026.",
                              field="ngay")
        rows = None
        if request.method == "POST":
            upload = request.FILES.get("file")
            if upload is None:
                raise DomainError("file_required", "Hãy chọn tệp đối soát (CSV) của cổng thanh toán.", field="file")
            rows = providers.configured().parse_settlement_csv(upload.read(2_000_001))
        context["report"] = queries.reconcile(request.user, day, provider_rows=rows)
        context["totals"] = queries.daily_totals(request.user, until=day)
    except Forbidden as exc:
        return render(request, "payments/forbidden.html", {"message": exc.message}, status=403)
    except DomainError as exc:
        context["error"], status = exc.message, 400
    return render(request, "payments/reconciliation.html", context, status=status)


@require_GET
@login_required
@never_cache
def reconciliation_csv(request):
    day = _day(request.GET.get("ngay", "")) or timezone.localdate()
    try:
        report = queries.reconcile(request.user, day)
    except Forbidden as exc:
        return render(request, "payments/forbidden.html", {"message": exc.message}, status=403)
    except DomainError as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="doi-soat-{day:%Y-%m-%d}.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 with its byte-order mark
    writer = csv.writer(response)
    writer.writerow(["ket_qua", "ma_don_hang", "ma_giao_dich", "so_tien_he_thong", "so_tien_cong",
                     "thoi_diem_he_thong", "thoi_diem_cong", "ma_ho_so"])
    for row in report.rows:
        writer.writerow([row.label, row.order_ref, row.provider_txn, row.our_amount or "", row.provider_amount or "",
                         timezone.localtime(row.paid_at).isoformat(timespec="seconds") if row.paid_at else "",
                         timezone.localtime(row.provider_paid_at).isoformat(timespec="seconds")
                         if row.provider_paid_at else "",
                         (row.payment.dossier.code or row.payment.dossier_id) if row.payment else ""])
    return response
