"""Import of administrative units and of the official 2025 old → new mapping.

Three layers, so that the core does not depend on any file format:

* **Readers** turn the statistics office's (GSO) files into plain dicts: :func:`read_new_divisions` (the 34 provinces
  and 3,321 communes in force since 1 July 2025, nested JSON), :func:`read_pre_reform_units` (the 63 provinces,
  districts and communes before, CSV) and :func:`read_ward_mapping` (the conversion table new commune ← old
  commune(s), CSV with two header lines and province separator rows). A malformed row becomes an
  :class:`ImportIssue` in the report, never an exception; only a file that cannot be read at all raises
  :class:`UnitFileError`.
* :class:`UnitData` holds the records in **our own** neutral shape, which is also the shape of our compact fixture
  format ``tinhso-units/1`` (:func:`load_fixture`, :meth:`UnitData.to_fixture`).
* :func:`import_units` derives the district and province successions from the commune mapping, optionally keeps only
  some new provinces (and the old provinces that feed them), then creates or updates ``AdministrativeUnit`` and
  ``UnitSuccession`` rows in bulk, idempotently, in one transaction with one audit record.

Neutral record shapes (codes are zero-padded text: province 2 digits, district 3, commune 5)::

    provinces      {"code": "20", "name": "Tỉnh Lạng Sơn", "type": "tỉnh"}
    communes       {"code": "05983", "name": "Phường Lương Văn Tri", "type": "phường", "province": "20"}
    old_provinces  {"code": "20", "name": "Tỉnh Lạng Sơn", "type": "tỉnh"}
    old_districts  {"code": "178", "name": "Thành phố Lạng Sơn", "type": "thành phố", "province": "20"}
    old_communes   {"code": "05983", "name": "Phường Chi Lăng", "type": "phường", "district": "178"}
    successions    {"level": "commune", "old": "05983", "new": "05983", "whole": true, "note": "Nhập toàn bộ"}

``level`` of a succession is the level of the old unit: an old commune or district becomes (part of) a new commune,
an old province becomes (part of) a new province. Keys starting with ``_`` (source line, names as written in the
mapping, the new province a mapping row was listed under) are provenance for the report; they are not written to
fixtures.
"""

from __future__ import annotations

import csv
import json
import re
import time
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from django.db import transaction
from django.db.models import Q

from . import services
from .models import REFORM_DATE_2025, AdministrativeUnit, UnitSuccession
from .text import fold

Record = dict[str, Any]
Level = AdministrativeUnit.Level

FIXTURE_FORMAT = "tinhso-units/1"
#: Width of the statistics office's codes at each level.
CODE_WIDTH: dict[str, int] = {Level.PROVINCE: 2, Level.DISTRICT: 3, Level.COMMUNE: 5}
#: File name patterns of the three GSO-format files inside an import folder.
GSO_FILES: dict[str, str] = {
    "new": "nested-divisions*.json",
    "old": "pre-reform-wards*.csv",
    "mapping": "old-to-new-ward-mapping*.csv",
}
#: Division types by level (the Vietnamese words, as the statistics office writes them).
DIVISION_TYPES: dict[str, tuple[str, ...]] = {
    Level.PROVINCE: ("tỉnh", "thành phố trung ương"),
    Level.DISTRICT: ("huyện", "quận", "thị xã", "thành phố"),
    Level.COMMUNE: ("xã", "phường", "thị trấn", "đặc khu"),
}
_NAME_PREFIXES: dict[str, tuple[tuple[str, str, str], ...]] = {
    # level: (folded prefix, the prefix as usually written in names, division type)
    Level.PROVINCE: (("thanh pho ", "Thành phố ", "thành phố trung ương"), ("tinh ", "Tỉnh ", "tỉnh")),
    Level.DISTRICT: (
        ("thanh pho ", "Thành phố ", "thành phố"), ("thi xa ", "Thị xã ", "thị xã"),
        ("quan ", "Quận ", "quận"), ("huyen ", "Huyện ", "huyện"),
    ),
    Level.COMMUNE: (
        ("thi tran ", "Thị trấn ", "thị trấn"), ("dac khu ", "Đặc khu ", "đặc khu"),
        ("phuong ", "Phường ", "phường"), ("xa ", "Xã ", "xã"),
    ),
}
LEVEL_LABELS: dict[str, str] = {Level.PROVINCE: "tỉnh", Level.DISTRICT: "huyện", Level.COMMUNE: "xã"}
DERIVED_NOTE = "Suy ra từ bảng chuyển đổi cấp xã"

_SPACES = re.compile(r"\s+")
_CODE_IN_PARENS = re.compile(r"\((\d+)\)\s*$")
_BATCH = 500


class UnitFileError(Exception):
    """A file that cannot be read at all: missing, not UTF-8 text, not JSON, or without a recognisable header."""


# ---------------------------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------------------------

@dataclass
class ImportIssue:
    """One reported problem: the code of the row concerned, a Vietnamese reason, and where it came from."""

    code: str
    reason: str
    source: str = ""
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "reason": self.reason, "source": self.source, "line": self.line}


