"""Checks on an uploaded file before it is stored (a dossier's papers, an official document's files).

The type is decided by the CONTENT (signature and structure), never by the file name or the content type the browser
sent: PDF, JPEG, PNG and DOCX only (a caller may allow fewer: official documents take PDF and DOCX). The name's
extension must agree with that type; the stored name is cleaned of path parts and control characters (Vietnamese
letters are kept) and ends with the right extension.

Limits come from ``settings.TINHSO``: ``UPLOAD_MAX_BYTES`` (10 MiB) and ``UPLOAD_MAX_FILES`` (30 per dossier). Each
refusal raises ``DomainError`` with a stable code and a Vietnamese message naming the file:

``file_empty``, ``file_too_large``, ``too_many_files``, ``file_type_not_allowed``, ``file_extension_mismatch``,
``pdf_encrypted``, ``pdf_broken``, ``pdf_active_content``, ``docx_invalid``, ``docx_zip_bomb``, ``docx_macro``,
``image_broken``.
"""

import hashlib
import io
import logging
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass

from django.conf import settings

from tinhso.core.errors import DomainError

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_FILES = 30
#: DOCX: refused when the declared uncompressed size exceeds this, or is more than ``DOCX_MAX_RATIO`` times the file.
DOCX_MAX_UNCOMPRESSED = 50 * 1024 * 1024
DOCX_MAX_RATIO = 100
#: Images: decoded in full to check them, so their size in pixels is bounded (an A4 page scanned at 600 dpi: 35 M).
IMAGE_MAX_PIXELS = 40_000_000
#: PDF: at most this many objects are inspected for active content (larger graphs are refused as broken).
PDF_MAX_OBJECTS = 200_000

PDF, JPEG, PNG, DOCX = "pdf", "jpeg", "png", "docx"
CONTENT_TYPES = {
    PDF: "application/pdf",
    JPEG: "image/jpeg",
    PNG: "image/png",
    DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
#: Accepted extensions per type; the first is the one added when a name has none.
EXTENSIONS = {PDF: ("pdf",), JPEG: ("jpg", "jpeg", "jpe"), PNG: ("png",), DOCX: ("docx",)}
LABELS = {PDF: "PDF", JPEG: "JPEG", PNG: "PNG", DOCX: "DOCX"}
ALL_KINDS = (PDF, JPEG, PNG, DOCX)


def allowed_text(kinds=ALL_KINDS) -> str:
    """("pdf", "docx") → "PDF hoặc DOCX"."""
    labels = [LABELS[k] for k in kinds]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " hoặc " + labels[-1]


ALLOWED_TEXT = allowed_text()

DOCX_MAIN_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
#: A suffix that reads as a file extension (letters first, short). "Quyết định 12.2024" has none.
_EXTENSION = re.compile(r"^[a-z][a-z0-9]{0,4}$")
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)$", re.IGNORECASE)
_PDF_ACTIVE_KEYS = ("/JS", "/JavaScript", "/Launch")
_DOCX_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?document[\s>/]")


@dataclass
class CheckedFile:
    name: str
    content_type: str
    size: int
    sha256: str
    content: bytes


