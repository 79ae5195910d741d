"""One-call online submission ``POST /api/me/dossiers`` with an Idempotency-Key: sent twice, one dossier."""

import threading

import pytest
from django.db import connection
from django.test import Client

from tinhso.onestop.models import Dossier, Status

from .conftest import PDF, pdf

PASSWORD = "tinhso-demo-2026"
DESK = "000.01.31.H37"


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def citizen() -> Client:
    client = Client()
    assert client.login(username="congdan", password=PASSWORD)
    return client


def send(client, key="", **files):
    data = {"procedure_code": "1.001193", "receiving_agency": DESK, **files}
    headers = {"Idempotency-Key": key} if key else {}
    return client.post("/api/me/dossiers", data, headers=headers)


def mandatory_orders() -> list[int]:
    from tinhso.catalog.models import Procedure

    version = Procedure.objects.get(code="1.001193").current
    return sorted(version.components.filter(mandatory=True).values_list("order", flat=True))


def all_files():
    return {f"item_{n}": pdf(f"giay-to-{n}.pdf") for n in mandatory_orders()}


def test_submits_in_one_call_and_a_repeat_returns_the_same_dossier(demo):
    client = citizen()
    first = send(client, "a1b2-khai-sinh", **all_files())
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["status"] == Status.NEW and body["replayed"] is False
    dossier = Dossier.objects.get(pk=body["id"])
    assert not dossier.is_draft and dossier.attachments.count() == 2

    again = send(client, "a1b2-khai-sinh", **all_files())
    assert again.status_code == 200 and again.json()["id"] == body["id"] and again.json()["replayed"] is True
    assert Dossier.objects.filter(client_key="a1b2-khai-sinh").count() == 1
    assert dossier.attachments.count() == 2

    other = send(client, "c3d4-khai-sinh", **all_files())
    assert other.status_code == 201 and other.json()["id"] != body["id"]


def test_a_refused_submission_leaves_nothing(demo):
    client = citizen()
    first, second = mandatory_orders()[:2]
    response = send(client, "thieu-giay-to", **{f"item_{first}": pdf("to-khai.pdf")})
    assert response.status_code == 400 and response.json()["code"] == "components_missing"
    assert not Dossier.objects.filter(applicant__username="congdan").exists()
    broken = send(client, "tep-hong", **{f"item_{first}": pdf("to-khai.pdf", b"%PDF-1.4 hong"),
                                         f"item_{second}": pdf()})
    assert broken.status_code == 400 and broken.json()["field"] == "file"
    assert not Dossier.objects.filter(applicant__username="congdan").exists()
    # then the same keys work once the applicant sends the right files
    assert send(client, "thieu-giay-to", **all_files()).status_code == 201


def test_staff_and_unknown_fields_are_refused(demo):
    officer = Client()
    assert officer.login(username="tiepnhan.lvt", password=PASSWORD)
    assert send(officer, "k", **all_files()).status_code == 403
    client = citizen()
    response = send(client, "k2", **all_files(), giay_to=pdf())
    assert response.status_code == 400 and response.json()["code"] == "unknown_field"
    assert send(Client(), "k3", **all_files()).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_two_requests_with_one_key_at_once_make_one_dossier():
    from django.core.management import call_command

    call_command("demo")
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers: the race needs PostgreSQL's concurrent transactions")
    results, barrier, orders = [], threading.Barrier(4), mandatory_orders()

    def worker():
        client = citizen()
        barrier.wait()
        files = {f"item_{n}": pdf(f"tep-{n}.pdf", PDF) for n in orders}
        results.append(send(client, "cung-mot-khoa", **files).status_code)
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results).count(201) == 1 and all(code in (200, 201) for code in results), results
    assert Dossier.objects.filter(client_key="cung-mot-khoa").count() == 1
