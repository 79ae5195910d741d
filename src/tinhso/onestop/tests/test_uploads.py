"""Upload checks on real files made here: PDFs written by pypdf, images by Pillow, DOCX packages by zipfile."""

import hashlib
import io
import unicodedata
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFile
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from tinhso.core.errors import DomainError
from tinhso.core.uploads import DOCX_MAIN_TYPE, check_upload, clean_name, human_size
from tinhso.onestop import services
from tinhso.onestop.models import Attachment, Dossier

from .conftest import PDF, pdf

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CONTENT_TYPES_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/word/document.xml" ContentType="{DOCX_MAIN_TYPE}"/></Types>'
)
RELS_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="word/document.xml"/></Relationships>'
)
DOCUMENT_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>Đơn đề nghị cấp giấy phép</w:t></w:r></w:p></w:body></w:document>"
)


# --- real files ---------------------------------------------------------------------------------------------------

def make_pdf(*, password: str | None = None, javascript: str | None = None, pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if javascript:  # a document-open JavaScript action, written with pypdf's generic objects
        action = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                                   NameObject("/JS"): TextStringObject(javascript)})
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    if password:
        writer.encrypt(password, algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def make_image(fmt: str, size=(64, 48)) -> bytes:
    image = Image.new("RGB", size)
    for x in range(size[0]):
        for y in range(size[1]):
            image.putpixel((x, y), (x * 4 % 256, y * 5 % 256, (x * y) % 256))
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def make_zip(entries: dict[str, bytes | str], *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in entries.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return buffer.getvalue()


def docx_entries(**more) -> dict:
    return {"[Content_Types].xml": CONTENT_TYPES_XML, "_rels/.rels": RELS_XML, "word/document.xml": DOCUMENT_XML,
            **more}


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def refused(name: str, content: bytes, content_type: str = "application/octet-stream", **kwargs) -> DomainError:
    with pytest.raises(DomainError) as exc:
        check_upload(upload(name, content, content_type), **kwargs)
    assert exc.value.field == "file"
    return exc.value


# --- accepted files -----------------------------------------------------------------------------------------------

def test_real_files_of_each_type_are_accepted_with_the_detected_type():
    cases = [
        ("Giấy khai sinh.pdf", make_pdf(pages=2), "application/pdf"),
        ("anh-chan-dung.JPG", make_image("JPEG"), "image/jpeg"),
        ("so-do.png", make_image("PNG"), "image/png"),
        ("Đơn đề nghị.docx", make_zip(docx_entries()), DOCX_TYPE),
    ]
    for name, content, content_type in cases:
        checked = check_upload(upload(name, content, "application/octet-stream"))  # the browser's type is ignored
        assert checked.content_type == content_type
        assert checked.size == len(content) and checked.content == content
        assert checked.sha256 == hashlib.sha256(content).hexdigest()
    assert check_upload(upload("anh-chan-dung.JPG", make_image("JPEG"))).name == "anh-chan-dung.jpg"
    motion_photo = make_image("JPEG") + b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100  # a video after the image
    assert check_upload(upload("chuyen-dong.jpg", motion_photo)).content_type == "image/jpeg"


def test_the_hand_written_pdf_of_the_other_tests_is_accepted():
    assert check_upload(pdf()).content_type == "application/pdf"


def test_names_are_cleaned_and_get_the_right_extension():
    png = make_image("PNG")
    assert check_upload(upload("../../etc/Sơ đồ thửa đất\x00\u202e.png", png)).name == "Sơ đồ thửa đất.png"
    assert check_upload(upload("C:\\Users\\minh\\Bản vẽ.PNG", png)).name == "Bản vẽ.png"
    assert check_upload(upload("scan", png)).name == "scan.png"
    assert check_upload(upload("Quyết định số 12.2024", png)).name == "Quyết định số 12.2024.png"
    assert check_upload(upload(".htaccess.png", png)).name == "htaccess.png"
    nfd = unicodedata.normalize("NFD", "Giấy tờ.png")
    assert check_upload(upload(nfd, png)).name == unicodedata.normalize("NFC", "Giấy tờ.png")
    assert clean_name('a<b>:c"|?*.pdf') == "a_b__c____.pdf"


# --- type, extension, polyglots -----------------------------------------------------------------------------------

def test_type_is_decided_by_content_not_by_name_or_browser_type():
    html = b"<html><script>alert(1)</script></html>"
    error = refused("don.pdf", html, "application/pdf")
    assert error.code == "file_type_not_allowed" and "“don.pdf”" in error.message and "PDF" in error.message
    assert refused("chay.exe", b"MZ\x90\x00" + b"\x00" * 200).code == "file_type_not_allowed"
    assert refused("nen.zip", make_zip({"a.txt": "xin chào"})).code == "file_type_not_allowed"


def test_extension_must_agree_with_the_content():
    error = refused("giay-to.pdf", make_image("PNG"), "application/pdf")
    assert error.code == "file_extension_mismatch"
    assert "“giay-to.pdf”" in error.message and "PNG" in error.message
    assert refused("anh.png", make_image("JPEG")).code == "file_extension_mismatch"
    assert refused("don.pdf", make_zip(docx_entries())).code == "file_extension_mismatch"
    assert refused("don.txt", make_pdf()).code == "file_extension_mismatch"


def test_polyglots_are_refused():
    """A PNG or a PDF that is at the same time a ZIP archive (something appended after its end)."""
    hidden = make_zip({"payload.html": "<script>alert(1)</script>"})
    assert refused("anh.png", make_image("PNG") + hidden).code == "file_type_not_allowed"
    assert refused("don.pdf", make_pdf() + hidden).code == "file_type_not_allowed"


# --- size and count -----------------------------------------------------------------------------------------------

class CountingFile(io.BytesIO):
    """A stream that remembers how many bytes were read from it."""

    def __init__(self, data: bytes, name: str):
        super().__init__(data)
        self.name, self.taken, self.size = name, 0, 1  # a lying size: the check must not trust it

    def read(self, size=-1):
        data = super().read(size)
        self.taken += len(data)
        return data


def test_empty_file_is_refused():
    error = refused("trong.pdf", b"")
    assert error.code == "file_empty" and "“trong.pdf”" in error.message


def test_default_size_limit_is_ten_megabytes_and_read_is_bounded():
    stream = CountingFile(b"%PDF-1.7\n" + b"0" * (10 * 1024 * 1024 + 500), "lon.pdf")
    with pytest.raises(DomainError) as exc:
        check_upload(stream)
    assert exc.value.code == "file_too_large"
    assert exc.value.message == "Tệp “lon.pdf” lớn hơn 10 MB cho phép."
    assert stream.taken == 10 * 1024 * 1024 + 1


def test_size_limit_comes_from_settings(settings):
    settings.TINHSO = {**settings.TINHSO, "UPLOAD_MAX_BYTES": 1536}
    content = make_image("PNG", size=(200, 200))
    assert len(content) > 1536
    error = refused("anh.png", content)
    assert error.code == "file_too_large" and "1,5 KB" in error.message
    assert human_size(10 * 1024 * 1024) == "10 MB" and human_size(1536) == "1,5 KB" and human_size(12) == "12 byte"


def test_file_count_limit(settings):
    error = refused("them.pdf", PDF, existing_count=30)
    assert error.code == "too_many_files" and "30" in error.message and "“them.pdf”" in error.message
    settings.TINHSO = {**settings.TINHSO, "UPLOAD_MAX_FILES": 2}
    check_upload(upload("a.pdf", PDF), existing_count=1)
    assert refused("b.pdf", PDF, existing_count=2).code == "too_many_files"


# --- PDF ----------------------------------------------------------------------------------------------------------

def test_encrypted_pdf_is_refused():
    error = refused("mat-khau.pdf", make_pdf(password="123456"))
    assert error.code == "pdf_encrypted" and "mật khẩu" in error.message


def test_broken_pdf_is_refused():
    assert refused("hong.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 8).code == "pdf_broken"
    truncated = make_pdf()[:40]
    assert refused("cut.pdf", truncated).code == "pdf_broken"


def test_pdf_with_javascript_is_refused():
    error = refused("script.pdf", make_pdf(javascript="app.alert('xin chào');"))
    assert error.code == "pdf_active_content" and "JavaScript" in error.message


def test_pdf_with_an_obfuscated_launch_action_is_refused():
    """``/L#61unch`` is ``/Launch`` written with a hex escape: the raw bytes do not show it, the parsed names do."""
    body = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R/OpenAction 4 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
            b"4 0 obj<</S/L#61unch/F(cmd.exe)>>endobj\n"
            b"trailer<</Size 5/Root 1 0 R>>\nstartxref\n0\n%%EOF\n")
    assert b"/Launch" not in body
    assert refused("launch.pdf", body).code == "pdf_active_content"


# --- DOCX ---------------------------------------------------------------------------------------------------------

def test_docx_without_the_word_parts_is_invalid():
    error = refused("don.docx", make_zip({"a.txt": "không phải Word"}))
    assert error.code == "docx_invalid" and "“don.docx”" in error.message
    no_main_type = docx_entries(**{"[Content_Types].xml": CONTENT_TYPES_XML.replace(DOCX_MAIN_TYPE, "text/xml")})
    assert refused("don.docx", make_zip(no_main_type)).code == "docx_invalid"
    assert refused("hong.docx", b"PK\x03\x04" + b"\x00" * 100).code == "docx_invalid"


def test_docx_zip_bomb_is_refused():
    bomb = make_zip(docx_entries(**{"word/media/image1.bin": b"\x00" * (6 * 1024 * 1024)}))
    assert len(bomb) < 100 * 1024
    error = refused("bom.docx", bomb)
    assert error.code == "docx_zip_bomb" and "50 MB" in error.message


def test_docx_with_path_traversal_entries_is_refused():
    for evil in ("../../etc/cron.d/x", "/etc/passwd", "word\\..\\..\\x.xml"):
        assert refused("don.docx", make_zip(docx_entries(**{evil: "x"}))).code == "docx_invalid"


def test_macro_enabled_docx_is_refused():
    error = refused("macro.docx", make_zip(docx_entries(**{"word/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\0" * 64})))
    assert error.code == "docx_macro" and "macro" in error.message
    docm_types = CONTENT_TYPES_XML.replace(
        DOCX_MAIN_TYPE, "application/vnd.ms-word.document.macroEnabled.main+xml")
    docm = make_zip(docx_entries(**{"[Content_Types].xml": docm_types}))
    assert refused("macro.docx", docm).code == "docx_macro"


# --- images -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("pad_truncated", [False, True], ids=["pillow-default", "pillow-pads-truncated"])
def test_broken_images_are_refused(monkeypatch, pad_truncated):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", pad_truncated)  # WeasyPrint sets it on import
    png, jpeg = make_image("PNG", size=(120, 90)), make_image("JPEG", size=(120, 90))
    error = refused("anh.png", png[: len(png) // 2])
    assert error.code == "image_broken" and "“anh.png”" in error.message
    assert refused("anh.jpg", jpeg[: len(jpeg) // 2]).code == "image_broken"
    assert refused("anh.jpg", jpeg[:-2]).code == "image_broken"  # no end-of-image marker
    assert refused("anh.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64).code == "image_broken"
    huge = io.BytesIO()
    Image.new("1", (8000, 6000)).save(huge, "PNG")  # 48 million pixels in a few kilobytes
    error = refused("to.png", huge.getvalue())
    assert error.code == "image_broken" and "40 triệu điểm ảnh" in error.message
    corrupted = bytearray(png)
    corrupted[len(png) // 2: len(png) // 2 + 40] = b"\xff" * 40
    assert refused("anh.png", bytes(corrupted)).code == "image_broken"


# --- through the service ------------------------------------------------------------------------------------------

def test_a_refused_upload_stores_nothing_and_leaves_earlier_files_alone(people, desk, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    citizen = people["congdan"]
    dossier = services.create_dossier(citizen, procedure_code="1.001193", channel_kind="online", receiving_agency=desk,
                                      delivery=Dossier.Delivery.ELECTRONIC)
    item = dossier.items.first()
    first = services.add_attachment(citizen, dossier, upload("Giấy khai sinh.pdf", make_pdf()), item=item)
    stored = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert len(stored) == 1 and first.file.path == str(stored[0])
    before = stored[0].read_bytes()

    for bad, code in [
        (upload("mat-khau.pdf", make_pdf(password="1"), "application/pdf"), "pdf_encrypted"),
        (upload("anh.pdf", make_image("PNG"), "application/pdf"), "file_extension_mismatch"),
        (upload("macro.docx", make_zip(docx_entries(**{"word/vbaProject.bin": b"x"}))), "docx_macro"),
    ]:
        with pytest.raises(DomainError) as exc:
            services.add_attachment(citizen, dossier, bad, item=item)
        assert exc.value.code == code

    assert list(Attachment.objects.filter(dossier=dossier)) == [first]
    assert sorted(p for p in tmp_path.rglob("*") if p.is_file()) == stored
    assert stored[0].read_bytes() == before
    first.refresh_from_db()
    assert first.name == "Giấy khai sinh.pdf" and first.sha256 == hashlib.sha256(before).hexdigest()


def test_the_service_enforces_the_file_count(people, desk, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.TINHSO = {**settings.TINHSO, "UPLOAD_MAX_FILES": 2}
    citizen = people["congdan"]
    dossier = services.create_dossier(citizen, procedure_code="1.001193", channel_kind="online", receiving_agency=desk,
                                      delivery=Dossier.Delivery.ELECTRONIC)
    services.add_attachment(citizen, dossier, upload("a.png", make_image("PNG")))
    services.add_attachment(citizen, dossier, upload("b.jpg", make_image("JPEG")))
    with pytest.raises(DomainError) as exc:
        services.add_attachment(citizen, dossier, upload("c.pdf", make_pdf()))
    assert exc.value.code == "too_many_files"
    assert dossier.attachments.count() == 2
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 2
