"""The documents API (``/api/documents``) with Django's test client: session authentication, scoping exactly like the
pages (another agency's clerk gets 404 and changes nothing), search with filters, registering an incoming document,
every flow action, errors as ``{code, message, field}``, and issuing twice giving one number."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tinhso.documents import services
from tinhso.documents.models import Delivery, Direction, Document, DocumentEvent, Registry

from .conftest import PASSWORD, doc_type, docx_bytes, pdf_upload, signed_outgoing

pytestmark = pytest.mark.django_db
STP, HCTP, SXD, UBND = "000.00.03.H37", "000.01.03.H37", "000.00.07.H37", "000.00.00.H37"


def login(client, username):
    client.logout()
    assert client.login(username=username, password=PASSWORD)
    return client


def act(client, document_id, action, **body):
    return client.post(f"/api/documents/{document_id}/actions/{action}", json.dumps(body),
                       content_type="application/json")


def register(client, **fields):
    form = {"agency": STP, "subject": "Giấy mời họp triển khai chuyển đổi số", "sender_name": "Ủy ban nhân dân "
            "tỉnh Lạng Sơn", "sender_code": UBND, "notation": "15/GM-UBND", "document_type": "GM",
            "issued_date": (timezone.localdate() - timedelta(days=1)).isoformat(), "urgency": "1"}
    form.update(fields)
    return client.post("/api/documents/incoming", form)


def error(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) >= {"code", "message", "field"} and body["message"], body
    return body


def state(document_id):
    """What a refused call must leave unchanged: the document's row and its history."""
    row = Document.objects.filter(pk=document_id).values().get()
    return row, DocumentEvent.objects.filter(document_id=document_id).count()


# --- authentication -----------------------------------------------------------------------------------------------

def test_session_staff_and_csrf_are_required(client, people):
    assert error(client.get("/api/documents"), 401)["code"] == "not_authenticated"
    login(client, "congdan")
    assert error(client.get("/api/documents"), 403)["code"] == "staff_only"
    strict = Client(enforce_csrf_checks=True)
    login(strict, "vanthu.stp")
    assert strict.get("/api/documents").status_code == 200  # reading needs no token
    assert error(register(strict), 403)["code"] == "csrf_failed"
    assert not Document.objects.exists()


# --- registering, reading, searching ------------------------------------------------------------------------------

def test_register_incoming_with_files_then_duplicate_is_refused_unless_forced(client, people, agencies):
    login(client, "vanthu.stp")
    response = register(client, files=[pdf_upload("giay-moi.pdf", "Giay moi hop chuyen doi so")])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["direction"] == "incoming" and body["status"] == "registered" and body["arrival_number"] == 1
    assert body["notation"] == "15/GM-UBND" and body["number"] == 15 and body["type_abbreviation"] == "GM"
    assert body["urgency"] == 1 and body["urgency_label"] == "Khẩn" and body["agency_code"] == STP
    assert "confirm_registration" not in body["allowed_actions"] and "add_file" in body["allowed_actions"]
    (file,) = body["files"]
    assert file["name"] == "giay-moi.pdf" and file["content_type"] == "application/pdf"
    download = client.get(file["url"])
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")

    again = register(client, sender_code="", sender_name="UỶ BAN NHÂN DÂN TỈNH LẠNG SƠN")
    refused = error(again, 409)
    assert refused["code"] == "duplicate_incoming" and refused["field"] == "notation"
    assert "số đến 1" in refused["message"] and Document.objects.count() == 1
    forced = register(client, force="true")
    assert forced.status_code == 201 and forced.json()["arrival_number"] == 2

    assert error(register(client, subject=" "), 400) == {
        "code": "subject_required", "message": "Cần trích yếu nội dung văn bản.", "field": "subject"}
    assert error(register(client, notation="15/GM-UBND/" + "9" * 60), 400)["field"] == "notation"
    assert error(register(client, sender_code="000.00.00.H37.X"), 400) == {
        "code": "too_long", "message": "Tối đa 13 ký tự.", "field": "sender_code"}
    assert error(register(client, document_type="XYZ"), 400) == {
        "code": "type_not_found", "message": "Không có loại văn bản “XYZ”.", "field": "document_type"}
    assert error(register(client, agency="999.99.99.H99"), 400)["code"] == "agency_not_found"
    assert error(register(client, issued_date="31/02/2026"), 422)["code"] == "invalid_input"
    # a clerk of another agency cannot register into Sở Tư pháp's book
    login(client, "vanthu.sxd")
    assert error(register(client, force="true"), 403)["code"] == "forbidden"
    assert Document.objects.count() == 2


