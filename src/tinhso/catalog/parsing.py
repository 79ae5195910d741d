"""Parser for the national catalogue of administrative procedures (thủ tục hành chính, TTHC).

The input is the crawl of dichvucong.gov.vn described in
``shared/data/tthc-catalogue/PROVENANCE.md``: one JSON object per line with the fields
``ma_thu_tuc``, ``ten_thu_tuc``, ``cap_thuc_hien``, ``cach_thuc_thuc_hien``, ``thanh_phan_ho_so``,
``can_cu_phap_ly``, ``ket_qua_xu_ly``, ... and ``raw_text`` (the whole page as text).

The crawler flattened the HTML tables of the portal, so table cells run together without any
separator.  This module rebuilds the structure.  It is pure Python (no Django) so that it can
be tested on its own and reused by importers.

Format notes (all observed in the 1,763 records of the reference file)
-----------------------------------------------------------------------

``raw_text`` versus the crawler's fields
    The crawler cut ``raw_text`` at the *first* occurrence of each section label.  When a label
    also occurs inside the text ("... theo quy định tại mục 3.3 (Thành phần hồ sơ); ...") the
    fields are shifted or truncated.  :func:`split_raw_text` cuts ``raw_text`` again using
    anchors that do not occur in the content (the title-cased labels "Trình Tự Thực Hiện",
    "Cách Thức Thực Hiện" and the table headers), and :func:`parse_record` prefers that split
    for the long sections, recording a ``field_resplit`` warning when it differs from the
    crawler's value.  The page chrome after the last section ("Chọn cơ quan thực hiện...") is
    removed.

``cach_thuc_thuc_hien`` (submission channels)
    ``Hình thức nộp | Thời gian | Phí, lệ phí | Mô tả`` header, then one row per channel::

        <channel><time><fee>[(<fee note>)][<more fees>]<description>

    * channel: ``Trực tiếp`` / ``Trực tuyến`` / ``Dịch vụ bưu chính``.  The same words also occur
      inside descriptions ("nộp hồ sơ Trực tiếp tại ..."), so a channel only starts where a
      time cell *and* a fee cell follow.
    * time: ``7 Ngày làm việc``, ``30 Ngày``, ``1 Giờ``, ``3 Tháng``, ``0.5 Ngày làm việc``,
      a bare number without unit (``1``), ``Không có thông tin``, or free text
      (``Không quy định``, ``Không phải trả kết quả cho người nộp thuế``).
    * fee: ``Miễn phí``, ``Không có thông tin`` or ``<amount> <currency>`` where the amount uses
      ``,`` or ``.`` as thousands separator and the currency is ``VNĐ``, ``Việt Nam Đồng``,
      ``đồng`` or ``USD``.  The portal prints the fee note in parentheses right after the fee;
      notes may contain other amounts and dates, which are *not* the fee.
    * when the time cell is a bare number and the fee is an amount, the two digit runs are
      glued: ``Trực tuyến120,000 VNĐ(...lệ phí 20.000 đồng/tờ khai...)`` is time ``1`` and fee
      ``20,000``.  They are split so that the fee is a well-formed amount with the shortest
      possible time (a ``time_fee_glued`` warning records it).
    * some amounts are evidently entered in thousands (``20 VNĐ`` with the note
      "20.000 đồng/tờ khai"); when the note confirms it the amount is scaled (warning
      ``fee_amount_scaled``), otherwise an amount under 1,000 VND is kept but flagged
      (``fee_amount_suspicious``).

``thanh_phan_ho_so`` (dossier components)
    Groups of ``<group title>Tên giấy tờMẫu đơn, tờ khaiSố lượng<items>``; ``--`` means no title.
    Each item is ``<name>[<template file>...]<count>`` where the count is ``1 bản chính``,
    ``0 bản chính,1 bản sao`` or ``1 bản sao`` and template files end in ``.docx``/``.doc``/
    ``.pdf``...  A name that ends with a year glues to the count (``năm 20201 bản chính``);
    such counts are split and flagged.

``can_cu_phap_ly`` (legal basis)
    ``Tên văn bản pháp lýMã văn bản`` header, then ``<title><number>`` pairs, e.g.
    ``Luật 54/2014/QH1354/2014/QH13``.  The number cell sometimes repeats a prefix
    (``Luật số 32/2024/QH15``).  See :func:`parse_legal_basis`.

``ket_qua_xu_ly`` (results)
    ``<name>Mã: <code>`` repeated, then ``Từ khóa<keywords>Mô tả<description>``.

Everything that cannot be parsed is reported as a :class:`Problem`; nothing is dropped
silently.  ``Không có thông tin`` ("no information") is treated as an empty value.
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

CHANNEL_DIRECT, CHANNEL_ONLINE, CHANNEL_POSTAL = "direct", "online", "postal"

UNIT_WORKING_DAY, UNIT_WORKING_HOUR, UNIT_DAY, UNIT_HOUR, UNIT_MONTH = (
    "working_day",
    "working_hour",
    "day",
    "hour",
    "month",
)
UNIT_WEEK, UNIT_YEAR, UNIT_MINUTE = "week", "year", "minute"

LEVEL_MINISTRY, LEVEL_PROVINCE, LEVEL_COMMUNE = "ministry", "province", "commune"
#: "Cấp huyện" no longer exists since July 2025 but older records may still carry it.
LEVEL_DISTRICT = "district"
#: "Cơ quan khác": an agency outside the three administrative levels.
LEVEL_OTHER = "other"

SEVERITY_ERROR, SEVERITY_WARNING = "error", "warning"

NO_INFO = "Không có thông tin"

CHANNEL_NAMES: dict[str, str] = {
    "Trực tiếp": CHANNEL_DIRECT,
    "Trực tuyến": CHANNEL_ONLINE,
    "Dịch vụ bưu chính": CHANNEL_POSTAL,
}
CHANNEL_LABELS: dict[str, str] = {kind: name for name, kind in CHANNEL_NAMES.items()}

LEVEL_NAMES: dict[str, str] = {
    "cấp bộ": LEVEL_MINISTRY,
    "cấp tỉnh": LEVEL_PROVINCE,
    "cấp huyện": LEVEL_DISTRICT,
    "cấp xã": LEVEL_COMMUNE,
    "cơ quan khác": LEVEL_OTHER,
}

#: Longest first, so that "Ngày làm việc" wins over "Ngày".
TIME_UNITS: dict[str, str] = {
    "ngày làm việc": UNIT_WORKING_DAY,
    "giờ làm việc": UNIT_WORKING_HOUR,
    "ngày": UNIT_DAY,
    "giờ": UNIT_HOUR,
    "tháng": UNIT_MONTH,
    "tuần": UNIT_WEEK,
    "năm": UNIT_YEAR,
    "phút": UNIT_MINUTE,
}

CODE_RE = re.compile(r"^\d\.\d{6}$")


# --------------------------------------------------------------------------------------------
# Data classes
# --------------------------------------------------------------------------------------------


@dataclass
class Problem:
    """Something that could not be parsed, or that looks wrong in the source.

    ``severity`` is ``"error"`` when the record cannot be used as it is, ``"warning"`` when a
    field is missing or uncertain but the record is still usable.  ``message`` is Vietnamese.
    """

    field: str
    code: str
    message: str
    severity: str


@dataclass
class Fee:
    """One fee line of a channel.

    ``amount`` is in VND (``None`` when the fee is only text or in a foreign currency);
    ``original_amount`` is the amount as written, in ``currency``.
    """

    amount: int | None
    text: str
    currency: str = "VND"
    original_amount: Decimal | None = None


@dataclass
class Channel:
    """One submission channel (row of the "Cách thức thực hiện" table)."""

    kind: str
    time_value: Decimal | None
    time_unit: str | None
    time_text: str
    fees: list[Fee]
    free: bool
    description: str
    #: Note printed after "Miễn phí" / "Không có thông tin" in the fee cell (fees without amount).
    fee_note: str = ""
    #: True when the unit was not printed but inferred from the description.
    time_unit_inferred: bool = False


@dataclass
class Component:
    """One document of the dossier."""

    group: str
    name: str
    template: str
    originals: int
    copies: int
    templates: list[str] = field(default_factory=list)


@dataclass
class LegalBasis:
    """A legal document: ``title`` as printed, ``number`` its number ("54/2014/QH13")."""

    title: str
    number: str


@dataclass
class Result:
    """A result document; ``code`` like "KQ.G12.000327" or ""."""

    name: str
    code: str


@dataclass
class ParsedProcedure:
    """A catalogue record parsed into typed fields, with the problems met on the way."""

    code: str
    name: str
    decision_number: str
    levels: list[str]
    kind: str
    field: str
    subjects: str
    competent_agency: str
    implementing_agency: str
    coordinating_agency: str
    receiving_address: str
    channels: list[Channel]
    components: list[Component]
    legal_basis: list[LegalBasis]
    conditions: str
    results: list[Result]
    steps: list[str]
    source_url: str
    problems: list[Problem] = field(default_factory=list)
    authorized_agency: str = ""
    related_procedures: str = ""
    result_keywords: str = ""
    result_description: str = ""

    @property
    def ok(self) -> bool:
        """True when no problem has severity ``error``."""
        return not any(p.severity == SEVERITY_ERROR for p in self.problems)

    def time_parsed(self) -> bool:
        """True when the processing time of every channel is known.

        Precisely: the procedure has at least one channel, and every channel has a
        ``time_value`` that is not negative and a ``time_unit``.  A unit inferred from the
        channel's own description (see :func:`parse_channels`) counts; a bare number whose unit
        could not be inferred, "Không có thông tin" and free text do not.
        """
        return bool(self.channels) and all(
            c.time_value is not None and c.time_value >= 0 and c.time_unit is not None for c in self.channels
        )

    def fees_parsed(self) -> bool:
        """True when every channel (at least one) is free or has at least one fee amount.

        An amount in a foreign currency (``original_amount`` with ``currency`` "USD") counts.
        """
        return bool(self.channels) and all(
            c.free or any(f.amount is not None or f.original_amount is not None for f in c.fees) for c in self.channels
        )


# --------------------------------------------------------------------------------------------
# Small text helpers
# --------------------------------------------------------------------------------------------

_SPACES_RE = re.compile(r"[ \t\u00a0\u200b\ufeff]+")
_ANY_SPACE_RE = re.compile(r"\s+")


def clean_inline(text: str) -> str:
    """Collapse all whitespace (newlines included) to single spaces and strip."""
    return _ANY_SPACE_RE.sub(" ", text.replace("\u00a0", " ")).strip()


def clean_block(text: str) -> str:
    """Collapse spaces inside lines, strip lines and drop empty ones; keep line breaks."""
    lines = (_SPACES_RE.sub(" ", line).strip() for line in text.replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def _value(text: str) -> str:
    """Cleaned single-line value; "" for "Không có thông tin"."""
    text = clean_inline(text)
    return "" if text == NO_INFO else text


def _block_value(text: str) -> str:
    """Cleaned multi-line value; "" for "Không có thông tin"."""
    text = clean_block(text)
    return "" if clean_inline(text) == NO_INFO else text


def _problem(field_name: str, code: str, message: str, severity: str = SEVERITY_WARNING) -> Problem:
    return Problem(field=field_name, code=code, message=message, severity=severity)


def _short(text: str, limit: int = 60) -> str:
    text = clean_inline(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------------------------
# raw_text re-split
# --------------------------------------------------------------------------------------------

_LABEL_STEPS = "Trình Tự Thực Hiện"
_LABEL_CHANNELS = "Cách Thức Thực Hiện"
_LABEL_COMPONENTS = "Thành phần hồ sơ"
_LABEL_LEGAL = "Căn cứ pháp lý"
_LABEL_AGENCY = "Cơ quan thực hiện"
_LABEL_CONDITIONS = "Yêu cầu, điều kiện thực hiện"
_LABEL_RESULTS = "Kết quả xử lý"
_LEGAL_ANCHOR_RE = re.compile(re.escape(_LABEL_LEGAL) + r"(?=Tên văn bản pháp lýMã văn bản|" + re.escape(NO_INFO) + ")")
_CHROME_MARKER = "Chọn cơ quan thực hiện"

#: Sections that :func:`split_raw_text` re-derives, in page order.
RESPLIT_FIELDS = (
    "trinh_tu_thuc_hien",
    "cach_thuc_thuc_hien",
    "thanh_phan_ho_so",
    "can_cu_phap_ly",
    "co_quan_thuc_hien",
    "yeu_cau_dieu_kien",
    "ket_qua_xu_ly",
)


def split_raw_text(raw_text: str) -> dict[str, str] | None:
    """Cut the page text into its long sections, robustly; ``None`` if the layout is unknown.

    Anchors: the title-cased labels "Trình Tự Thực Hiện" and "Cách Thức Thực Hiện" occur once
    per page; "Thành phần hồ sơ" is the first occurrence after the channel table (which never
    contains it); "Căn cứ pháp lý" is the last occurrence followed by its table header or by
    "Không có thông tin"; the following labels are searched forward from there.  When the page
    has no "Kết quả xử lý" section the conditions end at "Từ khóa".
    """
    if raw_text.count(_LABEL_STEPS) != 1 or raw_text.count(_LABEL_CHANNELS) != 1:
        return None
    steps_at = raw_text.index(_LABEL_STEPS)
    channels_at = raw_text.index(_LABEL_CHANNELS)
    components_at = raw_text.find(_LABEL_COMPONENTS, channels_at)
    if not steps_at < channels_at < components_at:
        return None
    legal_matches = list(_LEGAL_ANCHOR_RE.finditer(raw_text, components_at))
    if not legal_matches:
        return None
    legal_at = legal_matches[-1].start()
    agency_at = raw_text.find(_LABEL_AGENCY, legal_at)
    conditions_at = raw_text.find(_LABEL_CONDITIONS, agency_at)
    if agency_at < 0 or conditions_at < 0:
        return None
    results_at = raw_text.find(_LABEL_RESULTS, conditions_at)
    if results_at >= 0:
        conditions = raw_text[conditions_at + len(_LABEL_CONDITIONS) : results_at]
        results = raw_text[results_at + len(_LABEL_RESULTS) :]
    else:
        keywords_at = raw_text.find("Từ khóa", conditions_at)
        end = keywords_at if keywords_at >= 0 else len(raw_text)
        conditions = raw_text[conditions_at + len(_LABEL_CONDITIONS) : end]
        results = raw_text[end:]
    return {
        "trinh_tu_thuc_hien": raw_text[steps_at + len(_LABEL_STEPS) : channels_at],
        "cach_thuc_thuc_hien": raw_text[channels_at + len(_LABEL_CHANNELS) : components_at],
        "thanh_phan_ho_so": raw_text[components_at + len(_LABEL_COMPONENTS) : legal_at],
        "can_cu_phap_ly": raw_text[legal_at + len(_LABEL_LEGAL) : agency_at],
        "co_quan_thuc_hien": raw_text[agency_at + len(_LABEL_AGENCY) : conditions_at],
        "yeu_cau_dieu_kien": conditions,
        "ket_qua_xu_ly": results,
    }


def _strip_chrome(text: str) -> str:
    at = text.find(_CHROME_MARKER)
    return text if at < 0 else text[:at]


# --------------------------------------------------------------------------------------------
# Levels
# --------------------------------------------------------------------------------------------


def parse_levels(text: str) -> tuple[list[str], list[Problem]]:
    """Parse "Cấp bộ, Cấp tỉnh, Cấp xã" into ``[LEVEL_MINISTRY, ...]`` (order kept, no repeats)."""
    levels: list[str] = []
    problems: list[Problem] = []
    for part in _value(text).split(","):
        part = part.strip()
        if not part:
            continue
        level = LEVEL_NAMES.get(part.lower())
        if level is None:
            problems.append(_problem("cap_thuc_hien", "level_unknown", f"Cấp thực hiện không xác định: «{part}»"))
        elif level not in levels:
            levels.append(level)
    if not levels and not problems:
        problems.append(_problem("cap_thuc_hien", "level_missing", "Không có cấp thực hiện"))
    return levels, problems


# --------------------------------------------------------------------------------------------
# Amounts and times
# --------------------------------------------------------------------------------------------

_CURRENCIES: dict[str, str] = {
    "việt nam đồng": "VND",
    "vnđ": "VND",
    "vnd": "VND",
    "đồng": "VND",
    "usd": "USD",
}
_CURRENCY_ALT = "|".join(re.escape(c) for c in sorted(_CURRENCIES, key=len, reverse=True))
#: Cells are glued, so the currency may be followed directly by the next cell ("VNĐTrực tiếp").
_AMOUNT_RE = re.compile(rf"(?P<amount>\d[\d.,]*)\s*(?P<currency>{_CURRENCY_ALT})", re.I)
_GROUPED_RE = re.compile(r"^[1-9]\d{0,2}(?:(?P<sep>[.,])\d{3}(?:(?P=sep)\d{3})*)?$")
_PLAIN_RE = re.compile(r"^(?:0|[1-9]\d*)$")


def parse_amount(text: str) -> int | None:
    """Parse a VND amount: "10,000,000" and "10.000.000" both give 10000000.

    Only well-formed numbers are accepted: digits without separator, or groups of three
    separated consistently by "," or ".".  Anything else ("10.000.0000") gives ``None``.
    """
    text = text.strip()
    if _PLAIN_RE.match(text):
        return int(text)
    match = _GROUPED_RE.match(text)
    if match:
        return int(re.sub(r"[.,]", "", text))
    return None


def _parse_decimal(text: str) -> Decimal | None:
    """Parse "0.5", "0,5" or "7" as a Decimal."""
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None


_TIME_RE = re.compile(
    r"(?P<number>-?\d+(?:[.,]\d+)?)\s*(?P<unit>" + "|".join(re.escape(u) for u in TIME_UNITS) + r")?(?!\w)",
    re.I,
)


def parse_time(text: str) -> tuple[Decimal | None, str | None]:
    """Parse a time cell: "7 Ngày làm việc" → (7, UNIT_WORKING_DAY); "1" → (1, None).

    Returns ``(None, None)`` for "Không có thông tin", empty or free text.
    """
    text = clean_inline(text)
    match = _TIME_RE.fullmatch(text)
    if not match:
        return None, None
    unit = match.group("unit")
    return _parse_decimal(match.group("number")), TIME_UNITS[unit.lower()] if unit else None


# --------------------------------------------------------------------------------------------
# Channels
# --------------------------------------------------------------------------------------------

_CHANNELS_HEADER = "Hình thức nộpThời gianPhí, lệ phíMô tả"
_CHANNEL_RE = re.compile("|".join(re.escape(name) for name in CHANNEL_NAMES))
_FEE_FREE = "Miễn phí"
_FEE_MARKER_RE = re.compile(rf"{re.escape(_FEE_FREE)}|{re.escape(NO_INFO)}|\d[\d.,]*\s*(?:{_CURRENCY_ALT})", re.I)
_TIME_WITH_UNIT_RE = re.compile(r"-?\d+(?:[.,]\d+)?\s*(?:" + "|".join(re.escape(u) for u in TIME_UNITS) + r")", re.I)
_BARE_NUMBER_RE = re.compile(r"-?\d+(?:[.,]\d+)?")
_FREE_TIME_MAX = 300
#: Time expressions inside a description, used to infer the unit of a bare number.
_DESCRIPTION_TIME_RE = re.compile(
    r"(?<![\d.,])(?P<number>\d+(?:[.,]\d+)?)\s*(?:\([^)]{1,30}\)\s*)?(?P<unit>"
    + "|".join(re.escape(u) for u in TIME_UNITS)
    + r")(?!\w)",
    re.I,
)


@dataclass
class _ChannelHead:
    """Where a channel row starts: its time cell and the first fee cell."""

    kind: str
    start: int  # index of the channel name
    fee_start: int  # index of the first fee cell
    time_text: str
    glued_time: str | None = None  # time split off a glued "<time><amount>" digit run


def _split_glued(digits: str) -> tuple[str, str] | None:
    """Split "120,000" (bare time glued to an amount) into ("1", "20,000").

    The time is the shortest leading digit run that leaves a well-formed amount.
    """
    for cut in range(1, len(digits)):
        time_part, amount_part = digits[:cut], digits[cut:]
        if not time_part.isdigit():
            return None
        if amount_part[0] != "0" and parse_amount(amount_part) is not None:
            return time_part, amount_part
    return None


def _match_head(text: str, name_end: int, kind: str, start: int) -> _ChannelHead | None:
    """Recognise "<time><fee>" right after a channel name, or return None."""
    rest = text[name_end:]
    if rest.startswith(NO_INFO) and _FEE_MARKER_RE.match(rest, len(NO_INFO)):
        return _ChannelHead(kind, start, name_end + len(NO_INFO), NO_INFO)
    match = _TIME_WITH_UNIT_RE.match(rest)
    if match:
        fee_at = match.end() + len(rest[match.end() :]) - len(rest[match.end() :].lstrip())
        if _FEE_MARKER_RE.match(rest, fee_at):
            return _ChannelHead(kind, start, name_end + fee_at, match.group(0))
        return None
    amount = _AMOUNT_RE.match(rest)
    if amount:
        split = _split_glued(amount.group("amount"))
        if split is None:  # no way to split off a time: the time cell is empty
            return _ChannelHead(kind, start, name_end, "")
        return _ChannelHead(kind, start, name_end + len(split[0]), split[0], glued_time=split[0])
    match = _BARE_NUMBER_RE.match(rest)
    if match:
        if _FEE_MARKER_RE.match(rest, match.end()):
            return _ChannelHead(kind, start, name_end + match.end(), match.group(0))
        return None
    # Free-text time ("Không quy định", "Không phải trả kết quả ..."): must start right away
    # with a capital letter and reach a fee cell before any other channel name.
    if not rest[:1].isupper():
        return None
    fee = _FEE_MARKER_RE.search(rest, 1, _FREE_TIME_MAX)
    if fee is None or _CHANNEL_RE.search(rest, 0, fee.start()):
        return None
    return _ChannelHead(kind, start, name_end + fee.start(), rest[: fee.start()])


def _find_heads(text: str) -> list[_ChannelHead]:
    heads: list[_ChannelHead] = []
    pos = 0
    while True:
        match = _CHANNEL_RE.search(text, pos)
        if match is None:
            return heads
        head = _match_head(text, match.end(), CHANNEL_NAMES[match.group(0)], match.start())
        if head is None:
            pos = match.end()
            continue
        heads.append(head)
        pos = head.fee_start


def _closing_paren(text: str, open_at: int) -> int:
    """Index just after the ")" closing the "(" at ``open_at``.

    Notes are not always balanced ("(10.000 đồng (cấp lần đầu); (Miễn phí từ ..."); then the
    last ")" of the cell is taken, and failing that the end of the cell.
    """
    depth = 0
    for index in range(open_at, len(text)):
        char = text[index]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index + 1
    last = text.rfind(")", open_at)
    return last + 1 if last >= 0 else len(text)


def _note_text(note: str) -> str:
    note = clean_inline(note)
    if note.startswith("(") and note.endswith(")"):
        note = note[1:-1].strip()
    return note


def _scale_if_confirmed(value: int, note: str) -> bool:
    """True when the note states ``value`` thousand đồng ("20" and "20.000 đồng/tờ khai")."""
    for match in re.finditer(r"\d[\d.,]*", note):
        if parse_amount(match.group(0).rstrip(".,")) == value * 1000:
            return True
    return False


def _parse_fee_cells(cell: str, label: str, problems: list[Problem]) -> tuple[list[Fee], bool, str, str]:
    """Parse the fee cell(s) and the description of one channel row.

    ``cell`` starts with the first fee marker.  Returns (fees, free, fee_note, description).
    """
    fees: list[Fee] = []
    free = False
    fee_note = ""
    pos = 0
    missing = False
    while True:
        if cell.startswith(_FEE_FREE, pos) and not fees and not free:
            free = True
            pos += len(_FEE_FREE)
        elif cell.startswith(NO_INFO, pos) and not fees and not free:
            missing = True
            pos += len(NO_INFO)
        else:
            match = _AMOUNT_RE.match(cell, pos)
            if match is None:
                break
            fees.append(_amount_fee(match.group("amount"), match.group("currency"), label, problems))
            pos = match.end()
        if cell.startswith("(", pos):
            end = _closing_paren(cell, pos)
            note = _note_text(cell[pos:end])
            pos = end
            if fees:
                fees[-1].text = note
                _check_scale(fees[-1], label, problems)
            else:
                fee_note = note
        elif fees:
            _check_scale(fees[-1], label, problems)
        if free or missing:
            break
        skipped = len(cell[pos:]) - len(cell[pos:].lstrip())
        if not _AMOUNT_RE.match(cell, pos + skipped):
            break
        pos += skipped
    if missing:
        problems.append(_problem("cach_thuc_thuc_hien", "fee_missing", f"Kênh {label}: không có thông tin phí, lệ phí"))
    return fees, free, fee_note, clean_block(cell[pos:])


def _amount_fee(raw_amount: str, raw_currency: str, label: str, problems: list[Problem]) -> Fee:
    currency = _CURRENCIES[raw_currency.lower()]
    if currency == "VND":
        amount = parse_amount(raw_amount)
        if amount is None:
            problems.append(
                _problem(
                    "cach_thuc_thuc_hien",
                    "fee_unparsed",
                    f"Kênh {label}: không đọc được số tiền «{raw_amount} {raw_currency}»",
                )
            )
            return Fee(amount=None, text="", currency=currency)
        return Fee(amount=amount, text="", currency=currency, original_amount=Decimal(amount))
    value = parse_amount(raw_amount)
    original = Decimal(value) if value is not None else _parse_decimal(raw_amount)
    if original is None:
        problems.append(
            _problem(
                "cach_thuc_thuc_hien",
                "fee_unparsed",
                f"Kênh {label}: không đọc được số tiền «{raw_amount} {raw_currency}»",
            )
        )
    return Fee(amount=None, text="", currency=currency, original_amount=original)


def _check_scale(fee: Fee, label: str, problems: list[Problem]) -> None:
    """Flag (and, when the note confirms it, fix) VND amounts entered in thousands."""
    if fee.currency != "VND" or fee.amount is None or not 0 < fee.amount < 1000:
        return
    if _scale_if_confirmed(fee.amount, fee.text):
        problems.append(
            _problem(
                "cach_thuc_thuc_hien",
                "fee_amount_scaled",
                f"Kênh {label}: số tiền ghi {fee.amount} VNĐ nhưng ghi chú nêu "
                f"{fee.amount * 1000:,} đồng; đã nhân 1.000".replace(",", "."),
            )
        )
        fee.amount *= 1000
    else:
        problems.append(
            _problem(
                "cach_thuc_thuc_hien",
                "fee_amount_suspicious",
                f"Kênh {label}: số tiền {fee.amount} VNĐ nhỏ bất thường (có thể là nghìn đồng)",
            )
        )


def _infer_unit(value: Decimal, description: str) -> str | None:
    """Unit of a bare time value, when the description states that same number with a unit.

    All time expressions of the description with that number must agree on one unit.
    """
    units = {
        TIME_UNITS[m.group("unit").lower()]
        for m in _DESCRIPTION_TIME_RE.finditer(description)
        if _parse_decimal(m.group("number")) == value
    }
    return units.pop() if len(units) == 1 else None


def _channel_time(
    head: _ChannelHead, description: str, label: str, problems: list[Problem]
) -> tuple[Decimal | None, str | None, bool]:
    """Validate the time cell of a channel and return (value, unit, unit_inferred)."""
    field_name = "cach_thuc_thuc_hien"
    text = clean_inline(head.time_text)
    if not text or text == NO_INFO:
        problems.append(_problem(field_name, "time_missing", f"Kênh {label}: không có thời hạn giải quyết"))
        return None, None, False
    value, unit = parse_time(text)
    if value is None:
        problems.append(
            _problem(field_name, "time_unparsed", f"Kênh {label}: thời hạn không phải là số: «{_short(text)}»")
        )
        return None, None, False
    if value < 0:
        problems.append(_problem(field_name, "time_negative", f"Kênh {label}: thời hạn âm «{text}»", SEVERITY_ERROR))
        return value, unit, False
    if unit is not None:
        return value, unit, False
    inferred = _infer_unit(value, description) if value > 0 else None
    if inferred is not None:
        problems.append(
            _problem(
                field_name,
                "time_unit_inferred",
                f"Kênh {label}: thời hạn «{text}» không ghi đơn vị; suy ra «{inferred}» từ phần mô tả",
            )
        )
        return value, inferred, True
    problems.append(_problem(field_name, "time_unit_missing", f"Kênh {label}: thời hạn «{text}» không ghi đơn vị"))
    return value, None, False


def parse_channels(text: str) -> tuple[list[Channel], list[Problem]]:
    """Parse ``cach_thuc_thuc_hien`` into channels (see the module docstring for the format)."""
    field_name = "cach_thuc_thuc_hien"
    problems: list[Problem] = []
    body = text.strip()
    if not body or body == NO_INFO:
        return [], [_problem(field_name, "channels_missing", "Không có thông tin về cách thức thực hiện")]
    if body.startswith(_CHANNELS_HEADER):
        body = body[len(_CHANNELS_HEADER) :]
    else:
        problems.append(
            _problem(field_name, "channel_header_missing", "Bảng cách thức thực hiện không có dòng tiêu đề")
        )
    heads = _find_heads(body)
    if not heads:
        problems.append(_problem(field_name, "channel_unknown", f"Không nhận ra kênh nộp hồ sơ nào: «{_short(body)}»"))
        return [], problems
    leading = body[: heads[0].start].strip()
    if leading:
        problems.append(
            _problem(field_name, "channel_unknown", f"Văn bản trước kênh đầu tiên bị bỏ qua: «{_short(leading)}»")
        )
    channels: list[Channel] = []
    for index, head in enumerate(heads):
        end = heads[index + 1].start if index + 1 < len(heads) else len(body)
        label = CHANNEL_LABELS[head.kind]
        fees, free, fee_note, description = _parse_fee_cells(body[head.fee_start : end], label, problems)
        if head.glued_time is not None and fees:
            problems.append(
                _problem(
                    field_name,
                    "time_fee_glued",
                    f"Kênh {label}: thời hạn và số tiền dính liền; tách thành thời hạn «{head.glued_time}» "
                    f"và số tiền {fees[0].original_amount}",
                )
            )
        value, unit, inferred = _channel_time(head, description, label, problems)
        channels.append(
            Channel(
                kind=head.kind,
                time_value=value,
                time_unit=unit,
                time_text=clean_inline(head.time_text),
                fees=fees,
                free=free,
                description=description,
                fee_note=fee_note,
                time_unit_inferred=inferred,
            )
        )
    return channels, problems


# --------------------------------------------------------------------------------------------
# Dossier components
# --------------------------------------------------------------------------------------------

_COMPONENTS_HEADER = "Tên giấy tờMẫu đơn, tờ khaiSố lượng"
_COUNT_RE = re.compile(r"(?P<n1>\d+) bản (?P<k1>chính|sao)(?:,\s*(?P<n2>\d+) bản (?P<k2>chính|sao))?(?![\s;,.:)])")
_TEMPLATE_EXT_RE = re.compile(r"\.(?:docx|doc|pdf|xlsx|xls|rar|zip|odt|rtf)", re.I)
_GROUP_PREFIX_RE = re.compile(r"^(?:\d+(?:\.\d+)*[.)]|[a-zđ][.)]|[IVX]+[.)]|[*+\-•])\s*")
_MAX_COUNT = 20


def _is_blank_cell(text: str) -> bool:
    """True for "", "Không có thông tin" and the "--" / "----" the portal prints for no value."""
    text = clean_inline(text)
    return text == NO_INFO or set(text) <= {"-", " "}


def _clean_group(title: str) -> str:
    if _is_blank_cell(title):
        return ""
    title = clean_inline(title)
    title = _GROUP_PREFIX_RE.sub("", title)
    return title.rstrip(":").strip()


def _split_templates(item: str) -> tuple[str, list[str]]:
    """Split "<name><file>.docx<file>.docx" into the name and the template file names."""
    first_ext = _TEMPLATE_EXT_RE.search(item)
    if first_ext is None:
        return item, []
    tail = item[first_ext.end() :]
    # Only treat it as templates when the item ends with file names.
    if tail and not re.fullmatch(r"(?:.*?" + _TEMPLATE_EXT_RE.pattern + r")+", tail, re.I | re.S):
        return item, []
    start = _template_start(item, first_ext.start())
    if start == 0:  # cannot tell the name from the file name: keep everything as the name
        return item, []
    names = [
        clean_inline(m.group(0)) for m in re.finditer(r".*?" + _TEMPLATE_EXT_RE.pattern, item[start:], re.I | re.S)
    ]
    return item[:start], [n for n in names if n]


def _template_start(item: str, ext_at: int) -> int:
    """Where the first template file name begins, looking back from its extension; 0 if unknown.

    The name and the file name touch without a space.  The file name begins after the last
    sentence end glued to it (";", ":", ")" or "." after a lower-case letter, after ")" or
    before a real word such as "Mẫu"/"PHỤ LỤC"), or else at the last case junction
    ("…theo mẫuMẫu số 45", "…01/TAINMẫu số 01").  Dots inside file names ("PHLC2.TT06",
    "Phụ lục V.VI") are not sentence ends.
    """
    strong = 0
    weak: list[int] = []
    for index in range(1, ext_at):
        char, before = item[index], item[index - 1]
        if not char.isalnum():
            continue
        starts_word = char.isupper() and index + 1 < len(item) and item[index + 1].islower()
        if before in ";:)":
            strong = index
        elif (
            before == "."
            and index >= 2
            and (item[index - 2].islower() or item[index - 2] in ")]" or _is_word(item, index))
        ):
            strong = index
        elif (before.islower() and (char.isupper() or char.isdigit())) or (
            (before.isupper() or before.isdigit()) and starts_word
        ):
            weak.append(index)
    if strong or not weak:
        return strong
    # File names are often CamelCase ("MauBankekhai"): inside the last space-free run, the
    # first junction is the start; otherwise the junction nearest to the extension.
    last_space = max(item.rfind(" ", 0, ext_at), item.rfind("\n", 0, ext_at))
    in_last_run = [index for index in weak if index > last_space]
    return in_last_run[0] if in_last_run else weak[-1]


def _is_word(text: str, at: int) -> bool:
    """True when a real word starts at ``at``: two letters or more with a lower-case or accented one."""
    match = re.match(r"[^\W\d_]{2,}", text[at:])
    return bool(match) and any(c.islower() or not c.isascii() for c in match.group(0))


def _count_value(digits: str) -> tuple[int, str]:
    """Count from the digit run before "bản chính"; glued digits go back to the name.

    "20201" (name "... năm 2020" + count 1) gives (1, "2020").
    """
    if len(digits) > 1 and (digits[0] == "0" and len(digits) > 2 or int(digits) > _MAX_COUNT):
        return int(digits[-1]), digits[:-1]
    return int(digits), ""


def parse_components(text: str) -> tuple[list[Component], list[Problem]]:
    """Parse ``thanh_phan_ho_so`` into components (see the module docstring for the format)."""
    field_name = "thanh_phan_ho_so"
    problems: list[Problem] = []
    body = text.strip()
    if _is_blank_cell(body):
        return [], [_problem(field_name, "components_missing", "Không có thông tin về thành phần hồ sơ")]
    parts = body.split(_COMPONENTS_HEADER)
    if len(parts) == 1:
        return [], [
            _problem(field_name, "components_unparsed", f"Không nhận ra bảng thành phần hồ sơ: «{_short(body)}»")
        ]
    components: list[Component] = []
    group = _clean_group(parts[0])
    for index, part in enumerate(parts[1:], start=1):
        is_last = index == len(parts) - 1
        pos = 0
        matches = list(_COUNT_RE.finditer(part))
        for number, match in enumerate(matches):
            if number + 1 < len(matches) and matches[number + 1].start() == match.end():
                continue  # "…nộp 01 bản sao0 bản chính,1 bản sao": the first one is in the name
            originals, copies = 0, 0
            count1, glued = _count_value(match.group("n1"))
            raw_name = part[pos : match.start()] + glued
            if glued:
                problems.append(
                    _problem(
                        field_name,
                        "component_count_ambiguous",
                        f"Số lượng dính vào tên giấy tờ «…{_short(raw_name[-40:], 40)}»; "
                        f"đã đọc «{match.group('n1')}» là {glued} + {count1}",
                    )
                )
            for count, kind in ((count1, match.group("k1")), (match.group("n2"), match.group("k2"))):
                if count is None:
                    continue
                if kind == "chính":
                    originals += int(count)
                else:
                    copies += int(count)
            name, templates = _split_templates(raw_name)
            name = clean_block(name)
            if not name:
                problems.append(
                    _problem(
                        field_name, "component_name_missing", f"Giấy tờ không có tên (số lượng «{match.group(0)}»)"
                    )
                )
            components.append(
                Component(
                    group=group,
                    name=name,
                    template="; ".join(templates),
                    originals=originals,
                    copies=copies,
                    templates=templates,
                )
            )
            pos = match.end()
        rest = part[pos:]
        if is_last:
            if not _is_blank_cell(rest):
                components.append(Component(group=group, name=clean_block(rest), template="", originals=0, copies=0))
                problems.append(
                    _problem(
                        field_name,
                        "component_count_unparsed",
                        f"Giấy tờ không có số lượng: «{_short(rest)}»",
                    )
                )
        else:
            group = _clean_group(rest)
    return components, problems


# --------------------------------------------------------------------------------------------
# Legal basis
# --------------------------------------------------------------------------------------------

_LEGAL_HEADER = "Tên văn bản pháp lýMã văn bản"
_DOC_START_RE = re.compile(r"\d{1,5}(?:\.\d{1,2})?[a-z]?(?:/\d{4})?/")  # "66.7/2025/NQ-CP"
_BARE_DOC_NUMBER_RE = re.compile(r"\d{1,5}/\d{4}(?!\d)")
_AGENCY_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZĐƯ")
#: All-caps words that start a title ("LUẬT HÀNG KHÔNG", "BAN HÀNH ..."), so they end a number.
_CAPS_TITLE_WORDS = (
    "LUẬT",
    "BỘ",
    "BAN",
    "THÔNG",
    "NGHỊ",
    "QUYẾT",
    "PHÁP",
    "VĂN",
    "HƯỚNG",
    "QUY",
    "SỬA",
    "CHỈ",
    "CÔNG",
    "VỀ",
    "KẾ",
    "ĐIỀU",
    "HIẾN",
)
_NUMBER_PREFIX = (
    r"(?:(?:Luật|Bộ luật|Thông tư liên tịch|Thông tư|Nghị định|Nghị quyết|Quyết định|Pháp lệnh|Chỉ thị)\s*)?"
    r"(?:[Ss]ố\s*)?"
)
#: A prefix glued before the number in the "Mã văn bản" cell ("…tín dụngLuật số 32/2024/QH15").
_NUMBER_PREFIX_RE = re.compile(_NUMBER_PREFIX + "$")
_NUMBER_PREFIX_AHEAD_RE = re.compile(_NUMBER_PREFIX)


#: Frequent issuer tokens; they win over a following lower-case letter ("NĐ-CPhướng dẫn ...").
_KNOWN_ISSUERS = tuple(
    sorted(
        (
            "TTg",
            "NĐ",
            "CP",
            "TT",
            "TTLT",
            "QĐ",
            "NQ",
            "QH",
            "UBTVQH",
            "BTC",
            "BTP",
            "NHNN",
            "BXD",
            "BGTVT",
            "BHXH",
            "BYT",
            "BCA",
            "BQP",
            "BCT",
            "BNV",
            "BKHĐT",
            "BLĐTBXH",
            "VPQH",
            "UBND",
            "HĐND",
        ),
        key=len,
        reverse=True,
    )
)


def _known_issuer(text: str, at: int) -> str:
    """The known issuer token at ``at`` when no other capital letter continues it, else ""."""
    if text.startswith("TTg", at):  # the Prime Minister, the only mixed-case token
        return "TTg"
    for token in _KNOWN_ISSUERS:
        end = at + len(token)
        if text.startswith(token, at) and (end == len(text) or text[end] not in _AGENCY_LETTERS):
            return token
    return ""


_VIETNAMESE_ONSETS = frozenset({"ch", "gh", "gi", "kh", "ng", "nh", "ph", "qu", "th", "tr"})


def _starts_titlecase_word(upper: str, lower: str) -> bool:
    """True when ``upper`` + ``lower`` can begin a Vietnamese word ("Lu", "Th", "Ng"; not "Cs")."""
    if not lower.islower():
        return False
    base = unicodedata.normalize("NFD", lower)[0]
    return base in "aeiouy" or (upper + lower).lower() in _VIETNAMESE_ONSETS


def _starts_caps_title(text: str, at: int) -> bool:
    for word in _CAPS_TITLE_WORDS:
        end = at + len(word)
        if text.startswith(word, at) and (end == len(text) or not text[end].isalpha()):
            return True
    return False


def _scan_agency(text: str, at: int) -> int:
    """End of the issuer part of a document number starting at ``at`` ("NĐ-CP", "TT-BTC", "QH13").

    Tokens are upper-case letters (a letter followed by a lower-case one starts the next title,
    as does a known all-caps title word) with at most two digits, joined by "-" or "/"; "TTg"
    is the only mixed-case token.  Returns ``at`` when there is no issuer.
    """
    pos = at
    while True:
        known = _known_issuer(text, pos)
        if known:
            end = pos + len(known)
            if known.endswith("QH"):
                end += _issuer_digits(text, pos, end)
        else:
            end = pos
            while end < len(text) and text[end] in _AGENCY_LETTERS:
                if end + 1 < len(text) and _starts_titlecase_word(text[end], text[end + 1]):
                    break
                if end > pos and _starts_caps_title(text, end):
                    break
                end += 1
            if end == pos:
                return pos if pos == at else pos - 1
            end += _issuer_digits(text, pos, end)
        pos = end
        if (
            pos + 1 < len(text)
            and text[pos] in "-/"
            and (text[pos + 1] in _AGENCY_LETTERS or text.startswith("TTg", pos + 1))
        ):
            pos += 1
            continue
        return pos


def _issuer_digits(text: str, token_start: int, token_end: int) -> int:
    """How many digits after an issuer token belong to it.

    "QH13" (the legislature) always has two; other tokens keep at most two digits, and none
    when the digit run goes on to a "/" (then it is the next number: "NĐ-CP126/2020/NĐ-CP").
    """
    run = token_end
    while run < len(text) and text[run].isdigit():
        run += 1
    if text[token_start:token_end].endswith("QH"):
        return min(run - token_end, 2)
    if run - token_end > 2 or text[run : run + 1] == "/":
        return 0
    return run - token_end


def _glued_after_year(text: str, start: int) -> bool:
    """True when the digits before ``start`` are a year ("năm 2024" + "46/2024/QH15")."""
    run = start
    while run > 0 and text[run - 1].isdigit():
        run -= 1
    return start - run == 4 and text[run : run + 2] in ("19", "20")


def _document_numbers(text: str) -> list[tuple[int, int]]:
    """Spans of document numbers ("54/2014/QH13", "2338/QĐ-BTP") in order, non-overlapping.

    A number glued to digits before it is only taken right after the previous number or after
    a year.  A number without issuer ("46/2020") is only taken when a letter or the end of the
    text follows it directly.
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    previous_end = -1
    while True:
        match = _DOC_START_RE.search(text, pos)
        if match is None:
            return spans
        start = match.start()
        glued = start > 0 and (text[start - 1].isdigit() or text[start - 1] == "/")
        if glued and start != previous_end and not _glued_after_year(text, start):
            pos = start + 1
            continue
        end = _scan_agency(text, match.end())
        if end == match.end():
            bare = _BARE_DOC_NUMBER_RE.match(text, start)
            if bare is None or (bare.end() < len(text) and not text[bare.end()].isalpha()):
                pos = start + 1
                continue
            end = bare.end()
        spans.append((start, end))
        previous_end = end
        pos = end


