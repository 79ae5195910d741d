"""The sending side on the test database: issuing to an agency a peer serves queues the edXML package in the
outbox; statuses received show on the document page; recall and update by the sender's clerk; delivery with
retries, backoff, order per document and recipient, dead letters, concurrent workers; the task and the command."""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from tinhso.core.errors import Forbidden
from tinhso.core.models import AuditEvent
from tinhso.documents import services as documents
from tinhso.documents.models import Delivery, DocumentFile, DocumentType
from tinhso.exchange import edxml, services
from tinhso.exchange.edxml import BusinessDocType
from tinhso.exchange.models import OutboxAttempt, OutboxMessage, Peer, ReceivedStatus

from .factories import (
    LOCAL_SXD,
    PASSWORD,
    REMOTE_STP,
    SECRET_ENV,
    document_message,
    lang_son_peer,
    local_province,
    pdf,
    post,
    status_message,
)

REMOTE = documents.ExternalRecipient(code=REMOTE_STP, name="Sở Tư pháp tỉnh Lạng Sơn")
ELSEWHERE = documents.ExternalRecipient(code="000.00.00.G22", name="Văn phòng Chính phủ")


def issued_and_sent(local, recipients=(REMOTE, ELSEWHERE)):
    upload = SimpleUploadedFile("ke-hoach.pdf", pdf("Ke hoach kiem tra"), content_type="application/pdf")
    draft = documents.create_draft(local["specialist"], local["sxd"], DocumentType.objects.get(abbreviation="KH"),
                                   "Kế hoạch kiểm tra liên ngành công trình giáp ranh", upload)
    documents.submit_for_approval(local["specialist"], draft)
    documents.approve(local["head"], draft)
    documents.sign(local["leader"], draft)
    issued = documents.issue(local["clerk"], draft)
    documents.deliver(local["clerk"], issued, list(recipients))
    issued.refresh_from_db()
    return issued


def packages(document, kind=BusinessDocType.NEW) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(document=document, kind="document", business_type=kind).order_by("id"))


# --- sending a document ---------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_issuing_to_an_agency_a_peer_serves_queues_the_package(local, peer):
    issued = issued_and_sent(local)

    [message] = packages(issued)
    assert (message.peer, message.recipient, message.state) == (peer, REMOTE_STP, "pending")
    document_id = f"{LOCAL_SXD},{issued.issued_date:%Y/%m/%d},{issued.notation}"
    assert message.edxml_id == document_id
    sent = edxml.parse(bytes(message.body))
    assert sent.document_id == document_id
    assert [r.organ_id for r in sent.recipients] == [REMOTE_STP]  # one package per recipient
    assert sent.sender.organ_id == LOCAL_SXD and sent.subject == issued.subject
    assert [a.data for a in sent.attachments] == [pdf("Ke hoach kiem tra")]
    # the documents app still records both recipients; the one no peer serves waits for the national axis
    assert sorted(Delivery.objects.filter(document=issued).values_list("recipient_code", flat=True)) == [
        "000.00.00.G22", REMOTE_STP]
    assert issued.files.filter(kind=DocumentFile.Kind.EDXML).count() == 1


@pytest.mark.django_db
def test_no_peer_no_outbox(local):
    issued = issued_and_sent(local)
    assert packages(issued) == []


@pytest.mark.django_db
def test_statuses_from_the_recipient_are_kept_and_shown(client, local, peer):
    issued = issued_and_sent(local)
    document_id = packages(issued)[0].edxml_id
    for code, minute, description in (("01", 0, ""), ("03", 5, ""), ("04", 9, "Giao Phòng Hành chính tư pháp")):
        body = edxml.build_status(status_message(code, document_id=document_id, sender=REMOTE_STP,
                                                 at=timezone.localtime().replace(tzinfo=None, microsecond=0)
                                                 + timedelta(minutes=minute), description=description))
        assert post(client, body).status_code == 200

    rows = list(ReceivedStatus.objects.filter(document=issued).order_by("timestamp"))
    assert [r.status_code for r in rows] == ["01", "03", "04"]
    assert rows[2].description == "Giao Phòng Hành chính tư pháp"

    client.login(username="vanthu.sxd", password=PASSWORD)
    page = client.get(f"/van-ban/{issued.pk}/").content.decode()
    assert "Liên thông văn bản" in page
    assert "Sở Tư pháp tỉnh Lạng Sơn" in page and "04 — Phân công xử lý" in page
    assert "Thu hồi văn bản đã gửi liên thông" in page  # the clerk may recall
    assert "Không có kết nối liên thông tới nơi nhận này" in page  # Văn phòng Chính phủ