def test_search_filters_pages_and_scope(client, people, agencies):
    stp = agencies[STP]
    clerk = people["vanthu.stp"]
    invitation = services.register_incoming(clerk, stp, services.IncomingFields(
        subject="Giấy mời họp triển khai chuyển đổi số", sender_name="UBND tỉnh", notation="15/GM-UBND",
        document_type=doc_type("GM")))
    report = services.register_incoming(clerk, stp, services.IncomingFields(
        subject="Báo cáo tình hình tiếp công dân", sender_name="Sở Xây dựng", notation="7/BC-SXD",
        document_type=doc_type("BC")))
    outgoing = services.issue(clerk, signed_outgoing(people, stp, "QĐ", subject="Về việc ban hành quy chế họp"))
    Document.objects.filter(pk=invitation.pk).update(created_at=timezone.now() - timedelta(days=10))

    login(client, "vanthu.stp")
    body = client.get("/api/documents").json()
    assert body["count"] == 3 and body["count_exact"] is True and body["pages"] == 1
    assert [i["id"] for i in body["items"]] == [outgoing.pk, report.pk, invitation.pk]  # newest first

    def ids(**params):
        response = client.get("/api/documents", params)
        assert response.status_code == 200, response.content
        return [i["id"] for i in response.json()["items"]]

    assert ids(q="GIAY MOI hop") == [invitation.pk]  # without diacritics or case
    assert ids(q="tiếp công dân") == [report.pk]
    assert ids(q="giay moi quy che") == []  # every word must appear
    assert ids(direction="outgoing") == [outgoing.pk]
    assert ids(direction="incoming", type="BC") == [report.pk]
    assert ids(type=str(doc_type("GM").pk)) == [invitation.pk]
    assert ids(status="issued") == [outgoing.pk]
    today = timezone.localdate()
    assert ids(date_from=(today - timedelta(days=1)).isoformat()) == [outgoing.pk, report.pk]
    assert ids(date_to=(today - timedelta(days=2)).isoformat()) == [invitation.pk]
    assert ids(agency=STP) == [outgoing.pk, report.pk, invitation.pk] and ids(agency=SXD) == []
    page = client.get("/api/documents", {"page_size": 2, "page": 2}).json()
    assert page["count"] == 3 and page["pages"] == 2 and page["page"] == 2 and len(page["items"]) == 1
    assert error(client.get("/api/documents", {"direction": "sideways"}), 400)["field"] == "direction"
    assert error(client.get("/api/documents", {"status": "lost"}), 400)["code"] == "invalid_status"
    assert error(client.get("/api/documents", {"type": "Không có"}), 400)["code"] == "type_not_found"

    login(client, "vanthu.sxd")  # another agency's clerk: nothing, whatever the filters
    assert client.get("/api/documents").json()["count"] == 0
    assert client.get("/api/documents", {"q": "giay moi", "agency": STP}).json()["items"] == []


def test_a_cong_van_has_no_abbreviation_and_is_listed(client, people, agencies):
    """Công văn, the commonest type, has no abbreviation (NĐ 30/2020 Phụ lục III): search and detail answer with an
    empty one (a null abbreviation once made every search that listed a công văn fail with a server error)."""
    official_letter = services.register_incoming(people["vanthu.stp"], agencies[STP], services.IncomingFields(
        subject="Về việc góp ý dự thảo quy chế", sender_name="Sở Xây dựng", notation="312/SXD-VP",
        document_type=doc_type(None)))
    login(client, "vanthu.stp")
    response = client.get("/api/documents", {"q": "gop y du thao"})
    assert response.status_code == 200, response.content
    [item] = response.json()["items"]
    assert (item["id"], item["type_name"], item["type_abbreviation"]) == (official_letter.pk, "Công văn", "")
    detail = client.get(f"/api/documents/{official_letter.pk}")
    assert detail.status_code == 200, detail.content


