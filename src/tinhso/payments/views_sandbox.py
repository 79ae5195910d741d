"""The sandbox gateway's pages (the bank's side, ``providers/sandbox.py``), served only where the sandbox is enabled:
the payment page ("Cổng thanh toán thử nghiệm") and the settlement file of a day."""

from datetime import datetime
from functools import wraps

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from tinhso.core.errors import Forbidden

from . import queries
from .providers import sandbox


def sandbox_only(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not sandbox.enabled():
            raise Http404("Cổng thanh toán thử nghiệm không được bật trên hệ thống này.")
        return view(request, *args, **kwargs)

    return never_cache(wrapper)


def _ipn_url(request) -> str:
    if not sandbox.config().get("SANDBOX_SEND_IPN", True):
        return ""
    return sandbox.config().get("SANDBOX_IPN_URL") or request.build_absolute_uri(
        reverse("api:payments_ipn", kwargs={"provider": sandbox.SandboxProvider.code}))


@require_http_methods(["GET", "POST"])
@sandbox_only
def pay(request):
    """GET: the signed pay request → the payment page. POST: the customer pays or cancels → the ledger line, the IPN
    to the merchant, the browser back to the merchant's return URL with the signed result."""
    gateway = sandbox.Gateway()
    data = request.POST if request.method == "POST" else request.GET
    try:
        pay_request = gateway.check(data)
    except sandbox.GatewayError as exc:
        return render(request, "payments/sandbox/error.html", {"error": exc}, status=400)
    if request.method == "GET":
        return render(request, "payments/sandbox/pay.html", {
            "req": pay_request, "banks": sandbox.BANKS,
            "hidden": sorted(pay_request.params.items()),
        })
    action = "cancel" if request.POST.get("action") == "cancel" else "pay"
    bank = request.POST.get("bank", "")
    if action == "pay" and bank not in dict(sandbox.BANKS):
        return render(request, "payments/sandbox/pay.html", {
            "req": pay_request, "banks": sandbox.BANKS, "hidden": sorted(pay_request.params.items()),
            "error": "Hãy chọn ngân hàng hoặc thẻ thử nghiệm."}, status=400)
    scenario = request.POST.get("scenario", "")
    code = sandbox.INSUFFICIENT_FUNDS if action == "pay" and scenario == "insufficient" else None
    try:
        txn = gateway.complete(pay_request, action=action, bank_code=bank, response_code=code,
                               ipn_url="" if scenario == "no_ipn" else _ipn_url(request))
    except sandbox.GatewayError as exc:
        return render(request, "payments/sandbox/error.html", {"error": exc}, status=409)
    gateway.send_ipn(txn)
    return redirect(gateway.return_url(txn))


@require_GET
@sandbox_only
def settlement(request):
    """The sandbox's settlement file of a day (``?ngay=YYYY-MM-DD``), for the staff who reconcile."""
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    try:
        queries.reconciliation_scope(request.user)
    except Forbidden as exc:
        return render(request, "payments/forbidden.html", {"message": exc.message}, status=403)
    try:
        day = datetime.strptime(request.GET.get("ngay", ""), "%Y-%m-%d").date()
    except ValueError:
        day = timezone.localdate()
    response = HttpResponse(sandbox.Gateway().settlement_csv(day), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="sandbox-settlement-{day:%Y-%m-%d}.csv"'
    return response
