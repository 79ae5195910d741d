"""The number and the issue date written into a digitally signed document at issue (NĐ 30/2020, Điều 15, Phụ lục I).

The competent person signs before the document has a number: the clerk's system gives it at issue, writes
"Số: 12/QĐ-UBND" and "Lạng Sơn, ngày 23 tháng 11 năm 2026" into the PDF, then applies the agency's seal signature over
it. The person's signature must stay valid, so the writing has to be a change that PDF signature validators accept
after an approval signature. pyHanko's difference analysis (its ``StandardDiffPolicy``) accepts form filling
(``ModificationLevel.FORM_FILLING``: new values and appearances of existing fields, new signature fields) and rejects
anything else: new page content, and also new annotations such as a FreeText note (tried: the person's signature is
then reported as modified, "thay đổi khác"). Hence:

1. **Before the personal signature** (``add_fields``, in the same incremental update as that signature, so covered by
   it): two hidden, read-only, empty text fields, ``SoKyHieu`` over the draft's "Số: …/QĐ-UBND" line and
   ``NgayBanHanh`` over its "…, ngày … tháng … năm …" line on page 1. The lines are found with ``layout``'s text reader;
   a field over a line is centred (``/Q 1``) with a white background (``/MK /BG``) that hides the draft's blank line. A
   draft without those lines gets the fields in the top margin at the right (``/Q 2``, no background), like the
   attachment stamp of Phụ lục I.
2. **At issue** (``fill_fields`` via ``write_number``, one incremental update): each field receives its value and an
   appearance written with an embedded Liberation Serif subset (Times New Roman metrics; the date in italics, as
   Phụ lục I prescribes), and is made visible. Then the agency signs (``services.sign_pdf(kind="agency")``): its
   signature covers the number.

The person's signature then validates with "form filling" after it (pyHanko; Acrobat's rule for approval signatures
is the same); poppler's ``pdfsig`` checks signatures byte by byte and reports it valid, not covering the whole file.
The values are also machine-readable (the fields' ``/V``). A document signed without the fields (before this
existed, or elsewhere) cannot receive them later without invalidating the signature: ``write_number`` then returns
``None`` and the number stays in the platform's register only.
"""

import io
import re
from dataclasses import dataclass, replace
from datetime import date

from django.conf import settings
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

from tinhso.core.errors import DomainError

from . import images, layout
from .textstamp import EmbeddedFont

NUMBER_FIELD = "SoKyHieu"
DATE_FIELD = "NgayBanHanh"
FIELDS = (NUMBER_FIELD, DATE_FIELD)
LABELS = {NUMBER_FIELD: "Số, ký hiệu văn bản", DATE_FIELD: "Địa danh và thời gian ban hành văn bản"}

#: A field over a line spans this much below and above the baseline (in font sizes): descenders, dots below,
#: stacked Vietnamese accents.
BELOW, ABOVE = 0.28, 0.95
#: Room left and right of the draft's line for the longer filled text (in font sizes), before the size is reduced.
SIDE_ROOM = {NUMBER_FIELD: 1.5, DATE_FIELD: 2.0}
#: Runs on one baseline closer than this (in font sizes) belong to one line ("Số:" and "/QĐ-UBND" apart by blanks).
JOIN_GAP = 3.0
DEFAULT_SIZE = 13.0
MARGIN_SIZE = 11.0
MARGIN_MM = (15.0, 8.0, 110.0)  # right, top, width

_NUMBER_LINE = re.compile(r"^số\s*:")
_DATE_LINE = re.compile(r"ngày\b.*\btháng\b.*\bnăm\b")
_SIZE_IN_DA = re.compile(r"([0-9.]+)\s+Tf")
_NAME = generic.NameObject
_UNIT_PREFIXES = ("thành phố", "tỉnh", "đặc khu", "phường", "thị trấn", "xã", "quận", "huyện", "thị xã")


@dataclass(frozen=True)
class Place:
    """Where a field goes: its box, font size, alignment (``/Q``: 1 centred, 2 right) and whether it hides what is
    under it (white background)."""

    box: layout.Box
    size: float
    align: int
    cover: bool


# ---------------------------------------------------------------------------------------------------------------
# Texts
# ---------------------------------------------------------------------------------------------------------------

def number_line(notation: str) -> str:
    """``Số: 12/QĐ-UBND``."""
    return f"Số: {notation.strip()}"


