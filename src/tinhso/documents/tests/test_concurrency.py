"""Parallel numbering: 16 threads at once, on SQLite (a WAL file) and PostgreSQL (row locks, SELECT … FOR UPDATE).
Every number is handed out once and none is skipped, also when the year's register does not exist yet."""


import pytest
from django.db import transaction

from tinhso.core.models import Agency, User
from tinhso.core.testing import run_parallel
from tinhso.documents import services
from tinhso.documents.models import Direction, Document, Registry

from .conftest import signed_outgoing

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 16




def test_next_number_needs_a_transaction(agencies):
    registry = services.registry_for(agencies["000.00.03.H37"], year=2026, direction=Direction.OUTGOING)
    with pytest.raises(RuntimeError):
        services.next_number(registry)


def test_parallel_numbers_from_a_register_created_in_the_race(agencies):
    stp = agencies["000.00.03.H37"]

    def take_three():
        taken = []
        for _ in range(3):
            with transaction.atomic():
                registry = services.registry_for(stp, year=2031, direction=Direction.INCOMING)
                taken.append(services.next_number(registry))
        return taken

    results = run_parallel([take_three] * THREADS)
    assert all(isinstance(r, list) for r in results), results
    numbers = sorted(n for taken in results for n in taken)
    assert numbers == list(range(1, 3 * THREADS + 1))
    assert Registry.objects.get(agency=stp, year=2031, direction=Direction.INCOMING).last_number == 3 * THREADS


def test_parallel_issuing_no_duplicate_no_gap(people):
    stp = Agency.objects.get(code="000.00.03.H37")
    documents = [signed_outgoing(people, stp, "QĐ" if i % 2 else None, subject=f"Văn bản {i}")
                 for i in range(THREADS)]
    clerk = User.objects.get(username="vanthu.stp")
    results = run_parallel([lambda d=d: services.issue(clerk, d).number for d in documents])
    assert all(isinstance(r, int) for r in results), results
    assert sorted(results) == list(range(1, THREADS + 1))
    issued = Document.objects.filter(direction=Direction.OUTGOING, number__isnull=False)
    notations = set(issued.values_list("notation", flat=True))
    assert len(notations) == THREADS
    assert {n.split("/")[0] for n in notations} == {f"{i:02d}" for i in range(1, THREADS + 1)}
