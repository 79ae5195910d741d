"""Upload attacks through the real entry points (the citizen's upload, the clerk's incoming register): each hostile file
is refused with a clear Vietnamese message, the page answers 4xx (never 5xx), and nothing is stored — no row, no file
on disk. The count of cases tried is printed.
"""

import io
import os
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tinhso.documents.models import Document, DocumentFile
from tinhso.onestop.models import Attachment

from . import world as world_module
from .world import PASSWORD, PDF

LIMIT = 256 * 1024


def _zip(entries: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _docx(document_xml: bytes, extra: dict | None = None) -> bytes:
    types = (b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
             b'wordprocessingml.document.main+xml"/></Types>')
    return _zip({"[Content_Types].xml": types, "word/document.xml": document_xml, **(extra or {})})


def _encrypted_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt("mat-khau")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(out, "PNG")
    return out.getvalue()


#: name → (file name, content). Every one must be refused.
HOSTILE = {
    "executable named .pdf": ("to-khai.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200),
    "html with script named .pdf": ("to-khai.pdf", b"<html><body><script>alert(1)</script></body></html>"),
    "png named .pdf": ("to-khai.pdf", None),  # filled at run time (needs Pillow)
    "pdf followed by a zip (polyglot)": ("to-khai.pdf", PDF + _zip({"a.js": b"alert(1)"})),
    "zip with a pdf header (polyglot)": ("to-khai.pdf", b"%PDF-1.4\n" + _zip({"x.exe": b"MZ" * 50})),
    "oversized pdf": ("to-khai.pdf", PDF + b"%" + b"0" * LIMIT),
    "empty file": ("to-khai.pdf", b""),
    "truncated pdf": ("to-khai.pdf", b"%PDF-1.7\n1 0 obj<</Type/Catalog"),
    "encrypted pdf": ("to-khai.pdf", None),
    "pdf with javascript": ("to-khai.pdf", PDF.replace(b"/Type/Catalog", b"/Type/Catalog/OpenAction<</S/JavaScript"
                                                       b"/JS(app.alert(1))>>")),
    "docx zip bomb": ("to-trinh.docx", _docx(b"<w:document>" + b" " * (60 * 1024 * 1024) + b"</w:document>")),
    "docx with path traversal": ("to-trinh.docx", _docx(b"<w:document/>", {"../../evil.sh": b"rm -rf /"})),
    "docx with macros": ("to-trinh.docx", _docx(b"<w:document/>", {"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"})),
    "zip named .docx": ("to-trinh.docx", _zip({"readme.txt": b"not a word file"})),
}


def _content(name: str) -> bytes:
    file_name, content = HOSTILE[name]
    if content is None:
        content = _png() if name.startswith("png") else _encrypted_pdf()
    return content


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.TINHSO = {**settings.TINHSO, "UPLOAD_MAX_BYTES": LIMIT, "DOCUMENTS_MAX_BYTES": LIMIT,
                       "LOOKUP_RATE": "100000/m"}
    return world_module.build()


def _files_on_disk(root) -> set[str]:
    return {os.path.join(d, f) for d, _, files in os.walk(root) for f in files}


def _login(username: str) -> Client:
    client = Client(raise_request_exception=False)
    assert client.login(username=username, password=PASSWORD)
    return client


def test_hostile_files_are_refused_and_nothing_is_stored(world, settings):
    citizen, clerk = _login("congdan"), _login("congchuc.lvt")
    draft = world.objects["draft_a"].obj
    item = draft.items.first()
    agency = world.objects["document_x"].obj.agency
    tried, failures = 0, []
    for name in HOSTILE:
        file_name, content = HOSTILE[name][0], _content(name)
        def upload(file_name=file_name, content=content):
            return SimpleUploadedFile(file_name, content, content_type="application/pdf")

        entry_points = {
            "citizen upload": lambda upload=upload: citizen.post(
                f"/ho-so-cua-toi/{draft.pk}/giay-to/{item.pk}/tai-len/", {"file": upload()}),
            "incoming register": lambda upload=upload, subject=f"Kiểm thử {name}", n=tried + 1: clerk.post(
                "/van-ban/vao-so/", {"agency": agency.pk, "subject": subject, "sender_name": "Sở Nội vụ",
                                     "notation": f"{n}/SNV-TCCB", "urgency": "0", "secrecy": "0",
                                     "files": [upload()]}),
        }
        for entry, send in entry_points.items():
            rows = (Attachment.objects.count(), Document.objects.count(), DocumentFile.objects.count())
            disk = _files_on_disk(settings.MEDIA_ROOT)
            response = send()
            tried += 1
            body = response.content.decode("utf-8", "replace")
            label = f"{name} → {entry}"
            if response.status_code >= 500:
                failures.append(f"{label}: HTTP {response.status_code}")
            if (Attachment.objects.count(), Document.objects.count(), DocumentFile.objects.count()) != rows:
                failures.append(f"{label}: a row was stored")
            if _files_on_disk(settings.MEDIA_ROOT) != disk:
                failures.append(f"{label}: a file was written")
            if response.status_code in (301, 302):
                failures.append(f"{label}: accepted (redirect to {response['Location']})")
            elif not any(word in body for word in ("Tệp", "tệp", "không")):
                failures.append(f"{label}: no Vietnamese explanation in the answer")
    print(f"hostile uploads: {len(HOSTILE)} files × 2 entry points = {tried} cases, {len(failures)} failures")
    assert not failures, "\n".join(failures)


def test_a_good_file_still_goes_through_both_entry_points(world, settings):
    """The control: the same requests with a clean PDF are accepted and stored."""
    citizen, clerk = _login("congdan"), _login("congchuc.lvt")
    draft = world.objects["draft_a"].obj
    item = draft.items.first()
    before = Attachment.objects.count()
    response = citizen.post(f"/ho-so-cua-toi/{draft.pk}/giay-to/{item.pk}/tai-len/",
                            {"file": SimpleUploadedFile("to-khai.pdf", PDF, content_type="application/pdf")})
    assert response.status_code < 400 and Attachment.objects.count() == before + 1
    agency = world.objects["document_x"].obj.agency
    response = clerk.post("/van-ban/vao-so/", {
        "agency": agency.pk, "subject": "Văn bản sạch", "sender_name": "Sở Nội vụ", "notation": "99/SNV-TCCB",
        "urgency": "0", "secrecy": "0", "files": [SimpleUploadedFile("cv.pdf", PDF, content_type="application/pdf")]})
    assert response.status_code == 302 and DocumentFile.objects.filter(document__subject="Văn bản sạch").exists()
