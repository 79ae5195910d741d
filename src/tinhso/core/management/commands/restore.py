"""``tinhso restore SRC [--force]``: restore a backup into the configured (empty) database and media folder, then
check the counts per table, every file's SHA-256 and the audit chain against the backup. Prints a JSON report; exit
status 1 on any mismatch or refusal (see core/backup.py)."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from tinhso.core import backup


class Command(BaseCommand):
    help = ("Khôi phục bản sao lưu SRC vào cơ sở dữ liệu và thư mục tệp đang cấu hình (phải trống, trừ khi "
            "--force), rồi đối chiếu số dòng, SHA-256 từng tệp và chuỗi nhật ký kiểm toán.")

    def add_arguments(self, parser):
        parser.add_argument("src", metavar="SRC", help="Thư mục hoặc tệp .tar do “tinhso backup” tạo.")
        parser.add_argument("--force", action="store_true",
                            help="Ghi đè cả khi cơ sở dữ liệu hoặc thư mục tệp đích đã có dữ liệu.")
        parser.add_argument("--database", default="default")
        parser.add_argument("--quiet", action="store_true", help="Không in tiến trình ra stderr.")

    def handle(self, *args, **options):
        progress = (lambda _: None) if options["quiet"] else (lambda text: print(text, file=sys.stderr, flush=True))
        try:
            report = backup.restore(Path(options["src"]), using=options["database"], force=options["force"],
                                    progress=progress)
        except (backup.BackupError, DatabaseError, OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
        if not report["ok"]:
            raise SystemExit(1)