def test_detail_of_an_issued_and_delivered_document(client, people, agencies):
    stp = agencies[STP]
    outgoing = services.issue(people["vanthu.stp"], signed_outgoing(people, stp, "KH", subject="Kế hoạch số hóa"))
    services.deliver(people["vanthu.stp"], outgoing, [agencies[UBND],
                                                      services.ExternalRecipient("000.00.00.G22", "Bộ Tư pháp")])
    login(client, "giamdoc.stp")
    body = client.get(f"/api/documents/{outgoing.pk}").json()
    assert body["notation"] == "01/KH-STP" and body["type_name"] == "Kế hoạch" and body["unit_code"] == HCTP
    assert body["issued_date"] == timezone.localdate().isoformat() and body["signer_name"] == "Nông Đức Thắng"
    assert [(d["channel"], d["state"], d["recipient_code"]) for d in body["deliveries"]] == [
        ("platform", "delivered", UBND), ("edxml", "packaged", "000.00.00.G22")]
    assert [e["action"] for e in body["events"]] == ["drafted", "submitted", "approved", "signed", "issued",
                                                     "delivered"]
    assert {f["kind"] for f in body["files"]} == {"body", "edxml"} and body["allowed_actions"] == []


# --- scoping ------------------------------------------------------------------------------------------------------

def test_another_agencys_clerk_gets_404_and_changes_nothing(client, people, agencies):
    stp = agencies[STP]
    incoming = services.register_incoming(people["vanthu.stp"], stp, services.IncomingFields(
        subject="Giấy mời họp", sender_name="UBND tỉnh", notation="15/GM-UBND"), [pdf_upload()])
    signed = signed_outgoing(people, stp)
    file_id = incoming.files.get().pk
    before = {d.pk: state(d.pk) for d in (incoming, signed)}

    login(client, "vanthu.sxd")
    for document in (incoming, signed):
        body = error(client.get(f"/api/documents/{document.pk}"), 404)
        assert body["code"] == "document_not_found"
        for action in ("assign", "close", "issue", "sign", "confirm_registration", "deliver"):
            assert error(act(client, document.pk, action, reason="x", recipients=[SXD]), 404)["code"] == \
                "document_not_found"
        assert error(client.post(f"/api/documents/{document.pk}/issue"), 404)["code"] == "document_not_found"
        assert error(client.post(f"/api/documents/{document.pk}/files", {"file": pdf_upload()}), 404)["code"] == \
            "document_not_found"
    assert client.get(f"/van-ban/{incoming.pk}/tep/{file_id}/").status_code == 404
    assert error(client.get("/api/documents/999999"), 404)["code"] == "document_not_found"
    assert {d.pk: state(d.pk) for d in (incoming, signed)} == before
    assert not Registry.objects.filter(agency__code=SXD).exists()
    assert Document.objects.get(pk=signed.pk).number is None


# --- every action ---------------------------------------------------------------------------------------------------

def test_incoming_flow_through_the_api(client, people, agencies):
    login(client, "vanthu.stp")
    incoming = register(client).json()
    doc = incoming["id"]

    # only the agency's leader assigns (the clerk sees the document, the unit's head not before it is assigned)
    assert error(act(client, doc, "assign", lead={"agency": HCTP}), 403)["code"] == "forbidden"
    login(client, "truongphong.stp")
    assert error(act(client, doc, "assign", lead={"agency": HCTP}), 404)["code"] == "document_not_found"
    login(client, "giamdoc.stp")
    outside = error(act(client, doc, "assign", lead={"agency": SXD}), 400)
    assert outside["code"] == "assignee_outside" and outside["field"] == "lead" and "Sở Xây dựng" in outside["message"]
    assert error(act(client, doc, "assign"), 400)["code"] == "assignee_required"
    assert error(act(client, doc, "assign", lead={"user": 10**9}), 400)["code"] == "assignee_not_found"
    deadline = (timezone.localdate() + timedelta(days=5)).isoformat()
    response = act(client, doc, "assign", lead={"agency": HCTP}, cooperating=[{"agency": "000.02.03.H37"}],
                   for_information=[{"user": people["truongphong.stp"].pk}], deadline=deadline,
                   note="Phòng HCTP chủ trì.")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "assigned" and body["due_date"] == deadline
    lead = next(a for a in body["assignments"] if a["role"] == "lead")
    assert lead["assignee"] == {"kind": "agency", "id": agencies[HCTP].pk, "code": HCTP,
                                "name": agencies[HCTP].name} and lead["note"] == "Phòng HCTP chủ trì."
    assert sorted(a["role"] for a in body["assignments"]) == ["cooperate", "inform", "lead"]

    login(client, "truongphong.stp")
    assert "forward_to_specialist" in client.get(f"/api/documents/{doc}").json()["allowed_actions"]
    assert error(act(client, doc, "forward_to_specialist"), 400)["field"] == "specialist"
    specialist = people["chuyenvien.stp"]
    body = act(client, doc, "forward_to_specialist", specialist=specialist.pk, note="Đồng chí tham mưu.").json()
    assert body["status"] == "in_progress"
    assert next(a for a in body["assignments"] if a["role"] == "lead")["handler"]["id"] == specialist.pk

    login(client, "chuyenvien.stp")
    reply = services.create_draft(specialist, agencies[STP], doc_type("BC"), "Báo cáo kết quả", pdf_upload())
    assert error(act(client, doc, "answer"), 400)["field"] == "outgoing"
    assert error(act(client, doc, "answer", outgoing=10**9), 400)["code"] == "outgoing_not_found"
    body = act(client, doc, "answer", outgoing=reply.pk).json()
    assert body["status"] == "answered"
    body = act(client, doc, "close", note="Đã báo cáo.").json()
    assert body["status"] == "closed" and body["closed_at"] is not None and body["allowed_actions"] == []
    refused = error(act(client, doc, "close"), 409)
    assert refused["code"] == "illegal_transition" and "Đã giải quyết xong" in refused["message"]
    assert [e["action"] for e in body["events"]] == ["registered", "assigned", "forwarded", "answered", "closed"]
    assert error(act(client, doc, "fly"), 404)["code"] == "unknown_action"
    assert error(act(client, doc, "close", note="x" * 1001), 400) == {
        "code": "too_long", "message": "Tối đa 1000 ký tự.", "field": "note"}


