"""Two-factor sign-in for staff: enrolment with a real authenticator code, then password + code; wrong and replayed
codes refused; recovery codes work once; no page or API before the code; citizens and the switch."""

import pytest

from tinhso.core.models import Role
from tinhso.security import crypto, totp
from tinhso.security.models import LoginFailure, RecoveryCode, SecurityEvent, TOTPDevice

from .conftest import PASSWORD, login_post, make_staff, security_settings

pytestmark = pytest.mark.django_db


def enrol(client, clock, username="chuyenvien", next_url=""):
    """Sign in with the password, land on the enrolment page, confirm with the app's code; the secret and codes."""
    response = login_post(client, username, next_url=next_url)
    assert response.status_code == 302 and response["Location"] == "/bao-mat/hai-lop/thiet-lap/"
    page = client.get("/bao-mat/hai-lop/thiet-lap/")
    secret = page.context["secret"]
    response = client.post("/bao-mat/hai-lop/thiet-lap/", {"code": clock.code(secret)})
    assert response.status_code == 302 and response["Location"] == "/bao-mat/hai-lop/ma-khoi-phuc/"
    shown = client.get("/bao-mat/hai-lop/ma-khoi-phuc/")
    return secret, shown.context["codes"], shown


def sign_in_with_password(client, username="chuyenvien"):
    client.logout()
    response = login_post(client, username)
    assert response.status_code == 302 and response["Location"] == "/bao-mat/xac-thuc/"
    assert "_auth_user_id" not in client.session  # not signed in before the code


def test_staff_without_authenticator_must_enrol_before_anything_else(client, staff, totp_on, clock):
    response = login_post(client, "chuyenvien", next_url="/van-ban/")
    assert response["Location"] == "/bao-mat/hai-lop/thiet-lap/"
    assert "_auth_user_id" not in client.session
    # Any other page: still anonymous (sent to sign in), the API refuses
    assert client.get("/tai-khoan/")["Location"].startswith("/dang-nhap/")
    assert client.get("/api/staff/inbox").status_code == 401

    page = client.get("/bao-mat/hai-lop/thiet-lap/")
    assert page.status_code == 200
    secret = page.context["secret"]
    body = page.content.decode()
    assert 'src="data:image/svg+xml' in body  # the QR code
    assert page.context["otpauth_uri"].startswith("otpauth://totp/")
    assert f"secret={secret}" in page.context["otpauth_uri"]
    # The secret shown stays the same across reloads until confirmed
    assert client.get("/bao-mat/hai-lop/thiet-lap/").context["secret"] == secret

    response = client.post("/bao-mat/hai-lop/thiet-lap/", {"code": "000000"})
    assert "Mã xác thực không đúng" in response.content.decode()
    assert not TOTPDevice.objects.exists()

    response = client.post("/bao-mat/hai-lop/thiet-lap/", {"code": clock.code(secret)})
    assert response["Location"] == "/bao-mat/hai-lop/ma-khoi-phuc/"
    assert int(client.session["_auth_user_id"]) == staff.pk
    shown = client.get("/bao-mat/hai-lop/ma-khoi-phuc/")
    codes = shown.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert shown.context["next"] == "/van-ban/"
    assert client.get("/bao-mat/hai-lop/ma-khoi-phuc/")["Location"] == "/bao-mat/"  # shown once

    device = TOTPDevice.objects.get(user=staff)
    assert device.is_confirmed and secret not in device.secret  # encrypted at rest
    assert crypto.decrypt(device.secret) == secret
    stored = set(RecoveryCode.objects.filter(user=staff).values_list("code_hash", flat=True))
    assert stored == {crypto.hash_recovery_code(c) for c in codes}
    assert not any(c.replace("-", "") in "".join(stored) for c in codes)
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.TOTP_ENROLLED, user=staff).count() == 1
    assert client.get("/tai-khoan/").status_code == 200


