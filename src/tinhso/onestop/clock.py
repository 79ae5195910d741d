"""A dossier's deadlines, from its acceptance time, the calendar, the procedure's time limit and its pauses.

One place computes them all (the due instant, each step's due instant, the countdown), on top of the one calendar
engine (``core.workcalendar``), so that lists, pages, forms and statistics never disagree.
"""

import calendar as pycalendar
from datetime import date, datetime, timedelta
from decimal import Decimal

from tinhso.catalog.models import Channel
from tinhso.core.calendars import calendar_for
from tinhso.core.errors import DomainError
from tinhso.core.workcalendar import Remaining, WorkCalendar

from .models import Dossier, DossierStep, OneStopRules

#: Catalogue units → the calendar engine's units ("giờ" in the catalogue is an office hour).
ENGINE_UNITS = {
    Channel.Unit.WORKING_DAY: "working_day",
    Channel.Unit.WORKING_HOUR: "working_hour",
    Channel.Unit.HOUR: "working_hour",
    Channel.Unit.DAY: "day",
}


def dossier_calendar(dossier: Dossier) -> WorkCalendar:
    """The handling agency's calendar (its own rules, or the province's)."""
    return calendar_for(dossier.handling_agency)


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, pycalendar.monthrange(year, month)[1]))


def time_limit(dossier: Dossier) -> tuple[Decimal, str]:
    channel = dossier.channel
    if channel.time_value is None or not channel.time_unit:
        raise DomainError(
            "no_time_limit",
            f"Thủ tục chưa có thời hạn giải quyết cho cách nộp “{channel.get_kind_display()}”; "
            "quản trị cần cấu hình trước khi tiếp nhận.",
        )
    return channel.time_value, channel.time_unit


def pauses_of(dossier: Dossier) -> list[tuple[datetime, datetime | None]]:
    if dossier.pk is None or dossier.supplement_count == 0 and dossier.amount_due is None:
        return []  # no supplement or payment was ever requested during processing: no pause to read
    return [(p.started_at, p.ended_at) for p in dossier.pauses.all()]


def compute_due(dossier: Dossier, cal: WorkCalendar | None = None) -> datetime:
    """The legal due instant: from acceptance (or the last complete supplement, under the ``restart`` rule)."""
    cal = cal or dossier_calendar(dossier)
    value, unit = time_limit(dossier)
    rules = dossier.rules or {}
    start, pauses = dossier.received_at, pauses_of(dossier)
    if rules.get("supplement_clock") == OneStopRules.SupplementClock.RESTART:
        provided = [r.provided_at for r in dossier.supplement_requests.all()
                    if r.stage == "processing" and r.provided_at]
        if provided:
            start, pauses = max(provided), [p for p in pauses if p[0] >= max(provided)]
    version = dossier.procedure_version
    mode = version.deadline_mode
    if unit in (Channel.Unit.MONTH, Channel.Unit.YEAR, Channel.Unit.WEEK):
        months = {"month": 1, "year": 12}.get(unit)
        begin = cal.receipt_day(start, cutoff=None)
        if months:
            last = _add_months(begin, int(value) * months)
        else:
            last = begin + timedelta(weeks=int(value))
        paused = sum((cal.office_time_between(a, b or a) for a, b in pauses), timedelta())
        due = cal.end_of_office_hours(last if cal.is_working_day(last) else cal.next_working_day(last))
        return cal.add_office_time(due, paused) if paused else due
    if unit == Channel.Unit.MINUTE:
        return cal.add_office_time(start, timedelta(minutes=float(value)), pauses)
    kwargs = {} if version.use_cutoff else {"cutoff": None}  # default: the calendar version's cut-off
    return cal.due(start, value, ENGINE_UNITS[unit], mode=mode, pauses=pauses, **kwargs)


def window(dossier: Dossier, cal: WorkCalendar) -> timedelta:
    """The office time between acceptance and the due instant: what the step shares divide."""
    return cal.office_time_between(dossier.received_at, dossier.due_at)


def step_due(dossier: Dossier, step: DossierStep, cal: WorkCalendar) -> datetime:
    """The step's share of the dossier's window from its start; the hand-over of the result (the last step) is due
    no earlier than the appointment itself, so an applicant collecting on the appointment day is never "late"."""
    budget = window(dossier, cal) * float(step.share_percent) / 100
    due = cal.add_office_time(step.started_at, budget, pauses_of(dossier))
    last = dossier.steps.order_by("-order").values_list("pk", flat=True).first()
    if step.pk == last and dossier.due_at and due < dossier.due_at:
        return dossier.due_at
    return due


def remaining(dossier: Dossier, now: datetime, cal: WorkCalendar | None = None) -> Remaining | None:
    """Working time left ("còn 2 ngày 3 giờ") or overdue ("quá hạn …"); None before acceptance or after the end."""
    if dossier.due_at is None or dossier.finished_at is not None:
        return None
    return (cal or dossier_calendar(dossier)).remaining(now, dossier.due_at)
