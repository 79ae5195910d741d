"""Failed sign-ins lock the user name (and, past a larger limit, the client address), the same way whether the
account exists or not, and the lock ends after the configured time."""

import pytest

from tinhso.security.models import LoginFailure, LoginLock, SecurityEvent

from .conftest import PASSWORD, login_post, security_settings

pytestmark = pytest.mark.django_db
BAD_CREDENTIALS = "Tên đăng nhập hoặc mật khẩu không đúng."


@pytest.fixture(autouse=True)
def limits(settings):
    security_settings(settings, LOCKOUT_FAILURES=5, LOCKOUT_WINDOW_MINUTES=15, LOCKOUT_MINUTES=15, IP_FAILURES=12,
                      IP_WINDOW_MINUTES=15, IP_LOCKOUT_MINUTES=30)


def errors_of(response) -> list[str]:
    return list(response.context["form"].non_field_errors())


def test_five_wrong_passwords_lock_the_account_until_the_time_shown(client, staff, clock):
    for _ in range(4):
        response = login_post(client, "chuyenvien", "sai-mat-khau")
        assert errors_of(response) == [BAD_CREDENTIALS]
    response = login_post(client, "chuyenvien", "sai-mat-khau")
    assert errors_of(response) == ["Tài khoản tạm khóa đến 09:15 do đăng nhập sai nhiều lần."]
    assert "Tài khoản tạm khóa đến 09:15" in response.content.decode()

    # Even the right password is refused while locked, and nobody is signed in
    clock.advance(minutes=14, seconds=59)
    response = login_post(client, "chuyenvien", PASSWORD)
    assert errors_of(response) == ["Tài khoản tạm khóa đến 09:15 do đăng nhập sai nhiều lần."]
    assert "_auth_user_id" not in client.session

    # After 15 minutes the right password works and the failures are forgotten
    clock.advance(seconds=2)
    response = login_post(client, "chuyenvien", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/tai-khoan/"
    assert int(client.session["_auth_user_id"]) == staff.pk
    assert not LoginFailure.objects.filter(username="chuyenvien").exists()
    assert not LoginLock.objects.filter(key="chuyenvien").exists()

    kinds = list(SecurityEvent.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds.count(SecurityEvent.Kind.LOGIN_FAILED) == 6  # five wrong passwords, one refused while locked
    assert kinds.count(SecurityEvent.Kind.LOCKOUT) == 1
    assert kinds[-1] == SecurityEvent.Kind.LOGIN_OK


def test_after_a_lock_ends_the_count_starts_again(client, staff, clock):
    for _ in range(5):
        login_post(client, "chuyenvien", "sai")
    clock.advance(minutes=15, seconds=1)
    response = login_post(client, "chuyenvien", "sai")
    assert errors_of(response) == [BAD_CREDENTIALS]  # not locked again at once by the old failures


def test_failures_outside_the_window_do_not_count(client, staff, clock):
    for _ in range(4):
        login_post(client, "chuyenvien", "sai")
    clock.advance(minutes=16)
    response = login_post(client, "chuyenvien", "sai")
    assert errors_of(response) == [BAD_CREDENTIALS]


def test_unknown_user_names_get_the_same_messages_and_lock(client, staff, clock):
    """No enumeration: an unknown name answers exactly like a real one, through the lock."""
    known, unknown = [], []
    for _ in range(6):
        known.append(errors_of(login_post(client, "chuyenvien", "sai")))
        unknown.append(errors_of(login_post(client, "khong-ton-tai", "sai")))
    assert known == unknown
    assert known[-1] == ["Tài khoản tạm khóa đến 09:15 do đăng nhập sai nhiều lần."]
    assert set(LoginLock.objects.values_list("key", flat=True)) == {"chuyenvien", "khong-ton-tai"}


def test_user_name_case_and_spaces_do_not_escape_the_count(client, staff, clock):
    for name in ("chuyenvien", "ChuyenVien", " chuyenvien", "CHUYENVIEN", "chuyenVien "):
        login_post(client, name, "sai")
    response = login_post(client, "chuyenvien", PASSWORD)
    assert errors_of(response)[0].startswith("Tài khoản tạm khóa đến")


def test_many_failures_from_one_address_throttle_every_name(client, staff, clock):
    for i in range(12):
        login_post(client, f"nguoi-{i}", "sai")
    response = login_post(client, "chuyenvien", PASSWORD)
    assert errors_of(response) == [
        "Có quá nhiều lần đăng nhập sai từ địa chỉ mạng của bạn. Vui lòng thử lại sau 09:30."]
    # Another address is not throttled
    response = login_post(client.__class__(REMOTE_ADDR="198.51.100.9"), "chuyenvien", PASSWORD)
    assert response.status_code == 302
    lock = LoginLock.objects.get(scope=LoginLock.Scope.IP)
    assert lock.key == "127.0.0.1" and lock.failures == 12


def test_lock_shows_the_date_when_it_ends_another_day(client, staff, clock, settings):
    security_settings(settings, LOCKOUT_MINUTES=24 * 60)
    for _ in range(5):
        response = login_post(client, "chuyenvien", "sai")
    assert errors_of(response) == ["Tài khoản tạm khóa đến 09:00 ngày 03/03/2026 do đăng nhập sai nhiều lần."]


def test_missing_fields_are_a_message_not_a_failure(client, staff):
    response = client.post("/dang-nhap/", {"username": "chuyenvien", "password": ""})
    assert response.status_code == 200
    assert "Hãy nhập tên đăng nhập và mật khẩu." in response.content.decode()
    assert not LoginFailure.objects.exists()


def test_login_keeps_a_safe_next_and_drops_another_site(client, staff):
    response = login_post(client, "chuyenvien", next_url="/van-ban/")
    assert response["Location"] == "/van-ban/"
    client.logout()
    response = login_post(client, "chuyenvien", next_url="https://evil.example/")
    assert response["Location"] == "/tai-khoan/"
