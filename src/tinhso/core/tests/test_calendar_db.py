"""The calendar as configured in the database: overrides, versions, per-agency rules, the command and the API."""

from datetime import date, datetime, time

import pytest
from django.core.management import call_command

from tinhso.core import services
from tinhso.core.calendars import calendar_for
from tinhso.core.errors import DomainError
from tinhso.core.models import Agency, CalendarOverride, CalendarRuleVersion
from tinhso.core.workcalendar import TZ


@pytest.fixture
def agency(db):
    return services.save_agency(None, Agency(code="000.00.00.H37", name="UBND tỉnh", short_name="UBND",
                                             kind=Agency.Kind.PROVINCIAL_COMMITTEE))


def test_contradictory_override_is_refused_with_a_clear_message(db):
    services.add_calendar_override(None, day=date(2026, 12, 31), kind=CalendarOverride.Kind.DAY_OFF,
                                   reason="Thông báo nghỉ bổ sung (minh họa)")
    with pytest.raises(DomainError) as exc:
        services.add_calendar_override(None, day=date(2026, 12, 31), kind=CalendarOverride.Kind.WORKING_DAY,
                                       reason="Làm bù")
    assert exc.value.code == "calendar_conflict"
    assert "31/12/2026" in exc.value.message
    assert CalendarOverride.objects.count() == 1


def test_overrides_change_deadlines_and_agency_overrides_win(agency):
    services.add_calendar_override(None, day=date(2026, 12, 31), kind=CalendarOverride.Kind.DAY_OFF, reason="Nghỉ")
    services.add_calendar_override(None, day=date(2026, 12, 31), kind=CalendarOverride.Kind.WORKING_DAY,
                                   reason="Cơ quan trực", agency=agency)
    province_cal, agency_cal = calendar_for(None), calendar_for(agency)
    assert not province_cal.is_working_day(date(2026, 12, 31))
    assert agency_cal.is_working_day(date(2026, 12, 31))
    # Wed 30/12/2026 10:00 + 1 working day: the province skips 31/12 and 01/01 → Mon 04/01/2027 10:00
    start = datetime(2026, 12, 30, 10, 0, tzinfo=TZ)
    assert province_cal.due(start, 1, "working_day") == datetime(2027, 1, 4, 10, 0, tzinfo=TZ)
    assert agency_cal.due(start, 1, "working_day") == datetime(2026, 12, 31, 10, 0, tzinfo=TZ)


def test_agency_office_hours_version_applies_from_its_date(agency):
    services.add_calendar_version(None, CalendarRuleVersion(
        agency=agency, effective_from=date(2027, 1, 1), shifts=[["08:00", "12:00"], ["13:30", "17:30"]],
        cutoff=time(15, 30), note="Giờ làm việc mới (minh họa)"))
    cal = calendar_for(agency)
    # Mon 04/01/2027 17:10: 20 minutes left that day (to 17:30), 40 more from 08:00 the next day
    assert cal.due(datetime(2027, 1, 4, 17, 10, tzinfo=TZ), 1, "working_hour") == datetime(2027, 1, 5, 8, 40, tzinfo=TZ)
    # 2026 still uses the default hours (07:30–11:30, 13:00–17:00)
    due = cal.due(datetime(2026, 12, 30, 16, 30, tzinfo=TZ), 1, "working_hour")
    assert due == datetime(2026, 12, 31, 8, 0, tzinfo=TZ)


def test_invalid_shifts_are_refused(agency):
    with pytest.raises(DomainError) as exc:
        services.add_calendar_version(None, CalendarRuleVersion(
            agency=agency, effective_from=date(2027, 1, 1), shifts=[["13:00", "12:00"]]))
    assert exc.value.code == "calendar_invalid"
    assert not CalendarRuleVersion.objects.exists()


def test_deadline_command_prints_iso_8601_with_vietnam_offset(db, capsys):
    call_command("deadline", "--start", "2026-02-13T16:10", "--days", "3")
    assert capsys.readouterr().out.strip() == "2026-02-25T16:10:00+07:00"
    call_command("deadline", "--start", "2026-02-13T16:10", "--days", "3", "--mode", "days")
    assert capsys.readouterr().out.strip() == "2026-02-26T17:00:00+07:00"


def test_deadline_api(client, db):
    r = client.get("/api/calendar/deadline", {"start": "2026-08-21T14:59:00+07:00", "amount": 1, "mode": "days"})
    assert r.status_code == 200
    # Fri 21/08 14:59 is before the 15:00 cut-off; Sat 22/08/2026 is a worked Saturday → due then at 17:00
    assert r.json()["due"].startswith("2026-08-22T17:00:00")
    r = client.get("/api/calendar/deadline", {"start": "2026-08-21T10:00", "amount": -1})
    assert r.status_code == 400 and r.json()["code"] == "negative_amount"
    r = client.get("/api/calendar/deadline", {"start": "not-a-date", "amount": 1})
    assert r.status_code == 422 and r.json()["code"] == "invalid_input"
    r = client.get("/api/calendar/deadline", {"start": "2026-08-21T10:00", "amount": 1, "agency": "000.00.00.H99"})
    assert r.status_code == 404 and r.json()["code"] == "agency_not_found"
