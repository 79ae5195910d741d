"""In Debian's Chromium: a citizen whose first dossier was accepted finds its papers in "Kho giấy tờ của tôi" and
reuses one in a second dossier instead of uploading it again."""

import re

import pytest
from django.core.management import call_command

from tinhso.core.models import Agency, User
from tinhso.onestop import services
from tinhso.onestop.models import Dossier, PersonalDocument

from .conftest import PDF, pdf
from .test_e2e_journey import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_citizen_reuses_a_stored_document_in_a_second_dossier(live_server, page, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("demo")
    base = live_server.url
    citizen = User.objects.get(username="congdan")
    desk = Agency.objects.get(code="000.01.31.H37")

    # The first dossier, filed and accepted: its components are digitised into the store
    first = services.create_dossier(citizen, procedure_code="1.001193", channel_kind="online", receiving_agency=desk,
                                    delivery=Dossier.Delivery.ELECTRONIC)
    for item in first.items.filter(mandatory=True):
        services.add_attachment(citizen, first, pdf("giay-chung-sinh.pdf"), item=item)
    first = services.accept(User.objects.get(username="tiepnhan.lvt"), services.submit(citizen, first))
    document = PersonalDocument.objects.get(owner=citizen)

    # The store page, from the main navigation
    sign_in(page, base, "congdan")
    page.get_by_role("link", name="Kho giấy tờ của tôi").click()
    page.get_by_role("heading", name=document.title).wait_for()
    page.get_by_text(first.code).first.wait_for()

    # A second dossier: the component of the same kind offers the stored document; reuse it, upload the other one
    second = services.create_dossier(citizen, procedure_code="1.001193", channel_kind="online",
                                     receiving_agency=desk, delivery=Dossier.Delivery.ELECTRONIC)
    page.goto(f"{base}/ho-so-cua-toi/{second.pk}/")
    item = second.items.get(component=document.component)
    section = page.locator(f"#item-{item.pk}")
    section.get_by_text("Cùng loại giấy tờ").wait_for()  # the matching document is listed first, already open
    section.get_by_role("button", name=re.compile("Dùng giấy tờ đã chọn")).click()
    section.get_by_text("lấy từ kho giấy tờ").wait_for()
    section.get_by_role("link", name="giay-chung-sinh.pdf").wait_for()

    other = tmp_path / "to-khai.pdf"
    other.write_bytes(PDF.replace(b"612 792", b"595 842"))
    for rest in second.items.filter(mandatory=True).exclude(pk=item.pk):
        box = page.locator(f"#item-{rest.pk}")
        box.locator("input[type=file]").set_input_files(str(other))
        box.get_by_role("button", name=re.compile("Tải lên")).click()
        box.get_by_role("link", name="to-khai.pdf").wait_for()
    page.get_by_role("button", name="Nộp hồ sơ").click()
    page.get_by_text("Mới đăng ký").first.wait_for()

    item.refresh_from_db()
    second.refresh_from_db()
    assert not second.is_draft and item.reused and item.from_store
    reused = second.attachments.get(item=item)
    assert reused.store_document == document and reused.sha256 == document.sha256
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
