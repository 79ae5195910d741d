"""In Debian's Chromium: a citizen pays the fee of a submitted dossier in the sandbox gateway. The gateway sends its
server-to-server notification over HTTP to the live server before sending the browser back, so the citizen lands on
"Đã thanh toán", downloads the receipt, and the dossier shows paid on the citizen's page, the officer's page, the API
and in the database."""

import re

import pytest
from django.core.management import call_command

from tinhso.core.models import Agency, User
from tinhso.onestop.models import Dossier
from tinhso.payments.models import Payment, PaymentCallback, SandboxTransaction

from .conftest import PASSWORD, submitted

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, base, username):
    page.context.clear_cookies()
    page.goto(base + "/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r"/tai-khoan/"))


def test_a_citizen_pays_a_fee_in_the_sandbox(live_server, page, settings):
    settings.TINHSO = {**settings.TINHSO, "PAYMENT": {**settings.TINHSO["PAYMENT"], "SANDBOX_SEND_IPN": True}}
    call_command("demo")
    base = live_server.url
    dossier = submitted(User.objects.get(username="congdan"), Agency.objects.get(code="000.00.20.H37"))

    # 1. The dossier page offers the payment
    sign_in(page, base, "congdan")
    page.goto(f"{base}/ho-so-cua-toi/{dossier.pk}/")
    panel = page.locator("#thanh-toan")
    assert panel.get_by_test_id("fee-state").inner_text() == "Chưa thanh toán"
    assert "100.000 đồng" in panel.inner_text()
    panel.get_by_role("button", name="Thanh toán phí, lệ phí").click()

    # 2. The sandbox gateway: clearly a test gateway; the citizen pays
    page.get_by_role("heading", name="Cổng thanh toán thử nghiệm").wait_for()
    assert "100.000 đồng" in page.locator(".sandbox-gateway").inner_text()
    page.get_by_role("button", name="Thanh toán", exact=True).click()

    # 3. Back on the platform: confirmed by the gateway's notification, receipt available
    page.wait_for_url(re.compile(r"/thanh-toan/don-hang/TS"))
    page.get_by_test_id("order-state").filter(has_text="Đã thanh toán").wait_for()
    receipt = page.get_by_role("link", name="Tải biên lai điện tử (PDF)")
    pdf = page.request.get(base + receipt.get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
    txn = SandboxTransaction.objects.get()
    assert txn.ipn_status == "delivered" and '"confirmed"' in txn.ipn_response
    assert PaymentCallback.objects.filter(channel="ipn", outcome="accepted").count() == 1

    page.goto(f"{base}/ho-so-cua-toi/{dossier.pk}/")
    panel = page.locator("#thanh-toan")
    assert panel.get_by_test_id("fee-state").inner_text() == "Đã thanh toán"
    assert panel.get_by_role("link", name=re.compile("Biên lai điện tử")).count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
    api = page.request.get(f"{base}/api/payments/dossiers/{dossier.pk}").json()
    assert (api["payment_state"], api["fee"]["state"], api["paid_online"]) == ("paid", "paid", 2)

    # 4. The desk sees the same
    sign_in(page, base, "tiepnhan")
    page.goto(f"{base}/can-bo/ho-so/{dossier.pk}/")
    panel = page.locator("#thanh-toan")
    assert panel.get_by_test_id("fee-state").inner_text() == "Đã thanh toán"
    payment = Payment.objects.get()
    assert payment.receipt_number in panel.inner_text()
    assert page.request.get(f"{base}/api/payments/dossiers/{dossier.pk}").json()["payment_state"] == "paid"
    dossier = Dossier.objects.get(pk=dossier.pk)
    assert (dossier.payment_state, dossier.paid_online, dossier.paid_at) == ("paid", 2, payment.paid_at)