@dataclass
class ImportReport:
    """What an import did. ``created``/``updated``/``unchanged`` count units and successions together;
    ``by_kind`` splits them (``units``, ``successions``). ``failures`` are rows that were skipped, ``warnings`` rows
    that were imported but look doubtful (e.g. a name in the mapping that differs from the catalogue)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failures: list[ImportIssue] = field(default_factory=list)
    warnings: list[ImportIssue] = field(default_factory=list)
    by_kind: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def failed(self) -> int:
        return len(self.failures)

    def fail(self, code: str, reason: str, *, source: str = "", line: int | None = None) -> None:
        self.failures.append(ImportIssue(code, reason, source, line))

    def warn(self, code: str, reason: str, *, source: str = "", line: int | None = None) -> None:
        self.warnings.append(ImportIssue(code, reason, source, line))

    def count(self, kind: str, outcome: str, n: int = 1) -> None:
        """Add ``n`` to ``outcome`` (created, updated, unchanged) of ``kind`` (units, successions)."""
        if not n:
            return
        setattr(self, outcome, getattr(self, outcome) + n)
        bucket = self.by_kind.setdefault(kind, {"created": 0, "updated": 0, "unchanged": 0})
        bucket[outcome] += n

    def counts(self) -> dict[str, Any]:
        """The numbers only (for the audit record)."""
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "failed": self.failed, "warned": len(self.warnings), "by_kind": self.by_kind,
                "seconds": round(self.seconds, 2)}

    def as_dict(self) -> dict[str, Any]:
        return {**self.counts(), "failures": [f.as_dict() for f in self.failures],
                "warnings": [w.as_dict() for w in self.warnings]}


# ---------------------------------------------------------------------------------------------------------------
# Small text helpers
# ---------------------------------------------------------------------------------------------------------------

def clean_text(value: Any) -> str:
    """NFC-normalised text with runs of white space (including line breaks inside CSV cells) collapsed."""
    if value is None:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", str(value))).strip()


def normalize_code(value: Any, level: str) -> str | None:
    """The zero-padded code of ``level`` for ``value`` (``4`` or ``"4"`` → ``"00004"`` for a commune), or None."""
    if isinstance(value, bool):
        return None
    text = str(value).strip() if isinstance(value, (int, str)) else ""
    width = CODE_WIDTH[level]
    if not text.isascii() or not text.isdigit() or len(text) > width:
        return None
    return text.zfill(width)


def _name_key(name: str) -> str:
    """Folded name for comparing spellings: ignores diacritics, accent placement (hoà/hòa) and apostrophe shapes."""
    return fold(name.replace("’", "'").replace("‘", "'"))


def split_division_name(name: str, level: str) -> tuple[str, str] | None:
    """``(division type, name with a canonically written prefix)`` read from a name's prefix, or None.

    ``"Thị Xã Sơn Tây"`` at district level gives ``("thị xã", "Thị xã Sơn Tây")``.
    """
    folded = fold(name) + " "
    for prefix, canonical, division_type in _NAME_PREFIXES[level]:
        if folded.startswith(prefix) and len(name) > len(prefix) - 1:
            return division_type, canonical + name[len(prefix):].strip()
    return None


def _header_key(cell: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", fold(cell)).split())


def _cell(row: list[str], index: int | None) -> str:
    return clean_text(row[index]) if index is not None and index < len(row) else ""


def _open_csv(path: Path) -> Iterator[tuple[int, list[str]]]:
    """``(line number, cells)`` for each row; UTF-8 with or without BOM; multi-line cells allowed."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            for row in reader:
                yield reader.line_num, row
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise UnitFileError(f"Không đọc được tệp {path}: {exc}") from exc


def _find_header(rows: Iterator[tuple[int, list[str]]], required: Iterable[str], path: Path,
                 look_ahead: int = 10) -> dict[str, int]:
    """Consume rows up to the header line that holds every ``required`` column; its ``{key: index}``."""
    needed = set(required)
    for _ in range(look_ahead):
        try:
            _, row = next(rows)
        except StopIteration:
            break
        columns: dict[str, int] = {}
        for index, cell in enumerate(row):
            columns.setdefault(_header_key(cell), index)
        if needed <= columns.keys():
            return columns
    raise UnitFileError(f"Tệp {path} không có dòng tiêu đề với các cột cần thiết ({', '.join(sorted(needed))}).")


# ---------------------------------------------------------------------------------------------------------------
# Readers of the GSO-format files
# ---------------------------------------------------------------------------------------------------------------

def read_new_divisions(path: Path | str, report: ImportReport) -> Iterator[Record]:
    """Provinces and communes in force since 1 July 2025 from the nested JSON list
    ``[{"code", "name", "division_type", "wards": [{"code", "name", "division_type"}, …]}, …]``.

    Yields ``{"kind": "province", …}`` then its ``{"kind": "commune", …}`` records.
    """
    path = Path(path)
    source = path.name
    try:
        with open(path, encoding="utf-8-sig") as handle:
            provinces = json.load(handle)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UnitFileError(f"Không đọc được tệp {path}: {exc}") from exc
    if not isinstance(provinces, list):
        raise UnitFileError(f"Tệp {path} không phải danh sách tỉnh, thành phố (mảng JSON).")
    for position, item in enumerate(provinces, start=1):
        province = _json_unit(item, Level.PROVINCE, report, source, f"tỉnh thứ {position}")
        if province is None:
            continue
        yield {"kind": "province", **province, "_source": source}
        wards = item.get("wards")
        if not isinstance(wards, list):
            report.fail(province["code"], f"Tỉnh {province['name']} không có danh sách xã, phường (wards).",
                        source=source)
            continue
        for ward_position, ward in enumerate(wards, start=1):
            commune = _json_unit(ward, Level.COMMUNE, report, source,
                                 f"xã thứ {ward_position} của {province['name']}")
            if commune is not None:
                yield {"kind": "commune", **commune, "province": province["code"], "_source": source}


