"""Derive the demo's procedure fixture (src/tinhso/demo/data/procedures.json) from the national catalogue.

Usage: python scripts/build_demo_procedures.py [../shared/data/tthc-catalogue/procedures.jsonl.gz]

The fixture is the parser's structured output for ~60 real procedures handled by provinces and communes — facts of
the official catalogue in this repository's own format, not a copy of the source file. Civil-status procedures
whose time is written as a bare number ("1") are read as working days, as the Law on Civil Status counts them;
those channels carry a ``time_unit_assumed`` warning.
"""

import json
import sys
from dataclasses import asdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from tinhso.catalog.parsing import assume_time_unit, iter_catalogue, parse_record  # noqa: E402

#: Procedures every commune and province centre handles daily, included whatever the quotas below.
ESSENTIAL = [
    "1.001193",  # đăng ký khai sinh
    "1.000894",  # đăng ký kết hôn
    "1.000656",  # đăng ký khai tử
    "1.004873",  # cấp giấy xác nhận tình trạng hôn nhân
    "1.000689",  # khai sinh kết hợp nhận cha, mẹ, con
    "1.004772",  # khai sinh cho người đã có hồ sơ, giấy tờ cá nhân
    "2.000720",  # thay đổi nội dung đăng ký hộ kinh doanh
    "2.000575",  # cấp lại giấy chứng nhận đăng ký hộ kinh doanh
    "1.001266",  # chấm dứt hoạt động hộ kinh doanh
    "1.013225",  # cấp giấy phép xây dựng mới công trình cấp III, IV
]
#: Further procedures by field, taken in catalogue order among those whose time and fees parse as written.
QUOTAS = {
    "Hộ tịch": 6, "Chứng thực": 4, "Hoạt động xây dựng": 7, "Nhà ở và công sở": 3,
    "Thành lập và hoạt động của doanh nghiệp": 6,
    "Thành lập và hoạt động của tổ hợp tác, hợp tác xã, liên hiệp hợp tác xã": 3,
    "Công chứng": 3, "Luật sư": 2, "Trợ giúp pháp lý": 2, "Nuôi con nuôi": 2, "Kinh doanh bất động sản": 2,
    "Hòa giải ở cơ sở": 2, "Đấu giá tài sản": 1, "Kiến trúc": 1, "Đường bộ": 4, "Đầu tư tại Việt nam": 2,
}
LOCAL_LEVELS = {"province", "commune"}


def main(source: Path) -> None:
    chosen, taken = {}, dict.fromkeys(QUOTAS, 0)
    for _, raw, _ in iter_catalogue(source):
        if raw is None:
            continue
        parsed = parse_record(raw)
        if not parsed.ok or not LOCAL_LEVELS & set(parsed.levels):
            continue
        if parsed.code in ESSENTIAL:
            assume_time_unit(parsed, "working_day")
            chosen[parsed.code] = parsed
        elif (taken.get(parsed.field, 99) < QUOTAS.get(parsed.field, 0)
              and parsed.time_parsed() and parsed.fees_parsed()):
            taken[parsed.field] += 1
            chosen[parsed.code] = parsed
    missing = [c for c in ESSENTIAL if c not in chosen]
    if missing:
        raise SystemExit(f"essential procedures not found: {missing}")
    out = REPO / "src" / "tinhso" / "demo" / "data" / "procedures.json"
    procedures = [asdict(chosen[code]) for code in sorted(chosen)]
    out.write_text(json.dumps({
        "format": "tinhso-procedures/1",
        "source": "Cơ sở dữ liệu quốc gia về thủ tục hành chính (dichvucong.gov.vn), đã phân tích thành cấu trúc",
        "procedures": procedures,
    }, ensure_ascii=False, separators=(",", ":"), default=str) + "\n", "utf-8")
    print(f"{len(procedures)} procedures → {out.relative_to(REPO)} ({out.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared/data/tthc-catalogue/procedures.jsonl.gz")
