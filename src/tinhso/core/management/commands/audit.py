"""``tinhso audit verify [--json] [--anchor SEQ:HASH …]`` and ``tinhso audit anchor [--json]``.

``verify`` recomputes the audit hash chain and names every modified, inserted or deleted row; exit status 0 when the
chain is intact, 1 when it is broken. ``anchor`` prints the newest link (number and hash) to print or publish; a later
``verify --anchor N:HASH`` proves the log up to that row was not rebuilt since.
"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tinhso.core import audit

SHOWN = 20


class Command(BaseCommand):
    help = "Kiểm tra chuỗi băm của nhật ký kiểm toán (verify) hoặc in mã băm đầu chuỗi để công bố (anchor)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser("verify", help="Kiểm tra toàn bộ chuỗi; mã thoát 1 khi có bản ghi bị sửa/chèn/xóa.")
        verify.add_argument("--json", action="store_true", help="In báo cáo dạng JSON.")
        verify.add_argument("--anchor", action="append", default=[], metavar="SEQ:HASH",
                            help="Neo đã công bố (từ “tinhso audit anchor”); có thể lặp lại.")
        verify.add_argument("--database", default="default")
        anchor = sub.add_parser("anchor", help="In số thứ tự và mã băm của bản ghi mới nhất.")
        anchor.add_argument("--json", action="store_true", help="In dạng JSON.")
        anchor.add_argument("--database", default="default")

    def handle(self, *args, **options):
        if options["subcommand"] == "anchor":
            return self._anchor(options)
        return self._verify(options)

    def _anchor(self, options):
        link = audit.head(options["database"])
        if options["json"]:
            self.stdout.write(json.dumps({**link, "anchor": f"{link['seq']}:{link['hash']}"}, ensure_ascii=False))
            return
        now = timezone.localtime()
        self.stdout.write(
            f"Neo nhật ký kiểm toán — in lúc {now:%d/%m/%Y %H:%M}\n"
            f"Bản ghi số: {link['seq']}\n"
            f"SHA-256:    {link['hash']}\n"
            f"Kiểm tra sau này: tinhso audit verify --anchor {link['seq']}:{link['hash']}"
        )

    def _verify(self, options):
        try:
            anchors = [audit.parse_anchor(text) for text in options["anchor"]]
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        report = audit.verify(using=options["database"], anchors=anchors)
        if options["json"]:
            self.stdout.write(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
        elif report.ok:
            self.stdout.write(self.style.SUCCESS(
                f"Nhật ký kiểm toán nguyên vẹn: {report.rows} bản ghi, đầu chuỗi số {report.head['seq']}, "
                f"SHA-256 {report.head['hash']}."
                + (f" Khớp {report.anchors_checked} neo." if report.anchors_checked else "")
            ))
        else:
            self.stdout.write(self.style.ERROR(
                f"Nhật ký kiểm toán BỊ THAY ĐỔI: {report.problem_count} chỗ hỏng trên {report.rows} bản ghi."))
            for problem in report.problems[:SHOWN]:
                self.stdout.write(f"- [{problem.kind}] {problem.message}")
            if report.problem_count > SHOWN:
                self.stdout.write(f"… và {report.problem_count - SHOWN} chỗ khác (xem --json).")
        if not report.ok:
            raise SystemExit(1)