def _json_unit(item: Any, level: str, report: ImportReport, source: str, where: str) -> Record | None:
    label = LEVEL_LABELS[level]
    if not isinstance(item, dict):
        report.fail("", f"Mục {where} không phải đối tượng JSON.", source=source)
        return None
    raw_code = item.get("code")
    code = normalize_code(raw_code, level)
    name = clean_text(item.get("name"))
    if code is None:
        report.fail(str(raw_code or ""), f"Mã {label} “{raw_code}” ({where}) không hợp lệ: cần tối đa "
                    f"{CODE_WIDTH[level]} chữ số.", source=source)
        return None
    if not name:
        report.fail(code, f"Đơn vị cấp {label} mã {code} không có tên.", source=source)
        return None
    division_type = clean_text(item.get("division_type")).lower()
    if division_type not in DIVISION_TYPES[level]:
        parsed = split_division_name(name, level)
        if parsed is None:
            report.fail(code, f"Không xác định được loại đơn vị của “{name}” (mã {code}).", source=source)
            return None
        division_type = parsed[0]
    return {"code": code, "name": name, "type": division_type}


def read_pre_reform_units(path: Path | str, report: ImportReport) -> Iterator[Record]:
    """Provinces, districts and communes before 1 July 2025 from the GSO CSV export
    (columns ``Tỉnh Thành Phố, Mã TP, Quận Huyện, Mã QH, Phường Xã, Mã PX, Cấp``, one row per commune; a district
    without communes — an island district — has a row with empty commune columns).

    Yields ``old_province`` and ``old_district`` records the first time they appear, and ``old_commune`` records.
    """
    path = Path(path)
    source = path.name
    rows = _open_csv(path)
    columns = _find_header(rows, ("tinh thanh pho", "ma tp", "quan huyen", "ma qh", "phuong xa", "ma px"), path)
    col = {key: columns.get(key) for key in ("tinh thanh pho", "ma tp", "quan huyen", "ma qh", "phuong xa", "ma px",
                                             "cap")}
    provinces: dict[str, str] = {}
    districts: dict[str, str] = {}
    communes: set[str] = set()
    for line, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        raw_province, raw_district, raw_commune = _cell(row, col["ma tp"]), _cell(row, col["ma qh"]), \
            _cell(row, col["ma px"])
        province = _pre_reform_unit(Level.PROVINCE, raw_province, _cell(row, col["tinh thanh pho"]), "",
                                    report, source, line)
        if province is None:
            continue
        known = provinces.get(province["code"])
        if known is None:
            provinces[province["code"]] = province["name"]
            yield {"kind": "old_province", **province, "_line": line, "_source": source}
        elif _name_key(known) != _name_key(province["name"]):
            report.warn(province["code"], f"Mã tỉnh cũ {province['code']} mang hai tên: “{known}” và "
                        f"“{province['name']}”; giữ tên đầu.", source=source, line=line)
        district = _pre_reform_unit(Level.DISTRICT, raw_district, _cell(row, col["quan huyen"]), "",
                                    report, source, line)
        if district is None:
            continue
        owner = districts.get(district["code"])
        if owner is None:
            districts[district["code"]] = province["code"]
            yield {"kind": "old_district", **district, "province": province["code"], "_line": line,
                   "_source": source}
        elif owner != province["code"]:
            report.fail(district["code"], f"Mã huyện cũ {district['code']} thuộc hai tỉnh ({owner} và "
                        f"{province['code']}); bỏ qua dòng sau.", source=source, line=line)
            continue
        if not raw_commune and not _cell(row, col["phuong xa"]):
            continue  # a district without communes (Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa, Lý Sơn, Côn Đảo)
        commune = _pre_reform_unit(Level.COMMUNE, raw_commune, _cell(row, col["phuong xa"]),
                                   _cell(row, col["cap"]), report, source, line)
        if commune is None:
            continue
        if commune["code"] in communes:
            report.fail(commune["code"], f"Mã xã cũ {commune['code']} lặp lại trong danh mục trước sắp xếp; "
                        "bỏ qua dòng sau.", source=source, line=line)
            continue
        communes.add(commune["code"])
        yield {"kind": "old_commune", **commune, "district": district["code"], "_line": line, "_source": source}


def _pre_reform_unit(level: str, raw_code: str, name: str, written_type: str, report: ImportReport, source: str,
                     line: int) -> Record | None:
    label = LEVEL_LABELS[level]
    code = normalize_code(raw_code, level)
    if code is None:
        report.fail(raw_code, f"Mã {label} cũ “{raw_code}” không hợp lệ (cần {CODE_WIDTH[level]} chữ số); bỏ qua "
                    "dòng.", source=source, line=line)
        return None
    if not name:
        report.fail(code, f"Đơn vị cấp {label} cũ mã {code} không có tên; bỏ qua dòng.", source=source, line=line)
        return None
    parsed = split_division_name(name, level)
    division_type = written_type.lower() if written_type.lower() in DIVISION_TYPES[level] else None
    if parsed is not None:
        division_type = division_type or parsed[0]
        name = parsed[1]
    if division_type is None:
        report.fail(code, f"Không xác định được loại đơn vị của “{name}” (mã {code}).", source=source, line=line)
        return None
    return {"code": code, "name": name, "type": division_type}


_MAPPING_COLUMNS = ("tinh thanh pho", "ten xa moi", "ma xa moi", "ten xa cu", "ma xa cu", "ghi chu", "quan huyen",
                    "tinh cu")


