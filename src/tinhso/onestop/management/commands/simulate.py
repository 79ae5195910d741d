"""``tinhso simulate --dossiers N [--days D] [--seed S] [--until ISO]``: realistic one-stop-shop traffic on the demo.

Prints one JSON line: ``{"dossiers": N, "by_status": {"1": …, …, "10": …}, "late": …, "late_steps": …, "seconds": …}``
(``late``: dossiers with at least one step finished past its due instant).

Nothing leaves the machine: e-mail goes to Django's in-memory backend, SMS to the sandbox provider, and notification
tasks run in this process (the immediate backend) instead of being queued for a worker that would send them later with
the real backends. Every attempt is still recorded in ``OutboundMessage``, as in production.
"""

import json
import logging
from datetime import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from tinhso.core.errors import DomainError
from tinhso.core.workcalendar import TZ
from tinhso.onestop.models import Dossier
from tinhso.onestop.notifications import DEFAULT_SMS_PROVIDER
from tinhso.onestop.simulation import Simulation

OFFLINE = {
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "TASKS": {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
}
#: Loggers that write a line per notification (task runs, sandbox SMS, "no recipient"); errors still show.
QUIET = {"django_tasks": logging.WARNING, "tinhso.onestop.notifications": logging.ERROR}


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise CommandError(f"“{value}” không phải là số nguyên.") from exc
    if number < 1:
        raise CommandError("Giá trị phải lớn hơn 0.")
    return number


class Command(BaseCommand):
    help = ("Mô phỏng hồ sơ thủ tục hành chính trên dữ liệu minh họa: nộp trực tuyến, trực tiếp, qua bưu chính và "
            "xử lý qua các bước trong những ngày làm việc vừa qua (không gửi thư, tin nhắn thật).")

    def add_arguments(self, parser):
        parser.add_argument("--dossiers", type=_positive, required=True, help="Số hồ sơ cần tạo.")
        parser.add_argument("--days", type=_positive, default=60,
                            help="Trải đều trong bao nhiêu ngày làm việc gần nhất (mặc định 60).")
        parser.add_argument("--seed", type=int, default=1,
                            help="Hạt giống ngẫu nhiên: cùng hạt giống cho cùng kết quả (mặc định 1).")
        parser.add_argument("--until", help="Thời điểm kết thúc mô phỏng, ISO 8601 (mặc định: hết giờ làm việc của "
                                            "ngày làm việc trước hôm nay).")
        parser.add_argument("--if-empty", action="store_true",
                            help="Chỉ mô phỏng khi cơ sở dữ liệu chưa có hồ sơ nào (dùng cho make run).")

    def handle(self, *args, dossiers: int, days: int, seed: int, until: str | None, if_empty: bool = False, **opts):
        if if_empty and Dossier.objects.exists():
            self.stdout.write("Đã có hồ sơ; bỏ qua mô phỏng.")
            return
        if if_empty:
            self.stdout.write(f"Mô phỏng {dossiers} hồ sơ trong {days} ngày làm việc (lần đầu, mất vài phút)…")
        present = None
        if until:
            try:
                present = datetime.fromisoformat(until)
            except ValueError as exc:
                raise CommandError(f"Thời điểm “{until}” không đúng ISO 8601 (ví dụ 2026-03-20T17:00).") from exc
            if present.tzinfo is None:
                present = present.replace(tzinfo=TZ)
        levels = {name: logging.getLogger(name).level for name in QUIET}
        for name, level in QUIET.items():
            logging.getLogger(name).setLevel(level)
        offline = {**OFFLINE, "TINHSO": {**settings.TINHSO, "SMS_PROVIDER": DEFAULT_SMS_PROVIDER}}
        try:
            with override_settings(**offline):
                result = Simulation(dossiers, days=days, seed=seed, until=present).run()
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        finally:
            for name, level in levels.items():
                logging.getLogger(name).setLevel(level)
        self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
