"""Tests of the working-day calendar and deadline engine.

Every expected value is computed by hand in a comment.  Default office hours: 07:30–11:30 and 13:00–17:00 (8 h/day),
weekly days off Saturday and Sunday, cut-off 15:00.  Holidays from the ``holidays`` package (VN):
2026: 01/01; Tết 16–20/02 (Mon–Fri); Giỗ Tổ 26/04 (Sun) observed Mon 27/04; 30/04 (Thu); 01/05 (Fri);
31/08 (Mon, swapped for Sat 22/08, which is worked); 01/09 (Tue) and 02/09 (Wed); 24/11 (Tue, Ngày Văn hóa Việt Nam).
2027: 01/01 (Fri); Tết 04–10/02 (Thu–Wed).
"""

from __future__ import annotations

import random
import time as clock
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

from tinhso.core.workcalendar import (
    TZ,
    CalendarConflict,
    CalendarError,
    ClockPaused,
    Remaining,
    RuleVersion,
    WorkCalendar,
)

EIGHT_HOURS = timedelta(hours=8)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An aware Asia/Ho_Chi_Minh datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar()


# --------------------------------------------------------------------------------------------- holiday data and days


def test_vietnamese_holidays_2026_from_the_package(cal: WorkCalendar) -> None:
    # Tết 2026: Mon 16/02 … Fri 20/02 off; Fri 13/02 and Mon 23/02 worked.
    assert [cal.is_working_day(date(2026, 2, d)) for d in range(13, 24)] == [
        True,  # Fri 13
        False,  # Sat 14
        False,  # Sun 15
        False,  # Mon 16 Giao thừa
        False,  # Tue 17 Mùng 1
        False,  # Wed 18
        False,  # Thu 19
        False,  # Fri 20 Mùng 4
        False,  # Sat 21
        False,  # Sun 22
        True,  # Mon 23
    ]
    # Giỗ Tổ 10/3 âm lịch = Sun 26/04/2026 → observed Mon 27/04.
    assert cal.holiday_name(date(2026, 4, 26)) == "Hung Kings' Commemoration Day"
    assert not cal.is_working_day(date(2026, 4, 27))
    assert "observed" in (cal.holiday_name(date(2026, 4, 27)) or "")
    # 30/04 and 01/05.
    assert not cal.is_working_day(date(2026, 4, 30))
    assert not cal.is_working_day(date(2026, 5, 1))
    # Quốc khánh 02/09 (Wed) + the extra day 01/09 (Tue); Mon 31/08 off in exchange for Sat 22/08.
    assert not cal.is_working_day(date(2026, 9, 1))
    assert not cal.is_working_day(date(2026, 9, 2))
    assert not cal.is_working_day(date(2026, 8, 31))
    assert cal.holiday_name(date(2026, 8, 31)) == "Day off (substituted from 08/22/2026)"
    # The swapped Saturday is a working day (derived: the package does not list it); the next Saturday is not.
    assert cal.is_working_day(date(2026, 8, 22))
    assert cal.holiday_name(date(2026, 8, 22)) is None
    assert not cal.is_working_day(date(2026, 8, 29))
    # Ngày Văn hóa Việt Nam 24/11 (holidays ≥ 0.108).
    assert cal.holiday_name(date(2026, 11, 24)) == "Vietnam Cultural Day"
    assert not cal.is_working_day(date(2026, 11, 24))
    # Plain weekend days have no holiday name.
    assert cal.holiday_name(date(2026, 3, 7)) is None


def test_vietnamese_holidays_2027(cal: WorkCalendar) -> None:
    # Tết 2027: Thu 04/02 … Wed 10/02 off (with the weekend in between); Wed 03/02 and Thu 11/02 worked.
    assert cal.is_working_day(date(2027, 2, 3))
    assert all(not cal.is_working_day(date(2027, 2, d)) for d in range(4, 11))
    assert cal.is_working_day(date(2027, 2, 11))
    assert not cal.is_working_day(date(2027, 1, 1))


def test_next_and_previous_working_day(cal: WorkCalendar) -> None:
    # Strictly after: Fri 28/08/2026 → Sat 29, Sun 30, Mon 31 (swap), Tue 01/09, Wed 02/09 off → Thu 03/09.
    assert cal.next_working_day(date(2026, 8, 28)) == date(2026, 9, 3)
    # Fri 21/08/2026 → Sat 22/08 (worked Saturday).
    assert cal.next_working_day(date(2026, 8, 21)) == date(2026, 8, 22)
    # A working day is not its own next working day: Mon 09/03/2026 → Tue 10/03.
    assert cal.next_working_day(date(2026, 3, 9)) == date(2026, 3, 10)
    # Before Mon 23/02/2026: Tết and the weekends back to Fri 13/02.
    assert cal.previous_working_day(date(2026, 2, 23)) == date(2026, 2, 13)