@pytest.mark.django_db
def test_page_shows_retries_and_dead_letters(client, local, peer, settings):
    issued = issued_and_sent(local, recipients=(REMOTE,))
    services.deliver_due()
    client.login(username="vanthu.sxd", password=PASSWORD)
    page = client.get(f"/van-ban/{issued.pk}/").content.decode()
    assert "Gửi lỗi, sẽ gửi lại" in page and "đã thử 1 lần" in page
    settings.TINHSO = {**settings.TINHSO, "EXCHANGE_MAX_ATTEMPTS": 2}
    OutboxMessage.objects.update(next_attempt_at=timezone.now())
    services.deliver_due()
    page = client.get(f"/van-ban/{issued.pk}/").content.decode()
    assert "Ngừng gửi (cần xử lý)" in page and "network_error" in page


@pytest.mark.django_db
def test_received_document_page_shows_where_it_came_from(client, local, peer):
    assert post(client, edxml.build_document(document_message())).status_code == 200
    received = local["sxd"].documents.get()
    client.login(username="vanthu.sxd", password=PASSWORD)
    page = client.get(f"/van-ban/{received.pk}/").content.decode()
    assert "Nền tảng tỉnh Lạng Sơn" in page and "000.00.03.H37,2026/03/02,15/QĐ-STP" in page
    assert "01 Đã đến" in page
    assert "Nhận văn bản qua liên thông" in page  # the history's label


# --- recall and update by the sender --------------------------------------------------------------------------------

@pytest.mark.django_db
def test_recall_before_delivery_cancels_the_package(local, peer):
    issued = issued_and_sent(local)
    assert services.recall(local["clerk"], issued, "Phát hành nhầm") == []
    [original] = packages(issued)
    assert original.state == "cancelled"
    assert issued.events.order_by("id").last().action == "exchange_recall_sent"


@pytest.mark.django_db
def test_recall_after_delivery_sends_a_revocation(local, peer):
    issued = issued_and_sent(local)
    OutboxMessage.objects.filter(document=issued).update(state="sent")

    [revocation] = services.recall(local["clerk"], issued, "  Phát hành nhầm   đối tượng ")

    assert revocation.business_type == BusinessDocType.REVOCATION and revocation.recipient == REMOTE_STP
    sent = edxml.parse(bytes(revocation.body))
    assert sent.business.doc_type == BusinessDocType.REVOCATION
    assert sent.business.reason == "Phát hành nhầm đối tượng"
    assert sent.business.document_id == sent.document_id == revocation.edxml_id
    assert sent.attachments == ()
    assert revocation.sequence_key == packages(issued)[0].sequence_key  # goes after the original
    assert AuditEvent.objects.filter(action="exchange.recall").count() == 1
    with pytest.raises(Exception, match="thu hồi hết"):
        services.recall(local["clerk"], issued, "Lần nữa")


@pytest.mark.django_db
def test_update_sends_the_document_again_with_the_change(client, local, peer):
    issued = issued_and_sent(local)
    OutboxMessage.objects.filter(document=issued).update(state="sent")
    client.login(username="vanthu.sxd", password=PASSWORD)

    response = client.post(f"/lien-thong/van-ban/{issued.pk}/cap-nhat/", {
        "reason": "Bổ sung phụ lục danh mục công trình", "due_date": "2026-12-31",
        "file": SimpleUploadedFile("phu-luc.pdf", pdf("Phu luc"), content_type="application/pdf")})

    assert response.status_code == 302
    [update] = packages(issued, BusinessDocType.UPDATE)
    sent = edxml.parse(bytes(update.body))
    assert sent.business.reason == "Bổ sung phụ lục danh mục công trình"
    assert sent.due_date == date(2026, 12, 31)
    assert [a.name for a in sent.attachments] == ["ke-hoach.pdf", "phu-luc.pdf"]
    assert sent.business.doc_type == BusinessDocType.UPDATE and sent.business.document_id == update.edxml_id
    event = issued.events.order_by("id").last()
    assert event.action == "exchange_update_sent" and event.data["file"] == "phu-luc.pdf"


