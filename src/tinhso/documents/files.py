"""Files of documents: checked by the platform's upload checks (``core.uploads``: PDF or DOCX, by content), SHA-256,
and the text read from them for search. Pure functions (no database); ``services`` stores what they return.

Text: PDF pages through pypdf; DOCX paragraphs from ``word/document.xml`` read with zipfile and ElementTree, the
uncompressed size bounded first and any DOCTYPE refused (no entity can expand). A file whose text cannot be read is
still stored: its text is empty and the metadata remains searchable.
"""

import hashlib
import io
import logging
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree

from django.conf import settings

from tinhso.core import uploads

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
#: At most this much text is kept per file (a 300-page report is about 600 000 characters).
MAX_TEXT_CHARS = 400_000
DOCX_MAX_XML_BYTES = 30 * 1024 * 1024
PDF_MAX_PAGES = 500

PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


@dataclass
class StoredContent:
    name: str
    content_type: str
    size: int
    sha256: str
    content: bytes
    text: str


def max_bytes() -> int:
    conf = getattr(settings, "TINHSO", {}) or {}
    return int(conf.get("DOCUMENTS_MAX_BYTES", DEFAULT_MAX_BYTES))


def display_name(name: str) -> str:
    """The last path part of ``name``, without control or reserved characters."""
    base = unicodedata.normalize("NFC", str(name or "")).replace("\\", "/").rsplit("/", 1)[-1]
    return _UNSAFE_NAME.sub(" ", base).strip(" .")[:200] or "van-ban"


def clean_name(name: str, extension: str) -> str:
    """``display_name`` ending in ``.extension`` (the extension of the type found in the content)."""
    base = display_name(name)
    stem, dot, ext = base.rpartition(".")
    if not dot or ext.lower() != extension:
        stem = base
    return f"{stem[:190]}.{extension}"


def read_upload(upload) -> StoredContent:
    """Read and check an uploaded file (``name`` and ``read``) with the platform's upload checks (type by content,
    size, polyglots, encrypted or active PDFs, DOCX bombs and macros), PDF or DOCX only; raises ``DomainError`` with a
    Vietnamese message. Then read its text for search."""
    checked = uploads.check_upload(upload, allowed=(uploads.PDF, uploads.DOCX), max_bytes=max_bytes())
    kind = "pdf" if checked.content_type == PDF_TYPE else "docx"
    text = pdf_text(checked.content) if kind == "pdf" else docx_text(checked.content)
    return StoredContent(name=clean_name(checked.name, kind), content_type=checked.content_type, size=checked.size,
                         sha256=checked.sha256, content=checked.content, text=text)


def from_bytes(content: bytes, name: str, content_type: str) -> StoredContent:
    """A file the platform made itself (a signed PDF, an edXML package): no type check, text read when PDF."""
    text = pdf_text(content) if content_type == PDF_TYPE else ""
    return StoredContent(name=name, content_type=content_type, size=len(content),
                         sha256=hashlib.sha256(content).hexdigest(), content=content, text=text)


def _bounded(text: str) -> str:
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r"\n\s*\n+", "\n", text).strip()
    return text[:MAX_TEXT_CHARS]


def pdf_text(content: bytes) -> str:
    """The text of a PDF's pages (empty for a scan without a text layer, or a file pypdf cannot read)."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            return ""
        parts, total = [], 0
        for index, page in enumerate(reader.pages):
            if index >= PDF_MAX_PAGES or total > MAX_TEXT_CHARS:
                break
            chunk = page.extract_text() or ""
            parts.append(chunk)
            total += len(chunk)
    except Exception as exc:  # noqa: BLE001 - a broken PDF is stored, only its text is missing
        logger.info("PDF text not extracted: %s", exc)
        return ""
    return _bounded(unicodedata.normalize("NFC", "\n".join(parts)))


def docx_text(content: bytes) -> str:
    """The paragraphs of ``word/document.xml`` (tabs and line breaks kept as spaces)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            info = archive.getinfo("word/document.xml")
            if info.file_size > DOCX_MAX_XML_BYTES:
                return ""
            with archive.open(info) as handle:
                xml = handle.read(DOCX_MAX_XML_BYTES + 1)
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, RuntimeError) as exc:
        logger.info("DOCX text not extracted: %s", exc)
        return ""
    if len(xml) > DOCX_MAX_XML_BYTES or b"<!DOCTYPE" in xml[:4096].upper() or b"<!ENTITY" in xml:
        return ""
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError:
        return ""
    paragraphs = []
    for paragraph in root.iter(f"{_W}p"):
        pieces = []
        for node in paragraph.iter():
            if node.tag == f"{_W}t" and node.text:
                pieces.append(node.text)
            elif node.tag in (f"{_W}tab", f"{_W}br", f"{_W}cr"):
                pieces.append(" ")
        if pieces:
            paragraphs.append("".join(pieces))
    return _bounded(unicodedata.normalize("NFC", "\n".join(paragraphs)))