def test_working_days_in(cal: WorkCalendar) -> None:
    # 20/04–08/05/2026: Mon 20–Fri 24 (5); Mon 27 off, Tue 28, Wed 29 (2); Thu 30, Fri 01 off; Mon 04–Fri 08 (5) = 12.
    assert cal.working_days_in(date(2026, 4, 20), date(2026, 5, 8)) == 12
    # 17–23/08/2026: Mon–Fri (5) + the worked Sat 22/08 (1) = 6.
    assert cal.working_days_in(date(2026, 8, 17), date(2026, 8, 23)) == 6
    # One day, inclusive; reversed range → 0.
    assert cal.working_days_in(date(2026, 3, 9), date(2026, 3, 9)) == 1
    assert cal.working_days_in(date(2026, 3, 10), date(2026, 3, 9)) == 0


def test_holiday_years_are_cached_per_calendar() -> None:
    calls: Counter[int] = Counter()

    def provider(year: int) -> dict[date, str]:
        calls[year] += 1
        return {date(year, 5, 19): "Test holiday"}

    cal = WorkCalendar(holiday_provider=provider)
    for _ in range(3):
        cal.due(at(2026, 5, 4, 9), 30, "working_day")
        cal.due(at(2026, 5, 4, 9), 30, "working_day", mode="days")
    assert not cal.is_working_day(date(2026, 5, 19))
    assert set(calls.values()) == {1}  # every year fetched once


def test_swap_across_a_year_boundary_with_a_custom_provider() -> None:
    # Thu 02/01/2031 off in exchange for Sat 28/12/2030: the Saturday (previous year) becomes a working day.
    def provider(year: int) -> dict[date, str]:
        return {date(2031, 1, 2): "Day off (substituted from 12/28/2030)"} if year == 2031 else {}

    cal = WorkCalendar(holiday_provider=provider)
    assert cal.is_working_day(date(2030, 12, 28))
    assert not cal.is_working_day(date(2031, 1, 2))


# ----------------------------------------------------------------------------------------------- Tết and holidays


def test_tet_2026_received_friday_after_cutoff(cal: WorkCalendar) -> None:
    start = at(2026, 2, 13, 16, 10)  # Fri 13/02/2026 16:10, 3 working days
    # Days mode: 16:10 > 15:00 → received on the next working day, Mon 23/02 (Tết 16–20/02), not counted;
    # Tue 24 (1), Wed 25 (2), Thu 26 (3) → Thu 26/02/2026 17:00.
    assert cal.due(start, 3, "working_day", mode="days") == at(2026, 2, 26, 17)
    # Hours mode: 24 h. Fri 16:10–17:00 = 50 min; Mon 23/02 8 h (8 h 50); Tue 24/02 8 h (16 h 50);
    # Wed 25/02: 07:30–11:30 (20 h 50), then 3 h 10 from 13:00 → 16:10.
    assert cal.due(start, 3, "working_day") == at(2026, 2, 25, 16, 10)


def test_tet_2027(cal: WorkCalendar) -> None:
    start = at(2027, 2, 3, 10)  # Wed 03/02/2027 10:00, 2 working days
    # Days mode: Wed not counted; Thu 04 … Wed 10 off; Thu 11/02 (1), Fri 12/02 (2) → Fri 12/02/2027 17:00.
    assert cal.due(start, 2, "working_day", mode="days") == at(2027, 2, 12, 17)
    # Hours mode: 16 h. Wed 10:00–11:30 1 h 30 + 13:00–17:00 4 h = 5 h 30; Thu 11/02 8 h → 13 h 30;
    # Fri 12/02: 2 h 30 from 07:30 → 10:00.
    assert cal.due(start, 2, "working_day") == at(2027, 2, 12, 10)


def test_hung_kings_on_sunday_and_30_4_1_5(cal: WorkCalendar) -> None:
    start = at(2026, 4, 24, 9)  # Fri 24/04/2026 09:00, 3 working days, days mode
    # Sat 25, Sun 26 (Giỗ Tổ), Mon 27 (observed) off; Tue 28 (1), Wed 29 (2); Thu 30/04, Fri 01/05, Sat, Sun off;
    # Mon 04/05 (3) → Mon 04/05/2026 17:00.
    assert cal.due(start, 3, "working_day", mode="days") == at(2026, 5, 4, 17)
    # Hours mode: Fri 09:00–11:30 2 h 30 + 4 h = 6 h 30; Tue 28 → 14 h 30; Wed 29 → 22 h 30;
    # Mon 04/05: 1 h 30 from 07:30 → 09:00.
    assert cal.due(start, 3, "working_day") == at(2026, 5, 4, 9)


def test_national_day_2026_and_its_extra_day(cal: WorkCalendar) -> None:
    start = at(2026, 8, 28, 10)  # Fri 28/08/2026 10:00, 2 working days, days mode
    # Sat 29, Sun 30 off; Mon 31/08 (swap), Tue 01/09 (extra day), Wed 02/09 off; Thu 03/09 (1), Fri 04/09 (2).
    assert cal.due(start, 2, "working_day", mode="days") == at(2026, 9, 4, 17)