def read_ward_mapping(path: Path | str, report: ImportReport) -> Iterator[Record]:
    """Successions from the official conversion table (``Tỉnh, thành phố, Tên Xã mới, Mã Xã mới, Tên Xã cũ,
    Mã Xã cũ, Ghi chú, Quận/huyện, Tỉnh cũ``), one row per (new commune, old commune) pair.

    The two header lines and the province separator rows are skipped. "Nhập toàn bộ" (and "Giữ nguyên", "Đổi
    tên"…) is a whole succession, any "một phần" a partial one. A row without an old commune that names an old
    district ("Sắp xếp toàn bộ huyện Bạch Long Vĩ thành đặc khu Bạch Long Vĩ") is a district → commune succession.

    A malformed row is yielded with its reason in ``_problem`` (and the new province it is listed under in
    ``_province``): :func:`import_units` reports it, so that an import limited to some provinces reports only
    theirs. ``report`` is not written to here; it is taken for symmetry with the other readers.
    """
    path = Path(path)
    source = path.name
    rows = _open_csv(path)
    columns = _find_header(rows, ("ma xa moi", "ma xa cu", "ghi chu"), path)
    col = {key: columns.get(key) for key in _MAPPING_COLUMNS}
    for line, row in rows:
        raw_new, raw_old = _cell(row, col["ma xa moi"]), _cell(row, col["ma xa cu"])
        new_name, old_name = _cell(row, col["ten xa moi"]), _cell(row, col["ten xa cu"])
        if not (raw_new or raw_old or new_name or old_name):
            continue  # blank line or a province separator ("THÀNH PHỐ HÀ NỘI", "Tỉnh Bắc Ninh (24)")
        note = _cell(row, col["ghi chu"])
        whole, recognised = _whole_from_note(note)
        record: Record = {"kind": "succession", "level": Level.COMMUNE, "old": raw_old, "new": raw_new,
                          "whole": whole, "note": note[:200], "_line": line, "_source": source,
                          "_new_name": new_name, "_old_name": old_name}
        province_match = _CODE_IN_PARENS.search(_cell(row, col["tinh thanh pho"]))
        if province_match and normalize_code(province_match.group(1), Level.PROVINCE):
            record["_province"] = normalize_code(province_match.group(1), Level.PROVINCE)
        if not recognised:
            record["_unclear_note"] = True
        new = normalize_code(raw_new, Level.COMMUNE)
        if new is None:
            yield {**record, "_problem": (raw_new or raw_old, f"Mã xã mới “{raw_new}” không hợp lệ (cần 5 chữ số); "
                                          f"bỏ qua dòng ({new_name or 'không tên'} ← {old_name or 'không tên'}).")}
            continue
        record["new"] = new
        if raw_old:
            old = normalize_code(raw_old, Level.COMMUNE)
            if old is None:
                yield {**record, "_problem": (raw_old, f"Mã xã cũ “{raw_old}” không hợp lệ (cần 5 chữ số); bỏ qua "
                                              "dòng.")}
                continue
            record["old"] = old
        else:
            district_match = _CODE_IN_PARENS.search(_cell(row, col["quan huyen"]))
            district = normalize_code(district_match.group(1), Level.DISTRICT) if district_match else None
            if old_name or district is None:
                yield {**record, "_problem": (new, f"Dòng không có mã xã cũ (“{old_name or 'trống'}” → "
                                              f"{new_name}); bỏ qua.")}
                continue
            record.update(level=Level.DISTRICT, old=district)
        yield record


def _whole_from_note(note: str) -> tuple[bool, bool]:
    """``(whole, recognised)`` for a mapping note."""
    folded = fold(note)
    if "mot phan" in folded:
        return False, True
    if any(marker in folded for marker in ("toan bo", "giu nguyen", "doi ten", "doi loai hinh")):
        return True, True
    return False, False


def read_gso_dir(directory: Path | str, report: ImportReport) -> UnitData:
    """The three GSO-format files of ``directory`` (see :data:`GSO_FILES`) as :class:`UnitData`."""
    directory = Path(directory)
    if not directory.is_dir():
        raise UnitFileError(f"Không tìm thấy thư mục {directory}.")
    paths: dict[str, Path] = {}
    for role, pattern in GSO_FILES.items():
        matches = sorted(directory.glob(pattern))
        if len(matches) != 1:
            found = ", ".join(p.name for p in matches) or "không có"
            raise UnitFileError(f"Cần đúng một tệp {pattern} trong {directory} (tìm thấy: {found}).")
        paths[role] = matches[0]
    data = UnitData()
    data.extend(read_new_divisions(paths["new"], report))
    data.extend(read_pre_reform_units(paths["old"], report))
    data.extend(read_ward_mapping(paths["mapping"], report))
    return data


# ---------------------------------------------------------------------------------------------------------------
# Neutral records and our fixture format
# ---------------------------------------------------------------------------------------------------------------

