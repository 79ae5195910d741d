"""Working-day calendar and deadline engine (pure Python, no Django).

One tested business-calendar service for everything that needs working time: due dates of dossiers and steps,
the "còn / quá hạn N ngày N giờ" countdown, the early / on-time / late verdict of a processing control slip, and
statistics.

Rules implemented (see the project's domain notes §2.1, §9 and §12.4):

* **Time zone.** Every result is an aware ``datetime`` in ``Asia/Ho_Chi_Minh``; naive inputs are read as
  ``Asia/Ho_Chi_Minh`` wall time, aware inputs are converted.  Vietnam has no daylight saving time, so wall-clock
  arithmetic inside a day is exact.
* **Working days.** A date is a working day unless it is a weekly day off (Saturday and Sunday by default) or a public
  holiday.  Public holidays come from the ``holidays`` package (country ``VN``, language ``en_US`` so that names are
  stable), cached per year.  The Government's announced day swaps appear there as a holiday named
  ``"Day off (substituted from MM/DD/YYYY)"``; the named date (a Saturday) is a *working* day, which the package does
  not list, so it is derived here.  Explicit overrides (extra days off, extra working days) win over everything;
  a date given as both is a :class:`CalendarConflict`.
* **Office hours and versions.** A :class:`RuleVersion` gives, from its ``effective_from`` date on, the weekly days off,
  the shifts (default 07:30–11:30 and 13:00–17:00, 8 hours a day) and the receipt cut-off (default 15:00).  For each
  date the version in force (latest ``effective_from`` on or before it) decides; dates before the first version use the
  first version.
* **Deadlines.** See :meth:`WorkCalendar.due` for the three units (working day, working hour, calendar day), the two
  counting modes for working days (``"hours"``: office time; ``"days"``: Civil Code 2015 Articles 147–148) and pauses.

Precedence for :meth:`WorkCalendar.is_working_day`, highest first: explicit extra working day → explicit extra day off
→ public holiday (including observed and substituted days off) → derived swap working day (the Saturday worked in
exchange) → weekly day off of the version in force → working day.
"""

from __future__ import annotations

import bisect
import enum
import functools
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from types import MappingProxyType
from typing import Literal
from zoneinfo import ZoneInfo

__all__ = [
    "DEFAULT_CUTOFF",
    "DEFAULT_SHIFTS",
    "DEFAULT_VERSION",
    "DEFAULT_WEEKLY_DAYS_OFF",
    "STEP_RESULT_LABELS",
    "TZ",
    "USE_VERSION",
    "CalendarConflict",
    "CalendarError",
    "ClockPaused",
    "HolidayProvider",
    "Remaining",
    "RuleVersion",
    "StepResult",
    "WorkCalendar",
    "vn_public_holidays",
]

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
"""The platform's time zone; every result is expressed in it."""

Shift = tuple[time, time]
Interval = tuple[datetime, datetime]
Pause = tuple[datetime, datetime | None]
HolidayProvider = Callable[[int], Mapping[date, str]]
"""A function returning the public holidays of one year as ``{date: name}``."""
StepResult = Literal["early", "on_time", "late"]

DEFAULT_WEEKLY_DAYS_OFF: frozenset[int] = frozenset({5, 6})
"""Saturday and Sunday, as :meth:`datetime.date.weekday` numbers (Monday = 0)."""
DEFAULT_SHIFTS: tuple[Shift, ...] = ((time(7, 30), time(11, 30)), (time(13, 0), time(17, 0)))
DEFAULT_CUTOFF: time = time(15, 0)

UNITS = ("working_day", "working_hour", "day")
MODES = ("hours", "days")

# A calendar with no working day for this many consecutive days is considered broken (guards every forward scan).
_MAX_GAP_DAYS = 366
_SUBSTITUTED_FROM = re.compile(r"substituted from (\d{2})/(\d{2})/(\d{4})")
_ONE_MINUTE = timedelta(minutes=1)


class CalendarError(ValueError):
    """Base class of the errors raised by this module."""


class CalendarConflict(CalendarError):
    """The calendar configuration contradicts itself (overrides, shifts, versions)."""


class ClockPaused(CalendarError):
    """The clock is stopped by an open pause before the time limit is used up: there is no due date yet.

    ``since`` is the (aware) start of that open pause.
    """

    def __init__(self, since: datetime) -> None:
        self.since = since
        super().__init__(
            f"Thời hạn đang tạm dừng từ {since:%H:%M %d/%m/%Y}: chưa xác định được hạn giải quyết "
            "cho đến khi tiếp tục tính thời gian."
        )


