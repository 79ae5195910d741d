"""In Debian's Chromium, on a phone-sized screen: the citizen rates a returned dossier from their account and sees
the rating recorded; a second returned dossier is rated from the public lookup page; the desk's kiosk screen takes a
rating with one tap."""

import re

import pytest
from django.core.management import call_command

from tinhso.core.models import Agency, User
from tinhso.feedback.models import Rating
from tinhso.onestop.models import DossierEvent

from .conftest import DESK, returned

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "tinhso-demo-2026"


def sign_in(page, base, username):
    page.context.clear_cookies()
    page.goto(base + "/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r"/tai-khoan/"))


def test_citizen_rates_a_returned_dossier(live_server, page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("demo")
    people = {u.username: u for u in User.objects.all()}
    desk = Agency.objects.get(code=DESK)
    first, second, third = (returned(people, desk) for _ in range(3))
    base = live_server.url

    # 1. From the account: the dossier page offers the rating once the result is returned
    sign_in(page, base, "congdan")
    page.goto(f"{base}/ho-so-cua-toi/{first.pk}/")
    panel = page.locator("#danh-gia")
    panel.get_by_label("Hài lòng", exact=True).check()
    panel.get_by_label("Góp ý thêm (không bắt buộc)").fill("Cán bộ hướng dẫn tận tình.")
    panel.get_by_role("button", name="Gửi đánh giá").click()
    page.get_by_text("Cảm ơn bạn đã đánh giá").wait_for()
    assert panel.locator(".fb-rating-value").inner_text() == "Hài lòng"
    assert panel.get_by_role("button", name="Gửi đánh giá").count() == 0  # no second rating
    rating = Rating.objects.get(dossier=first)
    assert (rating.value, rating.channel, rating.comment) == ("satisfied", "account", "Cán bộ hướng dẫn tận tình.")
    assert DossierEvent.objects.filter(dossier=first, action="rated").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # 2. From the public lookup page, signed out, with the code and the lookup secret
    page.context.clear_cookies()
    page.goto(base + "/tra-cuu/")
    page.get_by_label("Mã hồ sơ").fill(second.code)
    page.get_by_label(re.compile("Mã tra cứu")).fill(second.lookup_secret)
    page.get_by_role("button", name=re.compile("Tra cứu")).click()
    panel = page.locator("#danh-gia")
    panel.get_by_label("Không hài lòng").check()
    panel.get_by_role("button", name="Gửi đánh giá").click()
    page.get_by_text("Cảm ơn bạn đã đánh giá").wait_for()
    assert page.locator("#danh-gia .fb-rating-value").inner_text() == "Không hài lòng"
    assert Rating.objects.get(dossier=second).channel == "lookup"

    # 3. At the desk: the officer opens the kiosk screen for a dossier just returned; the citizen taps once
    sign_in(page, base, "tiepnhan.lvt")
    page.goto(f"{base}/phan-anh/kiosk/")
    page.get_by_role("link", name=re.compile(re.escape(third.code))).click()
    page.get_by_role("button", name="Bình thường").click()
    page.get_by_role("heading", name="Xin cảm ơn!").wait_for()
    rating = Rating.objects.get(dossier=third)
    assert (rating.channel, rating.opened_by.username) == ("kiosk", "tiepnhan.lvt")
