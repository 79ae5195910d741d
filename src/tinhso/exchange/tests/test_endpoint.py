"""The receiving endpoint ``POST /lien-thong/goi-tin/`` on the test database: authentication (HMAC signature, clock
skew, replays), packages refused with stable codes and nothing stored, idempotent duplicates, and what a received
package does (an incoming document "chờ vào sổ", status 01 queued back, recall / update / replacement applied)."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date, datetime

import pytest

from tinhso.core.models import AuditEvent
from tinhso.core.testing import shared_data
from tinhso.documents import services as documents
from tinhso.documents.models import Direction, Document, DocumentFile, Status
from tinhso.exchange import edxml
from tinhso.exchange.edxml import BusinessDocType, StatusCode
from tinhso.exchange.models import InboxMessage, OutboxMessage, ReceivedDocument, ReceivedStatus
from tinhso.exchange.services import save_peer

from .factories import (
    DOCUMENT_ID,
    LOCAL_SXD,
    REMOTE_STP,
    SECRET_ENV,
    change_message,
    document_message,
    pdf,
    post,
    signed,
    status_message,
)

pytestmark = pytest.mark.django_db


def incoming(local) -> list[Document]:
    return list(Document.objects.filter(agency=local["sxd"], direction=Direction.INCOMING).order_by("id"))


def statuses(document=None) -> list[edxml.StatusMessage]:
    rows = OutboxMessage.objects.filter(kind="status").order_by("id")
    if document is not None:
        rows = rows.filter(document=document)
    return [edxml.parse(bytes(r.body)) for r in rows]


def nothing_stored(local) -> None:
    assert InboxMessage.objects.count() == 0
    assert incoming(local) == []
    assert OutboxMessage.objects.count() == 0


# --- a document arrives ---------------------------------------------------------------------------------------------

def test_document_becomes_incoming_and_status_01_is_queued(client, local, peer):
    body = edxml.build_document(document_message(due_date=date(2026, 3, 20)))
    response = post(client, body)

    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["code"] == "received"
    [document] = incoming(local)
    assert answer["registered"] == [document.pk]
    assert document.status == Status.TO_REGISTER  # the clerk still has to register it (status 03)
    assert document.notation == "15/QĐ-STP" and document.number == 15
    assert document.subject == "Về việc phối hợp kiểm tra công trình xây dựng giáp ranh"
    assert (document.sender_code, document.sender_name) == (REMOTE_STP, "Sở Tư pháp tỉnh Lạng Sơn")
    assert document.issued_date == date(2026, 3, 2) and document.due_date == date(2026, 3, 20)
    assert document.document_type.abbreviation == "QĐ" and document.urgency == 1
    assert (document.signer_position, document.signer_name) == ("Giám đốc", "Nông Đức Thắng")
    [body_file] = document.files.all()
    assert body_file.kind == DocumentFile.Kind.BODY and body_file.name == "15-QD-STP.pdf"
    assert body_file.file.read() == pdf()
    assert document.events.get().action == "received_exchange"
    link = ReceivedDocument.objects.get(document=document)
    assert (link.edxml_id, link.sender, link.peer, link.state) == (DOCUMENT_ID, REMOTE_STP, peer, "active")
    [arrived] = statuses()
    assert arrived.status_code == StatusCode.ARRIVED
    assert arrived.response_for.document_id == DOCUMENT_ID and arrived.response_for.organ_id == REMOTE_STP
    assert arrived.sender.organ_id == LOCAL_SXD
    message = OutboxMessage.objects.get(kind="status")
    assert (message.peer, message.recipient, message.state) == (peer, REMOTE_STP, "pending")
    assert AuditEvent.objects.filter(action="exchange.received").count() == 1


def test_a_package_arriving_twice_is_registered_once(client, local, peer):
    body = edxml.build_document(document_message())
    first = post(client, body)
    second = post(client, body)  # the sender retried (its first answer was lost): signed anew, same package

    assert first.status_code == second.status_code == 200
    assert second.json()["code"] == "duplicate"
    assert "đã được nhận" in second.json()["message"]
    assert second.json()["inbox"] == first.json()["inbox"]
    assert len(incoming(local)) == 1
    assert InboxMessage.objects.count() == 1
    assert len(statuses()) == 1


def test_same_key_with_another_body_is_a_conflict(client, local, peer):
    assert post(client, edxml.build_document(document_message())).status_code == 200
    altered = edxml.build_document(document_message(subject="Một trích yếu khác"))  # same trace hop, other content

    response = post(client, altered)

    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_conflict"
    assert [d.subject for d in incoming(local)] == ["Về việc phối hợp kiểm tra công trình xây dựng giáp ranh"]


def test_the_same_document_resent_with_a_new_hop_is_not_registered_again(client, local, peer):
    assert post(client, edxml.build_document(document_message())).status_code == 200
    again = post(client, edxml.build_document(document_message(trace_at=datetime(2026, 3, 2, 10, 0, 0))))

    assert again.status_code == 200
    assert again.json()["registered"] == [] and again.json()["already"] == [LOCAL_SXD]
    assert len(incoming(local)) == 1 and len(statuses()) == 1
    assert InboxMessage.objects.count() == 2  # both packages are kept as received


def test_several_local_recipients_each_get_the_document(client, local, peer):
    body = edxml.build_document(document_message(to=(LOCAL_SXD, local["ubnd"].code)))
    assert post(client, body).json()["code"] == "received"
    assert Document.objects.filter(direction=Direction.INCOMING).count() == 2
    assert sorted(s.sender.organ_id for s in statuses()) == sorted([LOCAL_SXD, local["ubnd"].code])


# --- refused packages: a stable code, a clear message, nothing stored ------------------------------------------------

def test_not_well_formed_xml_is_refused_with_its_position(client, local, peer):
    response = post(client, b'<?xml version="1.0"?>\n<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">\n<a>')

    assert response.status_code == 400
    answer = response.json()
    assert answer["code"] == "xml_malformed" and answer["line"] == 3
    assert "XML" in answer["message"]
    nothing_stored(local)


def test_the_real_sample_with_stray_bytes_is_refused(client, local, peer):
    body = shared_data("edxml-samples", "edoc_new.edxml").read_bytes()
    response = post(client, body)
    assert response.status_code == 400
    assert response.json()["code"] == "xml_malformed" and "1212" in response.json()["message"]
    nothing_stored(local)


def test_unknown_status_code_is_refused(client, local, peer):
    good = edxml.build_status(status_message("03", document_id=DOCUMENT_ID, sender=REMOTE_STP))
    body = good.replace(b">03</edXML:StatusCode>", b">99</edXML:StatusCode>")
    assert body != good

    response = post(client, body)

    assert response.status_code == 400
    assert response.json()["code"] == "unknown_status_code"
    assert "99" in response.json()["message"]
    nothing_stored(local)


def test_a_recipient_that_is_not_on_this_platform_is_refused(client, local, peer):
    body = edxml.build_document(document_message(to=(LOCAL_SXD, "000.00.09.H11")))

    response = post(client, body)

    assert response.status_code == 422
    assert response.json()["code"] == "unknown_agency"
    assert "000.00.09.H11" in response.json()["message"]
    nothing_stored(local)  # not even for the recipient that exists: the package is all or nothing


def test_a_sender_the_peer_does_not_speak_for_is_refused(client, local, peer):
    body = edxml.build_document(document_message(sender="000.00.05.H20", document_id="000.00.05.H20,2026/03/02,1/QĐ-X"))
    response = post(client, body)
    assert response.status_code == 403
    assert response.json()["code"] == "sender_not_allowed"
    nothing_stored(local)


def test_a_status_about_a_document_never_sent_is_refused(client, local, peer):
    body = edxml.build_status(status_message("03", document_id="000.00.07.H11,2026/01/05,01/QĐ-SXD",
                                             sender=REMOTE_STP))
    response = post(client, body)
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_document"
    assert ReceivedStatus.objects.count() == 0 and InboxMessage.objects.count() == 0


def test_real_status_sample_about_an_unknown_document_is_refused(client, local):
    save_peer(None, name="Văn phòng Chính phủ", base_url="http://127.0.0.1:9", organ_ids=["000.00.00.H41"],
              inbound_key_id="langson", outbound_key_id="caobang", secret_env=SECRET_ENV)
    body = shared_data("edxml-samples", "status_acceptance_03.edxml").read_bytes()
    response = post(client, body)
    assert response.status_code == 422 and response.json()["code"] == "unknown_document"


def test_revocation_of_a_document_never_received_is_refused(client, local, peer):
    body = edxml.build_document(change_message(BusinessDocType.REVOCATION, "Thu hồi", at=datetime(2026, 3, 4)))
    response = post(client, body)
    assert response.status_code == 422 and response.json()["code"] == "unknown_document"
    nothing_stored(local)


# --- authentication -------------------------------------------------------------------------------------------------

@pytest.fixture
def body(local, peer):
    return edxml.build_document(document_message())


def test_forged_signature_is_refused(client, body, local):
    response = post(client, body, signed(body, secret="khong-phai-khoa-that-0123456789abcdef-xyz"))
    assert response.status_code == 401
    assert response.json()["code"] == "bad_signature"
    nothing_stored(local)


def test_signature_over_another_body_is_refused(client, body, local):
    headers = signed(body)
    response = post(client, body.replace("giáp ranh".encode(), "giáp biên".encode()), headers)
    assert response.status_code == 401 and response.json()["code"] == "bad_signature"
    nothing_stored(local)


def test_unknown_key_gets_the_same_answer_as_a_bad_signature(client, body, local):
    response = post(client, body, signed(body, key_id="ai-do"))
    assert response.status_code == 401 and response.json()["code"] == "bad_signature"


def test_inactive_peer_is_refused(client, body, local, peer):
    peer.is_active = False
    peer.save()
    assert post(client, body).json()["code"] == "bad_signature"


def test_missing_headers(client, body, local):
    response = post(client, body, {})
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"


def test_malformed_signature_and_nonce(client, body, local):
    headers = signed(body)
    for bad in ("Chữ ký sai", "ab" * 31, headers["X-Exchange-Signature"] + "00"):
        response = post(client, body, {**headers, "X-Exchange-Signature": bad})
        assert response.status_code == 401 and response.json()["code"] == "bad_signature"
    response = post(client, body, {**headers, "X-Exchange-Nonce": "ngắn"})
    assert response.status_code == 401 and response.json()["code"] == "bad_nonce"
    nothing_stored(local)


def test_timestamp_more_than_five_minutes_away_is_refused(client, body, local):
    for offset in (-301, 301):
        response = post(client, body, signed(body, timestamp=time.time() + offset))
        assert response.status_code == 401 and response.json()["code"] == "stale_timestamp"
    response = post(client, body, signed(body, timestamp=time.time() - 200))  # within the window
    assert response.status_code == 200
    bad = signed(body)
    bad["X-Exchange-Timestamp"] = "hôm qua"
    assert post(client, body, bad).json()["code"] == "bad_timestamp"


def test_replayed_request_is_refused(client, body, local):
    headers = signed(body)
    assert post(client, body, headers).status_code == 200
    replayed = post(client, body, headers)  # the very same request, captured and sent again
    assert replayed.status_code == 401 and replayed.json()["code"] == "replayed"
    assert len(incoming(local)) == 1


def test_missing_secret_is_a_temporary_failure(client, body, local, monkeypatch):
    monkeypatch.delenv(SECRET_ENV)
    response = post(client, body)
    assert response.status_code == 503 and response.json()["code"] == "not_configured"


def test_too_large_and_wrong_method(client, body, local, settings):
    settings.TINHSO = {**settings.TINHSO, "EXCHANGE_MAX_BYTES": 1000}
    response = post(client, body)
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    nothing_stored(local)
    got = client.get("/lien-thong/goi-tin/")
    assert got.status_code == 405 and got["Allow"] == "POST"


# --- the receiver acts: status messages back --------------------------------------------------------------------------

@pytest.fixture
def received(client, local, peer):
    assert post(client, edxml.build_document(document_message())).status_code == 200
    return incoming(local)[0]


def test_each_step_of_the_receiver_is_reported(received, local):
    documents.confirm_registration(local["clerk"], received)
    documents.assign(local["leader"], received, lead=local["division"], note="Phòng QLXD chủ trì")
    documents.forward_to_specialist(local["head"], received, local["specialist"])
    documents.close(local["specialist"], received, note="Đã kiểm tra xong")

    reports = statuses(received)
    assert [s.status_code.value for s in reports] == ["01", "03", "04", "05", "06"]
    assert {s.response_for.document_id for s in reports} == {DOCUMENT_ID}
    assert reports[2].description == "Phân công xử lý: Phòng QLXD chủ trì"
    assert reports[2].staff.staff == "Bế Văn Minh"
    assert reports[1].response_for.code == "15/QĐ-STP"
    # in order: one sequence (document, recipient), so 03 never overtakes 01
    assert len(set(OutboxMessage.objects.values_list("sequence_key", flat=True))) == 1


def test_a_person_leading_starts_processing_at_once_and_an_answer_finishes(received, local):
    documents.confirm_registration(local["clerk"], received)
    documents.assign(local["leader"], received, lead=local["specialist"])
    draft = documents.create_draft(local["specialist"], local["sxd"], None, "Trả lời Sở Tư pháp", reply_to=received)
    documents.close(local["specialist"], received)

    assert [s.status_code.value for s in statuses(received)] == ["01", "03", "04", "05", "06"]
    assert draft.reply_to_id == received.pk


def test_returning_reports_02_with_the_reason(received, local):
    documents.return_to_sender(local["clerk"], received, "Gửi nhầm cơ quan, đề nghị gửi Sở Giao thông")
    reports = statuses(received)
    assert [s.status_code.value for s in reports] == ["01", "02"]
    assert reports[1].description == "Gửi nhầm cơ quan, đề nghị gửi Sở Giao thông"


def test_documents_not_received_through_the_exchange_report_nothing(local, peer):
    from tinhso.documents.services import IncomingFields

    paper = documents.register_incoming(local["clerk"], local["sxd"], IncomingFields(
        subject="Công văn giấy", sender_name="Sở Tư pháp tỉnh Lạng Sơn", notation="20/STP-VP"))
    documents.assign(local["leader"], paper, lead=local["division"])
    assert OutboxMessage.objects.count() == 0


# --- recall, update, replacement --------------------------------------------------------------------------------------

def test_revocation_takes_the_document_back_and_answers_15(client, received, local):
    body = edxml.build_document(change_message(BusinessDocType.REVOCATION, "Ban hành nhầm đối tượng",
                                               at=datetime(2026, 3, 4, 8, 0)))
    response = post(client, body)

    assert response.status_code == 200 and response.json()["changed"] == [{"agency": LOCAL_SXD, "agreed": True}]
    received.refresh_from_db()
    assert received.status == Status.RETURNED
    event = received.events.order_by("id").last()
    assert (event.action, event.note, event.from_status) == ("recalled_exchange", "Ban hành nhầm đối tượng",
                                                              Status.TO_REGISTER)
    assert ReceivedDocument.objects.get(document=received).state == "recalled"
    reports = statuses(received)
    assert [s.status_code.value for s in reports] == ["01", "15"]
    assert "Ban hành nhầm đối tượng" in reports[1].description
    assert Document.objects.filter(pk=received.pk).exists()  # never deleted
    # a recalled document reports nothing more
    assert post(client, body).json()["code"] == "duplicate"
    assert len(statuses(received)) == 2


def test_revocation_of_a_finished_document_is_refused_with_16(client, received, local):
    documents.confirm_registration(local["clerk"], received)
    documents.close(local["leader"], received)
    body = edxml.build_document(change_message(BusinessDocType.REVOCATION, "Thu hồi", at=datetime(2026, 3, 5)))

    assert post(client, body).json()["changed"] == [{"agency": LOCAL_SXD, "agreed": False}]

    received.refresh_from_db()
    assert received.status == Status.CLOSED
    last = statuses(received)[-1]
    assert last.status_code == StatusCode.CHANGE_REFUSED and "giải quyết xong" in last.description


def test_status_13_from_the_sender_recalls(client, received, local):
    body = edxml.build_status(status_message("13", document_id=DOCUMENT_ID, sender=REMOTE_STP,
                                             description="Văn thư lấy lại văn bản để sửa"))
    assert post(client, body).status_code == 200
    received.refresh_from_db()
    assert received.status == Status.RETURNED
    assert [s.status_code.value for s in statuses(received)] == ["01", "15"]
    assert ReceivedStatus.objects.get().status_code == "13"


def test_update_changes_what_differs_and_keeps_the_history(client, received, local):
    documents.confirm_registration(local["clerk"], received)
    erratum = edxml.Attachment(name="dinh-chinh.pdf", content_type="application/pdf", content_id="tep-2",
                               data=pdf("Dinh chinh"))
    original = document_message().attachments
    body = edxml.build_document(change_message(BusinessDocType.UPDATE, "Đính chính thời hạn", at=datetime(2026, 3, 6),
                                               due_date=date(2026, 4, 15), attachments=original + (erratum,)))
    assert post(client, body).status_code == 200

    received.refresh_from_db()
    assert received.due_date == date(2026, 4, 15) and received.status == Status.REGISTERED
    assert sorted(received.files.values_list("name", flat=True)) == ["15-QD-STP.pdf", "dinh-chinh.pdf"]
    event = received.events.order_by("id").last()
    assert event.action == "updated_exchange" and event.note == "Đính chính thời hạn"
    assert event.data["changes"] == {"due_date": ["", "2026-04-15"]} and event.data["files_added"] == ["dinh-chinh.pdf"]
    assert ReceivedDocument.objects.get(document=received).state == "updated"
    assert [s.status_code.value for s in statuses(received)] == ["01", "03", "15"]


def test_update_after_a_recall_is_refused(client, received, local):
    post(client, edxml.build_document(change_message(BusinessDocType.REVOCATION, "Thu hồi", at=datetime(2026, 3, 4))))
    body = edxml.build_document(change_message(BusinessDocType.UPDATE, "Sửa", at=datetime(2026, 3, 5),
                                               due_date=date(2026, 5, 1)))
    assert post(client, body).json()["changed"] == [{"agency": LOCAL_SXD, "agreed": False}]
    received.refresh_from_db()
    assert received.due_date is None
    assert [s.status_code.value for s in statuses(received)] == ["01", "15", "16"]


def test_replacement_registers_the_new_document_and_retires_the_old(client, received, local):
    new_id = f"{REMOTE_STP},2026/03/10,18/QĐ-STP"
    message = replace(document_message(document_id=new_id, trace_at=datetime(2026, 3, 10, 9, 0)),
                      code=edxml.Code(number="18", notation="QĐ-STP"),
                      business=edxml.Business(doc_type=BusinessDocType.REPLACEMENT, reason="Thay thế Quyết định 15",
                                              replacements=(edxml.ReplacementInfo(document_id=DOCUMENT_ID,
                                                                                  organ_ids=(LOCAL_SXD,)),)))
    response = post(client, edxml.build_document(message))

    assert response.status_code == 200 and response.json()["replaced"] == [DOCUMENT_ID]
    old, new = incoming(local)
    assert old.pk == received.pk and old.status == Status.RETURNED
    assert new.notation == "18/QĐ-STP" and new.status == Status.TO_REGISTER
    assert [s.status_code.value for s in statuses(old)] == ["01", "15"]
    assert [s.status_code.value for s in statuses(new)] == ["01"]


def test_real_replacement_sample_reaches_each_local_recipient(client, db):
    from .factories import agency

    for code, name in (("000.00.00.H41", "UBND tỉnh H41"), ("000.00.00.H14", "UBND tỉnh H14"),
                       ("000.00.00.G17", "Bộ G17")):
        agency(code, name, "UBND", "ubnd_tinh")
    save_peer(None, name="Trục liên thông (mẫu)", base_url="http://127.0.0.1:9", organ_ids=["000.00.00.G22"],
              inbound_key_id="langson", outbound_key_id="caobang", secret_env=SECRET_ENV)
    body = shared_data("edxml-samples", "edoc_replacement.edxml").read_bytes()

    response = post(client, body)

    assert response.status_code == 200, response.content
    rows = Document.objects.filter(direction=Direction.INCOMING).order_by("agency__code")
    assert [d.agency.code for d in rows] == ["000.00.00.G17", "000.00.00.H14", "000.00.00.H41"]
    assert {d.notation for d in rows} == {"7816/VPCP-TTĐT"}
    assert {d.sender_code for d in rows} == {"000.00.00.G22"}
    assert [f.name for f in rows[0].files.all()] == ["1896_QD-TTg_m_294779.doc"]
    assert rows[0].files.get().size == 270823
    assert OutboxMessage.objects.filter(kind="status", status_code="01").count() == 3
    assert post(client, body).json()["code"] == "duplicate"