def date_line(place: str, day: date) -> str:
    """``Lạng Sơn, ngày 05 tháng 02 năm 2026``: days below 10 and the months 1 and 2 with a leading zero
    (Phụ lục I)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    text = f"ngày {day.day:02d} tháng {month} năm {day.year}"
    return f"{place.strip()}, {text}" if place.strip() else text[0].upper() + text[1:]


def _short_place(unit_name: str) -> str:
    """"Tỉnh Lạng Sơn" → "Lạng Sơn", "Xã Hữu Lũng" → "Hữu Lũng"; "Phường 1" stays whole (named by a number)."""
    name = " ".join(unit_name.split())
    lowered = name.casefold()
    for prefix in _UNIT_PREFIXES:
        if lowered.startswith(prefix + " "):
            rest = name[len(prefix) + 1:].strip()
            return name if not rest or rest[0].isdigit() else rest
    return name


def place_name(agency) -> str:
    """The place written before the issue date (địa danh): ``TINHSO["DOCUMENT_PLACE_NAMES"][agency code]`` if set,
    else ``TINHSO["DOCUMENT_PLACE_NAME"]``, else the name of the administrative unit the agency (or the nearest agency
    above it) serves without its "Tỉnh"/"Xã"… prefix ("Lạng Sơn"). Units named after a person keep their full name by
    NĐ 30: set those in ``DOCUMENT_PLACE_NAMES``."""
    conf = getattr(settings, "TINHSO", {}) or {}
    names = conf.get("DOCUMENT_PLACE_NAMES") or {}
    node = agency
    while node is not None:
        if node.code in names:
            return str(names[node.code])
        node = node.parent if node.parent_id else None
    if conf.get("DOCUMENT_PLACE_NAME"):
        return str(conf["DOCUMENT_PLACE_NAME"])
    node = agency
    while node is not None:
        if node.unit_id:
            return _short_place(node.unit.name)
        node = node.parent if node.parent_id else None
    return ""


# ---------------------------------------------------------------------------------------------------------------
# Where: the draft's own lines on page 1, else the top margin
# ---------------------------------------------------------------------------------------------------------------

def _clusters(lines: list[layout.TextLine]) -> list[layout.TextLine]:
    """Lines on one baseline joined when close (a blank typed as a gap splits "Số:" from "/QĐ-UBND")."""
    rows: list[list[layout.TextLine]] = []
    for line in sorted(lines, key=lambda ln: (-ln.baseline, ln.x0)):
        if rows and abs(rows[-1][0].baseline - line.baseline) < 0.25 * max(line.size, 1.0):
            rows[-1].append(line)
        else:
            rows.append([line])
    out = []
    for row in rows:
        group = [sorted(row, key=lambda ln: ln.x0)[0]]
        for line in sorted(row, key=lambda ln: ln.x0)[1:]:
            last = group[-1]
            if line.x0 - last.x1 < JOIN_GAP * max(last.size, line.size):
                group[-1] = layout.TextLine(f"{last.text} {line.text}", last.x0, max(last.x1, line.x1),
                                            last.baseline, max(last.size, line.size))
            else:
                group.append(line)
        out += group
    return out


def _over(line: layout.TextLine, field: str) -> Place:
    room = SIDE_ROOM[field] * line.size
    box = layout.Box(0, line.x0 - room, line.baseline - BELOW * line.size, line.x1 + room,
                     line.baseline + ABOVE * line.size)
    return Place(box, line.size, 1, True)


def _in_margin(reader: PdfFileReader, row: int) -> Place:
    page_ref, _resources = reader.find_page_for_modification(0)
    node = page_ref.get_object()
    while "/MediaBox" not in node and "/Parent" in node:  # inheritable page attribute
        node = node["/Parent"].get_object()
    _x0, _y0, x1, y1 = (float(v) for v in node.get("/MediaBox", [0, 0, 595.28, 841.89]))
    right, top, width = (v * layout.MM for v in MARGIN_MM)
    size = MARGIN_SIZE
    baseline = y1 - top - ABOVE * size - row * 1.25 * size
    box = layout.Box(0, x1 - right - width, baseline - BELOW * size, x1 - right, baseline + ABOVE * size)
    return Place(box, size, 2, False)


def find_places(reader: PdfFileReader) -> dict[str, Place]:
    """The number's and the date's places on page 1: over the draft's topmost "Số: …" line and "…, ngày … tháng …
    năm …" line, else in the top margin at the right. Two fields over lines of one row never overlap."""
    try:
        lines = _clusters(layout.text_lines(reader, 0))
    except Exception:  # noqa: BLE001 - an unreadable page: the margin still takes the fields
        lines = []
    found: dict[str, layout.TextLine] = {}
    for line in lines:  # top to bottom
        text = layout.normalise(line.text)
        if NUMBER_FIELD not in found and _NUMBER_LINE.match(text):
            found[NUMBER_FIELD] = line
        elif DATE_FIELD not in found and _DATE_LINE.search(text):
            found[DATE_FIELD] = line
    places = {name: _over(found[name], name) if name in found else _in_margin(reader, row)
              for row, name in enumerate(FIELDS)}
    if len(found) == 2:
        (left_name, left), (right_name, right) = sorted(found.items(), key=lambda item: item[1].x0)
        a, b = places[left_name].box, places[right_name].box
        if a.y0 < b.y1 and b.y0 < a.y1 and a.x1 > b.x0 - 2:  # widened boxes on one row meet: share the gap
            middle = (left.x1 + right.x0) / 2
            places[left_name] = replace(places[left_name], box=replace(a, x1=max(left.x1, middle - 1)))
            places[right_name] = replace(places[right_name], box=replace(b, x0=min(right.x0, middle + 1)))
    return places


