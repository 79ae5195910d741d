"""``tinhso backup DEST`` writes a backup (a directory, or a ``.tar`` file); ``tinhso backup --verify SRC`` checks an
existing one against its manifest. Both print a JSON report; exit status 1 when a check fails (see core/backup.py)."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from tinhso.core import backup


class Command(BaseCommand):
    help = ("Sao lưu cơ sở dữ liệu và mọi tệp đã lưu trữ vào DEST (thư mục mới, hoặc tệp .tar), kèm bản kê "
            "manifest.json (số dòng từng bảng, SHA-256 từng tệp, mã băm đầu chuỗi nhật ký); "
            "--verify SRC kiểm tra một bản sao lưu có sẵn.")

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="DEST|SRC", help="Nơi ghi bản sao lưu, hoặc bản cần kiểm tra (--verify).")
        parser.add_argument("--verify", action="store_true", help="Kiểm tra bản sao lưu PATH, không sao lưu.")
        parser.add_argument("--database", default="default")
        parser.add_argument("--quiet", action="store_true", help="Không in tiến trình ra stderr.")

    def handle(self, *args, **options):
        path = Path(options["path"])
        progress = (lambda _: None) if options["quiet"] else (lambda text: print(text, file=sys.stderr, flush=True))
        try:
            if options["verify"]:
                result = backup.check(path, progress=progress)
            else:
                result = backup.summary(backup.create(path, using=options["database"], progress=progress))
        except (backup.BackupError, DatabaseError, OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
        if not result["ok"]:
            raise SystemExit(1)
