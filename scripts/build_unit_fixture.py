#!/usr/bin/env python
"""Build our compact administrative-unit fixture from the shared GSO-format files.

    .venv/bin/python scripts/build_unit_fixture.py [--source ../shared/data/admin-units] [--province 20]
                                                   [--output src/tinhso/core/fixtures/units-lang-son.json]

The fixture (format ``tinhso-units/1``, see ``tinhso.core.units``) holds all 34 provinces in force since 1 July 2025
and, in full detail, one demo province (Lạng Sơn by default): its new communes, the pre-reform province(s) that
formed it with their districts and communes, and every succession among them (commune rows of the official
mapping, plus the district and province successions derived from them). Only facts (codes, names, types,
old → new links) are carried over, re-expressed in our own structure; the source files are never copied.
The demo loader imports it with ``tinhso.core.units.load_fixture``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "admin-units"
DEFAULT_OUTPUT = ROOT / "src" / "tinhso" / "core" / "fixtures" / "units-lang-son.json"
LEVEL_ORDER = {"commune": 0, "district": 1, "province": 2}


def build(source: Path, province: str) -> tuple[dict, list[str]]:
    """The fixture object for ``province`` and a list of notes about what was left out."""
    from tinhso.core.units import (
        ImportReport,
        UnitData,
        derive_successions,
        normalize_code,
        read_gso_dir,
        restrict_to_provinces,
    )

    code = normalize_code(province, "province")
    if code is None:
        raise SystemExit(f"Mã tỉnh “{province}” không hợp lệ.")
    report = ImportReport()
    full = derive_successions(read_gso_dir(source, report))
    scoped = restrict_to_provinces(full, [code])
    if not scoped.provinces:
        raise SystemExit(f"Không có tỉnh mới mã {code} trong {source}.")

    new_codes = {c["code"] for c in scoped.communes} | {p["code"] for p in full.provinces}
    old_codes = {
        "commune": {c["code"] for c in scoped.old_communes},
        "district": {d["code"] for d in scoped.old_districts},
        "province": {p["code"] for p in scoped.old_provinces},
    }
    successions, dropped = [], []
    for s in scoped.successions:
        if s.get("_problem") or s["old"] not in old_codes[s["level"]] or s["new"] not in new_codes:
            dropped.append(f"dòng {s.get('_line', '?')}: {s.get('old')} → {s.get('new')}")
            continue
        successions.append(s)
    successions.sort(key=lambda s: (LEVEL_ORDER[s["level"]], s["old"], s["new"]))

    def by_code(items: list[dict]) -> list[dict]:
        return sorted(items, key=lambda item: item["code"])

    data = UnitData(
        provinces=by_code(full.provinces),  # all 34: the province picker needs them
        communes=by_code(scoped.communes),
        old_provinces=by_code(scoped.old_provinces),
        old_districts=by_code(scoped.old_districts),
        old_communes=by_code(scoped.old_communes),
        successions=successions,
    )
    content = data.to_fixture(
        demo_province=code,
        effective_date="2025-07-01",
        source="Mã và tên đơn vị hành chính của cơ quan thống kê (danh mục sau sắp xếp 01/7/2025, danh mục trước "
               "sắp xếp, bảng chuyển đổi cũ → mới); sinh bằng scripts/build_unit_fixture.py, không sửa tay.",
    )
    return content, dropped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="Thư mục ba tệp định dạng GSO.")
    parser.add_argument("--province", default="20", help="Mã tỉnh mới đưa vào đầy đủ (mặc định 20, Lạng Sơn).")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings.dev")
    import django

    django.setup()
    from tinhso.core.units import UnitFileError, dump_fixture

    try:
        content, dropped = build(args.source, args.province)
    except UnitFileError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 1
    text = dump_fixture(content)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    counts = {name: len(value) for name, value in content.items() if isinstance(value, list)}
    print(f"{args.output}: {len(text.encode('utf-8')) / 1024:.1f} KB, {counts}")
    for line in dropped:
        print(f"  bỏ qua (mã không có trong danh mục): {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