def test_password_then_code_signs_in_and_goes_where_asked(client, staff, totp_on, clock):
    secret, _codes, _ = enrol(client, clock)
    clock.advance(minutes=5)
    client.logout()
    response = login_post(client, "chuyenvien", next_url="/van-ban/")
    assert response["Location"] == "/bao-mat/xac-thuc/"
    page = client.get("/bao-mat/xac-thuc/")
    assert page.status_code == 200 and "Mã xác thực" in page.content.decode()
    response = client.post("/bao-mat/xac-thuc/", {"code": clock.code(secret)})
    assert response.status_code == 302 and response["Location"] == "/van-ban/"
    assert int(client.session["_auth_user_id"]) == staff.pk
    event = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.LOGIN_OK).latest("pk")
    assert event.data == {"method": "totp"} and event.user == staff


def test_codes_one_step_early_or_late_are_accepted_two_are_not(client, staff, totp_on, clock):
    secret, _codes, _ = enrol(client, clock)
    for offset, ok in ((-60, False), (60, False), (-30, True)):
        clock.advance(minutes=2)
        sign_in_with_password(client)
        response = client.post("/bao-mat/xac-thuc/", {"code": clock.code(secret, seconds=offset)})
        assert (response.status_code == 302) is ok, offset
    clock.advance(minutes=2)
    sign_in_with_password(client)
    response = client.post("/bao-mat/xac-thuc/", {"code": clock.code(secret, seconds=30)})
    assert response.status_code == 302


def test_wrong_code_is_refused_and_counted(client, staff, totp_on, clock):
    secret, _codes, _ = enrol(client, clock)
    clock.advance(minutes=1)
    sign_in_with_password(client)
    wrong = f"{(int(clock.code(secret)) + 1) % 1_000_000:06d}"
    response = client.post("/bao-mat/xac-thuc/", {"code": wrong})
    assert response.status_code == 200
    assert "Mã xác thực không đúng hoặc đã hết hạn" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert LoginFailure.objects.filter(username="chuyenvien").count() == 1
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.TOTP_FAILED, user=staff).exists()
    # The right code still works in the same attempt
    response = client.post("/bao-mat/xac-thuc/", {"code": clock.code(secret)})
    assert response.status_code == 302
    assert not LoginFailure.objects.filter(username="chuyenvien").exists()


def test_the_same_code_cannot_be_used_twice(client, staff, totp_on, clock):
    secret, _codes, _ = enrol(client, clock)
    clock.advance(seconds=30)
    code = clock.code(secret)
    sign_in_with_password(client)
    assert client.post("/bao-mat/xac-thuc/", {"code": code}).status_code == 302

    # Someone who saw the code and knows the password, a few seconds later, in another browser
    clock.advance(seconds=10)
    other = client.__class__()
    assert login_post(other, "chuyenvien")["Location"] == "/bao-mat/xac-thuc/"
    response = other.post("/bao-mat/xac-thuc/", {"code": code})
    assert response.status_code == 200
    assert "Mã này vừa được dùng" in response.content.decode()
    assert "_auth_user_id" not in other.session
    event = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.TOTP_FAILED).latest("pk")
    assert event.data == {"reason": "replay"}


def test_the_enrolment_code_cannot_sign_in_again(client, staff, totp_on, clock):
    secret, _codes, _ = enrol(client, clock)
    sign_in_with_password(client)
    response = client.post("/bao-mat/xac-thuc/", {"code": clock.code(secret)})
    assert response.status_code == 200 and "Mã này vừa được dùng" in response.content.decode()


def test_recovery_code_works_once(client, staff, totp_on, clock):
    _secret, codes, _ = enrol(client, clock)
    clock.advance(minutes=1)
    sign_in_with_password(client)
    response = client.post("/bao-mat/xac-thuc/", {"code": codes[3].upper()})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == staff.pk
    used = SecurityEvent.objects.get(kind=SecurityEvent.Kind.TOTP_RECOVERY_USED)
    assert used.user == staff and used.data == {"left": 9}

    clock.advance(minutes=1)
    sign_in_with_password(client)
    response = client.post("/bao-mat/xac-thuc/", {"code": codes[3]})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert RecoveryCode.objects.filter(user=staff, used_at__isnull=True).count() == 9


