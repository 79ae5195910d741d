"""The printed forms (TT 03/2025/TT-VPCP), rendered from dossiers driven through the service layer and read back
from the PDF: text with its diacritics, times in Vietnam's time zone, page size, the QR code, and the Excel book."""

import io
import re
import unicodedata
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from openpyxl import load_workbook
from pypdf import PdfReader

from tinhso.core.errors import DomainError
from tinhso.core.models import Agency
from tinhso.onestop import forms, services
from tinhso.onestop.models import Dossier, DossierStep, Status

from .conftest import pdf

VN = ZoneInfo("Asia/Ho_Chi_Minh")
A5 = (419.53, 595.28)
A4_LANDSCAPE = (841.89, 595.28)
APPLICANT = services.ApplicantInfo(
    name="Nguyễn Thị Ngọc Ánh", id_number="020190001234", phone="0912345678", email="ngocanh@example.vn",
    address="Số 5 đường Trần Đăng Ninh, phường Lương Văn Tri, tỉnh Lạng Sơn",
)


def vn(*args) -> datetime:
    return datetime(*args, tzinfo=VN)


def text_of(document: bytes) -> str:
    """The PDF's text, whitespace collapsed (lines wrap anywhere)."""
    reader = PdfReader(io.BytesIO(document))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    return unicodedata.normalize("NFC", text)


def page_sizes(document: bytes) -> list[tuple[float, float]]:
    reader = PdfReader(io.BytesIO(document))
    return [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages]


def assert_size(document: bytes, size: tuple[float, float]) -> None:
    for width, height in page_sizes(document):
        assert width == pytest.approx(size[0], abs=0.5) and height == pytest.approx(size[1], abs=0.5)


def moment(value: datetime) -> str:
    local = value.astimezone(VN)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d} tháng {local:%m} năm {local:%Y}"


@pytest.fixture
def centre(demo):
    return Agency.objects.get(code="000.00.20.H37")  # Trung tâm Phục vụ hành chính công tỉnh


def at_desk(people, centre, when: datetime, code="1.003179") -> Dossier:
    """A walk-in dossier for a provincial procedure (5 steps: centre → division → division head → director → centre),
    registered and accepted at ``when``."""
    with services.acting_at(when):
        dossier = services.create_dossier(people["tiepnhan"], procedure_code=code, channel_kind="direct",
                                          receiving_agency=centre, applicant=APPLICANT)
        for item in list(dossier.items.order_by("order"))[:2]:
            services.add_attachment(people["tiepnhan"], dossier, pdf(), item=item, digitised=True)
        return services.accept(people["tiepnhan"], dossier)


def online(people, desk, when: datetime, code="1.001193") -> Dossier:
    citizen = people["congdan"]
    with services.acting_at(when):
        dossier = services.create_dossier(citizen, procedure_code=code, channel_kind="online", receiving_agency=desk,
                                          delivery=Dossier.Delivery.ELECTRONIC)
        for item in dossier.items.filter(mandatory=True):
            services.add_attachment(citizen, dossier, pdf(), item=item)
        return services.submit(citizen, dossier)


@pytest.fixture
def handled(people, centre):
    """Accepted Monday 06/10/2025 09:05; a supplement during appraisal; the division head sits on it for days
    (Quá hạn); an apology with a new appointment; approved and returned at the desk."""
    dossier = at_desk(people, centre, vn(2025, 10, 6, 9, 5))
    with services.acting_at(vn(2025, 10, 7, 10, 0)):
        request = services.request_supplement(people["chuyenvien.stp"], dossier,
                                              ["Bản sao Bằng cử nhân luật có chứng thực", "Phiếu lý lịch tư pháp số 1"],
                                              "Bản chụp bằng cử nhân bị mờ, không đọc được số hiệu văn bằng.")
    with services.acting_at(vn(2025, 10, 8, 8, 30)):
        services.provide_supplement(people["tiepnhan"], dossier, "Nộp bản giấy tại quầy")
    with services.acting_at(vn(2025, 10, 8, 14, 0)):
        services.forward(people["chuyenvien.stp"], dossier, note="Hồ sơ đủ điều kiện, đề nghị cấp chứng chỉ")
    dossier.refresh_from_db()
    with services.acting_at(vn(2025, 10, 9, 8, 0)):
        services.issue_apology(people["giamdoc.stp"], dossier, dossier.due_at + timedelta(days=3),
                               "Cần xác minh thêm thông tin với Đoàn Luật sư tỉnh.")
    with services.acting_at(vn(2025, 10, 16, 9, 0)):
        services.forward(people["truongphong.stp"], dossier, note="Trình Giám đốc ký")
    with services.acting_at(vn(2025, 10, 16, 15, 0)):
        services.attach_result(people["giamdoc.stp"], dossier, pdf("chung-chi.pdf"))
        services.decide(people["giamdoc.stp"], dossier, Dossier.Outcome.APPROVED)
    with services.acting_at(vn(2025, 10, 17, 9, 0)):
        services.return_result(people["tiepnhan"], dossier, recipient_name="Nguyễn Thị Ngọc Ánh")
    dossier.refresh_from_db()
    return dossier, request


