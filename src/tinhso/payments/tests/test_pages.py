"""Payment through the pages and the API: the citizen's page, the officer's page, the API and the dossier row say the
same thing at every step; nobody else's dossier can be seen or paid; the desk's fee actions; the receipt; the
reconciliation report; the sandbox gateway's own refusals."""

import io
import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from tinhso.onestop.models import Dossier
from tinhso.payments.models import FeeRule, Payment, PaymentState, SandboxTransaction

from .conftest import FEE, gateway_pays, ipn, login, start, submitted

HTMX = {"HTTP_HX_REQUEST": "true"}


def citizen_page(client, dossier) -> str:
    response = client.get(reverse("onestop:citizen-dossier", args=[dossier.pk]))
    assert response.status_code == 200
    return response.content.decode()


def staff_page(client, dossier) -> str:
    response = client.get(reverse("onestop:staff-dossier", args=[dossier.pk]))
    assert response.status_code == 200
    return response.content.decode()


def api_state(client, dossier) -> dict:
    response = client.get(f"/api/payments/dossiers/{dossier.pk}")
    assert response.status_code == 200, response.content
    return response.json()


def panel(html: str) -> str:
    """The payment panel of a page (the part between its heading and the end of its section)."""
    start_at = html.index('id="h-payment"')
    return html[start_at:html.index("</section>", start_at)]


def assert_everywhere(client, people, dossier, *, fee_label, fee_state, row_state):
    """The citizen's page, the officer's page, both API readers and the dossier row agree."""
    login(client, people["congdan"])
    assert fee_label in panel(citizen_page(client, dossier))
    assert api_state(client, dossier)["fee"]["state"] == fee_state
    citizen_api = api_state(client, dossier)
    login(client, people["tiepnhan"])
    assert fee_label in panel(staff_page(client, dossier))
    staff_api = api_state(client, dossier)
    assert staff_api == citizen_api
    assert Dossier.objects.get(pk=dossier.pk).payment_state == row_state == staff_api["payment_state"]
    return staff_api


def test_a_fee_paid_in_the_sandbox_shows_the_same_state_everywhere(client, people, dossier):
    state = assert_everywhere(client, people, dossier, fee_label="Chưa thanh toán", fee_state="unpaid", row_state="")
    assert state["fee"]["amount"] == FEE and state["payments"] == [] and state["provider_is_test"]

    login(client, people["congdan"])
    html = panel(citizen_page(client, dossier))
    assert "100.000 đồng" in html and "Thanh toán phí, lệ phí" in html and "thử nghiệm" in html
    response = client.post(reverse("payments:start", args=[dossier.pk]), {"purpose": "fee"})
    assert response.status_code == 302
    gateway = urlsplit(response["Location"])
    assert gateway.path == "/thanh-toan/sandbox/thanh-toan/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Cổng thanh toán thử nghiệm" in page.content.decode() and "100.000 đồng" in page.content.decode()

    state = assert_everywhere(client, people, dossier, fee_label="Chờ thanh toán", fee_state="requested",
                              row_state="requested")
    assert [p["state"] for p in state["payments"]] == ["pending"]
    login(client, people["congdan"])
    assert "Đang chờ cổng thanh toán xác nhận" in citizen_page(client, dossier)

    # the citizen pays at the gateway; the browser comes back before the gateway's notification
    form = {k: v for k, v in re.findall(r'<input type="hidden" name="(ts_[a-z_]+)" value="([^"]*)"',
                                        page.content.decode())}
    back = client.post(reverse("payments:sandbox-pay"), {**form, "bank": "TSBANK", "action": "pay"})
    assert back.status_code == 302 and back["Location"].startswith("http://testserver/thanh-toan/ket-qua/sandbox/?")
    order = client.get(back["Location"], follow=True)
    assert "Đang chờ xác nhận thanh toán" in order.content.decode()
    txn = SandboxTransaction.objects.get()
    assert txn.ipn_status == "skipped"  # switched off in these tests: the test delivers it below
    assert_everywhere(client, people, dossier, fee_label="Chờ thanh toán", fee_state="requested",
                      row_state="requested")

    assert ipn(client, txn.callback).json()["code"] == "confirmed"
    state = assert_everywhere(client, people, dossier, fee_label="Đã thanh toán", fee_state="paid",
                              row_state="paid")
    assert state["paid_online"] == 2 and state["payments"][0]["receipt_url"]
    login(client, people["congdan"])
    payment = Payment.objects.get()
    partial = client.get(reverse("payments:order", args=[payment.order_ref]), **HTMX).content.decode()
    assert "Đã thanh toán" in partial and "hx-trigger" not in partial  # the waiting page stops polling
    assert "Biên lai điện tử (PDF)" in panel(citizen_page(client, dossier))
    login(client, people["tiepnhan"])
    assert payment.receipt_number in panel(staff_page(client, dossier))


