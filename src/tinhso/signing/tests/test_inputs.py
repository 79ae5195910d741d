"""Bad input gives stable error codes: verification returns them, signing raises them."""

import io

import pytest
from pypdf import PdfWriter

from tinhso.core.errors import DomainError
from tinhso.signing import services


@pytest.fixture(scope="module")
def encrypted_pdf(sample_pdf) -> bytes:
    from pypdf import PdfReader

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(sample_pdf)).pages:
        writer.add_page(page)
    writer.encrypt(user_password="mat-khau", owner_password="mat-khau-chu", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(("make", "code"), [
    (lambda pdf, enc: b"Day khong phai PDF", "pdf_invalid"),
    (lambda pdf, enc: b"", "pdf_invalid"),
    (lambda pdf, enc: pdf[:400], "pdf_invalid"),
    (lambda pdf, enc: b"%PDF-1.7\n" + b"\x00" * 2000, "pdf_invalid"),
    (lambda pdf, enc: enc, "pdf_encrypted"),
    (lambda pdf, enc: pdf, "no_signature"),
])
def test_verify_returns_stable_codes(sample_pdf, encrypted_pdf, make, code):
    result = services.verify_pdf(make(sample_pdf, encrypted_pdf))
    assert not result.valid and result.error == code and result.signatures == []
    assert result.message  # Vietnamese, for people
    assert result.as_dict()["error"] == code


@pytest.mark.parametrize(("make", "code"), [
    (lambda pdf, enc: b"Day khong phai PDF", "pdf_invalid"),
    (lambda pdf, enc: pdf[:400], "pdf_invalid"),
    (lambda pdf, enc: enc, "pdf_encrypted"),
])
def test_sign_raises_stable_codes(signing, sample_pdf, encrypted_pdf, make, code):
    with pytest.raises(DomainError) as err:
        services.sign_pdf(make(sample_pdf, encrypted_pdf), signer=signing.agency, kind="attachment",
                          notation="01/TB-UBND")
    assert err.value.code == code


def test_unknown_kind_and_level(signing, sample_pdf):
    with pytest.raises(DomainError) as err:
        services.sign_pdf(sample_pdf, signer=signing.agency, kind="seal")
    assert err.value.code == "signing_kind_unknown"
    with pytest.raises(DomainError) as err:
        services.sign_pdf(sample_pdf, signer=signing.agency, kind="attachment", notation="01/TB", level="B-X")
    assert err.value.code == "signing_level_unknown"