@dataclass
class UnitData:
    """Records in our neutral shape (see the module docstring); also the content of a ``tinhso-units/1`` file."""

    provinces: list[Record] = field(default_factory=list)
    communes: list[Record] = field(default_factory=list)
    old_provinces: list[Record] = field(default_factory=list)
    old_districts: list[Record] = field(default_factory=list)
    old_communes: list[Record] = field(default_factory=list)
    successions: list[Record] = field(default_factory=list)

    LISTS: ClassVar[tuple[str, ...]] = ("provinces", "communes", "old_provinces", "old_districts", "old_communes",
                                        "successions")
    KINDS: ClassVar[dict[str, str]] = {
        "province": "provinces", "commune": "communes", "old_province": "old_provinces",
        "old_district": "old_districts", "old_commune": "old_communes", "succession": "successions",
    }

    def extend(self, records: Iterable[Record]) -> None:
        """Sort reader records (with a ``kind`` key) into their lists."""
        for record in records:
            record = dict(record)
            getattr(self, self.KINDS[record.pop("kind")]).append(record)

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in self.LISTS}

    @classmethod
    def from_fixture(cls, content: Any, *, source: str = "") -> UnitData:
        """Records from a parsed ``tinhso-units/1`` object; raises :class:`UnitFileError` for another format."""
        if not isinstance(content, dict) or content.get("format") != FIXTURE_FORMAT:
            raise UnitFileError(f"Tệp {source or 'dữ liệu'} không theo định dạng {FIXTURE_FORMAT}.")
        data = cls()
        for name in cls.LISTS:
            items = content.get(name, [])
            if not isinstance(items, list):
                raise UnitFileError(f"Mục “{name}” của {source or 'dữ liệu'} phải là danh sách.")
            getattr(data, name).extend(dict(item) if isinstance(item, dict) else {"_invalid": item} for item in items)
        return data

    def to_fixture(self, **meta: Any) -> dict[str, Any]:
        """A ``tinhso-units/1`` object (provenance keys dropped); ``meta`` is added as top-level keys."""
        content: dict[str, Any] = {"format": FIXTURE_FORMAT, **meta}
        for name in self.LISTS:
            content[name] = [{k: v for k, v in item.items() if not k.startswith("_")} for item in getattr(self, name)]
        return content


def dump_fixture(content: dict[str, Any]) -> str:
    """Compact, diff-friendly JSON: one record per line inside each list."""
    lines = ["{"]
    scalars = [(k, v) for k, v in content.items() if not isinstance(v, list)]
    lists = [(k, v) for k, v in content.items() if isinstance(v, list)]
    entries: list[str] = [f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in scalars]
    for key, items in lists:
        body = ",\n".join("  " + json.dumps(item, ensure_ascii=False, separators=(",", ":")) for item in items)
        entries.append(f"{json.dumps(key)}: [\n{body}\n]" if items else f"{json.dumps(key)}: []")
    lines.append(",\n".join(entries))
    lines.append("}")
    return "\n".join(lines) + "\n"


def derive_successions(data: UnitData) -> UnitData:
    """``data`` plus the district and province successions implied by the commune successions.

    An old district became (part of) every new commune that received any of its communes, whole when there is only
    one; an old province became (part of) every new province that received any of its communes, whole when there is
    only one. Explicit successions already in ``data`` win over derived ones.
    """
    district_of = {c.get("code"): c.get("district") for c in data.old_communes}
    province_of_district = {d.get("code"): d.get("province") for d in data.old_districts}
    province_of_commune = {c.get("code"): c.get("province") for c in data.communes}
    district_targets: dict[str, set[str]] = defaultdict(set)
    province_targets: dict[str, set[str]] = defaultdict(set)
    explicit: set[tuple[str, str, str]] = set()
    for s in data.successions:
        if s.get("_problem"):
            continue
        level, old, new = s.get("level", Level.COMMUNE), s.get("old"), s.get("new")
        explicit.add((level, old, new))
        district = district_of.get(old) if level == Level.COMMUNE else old if level == Level.DISTRICT else None
        if level in (Level.COMMUNE, Level.DISTRICT) and district and new:
            district_targets[district].add(new)
            new_province = province_of_commune.get(new)
            old_province = province_of_district.get(district)
            if new_province and old_province:
                province_targets[old_province].add(new_province)
    derived = list(data.successions)
    for level, targets in ((Level.DISTRICT, district_targets), (Level.PROVINCE, province_targets)):
        for old in sorted(targets):
            news = targets[old]
            for new in sorted(news):
                if (level, old, new) not in explicit:
                    derived.append({"level": level, "old": old, "new": new, "whole": len(news) == 1,
                                    "note": DERIVED_NOTE})
    return UnitData(data.provinces, data.communes, data.old_provinces, data.old_districts, data.old_communes, derived)


def restrict_to_provinces(data: UnitData, provinces: Iterable[str]) -> UnitData:
    """Only the given new provinces, their communes, the old provinces that feed them (with all their districts and
    communes), and the successions towards them. Rows whose scope cannot be told (unknown codes) are kept, so that
    the import reports them."""
    wanted = {normalize_code(p, Level.PROVINCE) or str(p) for p in provinces}
    province_of_commune = {c.get("code"): c.get("province") for c in data.communes}
    district_of = {c.get("code"): c.get("district") for c in data.old_communes}
    province_of_district = {d.get("code"): d.get("province") for d in data.old_districts}

    def new_in_scope(s: Record) -> bool | None:
        level, new = s.get("level", Level.COMMUNE), s.get("new")
        if level == Level.PROVINCE:
            return new in wanted
        province = province_of_commune.get(new) or s.get("_province")
        return None if province is None else province in wanted

    def old_province(s: Record) -> str | None:
        level, old = s.get("level", Level.COMMUNE), s.get("old")
        if level == Level.PROVINCE:
            return old
        return province_of_district.get(district_of.get(old) if level == Level.COMMUNE else old)

    feeding = {old_province(s) for s in data.successions if new_in_scope(s)} - {None}
    kept_districts = {d.get("code") for d in data.old_districts if d.get("province") in feeding}
    successions = [
        s for s in data.successions
        if new_in_scope(s) or (new_in_scope(s) is None and (old_province(s) is None or old_province(s) in feeding))
    ]
    return UnitData(
        provinces=[p for p in data.provinces if p.get("code") in wanted],
        communes=[c for c in data.communes if c.get("province") in wanted],
        old_provinces=[p for p in data.old_provinces if p.get("code") in feeding],
        old_districts=[d for d in data.old_districts if d.get("code") in kept_districts],
        old_communes=[c for c in data.old_communes if c.get("district") in kept_districts],
        successions=successions,
    )


