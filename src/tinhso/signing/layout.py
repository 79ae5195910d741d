"""Where the signature images go: find the signer's title line and name line on the page (NĐ 30/2020 Phụ lục I).

A small reader of page content streams: it follows the graphics and text state (``cm``, ``q``/``Q``, ``Tm``, ``Td``…),
decodes shown strings through each font's ToUnicode map and measures them with the font's glyph widths, so each text
run is known with its start, end and baseline, without rendering the page. (pypdf's text extraction gives the same
text but takes tens of milliseconds a page; this takes about one.) Coordinates are PDF user space in points, origin
bottom left, of the page's default coordinate system.
"""

import re
import struct
import unicodedata
from dataclasses import dataclass

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from tinhso.core.errors import DomainError

MM = 72 / 25.4


@dataclass(frozen=True)
class TextLine:
    text: str
    x0: float
    x1: float
    baseline: float
    size: float

    @property
    def centre(self) -> float:
        return (self.x0 + self.x1) / 2


@dataclass(frozen=True)
class Box:
    page: int
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def as_tuple(self) -> tuple[int, int, int, int]:
        return round(self.x0), round(self.y0), round(self.x1), round(self.y1)


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip().casefold()


# ---------------------------------------------------------------------------------------------------------------
# Fonts: code → text, code → width
# ---------------------------------------------------------------------------------------------------------------

_HEX = re.compile(rb"<([0-9A-Fa-f\s]*)>")


def _hex_bytes(token: bytes) -> bytes:
    try:
        return bytes.fromhex(token.decode("latin-1"))  # skips whitespace itself
    except ValueError:  # an odd number of digits: the last one is followed by an implicit 0
        digits = re.sub(rb"[^0-9A-Fa-f]", b"", token)
        return bytes.fromhex((digits + b"0").decode("latin-1"))


def _utf16(data: bytes) -> str:
    return data.decode("utf-16-be", errors="replace")