def limits() -> tuple[int, int]:
    """(maximum bytes per file, maximum files per dossier) from ``settings.TINHSO``."""
    conf = getattr(settings, "TINHSO", {}) or {}
    return int(conf.get("UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES)), int(conf.get("UPLOAD_MAX_FILES", DEFAULT_MAX_FILES))


def human_size(size: int) -> str:
    """10485760 → "10 MB", 1572864 → "1,5 MB", 2048 → "2 KB" (Vietnamese decimal comma)."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            value = round(size / factor, 1)
            text = f"{value:.0f}" if value == int(value) else f"{value:.1f}".replace(".", ",")
            return f"{text} {unit}"
    return f"{size} byte"


def check_upload(upload, *, existing_count: int = 0, allowed=ALL_KINDS, max_bytes: int | None = None,
                 max_files: int | None = None) -> CheckedFile:
    """Read and check ``upload`` (a Django ``UploadedFile`` or any object with ``name`` and ``read``).

    ``allowed``: the kinds accepted; ``max_bytes``/``max_files``: limits other than the settings' dossier limits.
    """
    default_bytes, default_files = limits()
    max_bytes, max_files = max_bytes or default_bytes, max_files or default_files
    original = str(getattr(upload, "name", "") or "")
    display = clean_name(original) or "tệp"
    if existing_count >= max_files:
        raise DomainError("too_many_files", f"Không thể thêm tệp “{display}”: mỗi hồ sơ có tối đa {max_files} tệp "
                                            f"(hồ sơ đã có {existing_count} tệp).", field="file")
    content = _read_bounded(upload, max_bytes + 1)
    if not content:
        raise DomainError("file_empty", f"Tệp “{display}” rỗng (0 byte).", field="file")
    if len(content) > max_bytes:
        raise DomainError("file_too_large", f"Tệp “{display}” lớn hơn {human_size(max_bytes)} cho phép.",
                          field="file")

    kind = _sniff(content, display, allowed)
    name = _final_name(display, kind)
    if kind == PDF:
        _check_pdf(content, name)
    elif kind == DOCX:
        _check_docx(content, name)
    else:
        _check_image(content, name, kind)
    if kind != DOCX and _looks_like_zip(content):
        # A PDF or an image that is also a ZIP archive (a polyglot): whoever opens it as the other type sees
        # something the check did not.
        raise DomainError("file_type_not_allowed", f"Tệp “{name}” chứa thêm một tệp nén bên trong; chỉ nhận tệp "
                                                   f"{allowed_text(allowed)} nguyên bản.", field="file")
    return CheckedFile(name=name, content_type=CONTENT_TYPES[kind], size=len(content),
                       sha256=hashlib.sha256(content).hexdigest(), content=content)


# --- reading and naming ---------------------------------------------------------------------------------------------

def _read_bounded(upload, limit: int) -> bytes:
    """At most ``limit`` bytes, whatever ``upload.size`` claims."""
    try:
        upload.seek(0)
    except (AttributeError, OSError, ValueError):
        pass
    parts, total = [], 0
    while total < limit:
        chunk = upload.read(min(limit - total, 1024 * 1024))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)


def clean_name(name: str) -> str:
    """The last path part of ``name``, NFC, without control/format characters or characters reserved in file names.

    Vietnamese letters are kept ("Giấy khai sinh.pdf"); leading dots and spaces are removed (no hidden files).
    """
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(" " if ch in "\t\n\r" else ch for ch in name)
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = re.sub(r'[<>:"|?*]', "_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    return name


def _split_extension(name: str) -> tuple[str, str]:
    stem, dot, suffix = name.rpartition(".")
    if dot and stem and _EXTENSION.match(suffix.lower()):
        return stem.rstrip(" ."), suffix.lower()
    return name, ""


def _final_name(display: str, kind: str) -> str:
    stem, ext = _split_extension(display)
    if ext and ext not in EXTENSIONS[kind]:
        raise DomainError(
            "file_extension_mismatch",
            f"Tệp “{display}” có đuôi .{ext} nhưng nội dung là tệp {LABELS[kind]}; hãy đặt đúng đuôi "
            f".{EXTENSIONS[kind][0]} rồi tải lên lại.", field="file",
        )
    stem = stem or "tệp"
    if _WINDOWS_RESERVED.match(stem):
        stem = f"_{stem}"
    stem = stem[:150].rstrip(" .") or "tệp"
    return f"{stem}.{ext or EXTENSIONS[kind][0]}"


# --- type detection -------------------------------------------------------------------------------------------------

def _sniff(content: bytes, display: str, allowed=ALL_KINDS) -> str:
    kind = None
    if content.startswith(b"%PDF-"):
        kind = PDF
    elif content.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = PNG
    elif content.startswith(b"\xff\xd8\xff"):
        kind = JPEG
    elif content.startswith(b"PK\x03\x04"):
        if _is_docx_package(content):
            kind = DOCX
        elif _split_extension(display)[1] == "docx":
            raise DomainError("docx_invalid", f"Tệp “{display}” không phải tệp Word (DOCX) hợp lệ.", field="file")
    if kind in allowed:
        return kind
    raise DomainError("file_type_not_allowed", f"Tệp “{display}” không thuộc định dạng cho phép; chỉ nhận tệp "
                                               f"{allowed_text(allowed)}.", field="file")


def _is_docx_package(content: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        return False
    return "[Content_Types].xml" in names and "word/document.xml" in names


def _looks_like_zip(content: bytes) -> bool:
    try:
        return zipfile.is_zipfile(io.BytesIO(content))
    except Exception:  # any failure to read it as a ZIP means it is not one
        return False


# --- PDF ------------------------------------------------------------------------------------------------------------

def _check_pdf(content: bytes, name: str) -> None:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    broken = DomainError("pdf_broken", f"Tệp “{name}” bị hỏng hoặc không phải PDF hợp lệ, không mở được.",
                         field="file")
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            raise DomainError("pdf_encrypted", f"Tệp “{name}” được đặt mật khẩu hoặc mã hóa; hãy tải lên bản PDF "
                                               "không đặt mật khẩu.", field="file")
        if len(reader.pages) == 0:
            raise broken
        active = _pdf_has_active_content(reader)
    except DomainError:
        raise
    except FileNotDecryptedError:
        raise DomainError("pdf_encrypted", f"Tệp “{name}” được đặt mật khẩu hoặc mã hóa; hãy tải lên bản PDF "
                                           "không đặt mật khẩu.", field="file") from None
    except Exception as exc:  # pypdf raises many kinds of errors on damaged files
        logger.info("PDF refused as broken (%s): %s", name, exc)
        raise broken from None
    if active or any(marker in content for marker in (b"/JavaScript", b"/Launch")):
        raise DomainError("pdf_active_content", f"Tệp “{name}” chứa mã JavaScript hoặc lệnh chạy chương trình; "
                                                "hãy in lại ra PDF thông thường rồi tải lên.", field="file")


def _pdf_has_active_content(reader) -> bool:
    """Walk every object reachable from the trailer (names are already decoded: ``/J#61vaScript`` is caught)."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    seen: set[tuple[int, int]] = set()
    stack = [reader.trailer]
    visited = 0
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            obj = obj.get_object()
        visited += 1
        if visited > PDF_MAX_OBJECTS:
            raise ValueError("too many PDF objects")
        if isinstance(obj, DictionaryObject):  # streams are dictionaries too; their data is not decoded
            for k, v in obj.items():
                if k in _PDF_ACTIVE_KEYS:
                    return True
                if k == "/S" and isinstance(v, NameObject) and v in _PDF_ACTIVE_KEYS:
                    return True
                stack.append(v)
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
    return False


# --- DOCX -----------------------------------------------------------------------------------------------------------

def _check_docx(content: bytes, name: str) -> None:
    invalid = DomainError("docx_invalid", f"Tệp “{name}” không phải tệp Word (DOCX) hợp lệ.", field="file")
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        raise invalid from None
    with archive:
        infos = archive.infolist()
        total = sum(info.file_size for info in infos)
        if total > DOCX_MAX_UNCOMPRESSED or total > DOCX_MAX_RATIO * len(content):
            raise DomainError("docx_zip_bomb", f"Tệp “{name}” giải nén ra quá lớn "
                                               f"(giới hạn {human_size(DOCX_MAX_UNCOMPRESSED)}, tối đa gấp "
                                               f"{DOCX_MAX_RATIO} lần tệp nén); không nhận tệp này.", field="file")
        for info in infos:
            entry = info.filename
            parts = re.split(r"[\\/]", entry)
            if entry.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", entry) or ".." in parts:
                raise DomainError("docx_invalid", f"Tệp “{name}” chứa đường dẫn không hợp lệ bên trong; không nhận "
                                                  "tệp này.", field="file")
            if info.flag_bits & 0x1:
                raise DomainError("docx_invalid", f"Tệp “{name}” được đặt mật khẩu; hãy tải lên bản không đặt mật "
                                                  "khẩu.", field="file")
            if parts[-1].lower() in ("vbaproject.bin", "vbadata.xml"):
                raise _macro(name)
        try:
            with archive.open("[Content_Types].xml") as handle:
                types = handle.read(1024 * 1024 + 1)
            with archive.open("word/document.xml") as handle:
                head = handle.read(4096)
        except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError, NotImplementedError):
            raise invalid from None
    if b"macroenabled" in types.lower():
        raise _macro(name)
    if DOCX_MAIN_TYPE.encode() not in types or len(types) > 1024 * 1024 or not _DOCX_ROOT.search(head):
        raise invalid


def _macro(name: str) -> DomainError:
    return DomainError("docx_macro", f"Tệp “{name}” có chứa macro (VBA); chỉ nhận tệp Word không chứa macro.",
                       field="file")


# --- images ---------------------------------------------------------------------------------------------------------

def _check_image(content: bytes, name: str, kind: str) -> None:
    from PIL import Image

    broken = DomainError("image_broken", f"Tệp ảnh “{name}” bị hỏng, không mở được.", field="file")
    expected = {PNG: "PNG", JPEG: "JPEG"}[kind]
    # The structure is walked here because Pillow pads truncated images when ImageFile.LOAD_TRUNCATED_IMAGES is
    # set, a process-wide switch that other libraries turn on (WeasyPrint does on import).
    if not (_png_complete(content) if kind == PNG else _jpeg_complete(content)):
        raise broken
    too_big = DomainError("image_broken", f"Tệp ảnh “{name}” lớn hơn {IMAGE_MAX_PIXELS // 1_000_000} triệu điểm ảnh; "
                                          "hãy giảm độ phân giải rồi tải lên lại.", field="file")
    try:
        with Image.open(io.BytesIO(content), formats=[expected]) as image:  # reads the header only
            if image.width * image.height > IMAGE_MAX_PIXELS:
                raise too_big
            image.verify()
        with Image.open(io.BytesIO(content), formats=[expected]) as image:
            if kind == JPEG:  # decode every scan, at 1/8 scale: decoding errors surface without the full bitmap
                image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
            image.load()
    except DomainError:
        raise
    except Image.DecompressionBombError:
        raise too_big from None
    except Exception as exc:  # Pillow raises many kinds of errors on damaged images
        logger.info("Image refused as broken (%s): %s", name, exc)
        raise broken from None


def _png_complete(data: bytes) -> bool:
    """Every chunk whole with a correct CRC, up to IEND (data after IEND is allowed)."""
    i, n = 8, len(data)
    while i + 12 <= n:
        length = int.from_bytes(data[i:i + 4], "big")
        end = i + 12 + length
        if end > n or zlib.crc32(data[i + 4:i + 8 + length]) != int.from_bytes(data[end - 4:end], "big"):
            return False
        if data[i + 4:i + 8] == b"IEND":
            return True
        i = end
    return False


def _jpeg_complete(data: bytes) -> bool:
    """Segments and entropy-coded scans followed marker by marker up to EOI (data after EOI is allowed: motion
    photos append a video there). An EOI inside a segment (an EXIF thumbnail) does not count."""
    i, n = 2, len(data)
    while i < n:
        if data[i] != 0xFF:
            return False
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            return False
        marker = data[i]
        i += 1
        if marker == 0xD9:
            return True
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            continue
        if i + 2 > n:
            return False
        length = int.from_bytes(data[i:i + 2], "big")
        if length < 2 or i + length > n:
            return False
        i += length
        if marker == 0xDA:  # start of scan: skip the entropy-coded data up to the next real marker
            while True:
                j = data.find(b"\xff", i)
                if j < 0 or j + 1 >= n:
                    return False
                following = data[j + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:  # stuffed byte, restart marker
                    i = j + 2
                elif following == 0xFF:
                    i = j + 1
                else:
                    i = j
                    break
    return False
