"""Text stamped on a page before signing: the number and notation and the signing time on attachments (Phụ lục I).

Written with an embedded TrueType font (Liberation Serif: Times New Roman's metrics, with Vietnamese letters), as a
Type0 font with Identity-H encoding: glyph ids as character codes, a subset of the font holding only the glyphs used,
exact widths, and a ToUnicode map so the text can be searched and copied. Vietnamese letters are used precomposed
(NFC), so no shaping engine is needed.
"""

import functools
import hashlib
import io
import logging
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from tinhso.core.errors import DomainError

from . import images

_NAME = generic.NameObject
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)  # it reports every table it prunes at INFO


@dataclass(frozen=True)
class _FontFacts:
    path: str
    ps_name: str
    units_per_em: int
    cmap: dict[int, str]
    glyph_order: tuple[str, ...]
    gid_of: dict[str, int]
    advances: dict[str, int]
    bbox: tuple[int, int, int, int]
    ascent: int
    descent: int
    cap_height: int


@functools.lru_cache(maxsize=4)
def _facts(path: str) -> _FontFacts:
    from fontTools.ttLib import TTFont

    tt = TTFont(path)
    head, hhea = tt["head"], tt["hhea"]
    os2 = tt["OS/2"] if "OS/2" in tt else None
    name = tt["name"].getDebugName(6) or Path(path).stem
    return _FontFacts(
        path=path, ps_name=name.replace(" ", ""), units_per_em=head.unitsPerEm, cmap=dict(tt.getBestCmap()),
        glyph_order=tuple(tt.getGlyphOrder()), gid_of={g: i for i, g in enumerate(tt.getGlyphOrder())},
        advances={g: m[0] for g, m in tt["hmtx"].metrics.items()},
        bbox=(head.xMin, head.yMin, head.xMax, head.yMax), ascent=hhea.ascent, descent=hhea.descent,
        cap_height=getattr(os2, "sCapHeight", 0) or hhea.ascent,
    )


