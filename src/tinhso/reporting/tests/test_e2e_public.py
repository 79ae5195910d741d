"""In Debian's Chromium, on a phone-sized screen: the public statistics page shows its charts (server-rendered SVG
with their text alternatives) and its tables, the period picker works, and the CSV download is offered."""

import re

import pytest

from .conftest import build_province
from .test_indicators import march_dossiers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_public_statistics_page_shows_its_charts(live_server, page):
    province = build_province()
    march_dossiers(province)
    page.goto(live_server.url + "/thong-ke/")
    page.get_by_label("Kỳ báo cáo", exact=True).select_option("thang")
    page.get_by_label("Năm", exact=True).select_option("2026")
    page.get_by_label("Tháng (khi chọn kỳ tháng)").select_option("3")
    page.get_by_role("button", name="Xem").click()
    page.wait_for_url(re.compile(r"ky=thang"))
    page.get_by_role("heading", name="Thống kê giải quyết thủ tục hành chính").wait_for()

    charts = page.get_by_role("img")
    assert charts.count() == 4
    rate_chart = page.get_by_role("img", name=re.compile("Tỷ lệ hồ sơ đúng hạn, trong hạn theo cơ quan"))
    rate_chart.scroll_into_view_if_needed()
    assert rate_chart.is_visible()
    box = rate_chart.bounding_box()
    assert box["width"] > 300 and box["height"] > 40  # drawn (two bars), and fits the phone's width
    assert box["width"] <= page.viewport_size["width"]
    bars = rate_chart.locator("g.bar rect[fill='#0a6b2e']")
    assert bars.count() == 2  # the department and the commune, each with its bar
    assert bars.first.bounding_box()["width"] > 10
    assert "Sở Tư pháp: 66,67%" in rate_chart.locator("desc").text_content()
    # The same figures as a table, for screen readers and copying.
    table = page.get_by_role("table", name="Số liệu theo cơ quan giải quyết")
    assert table.get_by_role("row", name=re.compile("Sở Tư pháp")).is_visible()
    assert page.get_by_role("img", name=re.compile("Số hồ sơ tiếp nhận theo xã, phường")).is_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải CSV (mở bằng Excel)").click()
    assert download.value.suggested_filename == "thong-ke-ho-so-20260301-20260331.csv"