# ---------------------------------------------------------------------------------------------------------------
# Before the personal signature: the empty fields
# ---------------------------------------------------------------------------------------------------------------

def _acroform_fields(writer: IncrementalPdfFileWriter) -> generic.ArrayObject:
    root = writer.root
    if "/AcroForm" not in root:
        form = generic.DictionaryObject({_NAME("/Fields"): generic.ArrayObject()})
        root[_NAME("/AcroForm")] = writer.add_object(form)
        writer.update_root()
    form = root["/AcroForm"]
    if "/Fields" not in form:
        form[_NAME("/Fields")] = generic.ArrayObject()
        writer.update_container(form)
    if "/DR" not in form:  # the font the /DA strings name (viewers only use it if they rebuild an appearance)
        form[_NAME("/DR")] = generic.DictionaryObject({_NAME("/Font"): generic.DictionaryObject({
            _NAME("/Helv"): generic.DictionaryObject({
                _NAME("/Type"): _NAME("/Font"), _NAME("/Subtype"): _NAME("/Type1"),
                _NAME("/BaseFont"): _NAME("/Helvetica"), _NAME("/Encoding"): _NAME("/WinAnsiEncoding")}),
        })})
        writer.update_container(form)
    return form["/Fields"]


def _field_names(handler) -> dict[str, generic.IndirectObject]:
    try:
        fields = handler.root["/AcroForm"]["/Fields"]
    except KeyError:
        return {}
    out = {}
    for ref in fields:
        if isinstance(ref, generic.IndirectObject):
            name = ref.get_object().get("/T")
            if name is not None:
                out[str(name)] = ref
    return out


def add_fields(writer: IncrementalPdfFileWriter) -> dict[str, Place]:
    """Add the hidden, read-only, empty number and date fields to ``writer`` (call it before the personal signature,
    with the writer that signature is made with). Fields already there are kept as they are; a document that is
    already signed gets none (new fields after a signature are not form filling: that signature would fail)."""
    existing = _field_names(writer)
    if all(name in existing for name in FIELDS) or any(True for _ in writer.prev.embedded_signatures):
        return {}
    places = find_places(writer.prev)
    fields = _acroform_fields(writer)
    page_ref, _resources = writer.find_page_for_modification(0)
    for name, place in places.items():
        if name in existing:
            continue
        b = place.box
        blank = generic.StreamObject({
            _NAME("/Type"): _NAME("/XObject"), _NAME("/Subtype"): _NAME("/Form"),
            _NAME("/BBox"): generic.ArrayObject(generic.FloatObject(v) for v in (0, 0, b.width, b.height)),
        }, stream_data=b"")
        entries = {
            "/Type": _NAME("/Annot"), "/Subtype": _NAME("/Widget"), "/FT": _NAME("/Tx"),
            "/T": generic.TextStringObject(name), "/TU": generic.TextStringObject(LABELS[name]),
            "/Ff": generic.NumberObject(1),  # read-only
            "/F": generic.NumberObject(2 | 4),  # hidden until filled (then printed)
            "/Rect": generic.ArrayObject(generic.FloatObject(round(v, 2)) for v in (b.x0, b.y0, b.x1, b.y1)),
            "/P": page_ref, "/DA": generic.TextStringObject(f"/Helv {place.size:g} Tf 0 g"),
            "/Q": generic.NumberObject(place.align), "/V": generic.TextStringObject(""),
            "/AP": generic.DictionaryObject({_NAME("/N"): writer.add_object(blank)}),
        }
        if place.cover:
            entries["/MK"] = generic.DictionaryObject({_NAME("/BG"): generic.ArrayObject([generic.FloatObject(1)])})
        ref = writer.add_object(generic.DictionaryObject({_NAME(k): v for k, v in entries.items()}))
        writer.register_annotation(page_ref, ref)
        fields.append(ref)
        writer.update_container(fields)
    return places


