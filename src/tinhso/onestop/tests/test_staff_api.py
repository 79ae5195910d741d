"""Staff API: session authentication with CSRF, the boxes, one dossier, actions, and stable error codes."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tinhso.onestop import services
from tinhso.onestop.models import Dossier, Status

from .conftest import pdf

PASSWORD = "tinhso-demo-2026"


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def as_user(client, username):
    client.logout()
    assert client.login(username=username, password=PASSWORD)
    return client


def walk_in(people, desk, name="Nguyễn Văn An"):
    return services.create_dossier(people["tiepnhan.lvt"], procedure_code="1.001193", channel_kind="direct",
                                   receiving_agency=desk, applicant=services.ApplicantInfo(name=name), draft=False)


def act(client, dossier, action, **body):
    return client.post(f"/api/staff/dossiers/{dossier.pk}/actions/{action}", json.dumps(body),
                       content_type="application/json")


def test_inbox_lists_a_box_with_counts(client, people, desk):
    new = walk_in(people, desk, "Hà Thị Mới")
    late = services.accept(people["tiepnhan.lvt"], walk_in(people, desk, "Nông Văn Trễ"))
    Dossier.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=2))

    as_user(client, "tiepnhan.lvt")
    body = client.get("/api/staff/inbox").json()
    assert body["box"] == "tiep-nhan" and [i["id"] for i in body["items"]] == [new.pk]
    assert body["counts"]["tiep-nhan"] == 1 and body["counts"]["tat-ca"] is None
    assert client.get("/api/staff/inbox", {"box": "tat-ca"}).json()["counts"]["tat-ca"] == 2

    as_user(client, "congchuc.lvt")
    body = client.get("/api/staff/inbox", {"box": "qua-han"}).json()
    item = body["items"][0]
    assert item["id"] == late.pk and item["urgency"] == "overdue" and item["countdown"].startswith("quá hạn")
    assert item["current_step"]["role"] == "specialist" and item["procedure_code"] == "1.001193"
    assert client.get("/api/staff/inbox", {"box": "tat-ca", "q": "nong van tre"}).json()["count"] == 1

    response = client.get("/api/staff/inbox", {"box": "hop-sai"})
    assert response.status_code == 400
    assert response.json() == {"code": "invalid_box", "message": response.json()["message"], "field": "box"}


def test_authentication_errors_have_stable_codes(client, people, desk):
    dossier = walk_in(people, desk)
    response = client.get("/api/staff/inbox")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
    as_user(client, "congdan")
    response = client.get(f"/api/staff/dossiers/{dossier.pk}")
    assert response.status_code == 403 and response.json()["code"] == "staff_only"


def test_a_dossier_of_another_agency_is_not_found(client, people, desk):
    dossier = walk_in(people, desk)
    as_user(client, "chuyenvien.stp")
    response = client.get(f"/api/staff/dossiers/{dossier.pk}")
    assert response.status_code == 404 and response.json()["code"] == "dossier_not_found"
    response = act(client, dossier, "accept", expected_revision=dossier.revision)
    assert response.status_code == 404 and response.json()["code"] == "dossier_not_found"
    as_user(client, "tiepnhan.lvt")
    body = client.get(f"/api/staff/dossiers/{dossier.pk}").json()
    assert body["status"] == Status.NEW and body["revision"] == dossier.revision
    assert set(body["allowed_actions"]) == {"accept", "refuse", "request_supplement"}
    assert len(body["items"]) == dossier.items.count() and body["events"][0]["action"] == "registered"


def test_csrf_is_enforced_for_session_calls(people, desk):
    dossier = walk_in(people, desk)
    client = Client(enforce_csrf_checks=True)
    as_user(client, "tiepnhan.lvt")
    response = act(client, dossier, "accept")
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"
    client.get("/can-bo/")  # the page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(f"/api/staff/dossiers/{dossier.pk}/actions/accept", "{}",
                           content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200 and response.json()["status"] == Status.ACCEPTED


def test_actions_through_the_api(client, people, desk):
    dossier = walk_in(people, desk)
    as_user(client, "tiepnhan.lvt")
    response = act(client, dossier, "refuse", reason="  ", expected_revision=dossier.revision)
    assert response.status_code == 400 and response.json()["code"] == "reason_required"
    assert response.json()["field"] == "reason"
    response = act(client, dossier, "accept", expected_revision=dossier.revision)
    body = response.json()
    assert response.status_code == 200 and body["status"] == Status.ACCEPTED and body["code"]
    response = act(client, dossier, "accept", expected_revision=dossier.revision)
    assert response.status_code == 409 and response.json()["code"] == "dossier_changed"
    response = act(client, dossier, "accept", expected_revision=body["revision"])
    assert response.status_code == 409 and response.json()["code"] == "illegal_transition"
    response = act(client, dossier, "explode")
    assert response.status_code == 404 and response.json()["code"] == "unknown_action"
    response = act(client, dossier, "forward", expected_revision=body["revision"])
    assert response.status_code == 403 and response.json()["code"] == "forbidden"

    as_user(client, "chutich.lvt")
    response = act(client, dossier, "assign", assignee=people["congchuc.lvt"].pk, expected_revision=body["revision"])
    body = response.json()
    assert response.status_code == 200 and body["current_step"]["assignee_id"] == people["congchuc.lvt"].pk
    response = act(client, dossier, "assign", assignee=None)
    assert response.status_code == 400 and response.json()["code"] == "assignee_required"

    as_user(client, "congchuc.lvt")
    assert "forward" in client.get(f"/api/staff/dossiers/{dossier.pk}").json()["allowed_actions"]
    response = act(client, dossier, "forward", note="Hợp lệ", to_agency="999.99.99.H99")
    assert response.status_code == 400 and response.json()["code"] == "agency_not_found"
    body = act(client, dossier, "forward", note="Hợp lệ", expected_revision=body["revision"]).json()
    assert body["status"] == Status.PROCESSING and body["current_step"]["order"] == 3

    as_user(client, "chutich.lvt")
    response = act(client, dossier, "decide", outcome="approved")
    assert response.status_code == 400 and response.json()["code"] == "result_required"
    services.attach_result(people["chutich.lvt"], Dossier.objects.get(pk=dossier.pk), pdf("ket-qua.pdf"))
    body = act(client, dossier, "decide", outcome="approved", expected_revision=body["revision"]).json()
    assert body["status"] == Status.DONE and body["outcome"] == "approved"
    assert any(a["kind"] == "result" and a["url"].startswith("/can-bo/") for a in body["attachments"])

    as_user(client, "tiepnhan.lvt")
    body = act(client, dossier, "return_result", recipient_name="Nguyễn Văn An").json()
    assert body["status"] == Status.RETURNED


def test_stop_and_supplement_through_the_api(client, people, desk):
    dossier = services.accept(people["tiepnhan.lvt"], walk_in(people, desk))
    as_user(client, "congchuc.lvt")
    response = act(client, dossier, "request_supplement", items=[], expected_revision=dossier.revision)
    assert response.status_code == 400 and response.json()["code"] == "items_required"
    body = act(client, dossier, "request_supplement", items=["Thiếu tờ khai"], expected_revision=dossier.revision)
    assert body.json()["status"] == Status.SUPPLEMENT
    as_user(client, "tiepnhan.lvt")
    response = act(client, dossier, "stop", reason="Dừng", expected_revision=dossier.revision)
    assert response.status_code == 409 and response.json()["code"] == "dossier_changed"
    response = act(client, dossier, "stop", reason="Người nộp không bổ sung")
    assert response.status_code == 200 and response.json()["status"] == Status.STOPPED