def _paid(client, people, dossier):
    started = start(dossier.applicant, dossier)
    assert ipn(client, gateway_pays(started.url).callback).json()["code"] == "confirmed"
    started.payment.refresh_from_db()
    return started.payment


def test_the_receipt_is_a_pdf_in_vietnamese_with_the_amount_in_words(client, people, dossier):
    started = start(people["congdan"], dossier)
    login(client, people["congdan"])
    unpaid = client.get(reverse("payments:receipt", args=[started.payment.order_ref]), follow=True)
    assert "chưa được thanh toán nên chưa có biên lai" in unpaid.content.decode()
    assert ipn(client, gateway_pays(started.url).callback).json()["code"] == "confirmed"
    payment = Payment.objects.get()
    for user in ("congdan", "tiepnhan"):
        login(client, people[user])
        response = client.get(reverse("payments:receipt", args=[payment.order_ref]))
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(PdfReader(io.BytesIO(response.content)).pages[0].extract_text().split())
    for expected in ("BIÊN LAI THU PHÍ, LỆ PHÍ", f"Số: {payment.receipt_number}", "Hoàng Văn Minh",
                     "Một trăm nghìn đồng", "100.000 đồng", "GIAO DỊCH THỬ NGHIỆM", payment.provider_txn,
                     "Phí công bố nội dung đăng ký doanh nghiệp", "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG"):
        assert expected in text, expected


