"""``tinhso deadline --start 2026-02-13T16:10 --days 3 [--mode days] [--agency CODE]``: print the due instant."""

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError

from tinhso.core.calendars import calendar_for, day_off_label
from tinhso.core.models import Agency
from tinhso.core.workcalendar import TZ, CalendarError


def _decimal(value: str) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation as exc:
        raise CommandError(f"“{value}” không phải là một số.") from exc
    if number < 0:
        raise CommandError("Thời hạn không được âm.")
    return number


class Command(BaseCommand):
    help = "Tính hạn giải quyết theo lịch làm việc (in ra ISO 8601 với +07:00)."

    def add_arguments(self, parser):
        parser.add_argument("--start", required=True,
                            help="Thời điểm tiếp nhận, ISO 8601; không có múi giờ thì hiểu là giờ Việt Nam.")
        amount = parser.add_mutually_exclusive_group(required=True)
        amount.add_argument("--days", type=_decimal, help="Số ngày làm việc.")
        amount.add_argument("--hours", type=_decimal, help="Số giờ làm việc.")
        amount.add_argument("--calendar-days", type=_decimal, help="Số ngày (theo lịch).")
        parser.add_argument("--mode", choices=["hours", "days"], default="hours",
                            help="hours: tính theo giờ hành chính (mặc định); days: Bộ luật Dân sự Điều 147–148.")
        parser.add_argument("--agency", help="Mã định danh cơ quan (dùng lịch riêng của cơ quan nếu có).")
        parser.add_argument("--explain", action="store_true", help="In thêm ngày nghỉ trong khoảng thời hạn.")

    def handle(self, *args, **opts):
        try:
            start = datetime.fromisoformat(opts["start"])
        except ValueError as exc:
            raise CommandError(f"Thời điểm “{opts['start']}” không đúng ISO 8601 (ví dụ 2026-02-13T16:10).") from exc
        if start.tzinfo is None:
            start = start.replace(tzinfo=TZ)
        agency = None
        if opts["agency"]:
            agency = Agency.objects.filter(code=opts["agency"]).first()
            if agency is None:
                raise CommandError(f"Không có cơ quan mã {opts['agency']}.")
        if opts["days"] is not None:
            amount, unit = opts["days"], "working_day"
        elif opts["hours"] is not None:
            amount, unit = opts["hours"], "working_hour"
        else:
            amount, unit = opts["calendar_days"], "day"
        cal = calendar_for(agency)
        try:
            due = cal.due(start, amount, unit, mode=opts["mode"])
        except (CalendarError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(due.isoformat())
        if opts["explain"]:
            day = start.astimezone(TZ).date()
            while day <= due.date():
                name = day_off_label(cal, day)
                if name:
                    self.stdout.write(f"  {day:%d/%m/%Y} nghỉ: {name}")
                day += timedelta(days=1)
