"""In Debian's Chromium: while the clerk types the trích yếu of an incoming document, the form pre-fills the type and
the sector the agency's model suggests, with "Gợi ý tự động (độ tin cậy NN %)"; the clerk changes the sector and
registers; the record says the type was kept and the sector was not."""

import importlib
import re

import pytest
from django.apps import apps
from django.core.management import call_command

from tinhso.core.models import Agency, Role, User
from tinhso.documents import classify
from tinhso.documents.models import Document

from .conftest import staff
from .test_classify import register_toys
from .test_e2e_journey import flash, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_form_prefills_a_confident_suggestion_and_records_the_choice(live_server, page, settings):
    importlib.import_module("tinhso.documents.migrations.0004_sectors_legal_types").seed(apps, None)
    settings.TINHSO = {**settings.TINHSO, "CLASSIFY_MIN_AGENCY_SAMPLES": 5, "CLASSIFY_THRESHOLD": 0.6}
    call_command("demo")
    stp = Agency.objects.get(code="000.00.03.H37")
    staff("vanthu.stp", "Hoàng Thị Vân", stp, Role.CLERK, "Văn thư")
    register_toys(User.objects.get(username="vanthu.stp"), stp, 12)
    classify.train(stp)

    base = live_server.url
    sign_in(page, base, "vanthu.stp")
    page.goto(base + "/van-ban/vao-so/")
    page.get_by_label("Cơ quan ban hành (tác giả)").fill("Ủy ban nhân dân tỉnh Lạng Sơn")
    page.get_by_label("Số, ký hiệu").fill("99/QĐ-UBND")
    subject = page.get_by_label("Trích yếu nội dung")
    subject.fill("Quyết định thu hồi đất để thực hiện dự án đường 99")
    subject.press("Tab")  # the change event asks for a suggestion (htmx)
    page.get_by_text(re.compile(r"Gợi ý tự động \(độ tin cậy \d+ %\)")).first.wait_for()
    assert page.get_by_label("Loại văn bản").locator("option:checked").inner_text() == "Quyết định (cá biệt) (QĐ)"
    assert page.get_by_label("Lĩnh vực").locator("option:checked").inner_text() == "Đất đai"

    page.get_by_label("Lĩnh vực").select_option(label="Xây dựng, quy hoạch")
    page.get_by_role("button", name="Vào sổ văn bản đến").click()
    flash(page, "Đã vào sổ văn bản đến")
    document = Document.objects.get(notation="99/QĐ-UBND")
    record = document.classification
    assert record.type_prefilled and record.type_accepted
    assert record.sector_prefilled and record.sector_accepted is False
    assert document.sector.name == "Xây dựng, quy hoạch"
