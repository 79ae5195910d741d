"""Parallel acceptance: codes never repeat, and two officers acting on one dossier get one winner and one conflict.

Runs on both databases; on PostgreSQL the row locks (SELECT … FOR UPDATE) are what is being tested.
"""


import pytest
from django.core.management import call_command

from tinhso.core.errors import DomainError
from tinhso.core.models import Agency, User
from tinhso.core.testing import run_parallel
from tinhso.onestop import services
from tinhso.onestop.models import Dossier

from .conftest import pdf

pytestmark = pytest.mark.django_db(transaction=True)


def submitted(citizen, desk) -> Dossier:
    d = services.create_dossier(citizen, procedure_code="1.001193", channel_kind="online", receiving_agency=desk)
    for item in d.items.filter(mandatory=True):
        services.add_attachment(citizen, d, pdf(), item=item)
    return services.submit(citizen, d)




def test_parallel_acceptances_get_distinct_consecutive_codes():
    call_command("demo")
    citizen, officer = User.objects.get(username="congdan"), User.objects.get(username="tiepnhan.lvt")
    desk = Agency.objects.get(code="000.01.31.H37")
    dossiers = [submitted(citizen, desk) for _ in range(8)]
    results = run_parallel([lambda d=d: services.accept(officer, d).code for d in dossiers])
    assert all(isinstance(r, str) for r in results), results
    assert sorted(int(code[-4:]) for code in results) == list(range(1, 9))


def test_two_officers_on_one_dossier_one_wins():
    call_command("demo")
    citizen = User.objects.get(username="congdan")
    desk = Agency.objects.get(code="000.01.31.H37")
    dossier = submitted(citizen, desk)
    officer = User.objects.get(username="tiepnhan.lvt")
    results = run_parallel([lambda: services.accept(officer, dossier),
                            lambda: services.refuse(officer, dossier, "Không đủ điều kiện")])
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], DomainError), results
    assert errors[0].code == "illegal_transition"
    assert Dossier.objects.get(pk=dossier.pk).events.count() == 3
