"""Fees of a dossier, computed from the procedure version's channel fees through small rules kept as data.

Every fee line of the catalogue (``catalog.Fee``: an amount and the portal's text) is read through a **rule**, a
small JSON object. The rule is parsed from the catalogue's text (:func:`rule_from_text`) unless the province's IT
staff saved one in the back office (``payments.FeeRule``, validated by :func:`validate_rule`).

Rule format (version 1)::

    {"kind": "fixed",    "amount": 100000, "unit": "lần"}
    {"kind": "per_copy", "amount": 250000, "unit": "bản"}                       # × number of copies
    {"kind": "per_page", "amount": 2000, "unit": "trang",                       # × pages, per copy
     "tiers": [{"from_page": 3, "amount": 1000}], "max_per_copy": 200000}
    {"kind": "free"}
    {"kind": "manual", "note": "…"}                 # not computable: foreign currency, an amount to be checked
    + optional "periods": [{"from": "2025-07-01", "to": "2026-12-31", "amount": 400000},
                           {"from": "2026-04-07", "to": "2026-06-30", "free": true}]
    + optional "note", "label"

``periods`` are the temporary rates the Ministry of Finance sets (TT 64/2025/TT-BTC halves many fees from 01/07/2025 to
31/12/2026; TT 40/2026/TT-BTC waives some from 07/04/2026 to 30/06/2026): on a day inside a period its amount (or
nothing) replaces the rule's amount. The day that counts is the day the dossier was submitted.

This module is pure Python (no database) except :func:`quote_channel`, which reads a channel's fees and rules.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

RULE_KINDS = ("fixed", "per_copy", "per_page", "free", "manual")
#: Amounts under this many đồng are almost always amounts entered in thousands (catalog parsing flags them): such a
#: fee is not charged automatically.
SUSPICIOUS_BELOW = 1000
MAX_AMOUNT = 10_000_000_000  # ten billion đồng: far above any fee; guards against typing errors in the back office
MAX_QUANTITY = 1000

KIND_LABELS = {
    "fixed": "Mức thu cố định",
    "per_copy": "Theo số bản",
    "per_page": "Theo số trang",
    "free": "Miễn phí",
    "manual": "Cán bộ xác định số tiền",
}


class RuleError(ValueError):
    """A rule that cannot be used, with a Vietnamese message for the back office."""


# --- reading the catalogue's text ---------------------------------------------------------------------------------

_MONEY = r"(?P<{name}>\d{{1,3}}(?:[.,]\d{{3}})+|\d+)\s*(?P<{name}_mult>triệu|nghìn|ngàn)?\s*(?:đồng|đ|vnđ|vnd)"
_DATE = r"\d{1,2}/\d{1,2}/\d{4}"
_PER_PAGE_RE = re.compile(r"/\s*trang\b", re.IGNORECASE)
_PER_COPY_RE = re.compile(r"/\s*(?:0?1\s*)?bản\b(?!\s*(?:sao|chính|dịch))", re.IGNORECASE)
_TIER_RE = re.compile(r"từ\s+trang\s+thứ\s+(?P<page>\d+)\s+trở\s+(?:lên|đi)[^0-9]{0,20}" + _MONEY.format(name="amt"),
                      re.IGNORECASE)
_CAP_RE = re.compile(r"(?:tối\s+đa|không\s+quá)[^0-9]{0,25}" + _MONEY.format(name="amt"), re.IGNORECASE)
_REDUCED_RE = re.compile(
    r"áp\s+dụng\s+mức\s+(?:phí|thu|lệ\s+phí)?\s*:?\s*" + _MONEY.format(name="amt")
    + r"[^()]{0,80}?(?:kể\s+)?từ\s+ngày\s+(?P<start>" + _DATE + r")\s+đến\s+(?:hết\s+)?(?:ngày\s+)?(?P<end>"
    + _DATE + r")", re.IGNORECASE)
_WAIVED_RE = re.compile(
    r"miễn(?:\s+(?:phí|lệ\s+phí|thu))?[^()0-9]{0,40}?(?:kể\s+)?từ\s+ngày\s+(?P<start>" + _DATE
    + r")\s+đến\s+(?:hết\s+)?(?:ngày\s+)?(?P<end>" + _DATE + r")", re.IGNORECASE)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text or "")


def parse_money(digits: str, multiplier: str | None = None) -> int:
    """``2.000`` → 2000, ``250,000`` → 250000, ``02`` + ``triệu`` → 2000000."""
    value = int(re.sub(r"[.,]", "", digits))
    factor = {"triệu": 1_000_000, "nghìn": 1000, "ngàn": 1000}.get((multiplier or "").lower(), 1)
    return value * factor


def _money(match: re.Match, name: str = "amt") -> int:
    return parse_money(match.group(name), match.group(f"{name}_mult"))


def _iso(text: str) -> str:
    day, month, year = (int(part) for part in text.split("/"))
    return date(year, month, day).isoformat()


def _periods(text: str) -> list[dict]:
    periods = []
    for match in _REDUCED_RE.finditer(text):
        try:
            periods.append({"from": _iso(match.group("start")), "to": _iso(match.group("end")),
                            "amount": _money(match)})
        except ValueError:
            continue
    for match in _WAIVED_RE.finditer(text):
        try:
            periods.append({"from": _iso(match.group("start")), "to": _iso(match.group("end")), "free": True})
        except ValueError:
            continue
    return periods


def rule_from_text(amount: int | None, text: str, currency: str = "VND") -> dict:
    """The rule a catalogue fee line (amount in đồng, the portal's text) stands for.

    >>> rule_from_text(250000, "250,000 đồng/bản")["kind"]
    'per_copy'
    """
    text = _nfc(text)
    if currency != "VND" or amount is None:
        return {"kind": "manual", "note": "Phí không ghi bằng đồng Việt Nam: cán bộ xác định số tiền."}
    if amount == 0:
        return {"kind": "free"}
    if amount < SUSPICIOUS_BELOW:
        return {"kind": "manual", "note": f"Số tiền {amount} đồng nhỏ bất thường (có thể ghi theo nghìn đồng): "
                                          "cán bộ kiểm tra trước khi thu."}
    rule: dict = {"kind": "fixed", "amount": amount}
    if _PER_PAGE_RE.search(text):
        rule.update(kind="per_page", unit="trang")
        tiers = [{"from_page": int(m.group("page")), "amount": _money(m)} for m in _TIER_RE.finditer(text)]
        if tiers:
            rule["tiers"] = sorted(tiers, key=lambda t: t["from_page"])
        cap = _CAP_RE.search(text)
        if cap:
            rule["max_per_copy"] = _money(cap)
    elif _PER_COPY_RE.search(text):
        rule.update(kind="per_copy", unit="bản")
    periods = _periods(text)
    if periods:
        rule["periods"] = periods
    return validate_rule(rule)


# --- validating a rule (the back office) --------------------------------------------------------------------------

def _amount(value, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleError(f"{where}: số tiền phải là số nguyên (đồng), không có dấu chấm.")
    if not 0 <= value <= MAX_AMOUNT:
        raise RuleError(f"{where}: số tiền phải từ 0 đến {MAX_AMOUNT:,} đồng.".replace(",", "."))
    return value


def _day(value, where: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise RuleError(f"{where}: ngày phải viết dạng NNNN-TT-NN, ví dụ 2026-12-31.") from exc


def validate_rule(rule) -> dict:
    """Return ``rule`` if it can be used, else raise :class:`RuleError` saying what is wrong."""
    if not isinstance(rule, dict):
        raise RuleError("Quy tắc phải là một đối tượng JSON, ví dụ {\"kind\": \"fixed\", \"amount\": 100000}.")
    allowed = {"kind", "amount", "unit", "tiers", "max_per_copy", "periods", "note", "label"}
    unknown = sorted(set(rule) - allowed)
    if unknown:
        raise RuleError(f"Trường không được hỗ trợ: {', '.join(unknown)}.")
    kind = rule.get("kind")
    if kind not in RULE_KINDS:
        raise RuleError(f"“kind” phải là một trong: {', '.join(RULE_KINDS)}.")
    if kind in ("fixed", "per_copy", "per_page"):
        if "amount" not in rule:
            raise RuleError("Thiếu “amount” (số tiền, đồng).")
        _amount(rule["amount"], "amount")
    if kind != "per_page" and ("tiers" in rule or "max_per_copy" in rule):
        raise RuleError("“tiers” và “max_per_copy” chỉ dùng cho kind “per_page”.")
    tiers = rule.get("tiers", [])
    if not isinstance(tiers, list):
        raise RuleError("“tiers” phải là một danh sách.")
    last = 1
    for n, tier in enumerate(tiers, 1):
        if not isinstance(tier, dict) or set(tier) != {"from_page", "amount"}:
            raise RuleError(f"tiers[{n}]: cần đúng hai trường “from_page” và “amount”.")
        page = tier["from_page"]
        if isinstance(page, bool) or not isinstance(page, int) or page <= last:
            raise RuleError(f"tiers[{n}]: “from_page” phải là số nguyên tăng dần, lớn hơn 1.")
        last = page
        _amount(tier["amount"], f"tiers[{n}]")
    if "max_per_copy" in rule:
        _amount(rule["max_per_copy"], "max_per_copy")
    periods = rule.get("periods", [])
    if not isinstance(periods, list):
        raise RuleError("“periods” phải là một danh sách.")
    for n, period in enumerate(periods, 1):
        if not isinstance(period, dict):
            raise RuleError(f"periods[{n}]: phải là một đối tượng.")
        extra = set(period) - {"from", "to", "amount", "free"}
        if extra:
            raise RuleError(f"periods[{n}]: trường không được hỗ trợ: {', '.join(sorted(extra))}.")
        start, end = _day(period.get("from"), f"periods[{n}].from"), _day(period.get("to"), f"periods[{n}].to")
        if end < start:
            raise RuleError(f"periods[{n}]: ngày kết thúc trước ngày bắt đầu.")
        if period.get("free") is True:
            if "amount" in period:
                raise RuleError(f"periods[{n}]: đã miễn (“free”) thì không ghi “amount”.")
        elif "amount" in period:
            _amount(period["amount"], f"periods[{n}].amount")
        else:
            raise RuleError(f"periods[{n}]: cần “amount” hoặc “free”: true.")
    for key in ("unit", "note", "label"):
        if key in rule and not isinstance(rule[key], str):
            raise RuleError(f"“{key}” phải là chuỗi ký tự.")
    return rule


# --- computing ----------------------------------------------------------------------------------------------------

@dataclass
class Line:
    """One fee line of a quote."""

    label: str
    rule: dict
    amount: int | None  # None: not computable (a "manual" rule)
    unit_amount: int | None = None
    detail: str = ""
    source: str = "text"  # "text": parsed from the catalogue; "rule": saved by IT staff

    def as_dict(self) -> dict:
        return {"label": self.label, "kind": self.rule.get("kind"), "amount": self.amount,
                "unit_amount": self.unit_amount, "detail": self.detail, "source": self.source}


@dataclass
class Quote:
    """The fee of a dossier: its lines, the total, which quantities it depends on."""

    lines: list[Line] = field(default_factory=list)
    copies: int = 1
    pages: int = 1
    on: date | None = None

    @property
    def complete(self) -> bool:
        return all(line.amount is not None for line in self.lines)

    @property
    def total(self) -> int | None:
        return sum(line.amount for line in self.lines) if self.complete else None

    @property
    def needs(self) -> set[str]:
        kinds = {line.rule.get("kind") for line in self.lines}
        return ({"copies"} if kinds & {"per_copy", "per_page"} else set()) | ({"pages"} if "per_page" in kinds
                                                                               else set())

    def as_dict(self) -> dict:
        return {"total": self.total, "complete": self.complete, "copies": self.copies, "pages": self.pages,
                "on": self.on.isoformat() if self.on else None, "needs": sorted(self.needs),
                "lines": [line.as_dict() for line in self.lines]}


def _vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đồng"


def amount_on(rule: dict, on: date) -> tuple[int | None, str]:
    """The rule's (unit) amount on ``on`` and why, taking temporary periods into account."""
    for period in rule.get("periods", ()):
        if date.fromisoformat(period["from"]) <= on <= date.fromisoformat(period["to"]):
            start = date.fromisoformat(period["from"]).strftime("%d/%m/%Y")
            end = date.fromisoformat(period["to"]).strftime("%d/%m/%Y")
            if period.get("free"):
                return 0, f"miễn từ {start} đến {end}"
            return period["amount"], f"mức thu {_vnd(period['amount'])} từ {start} đến {end}"
    return rule.get("amount"), ""


def page_price(rule: dict, unit: int, pages: int) -> int:
    """The price of one copy of ``pages`` pages under a ``per_page`` rule (tiers, then the cap per copy)."""
    total = 0
    tiers = sorted(rule.get("tiers", ()), key=lambda t: t["from_page"])
    for page in range(1, pages + 1):
        price = unit
        for tier in tiers:
            if page >= tier["from_page"]:
                price = tier["amount"]
        total += price
    cap = rule.get("max_per_copy")
    return min(total, cap) if cap is not None else total


def compute(rule: dict, *, on: date, copies: int = 1, pages: int = 1, label: str = "",
            source: str = "text") -> Line:
    """One fee line: the rule applied to the quantities on a day."""
    kind = rule["kind"]
    label = rule.get("label") or label or KIND_LABELS[kind]
    if kind == "manual":
        return Line(label, rule, None, detail=rule.get("note", ""), source=source)
    if kind == "free":
        return Line(label, rule, 0, 0, "miễn phí", source=source)
    unit, why = amount_on(rule, on)
    if kind == "fixed":
        return Line(label, rule, unit, unit, why, source=source)
    if kind == "per_copy":
        detail = f"{_vnd(unit)}/{rule.get('unit') or 'bản'} × {copies}"
        return Line(label, rule, unit * copies, unit, f"{detail}{'; ' + why if why else ''}", source=source)
    per_copy = page_price(rule, unit, pages) if unit else 0
    detail = f"{pages} trang/bản × {copies} bản = {_vnd(per_copy)}/bản × {copies}"
    return Line(label, rule, per_copy * copies, unit, f"{detail}{'; ' + why if why else ''}", source=source)


def check_quantities(copies, pages) -> tuple[int, int]:
    try:
        copies, pages = int(copies), int(pages)
    except (TypeError, ValueError) as exc:
        raise RuleError("Số bản và số trang phải là số nguyên.") from exc
    if not 1 <= copies <= MAX_QUANTITY or not 1 <= pages <= MAX_QUANTITY:
        raise RuleError(f"Số bản và số trang phải từ 1 đến {MAX_QUANTITY}.")
    return copies, pages


def quote_lines(fees: list[tuple[str, dict, str]], *, on: date, copies: int = 1, pages: int = 1) -> Quote:
    """A quote from (label, rule, source) triples."""
    copies, pages = check_quantities(copies, pages)
    quote = Quote(copies=copies, pages=pages, on=on)
    for label, rule, source in fees:
        quote.lines.append(compute(rule, on=on, copies=copies, pages=pages, label=label, source=source))
    return quote


def fee_label(text: str) -> str:
    """A short label for a fee line from the catalogue's text: its first clause, or "Phí, lệ phí"."""
    text = " ".join(_nfc(text).split()).strip(" ()-+*•:;.")
    head = re.split(r"[:;(]|\s-\s|\d", text, maxsplit=1)[0].strip(" ,.")
    if len(head) < 4 or not re.match(r"(phí|lệ\s+phí|giá|chi\s+phí)\b", head, re.IGNORECASE):
        return "Phí, lệ phí"
    return head if len(head) <= 80 else head[:80].rsplit(" ", 1)[0] + "…"


def rules_of_channel(channel) -> list[tuple[str, dict, str]]:
    """(label, rule, source) for each fee line of a catalogue channel: the saved rule, else the parsed text."""
    lines = []
    for fee in channel.fees.select_related("payment_rule"):
        saved = getattr(fee, "payment_rule", None)
        if saved is not None and saved.is_active:
            lines.append((fee_label(fee.text), saved.rule, "rule"))
        else:
            lines.append((fee_label(fee.text), rule_from_text(fee.amount, fee.text, fee.currency), "text"))
    return lines


def quote_channel(channel, *, on: date, copies: int = 1, pages: int = 1) -> Quote:
    """The fee of a dossier filed through ``channel`` on ``on`` (no fee lines: nothing to pay)."""
    return quote_lines(rules_of_channel(channel), on=on, copies=copies, pages=pages)


# --- amounts in words (for receipts) ------------------------------------------------------------------------------

_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_SCALES = ("", "nghìn", "triệu", "tỷ", "nghìn tỷ", "triệu tỷ")


def _three(n: int, full: bool) -> str:
    """Read 0 < n < 1000; ``full`` reads the hundreds even when zero ("không trăm lẻ năm")."""
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    words = []
    if hundreds or full:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append("lẻ")
    elif tens == 1:
        words.append("mười")
    else:
        words += [_DIGITS[tens], "mươi"]
    if units:
        if units == 1 and tens >= 2:
            words.append("mốt")
        elif units == 4 and tens >= 2:
            words.append("tư")
        elif units == 5 and tens >= 1:
            words.append("lăm")
        else:
            words.append(_DIGITS[units])
    return " ".join(words)


def amount_in_words(amount: int) -> str:
    """``2500000`` → ``Hai triệu năm trăm nghìn đồng`` (the "bằng chữ" line of a receipt)."""
    if amount < 0:
        raise ValueError("amount must not be negative")
    if amount == 0:
        return "Không đồng"
    groups = []
    n = amount
    while n:
        groups.append(n % 1000)
        n //= 1000
    if len(groups) > len(_SCALES):
        raise ValueError("amount too large")
    words = []
    top = len(groups) - 1
    for index in range(top, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        part = _three(group, full=index != top)
        words.append(f"{part} {_SCALES[index]}".strip())
    text = " ".join(words)
    return text[0].upper() + text[1:] + " đồng"
