"""Staff pages: the work boxes per role, who sees what, actions through the pages, conflicts, query counts, bulk
assignment, desk registration and the tracking book."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tinhso.onestop import services
from tinhso.onestop.models import Attachment, Dossier, Status

from .conftest import pdf

PASSWORD = "tinhso-demo-2026"
INBOX = reverse("onestop:staff-inbox")


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.TINHSO = {**settings.TINHSO, "UPLOAD_MAX_FILES": 60}


def login(client, username):
    client.logout()
    assert client.login(username=username, password=PASSWORD)
    return client


def walk_in(people, desk, name="Nguyễn Văn An", code="1.001193"):
    applicant = services.ApplicantInfo(name=name, phone="0912000111")
    return services.create_dossier(people["tiepnhan.lvt"], procedure_code=code, channel_kind="direct",
                                   receiving_agency=desk, applicant=applicant, draft=False)


def accepted(people, desk, name="Nguyễn Văn An"):
    return services.accept(people["tiepnhan.lvt"], walk_in(people, desk, name))


def set_due(dossier, delta):
    Dossier.objects.filter(pk=dossier.pk).update(due_at=timezone.now() + delta)


def box_ids(client, box, **params):
    response = client.get(INBOX, {"hop": box, **params})
    assert response.status_code == 200
    return {row.dossier.pk for row in response.context["inbox"].rows}, response


def flash(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def done(people, desk):
    dossier = services.forward(people["congchuc.lvt"], accepted(people, desk, "Lò Thị Bình"))
    services.attach_result(people["chutich.lvt"], dossier, pdf("ket-qua.pdf"))
    return services.decide(people["chutich.lvt"], dossier, "approved")


def test_every_box_as_the_right_role(client, people, desk):
    new = walk_in(people, desk, "Hà Thị Mới")
    running = accepted(people, desk, "Vi Văn Chạy")
    late = accepted(people, desk, "Nông Văn Trễ")
    set_due(late, -timedelta(hours=1))
    soon = accepted(people, desk, "Lý Thị Gấp")
    set_due(soon, timedelta(hours=1))
    set_due(running, timedelta(days=30))
    finished = done(people, desk)
    waiting = accepted(people, desk, "Mã Văn Chờ")
    services.request_supplement(people["congchuc.lvt"], waiting, ["Bản sao giấy chứng sinh bị mờ"])

    login(client, "tiepnhan.lvt")
    ids, response = box_ids(client, "tiep-nhan")
    assert ids == {new.pk}
    assert response.context["inbox"].counts["tiep-nhan"] == 1
    assert box_ids(client, "tra-ket-qua")[0] == {finished.pk}
    assert box_ids(client, "tat-ca")[0] == {new.pk, running.pk, late.pk, soon.pk, finished.pk, waiting.pk}
    assert client.get(INBOX).context["box"] == "tiep-nhan"  # the desk's default box

    login(client, "congchuc.lvt")
    ids, response = box_ids(client, "xu-ly")
    assert ids == {running.pk, late.pk, soon.pk}
    assert client.get(INBOX).context["box"] == "xu-ly"
    ids, response = box_ids(client, "qua-han")
    assert ids == {late.pk}
    html = response.content.decode()
    assert "countdown-overdue" in html and "quá hạn" in html and late.code in html
    ids, response = box_ids(client, "sap-den-han")
    assert ids == {soon.pk}
    assert "countdown-soon" in response.content.decode()
    assert box_ids(client, "bo-sung")[0] == {waiting.pk}
    counts = response.context["inbox"].counts
    assert counts == {"tiep-nhan": 0, "xu-ly": 3, "sap-den-han": 1, "qua-han": 1, "tra-ket-qua": 0, "bo-sung": 1,
                      "tat-ca": None}  # the whole history is counted only when its box is open
    assert box_ids(client, "tat-ca")[1].context["inbox"].counts["tat-ca"] == 6
    ids, response = box_ids(client, "xu-ly")
    assert "còn " in response.content.decode()

    login(client, "chutich.lvt")  # the leader holds the approval steps: none is current yet
    assert box_ids(client, "xu-ly")[0] == set()
    next_step = services.forward(people["congchuc.lvt"], Dossier.objects.get(pk=running.pk))
    assert box_ids(client, "xu-ly")[0] == {next_step.pk}

    login(client, "tiepnhan")  # the province centre sees none of the commune's dossiers
    assert box_ids(client, "tat-ca")[0] == set()


def test_search_ignores_diacritics_and_matches_codes(client, people, desk):
    first = accepted(people, desk, "Nguyễn Văn Đức")
    accepted(people, desk, "Hoàng Thị Lan")
    login(client, "congchuc.lvt")
    assert box_ids(client, "tat-ca", q="nguyen van duc")[0] == {first.pk}
    assert box_ids(client, "tat-ca", q="NGUYỄN đức")[0] == {first.pk}
    assert box_ids(client, "tat-ca", q=first.code[-4:])[0] >= {first.pk}
    response = client.get(INBOX, {"hop": "tat-ca", "q": "lan"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="inbox-results")
    assert response.status_code == 200 and "<html" not in response.content.decode()
    assert "Hoàng Thị Lan" in response.content.decode()


def test_other_agencies_get_404_and_citizens_403(client, people, desk):
    dossier = walk_in(people, desk)
    attachment = services.add_attachment(people["tiepnhan.lvt"], dossier, pdf(), item=dossier.items.first())
    page = reverse("onestop:staff-dossier", args=[dossier.pk])
    download = reverse("onestop:staff-attachment", args=[dossier.pk, attachment.pk])

    assert client.get(page).status_code == 302 and "dang-nhap" in client.get(page)["Location"]
    for outsider in ("tiepnhan", "chuyenvien.stp", "giamdoc.sxd"):
        login(client, outsider)
        assert client.get(page).status_code == 404
        assert client.get(download).status_code == 404
    login(client, "congdan")
    assert client.get(INBOX).status_code == 403
    assert client.get(page).status_code == 403
    assert client.get(download).status_code == 403

    login(client, "tiepnhan.lvt")
    response = client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert response["Content-Disposition"].startswith("attachment")
    other = walk_in(people, desk, "Người Khác")
    assert client.get(reverse("onestop:staff-attachment", args=[other.pk, attachment.pk])).status_code == 404


def test_action_forms_follow_permissions(client, people, desk):
    dossier = walk_in(people, desk)
    page = reverse("onestop:staff-dossier", args=[dossier.pk])
    login(client, "tiepnhan.lvt")
    html = client.get(page).content.decode()
    assert "thao-tac/accept/" in html and "thao-tac/refuse/" in html and "đã số hóa" in html
    assert f'name="expected_revision" value="{dossier.revision}"' in html
    login(client, "congchuc.lvt")
    html = client.get(page).content.decode()
    assert "thao-tac/accept/" not in html and "thao-tac/refuse/" not in html


def post_action(client, dossier, action, data=None):
    dossier.refresh_from_db()
    url = reverse("onestop:staff-action", args=[dossier.pk, action])
    return client.post(url, {"expected_revision": dossier.revision, **(data or {})})


def test_a_dossier_driven_through_the_pages(client, people, desk):
    dossier = walk_in(people, desk)
    login(client, "tiepnhan.lvt")
    item = dossier.items.first()
    url = reverse("onestop:staff-action", args=[dossier.pk, "upload"])
    response = client.post(url, {"item": item.pk, "file": pdf("ban-quet.pdf"), "digitised": "1"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.digitised and item.attachments.count() == 1
    bad = SimpleUploadedFile("tep-la.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post(url, {"item": item.pk, "file": bad})
    assert response.status_code == 302 and flash(response)  # the upload check's message, not a 500
    assert item.attachments.count() == 1
    response = client.post(url, {"item": item.pk})
    assert "Hãy chọn tệp cần tải lên." in flash(response)

    response = post_action(client, dossier, "accept")
    dossier.refresh_from_db()
    assert dossier.status == Status.ACCEPTED
    assert any(dossier.code in m for m in flash(response))

    login(client, "congchuc.lvt")
    post_action(client, dossier, "forward", {"note": "Đủ điều kiện"})
    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSING and dossier.current_step.order == 3

    login(client, "chutich.lvt")
    html = client.get(reverse("onestop:staff-dossier", args=[dossier.pk])).content.decode()
    assert "thao-tac/decide/" in html and "thao-tac/attach_result/" in html
    response = post_action(client, dossier, "decide", {"outcome": "approved"})
    assert "Cần đính kèm văn bản kết quả trước khi phê duyệt." in flash(response)
    dossier.refresh_from_db()
    url = reverse("onestop:staff-action", args=[dossier.pk, "attach_result"])
    client.post(url, {"expected_revision": dossier.revision, "file": pdf("ket-qua.pdf")})
    assert dossier.attachments.filter(kind=Attachment.Kind.RESULT).count() == 1
    post_action(client, dossier, "decide", {"outcome": "approved"})
    dossier.refresh_from_db()
    assert dossier.status == Status.DONE

    login(client, "tiepnhan.lvt")
    response = post_action(client, dossier, "return_result", {"recipient_name": "   "})
    assert "Cần họ tên người nhận kết quả." in flash(response)
    post_action(client, dossier, "return_result", {"recipient_name": "Nguyễn Văn An"})
    dossier.refresh_from_db()
    assert dossier.status == Status.RETURNED and dossier.recipient_name == "Nguyễn Văn An"
    page = client.get(reverse("onestop:staff-dossier", args=[dossier.pk])).content.decode()
    assert "Trả kết quả" in page and "ket-qua.pdf" in page


def test_supplement_consultation_payment_and_stop_through_the_pages(client, people, desk):
    dossier = accepted(people, desk)
    login(client, "congchuc.lvt")
    post_action(client, dossier, "request_supplement", {"items": "Bản sao giấy chứng sinh\n\nThiếu chữ ký\n"})
    dossier.refresh_from_db()
    assert dossier.status == Status.SUPPLEMENT
    assert dossier.supplement_requests.get().items == ["Bản sao giấy chứng sinh", "Thiếu chữ ký"]

    login(client, "tiepnhan.lvt")
    url = reverse("onestop:staff-action", args=[dossier.pk, "upload_supplement"])
    client.post(url, {"item": dossier.items.first().pk, "file": pdf("bo-sung.pdf")})
    assert dossier.attachments.filter(kind=Attachment.Kind.SUPPLEMENT).count() == 1
    post_action(client, dossier, "provide_supplement")
    dossier.refresh_from_db()
    assert dossier.status == Status.ACCEPTED

    login(client, "congchuc.lvt")
    justice = people["chuyenvien.stp"].memberships.get().agency
    post_action(client, dossier, "consult", {"agency": justice.pk, "question": "Xin ý kiến về hộ tịch",
                                             "working_days": "2"})
    consultation = dossier.consultations.get()
    login(client, "chuyenvien.stp")  # the consulted agency now sees the dossier and answers
    page = client.get(reverse("onestop:staff-dossier", args=[dossier.pk]))
    assert page.status_code == 200 and "thao-tac/answer/" in page.content.decode()
    post_action(client, dossier, "answer", {"consultation": consultation.pk, "answer": "Đồng ý"})
    consultation.refresh_from_db()
    assert consultation.answer == "Đồng ý"

    login(client, "congchuc.lvt")
    post_action(client, dossier, "request_payment", {"amount": "50.000", "note": "Lệ phí"})
    dossier.refresh_from_db()
    assert dossier.status == Status.FINANCIAL and dossier.amount_due == 50000
    login(client, "tiepnhan.lvt")
    post_action(client, dossier, "confirm_payment", {"reference": "BL-01"})
    dossier.refresh_from_db()
    assert dossier.status == Status.ACCEPTED

    response = post_action(client, dossier, "stop", {"reason": ""})
    assert "Cần ghi lý do dừng xử lý." in flash(response)
    post_action(client, dossier, "stop", {"reason": "Người nộp đề nghị dừng"})
    dossier.refresh_from_db()
    assert dossier.status == Status.STOPPED


def test_a_stale_revision_shows_the_conflict_message(client, people, desk):
    dossier = walk_in(people, desk)
    seen = dossier.revision
    services.request_supplement(people["tiepnhan.lvt"], dossier, ["Thiếu tờ khai"])
    services.provide_supplement(people["tiepnhan.lvt"], dossier)
    login(client, "tiepnhan.lvt")
    url = reverse("onestop:staff-action", args=[dossier.pk, "accept"])
    response = client.post(url, {"expected_revision": seen})
    assert response.status_code == 302
    assert any("Hồ sơ vừa được người khác cập nhật" in m for m in flash(response))
    dossier.refresh_from_db()
    assert dossier.status == Status.NEW

    dossier = accepted(people, desk)
    seen = dossier.revision
    services.assign(people["chutich.lvt"], dossier, people["congchuc.lvt"])
    url = reverse("onestop:staff-action", args=[dossier.pk, "stop"])  # a service without expected_revision
    response = client.post(url, {"expected_revision": seen, "reason": "Dừng"})
    assert any("Hồ sơ vừa được người khác cập nhật" in m for m in flash(response))
    dossier.refresh_from_db()
    assert dossier.status == Status.ACCEPTED


def test_unknown_action_and_bad_input_never_500(client, people, desk):
    dossier = walk_in(people, desk)
    login(client, "tiepnhan.lvt")
    assert client.post(reverse("onestop:staff-action", args=[dossier.pk, "explode"])).status_code == 404
    response = post_action(client, dossier, "refuse", {"reason": " "})
    assert "Cần ghi rõ lý do từ chối tiếp nhận." in flash(response)
    response = client.post(reverse("onestop:staff-action", args=[dossier.pk, "accept"]),
                           {"expected_revision": "abc"})
    assert response.status_code == 302 and flash(response)
    login(client, "congchuc.lvt")
    response = post_action(client, dossier, "accept")
    assert response.status_code == 302
    assert any("Cán bộ tiếp nhận" in m for m in flash(response))


def inbox_queries(client, count):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(INBOX, {"hop": "xu-ly"})
    assert response.status_code == 200
    assert len(response.context["inbox"].rows) == min(count, 20)
    return len(ctx.captured_queries)


def test_the_inbox_runs_the_same_number_of_queries_for_5_and_25_dossiers(client, people, desk):
    for i in range(5):
        accepted(people, desk, f"Người nộp {i}")
    login(client, "congchuc.lvt")
    client.get(INBOX)  # warm up the session and the site caches
    small = inbox_queries(client, 5)
    for i in range(20):
        accepted(people, desk, f"Người nộp thêm {i}")
    large = inbox_queries(client, 25)
    print(f"inbox queries: 5 dossiers → {small}, 25 dossiers → {large}")
    assert small == large, (small, large)
    assert small <= 30


def test_bulk_assignment(client, people, desk):
    dossiers = [accepted(people, desk, f"Người {i}") for i in range(3)]
    login(client, "chutich.lvt")
    response = client.get(INBOX, {"hop": "tat-ca"})
    assert "Giao cho" in response.content.decode()
    labels = [label for _person, label in response.context["people"]]
    assert any("Lương Văn Tùng" in label for label in labels)

    specialist = people["congchuc.lvt"]
    response = client.post(reverse("onestop:staff-bulk-assign"),
                           {"ho_so": [d.pk for d in dossiers], "giao_cho": specialist.pk,
                            "next": INBOX + "?hop=tat-ca"})
    assert response.status_code == 302 and response["Location"] == INBOX + "?hop=tat-ca"
    assert "Đã giao 3 hồ sơ cho Lương Văn Tùng." in flash(response)
    for dossier in dossiers:
        dossier.refresh_from_db()
        assert dossier.current_step.assignee_id == specialist.pk

    fresh = accepted(people, desk, "Người mới")
    response = client.post(reverse("onestop:staff-bulk-assign"),
                           {"ho_so": [fresh.pk, dossiers[0].pk], "giao_cho": people["tiepnhan.lvt"].pk})
    refused = [m for m in flash(response) if "Chưa giao hồ sơ nào" in m]
    assert refused and min(fresh.pk, dossiers[0].pk) == dossiers[0].pk and dossiers[0].code in refused[0]
    fresh.refresh_from_db()
    assert fresh.current_step.assignee_id is None  # all or nothing

    login(client, "tiepnhan")
    response = client.post(reverse("onestop:staff-bulk-assign"), {"ho_so": [fresh.pk], "giao_cho": specialist.pk})
    assert any("không còn trong phạm vi" in m for m in flash(response))


def test_desk_registration_of_a_walk_in(client, people, desk):
    login(client, "tiepnhan.lvt")
    register = reverse("onestop:staff-register")
    response = client.get(register, {"q": "khai sinh"})
    assert response.status_code == 200 and "1.001193" in response.content.decode()
    response = client.get(register, {"thu-tuc": "1.001193"})
    html = response.content.decode()
    assert "Trung tâm Phục vụ hành chính công phường Lương Văn Tri" in html and 'name="applicant_name"' in html

    response = client.post(register, {"procedure": "1.001193", "desk": desk.pk, "channel": "direct",
                                      "applicant_name": "", "delivery": "desk"})
    assert response.status_code == 400 and "Cần họ tên người nộp hồ sơ." in response.content.decode()
    response = client.post(register, {"procedure": "1.001193", "desk": desk.pk, "channel": "direct",
                                      "applicant_name": "Đinh Thị Hoa", "applicant_phone": "0987654321",
                                      "delivery": "post", "delivery_address": ""})
    assert response.status_code == 400 and "Cần địa chỉ nhận kết quả qua bưu chính." in response.content.decode()
    response = client.post(register, {"procedure": "1.001193", "desk": desk.pk, "channel": "direct",
                                      "applicant_name": "Đinh Thị Hoa", "delivery": "desk"})
    assert response.status_code == 302
    dossier = Dossier.objects.get(applicant_name="Đinh Thị Hoa")
    assert response["Location"].startswith(reverse("onestop:staff-dossier", args=[dossier.pk]))
    assert dossier.status == Status.NEW and not dossier.is_draft and dossier.channel.kind == "direct"

    login(client, "congchuc.lvt")  # not a receiving officer
    assert "không phải cán bộ tiếp nhận" in client.get(register).content.decode()


def test_tracking_book_page_and_exports(client, people, desk):
    first = accepted(people, desk, "Phạm Văn Sổ")
    walk_in(people, desk, "Chưa Tiếp Nhận")
    login(client, "tiepnhan.lvt")
    book = reverse("onestop:staff-book")
    response = client.get(book)
    html = response.content.decode()
    assert response.status_code == 200 and first.code in html and "Chưa Tiếp Nhận" not in html
    assert "Xuất Excel" in html
    today = timezone.localdate().strftime("%d/%m/%Y")
    assert first.code in client.get(book, {"tu-ngay": today, "den-ngay": today}).content.decode()
    assert first.code not in client.get(book, {"tu-ngay": "01/01/2020", "den-ngay": "31/12/2020"}).content.decode()
    assert first.code not in client.get(book, {"trang-thai": Status.DONE}).content.decode()
    assert "Ngày phải có dạng dd/mm/yyyy." in flash(client.get(book, {"tu-ngay": "45/13/2025"}))

    xlsx = client.get(reverse("onestop:staff-book-xlsx"), {"tu-ngay": today})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert xlsx["Content-Disposition"].startswith("attachment")
    pdf_response = client.get(reverse("onestop:staff-book-pdf"))
    assert pdf_response.status_code == 200 and pdf_response.content.startswith(b"%PDF")

    login(client, "tiepnhan")
    assert first.code not in client.get(book).content.decode()


def test_apology_with_a_new_due_date(client, people, desk):
    dossier = accepted(people, desk)
    login(client, "congchuc.lvt")
    assert "thao-tac/apology/" not in client.get(reverse("onestop:staff-dossier", args=[dossier.pk])).content.decode()
    login(client, "chutich.lvt")
    assert "thao-tac/apology/" in client.get(reverse("onestop:staff-dossier", args=[dossier.pk])).content.decode()
    response = post_action(client, dossier, "apology", {"new_due": "ngày mai", "reason": "Chờ xác minh"})
    assert "Ngày giờ phải có dạng dd/mm/yyyy HH:MM, ví dụ 25/12/2025 17:00." in flash(response)
    new_due = timezone.localtime(dossier.due_at + timedelta(days=3)).replace(hour=16, minute=30, second=0,
                                                                                microsecond=0)
    response = post_action(client, dossier, "apology", {"new_due": new_due.strftime("%d/%m/%Y %H:%M"),
                                                        "reason": "Chờ xác minh"})
    assert any(new_due.strftime("%d/%m/%Y %H:%M") in m for m in flash(response))
    dossier.refresh_from_db()
    assert dossier.apology_issued and dossier.due_at == new_due


def test_forward_to_another_agency_makes_it_visible_there(client, people, desk):
    dossier = accepted(people, desk)
    justice = people["giamdoc.stp"].memberships.get().agency
    login(client, "giamdoc.stp")
    assert client.get(reverse("onestop:staff-dossier", args=[dossier.pk])).status_code == 404
    login(client, "congchuc.lvt")
    response = post_action(client, dossier, "forward", {"to_agency": justice.pk, "note": "Liên thông"})
    assert any(justice.name in m for m in flash(response))
    login(client, "giamdoc.stp")
    assert client.get(reverse("onestop:staff-dossier", args=[dossier.pk])).status_code == 200
    assert box_ids(client, "xu-ly")[0] == {dossier.pk}