def test_worked_saturday_22_08_2026(cal: WorkCalendar) -> None:
    # Fri 21/08/2026 10:00, 1 working day, days mode → Sat 22/08 is the next working day → Sat 22/08 17:00.
    assert cal.due(at(2026, 8, 21, 10), 1, "working_day", mode="days") == at(2026, 8, 22, 17)
    # Hours mode from Fri 21/08 13:00, 8 h: Fri 13:00–17:00 4 h; Sat 22/08 07:30–11:30 4 h → Sat 11:30.
    assert cal.due(at(2026, 8, 21, 13), 1, "working_day") == at(2026, 8, 22, 11, 30)
    assert cal.shifts_on(date(2026, 8, 22)) == [
        (at(2026, 8, 22, 7, 30), at(2026, 8, 22, 11, 30)),
        (at(2026, 8, 22, 13), at(2026, 8, 22, 17)),
    ]


def test_vietnam_cultural_day_24_11_2026(cal: WorkCalendar) -> None:
    # Mon 23/11/2026 10:00, 1 working day, days mode: Tue 24/11 is a holiday → Wed 25/11 (1) → 17:00.
    assert cal.due(at(2026, 11, 23, 10), 1, "working_day", mode="days") == at(2026, 11, 25, 17)


# ---------------------------------------------------------------------------------------------- days mode, cut-off


def test_cutoff_1459_and_1501(cal: WorkCalendar) -> None:
    # Tue 10/03/2026, 1 working day.
    # 14:59 ≤ 15:00 → received Tue (not counted); Wed 11/03 (1) → Wed 17:00.
    assert cal.due(at(2026, 3, 10, 14, 59), 1, "working_day", mode="days") == at(2026, 3, 11, 17)
    # 15:00 exactly is not "after 15:00" → same as 14:59.
    assert cal.due(at(2026, 3, 10, 15), 1, "working_day", mode="days") == at(2026, 3, 11, 17)
    # 15:01 > 15:00 → received Wed 11/03 (not counted); Thu 12/03 (1) → Thu 17:00.
    assert cal.due(at(2026, 3, 10, 15, 1), 1, "working_day", mode="days") == at(2026, 3, 12, 17)


def test_cutoff_per_call_and_per_version(cal: WorkCalendar) -> None:
    start = at(2026, 3, 10, 15, 1)  # Tue 15:01, 1 working day
    # cutoff disabled: received Tue → Wed 11/03 17:00.
    assert cal.due(start, 1, "working_day", mode="days", cutoff=None) == at(2026, 3, 11, 17)
    # cutoff 16:00: 15:01 is before it → Wed 11/03 17:00.
    assert cal.due(start, 1, "working_day", mode="days", cutoff=time(16)) == at(2026, 3, 11, 17)
    # Even without a cut-off, 17:30 is after the last shift → received Wed → Thu 12/03 17:00.
    assert cal.due(at(2026, 3, 10, 17, 30), 1, "working_day", mode="days", cutoff=None) == at(2026, 3, 12, 17)
    # A version without cut-off behaves like cutoff=None.
    no_cutoff = WorkCalendar([RuleVersion(cutoff=None)])
    assert no_cutoff.due(start, 1, "working_day", mode="days") == at(2026, 3, 11, 17)
    # Early morning (06:00) on a working day: received that day.
    assert cal.due(at(2026, 3, 10, 6), 1, "working_day", mode="days") == at(2026, 3, 11, 17)


def test_days_mode_zero_means_within_the_day(cal: WorkCalendar) -> None:
    # "Tiếp nhận sau 15 giờ thì trả trong ngày làm việc tiếp theo": Tue 14:59 → Tue 17:00; Tue 15:01 → Wed 17:00.
    assert cal.due(at(2026, 3, 10, 14, 59), 0, "working_day", mode="days") == at(2026, 3, 10, 17)
    assert cal.due(at(2026, 3, 10, 15, 1), 0, "working_day", mode="days") == at(2026, 3, 11, 17)


def test_receipt_day(cal: WorkCalendar) -> None:
    assert cal.receipt_day(at(2026, 3, 10, 14, 59)) == date(2026, 3, 10)
    assert cal.receipt_day(at(2026, 3, 10, 15, 1)) == date(2026, 3, 11)
    assert cal.receipt_day(at(2026, 3, 8, 10)) == date(2026, 3, 9)  # Sunday → Monday
    assert cal.receipt_day(at(2026, 2, 13, 16, 10)) == date(2026, 2, 23)  # Friday before Tết → after Tết


# --------------------------------------------------------------------------------------------------- hours mode


def test_lunch_break_start(cal: WorkCalendar) -> None:
    # Tue 10/03/2026 11:45 is in the lunch break → the clock starts at 13:00; 4 working hours → 17:00 (a shift end).
    assert cal.office_start(at(2026, 3, 10, 11, 45)) == at(2026, 3, 10, 13)
    assert not cal.is_office_time(at(2026, 3, 10, 11, 45))
    assert cal.is_office_time(at(2026, 3, 10, 13))
    assert not cal.is_office_time(at(2026, 3, 10, 17))  # a shift end is not inside the shift
    assert cal.due(at(2026, 3, 10, 11, 45), 4, "working_hour") == at(2026, 3, 10, 17)
    # 0.5 working day = 4 h, same result.
    assert cal.due(at(2026, 3, 10, 11, 45), Decimal("0.5"), "working_day") == at(2026, 3, 10, 17)


