"""Security events: in the database, as JSON lines for the SIEM, on the administrators' page and in the admin."""

import json
import logging
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from tinhso.core.models import Agency, Role
from tinhso.security.jsonlog import JsonLinesFileHandler, JsonLinesFormatter, handler_config
from tinhso.security.models import SecurityEvent

from .conftest import PASSWORD, login_post, make_staff

pytestmark = pytest.mark.django_db


def _flushed_log() -> Path:
    for handler in logging.getLogger("tinhso.security").handlers:
        handler.flush()
    return Path(django_settings.SECURITY_LOG)


@pytest.fixture(autouse=True)
def log_start():
    """Where this test's lines begin in the process's log: ids start again in every test (rolled-back rows)."""
    log = _flushed_log()
    return log.stat().st_size if log.exists() else 0


def jsonl_events(event_ids, start: int = 0) -> list[dict]:
    """The lines of the test process's security log (settings/test.py) for these event ids, from ``start``."""
    with _flushed_log().open("rb") as f:
        f.seek(start)
        lines = f.read().decode("utf-8").splitlines()
    wanted = set(event_ids)
    return [e for e in map(json.loads, lines) if e.get("id") in wanted]


def test_sign_in_events_go_to_the_database_and_the_json_log(client, staff, clock, log_start):
    login_post(client, "chuyenvien", "sai-mat-khau", )
    login_post(client, "chuyenvien", PASSWORD)
    client.post("/dang-xuat/")
    events = list(SecurityEvent.objects.order_by("pk"))
    assert [e.kind for e in events] == ["login.failed", "login.ok", "logout"]
    failed = events[0]
    assert failed.user is None and failed.username == "chuyenvien" and failed.ip == "127.0.0.1"
    assert failed.path == "/dang-nhap/" and failed.data == {"reason": "bad_credentials"}
    assert events[1].user == staff

    lines = jsonl_events([e.pk for e in events], log_start)
    assert [line["event"] for line in lines] == ["login.failed", "login.ok", "logout"]
    first = lines[0]
    assert first["outcome"] == "failure" and first["username"] == "chuyenvien" and first["user_id"] is None
    assert first["ip"] == "127.0.0.1" and first["path"] == "/dang-nhap/"
    assert first["data"] == {"reason": "bad_credentials"} and first["app"] == "tinhso"
    assert first["ts"].endswith("Z")
    assert lines[1]["outcome"] == "success" and lines[1]["user_id"] == staff.pk


def test_the_password_is_never_written_to_the_log(client, staff):
    login_post(client, "chuyenvien", "bi-mat-sai-123")
    ids = SecurityEvent.objects.values_list("pk", flat=True)
    assert "bi-mat-sai-123" not in json.dumps(jsonl_events(ids))


def test_forbidden_pages_and_api_refusals_are_recorded(client, citizen, staff):
    client.force_login(citizen)
    assert client.get("/van-ban/").status_code == 403
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.PERMISSION_DENIED)
    assert event.user == citizen and event.path == "/van-ban/" and event.data["status"] == 403
    assert client.get("/api/staff/inbox").status_code == 403
    api_event = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.PERMISSION_DENIED).latest("pk")
    assert api_event.path == "/api/staff/inbox" and api_event.data["code"] == "staff_only"


def test_csrf_failure_is_recorded(staff):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post("/dang-nhap/", {"username": "chuyenvien", "password": PASSWORD})
    assert response.status_code == 403
    assert SecurityEvent.objects.get(kind=SecurityEvent.Kind.PERMISSION_DENIED).path == "/dang-nhap/"


def test_password_change_is_recorded_once(client, staff):
    client.force_login(staff)
    response = client.post("/bao-mat/doi-mat-khau/", {
        "old_password": PASSWORD, "new_password1": "Mat-khau-moi-2026!", "new_password2": "Mat-khau-moi-2026!"})
    assert response.status_code == 302 and response["Location"] == "/bao-mat/"
    assert client.get("/bao-mat/").status_code == 200  # still signed in
    assert list(SecurityEvent.objects.filter(kind=SecurityEvent.Kind.PASSWORD_CHANGED).values_list("user", flat=True)) \
        == [staff.pk]
    # A wrong old password: a message, no change
    response = client.post("/bao-mat/doi-mat-khau/", {
        "old_password": "sai", "new_password1": "Mat-khau-khac-2026!", "new_password2": "Mat-khau-khac-2026!"})
    assert response.status_code == 200
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.PASSWORD_CHANGED).count() == 1


def test_password_hash_upgrade_is_not_a_password_change(staff, settings):
    from django.contrib.auth import authenticate

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher",
                                 "django.contrib.auth.hashers.MD5PasswordHasher"]
    assert authenticate(username="chuyenvien", password=PASSWORD) is not None  # rehashed with PBKDF2
    staff.refresh_from_db()
    assert staff.password.startswith("pbkdf2_")
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.PASSWORD_CHANGED).exists()


# --- the administrators' page ------------------------------------------------------------------------------------

