"""``tinhso import-procedures FILE [--report FILE.json]``: import the national procedure catalogue."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from tinhso.catalog.parsing import iter_catalogue
from tinhso.catalog.services import import_records


def _count_lines(path: Path) -> int | None:
    try:
        return sum(1 for _ in iter_catalogue(path))
    except OSError:
        return None


class Command(BaseCommand):
    help = "Nhập danh mục thủ tục hành chính quốc gia (.jsonl hoặc .jsonl.gz). Chạy lại nhiều lần không tạo trùng."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--report", type=Path, help="Ghi số liệu và danh sách lỗi ra tệp JSON.")
        parser.add_argument("--no-progress", action="store_true", help="Không hiện thanh tiến độ.")
        parser.add_argument(
            "--assume-unit", choices=["working_day", "day", "working_hour"],
            help="Đơn vị gán cho thời hạn chỉ ghi số (ví dụ “1”); mặc định không gán, báo cáo là chưa phân tích được.",
        )

    def handle(self, *args, file: Path, report: Path | None, no_progress: bool, assume_unit: str | None, **opts):
        if not file.is_file():
            raise CommandError(f"Không tìm thấy tệp {file}.")
        show_progress = not no_progress and sys.stderr.isatty()
        bar = tqdm(total=_count_lines(file), unit=" thủ tục", disable=not show_progress, file=sys.stderr)
        try:
            result = import_records(iter_catalogue(file), progress=bar.update, source=file.name,
                                    assume_unit=assume_unit)
        except OSError as exc:
            raise CommandError(f"Không đọc được tệp {file}: {exc}") from exc
        finally:
            bar.close()

        parse = result.parse
        self.stdout.write(
            f"Đã đọc {result.total} bản ghi: {result.created} mới, {result.updated} cập nhật, "
            f"{result.unchanged} không đổi, {result.failed} lỗi."
        )
        if parse.get("records"):
            self.stdout.write(
                f"Phân tích được thời hạn {parse['time_parsed']}/{parse['records']}, phí {parse['fees_parsed']}/"
                f"{parse['records']}, cả hai {parse['both']}/{parse['records']} ({parse['share_both']:.1%})."
            )
        assumed = result.parse_with_assumed_unit
        if assumed:
            self.stdout.write(
                f"Sau khi gán đơn vị “{assumed['unit']}” cho {assumed['channels_assumed']} thời hạn chỉ ghi số: "
                f"cả hai {assumed['both']}/{assumed['records']} ({assumed['share_both']:.1%})."
            )
        for failure in result.failures[:20]:
            self.stderr.write(f"  LỖI {failure['code'] or '-'} (dòng {failure['line']}): {failure['message']}")
        if len(result.failures) > 20:
            self.stderr.write(f"  … và {len(result.failures) - 20} lỗi khác (xem --report).")
        if result.warnings:
            self.stdout.write(f"{len(result.warnings)} cảnh báo về trường không phân tích được (xem --report).")
        if report:
            report.write_text(json.dumps(result.as_json(), ensure_ascii=False, indent=2, default=str), "utf-8")
            self.stdout.write(f"Báo cáo: {report}")