def test_one_working_hour_at_1630(cal: WorkCalendar) -> None:
    # Tue 10/03/2026 16:30: 30 min until 17:00, then 30 min from Wed 07:30 → Wed 11/03 08:00.
    assert cal.due(at(2026, 3, 10, 16, 30), 1, "working_hour") == at(2026, 3, 11, 8)
    # After 17:00: Tue 17:30 → Wed 07:30 + 1 h → 08:30.
    assert cal.due(at(2026, 3, 10, 17, 30), 1, "working_hour") == at(2026, 3, 11, 8, 30)
    # "working_hour" ignores mode="days".
    assert cal.due(at(2026, 3, 10, 16, 30), 1, "working_hour", mode="days") == at(2026, 3, 11, 8)
    # 4 working hours from Mon 09/03 09:00: 09:00–11:30 2 h 30, 13:00 + 1 h 30 → 14:30.
    assert cal.due(at(2026, 3, 9, 9), 4, "working_hour") == at(2026, 3, 9, 14, 30)


def test_received_on_sunday(cal: WorkCalendar) -> None:
    start = at(2026, 3, 8, 10)  # Sun 08/03/2026 10:00, 1 working day
    # Hours mode: clock starts Mon 09/03 07:30; + 8 h → Mon 17:00.
    assert cal.due(start, 1, "working_day") == at(2026, 3, 9, 17)
    # Days mode: received Mon 09/03 (not counted); Tue 10/03 (1) → Tue 17:00.
    assert cal.due(start, 1, "working_day", mode="days") == at(2026, 3, 10, 17)


def test_fractional_days(cal: WorkCalendar) -> None:
    # 0.5 day = 4 h from Mon 09/03/2026 08:00: 08:00–11:30 3 h 30, then 30 min from 13:00 → 13:30.
    assert cal.due(at(2026, 3, 9, 8), Decimal("0.5"), "working_day") == at(2026, 3, 9, 13, 30)
    # 1.5 days = 12 h from Mon 13:00: Mon 4 h, Tue 8 h → Tue 10/03 17:00.
    assert cal.due(at(2026, 3, 9, 13), Decimal("1.5"), "working_day") == at(2026, 3, 10, 17)
    # 0.25 day (float) = 2 h from Mon 10:00: 10:00–11:30 1 h 30, 13:00 + 30 min → 13:30.
    assert cal.due(at(2026, 3, 9, 10), 0.25, "working_day") == at(2026, 3, 9, 13, 30)
    # 2.25 days = 18 h from Mon 07:30: Mon 8 h, Tue 8 h, Wed 2 h from 07:30 → Wed 11/03 09:30.
    assert cal.due(at(2026, 3, 9, 7, 30), Decimal("2.25"), "working_day") == at(2026, 3, 11, 9, 30)
    # 1.5 working hours from Mon 11:00: 30 min to 11:30, 1 h from 13:00 → 14:00.
    assert cal.due(at(2026, 3, 9, 11), 1.5, "working_hour") == at(2026, 3, 9, 14)


def test_zero_amount_in_hours_mode_is_the_effective_start(cal: WorkCalendar) -> None:
    assert cal.due(at(2026, 3, 9, 12), 0, "working_hour") == at(2026, 3, 9, 13)
    assert cal.due(at(2026, 3, 9, 9), 0, "working_day") == at(2026, 3, 9, 9)


def test_invalid_arguments(cal: WorkCalendar) -> None:
    start = at(2026, 3, 9, 9)
    with pytest.raises(ValueError):
        cal.due(start, 1, "week")
    with pytest.raises(ValueError):
        cal.due(start, 1, "working_day", mode="minutes")
    with pytest.raises(ValueError):
        cal.due(start, -1, "working_day")
    with pytest.raises(ValueError):
        cal.due(start, float("nan"), "working_hour")
    with pytest.raises(ValueError):
        cal.due(start, Decimal("1.5"), "working_day", mode="days")  # whole days only in days mode
    with pytest.raises(ValueError):
        cal.due(start, 2.5, "day")
    with pytest.raises(TypeError):
        cal.due(start, "3", "working_day")  # type: ignore[arg-type]


def test_time_zones(cal: WorkCalendar) -> None:
    # 01:00 UTC = 08:00 in Hà Nội; + 1 working hour → 09:00 local, returned in Asia/Ho_Chi_Minh.
    result = cal.due(datetime(2026, 3, 9, 1, 0, tzinfo=UTC), 1, "working_hour")
    assert result == at(2026, 3, 9, 9)
    assert result.tzinfo == TZ
    assert result.hour == 9
    # Naive input is Hà Nội wall time.
    assert cal.due(datetime(2026, 3, 9, 8), 1, "working_hour") == at(2026, 3, 9, 9)


# ------------------------------------------------------------------------------------------------------- pauses


