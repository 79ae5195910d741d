"""The whole journey in Debian's Chromium: a citizen files online with two uploads, the desk accepts (form 01 is
produced), the specialist and the leader process, the result is returned electronically, the citizen downloads it
and the public lookup shows "Đã trả kết quả"."""

import re

import pytest
from django.core.management import call_command

from tinhso.onestop.models import Dossier, Status

from .conftest import PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "tinhso-demo-2026"


def sign_in(page, base, username):
    page.context.clear_cookies()
    page.goto(base + "/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r"/tai-khoan/"))


def open_staff_dossier(page, base, dossier):
    page.goto(f"{base}/can-bo/ho-so/{dossier.pk}/")
    page.get_by_role("heading", level=1).wait_for()


def test_citizen_to_result_and_public_lookup(live_server, page, tmp_path):
    call_command("demo")
    base = live_server.url
    files = []
    for name in ("giay-chung-sinh.pdf", "to-khai.pdf"):
        path = tmp_path / name
        path.write_bytes(PDF)
        files.append(path)

    # 1. The citizen files online from the procedure page, on a phone-sized screen
    sign_in(page, base, "congdan")
    page.goto(base + "/thu-tuc/1.001193/")
    page.get_by_role("link", name="Nộp hồ sơ trực tuyến").click()
    page.get_by_text("Trung tâm Phục vụ hành chính công phường Lương Văn Tri").click()
    page.get_by_role("button", name="Tiếp tục").click()
    page.get_by_text("Nhận bản điện tử trên tài khoản").click()
    page.get_by_role("button", name="Tiếp tục").click()
    page.get_by_role("button", name="Tạo hồ sơ và tải giấy tờ lên").click()
    page.wait_for_url(re.compile(r"/ho-so-cua-toi/\d+/"))
    dossier = Dossier.objects.get()
    mandatory = list(dossier.items.filter(mandatory=True).order_by("order"))
    assert len(mandatory) == 2
    for item, path in zip(mandatory, files, strict=True):
        section = page.locator(f"#item-{item.pk}")
        section.locator("input[type=file]").set_input_files(str(path))
        section.get_by_role("button", name=re.compile("Tải lên")).click()
        section.get_by_role("link", name=path.name).wait_for()
    page.get_by_role("button", name="Nộp hồ sơ").click()
    page.get_by_text("Mới đăng ký").first.wait_for()
    dossier.refresh_from_db()
    assert dossier.status == Status.NEW and not dossier.is_draft and dossier.attachments.count() == 2

    # 2. The desk accepts; form 01 (receipt and appointment slip) is produced as a PDF
    sign_in(page, base, "tiepnhan.lvt")
    page.goto(base + "/can-bo/?hop=tiep-nhan")
    page.get_by_role("link", name=re.compile("Chưa cấp mã")).first.click()
    page.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    page.get_by_text("Được tiếp nhận").first.wait_for()
    dossier.refresh_from_db()
    assert dossier.status == Status.ACCEPTED and dossier.code.startswith("000.01.31.H37-")
    slip = page.request.get(f"{base}/can-bo/ho-so/{dossier.pk}/bieu-mau/01-giay-tiep-nhan.pdf")
    assert slip.ok and slip.headers["content-type"] == "application/pdf" and slip.body().startswith(b"%PDF")

    # 3. The commune's civil-status officer examines and forwards; the chairman attaches the result and approves
    sign_in(page, base, "congchuc.lvt")
    open_staff_dossier(page, base, dossier)
    page.get_by_label("Ý kiến, đề xuất").fill("Hồ sơ đầy đủ, hợp lệ. Đề nghị đăng ký khai sinh.")
    page.get_by_role("button", name="Chuyển bước tiếp theo").click()
    page.get_by_text("Đang xử lý").first.wait_for()

    sign_in(page, base, "chutich.lvt")
    open_staff_dossier(page, base, dossier)
    result = tmp_path / "giay-khai-sinh.pdf"
    result.write_bytes(PDF)
    page.get_by_label("Tệp kết quả (PDF đã ký số)").set_input_files(str(result))
    page.get_by_role("button", name="Đính kèm kết quả").click()
    page.get_by_label("Giải quyết (phê duyệt kết quả)").check()
    page.get_by_role("button", name="Ghi quyết định").click()
    page.get_by_text("Đã xử lý xong").first.wait_for()

    # 4. The desk returns the result electronically
    sign_in(page, base, "tiepnhan.lvt")
    open_staff_dossier(page, base, dossier)
    page.get_by_role("button", name="Xác nhận đã trả kết quả").click()
    page.get_by_text("Đã trả kết quả").first.wait_for()
    dossier.refresh_from_db()
    assert dossier.status == Status.RETURNED

    # 5. The citizen downloads the result; the public lookup shows the final status
    sign_in(page, base, "congdan")
    page.goto(f"{base}/ho-so-cua-toi/{dossier.pk}/")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Tải về")).first.click()
    assert download.value.suggested_filename.endswith(".pdf")

    page.context.clear_cookies()
    page.goto(base + "/tra-cuu/")
    page.get_by_label("Mã hồ sơ").fill(dossier.code)
    page.get_by_label(re.compile("Mã tra cứu")).fill(dossier.lookup_secret)
    page.get_by_role("button", name=re.compile("Tra cứu")).click()
    page.get_by_text("Đã trả kết quả").first.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
