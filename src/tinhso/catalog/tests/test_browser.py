"""A visitor on a phone searches the catalogue without diacritics and opens a procedure (Chromium via Playwright)."""

import re

import pytest

from .factories import make_procedure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_visitor_searches_without_diacritics_and_opens_a_procedure(live_server, page):
    make_procedure(code="1.013225", name="Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ",
                   channels="Trực tiếp15 Ngày làm việc75,000 VNĐ(Nhà ở riêng lẻ)"
                            "Trực tuyến15 Ngày làm việc75,000 VNĐ(Nhà ở riêng lẻ)")
    make_procedure(code="1.001193", name="Thủ tục đăng ký khai sinh", field="Hộ tịch",
                   channels="Trực tiếp1 Ngày làm việcMiễn phí")

    page.goto(live_server.url + "/")
    page.get_by_label("Tìm thủ tục").fill("giay phep xay dung")
    page.get_by_role("button", name="Tìm").click()

    page.wait_for_url(re.compile(r"/thu-tuc/\?q=giay"))
    results = page.locator("#results")
    results.get_by_text("Tìm thấy 1 thủ tục").wait_for()
    assert "đăng ký khai sinh" not in results.inner_text()

    page.get_by_role("link", name="Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ").click()
    page.get_by_role("heading", level=1, name="Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ").wait_for()
    table = page.get_by_role("table")
    assert "15 ngày làm việc" in table.inner_text()
    assert "75.000 đồng" in table.inner_text()
    assert page.get_by_role("heading", name="Giấy tờ cần chuẩn bị").is_visible()
    # Readable on a phone: nothing wider than the viewport
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_live_search_updates_results_as_the_visitor_types(live_server, page):
    make_procedure(code="1.099001", name="Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ")
    make_procedure(code="1.099002", name="Thủ tục đăng ký khai sinh", field="Hộ tịch",
                   channels="Trực tiếp1 Ngày làm việcMiễn phí")
    page.goto(live_server.url + "/thu-tuc/")
    page.locator("#results").get_by_text("Tìm thấy 2 thủ tục").wait_for()
    page.get_by_label(re.compile("Tìm theo tên")).press_sequentially("khai sinh", delay=20)
    page.locator("#results").get_by_text("Tìm thấy 1 thủ tục").wait_for()
    assert "Thủ tục đăng ký khai sinh" in page.locator("#results").inner_text()