def _cell_ends(body: str, spans: list[tuple[int, int]]) -> list[bool]:
    """For each document number, whether it is a "Mã văn bản" cell (it ends a pair).

    * followed by the end of the text: yes;
    * followed by a space or a punctuation mark: no, it is quoted inside a title;
    * followed directly by a letter: yes, the next title starts - unless the letters are a
      prefix repeating the same number ("50/2025/TT-NHNNsố 50/2025/TT-NHNN": the first one
      is the title);
    * followed directly by another number: no when it is the same number
      ("Luật 54/2014/QH1354/2014/QH13"); otherwise exactly one of the two ends a pair: this
      one when the next one does not ("… QH1246/2014/QH13 Sửa đổi …"), the next one when it
      does ("… theo Luật số 37/2024/QH1519/2024/TT-BTPLuật …").
    """
    ends = [False] * len(spans)
    for index in range(len(spans) - 1, -1, -1):
        start, end = spans[index]
        number = body[start:end]
        if end == len(body):
            ends[index] = True
        elif body[end].isalpha():
            prefix = _NUMBER_PREFIX_AHEAD_RE.match(body, end)
            ends[index] = not (prefix and body.startswith(number, prefix.end()))
        elif body[end].isdigit():
            glued_next = index + 1 < len(spans) and spans[index + 1][0] == end
            if body.startswith(number, end):
                ends[index] = False
            else:
                ends[index] = not (glued_next and ends[index + 1])
    return ends


