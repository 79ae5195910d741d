import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from tinhso.core.models import Agency, User

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj " \
      b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\nxref\n0 4\n0000000000 65535 f \n" \
      b"0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\n" \
      b"startxref\n164\n%%EOF\n"


@pytest.fixture
def demo(db):
    call_command("demo")


@pytest.fixture
def people(demo):
    return {u.username: u for u in User.objects.all()}


@pytest.fixture
def desk(demo):
    return Agency.objects.get(code="000.01.31.H37")  # Trung tâm PVHCC phường Lương Văn Tri


def pdf(name="giay-to.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")
