"""The payment protocol and its bad cases: forged or missing signatures, wrong amounts and currencies, duplicate and
replayed callbacks, callbacks for unknown orders or orders never sent, expired orders, a second payment of something
already paid. Every refusal has a stable code, is logged, and changes nothing; nothing is recorded twice."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tinhso.core.models import AuditEvent
from tinhso.onestop import services as onestop
from tinhso.onestop.models import Dossier, DossierEvent, PaidOnline, Status
from tinhso.payments import services
from tinhso.payments.models import Payment, PaymentCallback, PaymentState
from tinhso.payments.providers import sandbox

from .conftest import FEE, gateway_pays, gateway_request, ipn, resign, return_url, start, step_actor, submitted


def test_the_signature_covers_every_parameter_in_any_order():
    secret = "s3cret"
    params = sandbox.signed({"ts_amount": "10000000", "ts_order_ref": "TS1", "ts_order_info": "phi ho so",
                             "ts_empty": ""}, secret)
    assert sandbox.verify(params, secret)
    assert sandbox.verify(dict(reversed(list(params.items()))), secret)
    assert sandbox.canonical(params) == "ts_amount=10000000&ts_order_info=phi+ho+so&ts_order_ref=TS1"
    assert len(params[sandbox.HASH_FIELD]) == 128  # hex of HMAC-SHA512
    assert sandbox.verify({**params, "utm_source": "x"}, secret)  # only ts_* parameters are signed
    for key in ("ts_amount", "ts_order_ref", "ts_order_info"):
        assert not sandbox.verify({**params, key: params[key] + "0"}, secret)
    assert not sandbox.verify({**params, "ts_extra": "1"}, secret)
    assert not sandbox.verify(params, "another-secret")
    assert not sandbox.verify({k: v for k, v in params.items() if k != sandbox.HASH_FIELD}, secret)


def test_the_pay_url_is_signed_and_the_gateway_refuses_a_changed_one(people, dossier):
    started = start(people["congdan"], dossier)
    request = gateway_request(started.url)
    assert request.amount == FEE and request.order_ref == started.payment.order_ref
    assert request.params["ts_amount"] == str(FEE * 100) and request.params["ts_currency"] == "VND"
    assert request.expires - request.created == timedelta(minutes=15)
    cheaper = started.url.replace(f"ts_amount={FEE * 100}", "ts_amount=100")
    with pytest.raises(sandbox.GatewayError) as refused:
        gateway_request(cheaper)
    assert refused.value.code == "bad_signature"


def test_an_ipn_confirms_once_and_a_duplicate_changes_nothing(client, people, dossier):
    started = start(people["congdan"], dossier)
    txn = gateway_pays(started.url)

    response = ipn(client, txn.callback)
    assert response.status_code == 200
    assert response.json() == {"code": "confirmed", "message": "Đã ghi nhận thanh toán.", "rsp_code": "00"}
    payment = Payment.objects.get()
    assert payment.state == PaymentState.PAID and payment.provider_txn == txn.txn_no
    assert payment.receipt_number and payment.paid_at is not None
    dossier.refresh_from_db()
    assert (dossier.payment_state, dossier.fee_amount, dossier.paid_online) == ("paid", FEE, PaidOnline.LOCAL)
    assert dossier.paid_at == payment.paid_at
    revision = dossier.revision

    again = ipn(client, txn.callback)
    assert again.status_code == 200 and again.json()["code"] == "already_confirmed"
    assert again.json()["rsp_code"] == "02"
    dossier.refresh_from_db()
    assert dossier.revision == revision
    assert DossierEvent.objects.filter(dossier=dossier, action="paid_online").count() == 1
    assert AuditEvent.objects.filter(action="payment.paid").count() == 1
    assert list(PaymentCallback.objects.order_by("id").values_list("outcome", "code")) == [
        ("accepted", "confirmed"), ("duplicate", "already_confirmed")]


def _pending(people, dossier):
    started = start(people["congdan"], dossier)
    return started, gateway_pays(started.url)


def _assert_unchanged(dossier, code):
    payment = Payment.objects.get(dossier=dossier)
    assert payment.state == PaymentState.PENDING and payment.provider_txn is None
    dossier.refresh_from_db()
    assert dossier.payment_state == "requested" and dossier.paid_online == PaidOnline.NO and dossier.paid_at is None
    log = PaymentCallback.objects.latest("id")
    assert (log.outcome, log.code) == ("refused", code)
    assert AuditEvent.objects.filter(action="payment.callback_refused", summary__contains=code).exists()


def test_a_forged_callback_is_refused(client, people, dossier):
    _started, txn = _pending(people, dossier)
    forged = {**txn.callback, "ts_amount": "100"}  # pay 1 đồng, keep the old signature
    response = ipn(client, forged)
    assert response.status_code == 400 and response.json()["code"] == "bad_signature"
    assert response.json()["rsp_code"] == "97"
    _assert_unchanged(dossier, "bad_signature")
    assert PaymentCallback.objects.latest("id").signature_valid is False

    unsigned = {k: v for k, v in txn.callback.items() if k != sandbox.HASH_FIELD}
    assert ipn(client, unsigned).json()["code"] == "bad_signature"
    wrong_key = sandbox.signed({k: v for k, v in unsigned.items()}, "guessed-secret")
    assert ipn(client, wrong_key).json()["code"] == "bad_signature"
    _assert_unchanged(dossier, "bad_signature")


def test_wrong_amount_and_wrong_currency_are_refused_even_when_signed(client, people, dossier):
    _started, txn = _pending(people, dossier)
    response = ipn(client, resign(txn.callback, ts_amount=str((FEE - 1000) * 100)))
    assert response.status_code == 409 and response.json()["code"] == "amount_mismatch"
    _assert_unchanged(dossier, "amount_mismatch")
    response = ipn(client, resign(txn.callback, ts_currency="USD"))
    assert response.status_code == 409 and response.json()["code"] == "currency_mismatch"
    _assert_unchanged(dossier, "currency_mismatch")
    response = ipn(client, resign(txn.callback, ts_amount="10000050"))  # not a whole number of đồng
    assert response.json()["code"] == "amount_mismatch"
    # the genuine callback still goes through afterwards
    assert ipn(client, txn.callback).json()["code"] == "confirmed"


def test_unknown_orders_merchants_providers_and_malformed_callbacks(client, people, dossier):
    _started, txn = _pending(people, dossier)
    response = ipn(client, resign(txn.callback, ts_order_ref="TS000000NOTHING"))
    assert response.status_code == 404 and response.json()["code"] == "unknown_order"
    response = ipn(client, resign(txn.callback, ts_merchant="OTHER"))
    assert response.status_code == 400 and response.json()["code"] == "wrong_merchant"
    response = ipn(client, resign(txn.callback, ts_txn_no=""))
    assert response.status_code == 400 and response.json()["code"] == "malformed"
    response = ipn(client, resign(txn.callback, ts_pay_date="2026-13-45"))
    assert response.json()["code"] == "malformed"
    response = client.post("/api/payments/ipn/no-such-bank", txn.callback)
    assert response.status_code == 404 and response.json()["code"] == "unknown_provider"
    response = client.post("/api/payments/ipn/sandbox", "not a form", content_type="text/plain")
    assert response.status_code == 400 and response.json()["code"] == "bad_signature"
    _assert_unchanged(dossier, "bad_signature")
    assert PaymentCallback.objects.filter(outcome="refused").count() == 6


def test_a_replayed_callback_of_another_order_does_not_pay_this_one(client, people, centre, dossier):
    other = submitted(people["doanhnghiep"], centre)
    _started_a, paid_txn = _pending(people, dossier)
    assert ipn(client, paid_txn.callback).json()["code"] == "confirmed"
    started_b = start(people["doanhnghiep"], other)

    # the old callback re-pointed at the new order: the signature no longer matches
    replay = {**paid_txn.callback, "ts_order_ref": started_b.payment.order_ref}
    assert ipn(client, replay).json()["code"] == "bad_signature"
    # replayed as it was: it concerns the first order, already confirmed; the second stays unpaid
    assert ipn(client, paid_txn.callback).json()["code"] == "already_confirmed"
    started_b.payment.refresh_from_db()
    other.refresh_from_db()
    assert started_b.payment.state == PaymentState.PENDING and other.payment_state == "requested"
    # a signed callback for the new order reusing the first order's transaction number
    reused = resign(paid_txn.callback, ts_order_ref=started_b.payment.order_ref)
    assert ipn(client, reused).json()["code"] == "duplicate_transaction"
    assert Payment.objects.filter(state=PaymentState.PAID).count() == 1


def test_expired_orders(client, people, dossier):
    started, txn = _pending(people, dossier)
    late = timezone.now() + timedelta(minutes=16)
    response = ipn(client, resign(txn.callback, ts_pay_date=sandbox.format_date(late)))
    assert response.status_code == 409 and response.json()["code"] == "order_expired"
    _assert_unchanged(dossier, "order_expired")

    # the gateway itself refuses to take money after the expiry: it answers "timed out" (11), recorded as a failure
    Payment.objects.filter(pk=started.payment.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    again = start(people["congdan"], dossier)  # the expired order is closed, a new one opened
    assert Payment.objects.get(pk=started.payment.pk).state == PaymentState.EXPIRED
    request = gateway_request(again.url)
    timed_out = sandbox.Gateway().complete(request, action="pay", response_code=sandbox.TIMED_OUT)
    assert ipn(client, timed_out.callback).json()["code"] == "recorded"
    again.payment.refresh_from_db()
    assert again.payment.state == PaymentState.FAILED
    assert again.payment.close_reason == "Đã hết hạn chờ thanh toán"
    dossier.refresh_from_db()
    assert dossier.payment_state == "requested"


def test_a_callback_for_an_order_never_sent_to_the_gateway(client, people, dossier):
    started, txn = _pending(people, dossier)
    Payment.objects.filter(pk=started.payment.pk).update(state=PaymentState.CREATED, redirected_at=None)
    response = ipn(client, txn.callback)
    assert response.status_code == 409 and response.json()["code"] == "not_redirected"
    assert Payment.objects.get().state == PaymentState.CREATED


def test_the_return_before_the_ipn_shows_pending_and_the_ipn_decides(client, people, dossier):
    started, txn = _pending(people, dossier)
    client.force_login(people["congdan"])
    page = client.get(return_url(txn), follow=True)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Đang chờ xác nhận thanh toán" in text and "Cổng thanh toán báo giao dịch thành công" in text
    payment = Payment.objects.get()
    assert payment.state == PaymentState.PENDING and payment.return_payload["ts_txn_no"] == txn.txn_no
    dossier.refresh_from_db()
    assert dossier.payment_state == "requested"
    assert PaymentCallback.objects.get().outcome == "displayed"

    # the citizen, seeing "waiting", tries to pay again: not while the gateway's success awaits its confirmation
    with pytest.raises(services.Conflict) as refused:
        start(people["congdan"], dossier)
    assert refused.value.code == "awaiting_confirmation"

    assert ipn(client, txn.callback).json()["code"] == "confirmed"
    page = client.get(return_url(txn), follow=True)  # the browser comes back (or reloads) after the IPN
    assert "Đã thanh toán" in page.content.decode()
    assert Payment.objects.get().state == PaymentState.PAID
    assert DossierEvent.objects.filter(action="paid_online").count() == 1

    forged = return_url(txn).replace(f"ts_amount={FEE * 100}", "ts_amount=100")
    refused = client.get(forged)
    assert refused.status_code == 400 and "bad_signature" in refused.content.decode()


def test_the_ipn_before_the_return_and_a_cancelled_payment(client, people, dossier):
    started, txn = _pending(people, dossier)
    assert ipn(client, txn.callback).json()["code"] == "confirmed"
    client.force_login(people["congdan"])
    assert "Đã thanh toán" in client.get(return_url(txn), follow=True).content.decode()

    other = submitted(people["congdan"], dossier.receiving_agency)
    cancelled_order = start(people["congdan"], other)
    cancel = gateway_pays(cancelled_order.url, action="cancel")
    assert cancel.callback["ts_response_code"] == sandbox.CANCELLED
    assert ipn(client, cancel.callback).json()["code"] == "recorded"
    assert ipn(client, cancel.callback).json()["code"] == "already_confirmed"
    cancelled_order.payment.refresh_from_db()
    assert cancelled_order.payment.state == PaymentState.CANCELLED
    page = client.get(return_url(cancel), follow=True).content.decode()
    assert "Đã hủy" in page and "Thanh toán lại" in page
    # the gateway will not take a second attempt on a closed order; a new order is needed and works
    with pytest.raises(sandbox.GatewayError):
        gateway_request(cancelled_order.url)
    retry = start(people["congdan"], other)
    assert ipn(client, gateway_pays(retry.url).callback).json()["code"] == "confirmed"
    # a late "failed" notice for a paid order cannot undo it
    late_failure = resign(cancel.callback, ts_order_ref=retry.payment.order_ref, ts_txn_no="SB-LATE-1")
    assert ipn(client, late_failure).json()["code"] == "state_conflict"
    retry.payment.refresh_from_db()
    assert retry.payment.state == PaymentState.PAID


def test_something_paid_twice_is_refused_and_left_for_refund(client, people, dossier):
    first = start(people["congdan"], dossier)
    second = start(people["congdan"], dossier)  # the citizen clicked again: the first order is superseded
    first.payment.refresh_from_db()
    assert first.payment.state == PaymentState.CANCELLED
    assert first.payment.close_reason == "Thay bằng yêu cầu thanh toán mới"
    assert ipn(client, gateway_pays(second.url).callback).json()["code"] == "confirmed"
    # the first page was still open in another tab and got paid too, within its validity
    late = gateway_pays(first.url)
    response = ipn(client, late.callback)
    assert response.status_code == 409 and response.json()["code"] == "already_paid"
    # and the same order paid with a second transaction number
    response = ipn(client, resign(late.callback, ts_order_ref=second.payment.order_ref, ts_txn_no="SB-SECOND"))
    assert response.json()["code"] == "duplicate_payment"
    assert Payment.objects.filter(state=PaymentState.PAID).count() == 1
    assert DossierEvent.objects.filter(action="paid_online").count() == 1


def test_the_financial_obligation_is_paid_online_and_processing_resumes(client, people, centre):
    dossier = submitted(people["congdan"], centre)
    dossier = onestop.accept(people["tiepnhan"], dossier)
    dossier = onestop.request_payment(step_actor(dossier), dossier, 350_000, "Lệ phí cấp giấy chứng nhận")
    assert dossier.status == Status.FINANCIAL
    started = start(people["congdan"], dossier, purpose="obligation")
    assert started.payment.amount == 350_000 and started.payment.round == 1
    assert ipn(client, gateway_pays(started.url).callback).json()["code"] == "confirmed"
    dossier = Dossier.objects.get(pk=dossier.pk)
    assert dossier.status in (Status.ACCEPTED, Status.PROCESSING)
    assert dossier.paid_online == PaidOnline.LOCAL and dossier.paid_at is not None
    assert dossier.payment_state == ""  # the procedure's fee, never asked for, is still owed: not "paid"
    assert dossier.pauses.get().ended_at is not None
    assert DossierEvent.objects.filter(dossier=dossier, action="paid").count() == 1


def test_an_obligation_already_confirmed_at_the_desk_is_not_taken_online(client, people, centre):
    dossier = onestop.accept(people["tiepnhan"], submitted(people["congdan"], centre))
    dossier = onestop.request_payment(step_actor(dossier), dossier, 50_000)
    started = start(people["congdan"], dossier, purpose="obligation")
    onestop.confirm_payment(people["tiepnhan"], dossier, reference="Biên lai giấy 0012")
    response = ipn(client, gateway_pays(started.url).callback)
    assert response.status_code == 409 and response.json()["code"] == "not_payable"
    assert Payment.objects.get().state == PaymentState.PENDING
    assert DossierEvent.objects.filter(dossier=dossier, action="paid").count() == 1
    with pytest.raises(services.Conflict) as refused:
        start(people["congdan"], dossier, purpose="obligation")
    assert refused.value.code == "not_payable"


def test_with_the_sandbox_switched_off(client, settings, people, dossier):
    _started, txn = _pending(people, dossier)
    settings.TINHSO = {**settings.TINHSO, "PAYMENT": {**settings.TINHSO["PAYMENT"], "SANDBOX_ENABLED": False}}
    assert client.get("/thanh-toan/sandbox/thanh-toan/").status_code == 404
    response = ipn(client, txn.callback)
    assert response.status_code == 404 and response.json()["code"] == "unknown_provider"
    with pytest.raises(services.DomainError) as refused:
        start(people["congdan"], dossier)
    assert refused.value.code == "payment_unavailable"
    _assert_unchanged(dossier, "unknown_provider")


def test_stale_orders_are_expired_by_the_command_and_a_late_notification_still_counts(client, people, dossier):
    from django.core.management import call_command

    started, txn = _pending(people, dossier)
    Payment.objects.filter(pk=started.payment.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    call_command("expire_payments")
    assert Payment.objects.get().state == PaymentState.EXPIRED
    assert AuditEvent.objects.filter(action="payment.expired").count() == 1
    # the citizen paid before the expiry (the gateway's pay date says so): the money was taken, it is recorded
    expired_at = Payment.objects.get().expires_at
    paid_in_time = resign(txn.callback, ts_pay_date=sandbox.format_date(expired_at - timedelta(minutes=2)))
    assert ipn(client, paid_in_time).json()["code"] == "confirmed"
    dossier.refresh_from_db()
    assert dossier.payment_state == "paid"
