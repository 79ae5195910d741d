"""In Debian's Chromium: the pages work under the Content-Security-Policy (the browser reports no blocked script,
style or image), htmx still swaps fragments, and staff sign in with two-factor authentication from enrolment on."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tinhso.onestop.models import Dossier
from tinhso.onestop.tests.conftest import PDF  # a valid one-page PDF
from tinhso.security import conf, totp
from tinhso.security.models import SecurityEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DEMO_PASSWORD = "tinhso-demo-2026"


def watch_csp(page) -> list[str]:
    """Chromium's console reports of anything the policy blocked."""
    blocked: list[str] = []
    page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    return blocked


def sign_in(page, base, username, password=DEMO_PASSWORD):
    page.context.clear_cookies()
    page.goto(base + "/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()


def test_pages_work_under_the_policy(live_server, page, tmp_path):
    call_command("demo")
    base = live_server.url
    blocked = watch_csp(page)

    for path in ("/", "/thu-tuc/", "/co-quan/", "/tra-cuu/", "/dang-nhap/"):
        response = page.goto(base + path)
        assert response.ok and "default-src 'self'" in response.headers["content-security-policy"], path

    # htmx search on the catalogue (a fragment swapped in without a page load)
    page.goto(base + "/thu-tuc/")
    page.get_by_role("searchbox").first.fill("khai sinh")
    page.get_by_text(re.compile("khai sinh", re.I)).first.wait_for()

    # The citizen's draft: progress bar, htmx uploads with out-of-band swaps, the confirm dialog of htmx
    sign_in(page, base, "congdan")
    page.wait_for_url(re.compile(r"/tai-khoan/"))
    page.goto(base + "/thu-tuc/1.001193/")
    page.get_by_role("link", name="Nộp hồ sơ trực tuyến").click()
    page.get_by_text("Trung tâm Phục vụ hành chính công phường Lương Văn Tri").click()
    page.get_by_role("button", name="Tiếp tục").click()
    page.get_by_text("Nhận bản điện tử trên tài khoản").click()
    page.get_by_role("button", name="Tiếp tục").click()
    page.get_by_role("button", name="Tạo hồ sơ và tải giấy tờ lên").click()
    page.wait_for_url(re.compile(r"/ho-so-cua-toi/\d+/"))
    assert page.locator("progress.progress").evaluate("p => p.value") == 0
    upload = tmp_path / "to-khai.pdf"
    upload.write_bytes(PDF)
    item = Dossier.objects.get().items.filter(mandatory=True).order_by("order").first()
    section = page.locator(f"#item-{item.pk}")
    section.locator("input[type=file]").set_input_files(str(upload))
    section.get_by_role("button", name=re.compile("Tải lên")).click()
    section.get_by_role("link", name="to-khai.pdf").wait_for()
    expect(page.locator("progress.progress")).to_have_js_property("value", 1)  # swapped in out of band
    url_before = page.url
    page.once("dialog", lambda dialog: dialog.accept())
    section = page.locator(f"#item-{item.pk}")
    section.get_by_role("button", name=re.compile("Xóa")).click()
    section.get_by_text("Chưa có tệp.").wait_for()
    assert page.url == url_before  # swapped by htmx, not a full page load

    # Staff pages, the documents register with its print button (a script file now), the admin, the API docs
    sign_in(page, base, "vanthu")
    page.wait_for_url(re.compile(r"/tai-khoan/"))
    for path in ("/can-bo/", "/van-ban/", "/van-ban/so/", "/bao-mat/"):
        assert page.goto(base + path).ok, path
    page.goto(base + "/van-ban/so/")
    page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")
    page.get_by_role("button", name="In sổ").click()
    assert page.evaluate("window.__printed") == 1

    sign_in(page, base, "quantri")
    page.wait_for_url(re.compile(r"/tai-khoan/"))
    assert page.goto(base + "/quan-tri/").ok
    page.goto(base + "/quan-tri/security/securityevent/")
    page.get_by_text("Đăng nhập thành công").first.wait_for()
    assert page.goto(base + "/bao-mat/su-kien/").ok
    page.goto(base + "/api/docs")
    page.locator(".swagger-ui .info .title").wait_for()

    assert blocked == []


class Clock:
    def __init__(self):
        self.at = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))

    def __call__(self):
        return self.at

    def code(self, secret: str) -> str:
        return totp.totp(totp.secret_bytes(secret), self.at.timestamp())


def test_staff_enrol_then_sign_in_with_a_code(live_server, page, settings, monkeypatch):
    call_command("demo")
    settings.TINHSO = {**settings.TINHSO, "SECURITY": {**settings.TINHSO["SECURITY"], "TOTP_ENABLED": True}}
    clock = Clock()
    monkeypatch.setattr(conf, "now", clock)
    base = live_server.url
    blocked = watch_csp(page)

    sign_in(page, base, "tiepnhan")
    page.wait_for_url(re.compile(r"/bao-mat/hai-lop/thiet-lap/"))
    page.get_by_role("heading", name="Thiết lập xác thực hai lớp").wait_for()
    qr = page.get_by_role("img", name=re.compile("Mã QR"))
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")  # the data: image is allowed and decodes
    secret = "".join(page.locator(".secret code").first.inner_text().split())
    page.get_by_label("Mã xác thực").fill(clock.code(secret))
    page.get_by_role("button", name="Xác nhận và bật").click()
    page.get_by_role("heading", name="Mã khôi phục").wait_for()
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name=re.compile("Tôi đã lưu các mã")).click()

    # Next sign-in: password, then the code of the next 30-second step
    clock.at += timedelta(minutes=1)
    sign_in(page, base, "tiepnhan")
    page.wait_for_url(re.compile(r"/bao-mat/xac-thuc/"))
    page.get_by_label("Mã xác thực").fill("000000" if clock.code(secret) != "000000" else "111111")
    page.get_by_role("button", name="Xác nhận").click()
    page.get_by_role("alert").get_by_text(re.compile("Mã xác thực không đúng")).wait_for()
    page.get_by_label("Mã xác thực").fill(clock.code(secret))
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_url(re.compile(r"/tai-khoan/"))
    page.goto(base + "/can-bo/")
    page.get_by_role("heading", level=1).wait_for()

    # A lost phone: a recovery code instead
    clock.at += timedelta(minutes=1)
    sign_in(page, base, "tiepnhan")
    page.wait_for_url(re.compile(r"/bao-mat/xac-thuc/"))
    page.get_by_label("Mã xác thực").fill(codes[0])
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_url(re.compile(r"/tai-khoan/"))

    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.TOTP_RECOVERY_USED).count() == 1
    assert blocked == []