def test_pause_in_hours_mode(cal: WorkCalendar) -> None:
    start = at(2026, 3, 9, 8)  # Mon 09/03/2026 08:00, 2 working days = 16 h
    pause = (at(2026, 3, 9, 14), at(2026, 3, 11, 10))  # supplement requested Mon 14:00, received Wed 10:00
    # Before the pause: 08:00–11:30 3 h 30 + 13:00–14:00 1 h = 4 h 30 (11 h 30 left).
    # Wed 10:00–11:30 1 h 30 (10 h left), 13:00–17:00 4 h (6 h left); Thu 07:30–11:30 4 h (2 h left);
    # Thu 13:00 + 2 h → Thu 12/03 15:00.
    assert cal.due(start, 2, "working_day", pauses=[pause]) == at(2026, 3, 12, 15)
    # Without the pause: Mon 7 h 30 + Tue 8 h = 15 h 30; Wed 07:30 + 30 min → Wed 08:00.
    assert cal.due(start, 2, "working_day") == at(2026, 3, 11, 8)
    # Overlapping pauses merge; a pause entirely before the start is ignored; a pause in the lunch break costs nothing.
    pauses = [
        (at(2026, 3, 6, 9), at(2026, 3, 6, 10)),
        (at(2026, 3, 10, 9), at(2026, 3, 11, 10)),
        (at(2026, 3, 9, 14), at(2026, 3, 10, 12)),
        (at(2026, 3, 11, 11, 40), at(2026, 3, 11, 12, 50)),
    ]
    assert cal.due(start, 2, "working_day", pauses=pauses) == at(2026, 3, 12, 15)


def test_open_pause_in_hours_mode(cal: WorkCalendar) -> None:
    start = at(2026, 3, 9, 8)
    # Clock stopped Mon 14:00 and not resumed: the time limit is not used up → ClockPaused.
    with pytest.raises(ClockPaused) as info:
        cal.due(start, 2, "working_day", pauses=[(at(2026, 3, 9, 14), None)])
    assert info.value.since == at(2026, 3, 9, 14)
    assert isinstance(info.value, CalendarError)
    # An open pause that starts after the due date (Wed 08:00) does not change it.
    assert cal.due(start, 2, "working_day", pauses=[(at(2026, 3, 11, 9), None)]) == at(2026, 3, 11, 8)


def test_pause_in_days_mode(cal: WorkCalendar) -> None:
    start = at(2026, 3, 9, 9)  # Mon 09/03/2026 09:00, 5 working days, days mode
    # Pause Wed 11/03 10:00 → Fri 13/03 16:00. Counted: Tue 10 (1); Wed (pause-start day, paused in office hours)
    # not counted. Resume Fri 16:00 > 15:00 → new receipt day Mon 16/03 (not counted);
    # Tue 17 (2), Wed 18 (3), Thu 19 (4), Fri 20 (5) → Fri 20/03/2026 17:00.
    pause = (at(2026, 3, 11, 10), at(2026, 3, 13, 16))
    assert cal.due(start, 5, "working_day", mode="days", pauses=[pause]) == at(2026, 3, 20, 17)
    # Without the pause: Tue 10 … Mon 16 → Mon 16/03 17:00.
    assert cal.due(start, 5, "working_day", mode="days") == at(2026, 3, 16, 17)
    # Pause Tue 10/03 17:30 → Wed 11/03 09:00: Tue was fully served → counts (1); resume Wed 09:00 → Wed not
    # counted; Thu 12 (2), Fri 13 (3), Mon 16 (4), Tue 17 (5) → Tue 17/03/2026 17:00.
    evening = (at(2026, 3, 10, 17, 30), at(2026, 3, 11, 9))
    assert cal.due(start, 5, "working_day", mode="days", pauses=[evening]) == at(2026, 3, 17, 17)


def test_open_pause_in_days_mode(cal: WorkCalendar) -> None:
    start = at(2026, 3, 9, 9)  # Mon, 1 working day → Tue 10/03 17:00
    with pytest.raises(ClockPaused):
        cal.due(start, 1, "working_day", mode="days", pauses=[(at(2026, 3, 10, 10), None)])
    # Paused at Tue 17:00 (end of office hours): Tue was served → due Tue 17:00.
    assert cal.due(start, 1, "working_day", mode="days", pauses=[(at(2026, 3, 10, 17), None)]) == at(2026, 3, 10, 17)


def test_invalid_pause(cal: WorkCalendar) -> None:
    with pytest.raises(CalendarError):
        cal.due(at(2026, 3, 9, 9), 1, "working_day", pauses=[(at(2026, 3, 9, 12), at(2026, 3, 9, 10))])


# ------------------------------------------------------------------------------------------------ calendar days