@pytest.mark.django_db
def test_update_refuses_a_file_that_is_not_pdf_or_docx(client, local, peer):
    issued = issued_and_sent(local)
    OutboxMessage.objects.filter(document=issued).update(state="sent")
    client.login(username="vanthu.sxd", password=PASSWORD)
    response = client.post(f"/lien-thong/van-ban/{issued.pk}/cap-nhat/", {
        "reason": "Sửa", "file": SimpleUploadedFile("x.exe", b"MZ\x90\x00", content_type="application/pdf")},
        follow=True)
    assert "PDF hoặc DOCX" in " ".join(m.message for m in response.context["messages"])
    assert packages(issued, BusinessDocType.UPDATE) == []


@pytest.mark.django_db
def test_only_the_clerk_recalls(client, local, peer):
    issued = issued_and_sent(local)
    with pytest.raises(Forbidden):
        services.recall(local["specialist"], issued, "Không được")
    client.login(username="chuyenvien.sxd", password=PASSWORD)
    response = client.post(f"/lien-thong/van-ban/{issued.pk}/thu-hoi/", {"reason": "x"}, follow=True)
    assert "Văn thư" in response.content.decode()
    assert packages(issued)[0].state == "pending"


# --- delivery -------------------------------------------------------------------------------------------------------

@pytest.fixture
def queued(client, local, peer):
    """Status 01 waiting to go back to Lạng Sơn (whose address refuses connections)."""
    assert post(client, edxml.build_document(document_message())).status_code == 200
    return OutboxMessage.objects.get(kind="status")


@pytest.mark.django_db
def test_a_failed_delivery_is_retried_later_with_backoff(queued, settings):
    before = timezone.now()
    report = services.deliver_due()

    assert report.as_dict() == {"sent": 0, "failed": 1, "dead": 0}
    queued.refresh_from_db()
    assert queued.state == "failed" and queued.attempts == 1 and queued.last_error_code == "network_error"
    wait = queued.next_attempt_at - before
    assert timedelta(seconds=44) <= wait <= timedelta(seconds=76)  # 1 minute ± 25 %
    [attempt] = OutboxAttempt.objects.filter(message=queued)
    assert attempt.http_status is None and attempt.error_code == "network_error"
    assert services.deliver_due().as_dict() == {"sent": 0, "failed": 0, "dead": 0}  # not due yet
    assert Peer.objects.get().last_failure_at is not None


def test_backoff_doubles_up_to_the_cap():
    for attempts, minutes in ((1, 1), (2, 2), (3, 4), (6, 32)):
        wait = services.backoff(attempts).total_seconds()
        assert 0.75 * 60 * minutes <= wait <= 1.25 * 60 * minutes
    assert services.backoff(30).total_seconds() <= 1.25 * 6 * 3600


@pytest.mark.django_db
def test_after_the_last_attempt_the_message_is_dead_and_can_be_sent_again(queued, settings):
    settings.TINHSO = {**settings.TINHSO, "EXCHANGE_MAX_ATTEMPTS": 3}
    for _ in range(3):
        OutboxMessage.objects.filter(pk=queued.pk).update(next_attempt_at=timezone.now())
        services.deliver_due()
    queued.refresh_from_db()
    assert queued.state == "dead" and queued.attempts == 3
    assert AuditEvent.objects.filter(action="exchange.dead_letter").count() == 1

    assert services.requeue(None, [queued]) == 1
    queued.refresh_from_db()
    assert (queued.state, queued.attempts) == ("pending", 0)


@pytest.mark.django_db
def test_messages_of_one_document_go_in_order(queued, local):
    received = local["sxd"].documents.get()
    documents.confirm_registration(local["clerk"], received)  # 03 waits behind 01

    services.deliver_due()

    first, second = OutboxMessage.objects.filter(kind="status").order_by("id")
    assert (first.status_code, first.state, first.attempts) == ("01", "failed", 1)
    assert (second.status_code, second.state, second.attempts) == ("03", "pending", 0)