def test_outgoing_flow_and_platform_delivery_through_the_api(client, people, agencies):
    stp = agencies[STP]
    draft = services.create_draft(people["chuyenvien.stp"], stp, doc_type("QĐ"), "Quyết định thử nghiệm",
                                  pdf_upload())
    login(client, "chuyenvien.stp")
    added = client.post(f"/api/documents/{draft.pk}/files",
                        {"file": SimpleUploadedFile("phu-luc.docx", docx_bytes(["Phụ lục"])), "kind": "attachment"})
    assert added.status_code == 201 and added.json()["kind"] == "attachment"
    assert error(client.post(f"/api/documents/{draft.pk}/files", {"file": pdf_upload(), "kind": "x"}), 400)[
        "code"] == "invalid_kind"
    assert act(client, draft.pk, "submit_for_approval").json()["status"] == "pending_approval"

    login(client, "truongphong.stp")
    refused = error(act(client, draft.pk, "send_back"), 400)
    assert refused == {"code": "reason_required", "message": refused["message"], "field": "reason"}
    assert act(client, draft.pk, "send_back", reason="Sửa căn cứ.").json()["status"] == "draft"
    login(client, "chuyenvien.stp")
    act(client, draft.pk, "submit_for_approval")
    login(client, "truongphong.stp")
    assert act(client, draft.pk, "approve", note="Đồng ý.").json()["status"] == "approved"
    assert error(act(client, draft.pk, "sign"), 403)["code"] == "forbidden"  # the head does not sign
    login(client, "giamdoc.stp")
    body = act(client, draft.pk, "sign").json()
    assert body["status"] == "signed" and body["signer_name"] == "Nông Đức Thắng" and not body["digitally_signed"]

    login(client, "vanthu.stp")
    assert client.get(f"/api/documents/{draft.pk}").json()["allowed_actions"] == ["issue"]
    assert error(act(client, draft.pk, "deliver", recipients=[UBND]), 409)["code"] == "illegal_transition"
    body = client.post(f"/api/documents/{draft.pk}/issue").json()
    assert body["status"] == "issued" and body["notation"] == "01/QĐ-STP" and body["number"] == 1
    assert error(act(client, draft.pk, "deliver"), 400)["code"] == "recipients_required"
    assert error(act(client, draft.pk, "deliver", external=[{"code": "000.00.00.G22", "name": "B" * 251}]), 400)[
        "field"] == "name"
    assert error(act(client, draft.pk, "deliver", recipients=["999.99.99.H99"]), 400)["field"] == "recipients"
    body = act(client, draft.pk, "deliver", recipients=[SXD],
               external=[{"code": "000.00.00.G22", "name": "Bộ Tư pháp"}]).json()
    assert [(d["channel"], d["recipient_name"]) for d in body["deliveries"]] == [
        ("platform", "Sở Xây dựng"), ("edxml", "Bộ Tư pháp")]

    # the copy waits at Sở Xây dựng; its clerk registers one and returns nothing without a reason
    copy = Document.objects.get(source_id=draft.pk, agency__code=SXD)
    login(client, "vanthu.sxd")
    listed = client.get("/api/documents", {"status": "to_register"}).json()["items"]
    assert [i["id"] for i in listed] == [copy.pk]
    assert set(client.get(f"/api/documents/{copy.pk}").json()["allowed_actions"]) >= {
        "confirm_registration", "return_to_sender"}
    assert error(act(client, copy.pk, "return_to_sender"), 400)["field"] == "reason"
    body = act(client, copy.pk, "confirm_registration").json()
    assert body["status"] == "registered" and body["arrival_number"] == 1 and body["direction"] == "incoming"
    assert Delivery.objects.filter(document_id=draft.pk).count() == 2


