"""The pages, with Django's test client: the journey of the brief (the clerk registers an incoming document, the
leader assigns it, the specialist answers with an outgoing document that is approved, signed, issued with its number
and delivered into another agency's incoming documents), refusals shown as messages, the registers and the CSV."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from tinhso.documents import services
from tinhso.documents.models import Direction, Document, DocumentType, Status

from .conftest import PASSWORD, pdf_upload

pytestmark = pytest.mark.django_db
INDEX = reverse("documents:index")


def login(client, username):
    client.logout()
    assert client.login(username=username, password=PASSWORD)
    return client


def act(client, document, action, data=None, follow=False):
    return client.post(reverse("documents:action", args=[document.pk, action]), data or {}, follow=follow)


def last_message(response) -> str:
    return [str(m) for m in get_messages(response.wsgi_request)][-1]


def test_journey_through_the_pages(client, people, agencies):
    stp, hctp, ubnd = agencies["000.00.03.H37"], agencies["000.01.03.H37"], agencies["000.00.00.H37"]
    today = timezone.localdate()

    # 1. The clerk of Sở Tư pháp registers an incoming invitation from UBND tỉnh
    login(client, "vanthu.stp")
    page = client.get(reverse("documents:register-incoming"))
    assert page.status_code == 200 and "Vào sổ văn bản đến" in page.text
    form = {"agency": stp.pk, "sender_name": "Ủy ban nhân dân tỉnh Lạng Sơn", "sender_code": "000.00.00.H37",
            "notation": "15/GM-UBND", "document_type": DocumentType.objects.get(abbreviation="GM").pk,
            "issued_date": (today - timedelta(days=1)).isoformat(), "urgency": "1", "secrecy": "0",
            "subject": "Giấy mời họp triển khai chuyển đổi số", "copies": "1",
            "files": [pdf_upload("giay-moi.pdf", "Giay moi hop")]}
    response = client.post(reverse("documents:register-incoming"), form)
    incoming = Document.objects.get(direction=Direction.INCOMING)
    assert response.status_code == 302 and response.url == reverse("documents:document", args=[incoming.pk])
    assert incoming.arrival_number == 1 and incoming.files.count() == 1
    # the same document again: the duplicate warning, then "Vẫn vào sổ" is offered
    form["files"] = []
    again = client.post(reverse("documents:register-incoming"), form)
    assert again.status_code == 400 and "đã được vào sổ" in again.text and "Vẫn vào sổ" in again.text

    # 2. The leader sees it (urgent) and assigns HCTP, with a deadline
    login(client, "giamdoc.stp")
    listing = client.get(INDEX)
    assert "15/GM-UBND" in listing.text and "Khẩn" in listing.text
    page = client.get(reverse("documents:document", args=[incoming.pk]))
    assert "Phân công xử lý" in page.text
    response = act(client, incoming, "assign", {"lead": f"agency:{hctp.pk}", "deadline": (today + timedelta(
        days=3)).isoformat(), "note": "Phòng HCTP tham mưu."})
    assert "Đã phân công" in last_message(response)

    # 3. The head of HCTP gives it to the specialist
    login(client, "truongphong.stp")
    response = act(client, incoming, "forward", {"specialist": people["chuyenvien.stp"].pk})
    assert "Đã giao" in last_message(response)

    # 4. The specialist drafts the answer and submits it
    login(client, "chuyenvien.stp")
    page = client.get(reverse("documents:document", args=[incoming.pk]))
    assert "Soạn dự thảo văn bản trả lời" in page.text
    page = client.get(reverse("documents:create-draft") + f"?tra-loi={incoming.pk}")
    assert page.status_code == 200 and "15/GM-UBND" in page.text
    response = client.post(reverse("documents:create-draft"), {
        "tra-loi": incoming.pk, "place": f"{stp.pk}:{hctp.pk}",
        "document_type": DocumentType.objects.get(name="Công văn").pk, "urgency": "0", "secrecy": "0",
        "subject": "Về việc cử người dự họp triển khai chuyển đổi số", "copies": "2",
        "file": pdf_upload("cong-van.pdf", "Cu nguoi du hop")})
    outgoing = Document.objects.get(direction=Direction.OUTGOING)
    assert response.status_code == 302 and outgoing.reply_to == incoming and outgoing.unit == hctp
    incoming.refresh_from_db()
    assert incoming.status == Status.ANSWERED
    assert "Đã trình" in last_message(act(client, outgoing, "submit"))

    # 5. Approved by the head, signed by the leader
    login(client, "truongphong.stp")
    assert "Đã duyệt" in last_message(act(client, outgoing, "approve", {"note": "Đồng ý"}))
    login(client, "giamdoc.stp")
    assert "Đã ghi nhận lãnh đạo ký" in last_message(act(client, outgoing, "sign"))

    # 6. The clerk issues (the system gives the number) and delivers to UBND tỉnh
    login(client, "vanthu.stp")
    response = act(client, outgoing, "issue")
    outgoing.refresh_from_db()
    assert outgoing.notation == "01/STP-HCTP" and "Đã phát hành văn bản số 01/STP-HCTP" in last_message(response)
    response = act(client, outgoing, "deliver", {"recipients": [ubnd.pk], "external": "000.00.00.G22 Bộ Tư pháp"})
    assert "Ủy ban nhân dân tỉnh Lạng Sơn" in last_message(response) and "Bộ Tư pháp" in last_message(response)
    page = client.get(reverse("documents:document", args=[outgoing.pk]))
    assert "gói tin" in page.text and "Chờ vào sổ" in page.text

    # 7. UBND tỉnh's clerk (Văn phòng UBND tỉnh) finds it waiting and registers it
    login(client, "vanthu")
    waiting = client.get(INDEX + "?hop=cho-vao-so")
    received = Document.objects.get(source=outgoing)
    assert "01/STP-HCTP" in waiting.text
    assert "số đến 1" in last_message(act(client, received, "confirm"))
    received.refresh_from_db()
    assert received.status == Status.REGISTERED and received.agency == ubnd

    # 8. The specialist's unit closes the incoming document
    login(client, "chuyenvien.stp")
    assert "Đã kết thúc" in last_message(act(client, incoming, "close", {"note": "Đã cử người dự họp."}))
    incoming.refresh_from_db()
    assert incoming.status == Status.CLOSED

    # 9. The registers: outgoing (HTML and CSV) and incoming
    login(client, "vanthu.stp")
    book = client.get(reverse("documents:register") + f"?loai=di&co-quan={stp.pk}&nam={today.year}")
    assert book.status_code == 200 and "01/STP-HCTP" in book.text and "Bộ Tư pháp" in book.text
    exported = client.get(reverse("documents:register-csv") + f"?loai=di&co-quan={stp.pk}&nam={today.year}")
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Số, ký hiệu văn bản" and rows[1][0] == "01/STP-HCTP" and rows[1][3] == "Nông Đức Thắng"
    assert rows[1][6] == "2"
    incoming_book = client.get(reverse("documents:register") + f"?loai=den&co-quan={stp.pk}&nam={today.year}")
    assert "15/GM-UBND" in incoming_book.text and "Phòng Hành chính tư pháp" in incoming_book.text

    # 10. History on the page
    page = client.get(reverse("documents:document", args=[incoming.pk]))
    for label in ("Vào sổ văn bản đến", "Phân công xử lý", "Giao chuyên viên giải quyết", "Ghi văn bản trả lời",
                  "Kết thúc xử lý"):
        assert label in page.text


def test_search_box_without_diacritics(client, people, agencies):
    stp = agencies["000.00.03.H37"]
    services.register_incoming(people["vanthu.stp"], stp, services.IncomingFields(
        subject="Giấy mời họp giao ban quý II", sender_name="Sở Nội vụ", notation="09/GM-SNV"))
    login(client, "giamdoc.stp")
    page = client.get(INDEX, {"q": "giay moi hop"})
    assert "09/GM-SNV" in page.text and "1 văn bản" in page.text
    partial = client.get(INDEX, {"q": "GIAO BAN", "hop": "tim-kiem"}, HTTP_HX_REQUEST="true",
                         HTTP_HX_TARGET="document-results")
    assert "09/GM-SNV" in partial.text and "<html" not in partial.text
    login(client, "vanthu.sxd")
    assert "09/GM-SNV" not in client.get(INDEX, {"q": "giay moi hop"}).text


def test_other_agency_gets_nothing(client, people, agencies):
    stp = agencies["000.00.03.H37"]
    document = services.register_incoming(people["vanthu.stp"], stp, services.IncomingFields(
        subject="Kế hoạch kiểm tra", sender_name="Sở Nội vụ", notation="10/KH-SNV"))
    login(client, "vanthu.sxd")
    assert client.get(reverse("documents:document", args=[document.pk])).status_code == 404
    assert act(client, document, "assign", {"lead": "agency:1"}).status_code == 404
    assert client.get(reverse("documents:file", args=[document.pk, 1])).status_code == 404
    book = client.get(reverse("documents:register") + f"?loai=den&co-quan={stp.pk}")
    assert "10/KH-SNV" not in book.text
    # a citizen and an anonymous visitor
    login(client, "congdan")
    assert client.get(INDEX).status_code == 403
    client.logout()
    assert client.get(INDEX).status_code == 302


def test_refusals_are_messages_not_errors(client, people, agencies):
    stp = agencies["000.00.03.H37"]
    document = services.register_incoming(people["vanthu.stp"], stp, services.IncomingFields(
        subject="Kế hoạch kiểm tra", sender_name="Sở Nội vụ", notation="10/KH-SNV"))
    login(client, "giamdoc.stp")
    response = act(client, document, "assign", {"lead": "agency:999999"})
    assert response.status_code == 302 and "Không tìm thấy" in last_message(response)
    response = act(client, document, "assign", {"lead": f"agency:{agencies['000.00.07.H37'].pk}"})
    assert "không thuộc" in last_message(response)
    response = act(client, document, "issue")  # not an action for an incoming document
    assert response.status_code == 302
    login(client, "chuyenvien.stp")
    response = act(client, document, "close")
    assert response.status_code == 404  # not visible before it is assigned to his unit
    login(client, "vanthu.stp")
    response = client.post(reverse("documents:register-incoming"), {"agency": stp.pk, "sender_name": "",
                                                                    "subject": "x", "urgency": "0", "secrecy": "0"})
    assert response.status_code == 400 and "Cần nhập cơ quan ban hành" in response.text
    response = client.post(reverse("documents:register-incoming"), {
        "agency": stp.pk, "sender_name": "Sở Nội vụ", "subject": "x", "urgency": "0", "secrecy": "0",
        "files": [pdf_upload("a.pdf")], "issued_date": "31/02/2026"})
    assert response.status_code == 400 and "dd/mm/yyyy" in response.text
    assert response.status_code != 500


def test_file_download_is_permission_checked(client, people, agencies):
    stp = agencies["000.00.03.H37"]
    document = services.register_incoming(people["vanthu.stp"], stp, services.IncomingFields(
        subject="Kế hoạch", sender_name="Sở Nội vụ"), [pdf_upload("ke-hoach.pdf")])
    row = document.files.get()
    login(client, "giamdoc.stp")
    response = client.get(reverse("documents:file", args=[document.pk, row.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_list_page_queries_do_not_grow_with_rows(client, people, agencies):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    stp, hctp = agencies["000.00.03.H37"], agencies["000.01.03.H37"]

    def add(n):
        for i in range(n):
            document = services.register_incoming(people["vanthu.stp"], stp, services.IncomingFields(
                subject=f"Văn bản {i}", sender_name="Sở Nội vụ", notation=f"{i + 1}/SNV-VP{n}"))
            services.assign(people["giamdoc.stp"], document, lead=hctp, cooperating=[people["chuyenvien.stp"]])

    login(client, "giamdoc.stp")
    add(2)
    client.get(INDEX)  # the first request after signing in also updates the session
    with CaptureQueriesContext(connection) as few:
        assert client.get(INDEX).status_code == 200
    add(6)
    with CaptureQueriesContext(connection) as many:
        page = client.get(INDEX)
    assert page.text.count("Sở Nội vụ") >= 8
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_admin_pages_open(client, people, agencies):
    services.register_incoming(people["vanthu.stp"], agencies["000.00.03.H37"], services.IncomingFields(
        subject="Kế hoạch", sender_name="Sở Nội vụ", notation="3/KH-SNV"))
    client.force_login(people["quantri"])
    for model in ("documenttype", "registry", "document", "clerkoffice"):
        assert client.get(reverse(f"admin:documents_{model}_changelist")).status_code == 200
    document = Document.objects.get()
    assert client.get(reverse("admin:documents_document_change", args=[document.pk])).status_code == 200