def parse_legal_basis(text: str) -> tuple[list[LegalBasis], list[Problem]]:
    """Parse ``can_cu_phap_ly`` into (title, number) pairs.

    The table is "<title><number>" repeated without separator.  Document numbers are found by
    :func:`_document_numbers`; :func:`_cell_ends` decides which of them are "Mã văn bản" cells
    (the others are quoted inside titles).  A cell needs a title before it that is more than a
    prefix.  A prefix glued to the previous text ("…tín dụngLuật số 32/2024/QH15") belongs to
    the number cell and is dropped from both.  Text that ends without a number is kept as a
    title with an empty number and reported (``legal_basis_unparsed``).
    """
    field_name = "can_cu_phap_ly"
    body = clean_inline(text)
    if not body or body == NO_INFO:
        return [], []
    if body.startswith(_LEGAL_HEADER):
        body = body[len(_LEGAL_HEADER) :].strip()
    body = re.sub(r"(/[A-ZĐ]+)-\s+(?=[A-ZĐ])", r"\1-", body)  # "165/2024/NĐ- CP"
    items: list[LegalBasis] = []
    title_start = 0
    spans = _document_numbers(body)
    for (start, end), ends_cell in zip(spans, _cell_ends(body, spans), strict=True):
        number = body[start:end]
        if not ends_cell:
            continue
        cell_start = start
        prefix = _NUMBER_PREFIX_RE.search(body, title_start, start)
        if prefix and prefix.start() < start and prefix.start() > title_start:
            if not body[prefix.start() - 1].isspace():
                cell_start = prefix.start()
        title = body[title_start:cell_start].strip()
        if _NUMBER_PREFIX_RE.fullmatch(title):  # empty, or only "Luật số": part of a title
            if end < len(body) or not title:
                continue
            title = body[title_start:end].strip()  # "Luật14/2008/QH12" at the very end
        items.append(LegalBasis(title=title, number=number))
        title_start = end
    leftover = body[title_start:].strip()
    problems: list[Problem] = []
    if leftover and [(0, len(leftover))] == _document_numbers(leftover):
        items.append(LegalBasis(title=leftover, number=leftover))  # a number alone, no title
    elif leftover:
        items.append(LegalBasis(title=leftover, number=""))
        problems.append(
            _problem(field_name, "legal_basis_unparsed", f"Không tách được số hiệu văn bản: «{_short(leftover)}»")
        )
    return items, problems


