"""Deadlines of real dossiers: both counting modes, pauses, the restart rule, step shares, the countdown, form 04."""

from datetime import date, datetime

import pytest

from tinhso.core.errors import DomainError
from tinhso.core.models import Agency
from tinhso.core.workcalendar import TZ
from tinhso.onestop import clock, services
from tinhso.onestop.models import Dossier, OneStopRules, Status

from .conftest import pdf


def at(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


def company_dossier(people, when: datetime) -> Dossier:
    """2.001583 Đăng ký thành lập công ty TNHH một thành viên: 3 working days online, counted in office hours."""
    centre = Agency.objects.get(code="000.00.20.H37")
    with services.acting_at(when):
        d = services.create_dossier(people["doanhnghiep"], procedure_code="2.001583", channel_kind="online",
                                    receiving_agency=centre)
        for item in d.items.filter(mandatory=True):
            services.add_attachment(people["doanhnghiep"], d, pdf(), item=item)
        services.submit(people["doanhnghiep"], d)
        return services.accept(people["tiepnhan"], d)


def birth_dossier(people, desk, when: datetime) -> Dossier:
    """1.001193 Đăng ký khai sinh: 1 working day, counted in whole days with the 15:00 cut-off."""
    with services.acting_at(when):
        d = services.create_dossier(people["congdan"], procedure_code="1.001193", channel_kind="online",
                                    receiving_agency=desk)
        for item in d.items.filter(mandatory=True):
            services.add_attachment(people["congdan"], d, pdf(), item=item)
        services.submit(people["congdan"], d)
        return services.accept(people["tiepnhan.lvt"], d)


def test_hours_mode_skips_tet(people):
    # Fri 13/02/2026 16:10: 50 min that day; Tết 16–20/02; Mon 23 and Tue 24 (16 h); 7 h 10 on Wed 25 → 16:10
    d = company_dossier(people, at(2026, 2, 13, 16, 10))
    assert d.due_at == at(2026, 2, 25, 16, 10)
    assert d.code.startswith("000.00.20.H37-260213-")


@pytest.mark.parametrize(("received", "due"), [
    (at(2026, 8, 21, 14, 59), at(2026, 8, 22, 17, 0)),  # before 15:00: counts from Fri; Sat 22/08 is a worked day
    (at(2026, 8, 21, 15, 1), at(2026, 8, 24, 17, 0)),   # after 15:00: received Sat 22/08; first day after: Mon 24
])
def test_days_mode_cut_off_and_worked_saturday(people, desk, received, due):
    assert birth_dossier(people, desk, received).due_at == due


def test_supplement_pauses_the_clock_and_each_step_has_its_share(people):
    d = company_dossier(people, at(2026, 3, 3, 8, 0))  # Tue 08:00 + 24 office hours → Fri 06/03 08:00
    assert d.due_at == at(2026, 3, 6, 8, 0)
    step = d.current_step  # "Thẩm định hồ sơ", 60 % of 24 h = 14 h 24 min from Tue 08:00 → Wed 04/03 15:54
    assert (step.order, step.due_at) == (2, at(2026, 3, 4, 15, 54))

    with services.acting_at(at(2026, 3, 4, 9, 0)):
        services.request_supplement(people["chuyenvien.stc"], d, ["Điều lệ công ty thiếu chữ ký"])
    with services.acting_at(at(2026, 3, 9, 9, 0)):
        services.provide_supplement(people["doanhnghiep"], d)
    d.refresh_from_db()
    # paused Wed 09:00 → Mon 09:00 = 2.5 + 4 + 8 + 8 + 1.5 = 24 office hours: the due date moves 3 working days
    assert d.status == Status.ACCEPTED and d.due_at == at(2026, 3, 11, 8, 0)
    assert d.current_step.due_at == at(2026, 3, 9, 15, 54)
    assert d.original_due_at == at(2026, 3, 6, 8, 0)

    with services.acting_at(at(2026, 3, 10, 8, 0)):
        services.request_supplement(people["chuyenvien.stc"], d, ["Bổ sung lần hai"])
    d.refresh_from_db()
    assert d.supplement_count == 2  # recorded: counts against the on-time KPI


def test_restart_rule_counts_the_time_limit_again(people):
    OneStopRules.objects.create(effective_from=date(2026, 1, 1), supplement_clock="restart",
                                note="NĐ 61/2018 Điều 19.4: thời hạn tính lại từ đầu")
    d = company_dossier(people, at(2026, 3, 3, 8, 0))
    with services.acting_at(at(2026, 3, 4, 9, 0)):
        services.request_supplement(people["chuyenvien.stc"], d, ["Thiếu điều lệ"])
    with services.acting_at(at(2026, 3, 9, 9, 0)):
        services.provide_supplement(people["doanhnghiep"], d)
    d.refresh_from_db()
    assert d.rules["supplement_clock"] == "restart"
    assert d.due_at == at(2026, 3, 12, 9, 0)  # 3 working days from the complete dossier, Mon 09:00


def test_countdown_and_late_step(people):
    d = company_dossier(people, at(2026, 3, 3, 8, 0))
    assert str(clock.remaining(d, at(2026, 3, 5, 8, 0))) == "còn 1 ngày"
    assert str(clock.remaining(d, at(2026, 3, 6, 10, 0))) == "quá hạn 2 giờ"
    with services.acting_at(at(2026, 3, 5, 10, 0)):  # the examination step was due Wed 15:54
        services.forward(people["chuyenvien.stc"], d)
    d.refresh_from_db()
    assert d.steps.get(order=2).result == "late"


def test_apology_once_and_not_on_the_due_day(people):
    d = company_dossier(people, at(2026, 3, 3, 8, 0))  # due Fri 06/03 08:00
    leader = people["giamdoc.stc"]
    with services.acting_at(at(2026, 3, 6, 7, 40)), pytest.raises(DomainError) as exc:
        services.issue_apology(leader, d, at(2026, 3, 10, 17, 0), "Cần xác minh thêm")
    assert exc.value.code == "apology_too_late" and "05/03/2026" in exc.value.message
    with services.acting_at(at(2026, 3, 5, 9, 0)):
        services.issue_apology(leader, d, at(2026, 3, 10, 17, 0), "Cần xác minh thêm")
        with pytest.raises(DomainError) as exc:
            services.issue_apology(leader, d, at(2026, 3, 12, 17, 0), "Lần hai")
    assert exc.value.code == "apology_once"
    d.refresh_from_db()
    assert d.due_at == at(2026, 3, 10, 17, 0) and d.original_due_at == at(2026, 3, 6, 8, 0)
