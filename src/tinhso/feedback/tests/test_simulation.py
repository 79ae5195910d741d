"""Demo data: ratings for most returned simulated dossiers and petitions in every state, through the services."""

import io
import json
from collections import Counter

from django.core.management import call_command
from django.db import transaction

from tinhso.feedback import queries
from tinhso.feedback.models import Petition, PetitionEvent, Rating
from tinhso.onestop.models import Dossier, DossierEvent, Status

from .conftest import at

UNTIL = "2026-03-20T17:00"  # a Friday: the simulated present


def run(command: str, **options) -> dict:
    out = io.StringIO()
    call_command(command, until=UNTIL, stdout=out, **options)
    return json.loads(out.getvalue().splitlines()[-1])


def snapshot() -> list[tuple]:
    return sorted(Petition.objects.values_list("subject", "state", "received_at", "answered_at", "published_at"))


def test_ratings_and_petitions_for_the_demo(demo):
    run("simulate", dossiers=80, days=25, seed=3)
    with transaction.atomic():
        first = run("simulate_feedback", petitions=30, seed=5)
        first_petitions = snapshot()
        transaction.set_rollback(True)
    result = run("simulate_feedback", petitions=30, seed=5)
    assert {k: v for k, v in result.items() if k != "seconds"} == {k: v for k, v in first.items() if k != "seconds"}
    assert snapshot() == first_petitions

    returned = Dossier.objects.filter(status=Status.RETURNED).count()
    ratings = Rating.objects.count()
    assert result["ratings"] == ratings and 0.5 * returned <= ratings <= 0.9 * returned
    values = Counter(Rating.objects.values_list("value", flat=True))
    assert values["satisfied"] > values["neutral"] + values["dissatisfied"]
    assert set(Rating.objects.values_list("channel", flat=True)) >= {"kiosk", "account"}
    assert DossierEvent.objects.filter(action="rated").count() == ratings
    assert not Rating.objects.filter(at__gt=at("20/03/2026 17:00")).exists()

    assert result["petitions"] == Petition.objects.count() >= 30
    states = set(Petition.objects.values_list("state", flat=True))
    open_states = {"received", "supplement", "assigned", "answered"}
    assert "published" in states and states & open_states and len(states) >= 3, result["by_state"]
    assert not PetitionEvent.objects.filter(at__gt=at("20/03/2026 17:00")).exists()
    rows = queries.petitions()
    assert {r.classification for r in rows} == {"tthc", "staff"}
    assert any(r.answered_on_time is False or r.published_on_time is False for r in rows)  # some are late
    assert any(r.likes for r in rows)

    skipped = io.StringIO()
    call_command("simulate_feedback", if_empty=True, stdout=skipped)
    assert "bỏ qua" in skipped.getvalue() and Rating.objects.count() == ratings