# --------------------------------------------------------------------------------------------
# Results, steps
# --------------------------------------------------------------------------------------------

_RESULT_CODE_MARK = "Mã: "
_CODE_CHARS_RE = re.compile(r"[A-Za-z0-9.\-/_]+")


def _split_code(piece: str, is_last: bool) -> tuple[str, str]:
    """Split "KQ.G12.000327Văn bản …" into ("KQ.G12.000327", "Văn bản …")."""
    match = _CODE_CHARS_RE.match(piece)
    if match is None:
        return "", piece
    run = match.group(0)
    if is_last and match.end() == len(piece.rstrip()):
        return run, ""
    last_digit = max((i for i, c in enumerate(run) if c.isdigit()), default=-1)
    if last_digit >= 0:
        cut = last_digit + 1
    elif match.end() < len(piece) and piece[match.end()].isalpha():
        return "", piece  # "Mã: Cơ quan …": a word, not a code
    else:  # no digit: cut before the last capital that starts a word ("hgvgNQuyết")
        cut = next(
            (i for i in range(len(run) - 1, 0, -1) if run[i].isupper() and not run[i - 1].isupper()),
            len(run),
        )
    return run[:cut], piece[cut:]


def parse_results(text: str) -> tuple[list[Result], str, str]:
    """Parse ``ket_qua_xu_ly`` into (results, keywords, description)."""
    body = _strip_chrome(text).strip()
    keywords = description = ""
    keywords_at = body.rfind("Từ khóa")
    if keywords_at >= 0:
        tail = body[keywords_at + len("Từ khóa") :]
        body = body[:keywords_at]
        keywords, _, description = tail.partition("Mô tả")
    pieces = body.split(_RESULT_CODE_MARK)
    results: list[Result] = []
    name = pieces[0]
    for index, piece in enumerate(pieces[1:], start=1):
        code, rest = _split_code(piece, index == len(pieces) - 1)
        if _value(name) or code:
            results.append(Result(name=_value(name), code=code))
        name = rest
    if _value(name):
        results.append(Result(name=_value(name), code=""))
    return results, _value(keywords), _block_value(description)


