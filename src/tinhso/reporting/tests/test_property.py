"""Property: on random dossiers changed at random, the incrementally kept aggregates equal the ones rebuilt from
scratch, and the scoreboard equals a naive computation straight from the one-stop shop's rows."""

from datetime import timedelta
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from tinhso.catalog.models import Channel, ProcedureVersion
from tinhso.core import permissions
from tinhso.core.calendars import calendar_for
from tinhso.core.models import Agency
from tinhso.onestop.models import Dossier, DossierItem, Pause, Status
from tinhso.reporting import indicators as ind
from tinhso.reporting import queries, services
from tinhso.reporting.models import COUNTERS, Aggregate, DossierFact

from .conftest import at, build_province, touch

START = at("2026-03-01", "00:00")
NOW = at("2026-04-20", "10:00")
ENDS = (Status.DONE, Status.RETURNED, Status.STOPPED, Status.WITHDRAWN)

items = st.lists(st.fixed_dictionaries({"digitised": st.booleans(), "reused": st.booleans(),
                                        "from_store": st.booleans()}), max_size=3)
pause = st.none() | st.tuples(st.sampled_from([Pause.Reason.SUPPLEMENT, Pause.Reason.FINANCIAL]),
                              st.integers(0, 80), st.integers(1, 60), st.booleans())
spec = st.fixed_dictionaries({
    "received": st.integers(0, 9).map(lambda n: n > 0),  # nine in ten were received
    "procedure": st.sampled_from(["full", "partial", "none"]),
    "channel": st.sampled_from([Channel.Kind.ONLINE, Channel.Kind.DIRECT, Channel.Kind.POSTAL]),
    "day": st.integers(0, 55), "hour": st.integers(7, 16), "due_hours": st.integers(4, 120),
    "end_hours": st.none() | st.integers(1, 200), "end_status": st.sampled_from(ENDS),
    "returned": st.booleans(), "supplements": st.integers(0, 3), "fee": st.sampled_from([None, 0, 8000]),
    "paid": st.sampled_from([0, 1, 2]), "e_result": st.booleans(), "in_store": st.booleans(),
    "unit": st.sampled_from([None, "commune", "commune2"]), "items": items, "pause": pause,
})
changes = st.lists(st.tuples(st.integers(0, 1000), spec, st.booleans()), max_size=12)


def apply(pv, dossier: Dossier | None, s: dict) -> Dossier:
    """Create or rewrite a dossier from a random spec, with an event (the change feed)."""
    procedure = {"full": pv.p_full, "partial": pv.p_partial, "none": pv.p_none}[s["procedure"]]
    version = procedure.current
    kind = s["channel"] if s["procedure"] != "none" or s["channel"] != Channel.Kind.ONLINE else Channel.Kind.DIRECT
    received = START + timedelta(days=s["day"], hours=s["hour"]) if s["received"] else None
    due = received + timedelta(hours=s["due_hours"]) if received else None
    end = received + timedelta(hours=s["end_hours"]) if received and s["end_hours"] else None
    status = (s["end_status"] if end else Status.PROCESSING) if received else Status.NEW
    finished = returned = None
    if end is not None:
        if status == Status.RETURNED and s["returned"]:
            returned = end  # finished_at unknown: the return time is the end
        else:
            finished = end
            returned = end + timedelta(hours=2) if status == Status.RETURNED else None
    handling = version.implementing_agencies.order_by("code").first()
    fields = dict(
        status=status, procedure_version=version, channel=version.channels.get(kind=kind),
        handling_agency=handling, receiving_agency=pv.commune_desk if handling == pv.commune_committee else pv.centre,
        applicant_unit={"commune": pv.commune, "commune2": pv.commune2}.get(s["unit"]),
        received_at=received, due_at=due, original_due_at=due, finished_at=finished, returned_at=returned,
        supplement_count=s["supplements"], fee_amount=s["fee"], paid_online=s["paid"],
        electronic_result=s["e_result"], result_in_store=s["in_store"],
    )
    if dossier is None:
        dossier = Dossier.objects.create(applicant_name="Người nộp", created_at=START, **fields)
    else:
        for name, value in fields.items():
            setattr(dossier, name, value)
        dossier.save()
        dossier.items.all().delete()
        dossier.pauses.all().delete()
    for order, flags in enumerate(s["items"], start=1):
        DossierItem.objects.create(dossier=dossier, order=order, name=f"Giấy tờ {order}", **flags)
    if s["pause"] and received:
        reason, offset, length, still_open = s["pause"]
        started = received + timedelta(hours=offset)
        Pause.objects.create(dossier=dossier, reason=reason, started_at=started,
                             ended_at=None if still_open and end is None else started + timedelta(hours=length))
    touch(dossier)
    return dossier


# --- the naive computation, straight from the one-stop shop's rows --------------------------------------------------