@pytest.mark.django_db
def test_missing_secret_is_retried_not_dropped(queued, monkeypatch):
    monkeypatch.delenv(SECRET_ENV)
    services.deliver_due()
    queued.refresh_from_db()
    assert queued.state == "failed" and queued.last_error_code == "secret_missing"


@pytest.mark.django_db
def test_the_task_tries_at_once_after_commit(client, local, peer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, edxml.build_document(document_message())).status_code == 200
    message = OutboxMessage.objects.get(kind="status")
    assert message.attempts == 1 and message.state == "failed"  # the immediate backend ran the task


@pytest.mark.django_db(transaction=True)
def test_a_permanent_refusal_is_dead_at_once_and_a_bad_key_is_retried(live_server, client):
    local = local_province()
    lang_son_peer(base_url=live_server.url, organ_ids=(REMOTE_STP,))
    assert post(client, edxml.build_document(document_message())).status_code == 200
    message = OutboxMessage.objects.get(kind="status")

    services.deliver_due()  # the live server has no peer with key "caobang": 401, retried later
    message.refresh_from_db()
    assert (message.state, message.last_http_status, message.last_error_code) == ("failed", 401, "bad_signature")

    # now it knows this platform, but the status answers a document it never sent: 422, never retried
    services.save_peer(None, name="Chính mình", base_url="http://127.0.0.1:9", organ_ids=[LOCAL_SXD],
                       inbound_key_id="caobang", outbound_key_id="langson", secret_env=SECRET_ENV)
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    services.deliver_due()
    message.refresh_from_db()
    assert (message.state, message.last_http_status, message.last_error_code) == ("dead", 422, "unknown_document")
    assert message.attempts == 2
    assert local["sxd"].documents.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_send_the_same_message(client):
    local_province()
    lang_son_peer()
    for n in range(12):
        body = edxml.build_document(document_message(document_id=f"{REMOTE_STP},2026/03/02,{n + 20}/QĐ-STP"))
        assert post(client, body).status_code == 200
    assert OutboxMessage.objects.count() == 12
    errors = []

    def worker():
        try:
            services.deliver_due(limit=3)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(OutboxMessage.objects.values_list("attempts", flat=True)) == [1] * 12
    assert OutboxAttempt.objects.count() == 12


# --- the command ----------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_command_delivers_and_lists(queued):
    out = StringIO()
    call_command("exchange", "deliver", stdout=out)
    assert json.loads(out.getvalue()) == {"sent": 0, "failed": 1, "dead": 0}
    out = StringIO()
    call_command("exchange", "peers", stdout=out)
    listed = json.loads(out.getvalue())
    assert listed["name"] == "Nền tảng tỉnh Lạng Sơn" and listed["outbox"]["failed"] == 1
    assert listed["endpoint"] == "http://127.0.0.1:9/lien-thong/goi-tin/"


@pytest.mark.django_db
def test_command_registers_peers_and_refuses_bad_ones():
    out = StringIO()
    call_command("exchange", "add-peer", "--name", "Tỉnh Bắc Kạn", "--url", "https://vanban.backan.gov.vn",
                 "--organ-ids", "000.00.00.H06, 000.00.03.H06", "--inbound-key", "backan", "--outbound-key",
                 "langson", "--secret-env", "TINHSO_PEER_SECRET_BACKAN", stdout=out)
    peer = Peer.objects.get()
    assert peer.organ_id_list == ["000.00.00.H06", "000.00.03.H06"]
    assert json.loads(out.getvalue())["endpoint"] == "https://vanban.backan.gov.vn/lien-thong/goi-tin/"
    with pytest.raises(CommandError, match="organ_ids"):
        call_command("exchange", "add-peer", "--name", "X", "--url", "https://x.gov.vn", "--organ-ids", "H06",
                     "--inbound-key", "xx-1", "--outbound-key", "yy-1", "--secret-env", "TINHSO_X")
    with pytest.raises(CommandError, match="secret_env"):
        call_command("exchange", "add-peer", "--name", "X", "--url", "https://x.gov.vn", "--organ-ids",
                     "000.00.00.H06", "--inbound-key", "xx-1", "--outbound-key", "yy-1", "--secret-env", "bí mật")