_STEP_RE = re.compile(r"(?:(?<=\s)|^)Bước\s*\d+\s*[:.,\-]", re.M)


def parse_steps(text: str) -> list[str]:
    """Split ``trinh_tu_thuc_hien`` at "Bước N:" markers, else into its lines."""
    body = _block_value(text)
    if not body:
        return []
    starts = [m.start() for m in _STEP_RE.finditer(body)]
    if not starts:
        return body.split("\n")
    if starts[0] != 0:
        starts.insert(0, 0)
    bounds = zip(starts, [*starts[1:], len(body)], strict=True)
    return [step for a, b in bounds if (step := clean_block(body[a:b]))]


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


def _text_field(raw: dict[str, Any], key: str, problems: list[Problem]) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.append(
            _problem(key, "record_invalid", f"Trường «{key}» không phải chuỗi ({type(value).__name__})", SEVERITY_ERROR)
        )
        return ""
    return value


def _sections(raw: dict[str, Any], problems: list[Problem]) -> dict[str, str]:
    """The long sections: from :func:`split_raw_text` when possible, else the crawler's fields."""
    fields = {key: _text_field(raw, key, problems) for key in RESPLIT_FIELDS}
    raw_text = _text_field(raw, "raw_text", problems)
    resplit = split_raw_text(raw_text) if raw_text else None
    if resplit is None:
        return fields
    for key in RESPLIT_FIELDS:
        ours = clean_inline(_strip_chrome(resplit[key]))
        theirs = clean_inline(_strip_chrome(fields[key]))
        if ours != theirs:
            problems.append(
                _problem(
                    key,
                    "field_resplit",
                    f"Trường «{key}» của bản ghi bị cắt sai khi thu thập; đã lấy lại từ toàn văn trang",
                )
            )
    return resplit


