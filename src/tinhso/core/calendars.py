"""Reads the calendar rules from the database and builds the ``WorkCalendar`` that computes deadlines.

An agency uses its own rule versions when it has any, else the province's default ones (or the built-in default:
Saturday and Sunday off, 07:30–11:30 and 13:00–17:00, cut-off 15:00). Overrides of the province apply to every
agency; an agency's own override for the same day wins.
"""

import functools
import time as time_module
from datetime import date, time

from .models import Agency, CalendarOverride, CalendarRuleVersion
from .workcalendar import DEFAULT_VERSION, RuleVersion, WorkCalendar


def _parse_time(value) -> time:
    if isinstance(value, time):
        return value
    return time.fromisoformat(str(value))


def rule_version_from_model(version: CalendarRuleVersion) -> RuleVersion:
    """Convert (and validate: raises ``ValueError`` with a Vietnamese message) one stored version."""
    try:
        shifts = tuple((_parse_time(start), _parse_time(end)) for start, end in version.shifts)
    except (TypeError, ValueError) as exc:
        raise ValueError("Ca làm việc phải có dạng [[\"07:30\",\"11:30\"],[\"13:00\",\"17:00\"]].") from exc
    cutoff = _parse_time(version.cutoff) if version.cutoff else None
    return RuleVersion(
        effective_from=version.effective_from,
        weekly_days_off=version.days_off(),
        shifts=shifts,
        cutoff=cutoff,
    )


#: Built calendars, per agency, kept for a short while: a dossier action needs the calendar several times, and the
#: rules change a few times a year. Changes made in this process clear it at once (``invalidate``); other app servers
#: see them within ``CACHE_SECONDS``.
CACHE_SECONDS = 60.0
_cache: dict[int | None, tuple[float, WorkCalendar]] = {}


def invalidate() -> None:
    _cache.clear()


def calendar_for(agency: Agency | None = None) -> WorkCalendar:
    """The working calendar of ``agency`` (the province's default when ``None``)."""
    key = agency.pk if agency is not None else None
    hit = _cache.get(key)
    now = time_module.monotonic()
    if hit is not None and hit[0] > now:
        return hit[1]
    calendar = _build_calendar(agency)
    _cache[key] = (now + CACHE_SECONDS, calendar)
    return calendar


def _build_calendar(agency: Agency | None) -> WorkCalendar:
    versions = []
    if agency is not None:
        versions = list(CalendarRuleVersion.objects.filter(agency=agency).order_by("effective_from"))
    if not versions:
        versions = list(CalendarRuleVersion.objects.filter(agency__isnull=True).order_by("effective_from"))
    rules = [rule_version_from_model(v) for v in versions]
    if not rules or rules[0].effective_from > DEFAULT_VERSION.effective_from:
        rules.insert(0, DEFAULT_VERSION)

    by_day: dict[date, str] = {}
    for override in CalendarOverride.objects.filter(agency__isnull=True):
        by_day[override.day] = override.kind
    if agency is not None:
        for override in CalendarOverride.objects.filter(agency=agency):
            by_day[override.day] = override.kind
    days_off = frozenset(d for d, k in by_day.items() if k == CalendarOverride.Kind.DAY_OFF)
    working = frozenset(d for d, k in by_day.items() if k == CalendarOverride.Kind.WORKING_DAY)
    return WorkCalendar(versions=rules, extra_days_off=days_off, extra_working_days=working)


@functools.cache
def _vietnamese_holiday_names(year: int) -> dict[date, str]:
    import holidays

    return dict(holidays.country_holidays("VN", years=year, language="vi"))


def day_off_label(cal: WorkCalendar, day: date) -> str | None:
    """Why ``day`` is not a working day, in Vietnamese; ``None`` on working days and ordinary weekends."""
    name = cal.holiday_name(day)
    if name is None:
        return None
    return _vietnamese_holiday_names(day.year).get(day, name)
