"""The simulator: realistic dossiers on the demo, driven through the service layer, the same for the same seed."""

import io
import json
from collections import Counter
from datetime import datetime

import pytest
from django.core.management import call_command
from django.db import transaction

from tinhso.core.calendars import calendar_for
from tinhso.core.workcalendar import TZ
from tinhso.onestop.models import (
    Attachment,
    Dossier,
    DossierEvent,
    DossierItem,
    DossierStep,
    PersonalDocument,
    Status,
)
from tinhso.onestop.simulation import pdf_document

UNTIL = "2026-03-20T17:00"  # a Friday: the simulated present
SEED = 1
EXPECTED_STATUSES = {1, 2, 3, 4, 5, 8, 9, 10}  # 6 (financial) and 7 (withdrawn) may be absent at this size


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def simulate(dossiers=60, days=20, seed=SEED) -> dict:
    out = io.StringIO()
    call_command("simulate", dossiers=dossiers, days=days, seed=seed, until=UNTIL, stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1, "the command prints exactly one JSON line"
    return json.loads(lines[0])


def snapshot() -> list[tuple]:
    """What the simulation made, without database ids (PostgreSQL sequences are not rolled back)."""
    return list(Dossier.objects.order_by("created_at", "applicant_name").values_list(
        "procedure_version__procedure__code", "receiving_agency__code", "channel__kind", "applicant_name", "status",
        "code", "created_at", "received_at", "due_at", "finished_at", "returned_at", "outcome"))


def test_same_seed_same_province_and_every_status(demo, media):
    with transaction.atomic():  # the first run is rolled back: the second one starts from the same fresh demo
        first = simulate()
        first_dossiers = snapshot()
        transaction.set_rollback(True)
    assert not Dossier.objects.exists()

    result = simulate()
    assert {k: v for k, v in result.items() if k != "seconds"} == {k: v for k, v in first.items() if k != "seconds"}
    assert snapshot() == first_dossiers

    assert result["dossiers"] == 60 == Dossier.objects.count() == sum(result["by_status"].values())
    stored = Counter(Dossier.objects.values_list("status", flat=True))
    assert result["by_status"] == {str(s.value): stored.get(s.value, 0) for s in Status}
    present = {int(s) for s, n in result["by_status"].items() if n}
    assert EXPECTED_STATUSES <= present, result["by_status"]
    late = DossierStep.objects.filter(result=DossierStep.Result.LATE)
    assert result["late"] > 0 and result["late_steps"] == late.count()
    assert result["late"] == late.values("dossier").distinct().count()


@pytest.fixture
def simulated(demo, media):
    simulate()
    return Dossier.objects.select_related("receiving_agency")


def test_state_is_the_projection_of_the_events(simulated):
    for dossier in simulated:
        last = DossierEvent.objects.filter(dossier=dossier).order_by("at", "id").last()
        assert last.to_status == dossier.status, dossier
        assert not dossier.is_draft
    events = DossierEvent.objects.all()
    assert events.filter(action="submitted").exists() and events.filter(action="registered").exists()


def test_codes_carry_the_desk_and_are_unique(simulated):
    accepted = [d for d in simulated if d.received_at is not None]
    assert accepted and all(d.code.startswith(f"{d.receiving_agency.code}-") for d in accepted)
    assert len({d.code for d in accepted}) == len(accepted)
    assert all(d.code is None for d in simulated if d.received_at is None)


def test_officials_work_in_office_hours_and_the_life_is_varied(simulated):
    cal = calendar_for(None)
    staff_events = DossierEvent.objects.exclude(actor_role="").exclude(actor=None)
    for event in staff_events:
        moment = event.at.astimezone(TZ)
        assert cal.is_working_day(moment.date()) and "07:30" <= f"{moment:%H:%M}" <= "17:00", event
    actions = set(DossierEvent.objects.values_list("action", flat=True))
    assert {"accepted", "refused", "supplement_requested", "supplemented", "forwarded", "decided", "returned",
            "stopped"} <= actions
    assert DossierEvent.objects.filter(action="forwarded", note__contains="liên thông").exists()
    assert DossierEvent.objects.filter(action="stopped", actor=None).exists()  # by the deadline sweep
    assert {d.channel.kind for d in simulated} == {"online", "direct", "postal"}
    assert Attachment.objects.filter(kind=Attachment.Kind.RESULT).exists()


def test_digitisation_flags_give_the_scoreboard_data(simulated):
    """QĐ 766 group 5: most accepted dossiers digitised, some reusing the applicant's store, results electronic."""
    accepted = [d for d in simulated if d.received_at is not None]
    items = DossierItem.objects.filter(dossier__in=accepted)
    digitised = set(items.filter(digitised=True).values_list("dossier", flat=True))
    reused = set(items.filter(reused=True, from_store=True).values_list("dossier", flat=True))
    assert 0.6 <= len(digitised) / len(accepted) <= 0.95
    assert reused and reused <= digitised  # taken from the store: digitised at acceptance
    for attachment in Attachment.objects.filter(store_document__isnull=False).select_related("dossier",
                                                                                            "store_document"):
        assert attachment.store_document.owner_id == attachment.dossier.applicant_id
        assert attachment.file.name == attachment.store_document.file.name
    assert not PersonalDocument.objects.filter(source_dossier__applicant=None).exists()
    decided = [d for d in simulated if d.outcome == Dossier.Outcome.APPROVED]
    assert decided and all(d.electronic_result for d in decided)
    in_store = [d for d in simulated if d.result_in_store]
    assert in_store and all(d.applicant_id and d.status == Status.RETURNED for d in in_store)
    assert PersonalDocument.objects.filter(kind=PersonalDocument.Kind.RESULT).count() == len(in_store)


def test_running_twice_does_not_fail(demo, media):
    first, second = simulate(dossiers=12, days=5, seed=1), simulate(dossiers=12, days=5, seed=1)
    assert first["by_status"] == second["by_status"]
    codes = list(Dossier.objects.exclude(code=None).values_list("code", flat=True))
    assert len(codes) == len(set(codes))


def test_generated_files_are_valid_pdf():
    pypdf = pytest.importorskip("pypdf")
    content = pdf_document("Giấy khai sinh (bản sao)", ["Người nộp: Hoàng Văn Minh", "Dấu ngoặc ( ) và \\ thoát"])
    assert content.startswith(b"%PDF-1.4") and content.rstrip().endswith(b"%%EOF")
    reader = pypdf.PdfReader(io.BytesIO(content), strict=True)
    assert len(reader.pages) == 1
    assert reader.metadata.title == "Giấy khai sinh (bản sao)"
    assert "Nguoi nop: Hoang Van Minh" in reader.pages[0].extract_text()
    assert pdf_document("A", ["1"]) != pdf_document("A", ["2"])


def test_sweep_deadlines_command_prints_the_counts(demo):
    out = io.StringIO()
    call_command("sweep_deadlines", stdout=out)
    assert json.loads(out.getvalue()) == {"due_soon": 0, "overdue": 0, "reminded": 0, "stopped": 0}


def test_until_is_the_present(demo, media):
    simulate(dossiers=5, days=2, seed=3)
    latest = DossierEvent.objects.order_by("-at").first().at
    assert latest <= datetime.fromisoformat(UNTIL).replace(tzinfo=TZ)
    assert Dossier.objects.exclude(status=Status.NEW).exists()
