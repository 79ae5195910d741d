from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tinhso.core.models import Agency, Membership, Role, User
from tinhso.security import conf, totp

PASSWORD = "mat-khau-thu-nghiem-2026"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class Clock:
    """The security app's clock (``conf.now``), moved by the test."""

    def __init__(self, start: datetime):
        self.at = start

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta) -> None:
        self.at += timedelta(**delta)

    def code(self, secret: str, **offset) -> str:
        """The authenticator app's code for ``secret`` at the clock's time (plus ``offset``)."""
        return totp.totp(totp.secret_bytes(secret), (self.at + timedelta(**offset)).timestamp())


@pytest.fixture
def clock(monkeypatch):
    c = Clock(datetime(2026, 3, 2, 9, 0, 0, tzinfo=TZ))
    monkeypatch.setattr(conf, "now", c)
    return c


def security_settings(settings, **values) -> None:
    settings.TINHSO = {**settings.TINHSO, "SECURITY": {**settings.TINHSO.get("SECURITY", {}), **values}}


@pytest.fixture
def totp_on(settings):
    security_settings(settings, TOTP_ENABLED=True, TOTP_REQUIRED_ROLES=None)


@pytest.fixture
def province(db):
    return Agency.objects.create(code="000.00.00.H37", name="Ủy ban nhân dân tỉnh Lạng Sơn", short_name="UBND",
                                 kind=Agency.Kind.PROVINCIAL_COMMITTEE)


@pytest.fixture
def department(province):
    return Agency.objects.create(code="000.00.03.H37", name="Sở Tư pháp", short_name="STP",
                                 kind=Agency.Kind.DEPARTMENT, parent=province)


def make_staff(username: str, agency: Agency | None = None, role: str = Role.SPECIALIST) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, kind=User.Kind.STAFF,
                                    full_name=f"Cán bộ {username}")
    if agency is not None:
        Membership.objects.create(user=user, agency=agency, role=role)
    return user


@pytest.fixture
def staff(department):
    return make_staff("chuyenvien", department, Role.SPECIALIST)


@pytest.fixture
def citizen(db):
    return User.objects.create_user(username="congdan", password=PASSWORD, kind=User.Kind.CITIZEN,
                                    full_name="Nguyễn Văn A", identity_number="020123456789")


def login_post(client, username: str, password: str = PASSWORD, next_url: str = ""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post("/dang-nhap/", data)