def test_return_to_sender_through_the_api(client, people, agencies):
    issued = services.issue(people["vanthu.stp"], signed_outgoing(people, agencies[STP]))
    services.deliver(people["vanthu.stp"], issued, [agencies[SXD]])
    copy = Document.objects.get(source=issued)
    login(client, "vanthu.sxd")
    body = act(client, copy.pk, "return_to_sender", reason="Không thuộc thẩm quyền.").json()
    assert body["status"] == "returned" and body["events"][-1]["note"] == "Không thuộc thẩm quyền."


# --- issuing is idempotent in effect ------------------------------------------------------------------------------

def test_issuing_twice_gives_one_number(client, people, agencies):
    stp = agencies[STP]
    signed = signed_outgoing(people, stp, "QĐ")
    login(client, "vanthu.stp")
    first = act(client, signed.pk, "issue")
    assert first.status_code == 200 and first.json()["notation"] == "01/QĐ-STP"
    before = state(signed.pk)
    for again in (act(client, signed.pk, "issue"), client.post(f"/api/documents/{signed.pk}/issue")):
        body = error(again, 409)
        assert body["code"] == "already_issued" and body["number"] == 1 and body["notation"] == "01/QĐ-STP"
        assert "01/QĐ-STP" in body["message"] and body["issued_date"] == timezone.localdate().isoformat()
    assert state(signed.pk) == before
    assert Registry.objects.get(agency=stp, direction=Direction.OUTGOING).last_number == 1
    # the next document gets the next number: nothing was consumed by the refused calls
    other = signed_outgoing(people, stp, "QĐ")
    assert client.post(f"/api/documents/{other.pk}/issue").json()["notation"] == "02/QĐ-STP"
    # the page refuses the same way
    page = client.post(f"/van-ban/{signed.pk}/thao-tac/issue/", follow=True)
    assert "đã được phát hành, số 01/QĐ-STP" in page.content.decode()


def test_wrong_json_and_unknown_fields_are_client_errors(client, people, agencies):
    signed = signed_outgoing(people, agencies[STP])
    login(client, "vanthu.stp")
    response = client.post(f"/api/documents/{signed.pk}/actions/issue", "{not json", content_type="application/json")
    assert 400 <= response.status_code < 500
    assert error(act(client, signed.pk, "assign", deadline="tomorrow"), 422)["code"] == "invalid_input"
    response = client.post("/api/documents/incoming", {"agency": STP, "subject": "x", "sender_name": "y",
                                                       "files": [SimpleUploadedFile("a.pdf", b"not a pdf")]})
    assert response.status_code == 400 and response.json()["field"] in ("file", "files", None)
    assert Document.objects.filter(direction=Direction.INCOMING).count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_clerks_issuing_at_once_get_one_number(people, agencies):
    """Two API calls racing on one document (threads, real transactions): one issues, the other is told it is
    issued; the register gives one number."""
    import threading

    from django.db import connection

    signed = signed_outgoing(people, agencies[STP], "QĐ")
    clients = [login(Client(), "vanthu.stp") for _ in range(2)]
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def call(index):
        try:
            barrier.wait(timeout=30)
            response = clients[index].post(f"/api/documents/{signed.pk}/issue")
            results[index] = (response.status_code, response.json())
        finally:
            connection.close()

    threads = [threading.Thread(target=call, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(status for status, _body in results) == [200, 409], results
    refused = next(body for status, body in results if status == 409)
    assert refused["code"] == "already_issued" and refused["notation"] == "01/QĐ-STP" and refused["number"] == 1
    assert Registry.objects.get(agency__code=STP, direction=Direction.OUTGOING).last_number == 1
    assert DocumentEvent.objects.filter(document=signed, action="issued").count() == 1