def test_too_many_wrong_codes_lock_the_account(client, staff, totp_on, clock, settings):
    security_settings(settings, LOCKOUT_FAILURES=3, TOTP_MAX_ATTEMPTS=5)
    secret, _codes, _ = enrol(client, clock)
    clock.advance(minutes=1)
    sign_in_with_password(client)
    wrong = f"{(int(clock.code(secret)) + 7) % 1_000_000:06d}"
    client.post("/bao-mat/xac-thuc/", {"code": wrong})
    client.post("/bao-mat/xac-thuc/", {"code": wrong})
    response = client.post("/bao-mat/xac-thuc/", {"code": wrong}, follow=True)
    assert response.redirect_chain[0][0] == "/dang-nhap/"
    assert "Tài khoản tạm khóa đến 09:16 do đăng nhập sai nhiều lần." in response.content.decode()
    # The password alone no longer gets to the code page
    response = login_post(client, "chuyenvien")
    assert response.status_code == 200 and "Tài khoản tạm khóa" in response.content.decode()


def test_wrong_codes_beyond_the_attempt_limit_need_the_password_again(client, staff, totp_on, clock, settings):
    security_settings(settings, LOCKOUT_FAILURES=10, TOTP_MAX_ATTEMPTS=2)
    secret, _codes, _ = enrol(client, clock)
    clock.advance(minutes=1)
    sign_in_with_password(client)
    wrong = f"{(int(clock.code(secret)) + 7) % 1_000_000:06d}"
    client.post("/bao-mat/xac-thuc/", {"code": wrong})
    response = client.post("/bao-mat/xac-thuc/", {"code": wrong}, follow=True)
    assert "Nhập sai mã quá nhiều lần. Vui lòng đăng nhập lại." in response.content.decode()
    assert client.post("/bao-mat/xac-thuc/", {"code": clock.code(secret)})["Location"] == "/dang-nhap/"


def test_code_page_expires_after_the_pending_time(client, staff, totp_on, clock):
    secret, _codes, _ = enrol(client, clock)
    clock.advance(minutes=1)
    sign_in_with_password(client)
    clock.advance(minutes=6)
    response = client.post("/bao-mat/xac-thuc/", {"code": clock.code(secret)})
    assert response["Location"] == "/dang-nhap/"
    assert "_auth_user_id" not in client.session


def test_a_session_opened_without_the_code_is_sent_back_to_it(client, staff, totp_on, clock):
    """force_login stands for any sign-in that skipped our page (an old session, Django admin's login)."""
    enrol(client, clock)
    other = client.__class__()
    other.force_login(staff)
    response = other.get("/tai-khoan/")
    assert response["Location"] == "/bao-mat/xac-thuc/"
    assert "_auth_user_id" not in other.session
    api = client.__class__()
    api.force_login(staff)
    response = api.get("/api/staff/inbox")
    assert response.status_code == 401 and response.json()["code"] == "mfa_required"


def test_admin_login_page_is_ours(client):
    response = client.get("/quan-tri/login/?next=/quan-tri/")
    assert response.status_code == 302 and response["Location"] == "/dang-nhap/?next=%2Fquan-tri%2F"


def test_citizens_sign_in_with_the_password_only(client, citizen, totp_on, clock):
    response = login_post(client, "congdan")
    assert response["Location"] == "/tai-khoan/"
    assert client.get("/tai-khoan/").status_code == 200


def test_required_roles_are_configurable(client, department, totp_on, clock, settings):
    security_settings(settings, TOTP_REQUIRED_ROLES=[Role.ADMINISTRATOR])
    make_staff("tiepnhan", department, Role.RECEIVING_OFFICER)
    make_staff("quantri", department, Role.ADMINISTRATOR)
    assert login_post(client, "tiepnhan")["Location"] == "/tai-khoan/"
    client.logout()
    assert login_post(client, "quantri")["Location"] == "/bao-mat/hai-lop/thiet-lap/"


def test_switch_off_lets_staff_sign_in_with_the_password(client, staff, settings, clock):
    security_settings(settings, TOTP_ENABLED=False)
    assert login_post(client, "chuyenvien")["Location"] == "/tai-khoan/"
    assert client.get("/tai-khoan/").status_code == 200