class _Font:
    def __init__(self, font):
        self._font = font = font.get_object() if font is not None else generic.DictionaryObject()
        self.two_byte = font.get("/Subtype") == "/Type0"
        self._widths: dict[int, float] | None = None  # read on first use: only measured lines need them
        self.default_width = 500.0
        self.to_unicode: dict[int, str] = {}
        if "/ToUnicode" in font:
            try:
                self._parse_cmap(font["/ToUnicode"].get_object().data)
            except Exception:  # noqa: BLE001 - an unreadable map only means this font's text is not matched
                self.to_unicode = {}

    def _load_widths(self) -> dict[int, float]:
        font, widths = self._font, {}
        if self.two_byte:
            descendant = font["/DescendantFonts"][0].get_object()
            self.default_width = float(descendant.get("/DW", 1000))
            w = descendant.get("/W", generic.ArrayObject())
            i = 0
            while i + 1 < len(w):
                first, nxt = int(w[i]), w[i + 1]
                if isinstance(nxt, generic.IndirectObject):
                    nxt = nxt.get_object()
                if isinstance(nxt, list):
                    for k, width in enumerate(nxt):
                        widths[first + k] = float(width)
                    i += 2
                else:
                    for code in range(first, int(nxt) + 1):
                        widths[code] = float(w[i + 2])
                    i += 3
        else:
            first = int(font.get("/FirstChar", 0))
            for k, width in enumerate(font.get("/Widths", generic.ArrayObject())):
                widths[first + k] = float(width)
            descriptor = font.get("/FontDescriptor")
            if descriptor is not None:
                self.default_width = float(descriptor.get_object().get("/MissingWidth", 0) or 500)
        return widths

    def _parse_cmap(self, data: bytes) -> None:
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
            pairs = _HEX.findall(block)
            for src, dst in zip(pairs[::2], pairs[1::2], strict=False):
                self.to_unicode[int.from_bytes(_hex_bytes(src), "big")] = _utf16(_hex_bytes(dst))
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
            for m in re.finditer(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(\[[^\]]*\]|<[0-9A-Fa-f]+>)", block):
                lo, hi = int(m.group(1), 16), int(m.group(2), 16)
                if m.group(3).startswith(b"["):
                    for k, dst in enumerate(_HEX.findall(m.group(3))):
                        self.to_unicode[lo + k] = _utf16(_hex_bytes(dst))
                else:
                    base = _hex_bytes(m.group(3))
                    start = int.from_bytes(base, "big")
                    for k in range(hi - lo + 1):
                        self.to_unicode[lo + k] = _utf16((start + k).to_bytes(len(base), "big"))

    def codes(self, data: bytes) -> tuple[int, ...] | bytes:
        if self.two_byte:
            return struct.unpack(f">{len(data) // 2}H", data[: len(data) // 2 * 2])
        return data

    def text(self, codes) -> str:
        if self.to_unicode:
            get = self.to_unicode.get
            return "".join([get(c, "") for c in codes])
        if self.two_byte:
            return ""
        return bytes(codes).decode("cp1252", errors="replace")

    def width(self, code: int) -> float:
        if self._widths is None:
            self._widths = self._load_widths()
        return self._widths.get(code, self.default_width) / 1000


# ---------------------------------------------------------------------------------------------------------------
# Content streams
# ---------------------------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    rb"(?P<ws>[\x00\t\n\x0c\r ]+|%[^\r\n]*)"
    rb"|(?P<name>/[^\x00\t\n\x0c\r ()<>\[\]{}/%]*)"
    rb"|(?P<num>[+-]?(?:\d+\.?\d*|\.\d+))"
    rb"|(?P<dict><<|>>)"
    rb"|(?P<hex><[0-9A-Fa-f\x00\t\n\x0c\r ]*>)"
    rb"|(?P<arr>[\[\]])"
    rb"|(?P<lit>\()"
    rb"|(?P<op>[A-Za-z'\"*][A-Za-z0-9'\"*]*)"
    rb"|(?P<other>.)",
    re.S,
)
_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f"}


def _literal(data: bytes, pos: int) -> tuple[bytes, int]:
    """A literal string starting after its opening parenthesis at ``pos``; returns (bytes, position after it)."""
    out = bytearray()
    depth = 1
    n = len(data)
    while pos < n:
        ch = data[pos]
        if ch == 0x5C:  # backslash
            pos += 1
            if pos >= n:
                break
            esc = data[pos]
            if esc in _ESCAPES:
                out += _ESCAPES[esc]
            elif 0x30 <= esc <= 0x37:
                m = re.match(rb"[0-7]{1,3}", data[pos:pos + 3])
                out.append(int(m.group(0), 8) & 0xFF)
                pos += len(m.group(0)) - 1
            elif esc in (0x0D, 0x0A):
                if esc == 0x0D and pos + 1 < n and data[pos + 1] == 0x0A:
                    pos += 1
            else:
                out.append(esc)
        elif ch == 0x28:
            depth += 1
            out.append(ch)
        elif ch == 0x29:
            depth -= 1
            if depth == 0:
                return bytes(out), pos + 1
            out.append(ch)
        else:
            out.append(ch)
        pos += 1
    return bytes(out), pos


def _operations(data: bytes):
    """(operator, operands) pairs of a content stream; strings are bytes, arrays lists, dictionaries skipped."""
    stack: list = []
    arrays: list[list] = []
    dict_depth = 0
    pos, n = 0, len(data)
    while pos < n:
        m = _TOKEN.match(data, pos)
        pos = m.end()
        kind = m.lastgroup
        if kind == "ws" or kind == "other":
            continue
        if kind == "dict":
            dict_depth += 1 if m.group() == b"<<" else -1
            continue
        if kind == "lit":
            value, pos = _literal(data, pos)
        elif kind == "hex":
            value = _hex_bytes(m.group()[1:-1])
        elif kind == "num":
            value = float(m.group())
        elif kind == "name":
            value = m.group().decode("latin-1")
        elif kind == "arr":
            if m.group() == b"[":
                arrays.append([])
            elif arrays:
                value = arrays.pop()
                (arrays[-1] if arrays else stack).append(value)
            continue
        else:  # operator
            if dict_depth or arrays:
                continue
            op = m.group()
            if op == b"BI":  # inline image: skip its data up to EI
                end = re.compile(rb"\sEI(?=[\x00\t\n\x0c\r ]|$)").search(data, pos)
                pos = end.end() if end else n
                stack = []
                continue
            yield op, stack
            stack = []
            continue
        if dict_depth:
            continue
        (arrays[-1] if arrays else stack).append(value)


def _mul(m1, m2):
    a1, b1, c1, d1, e1, f1 = m1
    a2, b2, c2, d2, e2, f2 = m2
    return (a1 * a2 + b1 * c2, a1 * b2 + b1 * d2, c1 * a2 + d1 * c2, c1 * b2 + d1 * d2,
            e1 * a2 + f1 * c2 + e2, e1 * b2 + f1 * d2 + f2)


def _point(m, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


_IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _page_count(reader: PdfFileReader) -> int:
    return int(reader.root["/Pages"]["/Count"])


def _page_content(reader: PdfFileReader, page_index: int) -> tuple[bytes, generic.DictionaryObject]:
    page_ref, resources = reader.find_page_for_modification(page_index)
    contents = page_ref.get_object().get("/Contents")
    if contents is None:
        return b"", resources
    contents = contents.get_object()
    streams = contents if isinstance(contents, list) else [contents]
    return b"\n".join(s.get_object().data for s in streams), resources


class _Span:
    """One text-showing operation; its width (and so its end) is computed only when asked for."""

    __slots__ = ("text", "x0", "baseline", "size", "_measure", "_advance")

    def __init__(self, text: str, x0: float, baseline: float, size: float, measure):
        self.text, self.x0, self.baseline, self.size = text, x0, baseline, size
        self._measure, self._advance = measure, None

    @property
    def advance(self) -> float:
        """Advance in text space units (the width of the shown text before the text matrix)."""
        if self._advance is None:
            self._advance = self._measure()
        return self._advance

    @property
    def x1(self) -> float:
        return self._end()[0]

    def _end(self):
        return self._measure.end(self.advance)


class _Measure:
    """Everything needed to compute a span's width later, frozen at the time of the operation."""

    __slots__ = ("font", "items", "size", "tc", "tw", "tz", "matrix")

    def __init__(self, font: _Font, items, size, tc, tw, tz, matrix):
        self.font, self.items, self.size, self.tc, self.tw, self.tz, self.matrix = font, items, size, tc, tw, tz, matrix

    def __call__(self) -> float:
        advance = 0.0
        for item in self.items:
            if isinstance(item, bytes):
                for code in self.font.codes(item):
                    space = self.tw if not self.font.two_byte and code == 32 else 0.0
                    advance += (self.font.width(code) * self.size + self.tc + space) * self.tz
            elif isinstance(item, float):
                advance -= item / 1000 * self.size * self.tz
        return advance

    def end(self, advance: float) -> tuple[float, float]:
        return _point(self.matrix, advance, 0)


def text_spans(reader: PdfFileReader, page_index: int) -> list[_Span]:
    """Each text-showing operation of the page with its text, start, baseline and font size (points)."""
    data, resources = _page_content(reader, page_index)
    resources = resources.get_object() if resources is not None else generic.DictionaryObject()
    fonts_dict = resources.get("/Font", generic.DictionaryObject()).get_object()
    fonts: dict[str, _Font] = {}
    ctm, saved = _IDENTITY, []
    tm = tlm = _IDENTITY
    font, size, tc, tw, tz, leading = None, 0.0, 0.0, 0.0, 1.0, 0.0
    spans: list[_Span] = []
    pending: _Span | None = None  # the last show, whose advance moves the text matrix only if text follows directly

    def settle() -> None:
        nonlocal tm, pending
        if pending is not None:
            tm = _mul((1.0, 0.0, 0.0, 1.0, pending.advance, 0.0), tm)
            pending = None

    def show(items) -> None:
        nonlocal pending
        settle()
        if font is None:
            return
        matrix = _mul(tm, ctm)
        text = []
        for item in items:
            if isinstance(item, bytes):
                text.append(font.text(font.codes(item)))
            elif isinstance(item, float) and -item / 1000 > 0.2:  # a wide negative kern is a space in disguise
                text.append(" ")
        x0, y0 = _point(matrix, 0, 0)
        span = _Span("".join(text), x0, y0, size * (abs(matrix[3]) or 1.0),
                     _Measure(font, items, size, tc, tw, tz, matrix))
        pending = span
        if span.text.strip():
            spans.append(span)

    def moved() -> None:
        nonlocal pending
        pending = None  # the text matrix is set anew: the previous advance no longer matters

    for op, args in _operations(data):
        try:
            if op == b"q":
                saved.append(ctm)
            elif op == b"Q":
                ctm = saved.pop() if saved else _IDENTITY
            elif op == b"cm" and len(args) == 6:
                settle()
                ctm = _mul(tuple(args), ctm)
            elif op == b"BT":
                moved()
                tm = tlm = _IDENTITY
            elif op == b"Tf" and len(args) == 2:
                name = args[0]
                if name not in fonts:
                    fonts[name] = _Font(fonts_dict.get(name))
                font, size = fonts[name], float(args[1])
            elif op == b"Tm" and len(args) == 6:
                moved()
                tm = tlm = tuple(args)
            elif op in (b"Td", b"TD") and len(args) == 2:
                moved()
                if op == b"TD":
                    leading = -args[1]
                tm = tlm = _mul((1.0, 0.0, 0.0, 1.0, args[0], args[1]), tlm)
            elif op == b"T*":
                moved()
                tm = tlm = _mul((1.0, 0.0, 0.0, 1.0, 0.0, -leading), tlm)
            elif op == b"TL" and args:
                leading = args[0]
            elif op == b"Tc" and args:
                tc = args[0]
            elif op == b"Tw" and args:
                tw = args[0]
            elif op == b"Tz" and args:
                tz = args[0] / 100
            elif op == b"Tj" and args:
                show([args[-1]])
            elif op == b"TJ" and args:
                show(args[-1])
            elif op == b"'" and args:
                moved()
                tm = tlm = _mul((1.0, 0.0, 0.0, 1.0, 0.0, -leading), tlm)
                show([args[-1]])
            elif op == b'"' and len(args) == 3:
                moved()
                tw, tc = args[0], args[1]
                tm = tlm = _mul((1.0, 0.0, 0.0, 1.0, 0.0, -leading), tlm)
                show([args[2]])
        except (TypeError, ValueError, IndexError, KeyError):
            continue  # a malformed operation is skipped, as viewers do
    return spans


class _Line:
    def __init__(self, span: _Span):
        self.spans = [span]

    @property
    def text(self) -> str:
        out = self.spans[0].text
        for prev, span in zip(self.spans, self.spans[1:], strict=False):
            gap = span.x0 - prev.x1
            out += (" " if gap > 0.15 * span.size and not out.endswith(" ") else "") + span.text
        return out.strip()

    @property
    def x0(self) -> float:
        return self.spans[0].x0

    @property
    def x1(self) -> float:
        return self.spans[-1].x1

    @property
    def baseline(self) -> float:
        return self.spans[0].baseline

    @property
    def size(self) -> float:
        return self.spans[0].size

    def accepts(self, span: _Span, wanted: tuple[str, ...] | None = None) -> bool:
        last = self.spans[-1]
        if abs(last.baseline - span.baseline) >= 0.25 * span.size or span.x0 < last.x0:
            return False
        if wanted is not None:
            # Only runs that could form a wanted line are measured (fonts' widths are read lazily, and slowly).
            head = normalise(self.text)
            joined = (normalise(head + span.text), normalise(head + " " + span.text))
            if not any(w.startswith(j) for w in wanted for j in joined):
                return False
        return span.x0 - last.x1 < 0.6 * span.size

    def frozen(self) -> TextLine:
        return TextLine(self.text, self.x0, self.x1, self.baseline, self.size)


def _lines(reader: PdfFileReader, page_index: int, wanted: tuple[str, ...] | None = None) -> list[_Line]:
    lines: list[_Line] = []
    for span in text_spans(reader, page_index):
        if lines and lines[-1].accepts(span, wanted):
            lines[-1].spans.append(span)
        else:
            lines.append(_Line(span))
    return lines


def text_lines(reader: PdfFileReader, page_index: int) -> list[TextLine]:
    """The page's text lines (consecutive runs on one baseline joined) with their extent."""
    return [line.frozen() for line in _lines(reader, page_index)]


# ---------------------------------------------------------------------------------------------------------------
# The signature block
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SignatureBlock:
    page: int
    title: TextLine
    name: TextLine


def find_signature_block(reader: PdfFileReader, title: str, name: str) -> SignatureBlock:
    """The last place where the title's last line stands above the name, searching from the last page."""
    title_last = normalise(title.strip().splitlines()[-1]) if title.strip() else ""
    wanted_name = normalise(name)
    if not title_last or not wanted_name:
        raise DomainError("signature_position_missing", "Cần chức vụ và họ tên người ký để đặt chữ ký.")
    for page_index in range(_page_count(reader) - 1, -1, -1):
        lines = _lines(reader, page_index, (title_last, wanted_name))
        names = [ln for ln in lines if normalise(ln.text) == wanted_name]
        titles = [ln for ln in lines if normalise(ln.text) == title_last] if names else []
        for name_line in sorted(names, key=lambda ln: ln.baseline):
            above = [t for t in titles if name_line.baseline < t.baseline < name_line.baseline + 90 * MM
                     and t.x0 < name_line.x1 and name_line.x0 < t.x1]
            if above:
                return SignatureBlock(page_index, min(above, key=lambda t: t.baseline).frozen(), name_line.frozen())
    raise DomainError(
        "signature_position_not_found",
        f"Không tìm thấy dòng chức vụ “{title.strip().splitlines()[-1]}” phía trên họ tên “{name}” trong văn bản.",
    )


def signature_box(block: SignatureBlock, image_size: tuple[float, float], *, max_height_mm: float = 20.0) -> Box:
    """The signer's image, centred between the title line and the name (Phụ lục I)."""
    top = block.title.baseline - 0.25 * block.title.size  # below the title's descenders
    bottom = block.name.baseline + 0.75 * block.name.size  # above the name's capitals
    height = min(max_height_mm * MM, max(top - bottom - 2 * MM, 8 * MM))
    width = height * image_size[0] / image_size[1]
    centre_x = (block.title.centre + block.name.centre) / 2
    centre_y = (top + bottom) / 2
    return Box(block.page, centre_x - width / 2, centre_y - height / 2, centre_x + width / 2, centre_y + height / 2)


def seal_box(signature: Box, diameter_mm: float) -> Box:
    """The seal at real size, covering about the left third of the signer's image, vertically centred on it."""
    d = diameter_mm * MM
    right = signature.x0 + signature.width / 3
    centre_y = (signature.y0 + signature.y1) / 2
    return Box(signature.page, right - d, centre_y - d / 2, right, centre_y + d / 2)


def signature_widget_box(reader: PdfFileReader, field_prefix: str) -> Box | None:
    """The widget rectangle of the last signature field whose name starts with ``field_prefix``."""
    from pyhanko.sign import fields

    wanted = [(name, ref) for name, _value, ref in fields.enumerate_sig_fields(reader) if name.startswith(field_prefix)]
    if not wanted:
        return None
    refs = {ref.idnum: ref for _name, ref in wanted}
    found = None
    for page_index in range(_page_count(reader)):
        page_ref, _resources = reader.find_page_for_modification(page_index)
        for annot in page_ref.get_object().get("/Annots", generic.ArrayObject()) or []:
            if isinstance(annot, generic.IndirectObject) and annot.idnum in refs:
                x0, y0, x1, y1 = (float(v) for v in annot.get_object()["/Rect"])
                if x1 > x0 and y1 > y0:
                    found = Box(page_index, x0, y0, x1, y1)
    return found
