"""Idle timeout (30 minutes for staff by default, 60 for others) and absolute lifetime of a signed-in session."""

import pytest

from tinhso.security.models import SecurityEvent

from .conftest import login_post, security_settings

pytestmark = pytest.mark.django_db


def test_staff_idle_for_more_than_30_minutes_are_signed_out_with_a_message(client, staff, clock):
    login_post(client, "chuyenvien")
    clock.advance(minutes=29)
    assert client.get("/tai-khoan/").status_code == 200  # activity: the idle clock starts again
    clock.advance(minutes=29)
    assert client.get("/tai-khoan/").status_code == 200
    clock.advance(minutes=30, seconds=1)
    response = client.get("/tai-khoan/?tab=1")
    assert response.status_code == 302
    assert response["Location"] == "/dang-nhap/?next=%2Ftai-khoan%2F%3Ftab%3D1"
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"])
    assert "Phiên làm việc đã hết hạn do không thao tác trong 30 phút. Vui lòng đăng nhập lại." in \
        page.content.decode()
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.SESSION_EXPIRED)
    assert event.user == staff and event.data == {"reason": "idle"}
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.LOGOUT).exists()


def test_citizens_have_the_longer_idle_time(client, citizen, clock):
    login_post(client, "congdan")
    clock.advance(minutes=45)
    assert client.get("/tai-khoan/").status_code == 200
    clock.advance(minutes=61)
    assert client.get("/tai-khoan/").status_code == 302


def test_absolute_lifetime_ends_even_an_active_session(client, staff, clock, settings):
    security_settings(settings, ABSOLUTE_HOURS=2)
    login_post(client, "chuyenvien")
    for _ in range(7):
        clock.advance(minutes=17)
        assert client.get("/tai-khoan/").status_code == 200
    clock.advance(minutes=2)  # 2 h 1 min after sign-in
    response = client.get("/tai-khoan/", follow=True)
    assert "Phiên làm việc đã hết thời hạn tối đa 2 giờ." in response.content.decode()
    assert SecurityEvent.objects.get(kind=SecurityEvent.Kind.SESSION_EXPIRED).data == {"reason": "absolute"}


def test_htmx_requests_are_told_to_navigate_and_the_api_answers_401(client, staff, clock):
    login_post(client, "chuyenvien")
    clock.advance(minutes=31)
    response = client.get("/ho-so-cua-toi/", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response["HX-Redirect"] == "/dang-nhap/"
    login_post(client, "chuyenvien")
    clock.advance(minutes=31)
    response = client.get("/api/staff/inbox")
    assert response.status_code == 401 and response.json()["code"] == "session_expired"


def test_timeouts_are_configurable(client, staff, clock, settings):
    security_settings(settings, IDLE_MINUTES_STAFF=5)
    login_post(client, "chuyenvien")
    clock.advance(minutes=6)
    assert client.get("/tai-khoan/").status_code == 302
