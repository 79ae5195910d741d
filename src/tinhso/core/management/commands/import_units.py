"""``tinhso import-units``: import administrative units and the 2025 old → new mapping.

* ``tinhso import-units --gso-dir DIR [--province CODE ...] [--report FILE.json]`` reads the three files of the
  statistics office's format from ``DIR`` (``nested-divisions*.json``, ``pre-reform-wards*.csv``,
  ``old-to-new-ward-mapping*.csv``);
* ``tinhso import-units --fixture FILE [--province CODE ...] [--report FILE.json]`` reads our own ``tinhso-units/1``
  fixture (e.g. ``src/tinhso/core/fixtures/units-lang-son.json``).

Running it again changes nothing. Rows that cannot be imported are listed (and written with ``--report``); the exit
status is 0 even then, and non-zero only when a file cannot be read at all.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tinhso.core.units import ImportReport, UnitFileError, import_gso_dir, load_fixture, normalize_code

SHOWN_ISSUES = 20


class Command(BaseCommand):
    help = ("Nhập danh mục đơn vị hành chính (34 tỉnh, 3.321 xã từ 01/7/2025 và đơn vị trước sắp xếp) cùng bảng "
            "chuyển đổi cũ → mới. Chạy lại nhiều lần không tạo trùng.")

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--gso-dir", type=Path, help="Thư mục chứa ba tệp theo định dạng của cơ quan thống kê.")
        source.add_argument("--fixture", type=Path, help="Tệp dữ liệu mẫu định dạng tinhso-units/1.")
        parser.add_argument(
            "--province", action="extend", nargs="+", default=[], metavar="CODE",
            help="Chỉ nhập các tỉnh mới này (mã 2 chữ số, ví dụ 20) và các tỉnh cũ hợp thành chúng.",
        )
        parser.add_argument("--report", type=Path, help="Ghi số liệu, lỗi và cảnh báo ra tệp JSON.")

    def handle(self, *args, gso_dir: Path | None, fixture: Path | None, province: list[str], report: Path | None,
               **options) -> None:
        provinces: list[str] = []
        for raw in province:
            for part in raw.split(","):
                if not part.strip():
                    continue
                code = normalize_code(part.strip(), "province")
                if code is None:
                    raise CommandError(f"Mã tỉnh “{part.strip()}” không hợp lệ (cần 1–2 chữ số, ví dụ 20).")
                provinces.append(code)
        try:
            if gso_dir is not None:
                result = import_gso_dir(gso_dir, provinces=provinces or None)
            elif fixture is not None:
                result = load_fixture(fixture, provinces=provinces or None)
            else:
                raise CommandError("Cần --gso-dir THƯ_MỤC hoặc --fixture TỆP.")
        except UnitFileError as exc:
            raise CommandError(str(exc)) from exc
        self._print(result)
        if report is not None:
            try:
                report.write_text(json.dumps(result.as_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"Không ghi được báo cáo {report}: {exc}") from exc
            self.stdout.write(f"Báo cáo: {report}")

    def _print(self, result: ImportReport) -> None:
        labels = {"units": "Đơn vị hành chính", "successions": "Quan hệ sắp xếp cũ → mới"}
        for kind, label in labels.items():
            counts = result.by_kind.get(kind, {})
            self.stdout.write(
                f"{label}: {counts.get('created', 0)} mới, {counts.get('updated', 0)} cập nhật, "
                f"{counts.get('unchanged', 0)} không đổi."
            )
        self.stdout.write(f"Tổng: {result.created} mới, {result.updated} cập nhật, {result.unchanged} không đổi, "
                          f"{result.failed} lỗi, {len(result.warnings)} cảnh báo ({result.seconds:.1f} giây).")
        for issue in result.failures[:SHOWN_ISSUES]:
            where = f" ({issue.source}, dòng {issue.line})" if issue.line else f" ({issue.source})" if issue.source \
                else ""
            self.stderr.write(f"  LỖI {issue.code or '-'}{where}: {issue.reason}")
        if result.failed > SHOWN_ISSUES:
            self.stderr.write(f"  … và {result.failed - SHOWN_ISSUES} lỗi khác (xem --report).")
        if result.warnings:
            self.stdout.write(f"{len(result.warnings)} cảnh báo về dữ liệu nguồn (xem --report).")