def test_signed_in_user_can_set_up_and_replace_the_authenticator(client, staff, clock, settings):
    security_settings(settings, TOTP_ENABLED=False)
    client.force_login(staff)
    first = client.get("/bao-mat/hai-lop/thiet-lap/").context["secret"]
    client.post("/bao-mat/hai-lop/thiet-lap/", {"code": clock.code(first)})
    old_codes = client.get("/bao-mat/hai-lop/ma-khoi-phuc/").context["codes"]
    page = client.get("/bao-mat/hai-lop/thiet-lap/")
    assert page.context["replacing"] and page.context["secret"] != first
    clock.advance(minutes=1)
    client.post("/bao-mat/hai-lop/thiet-lap/", {"code": clock.code(page.context["secret"])})
    device = TOTPDevice.objects.get(user=staff)
    assert crypto.decrypt(device.secret) == page.context["secret"]
    assert not RecoveryCode.objects.filter(code_hash=crypto.hash_recovery_code(old_codes[0])).exists()
    index = client.get("/bao-mat/")
    assert index.context["device"] == device and index.context["codes_left"] == 10


def test_regenerate_recovery_codes(client, staff, clock, settings):
    security_settings(settings, TOTP_ENABLED=False)
    client.force_login(staff)
    secret = client.get("/bao-mat/hai-lop/thiet-lap/").context["secret"]
    client.post("/bao-mat/hai-lop/thiet-lap/", {"code": clock.code(secret)})
    first = client.get("/bao-mat/hai-lop/ma-khoi-phuc/").context["codes"]
    response = client.post("/bao-mat/hai-lop/ma-khoi-phuc/tao-lai/")
    assert response["Location"] == "/bao-mat/hai-lop/ma-khoi-phuc/"
    second = client.get("/bao-mat/hai-lop/ma-khoi-phuc/").context["codes"]
    assert not set(first) & set(second)
    assert set(RecoveryCode.objects.values_list("code_hash", flat=True)) == {
        crypto.hash_recovery_code(c) for c in second}


def test_admin_reset_makes_the_user_enrol_again(client, staff, department, totp_on, clock):
    from tinhso.security import services

    enrol(client, clock)
    admin = make_staff("quantri", department, Role.ADMINISTRATOR)
    services.reset_totp(admin, staff)
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert not RecoveryCode.objects.filter(user=staff).exists()
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.TOTP_RESET, user=staff).exists()
    client.logout()
    assert login_post(client, "chuyenvien")["Location"] == "/bao-mat/hai-lop/thiet-lap/"


def test_reset_is_refused_outside_the_administrator_scope(staff, province, department):
    from tinhso.core.errors import Forbidden
    from tinhso.core.models import Agency
    from tinhso.security import services

    other = Agency.objects.create(code="000.00.07.H37", name="Sở Xây dựng", short_name="SXD",
                                  kind=Agency.Kind.DEPARTMENT, parent=province)
    admin_elsewhere = make_staff("quantri.sxd", other, Role.ADMINISTRATOR)
    with pytest.raises(Forbidden):
        services.reset_totp(admin_elsewhere, staff)


def test_enrolment_needs_a_password_first(client, db):
    assert client.get("/bao-mat/hai-lop/thiet-lap/")["Location"].startswith("/dang-nhap/")
    assert client.get("/bao-mat/xac-thuc/")["Location"] == "/dang-nhap/"


def test_secret_from_the_page_matches_the_qr_uri(client, staff, totp_on, clock):
    login_post(client, "chuyenvien")
    page = client.get("/bao-mat/hai-lop/thiet-lap/")
    secret = page.context["secret"]
    assert "".join(page.context["secret_groups"]) == secret
    assert totp.secret_bytes(secret)
    assert PASSWORD not in page.content.decode()


def test_a_role_granted_to_a_signed_in_user_requires_the_code_within_minutes(client, department, totp_on, clock,
                                                                             settings):
    from tinhso.core.models import Membership

    security_settings(settings, TOTP_REQUIRED_ROLES=[Role.ADMINISTRATOR])
    user = make_staff("tiepnhan", department, Role.RECEIVING_OFFICER)
    login_post(client, "tiepnhan")
    assert client.get("/tai-khoan/").status_code == 200
    Membership.objects.create(user=user, agency=department, role=Role.ADMINISTRATOR)
    clock.advance(minutes=6)
    assert client.get("/tai-khoan/")["Location"] == "/bao-mat/hai-lop/thiet-lap/"