def naive(pv, period: queries.Period, scope: queries.Scope, now) -> dict:
    reference = min(period.end_instant, now)
    units = {a.pk: (a.kind, a.unit_id) for a in Agency.objects.all()}
    communal = (Agency.Kind.COMMUNE_COMMITTEE, Agency.Kind.COMMUNE_SERVICE_CENTRE)
    n = dict.fromkeys(["received", "on_time", "online", "tt", "toan_trinh", "fee", "paid", "decided", "e_result",
                       "full", "reused", "store"], 0)
    minutes = 0
    subtree = permissions.descendants([scope.agency.pk]) if scope.agency else None
    for d in Dossier.objects.filter(received_at__isnull=False, is_draft=False).select_related(
            "procedure_version", "channel"):
        from django.utils import timezone

        if not period.start <= timezone.localtime(d.received_at).date() <= period.end:
            continue
        commune = d.applicant_unit_id or next(
            (units[a][1] for a in (d.receiving_agency_id, d.handling_agency_id) if units[a][0] in communal
             and units[a][1]), 0)
        if subtree is not None and d.handling_agency_id not in subtree:
            continue
        if scope.commune is not None and commune != scope.commune.pk:
            continue
        if scope.procedure is not None and d.procedure_version.procedure_id != scope.procedure.pk:
            continue
        cal = calendar_for(d.handling_agency)
        pauses = [p for p in d.pauses.all() if p.reason in (Pause.Reason.SUPPLEMENT, Pause.Reason.FINANCIAL)]
        closed = [p for p in pauses if p.ended_at]
        paused = sum((cal.office_time_between(p.started_at, p.ended_at) for p in closed), timedelta())
        due = cal.add_office_time(d.original_due_at, paused) if closed and paused else d.original_due_at
        end = d.finished_at or d.returned_at
        if end is not None:
            on_time = d.supplement_count <= 1 and end <= due
        else:
            paused_since = next((p.started_at for p in pauses if p.ended_at is None), None)
            on_time = d.supplement_count <= 1 and (due >= reference or (paused_since is not None
                                                                        and paused_since <= due))
        items = list(d.items.all())
        fee = bool(d.fee_amount)
        paid = fee and d.paid_online in (1, 2)
        online = d.channel.kind == Channel.Kind.ONLINE
        tt = d.procedure_version.online_level == ProcedureVersion.OnlineLevel.FULL
        decided = d.status in (Status.DONE, Status.RETURNED)
        digitised = any(i.digitised for i in items)
        n["received"] += 1
        n["on_time"] += on_time
        n["online"] += online
        n["tt"] += tt
        n["toan_trinh"] += tt and online and (not fee or paid)
        n["fee"] += fee
        n["paid"] += paid
        n["decided"] += decided
        n["e_result"] += decided and d.electronic_result
        n["full"] += digitised and d.electronic_result
        n["reused"] += any(i.reused for i in items)
        n["store"] += any(i.from_store for i in items) or d.result_in_store
        if decided:
            minutes += max(int((cal.office_time_between(d.received_at, end) - paused).total_seconds() // 60), 0)
    return {
        "2.1": (n["on_time"], n["received"]), "3": (n["toan_trinh"], n["tt"]), "3.3": (n["online"], n["received"]),
        "3.6": (n["paid"], n["fee"]), "ORIGINAL_RESULT_AVAILABLE": (n["e_result"], n["decided"]),
        "SO_HOA_GIAY_TO_GIAI_QUYET": (n["full"], n["received"]), "REUSED_DIGITIZED_DATA": (n["reused"], n["received"]),
        "SYNCED_WITH_DVCQG_PERSONAL_STORAGE": (n["store"], n["received"]),
        "2.2": ind.round2(Fraction(minutes, 60 * 8) / n["decided"]) if n["decided"] else None,
    }


def snapshot() -> dict:
    return {(a.cube, a.grain, a.start, a.agency_id, a.commune_id, a.procedure_id): tuple(getattr(a, c) for c in
                                                                                          COUNTERS)
            for a in Aggregate.objects.all() if any(getattr(a, c) for c in COUNTERS)}


def facts() -> dict:
    return {f.dossier_id: services._fact_dict(f) for f in DossierFact.objects.all()}


class IncrementalEqualsNaive(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.pv = build_province()

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
    @given(st.lists(spec, min_size=1, max_size=10), changes, st.integers(0, 55), st.integers(0, 40))
    def test_incremental_aggregates_and_scoreboard_equal_naive(self, initial, edits, first_day, length):
        permissions.invalidate()
        pv = self.pv
        dossiers = [apply(pv, None, s) for s in initial]
        services.refresh(now=NOW)
        for index, s, refresh_now in edits:
            target = dossiers[index % len(dossiers)]
            if index % 7 == 0:
                dossiers.append(apply(pv, None, s))  # a new dossier arrives
            else:
                apply(pv, target, s)
            if refresh_now:
                services.refresh(now=NOW)
        services.refresh(now=NOW)
        kept, kept_facts = snapshot(), facts()

        start = (START + timedelta(days=first_day)).date()
        periods = [queries.month_period(2026, 3), queries.month_period(2026, 4),
                   queries.Period(start, start + timedelta(days=length))]
        scopes = [queries.Scope(), queries.make_scope(agency=pv.department.code),
                  queries.make_scope(commune=pv.commune.code), queries.make_scope(procedure=pv.p_full.code),
                  queries.make_scope(agency=pv.root.code, procedure=pv.p_partial.code)]
        for period in periods:
            for scope in scopes:
                board = queries.scoreboard(scope, period, now=NOW)
                expected = naive(pv, period, scope, NOW)
                for key, value in expected.items():
                    result = board.results[key]
                    got = result.value if key == "2.2" else (result.numerator, result.denominator)
                    assert got == value, (key, period.label, scope.label)

        services.rebuild()
        assert facts() == kept_facts
        assert snapshot() == kept