def test_receipt_slip_has_every_field_in_vietnam_time(people, centre):
    dossier = at_desk(people, centre, vn(2025, 10, 6, 9, 5))
    document = forms.receipt_slip(dossier)
    assert document.startswith(b"%PDF")
    assert len(page_sizes(document)) == 1
    assert_size(document, A5)
    text = text_of(document)
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "UBND TỈNH LẠNG SƠN",
        "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG TỈNH LẠNG SƠN", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        f"Mã hồ sơ: {dossier.code}", "Số: 0001/TTPVHCC", "Lạng Sơn, ngày 06 tháng 10 năm 2025",
        "Nguyễn Thị Ngọc Ánh", "020190001234", "Số 5 đường Trần Đăng Ninh", "0912345678", "ngocanh@example.vn",
        dossier.procedure_version.name, "Số lượng hồ sơ: 01 bộ", "5 ngày làm việc",
        "Thời gian nhận hồ sơ: 09 giờ 05 phút, ngày 06 tháng 10 năm 2025",
        f"Thời gian trả kết quả giải quyết hồ sơ: {moment(dossier.due_at)}",
        "Nhận tại Bộ phận Một cửa", "NGƯỜI NỘP HỒ SƠ", "Lường Thị Hoa",
        f"Mã tra cứu: {dossier.lookup_secret}", f"{forms.site_url()}/tra-cuu/",
    ):
        assert expected in text, expected
    assert dossier.code.endswith("-251006-0001")
    # every received component, numbered, with its original/copy counts
    items = forms.received_items(dossier)
    assert items
    for item in items:
        assert forms.clean_item_name(item.name)[:40] in text
    assert re.search(r"TT Tên giấy tờ Bản chính Bản sao 1 ", text)


def test_receipt_due_time_is_vietnam_time_even_under_another_active_zone(people, centre):
    dossier = at_desk(people, centre, vn(2025, 10, 6, 16, 40))
    from django.utils import timezone

    with timezone.override(ZoneInfo("UTC")):
        text = text_of(forms.receipt_slip(dossier))
    assert "Thời gian nhận hồ sơ: 16 giờ 40 phút, ngày 06 tháng 10 năm 2025" in text
    assert moment(dossier.due_at) in text


@override_settings(TINHSO={"SITE_URL": "https://dichvucong.langson.example/"})
def test_receipt_qr_code_links_to_the_public_lookup(people, centre):
    dossier = at_desk(people, centre, vn(2025, 10, 6, 9, 5))
    url = forms.lookup_url(dossier)
    assert url.startswith("https://dichvucong.langson.example/tra-cuu/?")
    assert parse_qs(urlsplit(url).query) == {"ma": [dossier.code], "khoa": [dossier.lookup_secret]}
    document = forms.receipt_slip(dossier)
    page = PdfReader(io.BytesIO(document)).pages[0]
    # the QR picture is a link to the same address (clickable on screen)
    uris = [annotation.get_object()["/A"]["/URI"] for annotation in page.get("/Annots", [])]
    assert url in uris
    assert "https://dichvucong.langson.example/tra-cuu/" in text_of(document)
    images = page.images
    assert len(images) == 1
    zxingcpp = pytest.importorskip("zxingcpp")
    picture = images[0].image.convert("L")
    decoded = [result.text for result in zxingcpp.read_barcodes(picture)]
    assert decoded == [url]


def test_receipt_needs_an_accepted_dossier(people, desk):
    dossier = online(people, desk, vn(2025, 10, 6, 8, 0))
    with pytest.raises(DomainError):
        forms.receipt_slip(dossier)


