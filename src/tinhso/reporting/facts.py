"""One dossier → one fact: what the QĐ 766 scoreboard needs to know about it, read from the one-stop shop's rows.

The on-time rule (domain README §2.1, the national portal's KPI rule):

- the end of processing is the moment the dossier was finished ("Đã xử lý xong", status 9), else the moment its result
  was returned (10); stopped (8) and withdrawn (7) dossiers end when they were stopped or withdrawn;
- it is compared with the appointment given at receipt (``original_due_at``: a form-04 apology does not make a late
  dossier on time) pushed back by the office time the clock was paused (waiting for a supplement or for a financial
  obligation): supplement time is excluded;
- a dossier asked to supplement more than once during processing counts as overdue;
- a dossier without an end is classified when a period is read: on time if its (pushed back) appointment is not
  before the end of the period, or "now" if the period is not over; a dossier paused now is judged at the moment its
  pause started (the applicant holds it).

Reads go straight to the one-stop shop's tables (read-only): the scoreboard summarises them, it changes nothing.
"""

from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from tinhso.catalog.models import ProcedureVersion
from tinhso.core.calendars import calendar_for
from tinhso.core.models import Agency
from tinhso.onestop.models import Dossier, DossierItem, PaidOnline, Pause, Status

from . import sources
from .models import COUNTERS

#: The pauses whose office time is not counted against the agency.
EXCLUDED_PAUSES = (Pause.Reason.SUPPLEMENT, Pause.Reason.FINANCIAL)
DECIDED = (Status.DONE, Status.RETURNED)
COMMUNE_KINDS = (Agency.Kind.COMMUNE_COMMITTEE, Agency.Kind.COMMUNE_SERVICE_CENTRE)
DOSSIER_FIELDS = (
    "id", "status", "is_draft", "received_at", "due_at", "original_due_at", "finished_at", "returned_at",
    "supplement_count", "fee_amount", "paid_online", "electronic_result", "result_in_store", "applicant_unit_id",
    "receiving_agency_id", "handling_agency_id", "procedure_version__procedure_id",
    "procedure_version__online_level", "channel__kind",
)


def end_of(dossier) -> datetime | None:
    """The end of processing (status 9 time, else 10; stop, withdrawal)."""
    return dossier.finished_at or dossier.returned_at


def kpi_clock(dossier, pauses: list[tuple[datetime, datetime | None]], calendar_of) -> tuple:
    """``(kpi_due, paused_since, paused)``: the appointment at receipt pushed back by the closed pauses' office time,
    the start of a pause still open, and the total paused office time."""
    base = dossier.original_due_at or dossier.due_at
    closed = [(a, b) for a, b in pauses if b is not None]
    open_since = next((a for a, b in pauses if b is None), None)
    if not closed:
        return base, open_since, timedelta()
    cal = calendar_of(dossier.handling_agency_id)
    paused = sum((cal.office_time_between(a, b) for a, b in closed), timedelta())
    if base is not None and paused:
        base = cal.add_office_time(base, paused)
    return base, open_since, paused


class AgencyIndex:
    """Agency kinds, units and calendars, read once per refresh."""

    def __init__(self):
        self.rows = {pk: (kind, unit_id) for pk, kind, unit_id in
                     Agency.objects.values_list("pk", "kind", "unit_id")}
        self._calendars: dict[int, object] = {}

    def commune(self, dossier) -> int:
        """The applicant's commune; else the commune of the desk (or commune committee) that handled the dossier."""
        if dossier.applicant_unit_id:
            return dossier.applicant_unit_id
        for agency_id in (dossier.receiving_agency_id, dossier.handling_agency_id):
            kind, unit_id = self.rows.get(agency_id, (None, None))
            if kind in COMMUNE_KINDS and unit_id:
                return unit_id
        return 0

    def calendar(self, agency_id: int):
        if agency_id not in self._calendars:
            self._calendars[agency_id] = calendar_for(Agency(pk=agency_id))
        return self._calendars[agency_id]