# ---------------------------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------------------------

@dataclass
class _UnitRow:
    level: str
    code: str
    name: str
    division_type: str
    parent_id: int | None
    current: bool  # True: in force since the reform; False: ended by it


UnitKey = tuple[str, str, bool]  # (level, code, current)


def _valid_record(record: Record, level: str, *, current: bool, parent_key: str | None, report: ImportReport,
                  source: str) -> tuple[str, str, str] | None:
    """``(code, name, type)`` of a neutral record, or None after reporting why it is unusable."""
    label = LEVEL_LABELS[level] + ("" if current else " cũ")
    line = record.get("_line")
    raw_code = record.get("code")
    code = normalize_code(raw_code, level)
    if code is None:
        report.fail(str(raw_code or ""), f"Mã {label} “{raw_code or ''}” không hợp lệ (cần {CODE_WIDTH[level]} chữ "
                    "số).", source=source, line=line)
        return None
    name = clean_text(record.get("name"))
    if not name:
        report.fail(code, f"Đơn vị cấp {label} mã {code} không có tên.", source=source, line=line)
        return None
    division_type = clean_text(record.get("type")).lower()
    if division_type not in DIVISION_TYPES[level]:
        report.fail(code, f"Loại đơn vị “{record.get('type') or ''}” của {name} (mã {code}) không hợp lệ ở cấp "
                    f"{LEVEL_LABELS[level]}.", source=source, line=line)
        return None
    if parent_key is not None and not record.get(parent_key):
        report.fail(code, f"{name} (mã {code}) thiếu mã đơn vị cấp trên.", source=source, line=line)
        return None
    return code, name, division_type


class _Writer:
    """Bulk create/update of units and successions, reusing what an earlier import wrote."""

    def __init__(self, report: ImportReport):
        self.report = report
        self.existing: dict[UnitKey, AdministrativeUnit] = {}
        self.ids: dict[UnitKey, int] = {}
        self.names: dict[UnitKey, str] = {}
        self._load()

    def _load(self) -> None:
        units = AdministrativeUnit.objects.filter(Q(valid_to__isnull=True) | Q(valid_to=REFORM_DATE_2025)).only(
            "id", "level", "code", "name", "name_folded", "division_type", "parent_id", "valid_from", "valid_to"
        )
        for unit in units:
            key = (unit.level, unit.code, unit.valid_to is None)
            self.existing[key] = unit
            self.ids[key] = unit.pk
            self.names[key] = unit.name

    def units(self, rows: list[_UnitRow]) -> None:
        to_create: list[AdministrativeUnit] = []
        to_update: list[AdministrativeUnit] = []
        unchanged = 0
        for row in rows:
            key = (row.level, row.code, row.current)
            values = {"name": row.name, "name_folded": fold(row.name), "division_type": row.division_type,
                      "parent_id": row.parent_id}
            if row.current:
                values["valid_from"] = REFORM_DATE_2025
            unit = self.existing.get(key)
            if unit is None:
                to_create.append(AdministrativeUnit(
                    level=row.level, code=row.code, valid_to=None if row.current else REFORM_DATE_2025, **values
                ))
                continue
            changed = [name for name, value in values.items() if getattr(unit, name) != value]
            if changed:
                for name in changed:
                    setattr(unit, name, values[name])
                to_update.append(unit)
            else:
                unchanged += 1
        AdministrativeUnit.objects.bulk_create(to_create, batch_size=_BATCH)
        AdministrativeUnit.objects.bulk_update(
            to_update, ["name", "name_folded", "division_type", "parent_id", "valid_from"], batch_size=_BATCH
        )
        self.report.count("units", "created", len(to_create))
        self.report.count("units", "updated", len(to_update))
        self.report.count("units", "unchanged", unchanged)
        self._refresh({row.level for row in rows})

    def _refresh(self, levels: set[str]) -> None:
        """Reload ids (bulk_create does not return them on every database) and names of ``levels``."""
        units = AdministrativeUnit.objects.filter(
            Q(valid_to__isnull=True) | Q(valid_to=REFORM_DATE_2025), level__in=levels
        )
        for unit in units:
            key = (unit.level, unit.code, unit.valid_to is None)
            self.existing[key] = unit
            self.ids[key] = unit.pk
            self.names[key] = unit.name

    def successions(self, pairs: dict[tuple[int, int], tuple[bool, str]]) -> None:
        existing = {(s.predecessor_id, s.successor_id): s for s in UnitSuccession.objects.all()}
        to_create: list[UnitSuccession] = []
        to_update: list[UnitSuccession] = []
        unchanged = 0
        for (old_id, new_id), (whole, note) in pairs.items():
            succession = existing.get((old_id, new_id))
            if succession is None:
                to_create.append(UnitSuccession(predecessor_id=old_id, successor_id=new_id, whole=whole, note=note,
                                                effective_date=REFORM_DATE_2025))
            elif (succession.whole, succession.note, succession.effective_date) != (whole, note, REFORM_DATE_2025):
                succession.whole, succession.note, succession.effective_date = whole, note, REFORM_DATE_2025
                to_update.append(succession)
            else:
                unchanged += 1
        UnitSuccession.objects.bulk_create(to_create, batch_size=_BATCH)
        UnitSuccession.objects.bulk_update(to_update, ["whole", "note", "effective_date"], batch_size=_BATCH)
        self.report.count("successions", "created", len(to_create))
        self.report.count("successions", "updated", len(to_update))
        self.report.count("successions", "unchanged", unchanged)