def has_fields(pdf_bytes: bytes) -> bool:
    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        return all(name in _field_names(reader) for name in FIELDS)
    except Exception:  # noqa: BLE001 - an unreadable file has no fields
        return False


# ---------------------------------------------------------------------------------------------------------------
# At issue: the values and their appearance
# ---------------------------------------------------------------------------------------------------------------

def _appearance(writer: IncrementalPdfFileWriter, field: generic.DictionaryObject, text: str,
                italic: bool) -> generic.IndirectObject:
    x0, y0, x1, y1 = (float(v) for v in field["/Rect"])
    width, height = x1 - x0, y1 - y0
    match = _SIZE_IN_DA.search(str(field.get("/DA", "")))
    size = float(match.group(1)) if match and float(match.group(1)) > 0 else DEFAULT_SIZE
    path = images.find_font("LiberationSerif-Italic.ttf", "DejaVuSerif-Italic.ttf") if italic else \
        images.serif_font()
    font = EmbeddedFont(path, size)
    codes, text_width = font.encode(text)
    if text_width > width - 2:  # longer than the room left for it: a smaller size, never outside the box
        size = size * (width - 2) / text_width
        text_width = width - 2
    align = int(field.get("/Q", 0))
    x = (width - text_width) / 2 if align == 1 else (width - text_width - 1 if align == 2 else 1.0)
    baseline = height * BELOW / (BELOW + ABOVE)
    parts = [b"/Tx BMC"]
    background = field.get("/MK", generic.DictionaryObject()).get("/BG")
    if background is not None and len(background) == 1:
        parts.append(b"q %.3f g 0 0 %.2f %.2f re f Q" % (float(background[0]), width, height))
    parts.append(b"q BT 0 g /F1 %.2f Tf %.2f %.2f Td <%s> Tj ET Q" % (size, x, baseline, codes.hex().encode()))
    parts.append(b"EMC")
    stream = generic.StreamObject({
        _NAME("/Type"): _NAME("/XObject"), _NAME("/Subtype"): _NAME("/Form"),
        _NAME("/BBox"): generic.ArrayObject(generic.FloatObject(round(v, 2)) for v in (0, 0, width, height)),
        _NAME("/Resources"): generic.DictionaryObject({
            _NAME("/Font"): generic.DictionaryObject({_NAME("/F1"): font.write(writer)})}),
    }, stream_data=b"\n".join(parts))
    stream.compress()
    return writer.add_object(stream)


def fill_fields(pdf_bytes: bytes, values: dict[str, str]) -> bytes:
    """``pdf_bytes`` plus one incremental update giving each named field its value and appearance and making it
    visible. Raises ``DomainError("number_fields_missing")`` when a field is not in the document."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
    existing = _field_names(writer)
    missing = [name for name in values if name not in existing]
    if missing:
        raise DomainError("number_fields_missing", "Văn bản không có chỗ dành cho số, ký hiệu và ngày ban hành "
                                                   f"({', '.join(missing)}).")
    for name, text in values.items():
        ref = existing[name]
        field = ref.get_object()
        field[_NAME("/V")] = generic.TextStringObject(text)
        field[_NAME("/AP")] = generic.DictionaryObject(
            {_NAME("/N"): _appearance(writer, field, text, italic=name == DATE_FIELD)})
        field[_NAME("/F")] = generic.NumberObject(4)  # printed, no longer hidden
        writer.mark_update(ref)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def write_number(pdf_bytes: bytes, *, notation: str, issued_on: date, place: str = "") -> bytes | None:
    """The document with "Số: <notation>" and "<place>, ngày … tháng … năm …" written in its fields (one incremental
    update), or ``None`` when it was signed without them."""
    if not has_fields(pdf_bytes):
        return None
    return fill_fields(pdf_bytes, {NUMBER_FIELD: number_line(notation), DATE_FIELD: date_line(place, issued_on)})


def field_values(pdf_bytes: bytes) -> dict[str, str]:
    """The number and date fields' values (empty before issue)."""
    reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
    return {name: str(ref.get_object().get("/V", "")) for name, ref in _field_names(reader).items()
            if name in FIELDS}