def compute(dossier_ids, agencies: AgencyIndex | None = None) -> dict[int, dict | None]:
    """The fact of each dossier (``None``: no fact — a draft, a dossier never received, or one that is gone)."""
    ids = list(dossier_ids)
    agencies = agencies or AgencyIndex()
    dossiers = {row["id"]: row for row in Dossier.objects.filter(pk__in=ids).order_by().values(*DOSSIER_FIELDS)}
    received = [pk for pk, row in dossiers.items() if row["received_at"] is not None and not row["is_draft"]]
    items = {row["dossier_id"]: row for row in DossierItem.objects.filter(dossier_id__in=received).order_by()
             .values("dossier_id").annotate(dig=Count("id", filter=Q(digitised=True)),
                                            reu=Count("id", filter=Q(reused=True)),
                                            sto=Count("id", filter=Q(from_store=True)))}
    pauses: dict[int, list] = defaultdict(list)
    for dossier_id, reason, started, ended in (Pause.objects.filter(dossier_id__in=received)
                                               .order_by("dossier_id", "started_at")
                                               .values_list("dossier_id", "reason", "started_at", "ended_at")):
        if reason in EXCLUDED_PAUSES:
            pauses[dossier_id].append((started, ended))
    feedback = sources.dossier_feedback(received)
    result: dict[int, dict | None] = {pk: None for pk in ids}
    for pk in received:
        result[pk] = _fact(_Row(dossiers[pk]), items.get(pk), pauses.get(pk, []), feedback.get(pk), agencies)
    return result


class _Row:
    """Attribute access to a ``values()`` row, so that the rules read like they would on a model instance."""

    def __init__(self, row: dict):
        self.__dict__.update(row)
        self.procedure_id = row["procedure_version__procedure_id"]
        self.online_level = row["procedure_version__online_level"]
        self.channel_kind = row["channel__kind"]


def _fact(d: _Row, items: dict | None, pauses: list, feedback: tuple[bool, bool, bool] | None,
          agencies: AgencyIndex) -> dict:
    end = end_of(d)
    twice = d.supplement_count > 1
    kpi_due, paused_since, paused = kpi_clock(d, pauses, agencies.calendar)
    finished = end is not None
    on_time = finished and not twice and (kpi_due is None or end <= kpi_due)
    decided = d.status in DECIDED
    duration = 0
    if decided and end is not None:
        worked = agencies.calendar(d.handling_agency_id).office_time_between(d.received_at, end) - paused
        duration = max(int(worked.total_seconds() // 60), 0)
    dig = bool(items and items["dig"])
    has_fee = bool(d.fee_amount)
    paid = has_fee and d.paid_online in (PaidOnline.NATIONAL, PaidOnline.LOCAL)
    online = d.channel_kind == "online"
    tt_eligible = d.online_level == ProcedureVersion.OnlineLevel.FULL
    rated, rated_ok, disliked = feedback or (False, False, False)
    return {
        "received_at": d.received_at,
        "received_day": timezone.localtime(d.received_at).date(),
        "agency_id": d.handling_agency_id,
        "commune_id": agencies.commune(d),
        "procedure_id": d.procedure_id,
        "status": d.status,
        "end_at": end,
        "kpi_due": kpi_due,
        "paused_since": paused_since if not finished else None,
        "twice": twice,
        "received": True,
        "online": online,
        "finished": finished,
        "on_time": on_time,
        "decided": decided,
        "duration_min": duration,
        "e_result": decided and bool(d.electronic_result),
        "digitised": dig,
        "digitised_full": dig and bool(d.electronic_result),
        "reused": bool(items and items["reu"]),
        "store": bool(items and items["sto"]) or bool(d.result_in_store),
        "has_fee": has_fee,
        "paid_online": paid,
        "tt_eligible": tt_eligible,
        "toan_trinh": tt_eligible and online and (not has_fee or paid),
        "rated": bool(rated),
        "rated_ok": bool(rated_ok),
        "disliked": bool(disliked),
    }


def counters(fact: dict | None) -> tuple[int, ...]:
    """The fact's contribution to every aggregate it belongs to."""
    if fact is None:
        return (0,) * len(COUNTERS)
    return tuple(int(fact[name]) for name in COUNTERS)