def _unit_rows(records: list[Record], level: str, *, current: bool, parent_key: str | None,
               parent_level: str | None, writer: _Writer, report: ImportReport, source: str) -> list[_UnitRow]:
    """Validated rows of one list, with parents resolved; duplicates and orphans reported."""
    rows: dict[str, _UnitRow] = {}
    label = LEVEL_LABELS[level] + ("" if current else " cũ")
    for record in records:
        where = record.get("_source") or source
        valid = _valid_record(record, level, current=current, parent_key=parent_key, report=report, source=where)
        if valid is None:
            continue
        code, name, division_type = valid
        line = record.get("_line")
        if code in rows:
            report.fail(code, f"Mã {label} {code} lặp lại ({rows[code].name} và {name}); bỏ qua bản ghi sau.",
                        source=where, line=line)
            continue
        parent_id = None
        if parent_key is not None and parent_level is not None:
            parent_code = normalize_code(record.get(parent_key), parent_level) or str(record.get(parent_key))
            parent_id = writer.ids.get((parent_level, parent_code, current))
            if parent_id is None:
                parent_label = LEVEL_LABELS[parent_level] + ("" if current else " cũ")
                report.fail(code, f"Mã {parent_label} {parent_code} của {name} (mã {code}) không có trong danh mục "
                            f"{'sau' if current else 'trước'} sắp xếp; bỏ qua.", source=where, line=line)
                continue
        rows[code] = _UnitRow(level, code, name, division_type, parent_id, current)
    return list(rows.values())


def _succession_pairs(data: UnitData, writer: _Writer, report: ImportReport,
                      source: str) -> dict[tuple[int, int], tuple[bool, str]]:
    """Successions resolved to ``(predecessor id, successor id)``; rows naming unknown codes reported, skipped."""
    pairs: dict[tuple[int, int], tuple[bool, str]] = {}
    first_line: dict[tuple[int, int], Any] = {}
    whole_targets: dict[str, list[str]] = defaultdict(list)
    mapping_source = source
    for s in data.successions:
        line, where = s.get("_line"), s.get("_source") or source
        mapping_source = where
        if s.get("_problem"):
            code, reason = s["_problem"]
            report.fail(str(code or ""), reason, source=where, line=line)
            continue
        if s.get("_unclear_note"):
            report.warn(str(s.get("old") or ""), f"Ghi chú “{s.get('note')}” không rõ nhập toàn bộ hay một phần; "
                        "coi là một phần.", source=where, line=line)
        level = s.get("level", Level.COMMUNE)
        if level not in CODE_WIDTH:
            report.fail(str(s.get("old") or ""), f"Cấp “{level}” của dòng sắp xếp không hợp lệ.", source=where,
                        line=line)
            continue
        new_level = Level.PROVINCE if level == Level.PROVINCE else Level.COMMUNE
        old = normalize_code(s.get("old"), level) or str(s.get("old") or "")
        new = normalize_code(s.get("new"), new_level) or str(s.get("new") or "")
        old_id = writer.ids.get((level, old, False))
        new_id = writer.ids.get((new_level, new, True))
        if old_id is None:
            report.fail(old, f"Mã {LEVEL_LABELS[level]} cũ {old} không có trong danh mục trước sắp xếp"
                        f"{_row_hint(s)}; bỏ qua dòng.", source=where, line=line)
            continue
        if new_id is None:
            report.fail(new, f"Mã {LEVEL_LABELS[new_level]} mới {new} không có trong danh mục sau sắp xếp"
                        f"{_row_hint(s)}; bỏ qua dòng.", source=where, line=line)
            continue
        whole = s.get("whole")
        if not isinstance(whole, bool):
            report.fail(old, f"Dòng sắp xếp {old} → {new} thiếu thông tin nhập toàn bộ hay một phần.",
                        source=where, line=line)
            continue
        if (old_id, new_id) in pairs:
            report.warn(old, f"Cặp {old} → {new} lặp lại (dòng {first_line[(old_id, new_id)]}); giữ dòng đầu.",
                        source=where, line=line)
            continue
        pairs[(old_id, new_id)] = (whole, clean_text(s.get("note"))[:200])
        first_line[(old_id, new_id)] = line
        if whole and level == Level.COMMUNE:
            whole_targets[old].append(new)
        _check_names(s, level, old, new, writer, report, where)
    for old_code, targets in whole_targets.items():
        if len(targets) > 1:
            report.warn(old_code, f"Xã cũ {old_code} được ghi “nhập toàn bộ” vào {len(targets)} xã mới "
                        f"({', '.join(sorted(targets))}); giữ nguyên như bảng chuyển đổi.", source=mapping_source)
    return pairs


def _row_hint(s: Record) -> str:
    names = [n for n in (s.get("_old_name"), s.get("_new_name")) if n]
    return f" ({' → '.join(names)})" if names else ""


