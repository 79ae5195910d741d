"""``tinhso sweep_deadlines``: the periodic deadline task (cron or a systemd timer, e.g. every hour in office time).

Notifies due-soon and overdue dossiers, reminds applicants of unanswered supplement requests and stops the dossiers
whose supplement never came. Prints the counts as one JSON line: ``{"due_soon": …, "overdue": …, "reminded": …,
"stopped": …}``.
"""

import dataclasses
import json

from django.core.management.base import BaseCommand

from tinhso.onestop import services


class Command(BaseCommand):
    help = ("Quét hạn hồ sơ: báo hồ sơ sắp đến hạn, quá hạn; nhắc và dừng xử lý hồ sơ không bổ sung đúng hạn. "
            "Chạy định kỳ (cron, systemd timer).")

    def handle(self, *args, **opts):
        result = services.sweep_deadlines()
        self.stdout.write(json.dumps(dataclasses.asdict(result)))