class _UseVersion(enum.Enum):
    USE_VERSION = "use_version"


USE_VERSION = _UseVersion.USE_VERSION
"""Sentinel for ``cutoff``: use the cut-off of the rule version in force on the receipt date."""


def _fmt_date(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def _fmt_time(t: time) -> str:
    return t.strftime("%H:%M")


@dataclass(frozen=True)
class RuleVersion:
    """Calendar rules in force from ``effective_from`` until the next version.

    ``weekly_days_off`` uses :meth:`datetime.date.weekday` numbers (Monday = 0 … Sunday = 6).  ``shifts`` are naive
    ``(start, end)`` times, ordered and non-overlapping (touching is allowed).  ``cutoff`` is the receipt cut-off of
    the ``"days"`` counting mode (``None``: no cut-off).
    """

    effective_from: date = date.min
    weekly_days_off: frozenset[int] = DEFAULT_WEEKLY_DAYS_OFF
    shifts: tuple[Shift, ...] = DEFAULT_SHIFTS
    cutoff: time | None = DEFAULT_CUTOFF

    def __post_init__(self) -> None:
        days_off = frozenset(self.weekly_days_off)
        object.__setattr__(self, "weekly_days_off", days_off)
        object.__setattr__(self, "shifts", tuple((start, end) for start, end in self.shifts))
        where = (
            "(phiên bản mặc định)"
            if self.effective_from == date.min
            else f"(phiên bản áp dụng từ {_fmt_date(self.effective_from)})"
        )
        if any(not isinstance(day, int) or not 0 <= day <= 6 for day in days_off):
            raise CalendarConflict(f"Ngày nghỉ hằng tuần phải là số từ 0 (thứ Hai) đến 6 (Chủ nhật) {where}.")
        if len(days_off) == 7:
            raise CalendarConflict(f"Không thể nghỉ cả 7 ngày trong tuần {where}.")
        if not self.shifts:
            raise CalendarConflict(f"Phải có ít nhất một ca làm việc {where}.")
        previous_end: time | None = None
        for start, end in self.shifts:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise CalendarConflict(f"Giờ của ca làm việc không được kèm múi giờ {where}.")
            label = f"{_fmt_time(start)}–{_fmt_time(end)}"
            if not start < end:
                raise CalendarConflict(
                    f"Ca làm việc {label} không hợp lệ: giờ bắt đầu phải trước giờ kết thúc {where}."
                )
            if previous_end is not None and start < previous_end:
                raise CalendarConflict(
                    f"Ca làm việc {label} chồng lấn hoặc không theo thứ tự với ca trước "
                    f"(kết thúc {_fmt_time(previous_end)}) {where}."
                )
            previous_end = end
        if self.cutoff is not None and self.cutoff.tzinfo is not None:
            raise CalendarConflict(f"Giờ chốt tiếp nhận không được kèm múi giờ {where}.")

    @property
    def hours_per_day(self) -> timedelta:
        """Office time of one working day under this version (8 h by default)."""
        return sum(
            (datetime.combine(date.min, end) - datetime.combine(date.min, start) for start, end in self.shifts),
            timedelta(),
        )

    @property
    def day_start(self) -> time:
        """Start of the first shift."""
        return self.shifts[0][0]

    @property
    def day_end(self) -> time:
        """End of the last shift (the end of office hours)."""
        return self.shifts[-1][1]


DEFAULT_VERSION = RuleVersion()


@functools.cache
def vn_public_holidays(year: int) -> Mapping[date, str]:
    """Vietnam's public holidays of ``year`` from the ``holidays`` package, English names, cached per year."""
    import holidays  # imported lazily: the package builds its country tables on first use

    return MappingProxyType(dict(holidays.country_holidays("VN", years=year, language="en_US")))


@dataclass(frozen=True)
class Remaining:
    """Working time left before a due date (or past it, when ``overdue``).

    A day is the office time of one working day of the version in force on the reference date (8 hours by default);
    seconds are dropped.  ``str()`` gives the Vietnamese countdown: ``"còn 2 ngày 3 giờ"``, ``"quá hạn 1 ngày 2 giờ"``,
    ``"còn 45 phút"``, ``"đến hạn"`` (no working time left and not past), ``"quá hạn"`` (past due by less than a
    working minute, e.g. in the evening of the due day).
    """

    overdue: bool
    days: int
    hours: int
    minutes: int

    def __str__(self) -> str:
        parts = [
            f"{value} {unit}"
            for value, unit in ((self.days, "ngày"), (self.hours, "giờ"), (self.minutes, "phút"))
            if value
        ]
        if not parts:
            return "quá hạn" if self.overdue else "đến hạn"
        return ("quá hạn " if self.overdue else "còn ") + " ".join(parts)


def _to_local(value: datetime) -> datetime:
    """``value`` as an aware datetime in :data:`TZ` (naive values are read as :data:`TZ` wall time)."""
    if not isinstance(value, datetime):
        raise TypeError(f"Cần một datetime, nhận được {type(value).__name__}.")
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=TZ)
    return value.astimezone(TZ)