def test_supplement_request_lists_every_item_with_reason_and_contact(people, centre, handled):
    dossier, request = handled
    document = forms.supplement_request(dossier, request)
    assert_size(document, A5)
    text = text_of(document)
    for expected in (
        "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", "Số: 0001/PBS", "Lạng Sơn, ngày 07 tháng 10 năm 2025",
        f"Mã hồ sơ: {dossier.code}", "Hồ sơ của: Nguyễn Thị Ngọc Ánh", dossier.procedure_version.name,
        "PHÒNG HÀNH CHÍNH TƯ PHÁP", "SỞ TƯ PHÁP",
        "1. Bản sao Bằng cử nhân luật có chứng thực", "2. Phiếu lý lịch tư pháp số 1",
        "Lý do: Bản chụp bằng cử nhân bị mờ, không đọc được số hiệu văn bằng.",
        "Hoàng Văn Nam", "NGƯỜI HƯỚNG DẪN", "trong quá trình giải quyết",
        f"trước {moment(request.wait_until)}",
    ):
        assert expected in text, expected


def test_supplement_request_in_real_time_names_the_requesting_unit(people, centre):
    dossier = at_desk(people, centre, vn(2025, 10, 6, 9, 5))
    request = services.request_supplement(people["chuyenvien.stp"], dossier, ["Giấy tờ chứng minh nơi cư trú"])
    text = text_of(forms.supplement_request(dossier, request))
    assert "PHÒNG HÀNH CHÍNH TƯ PHÁP" in text and "(Chuyên viên — ký và ghi rõ họ tên)" in text
    assert "1. Giấy tờ chứng minh nơi cư trú" in text


def test_supplement_at_reception_then_refusal(people, desk):
    dossier = online(people, desk, vn(2025, 10, 6, 8, 0))
    officer = people["tiepnhan.lvt"]
    with services.acting_at(vn(2025, 10, 6, 10, 15)):
        request = services.request_supplement(officer, dossier, ["Tờ khai đăng ký khai sinh chưa có chữ ký",
                                                                  "Giấy chứng sinh bản chụp không rõ"])
    text = text_of(forms.supplement_request(dossier, request))
    assert "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG PHƯỜNG LƯƠNG VĂN TRI" in text
    assert "UBND PHƯỜNG LƯƠNG VĂN TRI" in text
    assert "Hồ sơ nộp 08 giờ 00 phút, ngày 06 tháng 10 năm 2025" in text  # no code before acceptance
    assert "1. Tờ khai đăng ký khai sinh chưa có chữ ký" in text and "2. Giấy chứng sinh bản chụp không rõ" in text
    assert "Số: …………/PBS" in text and "Hoàng Thị Thảo" in text and "khi tiếp nhận" in text

    with services.acting_at(vn(2025, 10, 7, 9, 0)):
        services.provide_supplement(people["congdan"], dossier)
    with services.acting_at(vn(2025, 10, 7, 9, 30)):
        services.refuse(officer, dossier, "Yêu cầu không thuộc thẩm quyền giải quyết của Ủy ban nhân dân phường")
    dossier.refresh_from_db()
    document = forms.refusal(dossier)
    assert_size(document, A5)
    text = text_of(document)
    for expected in (
        "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ", "Số: …………/PTC", "Lạng Sơn, ngày 07 tháng 10 năm 2025",
        "Mã hồ sơ (nếu có): …………", "Hoàng Văn Minh", dossier.procedure_version.name,
        "Yêu cầu không thuộc thẩm quyền giải quyết của Ủy ban nhân dân phường", "Hoàng Thị Thảo",
        "CÔNG CHỨC TIẾP NHẬN",  # the officer's title at the desk
    ):
        assert expected in text, expected
    assert "Lý do khác đã nêu" in text_of(forms.refusal(dossier, "Lý do khác đã nêu"))


def test_apology_shows_original_and_new_appointment(handled):
    dossier, _request = handled
    event = dossier.events.get(action="apologised")
    document = forms.apology(dossier)
    assert_size(document, A5)
    text = text_of(document)
    original = datetime.fromisoformat(event.data["original_due"])
    new = datetime.fromisoformat(event.data["new_due"])
    assert new > original
    for expected in (
        "PHIẾU XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT", "Số: 0001/PXL", "SỞ TƯ PHÁP",
        "Lạng Sơn, ngày 09 tháng 10 năm 2025", "Kính gửi: Nguyễn Thị Ngọc Ánh", "Ngày 06 tháng 10 năm 2025",
        f"Mã số hồ sơ: {dossier.code}", f"Thời gian hẹn trả kết quả giải quyết hồ sơ: {moment(original)}",
        "Lý do: Cần xác minh thêm thông tin với Đoàn Luật sư tỉnh.", f"vào thời gian: {moment(new)}",
        "Nông Đức Thắng", "GIÁM ĐỐC", "xin lỗi",
    ):
        assert expected in text, expected