@pytest.fixture
def other_department(province):
    return Agency.objects.create(code="000.00.07.H37", name="Sở Xây dựng", short_name="SXD",
                                 kind=Agency.Kind.DEPARTMENT, parent=province)


def test_events_page_is_for_administrators_only(client, staff, citizen):
    client.force_login(staff)
    response = client.get("/bao-mat/su-kien/")
    assert response.status_code == 403 and "Trang này dành cho quản trị hệ thống." in response.content.decode()
    client.force_login(citizen)
    assert client.get("/bao-mat/su-kien/").status_code == 403
    client.logout()
    assert client.get("/bao-mat/su-kien/")["Location"].startswith("/dang-nhap/")


def test_province_administrator_sees_all_with_filters(client, province, staff, clock):
    admin = make_staff("quantri", province, Role.ADMINISTRATOR)
    login_post(client.__class__(), "chuyenvien", "sai")
    login_post(client.__class__(), "ai-do", "sai")
    clock.advance(days=2)
    login_post(client.__class__(), "chuyenvien", PASSWORD)
    client.force_login(admin)

    page = client.get("/bao-mat/su-kien/")
    assert page.status_code == 200
    assert {e.username for e in page.context["page"]} >= {"chuyenvien", "ai-do"}
    body = page.content.decode()
    assert "Đăng nhập thất bại" in body and "02/03/2026" in body

    page = client.get("/bao-mat/su-kien/", {"kind": "login.failed", "q": "chuyen"})
    assert [(e.kind, e.username) for e in page.context["page"]] == [("login.failed", "chuyenvien")]
    page = client.get("/bao-mat/su-kien/", {"date_from": "04/03/2026", "date_to": "04/03/2026"})
    assert [e.kind for e in page.context["page"]] == ["login.ok"]
    page = client.get("/bao-mat/su-kien/", {"q": "127.0.0"})
    assert page.context["page"].paginator.count == 3


def test_bad_filter_dates_are_a_message_not_an_error(client, province):
    client.force_login(make_staff("quantri", province, Role.ADMINISTRATOR))
    response = client.get("/bao-mat/su-kien/", {"date_from": "31/02/2026"})
    assert response.status_code == 200
    assert "Ngày không hợp lệ, hãy nhập theo dạng dd/mm/yyyy." in response.content.decode()
    response = client.get("/bao-mat/su-kien/", {"date_from": "05/03/2026", "date_to": "01/03/2026"})
    assert "“Từ ngày” phải trước hoặc bằng “Đến ngày”." in response.content.decode()


def test_agency_administrator_sees_only_the_events_of_their_staff(client, department, other_department, staff):
    builder = make_staff("chuyenvien.sxd", other_department, Role.SPECIALIST)
    admin = make_staff("quantri.stp", department, Role.ADMINISTRATOR)
    for user in (staff, builder):
        c = client.__class__()
        login_post(c, user.username, PASSWORD)
    login_post(client.__class__(), "ai-do", "sai")
    login_post(client.__class__(), "chuyenvien", "sai")
    login_post(client.__class__(), "chuyenvien.sxd", "sai")
    client.force_login(admin)
    seen = {(e.kind, e.user_id, e.username) for e in client.get("/bao-mat/su-kien/").context["page"]}
    assert seen == {("login.ok", staff.pk, "chuyenvien"), ("login.failed", None, "chuyenvien")}


def test_admin_lists_events_read_only(client, db):
    from tinhso.core.models import User

    root = User.objects.create_superuser("root", "root@example.org", PASSWORD, kind=User.Kind.STAFF)
    SecurityEvent.objects.create(at="2026-03-02T02:00:00Z", kind="login.failed", username="x", ip="203.0.113.5")
    client.force_login(root)
    response = client.get("/quan-tri/security/securityevent/")
    assert response.status_code == 200 and "203.0.113.5" in response.content.decode()
    assert client.get("/quan-tri/security/securityevent/add/").status_code == 403
    assert client.get("/quan-tri/security/securityevent/?kind__exact=login.failed").status_code == 200


# --- the JSON lines handler -----------------------------------------------------------------------------------------

def test_file_handler_creates_its_folder_and_writes_one_json_object_per_line(tmp_path):
    path = tmp_path / "log" / "nested" / "security.jsonl"
    handler = JsonLinesFileHandler(str(path))
    handler.setFormatter(JsonLinesFormatter())
    logger = logging.getLogger("tinhso.security.test-handler")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("x", extra={"security_event": {"event": "login.failed", "username": "Nguyễn\nA"}})
        logger.warning("plain message")
    finally:
        logger.removeHandler(handler)
        handler.close()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first, second = map(json.loads, lines)
    assert first["event"] == "login.failed" and first["username"] == "Nguyễn\nA"
    assert second["message"] == "plain message" and second["level"] == "WARNING"


def test_handler_targets():
    assert handler_config("-")["stream"] == "ext://sys.stdout"
    assert handler_config("none")["class"] == "logging.NullHandler"
    assert handler_config("/var/log/tinhso/security.jsonl")["filename"] == "/var/log/tinhso/security.jsonl"
