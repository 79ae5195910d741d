"""Fixtures: the demo province and dossiers brought to a given status through the one-stop services."""

from datetime import datetime

import pytest
from django.core.management import call_command

from tinhso.core.models import Agency, User
from tinhso.core.workcalendar import TZ
from tinhso.onestop import services as onestop
from tinhso.onestop.models import Dossier
from tinhso.onestop.tests.conftest import pdf

DESK = "000.01.31.H37"  # Trung tâm PVHCC phường Lương Văn Tri
PROVINCE_CENTRE = "000.00.20.H37"  # where petitions are received (the demo's "tiepnhan")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def demo(db, media):
    call_command("demo")


@pytest.fixture
def people(demo):
    return {u.username: u for u in User.objects.all()}


@pytest.fixture
def desk(demo):
    return Agency.objects.get(code=DESK)


def at(text: str) -> datetime:
    """``"29/04/2026 10:00"`` → an aware datetime in Asia/Ho_Chi_Minh."""
    return datetime.strptime(text, "%d/%m/%Y %H:%M").replace(tzinfo=TZ)


def submitted(people, desk, *, delivery=Dossier.Delivery.ELECTRONIC) -> Dossier:
    citizen = people["congdan"]
    dossier = onestop.create_dossier(citizen, procedure_code="1.001193", channel_kind="online",
                                     receiving_agency=desk, delivery=delivery)
    for item in dossier.items.filter(mandatory=True):
        onestop.add_attachment(citizen, dossier, pdf(), item=item)
    return onestop.submit(citizen, dossier)


def accepted(people, desk, **kwargs) -> Dossier:
    return onestop.accept(people["tiepnhan.lvt"], submitted(people, desk, **kwargs))


def returned(people, desk, **kwargs) -> Dossier:
    """A birth registration filed online by ``congdan``, approved by the commune and returned electronically."""
    dossier = onestop.forward(people["congchuc.lvt"], accepted(people, desk, **kwargs), note="Hồ sơ hợp lệ.")
    onestop.attach_result(people["chutich.lvt"], dossier, pdf("giay-khai-sinh.pdf"))
    dossier = onestop.decide(people["chutich.lvt"], dossier, "approved")
    return onestop.return_result(people["tiepnhan.lvt"], dossier, recipient_name="Nguyễn Văn Dân")