def test_apology_needs_an_apology_event(people, centre):
    with pytest.raises(DomainError):
        forms.apology(at_desk(people, centre, vn(2025, 10, 6, 9, 5)))


def test_stop_notice_by_the_desk_and_by_the_system(people, desk):
    dossier = online(people, desk, vn(2025, 10, 6, 8, 0))
    with services.acting_at(vn(2025, 10, 6, 9, 0)):
        services.accept(people["tiepnhan.lvt"], dossier)
    with services.acting_at(vn(2025, 10, 7, 14, 20)):
        services.stop(people["tiepnhan.lvt"], dossier, "Người nộp đề nghị dừng giải quyết để bổ sung giấy tờ khác")
    dossier.refresh_from_db()
    document = forms.stop_notice(dossier)
    assert_size(document, A5)
    text = text_of(document)
    for expected in (
        "THÔNG BÁO", "Về việc dừng giải quyết hồ sơ", "Số: 0001/TB-TTPVHCC", "Lạng Sơn, ngày 07 tháng 10 năm 2025",
        "Kính gửi: Hoàng Văn Minh", f"mã hồ sơ {dossier.code}", "Lúc 14 giờ 20 phút, ngày 07 tháng 10 năm 2025",
        "Lý do: Người nộp đề nghị dừng giải quyết để bổ sung giấy tờ khác", "Hoàng Thị Thảo",
    ):
        assert expected in text, expected

    other = online(people, desk, vn(2025, 10, 6, 8, 0))
    with services.acting_at(vn(2025, 10, 6, 9, 30)):
        services.accept(people["tiepnhan.lvt"], other)
        services.request_supplement(people["congchuc.lvt"], other, ["Bản sao sổ hộ khẩu"])
    services.stop(None, other, "Quá thời hạn bổ sung hồ sơ mà người nộp chưa bổ sung.")
    other.refresh_from_db()
    text = text_of(forms.stop_notice(other))
    assert "Quá thời hạn bổ sung hồ sơ mà người nộp chưa bổ sung." in text
    assert "hệ thống dừng tự động" in text and "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ" in text


def test_control_slip_rows_follow_the_history(handled):
    dossier, _request = handled
    rows = forms.control_slip_rows(dossier)
    assert [r["action"] for r in rows] == ["accepted", "forwarded", "forwarded", "decided", "returned"]
    steps = {s.order: s for s in dossier.steps.all()}
    results = [r["result"] for r in rows]
    assert results == [steps[order].result for order in (1, 2, 3, 4, 5)]
    assert set(results) == {"early", "on_time", "late"}
    assert results[2] == DossierStep.Result.LATE  # the division head kept it a week
    first, second, third, fourth, last = rows
    assert first["giver_agency"] == "Trung tâm Phục vụ hành chính công tỉnh Lạng Sơn"
    assert first["giver_person"] == "Lường Thị Hoa"
    assert first["receiver_agency"] == "Phòng Hành chính tư pháp" and first["receiver_person"] == "Hoàng Văn Nam"
    assert first["time"] == "09 giờ 05 phút, ngày 06/10/2025"
    assert second["receiver_person"] == "Vi Thị Lan" and second["note"] == "Hồ sơ đủ điều kiện, đề nghị cấp chứng chỉ"
    assert third["receiver_agency"] == "Sở Tư pháp" and third["receiver_person"] == "Nông Đức Thắng"
    assert fourth["receiver_agency"] == "Trung tâm Phục vụ hành chính công tỉnh Lạng Sơn"
    assert fourth["receiver_person"] == "Lường Thị Hoa"
    assert last["receiver_agency"] == "Tổ chức, cá nhân nộp hồ sơ" and last["receiver_person"] == "Nguyễn Thị Ngọc Ánh"
    assert last["time"] == "09 giờ 00 phút, ngày 17/10/2025"


