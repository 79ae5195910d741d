"""Signing through the document flow on the SoftHSM2 token (skipped with the reason where SoftHSM2 is absent):
the leader's personal signature at ``sign``, the agency's seal at ``issue``, both verified by pyHanko.

SoftHSM2 reads its configuration once per process, so one token serves the whole test session: these tests use the
token the signing app's tests set up when those ran first, or set one up (same token label) that the signing app's
tests then reuse. The keys made here have labels of their own (``setup_demo``: ``coquan-…``, ``canhan-…``).
"""

import os

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from tinhso.core.errors import DomainError
from tinhso.documents import services
from tinhso.documents.models import DocumentFile, Status
from tinhso.signing import pki
from tinhso.signing import services as signing_services
from tinhso.signing.conf import get_settings
from tinhso.signing.sample import sample_document_pdf
from tinhso.signing.setup import setup_demo

from .conftest import doc_type, docx_bytes, pdf_upload

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def token_settings(tmp_path_factory):
    """``TINHSO["SIGNING"]`` of a SoftHSM2 token usable in this process."""
    previous = settings.TINHSO.get("SIGNING")
    loaded = os.environ.get("SOFTHSM2_CONF")
    if loaded:
        if previous is None or str(get_settings().softhsm2_conf) != loaded:
            pytest.skip("SoftHSM2 is already loaded in this process with another configuration")
        yield previous
        return
    settings.TINHSO["SIGNING"] = {"DIR": str(tmp_path_factory.mktemp("signing")), "TOKEN_LABEL": "tinhso-test"}
    try:
        conf = get_settings()
        missing = pki.softhsm_missing(conf)
        if missing:
            if os.environ.get("TINHSO_REQUIRE_SIGNING") == "1":
                pytest.fail(missing)
            pytest.skip(missing)
        pki.DemoCA(conf).create()
        pki.init_softhsm_token(conf)
        yield settings.TINHSO["SIGNING"]
    finally:
        if previous is None:
            settings.TINHSO.pop("SIGNING", None)
        else:
            settings.TINHSO["SIGNING"] = previous


@pytest.fixture
def signing(token_settings):
    current = settings.TINHSO.get("SIGNING")
    settings.TINHSO["SIGNING"] = token_settings
    yield
    if current is None:
        settings.TINHSO.pop("SIGNING", None)
    else:
        settings.TINHSO["SIGNING"] = current


def approved(people, agency, upload):
    draft = services.create_draft(people["chuyenvien.stp"], agency, doc_type("KH"), "Kế hoạch chuyển đổi số",
                                  upload)
    services.submit_for_approval(people["chuyenvien.stp"], draft)
    return services.approve(people["truongphong.stp"], draft)


def test_sign_and_issue_with_the_agencys_identities(signing, people, agencies):
    stp = agencies["000.00.03.H37"]
    setup_demo(["000.00.03.H37"])  # the seal of Sở Tư pháp and its leader's key, on the token
    pdf = sample_document_pdf(title="GIÁM ĐỐC", name="Nông Đức Thắng", notation="      /KH-STP")
    document = approved(people, stp, SimpleUploadedFile("ke-hoach.pdf", pdf))
    services.sign(people["giamdoc.stp"], document)
    document.refresh_from_db()
    assert document.status == Status.SIGNED and document.digitally_signed
    signed = services.main_file(document)
    assert signed.kind == DocumentFile.Kind.SIGNED
    with signed.file.open("rb") as handle:
        result = signing_services.verify_pdf(handle.read())
    assert result.valid, result.to_json()
    assert [s.signer_name for s in result.signatures] == ["Nông Đức Thắng"]

    issued = services.issue(people["vanthu.stp"], document)
    sealed = services.main_file(issued)
    with sealed.file.open("rb") as handle:
        result = signing_services.verify_pdf(handle.read())
    assert result.valid, result.to_json()
    assert [s.field for s in result.signatures] == ["ChuKyCaNhan", "ChuKyCoQuan"]
    assert result.signatures[1].signer_name == "Sở Tư pháp"
    assert issued.notation == "01/KH-STP" and sealed.sha256 != signed.sha256


def test_digital_signature_needs_a_pdf(signing, people, agencies):
    setup_demo(["000.00.03.H37"])
    document = approved(people, agencies["000.00.03.H37"],
                        SimpleUploadedFile("ke-hoach.docx", docx_bytes(["Kế hoạch"])))
    with pytest.raises(DomainError) as caught:
        services.sign(people["giamdoc.stp"], document)
    assert caught.value.code == "signing_needs_pdf"
    document.refresh_from_db()
    assert document.status == Status.APPROVED


def test_required_digital_signature_without_identity(settings, people, agencies):
    settings.TINHSO = {**settings.TINHSO, "DOCUMENTS_REQUIRE_DIGITAL_SIGNATURE": True}
    document = approved(people, agencies["000.00.03.H37"], pdf_upload())
    with pytest.raises(DomainError) as caught:
        services.sign(people["giamdoc.stp"], document)
    assert caught.value.code == "signing_identity_missing"