def _to_decimal(amount: Decimal | int | float) -> Decimal:
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int | float):
        raise TypeError(f"Thời hạn phải là số, nhận được {type(amount).__name__}.")
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    except InvalidOperation as exc:  # pragma: no cover - str() of a number is always parseable
        raise ValueError(f"Thời hạn không hợp lệ: {amount!r}.") from exc
    if not value.is_finite() or value < 0:
        raise ValueError(f"Thời hạn phải là số không âm, nhận được {amount!r}.")
    return value


def _scale(duration: timedelta, factor: Decimal) -> timedelta:
    """``duration × factor`` rounded to the microsecond."""
    micros = Decimal(duration // timedelta(microseconds=1)) * factor
    return timedelta(microseconds=int(micros.to_integral_value(rounding=ROUND_HALF_UP)))


def _whole(value: Decimal, unit: str) -> int:
    if value != value.to_integral_value():
        raise ValueError(f"Thời hạn tính theo ngày ({unit}) phải là số nguyên, nhận được {value}.")
    return int(value)


def _normalize_pauses(pauses: Iterable[Pause]) -> list[Pause]:
    """Local, sorted, merged pause intervals ``[a, b)``; an open pause (``b is None``) absorbs every later one."""
    items: list[Pause] = []
    for pause in pauses:
        start, end = pause
        a = _to_local(start)
        b = None if end is None else _to_local(end)
        if b is not None:
            if b < a:
                raise CalendarError(
                    f"Khoảng tạm dừng không hợp lệ: kết thúc {b:%H:%M %d/%m/%Y} trước khi bắt đầu {a:%H:%M %d/%m/%Y}."
                )
            if b == a:
                continue
        items.append((a, b))
    items.sort(key=lambda p: p[0])
    merged: list[Pause] = []
    for a, b in items:
        if merged:
            last_a, last_b = merged[-1]
            if last_b is None:
                break
            if a <= last_b:
                merged[-1] = (last_a, None if b is None else max(last_b, b))
                continue
        merged.append((a, b))
    return merged


def _as_override_map(days: Collection[date] | Mapping[date, str], default_name: str) -> dict[date, str]:
    if isinstance(days, Mapping):
        return {d: (name or default_name) for d, name in days.items()}
    return dict.fromkeys(days, default_name)


class WorkCalendar:
    """Working days, office hours and deadline arithmetic for one agency (or the whole province).

    ``versions``: the rule versions (any order; effective dates must differ).  ``extra_days_off`` and
    ``extra_working_days``: explicit overrides, as date collections or ``{date: reason}`` mappings (the reason of an
    extra day off is what :meth:`holiday_name` returns).  ``holiday_provider``: ``year -> {date: name}``, default
    :func:`vn_public_holidays`; its results are cached per year by the calendar.
    """

    EXTRA_DAY_OFF_NAME = "Ngày nghỉ bổ sung"
    EXTRA_WORKING_DAY_NAME = "Ngày làm việc bổ sung"

    def __init__(
        self,
        versions: Sequence[RuleVersion] = (DEFAULT_VERSION,),
        extra_days_off: Collection[date] | Mapping[date, str] = frozenset(),
        extra_working_days: Collection[date] | Mapping[date, str] = frozenset(),
        holiday_provider: HolidayProvider | None = None,
    ) -> None:
        if not versions:
            raise CalendarConflict("Lịch làm việc phải có ít nhất một phiên bản quy tắc.")
        ordered = sorted(versions, key=lambda v: v.effective_from)
        for before, after in zip(ordered, ordered[1:], strict=False):
            if before.effective_from == after.effective_from:
                raise CalendarConflict(
                    f"Có hai phiên bản quy tắc cùng áp dụng từ ngày {_fmt_date(after.effective_from)}."
                )
        self._versions: tuple[RuleVersion, ...] = tuple(ordered)
        self._version_dates: tuple[date, ...] = tuple(v.effective_from for v in ordered)

        self._extra_days_off = _as_override_map(extra_days_off, self.EXTRA_DAY_OFF_NAME)
        self._extra_working_days = _as_override_map(extra_working_days, self.EXTRA_WORKING_DAY_NAME)
        both = sorted(self._extra_days_off.keys() & self._extra_working_days.keys())
        if both:
            listed = ", ".join(_fmt_date(d) for d in both)
            raise CalendarConflict(
                f"Ngày {listed} vừa được khai báo là ngày nghỉ vừa được khai báo là ngày làm việc; "
                "hãy giữ một trong hai."
            )

        self._provider: HolidayProvider = holiday_provider or vn_public_holidays
        self._holiday_cache: dict[int, Mapping[date, str]] = {}
        self._swap_cache: dict[int, frozenset[date]] = {}

    # ----------------------------------------------------------------------------------------------- rules per date

    @property
    def versions(self) -> tuple[RuleVersion, ...]:
        """The rule versions, oldest first."""
        return self._versions

    def version_for(self, d: date) -> RuleVersion:
        """The rule version in force on ``d`` (the first version for dates before every ``effective_from``)."""
        index = bisect.bisect_right(self._version_dates, d) - 1
        return self._versions[max(index, 0)]

    def _holidays(self, year: int) -> Mapping[date, str]:
        cached = self._holiday_cache.get(year)
        if cached is None:
            cached = self._holiday_cache[year] = self._provider(year)
        return cached

    def _swapped_working_days(self, year: int) -> frozenset[date]:
        """Dates named by the ``"substituted from MM/DD/YYYY"`` holidays of ``year`` (they are worked instead)."""
        cached = self._swap_cache.get(year)
        if cached is None:
            found: set[date] = set()
            for name in self._holidays(year).values():
                for month, day, yr in _SUBSTITUTED_FROM.findall(name):
                    found.add(date(int(yr), int(month), int(day)))
            cached = self._swap_cache[year] = frozenset(found)
        return cached

    def _is_swap_working_day(self, d: date) -> bool:
        # A swap may cross a year boundary (a Saturday in December worked for a day off in January, or vice versa).
        return any(d in self._swapped_working_days(year) for year in (d.year - 1, d.year, d.year + 1))

    def holiday_name(self, d: date) -> str | None:
        """Why ``d`` is a non-working day other than a weekly day off: the holiday's name or the override's reason.

        ``None`` for working days (an extra working day overriding a holiday included) and for plain weekly days off.
        """
        if d in self._extra_working_days:
            return None
        if d in self._extra_days_off:
            return self._extra_days_off[d]
        return self._holidays(d.year).get(d)

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` is a working day (see the module docstring for the precedence of the rules)."""
        if d in self._extra_working_days:
            return True
        if d in self._extra_days_off:
            return False
        if d in self._holidays(d.year):
            return False
        if self._is_swap_working_day(d):
            return True
        return d.weekday() not in self.version_for(d).weekly_days_off

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        candidate = d
        for _ in range(_MAX_GAP_DAYS):
            candidate += timedelta(days=1)
            if self.is_working_day(candidate):
                return candidate
        raise CalendarError(f"Không có ngày làm việc nào trong {_MAX_GAP_DAYS} ngày sau {_fmt_date(d)}.")

    def previous_working_day(self, d: date) -> date:
        """The last working day strictly before ``d``."""
        candidate = d
        for _ in range(_MAX_GAP_DAYS):
            candidate -= timedelta(days=1)
            if self.is_working_day(candidate):
                return candidate
        raise CalendarError(f"Không có ngày làm việc nào trong {_MAX_GAP_DAYS} ngày trước {_fmt_date(d)}.")

    def working_day_on_or_after(self, d: date) -> date:
        """``d`` itself when it is a working day, else the next working day."""
        return d if self.is_working_day(d) else self.next_working_day(d)

    def working_days_in(self, start: date, end: date) -> int:
        """Number of working days in the closed range ``[start, end]`` (0 when ``end < start``)."""
        count = 0
        d = start
        while d <= end:
            count += self.is_working_day(d)
            d += timedelta(days=1)
        return count

    def add_working_days(self, d: date, n: int) -> date:
        """The ``n``-th working day after ``d`` (``d`` itself not counted); ``d`` when ``n == 0``."""
        if n < 0:
            raise ValueError("Số ngày làm việc phải không âm.")
        for _ in range(n):
            d = self.next_working_day(d)
        return d

    def shifts_on(self, d: date) -> list[Interval]:
        """The office intervals of ``d`` as aware datetimes (empty on a non-working day)."""
        if not self.is_working_day(d):
            return []
        return [
            (datetime.combine(d, start, tzinfo=TZ), datetime.combine(d, end, tzinfo=TZ))
            for start, end in self.version_for(d).shifts
        ]

    def end_of_office_hours(self, d: date) -> datetime:
        """End of the last shift of ``d`` under the version in force on ``d`` (whether or not ``d`` is worked)."""
        return datetime.combine(d, self.version_for(d).day_end, tzinfo=TZ)

    def hours_per_day(self, d: date) -> timedelta:
        """Office time of a working day under the version in force on ``d``."""
        return self.version_for(d).hours_per_day

    def is_office_time(self, moment: datetime) -> bool:
        """Whether ``moment`` lies inside a shift of a working day (shift start included, shift end excluded)."""
        local = _to_local(moment)
        return any(start <= local < end for start, end in self.shifts_on(local.date()))

    # ------------------------------------------------------------------------------------------------ office time

    def _office_intervals(self, start: datetime) -> Iterator[Interval]:
        """Office intervals clipped to ``[start, ∞)``, in order, skipping empty ones."""
        d = start.date()
        idle_days = 0
        while True:
            shifts = self.shifts_on(d)
            if shifts:
                idle_days = 0
                for a, b in shifts:
                    a = max(a, start)
                    if a < b:
                        yield a, b
            else:
                idle_days += 1
                if idle_days > _MAX_GAP_DAYS:
                    raise CalendarError(f"Không có ngày làm việc nào trong {_MAX_GAP_DAYS} ngày kể từ {_fmt_date(d)}.")
            d += timedelta(days=1)

    def _running_intervals(self, start: datetime, pauses: Sequence[Pause]) -> Iterator[Interval]:
        """Office intervals from ``start`` minus the (normalized) pauses; raises :class:`ClockPaused` at an open one."""
        index = 0
        for a, b in self._office_intervals(start):
            # Drop the pauses that ended before this interval starts (intervals only move forward).
            while index < len(pauses):
                pause_end = pauses[index][1]
                if pause_end is None or pause_end > a:
                    break
                index += 1
            position = a
            j = index
            while j < len(pauses) and pauses[j][0] < b:
                pause_start, pause_end = pauses[j]
                if pause_start > position:
                    yield position, pause_start
                if pause_end is None:
                    raise ClockPaused(pause_start)
                position = max(position, pause_end)
                j += 1
            if position < b:
                yield position, b

    def office_start(self, moment: datetime) -> datetime:
        """``moment`` if it is office time, else the start of the next office interval (lunch → 13:00 and so on)."""
        return next(self._office_intervals(_to_local(moment)))[0]

    def office_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Office time inside ``[a, b)`` (zero when ``b <= a``); iterates per shift, never per minute."""
        start, end = _to_local(a), _to_local(b)
        total = timedelta()
        if end <= start:
            return total
        d = start.date()
        while d <= end.date():
            for s, e in self.shifts_on(d):
                s, e = max(s, start), min(e, end)
                if s < e:
                    total += e - s
            d += timedelta(days=1)
        return total

    def add_office_time(self, start: datetime, amount: timedelta, pauses: Sequence[Pause] = ()) -> datetime:
        """The instant at which ``amount`` of office time, counted from ``start`` and skipping ``pauses``, is used up.

        A result that falls exactly on a shift end is returned as that shift end (17:00), not the next shift start.
        ``amount == 0`` returns the first running office instant at or after ``start``.
        """
        if amount < timedelta():
            raise ValueError("Thời lượng phải không âm.")
        remaining = amount
        for a, b in self._running_intervals(_to_local(start), _normalize_pauses(pauses)):
            if b - a >= remaining:
                return a + remaining
            remaining -= b - a
        raise AssertionError("unreachable: _running_intervals is infinite")  # pragma: no cover

    # --------------------------------------------------------------------------------------------------- deadlines

    def receipt_day(self, moment: datetime, cutoff: time | None | _UseVersion = USE_VERSION) -> date:
        """The effective receipt day of the ``"days"`` mode for a receipt (or resume) at ``moment``.

        The date of ``moment``, except that a receipt on a non-working day, after the cut-off, or at/after the end of
        the last shift counts as received on the next working day.  ``cutoff``: :data:`USE_VERSION` (the version in
        force on that date), ``None`` (no cut-off) or a time; a receipt at exactly the cut-off is not "after" it.
        """
        local = _to_local(moment)
        d = local.date()
        if not self.is_working_day(d):
            return self.next_working_day(d)
        version = self.version_for(d)
        limit = version.cutoff if cutoff is USE_VERSION else cutoff
        wall = local.time().replace(tzinfo=None)
        if (limit is not None and wall > limit) or wall >= version.day_end:
            return self.next_working_day(d)
        return d

    def due(
        self,
        start: datetime,
        amount: Decimal | int | float,
        unit: str,
        mode: str = "hours",
        pauses: Sequence[Pause] = (),
        cutoff: time | None | _UseVersion = USE_VERSION,
    ) -> datetime:
        """The due date of a time limit of ``amount`` ``unit`` starting at ``start`` (receipt), as an aware datetime.

        Units: ``"working_day"`` (counted by ``mode``), ``"working_hour"`` (always the hours mode) and ``"day"``
        (calendar days).  Pauses are half-open intervals ``[a, b)`` (e.g. supplement requested → supplement received);
        overlapping pauses are merged; pauses that ended before ``start`` are ignored.

        **Open pause** (``b is None``, the clock is stopped now): if the time limit is used up before the open pause
        begins, that due date is returned (the dossier was already due); otherwise :class:`ClockPaused` is raised,
        since no due date exists until the clock resumes.

        **Hours mode** (``mode="hours"`` or unit ``"working_hour"``): the clock runs only in office hours.  A start
        outside office hours moves to the next office-hours start (lunch → 13:00; after 17:00 or on a non-working day
        → 07:30 of the next working day).  ``N`` working days are ``N ×`` the office hours per day of the version in
        force on that effective start date (8 h by default; fractions allowed: 0.5 day = 4 h); the due date is the
        instant that much office time has run, pauses excluded.  A due date landing exactly on a shift end is that
        shift end (e.g. 17:00).

        **Days mode** (``mode="days"``, Civil Code 2015 Art. 147–148): whole working days only.  The day of receipt is
        not counted; a receipt after the cut-off (default 15:00 from the version; ``cutoff=None`` disables it, or pass
        a time), on a non-working day or at/after the end of the last shift counts as received on the next working
        day (:meth:`receipt_day`).  The due date is the end of office hours (end of the last shift) of the ``N``-th
        working day after the effective receipt day; ``N = 0`` means "within the receipt day" (the end of office hours
        of the effective receipt day).
        Pauses (a design decision, the law does not say): the working days after the current receipt day that are
        *fully served before the pause begins* count, i.e. the days strictly before the pause-start day, plus the
        pause-start day itself only when the pause starts at or after its end of office hours.  A pause starting
        during office hours therefore loses that day.  The resume is a new triggering event: its effective day is
        computed like a receipt (cut-off included) and is not counted; counting continues from the next working day.

        **Calendar days** (unit ``"day"``, Civil Code Art. 147–148): the day of receipt is not counted (no cut-off,
        no shift to a working day); the period ends at the end of the ``N``-th calendar day after it; when that day is
        a weekly day off or a holiday, it ends at the end of the next working day.  The "end of the day" is returned
        as the end of office hours of that (working) day, since the act due is an office act.  Pauses: calendar days
        strictly between the current trigger day and the pause-start day count; the resume is a new trigger (its
        day not counted).  The extension to a working day is applied to the final day only.
        """
        if unit not in UNITS:
            raise ValueError(f"Đơn vị thời hạn không hợp lệ: {unit!r} (cần một trong {', '.join(UNITS)}).")
        if mode not in MODES:
            raise ValueError(f"Cách tính không hợp lệ: {mode!r} (cần một trong {', '.join(MODES)}).")
        value = _to_decimal(amount)
        local_start = _to_local(start)
        normalized = _normalize_pauses(pauses)

        if unit == "day":
            return self._due_calendar_days(local_start, _whole(value, unit), normalized)
        if unit == "working_day" and mode == "days":
            return self._due_working_days(local_start, _whole(value, unit), normalized, cutoff)
        if unit == "working_hour":
            budget = _scale(timedelta(hours=1), value)
        else:
            effective = self.office_start(local_start)
            budget = _scale(self.hours_per_day(effective.date()), value)
        return self.add_office_time(local_start, budget, normalized)

    def _due_working_days(
        self, start: datetime, n: int, pauses: Sequence[Pause], cutoff: time | None | _UseVersion
    ) -> datetime:
        trigger = start
        anchor = self.receipt_day(trigger, cutoff)
        if n == 0:
            # "Within the day": any pause that begins before the effective day's end of office hours re-triggers.
            for pause_start, pause_end in pauses:
                if pause_end is not None and pause_end <= trigger:
                    continue
                if pause_start >= self.end_of_office_hours(anchor):
                    break
                if pause_end is None:
                    raise ClockPaused(pause_start)
                trigger = max(trigger, pause_end)
                anchor = self.receipt_day(trigger, cutoff)
            return self.end_of_office_hours(anchor)

        counted = 0
        day = anchor
        for pause_start, pause_end in pauses:
            if pause_end is not None and pause_end <= trigger:
                continue
            while True:
                candidate = self.next_working_day(day)
                if self.end_of_office_hours(candidate) > pause_start:
                    break
                day = candidate
                counted += 1
                if counted == n:
                    return self.end_of_office_hours(day)
            if pause_end is None:
                raise ClockPaused(pause_start)
            trigger = max(trigger, pause_end)
            day = self.receipt_day(trigger, cutoff)
        return self.end_of_office_hours(self.add_working_days(day, n - counted))

    def _due_calendar_days(self, start: datetime, n: int, pauses: Sequence[Pause]) -> datetime:
        trigger = start
        day = trigger.date()
        counted = 0
        for pause_start, pause_end in pauses:
            if pause_end is not None and pause_end <= trigger:
                continue
            available = (pause_start.date() - day).days - 1
            if available > 0:
                step = min(available, n - counted)
                day += timedelta(days=step)
                counted += step
            if counted == n and day < pause_start.date():
                break  # the period is over before the pause begins
            if pause_end is None:
                raise ClockPaused(pause_start)
            trigger = max(trigger, pause_end)
            day = trigger.date()
        else:
            day += timedelta(days=n - counted)
        return self.end_of_office_hours(self.working_day_on_or_after(day))

    # ------------------------------------------------------------------------------------------ countdown, verdict

    def remaining(self, now: datetime, due: datetime) -> Remaining:
        """Working time between ``now`` and ``due`` (office time only) as days / hours / minutes.

        ``overdue`` when ``now`` is strictly after ``due``; the amount is then the office time elapsed since ``due``.
        A day is the office time per day of the version in force on ``now``'s date (8 h by default); the office time
        is truncated to whole minutes.
        """
        local_now, local_due = _to_local(now), _to_local(due)
        overdue = local_now > local_due
        first, last = (local_due, local_now) if overdue else (local_now, local_due)
        minutes_total = self.office_time_between(first, last) // _ONE_MINUTE
        minutes_per_day = max(self.hours_per_day(local_now.date()) // _ONE_MINUTE, 1)
        days, rest = divmod(minutes_total, minutes_per_day)
        hours, minutes = divmod(rest, 60)
        return Remaining(overdue=overdue, days=days, hours=hours, minutes=minutes)

    def step_result(self, finished_at: datetime, due: datetime) -> StepResult:
        """Verdict for the processing control slip (phiếu kiểm soát quá trình giải quyết hồ sơ).

        ``"late"`` (quá hạn) when finished strictly after ``due``; ``"early"`` (trước hạn) when finished on a date
        before the due date's date (local time), i.e. before the due's working day; otherwise ``"on_time"``
        (đúng hạn): on the due's day, at or before the due instant.
        """
        finished, limit = _to_local(finished_at), _to_local(due)
        if finished > limit:
            return "late"
        if finished.date() < limit.date():
            return "early"
        return "on_time"


STEP_RESULT_LABELS: Mapping[str, str] = MappingProxyType(
    {"early": "Trước hạn", "on_time": "Đúng hạn", "late": "Quá hạn"}
)
"""Vietnamese labels of :meth:`WorkCalendar.step_result` values."""
