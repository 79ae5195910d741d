"""The journey in Debian's Chromium (phone-sized screen): the clerk registers an incoming document, the leader
assigns it, the head gives it to the specialist, who answers with a draft; approved, signed, issued with its number
and delivered on the platform, where the receiving clerk registers it."""

import re

import pytest
from django.core.management import call_command

from tinhso.core.models import Agency, Role
from tinhso.documents.models import Direction, Document, Status

from .conftest import PASSWORD, make_pdf, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, base, username):
    page.context.clear_cookies()
    page.goto(base + "/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r"/tai-khoan/"))


def flash(page, text):
    """The confirmation message at the top of the page."""
    page.locator("ul.messages").get_by_text(text).wait_for()


def open_document(page, base, document):
    page.goto(f"{base}/van-ban/{document.pk}/")
    page.get_by_role("heading", level=1).wait_for()


def test_incoming_answered_issued_delivered(live_server, page, tmp_path):
    call_command("demo")
    staff("vanthu.stp", "Hoàng Thị Vân", Agency.objects.get(code="000.00.03.H37"), Role.CLERK, "Văn thư")
    base = live_server.url
    invitation = tmp_path / "giay-moi.pdf"
    invitation.write_bytes(make_pdf("Giay moi hop chuyen doi so"))
    answer = tmp_path / "cong-van.pdf"
    answer.write_bytes(make_pdf("Cu nguoi du hop"))

    # 1. The clerk registers the incoming invitation
    sign_in(page, base, "vanthu.stp")
    page.goto(base + "/van-ban/vao-so/")
    page.get_by_label("Cơ quan ban hành (tác giả)").fill("Ủy ban nhân dân tỉnh Lạng Sơn")
    page.get_by_label("Số, ký hiệu").fill("15/GM-UBND")
    page.get_by_label("Loại văn bản").select_option(label="Giấy mời (GM)")
    page.get_by_label("Độ khẩn").select_option(label="Hỏa tốc")
    page.get_by_label("Trích yếu nội dung").fill("Giấy mời họp triển khai chuyển đổi số")
    page.get_by_label(re.compile("Tệp văn bản")).set_input_files(str(invitation))
    page.get_by_role("button", name="Vào sổ văn bản đến").click()
    flash(page, "Đã vào sổ văn bản đến, số đến 1.")
    incoming = Document.objects.get(direction=Direction.INCOMING)

    # 2. The leader finds it first in the list (Hỏa tốc) and assigns the division
    sign_in(page, base, "giamdoc.stp")
    page.goto(base + "/van-ban/")
    page.get_by_role("link", name="15/GM-UBND").click()
    page.get_by_label("Chủ trì giải quyết").select_option(label="Phòng Hành chính tư pháp")
    page.get_by_label("Ý kiến chỉ đạo").fill("Phòng HCTP tham mưu cử người dự họp.")
    page.get_by_role("button", name="Phân công").click()
    flash(page, "Đã phân công")

    # 3. The head gives it to the specialist
    sign_in(page, base, "truongphong.stp")
    open_document(page, base, incoming)
    page.get_by_label("Chuyên viên").select_option(label="Hoàng Văn Nam")
    page.get_by_role("button", name="Giao", exact=True).click()
    flash(page, "Đã giao Hoàng Văn Nam giải quyết.")

    # 4. The specialist drafts the answer and submits it
    sign_in(page, base, "chuyenvien.stp")
    open_document(page, base, incoming)
    page.get_by_role("link", name="Soạn dự thảo văn bản trả lời").click()
    page.get_by_label("Loại văn bản").select_option(label="Công văn")
    page.get_by_label("Trích yếu nội dung").fill("Về việc cử người dự họp triển khai chuyển đổi số")
    page.get_by_label(re.compile("Tệp dự thảo")).set_input_files(str(answer))
    page.get_by_role("button", name="Tạo dự thảo").click()
    flash(page, "Đã tạo dự thảo.")
    page.get_by_role("button", name="Trình duyệt").click()
    flash(page, "Đã trình duyệt dự thảo.")
    outgoing = Document.objects.get(direction=Direction.OUTGOING)

    # 5. The head approves, the leader signs
    sign_in(page, base, "truongphong.stp")
    open_document(page, base, outgoing)
    page.get_by_role("button", name="Duyệt", exact=True).click()
    flash(page, "Đã duyệt dự thảo")
    sign_in(page, base, "giamdoc.stp")
    open_document(page, base, outgoing)
    page.get_by_role("button", name="Ký văn bản").click()
    flash(page, "chờ văn thư phát hành")

    # 6. The clerk issues (number given by the system) and sends it to UBND tỉnh
    sign_in(page, base, "vanthu.stp")
    open_document(page, base, outgoing)
    page.get_by_role("button", name="Cấp số, phát hành").click()
    flash(page, "Đã phát hành văn bản số 01/STP-HCTP")
    page.get_by_label(re.compile("Cơ quan trên hệ thống")).select_option(label="Ủy ban nhân dân tỉnh Lạng Sơn")
    page.get_by_role("button", name="Gửi", exact=True).click()
    flash(page, "Đã gửi văn bản đến: Ủy ban nhân dân tỉnh Lạng Sơn.")

    # 7. The clerk of Văn phòng UBND tỉnh registers it
    sign_in(page, base, "vanthu")
    page.goto(base + "/van-ban/?hop=cho-vao-so")
    page.get_by_role("link", name="01/STP-HCTP").click()
    page.get_by_role("button", name="Vào sổ, cấp số đến").click()
    flash(page, "Đã vào sổ văn bản đến, số đến 1.")

    incoming.refresh_from_db()
    outgoing.refresh_from_db()
    received = Document.objects.get(source=outgoing)
    assert incoming.status == Status.ANSWERED and outgoing.status == Status.ISSUED
    assert outgoing.notation == "01/STP-HCTP" and outgoing.reply_to == incoming
    assert received.status == Status.REGISTERED and received.arrival_number == 1