def test_calendar_days(cal: WorkCalendar) -> None:
    # Fri 13/02/2026, 10 days: 14/02 … 23/02 → last day Mon 23/02 (working) → 23/02 17:00.
    assert cal.due(at(2026, 2, 13, 10), 10, "day") == at(2026, 2, 23, 17)
    # Tue 10/02/2026, 7 days → last day Tue 17/02 (Tết) → the next working day Mon 23/02 → 17:00.
    assert cal.due(at(2026, 2, 10, 10), 7, "day") == at(2026, 2, 23, 17)
    # No cut-off for calendar days: Tue 10/03 16:30, 2 days → Thu 12/03 17:00.
    assert cal.due(at(2026, 3, 10, 16, 30), 2, "day") == at(2026, 3, 12, 17)
    # Received on a Sunday 08/03, 1 day → Mon 09/03 17:00.
    assert cal.due(at(2026, 3, 8, 10), 1, "day") == at(2026, 3, 9, 17)


def test_calendar_days_with_a_pause(cal: WorkCalendar) -> None:
    start = at(2026, 3, 2, 10)  # Mon 02/03/2026, 10 days (no pause → Thu 12/03 17:00)
    assert cal.due(start, 10, "day") == at(2026, 3, 12, 17)
    # Pause Fri 06/03 09:00 → Mon 09/03 10:00: Tue 03, Wed 04, Thu 05 count (3); the resume day Mon 09 is not
    # counted; 7 more: 10 … 16/03 → Mon 16/03 (working) → 17:00.
    pause = (at(2026, 3, 6, 9), at(2026, 3, 9, 10))
    assert cal.due(start, 10, "day", pauses=[pause]) == at(2026, 3, 16, 17)
    with pytest.raises(ClockPaused):
        cal.due(start, 10, "day", pauses=[(at(2026, 3, 6, 9), None)])


# ----------------------------------------------------------------------------------------------- rule versions


NEW_HOURS = RuleVersion(
    effective_from=date(2027, 1, 1),
    shifts=((time(8), time(12)), (time(13, 30), time(17, 30))),
)


def test_version_change_across_the_boundary() -> None:
    cal = WorkCalendar([RuleVersion(), NEW_HOURS])
    assert cal.version_for(date(2026, 12, 31)).day_start == time(7, 30)
    assert cal.version_for(date(2027, 1, 4)).day_start == time(8)
    start = at(2026, 12, 30, 10)  # Wed 30/12/2026 10:00, 3 working days
    # Hours mode (24 h, 8 h/day in both versions): Wed 10:00–11:30 1 h 30 + 4 h = 5 h 30; Thu 31/12 8 h → 13 h 30;
    # Fri 01/01/2027 holiday; Mon 04/01 (new hours) 8 h → 21 h 30; Tue 05/01: 2 h 30 from 08:00 → 10:30.
    assert cal.due(start, 3, "working_day") == at(2027, 1, 5, 10, 30)
    # Days mode: Thu 31/12 (1), Mon 04/01 (2), Tue 05/01 (3) → end of the new office hours, 17:30.
    assert cal.due(start, 3, "working_day", mode="days") == at(2027, 1, 5, 17, 30)
    # Lunch break of the new version: 12:45 on Mon 04/01/2027 → the clock starts at 13:30.
    assert cal.office_start(at(2027, 1, 4, 12, 45)) == at(2027, 1, 4, 13, 30)


def test_version_with_seven_hour_days() -> None:
    seven = RuleVersion(effective_from=date(2027, 1, 1), shifts=((time(8), time(12)), (time(13), time(16))))
    cal = WorkCalendar([seven, RuleVersion()])  # any order
    assert seven.hours_per_day == timedelta(hours=7)
    # Start Mon 04/01/2027 08:00 (new version): 2 days = 14 h → Mon 7 h, Tue 7 h → Tue 05/01 16:00.
    assert cal.due(at(2027, 1, 4, 8), 2, "working_day") == at(2027, 1, 5, 16)
    # Start Thu 31/12/2026 07:30 (old version): 2 days = 16 h → Thu 8 h; Fri 01/01 holiday; Mon 04/01 7 h → 15 h;
    # Tue 05/01 1 h from 08:00 → 09:00.
    assert cal.due(at(2026, 12, 31, 7, 30), 2, "working_day") == at(2027, 1, 5, 9)
    # Countdown in the new version: Mon 08:00 → Tue 16:00 is 14 h = 2 days of 7 h.
    assert str(cal.remaining(at(2027, 1, 4, 8), at(2027, 1, 5, 16))) == "còn 2 ngày"


def test_weekly_days_off_from_the_version() -> None:
    # From 2027-01-01 Saturday is a working day: Fri 08/01/2027 10:00, 1 working day, days mode → Sat 09/01 17:00.
    six_day_week = RuleVersion(effective_from=date(2027, 1, 1), weekly_days_off=frozenset({6}))
    cal = WorkCalendar([RuleVersion(), six_day_week])
    assert not cal.is_working_day(date(2026, 12, 26))  # a Saturday under the old version
    assert cal.is_working_day(date(2027, 1, 9))
    assert cal.due(at(2027, 1, 8, 10), 1, "working_day", mode="days") == at(2027, 1, 9, 17)


# --------------------------------------------------------------------------------------------- overrides, errors