def _check_page_code(code: str, raw_text: str, problems: list[Problem]) -> None:
    match = re.search(r"Mã thủ tục\s*(\S+?)\s*Số quyết định", raw_text)
    if match and code and match.group(1) != code:
        problems.append(
            _problem(
                "ma_thu_tuc",
                "code_mismatch",
                f"Mã thủ tục trên trang ({match.group(1)}) khác mã của bản ghi ({code}): "
                "nội dung có thể là của thủ tục khác",
                SEVERITY_ERROR,
            )
        )


def parse_record(raw: dict[str, Any]) -> ParsedProcedure:
    """Parse one catalogue record.  Never raises: problems are listed on the result."""
    problems: list[Problem] = []
    if not isinstance(raw, dict):
        problems.append(
            _problem("", "record_invalid", f"Bản ghi không phải object JSON ({type(raw).__name__})", SEVERITY_ERROR)
        )
        raw = {}
    # The portal stores some Vietnamese with combining marks (e.g. U+0323): precompose everything (NFC) so that
    # search, comparison and printing see one form.
    raw = {k: unicodedata.normalize("NFC", v) if isinstance(v, str) else v for k, v in raw.items()}

    def text(key: str) -> str:
        return _text_field(raw, key, problems)

    code = clean_inline(text("ma_thu_tuc"))
    if not CODE_RE.match(code):
        problems.append(
            _problem(
                "ma_thu_tuc", "code_invalid", f"Mã thủ tục không hợp lệ: «{code}» (cần dạng 1.234567)", SEVERITY_ERROR
            )
        )
    name = _value(text("ten_thu_tuc"))
    if not name:
        problems.append(_problem("ten_thu_tuc", "name_missing", "Thiếu tên thủ tục", SEVERITY_ERROR))
    raw_text = text("raw_text")
    if raw_text:
        _check_page_code(code, raw_text, problems)

    sections = _sections(raw, problems)
    levels, level_problems = parse_levels(text("cap_thuc_hien"))
    channels, channel_problems = parse_channels(sections["cach_thuc_thuc_hien"])
    components, component_problems = parse_components(sections["thanh_phan_ho_so"])
    legal_basis, legal_problems = parse_legal_basis(sections["can_cu_phap_ly"])
    results, keywords, result_description = parse_results(sections["ket_qua_xu_ly"])
    problems += level_problems + channel_problems + component_problems + legal_problems

    return ParsedProcedure(
        code=code,
        name=name,
        decision_number=_value(text("so_quyet_dinh")),
        levels=levels,
        kind=_value(text("loai_thu_tuc")),
        field=_value(text("linh_vuc")),
        subjects=_value(text("doi_tuong_thuc_hien")),
        competent_agency=_value(text("co_quan_co_tham_quyen")),
        implementing_agency=_value(sections["co_quan_thuc_hien"]),
        coordinating_agency=_value(text("co_quan_phoi_hop")),
        receiving_address=_block_value(text("dia_chi_tiep_nhan")),
        channels=channels,
        components=components,
        legal_basis=legal_basis,
        conditions=_block_value(sections["yeu_cau_dieu_kien"]),
        results=results,
        steps=parse_steps(sections["trinh_tu_thuc_hien"]),
        source_url=clean_inline(text("detail_url")),
        problems=problems,
        authorized_agency=_value(text("co_quan_duoc_uy_quyen")),
        related_procedures=_block_value(text("thu_tuc_lien_quan")),
        result_keywords=keywords,
        result_description=result_description,
    )


