import importlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from tinhso.core.models import Agency, Role, User
from tinhso.core.services import grant_role
from tinhso.core.testing import text_pdf

PASSWORD = "tinhso-demo-2026"


def make_pdf(text: str = "Văn bản thử") -> bytes:
    """A one-page PDF with a text layer (ASCII-safe Type1 font: the text is folded when it has diacritics)."""
    from tinhso.core.text import fold

    body = fold(text) if not text.isascii() else text
    return text_pdf(body)


def pdf_upload(name: str = "van-ban.pdf", text: str = "Van ban thu") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_pdf(text), content_type="application/pdf")


def docx_bytes(paragraphs: list[str]) -> bytes:
    import io
    import zipfile
    from xml.sax.saxutils import escape

    body = "".join(f"<w:p><w:r><w:t>{escape(p)}</w:t></w:r></w:p>" for p in paragraphs)
    document = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                f"<w:body>{body}</w:body></w:document>")
    types = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
             'content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
             'officedocument.wordprocessingml.document.main+xml"/></Types>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("word/document.xml", document)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def document_types(request):
    """The types seeded by migration 0002, again: a transactional test's flush empties the table."""
    uses_db = {"db", "transactional_db"} & set(request.fixturenames)
    if not uses_db and request.node.get_closest_marker("django_db") is None:
        return
    from django.apps import apps

    importlib.import_module("tinhso.documents.migrations.0002_document_types").seed(apps, None)


@pytest.fixture
def demo(db):
    call_command("demo")


def staff(username: str, full_name: str, agency: Agency, role: str, title: str = "") -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, full_name=full_name, kind=User.Kind.STAFF)
    grant_role(None, user, agency, role, title)
    return user


@pytest.fixture
def people(demo):
    """The demo accounts plus clerks for Sở Tư pháp and Sở Xây dựng (the demo has one clerk, at VP UBND tỉnh)."""
    stp = Agency.objects.get(code="000.00.03.H37")
    sxd = Agency.objects.get(code="000.00.07.H37")
    staff("vanthu.stp", "Hoàng Thị Vân", stp, Role.CLERK, "Văn thư")
    staff("vanthu.sxd", "Lộc Văn Thư", sxd, Role.CLERK, "Văn thư")
    return {u.username: u for u in User.objects.all()}


@pytest.fixture
def agencies(demo):
    return {a.code: a for a in Agency.objects.all()}


def doc_type(abbreviation: str | None, name: str | None = None):
    from tinhso.documents.models import DocumentType

    if abbreviation is None:
        return DocumentType.objects.get(name=name or "Công văn")
    return DocumentType.objects.get(abbreviation=abbreviation)


def signed_outgoing(people, agency: Agency, abbreviation: str | None = "QĐ", subject: str = "Về việc thử nghiệm",
                    **kwargs):
    """An outgoing document of Sở Tư pháp drafted in HCTP, approved and signed (not digitally)."""
    from tinhso.documents import services

    draft = services.create_draft(people["chuyenvien.stp"], agency, doc_type(abbreviation), subject, pdf_upload(),
                                  **kwargs)
    services.submit_for_approval(people["chuyenvien.stp"], draft)
    services.approve(people["truongphong.stp"], draft)
    return services.sign(people["giamdoc.stp"], draft)