def test_control_slip_pdf(handled):
    dossier, _request = handled
    document = forms.control_slip(dossier)
    assert_size(document, A5)
    text = text_of(document)
    for expected in (
        "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", "Số: 0001/PKS", f"Mã số hồ sơ: {dossier.code}",
        "Kèm theo hồ sơ của: Nguyễn Thị Ngọc Ánh", "Cơ quan giải quyết hồ sơ: Sở Tư pháp",
        "Cơ quan phối hợp giải quyết hồ sơ: Phòng Hành chính tư pháp",
        "Thời gian nhận hồ sơ: 09 giờ 05 phút, ngày 06 tháng 10 năm 2025",
        f"Thời gian hẹn trả kết quả: {moment(dossier.due_at)}",
        f"(hẹn ban đầu: {moment(dossier.original_due_at)})",
        "(Trước hạn/ Đúng hạn/ Quá hạn)", "1. Giao: Trung tâm Phục vụ hành chính công tỉnh Lạng Sơn",
        "2. Nhận: Phòng Hành chính tư pháp", "Người giao: Lường Thị Hoa", "Người nhận: Hoàng Văn Nam",
        "09 giờ 05 phút, ngày 06/10/2025", "Trình Giám đốc ký", "Nhận tại Bộ phận Một cửa",
    ):
        assert expected in text, expected
    for label in ("Trước hạn", "Đúng hạn", "Quá hạn"):
        assert text.count(label) >= 2, label  # the column heading, then the rows


def test_control_slip_after_a_send_back(people, centre):
    dossier = at_desk(people, centre, vn(2025, 10, 6, 9, 5))
    with services.acting_at(vn(2025, 10, 6, 15, 0)):
        services.forward(people["chuyenvien.stp"], dossier)
    with services.acting_at(vn(2025, 10, 7, 9, 0)):
        services.send_back(people["truongphong.stp"], dossier, 2, "Thiếu ý kiến thẩm định về điều kiện hành nghề")
    with services.acting_at(vn(2025, 10, 7, 11, 0)):
        services.forward(people["chuyenvien.stp"], dossier)
    rows = forms.control_slip_rows(dossier)
    assert [r["action"] for r in rows] == ["accepted", "forwarded", "sent_back", "forwarded"]
    assert rows[2]["note"] == "Trả lại: Thiếu ý kiến thẩm định về điều kiện hành nghề"
    assert rows[2]["receiver_agency"] == "Phòng Hành chính tư pháp" and rows[2]["receiver_person"] == "Hoàng Văn Nam"
    # the first appraisal run keeps its own result in the history, though its step row was reopened
    assert rows[1]["result"] == "early" and rows[3]["result"] == "early"
    assert "Trả lại: Thiếu ý kiến thẩm định" in text_of(forms.control_slip(dossier))


def test_tracking_book_pdf_and_xlsx(people, centre, desk, handled):
    dossier, _request = handled
    refused = online(people, desk, vn(2025, 10, 8, 8, 0))
    with services.acting_at(vn(2025, 10, 8, 9, 0)):
        services.refuse(people["tiepnhan.lvt"], refused, "Không thuộc thẩm quyền")
    book = [dossier, Dossier.objects.get(pk=refused.pk)]

    document = forms.tracking_book(Dossier.objects.filter(pk__in=[d.pk for d in book]).order_by("created_at"),
                                   title="Sổ theo dõi hồ sơ tháng 10 năm 2025")
    assert_size(document, A4_LANDSCAPE)
    text = text_of(document)
    for expected in (
        "SỔ THEO DÕI HỒ SƠ THÁNG 10 NĂM 2025", "Mã hồ sơ", "Tên thủ tục hành chính", "Cơ quan chủ trì giải quyết",
        "Hình thức nhận kết quả", "Ký nhận", dossier.code, "Nguyễn Thị Ngọc Ánh", "Hoàng Văn Minh",
        "09 giờ 05, 06/10/2025", "09 giờ 00, 17/10/2025", "Không được tiếp nhận", "Trang 1/1",
    ):
        assert expected in text, expected

    workbook = load_workbook(io.BytesIO(forms.tracking_book_xlsx(book)))
    sheet = workbook.active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("STT", "Mã hồ sơ", "Tên thủ tục hành chính") and len(rows) == 3
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.column_dimensions["C"].width > sheet.column_dimensions["A"].width
    first, second = rows[1], rows[2]
    assert first[0] == 1 and first[1] == dossier.code and first[3] == "Nguyễn Thị Ngọc Ánh"
    assert first[5] == "Sở Tư pháp"
    assert first[6] == datetime(2025, 10, 6, 9, 5)  # a real date, in Vietnam's local time
    assert first[7] == dossier.due_at.astimezone(VN).replace(tzinfo=None)
    assert first[8] == datetime(2025, 10, 17, 9, 0)
    assert first[9] == "Nhận tại Bộ phận Một cửa" and first[10] == "Nguyễn Thị Ngọc Ánh"
    assert sheet["G2"].is_date and sheet["G2"].number_format == "dd/mm/yyyy hh:mm"
    assert second[1] is None and second[6] is None and second[11] == "Không được tiếp nhận"
    assert Dossier.objects.get(pk=refused.pk).status == Status.REFUSED