# --------------------------------------------------------------------------------------------
# Files and measurement
# --------------------------------------------------------------------------------------------


def iter_catalogue(path: str | Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """Read a ``.jsonl`` or ``.jsonl.gz`` file; yield ``(line_no, record, error)``.

    A line that is not valid UTF-8 JSON, or not a JSON object, yields ``(n, None, reason)``;
    blank lines are skipped; a truncated or corrupt gzip stream yields one last error.  Only
    a missing or unreadable file raises (``OSError``).
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        line_no = 0
        try:
            for line_no, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line.decode("utf-8"))
                except UnicodeDecodeError as exc:
                    yield line_no, None, f"Dòng không phải UTF-8: {exc}"
                    continue
                except json.JSONDecodeError as exc:
                    yield line_no, None, f"JSON không hợp lệ: {exc.msg} (cột {exc.colno})"
                    continue
                if not isinstance(record, dict):
                    yield line_no, None, f"Dòng không phải object JSON ({type(record).__name__})"
                    continue
                yield line_no, record, None
        except (EOFError, gzip.BadGzipFile, OSError) as exc:
            yield line_no + 1, None, f"Tệp nén bị hỏng hoặc bị cắt: {exc}"


def parse_rate(procs: list[ParsedProcedure]) -> dict[str, Any]:
    """Measure how many procedures have all channel times and fees parsed.

    Returns ``{"records", "time_parsed", "fees_parsed", "both", "share_both",
    "problems_by_code"}``; ``problems_by_code`` counts problems (not records), sorted by code.
    """
    records = len(procs)
    time_ok = sum(1 for p in procs if p.time_parsed())
    fees_ok = sum(1 for p in procs if p.fees_parsed())
    both = sum(1 for p in procs if p.time_parsed() and p.fees_parsed())
    codes = Counter(problem.code for p in procs for problem in p.problems)
    return {
        "records": records,
        "time_parsed": time_ok,
        "fees_parsed": fees_ok,
        "both": both,
        "share_both": round(both / records, 4) if records else 0.0,
        "problems_by_code": dict(sorted(codes.items())),
    }



def procedure_from_dict(data: dict[str, Any]) -> ParsedProcedure:
    """Rebuild a :class:`ParsedProcedure` from ``dataclasses.asdict`` output stored as JSON (the demo fixture).

    Decimals stored as strings come back as :class:`~decimal.Decimal`; an unknown key raises ``TypeError``, so a
    fixture written by a newer version fails loudly instead of losing data.
    """

    def dec(value: Any) -> Decimal | None:
        return None if value is None else Decimal(str(value))

    data = dict(data)
    channels = [
        Channel(**{
            **c,
            "time_value": dec(c.get("time_value")),
            "fees": [Fee(**{**f, "original_amount": dec(f.get("original_amount"))}) for f in c.get("fees", [])],
        })
        for c in data.pop("channels", [])
    ]
    components = [Component(**c) for c in data.pop("components", [])]
    legal_basis = [LegalBasis(**b) for b in data.pop("legal_basis", [])]
    results = [Result(**r) for r in data.pop("results", [])]
    problems = [Problem(**p) for p in data.pop("problems", [])]
    return ParsedProcedure(**data, channels=channels, components=components, legal_basis=legal_basis,
                           results=results, problems=problems)


def assume_time_unit(parsed: ParsedProcedure, unit: str) -> int:
    """Give ``unit`` to every channel time written as a bare number ("1" with no unit); returns how many.

    The national catalogue leaves the unit out of about 600 channel times. Reading them as, say, working days is a
    province's decision (an [M] rule, off by default in the importer); each assumed unit is added as a warning
    ``time_unit_assumed`` so that it can be checked.
    """
    label = next((name for name, code in TIME_UNITS.items() if code == unit), None)
    if label is None:
        raise ValueError(f"unknown time unit {unit!r}")
    count = 0
    for channel in parsed.channels:
        if channel.time_value is not None and not channel.time_unit:
            channel.time_unit = unit
            channel.time_unit_inferred = True
            count += 1
            parsed.problems.append(_problem(
                "cach_thuc_thuc_hien", "time_unit_assumed",
                f"Thời hạn «{channel.time_text}» không ghi đơn vị; đã hiểu là {label}.",
            ))
    return count


_CONDITIONAL_RE = re.compile(r"^[\s\-–+•*.]*(trường hợp|nếu|đối với trường hợp|khi\s)", re.IGNORECASE)


def is_conditional(component_name: str) -> bool:
    """Whether a component is needed only in some cases ("Trường hợp …", "Nếu …", "… (nếu có)").

    The national catalogue has no "mandatory" flag; such components are imported as optional so that an applicant
    is never blocked for a paper that does not apply to them. The province can change the flag per component.
    """
    lowered = component_name.lower()
    return bool(_CONDITIONAL_RE.match(lowered)) or "(nếu có)" in lowered