def _check_names(s: Record, level: str, old: str, new: str, writer: _Writer, report: ImportReport,
                 source: str) -> None:
    """Warn when the mapping row names a unit differently from the catalogue (beyond accents and spelling marks)."""
    checks = ((s.get("_old_name"), (level, old, False), "cũ"), (s.get("_new_name"), (Level.COMMUNE, new, True), "mới"))
    for written, key, label in checks:
        known = writer.names.get(key)
        if written and known and _name_key(written) != _name_key(known):
            report.warn(key[1], f"Bảng chuyển đổi ghi mã {key[1]} là “{written}”, danh mục {label} ghi “{known}”.",
                        source=source, line=s.get("_line"))


def _warn_unmapped(data: UnitData, pairs: dict[tuple[int, int], tuple[bool, str]], writer: _Writer,
                   report: ImportReport, source: str) -> None:
    """Old communes of this import that no succession leads anywhere: their addresses cannot be resolved."""
    if not data.successions:
        return
    with_successor = {old_id for old_id, _ in pairs}
    for record in data.old_communes:
        code = normalize_code(record.get("code"), Level.COMMUNE)
        unit_id = writer.ids.get((Level.COMMUNE, code or "", False))
        if unit_id is not None and unit_id not in with_successor:
            report.warn(code or "", f"Xã cũ {code} ({clean_text(record.get('name'))}) không có trong bảng chuyển "
                        "đổi: không tìm được đơn vị hiện nay.", source=record.get("_source") or source,
                        line=record.get("_line"))


def import_units(data: UnitData, *, provinces: Iterable[str] | None = None, report: ImportReport | None = None,
                 source: str = "") -> ImportReport:
    """Create or update the units and successions of ``data``; the same data twice changes nothing the second time.

    ``provinces`` limits the import to those new-province codes and the old provinces that feed them. Current units
    are matched on (level, code) among units in force, past ones on (level, code) among units ended by the reform.
    Rows naming an unknown unit are reported and skipped; the others are imported. One transaction, one audit
    record ``units.imported`` (actor: the system).
    """
    started = time.perf_counter()
    report = report if report is not None else ImportReport()
    data = derive_successions(data)
    scope = sorted({normalize_code(p, Level.PROVINCE) or str(p) for p in provinces or ()})
    if scope:
        known = {normalize_code(p.get("code"), Level.PROVINCE) for p in data.provinces}
        for code in scope:
            if code not in known:
                report.fail(code, f"Mã tỉnh mới {code} không có trong dữ liệu nhập; không có gì để nhập cho tỉnh này.",
                            source=source)
        data = restrict_to_provinces(data, scope)
    with transaction.atomic():
        writer = _Writer(report)
        specs: list[tuple[str, str, bool, str | None, str | None]] = [
            ("provinces", Level.PROVINCE, True, None, None),
            ("old_provinces", Level.PROVINCE, False, None, None),
            ("old_districts", Level.DISTRICT, False, "province", Level.PROVINCE),
            ("communes", Level.COMMUNE, True, "province", Level.PROVINCE),
            ("old_communes", Level.COMMUNE, False, "district", Level.DISTRICT),
        ]
        for list_name, level, current, parent_key, parent_level in specs:
            rows = _unit_rows(getattr(data, list_name), level, current=current, parent_key=parent_key,
                              parent_level=parent_level, writer=writer, report=report, source=source)
            writer.units(rows)
        pairs = _succession_pairs(data, writer, report, source)
        writer.successions(pairs)
        _warn_unmapped(data, pairs, writer, report, source)
        report.seconds = time.perf_counter() - started
        scope_text = f" (tỉnh {', '.join(scope)})" if scope else ""
        if report.created or report.updated or report.failed:  # a run that changed nothing leaves no record
            services.record(
                "units.imported",
                summary=f"Nhập đơn vị hành chính từ {source or 'dữ liệu'}{scope_text}: {report.created} mới, "
                        f"{report.updated} cập nhật, {report.unchanged} không đổi, {report.failed} lỗi.",
                data={**report.counts(), "source": source, "provinces": scope or None},
            )
    return report


def import_gso_dir(directory: Path | str, *, provinces: Iterable[str] | None = None) -> ImportReport:
    """Read the three GSO-format files of ``directory`` and import them (see :func:`import_units`)."""
    report = ImportReport()
    data = read_gso_dir(directory, report)
    return import_units(data, provinces=list(provinces) if provinces else None, report=report,
                        source=str(Path(directory).name))


def load_fixture(path: Path | str, *, provinces: Iterable[str] | None = None) -> ImportReport:
    """Import a ``tinhso-units/1`` fixture (e.g. ``core/fixtures/units-lang-son.json``) with :func:`import_units`."""
    path = Path(path)
    try:
        content = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UnitFileError(f"Không đọc được tệp {path}: {exc}") from exc
    data = UnitData.from_fixture(content, source=path.name)
    return import_units(data, provinces=list(provinces) if provinces else None, source=path.name)


#: The demo fixture shipped with the package.
DEMO_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "units-lang-son.json"

__all__ = [
    "DEMO_FIXTURE", "FIXTURE_FORMAT", "ImportIssue", "ImportReport", "UnitData", "UnitFileError", "derive_successions",
    "dump_fixture", "import_gso_dir", "import_units", "load_fixture", "read_gso_dir", "read_new_divisions",
    "read_pre_reform_units", "read_ward_mapping", "restrict_to_provinces",
]