@functools.lru_cache(maxsize=32)
def _subset(path: str, glyph_ids: tuple[int, ...]) -> bytes:
    """A TrueType subset keeping glyph ids (so CID = GID), cached per set of glyphs."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.retain_gids = True
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.layout_features = []
    options.hinting = False
    options.drop_tables += ["FFTM", "DSIG"]
    tt = TTFont(path)
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(gids=list(glyph_ids))
    subsetter.subset(tt)
    out = io.BytesIO()
    tt.save(out)
    return out.getvalue()


class EmbeddedFont:
    """One font resource for a writer: glyph ids for text, widths in points, and the PDF objects when written."""

    def __init__(self, path: Path, size: float):
        self.facts = _facts(str(path))
        self.size = size
        self.used: dict[int, str] = {}

    def encode(self, text: str) -> tuple[bytes, float]:
        """The string of 2-byte glyph ids for ``text`` and its width in points."""
        facts = self.facts
        codes, width = bytearray(), 0.0
        for ch in unicodedata.normalize("NFC", text):
            glyph = facts.cmap.get(ord(ch))
            if glyph is None:
                raise DomainError("font_glyph_missing", f"Phông chữ không có ký tự “{ch}”.")
            gid = facts.gid_of[glyph]
            self.used[gid] = ch
            codes += gid.to_bytes(2, "big")
            width += facts.advances[glyph] * self.size / facts.units_per_em
        return bytes(codes), width

    def write(self, writer: IncrementalPdfFileWriter) -> generic.IndirectObject:
        facts = self.facts
        scale = 1000 / facts.units_per_em
        gids = tuple(sorted({0, *self.used}))
        data = _subset(facts.path, gids)
        tag = "".join(chr(65 + b % 26) for b in hashlib.sha256(data).digest()[:6])
        base_font = _NAME(f"/{tag}+{facts.ps_name}")
        font_file = generic.StreamObject({_NAME("/Length1"): generic.NumberObject(len(data))}, stream_data=data)
        font_file.compress()
        descriptor = generic.DictionaryObject({
            _NAME("/Type"): _NAME("/FontDescriptor"),
            _NAME("/FontName"): base_font,
            _NAME("/Flags"): generic.NumberObject(34),  # serif, non-symbolic
            _NAME("/FontBBox"): generic.ArrayObject(generic.NumberObject(round(v * scale)) for v in facts.bbox),
            _NAME("/ItalicAngle"): generic.NumberObject(0),
            _NAME("/Ascent"): generic.NumberObject(round(facts.ascent * scale)),
            _NAME("/Descent"): generic.NumberObject(round(facts.descent * scale)),
            _NAME("/CapHeight"): generic.NumberObject(round(facts.cap_height * scale)),
            _NAME("/StemV"): generic.NumberObject(80),
            _NAME("/FontFile2"): writer.add_object(font_file),
        })
        widths = generic.ArrayObject()
        for gid in gids:
            glyph = facts.glyph_order[gid]
            widths += [generic.NumberObject(gid),
                       generic.ArrayObject([generic.NumberObject(round(facts.advances[glyph] * scale))])]
        cid_font = generic.DictionaryObject({
            _NAME("/Type"): _NAME("/Font"),
            _NAME("/Subtype"): _NAME("/CIDFontType2"),
            _NAME("/BaseFont"): base_font,
            _NAME("/CIDSystemInfo"): generic.DictionaryObject({
                _NAME("/Registry"): generic.TextStringObject("Adobe"),
                _NAME("/Ordering"): generic.TextStringObject("Identity"),
                _NAME("/Supplement"): generic.NumberObject(0),
            }),
            _NAME("/FontDescriptor"): writer.add_object(descriptor),
            _NAME("/W"): widths,
            _NAME("/CIDToGIDMap"): _NAME("/Identity"),
        })
        to_unicode = generic.StreamObject(stream_data=self._to_unicode_cmap())
        to_unicode.compress()
        return writer.add_object(generic.DictionaryObject({
            _NAME("/Type"): _NAME("/Font"),
            _NAME("/Subtype"): _NAME("/Type0"),
            _NAME("/BaseFont"): base_font,
            _NAME("/Encoding"): _NAME("/Identity-H"),
            _NAME("/DescendantFonts"): generic.ArrayObject([writer.add_object(cid_font)]),
            _NAME("/ToUnicode"): writer.add_object(to_unicode),
        }))

    def _to_unicode_cmap(self) -> bytes:
        entries = [f"<{gid:04X}> <{ch.encode('utf-16-be').hex().upper()}>" for gid, ch in sorted(self.used.items())]
        lines = [
            "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
            "/CMapName /Adobe-Identity-UCS def", "/CMapType 2 def",
            "1 begincodespacerange", "<0000> <FFFF>", "endcodespacerange",
        ]
        for start in range(0, len(entries), 100):
            chunk = entries[start:start + 100]
            lines += [f"{len(chunk)} beginbfchar", *chunk, "endbfchar"]
        lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
        return "\n".join(lines).encode("ascii")


def stamp_top_right(writer: IncrementalPdfFileWriter, lines: list[str], *, size: float = 10.0,
                    margin_right: float = 42.52, margin_top: float = 22.68, page_index: int = 0) -> None:
    """Right-aligned ``lines`` in black at the top right of a page (margins in points, 15 mm and 8 mm by default)."""
    page_ref, _resources = writer.find_page_for_modification(page_index)
    node = page_ref.get_object()
    while "/MediaBox" not in node and "/Parent" in node:  # inheritable page attribute
        node = node["/Parent"].get_object()
    _x0, _y0, x1, y1 = (float(v) for v in node.get("/MediaBox", [0, 0, 595.28, 841.89]))
    font = EmbeddedFont(images.serif_font(), size)
    ascent = font.facts.ascent / font.facts.units_per_em * size
    leading = size * 1.2
    parts = [b"q 0 g BT"]
    y = y1 - margin_top - ascent
    for line in lines:
        codes, width = font.encode(line)
        x = x1 - margin_right - width
        parts.append(b"1 0 0 1 %.2f %.2f Tm /TinhSoStamp %g Tf <%s> Tj" % (x, y, size, codes.hex().encode()))
        y -= leading
    parts.append(b"ET Q")
    # The existing content is wrapped in q … Q so that a transformation it leaves behind cannot move the stamp.
    writer.add_stream_to_page(page_index, writer.add_object(generic.StreamObject(stream_data=b"q\n")), prepend=True)
    writer.add_stream_to_page(page_index, writer.add_object(generic.StreamObject(stream_data=b"\nQ\n")))
    resources = generic.DictionaryObject({
        _NAME("/Font"): generic.DictionaryObject({_NAME("/TinhSoStamp"): font.write(writer)}),
    })
    stream = generic.StreamObject(stream_data=b"\n".join(parts))
    stream.compress()
    writer.add_stream_to_page(page_index, writer.add_object(stream), resources)