def test_nobody_else_sees_or_pays_the_dossier(client, people, centre, dossier):
    started = start(people["congdan"], dossier)
    ref = started.payment.order_ref
    login(client, people["doanhnghiep"])
    assert client.post(reverse("payments:start", args=[dossier.pk]), {"purpose": "fee"}).status_code == 404
    assert client.get(f"/api/payments/dossiers/{dossier.pk}").status_code == 404
    response = client.post(f"/api/payments/dossiers/{dossier.pk}/start", {"purpose": "fee"},
                           content_type="application/json")
    assert response.status_code == 404 and response.json()["code"] == "dossier_not_found"
    assert client.get(reverse("payments:order", args=[ref])).status_code == 404
    assert client.get(reverse("payments:receipt", args=[ref])).status_code == 404
    login(client, people["tiepnhan.lvt"])  # a commune's desk: not this dossier
    assert client.get(f"/api/payments/dossiers/{dossier.pk}").status_code == 404
    assert client.post(reverse("payments:request-fee", args=[dossier.pk])).status_code == 404
    assert client.get(reverse("payments:order", args=[ref])).status_code == 404
    login(client, people["tiepnhan"])  # the desk that received it may look, not pay for the citizen
    assert client.get(reverse("payments:order", args=[ref])).status_code == 200
    response = client.post(f"/api/payments/dossiers/{dossier.pk}/start", {"purpose": "fee"},
                           content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    client.logout()
    assert client.get(f"/api/payments/dossiers/{dossier.pk}").status_code == 401
    assert client.post(reverse("payments:start", args=[dossier.pk]), {"purpose": "fee"}).status_code == 302
    assert Payment.objects.count() == 1


def test_the_api_starts_a_payment(client, settings, people, dossier):
    login(client, people["congdan"])
    url = f"/api/payments/dossiers/{dossier.pk}/start"
    response = client.post(url, {"purpose": "fee"}, content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["amount"] == FEE and body["currency"] == "VND"
    assert body["pay_url"].startswith("http://testserver/thanh-toan/sandbox/thanh-toan/?")
    assert client.get(body["pay_url"]).status_code == 200
    response = client.post(url, {"purpose": "donation"}, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "invalid_purpose"
    response = client.post(url, {"purpose": "fee", "copies": 0}, content_type="application/json")
    assert response.status_code == 422 and response.json()["code"] == "invalid_input"
    response = client.post(url, {"purpose": "obligation"}, content_type="application/json")
    assert response.status_code == 409 and response.json()["code"] == "not_payable"
    settings.TINHSO = {**settings.TINHSO, "PAYMENT": {**settings.TINHSO["PAYMENT"], "SANDBOX_ENABLED": False}}
    response = client.post(url, {"purpose": "fee"}, content_type="application/json")
    assert response.status_code == 503 and response.json()["code"] == "payment_unavailable"
    assert api_state(client, dossier)["online_payment"] is False


def test_the_desk_requests_sets_or_waives_the_fee(client, people, centre, dossier):
    login(client, people["giamdoc.stp"])  # a leader of another agency
    client.post(reverse("payments:request-fee", args=[dossier.pk]))
    assert Dossier.objects.get(pk=dossier.pk).payment_state == ""
    login(client, people["tiepnhan"])
    response = client.post(reverse("payments:request-fee", args=[dossier.pk]), follow=True)
    assert "Đã yêu cầu người nộp thanh toán phí, lệ phí." in response.content.decode()
    row = Dossier.objects.get(pk=dossier.pk)
    assert (row.payment_state, row.fee_amount) == ("requested", FEE)
    assert row.events.filter(action="fee_requested").count() == 1
    again = client.post(reverse("payments:request-fee", args=[dossier.pk]), follow=True)
    assert "Đã yêu cầu nộp phí, lệ phí 100.000 đồng." in again.content.decode()
    refused = client.post(reverse("payments:waive", args=[dossier.pk]), {"reason": "  "}, follow=True)
    assert "Hãy ghi lý do miễn phí, lệ phí" in refused.content.decode()
    client.post(reverse("payments:waive", args=[dossier.pk]), {"reason": "Người khuyết tật (Điều 5)"})
    assert Dossier.objects.get(pk=dossier.pk).payment_state == "waived"
    login(client, people["congdan"])
    html = panel(citizen_page(client, dossier))
    assert "Miễn phí, lệ phí" in html and "Thanh toán phí, lệ phí" not in html
    refused = client.post(reverse("payments:start", args=[dossier.pk]), {"purpose": "fee"}, follow=True)
    assert "Hồ sơ được miễn phí, lệ phí." in refused.content.decode()

    # a fee the rules cannot compute: the desk sets the amount, then the citizen can pay it
    other = submitted(people["congdan"], centre)
    FeeRule.objects.create(fee=other.channel.fees.get(), rule={"kind": "manual", "note": "Theo số trang thực tế"})
    html = panel(citizen_page(client, other))
    assert "Cơ quan sẽ thông báo số tiền" in html and "Thanh toán phí, lệ phí" not in html
    login(client, people["tiepnhan"])
    assert 'name="amount"' in panel(staff_page(client, other))
    client.post(reverse("payments:request-fee", args=[other.pk]), {"amount": "250.000"})
    assert Dossier.objects.get(pk=other.pk).fee_amount == 250000
    login(client, people["congdan"])
    assert "Thanh toán phí, lệ phí" in panel(citizen_page(client, other))
    assert start(people["congdan"], other).payment.amount == 250000


def test_a_procedure_without_fees_shows_no_payment_panel(client, people):
    from tinhso.core.models import Agency

    free = submitted(people["congdan"], Agency.objects.get(code="000.01.31.H37"), code="1.000656")
    login(client, people["congdan"])
    assert 'id="h-payment"' not in citizen_page(client, free)
    assert api_state(client, free)["fee"]["state"] == "none"


def test_reconciliation_finds_every_kind_of_difference(client, people, centre, dossier):
    matched = _paid(client, people, dossier)
    # paid twice (a second tab): the gateway settled both, the platform recorded one → missing on our side
    second = submitted(people["congdan"], centre)
    first_order = start(people["congdan"], second)
    second_order = start(people["congdan"], second)
    ipn(client, gateway_pays(second_order.url).callback)
    assert ipn(client, gateway_pays(first_order.url).callback).json()["code"] == "already_paid"
    # recorded here but absent from the provider's list → missing on the provider's side
    third = submitted(people["doanhnghiep"], centre)
    lost = _paid(client, people, third)
    SandboxTransaction.objects.filter(order_ref=lost.order_ref).delete()

    login(client, people["tiepnhan"])
    today = timezone.localdate().strftime("%d/%m/%Y")
    page = client.get(reverse("payments:reconciliation"), {"ngay": today})
    assert page.status_code == 200
    report = page.context["report"]
    assert {(r.category, r.order_ref) for r in report.rows} == {
        ("matched", matched.order_ref), ("matched", second_order.payment.order_ref),
        ("missing_ours", first_order.payment.order_ref), ("missing_provider", lost.order_ref)}
    assert "Có chênh lệch cần xử lý" in page.content.decode()
    assert page.context["totals"][0]["count"] == 3

    csv_text = client.get(reverse("payments:reconciliation-csv"), {"ngay": today}).content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("ket_qua,ma_don_hang")
    assert "Cổng có, hệ thống không ghi nhận" in csv_text and lost.order_ref in csv_text

    # the provider's file, uploaded, with one amount changed
    settlement = client.get(reverse("payments:sandbox-settlement"),
                            {"ngay": timezone.localdate().isoformat()}).content.decode()
    assert settlement.splitlines()[0] == "txn_no,order_ref,amount,currency,pay_date,bank_code,response_code"
    changed = settlement.replace(f"{matched.order_ref},{FEE},", f"{matched.order_ref},{FEE - 1},")
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("doi-soat.csv", changed.encode(), content_type="text/csv")
    page = client.post(reverse("payments:reconciliation"), {"ngay": today, "file": upload})
    assert page.status_code == 200 and page.context["report"].source == "file"
    assert ("amount_differs", matched.order_ref) in {(r.category, r.order_ref) for r in page.context["report"].rows}

    bad = SimpleUploadedFile("x.csv", b"a,b\n1,2\n", content_type="text/csv")
    page = client.post(reverse("payments:reconciliation"), {"ngay": today, "file": bad})
    assert page.status_code == 400 and "Dòng tiêu đề của tệp đối soát" in page.content.decode()
    page = client.get(reverse("payments:reconciliation"), {"ngay": "31/02/2026"})
    assert page.status_code == 400 and "Ngày không hợp lệ" in page.content.decode()

    for outsider in ("chuyenvien.stp", "congdan"):
        login(client, people[outsider])
        assert client.get(reverse("payments:reconciliation")).status_code == 403
        assert client.get(reverse("payments:reconciliation-csv")).status_code == 403
    login(client, people["tiepnhan.lvt"])  # another desk: none of these payments
    report = client.get(reverse("payments:reconciliation"), {"ngay": today}).context["report"]
    assert report.rows == []


def test_the_sandbox_gateway_refuses_bad_requests(client, people, dossier):
    started = start(people["congdan"], dossier)
    gateway = reverse("payments:sandbox-pay")
    response = client.get(gateway)
    assert response.status_code == 400 and "wrong_merchant" in response.content.decode()
    tampered = started.url.replace("ts_amount=", "ts_amount=1")
    response = client.get(tampered)
    assert response.status_code == 400 and "bad_signature" in response.content.decode()
    page = client.get(started.url).content.decode()
    form = dict(re.findall(r'<input type="hidden" name="(ts_[a-z_]+)" value="([^"]*)"', page))
    response = client.post(gateway, {**form, "action": "pay", "bank": "NOBANK"})
    assert response.status_code == 400 and "Hãy chọn ngân hàng" in response.content.decode()
    response = client.post(gateway, {**form, "action": "pay", "bank": "TSBANK", "scenario": "insufficient"})
    assert response.status_code == 302
    assert SandboxTransaction.objects.get().response_code == "51"
    response = client.post(gateway, {**form, "action": "pay", "bank": "TSBANK"})
    assert response.status_code == 400 and "order_processed" in response.content.decode()
    assert SandboxTransaction.objects.count() == 1
    assert ipn(client, SandboxTransaction.objects.get().callback).json()["code"] == "recorded"
    started.payment.refresh_from_db()
    assert started.payment.state == PaymentState.FAILED
    assert started.payment.close_reason == "Tài khoản không đủ số dư"


@pytest.mark.parametrize("path", ["/thanh-toan/sandbox/thanh-toan/", "/thanh-toan/sandbox/doi-soat.csv"])
def test_the_sandbox_pages_do_not_exist_where_it_is_off(client, settings, path):
    settings.TINHSO = {**settings.TINHSO, "PAYMENT": {**settings.TINHSO["PAYMENT"], "SANDBOX_ENABLED": False}}
    assert client.get(path).status_code == 404


def test_production_settings_switch_the_sandbox_off(monkeypatch):
    import importlib
    import sys

    monkeypatch.setenv("DJANGO_SECRET_KEY", "x" * 50)
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "portal.example.vn")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@localhost/tinhso")
    monkeypatch.setenv("TINHSO_PAYMENT_SANDBOX", "1")
    sys.modules.pop("tinhso.settings.prod", None)
    prod = importlib.import_module("tinhso.settings.prod")
    try:
        assert prod.TINHSO["PAYMENT"]["SANDBOX_ENABLED"] is False
    finally:
        sys.modules.pop("tinhso.settings.prod", None)