def test_extra_day_off_and_working_saturday() -> None:
    cal = WorkCalendar(
        extra_days_off={date(2026, 3, 12): "Nghỉ theo quyết định của UBND tỉnh"},
        extra_working_days={date(2026, 3, 14)},
    )
    # Tue 10/03/2026 10:00, 3 working days, days mode: Wed 11 (1), Thu 12 off, Fri 13 (2), Sat 14 worked (3).
    assert cal.due(at(2026, 3, 10, 10), 3, "working_day", mode="days") == at(2026, 3, 14, 17)
    assert cal.holiday_name(date(2026, 3, 12)) == "Nghỉ theo quyết định của UBND tỉnh"
    assert cal.holiday_name(date(2026, 3, 14)) is None
    plain = WorkCalendar(extra_days_off={date(2026, 3, 12)})
    assert plain.holiday_name(date(2026, 3, 12)) == WorkCalendar.EXTRA_DAY_OFF_NAME


def test_overrides_win_over_package_rules() -> None:
    # Working on the observed Giỗ Tổ day; not working on the swapped Saturday.
    cal = WorkCalendar(extra_working_days={date(2026, 4, 27)}, extra_days_off={date(2026, 8, 22)})
    assert cal.is_working_day(date(2026, 4, 27))
    assert cal.holiday_name(date(2026, 4, 27)) is None
    assert not cal.is_working_day(date(2026, 8, 22))


def test_contradictory_overrides() -> None:
    with pytest.raises(CalendarConflict, match="05/09/2026") as info:
        WorkCalendar(extra_days_off={date(2026, 9, 5)}, extra_working_days=[date(2026, 9, 5)])
    assert isinstance(info.value, ValueError)
    assert "vừa được khai báo là ngày nghỉ" in str(info.value)


@pytest.mark.parametrize(
    "shifts",
    [
        ((time(13), time(12)),),  # start after end
        ((time(8), time(8)),),  # empty shift
        ((time(8), time(12)), (time(11), time(17))),  # overlapping
        ((time(13), time(17)), (time(8), time(12))),  # not ordered
        (),  # no shift
    ],
)
def test_invalid_shifts(shifts: tuple[tuple[time, time], ...]) -> None:
    with pytest.raises(CalendarConflict):
        RuleVersion(shifts=shifts)


def test_invalid_versions() -> None:
    with pytest.raises(CalendarConflict, match="01/01/2027"):
        WorkCalendar([NEW_HOURS, RuleVersion(effective_from=date(2027, 1, 1))])
    with pytest.raises(CalendarConflict):
        WorkCalendar([])
    with pytest.raises(CalendarConflict):
        RuleVersion(weekly_days_off=frozenset(range(7)))
    with pytest.raises(CalendarConflict):
        RuleVersion(weekly_days_off=frozenset({7}))
    # Touching shifts are fine.
    assert RuleVersion(shifts=((time(8), time(12)), (time(12), time(16)))).hours_per_day == EIGHT_HOURS


# ------------------------------------------------------------------------------------------ office time, countdown


def test_office_time_between(cal: WorkCalendar) -> None:
    # Mon 09/03/2026 10:00 → Tue 10/03 09:00: Mon 1 h 30 + 4 h, Tue 1 h 30 → 7 h.
    assert cal.office_time_between(at(2026, 3, 9, 10), at(2026, 3, 10, 9)) == timedelta(hours=7)
    # Lunch to evening, weekend, reversed: 0 or what overlaps.
    assert cal.office_time_between(at(2026, 3, 9, 11, 40), at(2026, 3, 9, 12, 50)) == timedelta()
    assert cal.office_time_between(at(2026, 3, 7, 8), at(2026, 3, 8, 18)) == timedelta()
    assert cal.office_time_between(at(2026, 3, 10), at(2026, 3, 9)) == timedelta()
    # Whole Tết week 2026: 0; the week of 17–23/08/2026 (Mon–Sat worked): 6 × 8 h.
    assert cal.office_time_between(at(2026, 2, 14), at(2026, 2, 23)) == timedelta()
    assert cal.office_time_between(at(2026, 8, 17), at(2026, 8, 24)) == 6 * EIGHT_HOURS


def test_remaining_strings(cal: WorkCalendar) -> None:
    # Mon 09/03/2026 14:00 → Wed 11/03 17:00: Mon 3 h + Tue 8 h + Wed 8 h = 19 h = 2 days 3 h.
    left = cal.remaining(at(2026, 3, 9, 14), at(2026, 3, 11, 17))
    assert left == Remaining(overdue=False, days=2, hours=3, minutes=0)
    assert str(left) == "còn 2 ngày 3 giờ"
    # Due Mon 09/03 17:00, now Wed 11/03 09:30: Tue 8 h + Wed 07:30–09:30 2 h = 10 h = 1 day 2 h overdue.
    late = cal.remaining(at(2026, 3, 11, 9, 30), at(2026, 3, 9, 17))
    assert late == Remaining(overdue=True, days=1, hours=2, minutes=0)
    assert str(late) == "quá hạn 1 ngày 2 giờ"
    # 16:15 → 17:00 the same day: 45 min.
    assert str(cal.remaining(at(2026, 3, 9, 16, 15), at(2026, 3, 9, 17))) == "còn 45 phút"
    # Exactly due.
    assert str(cal.remaining(at(2026, 3, 9, 17), at(2026, 3, 9, 17))) == "đến hạn"
    # Past the due instant but no working time elapsed since (evening of the due day).
    evening = cal.remaining(at(2026, 3, 9, 19), at(2026, 3, 9, 17))
    assert evening == Remaining(overdue=True, days=0, hours=0, minutes=0)
    assert str(evening) == "quá hạn"
    # Over the weekend: Fri 13/03 16:00 → Mon 16/03 09:00 = 1 h + 1 h 30 = 2 h 30.
    assert str(cal.remaining(at(2026, 3, 13, 16), at(2026, 3, 16, 9))) == "còn 2 giờ 30 phút"
    # Zero parts are omitted.
    assert str(Remaining(overdue=False, days=2, hours=0, minutes=5)) == "còn 2 ngày 5 phút"
    assert str(Remaining(overdue=True, days=3, hours=0, minutes=0)) == "quá hạn 3 ngày"


def test_step_result(cal: WorkCalendar) -> None:
    due = at(2026, 3, 11, 17)  # Wed 11/03/2026 17:00
    assert cal.step_result(at(2026, 3, 10, 16), due) == "early"  # the day before
    assert cal.step_result(at(2026, 3, 11, 8), due) == "on_time"  # on the due day
    assert cal.step_result(at(2026, 3, 11, 17), due) == "on_time"  # at the due instant
    assert cal.step_result(at(2026, 3, 11, 17, 1), due) == "late"
    assert cal.step_result(at(2026, 3, 12, 8), due) == "late"
    # An hours-mode due in the morning: finished the evening before → early.
    assert cal.step_result(at(2026, 3, 10, 18), at(2026, 3, 11, 8)) == "early"


# ------------------------------------------------------------------------------------------ properties, efficiency


def test_property_hours_mode_due_is_office_time_and_exact(cal: WorkCalendar) -> None:
    rng = random.Random(20262027)
    first = datetime(2026, 1, 1, tzinfo=TZ)
    span_minutes = int((datetime(2028, 1, 1, tzinfo=TZ) - first) / timedelta(minutes=1))
    for _ in range(400):
        start = first + timedelta(minutes=rng.randrange(span_minutes))
        n = rng.randint(1, 30)
        due = cal.due(start, n, "working_day")
        # The due instant lies inside a shift of a working day, or exactly on a shift end.
        assert cal.is_working_day(due.date()), (start, n, due)
        assert any(s < due <= e for s, e in cal.shifts_on(due.date())), (start, n, due)
        # Exactly N × 8 h of office time from the start (or its effective start) to the due instant.
        assert cal.office_time_between(start, due) == n * EIGHT_HOURS, (start, n, due)
        assert cal.office_time_between(cal.office_start(start), due) == n * EIGHT_HOURS
        # Days mode: end of office hours of a working day, exactly N working days after the receipt day.
        due_days = cal.due(start, n, "working_day", mode="days")
        assert due_days == cal.end_of_office_hours(due_days.date())
        assert cal.is_working_day(due_days.date())
        receipt = cal.receipt_day(start)
        assert cal.working_days_in(receipt + timedelta(days=1), due_days.date()) == n, (start, n, due_days)


def test_property_hours_mode_from_opening_matches_days_mode(cal: WorkCalendar) -> None:
    # From 07:30 on a working day D, N days of office time end at 17:00 of the N-th working day counting D;
    # days mode from the previous working day (before the cut-off) ends at the same instant.
    rng = random.Random(7)
    for _ in range(100):
        d = cal.working_day_on_or_after(date(2026, 1, 1) + timedelta(days=rng.randrange(700)))
        n = rng.randint(1, 30)
        hours_due = cal.due(datetime.combine(d, time(7, 30), tzinfo=TZ), n, "working_day")
        previous = cal.previous_working_day(d)
        days_due = cal.due(datetime.combine(previous, time(10), tzinfo=TZ), n, "working_day", mode="days")
        assert hours_due == days_due, (d, n)


def test_long_deadlines_are_computed_per_shift_not_per_minute(cal: WorkCalendar) -> None:
    # 60 working days from Mon 05/01/2026 08:00. Days mode: the 60th working day after 05/01 is X → X 17:00.
    # Hours mode: Mon 05/01 gives 7 h 30, 59 full days follow, and 30 min of day X → X 08:00.
    start = at(2026, 1, 5, 8)
    days_due = cal.due(start, 60, "working_day", mode="days")
    assert cal.working_days_in(date(2026, 1, 6), days_due.date()) == 60
    assert cal.due(start, 60, "working_day") == datetime.combine(days_due.date(), time(8), tzinfo=TZ)
    began = clock.perf_counter()
    for _ in range(200):
        cal.due(start, 60, "working_day")
        cal.due(start, 60, "working_day", mode="days")
    assert clock.perf_counter() - began < 5  # a minute-by-minute loop would take minutes
