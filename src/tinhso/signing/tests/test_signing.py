"""Sign a real NĐ 30 document on the SoftHSM2 token; verify with pyHanko and, independently, with poppler's pdfsig."""

import io
import re
import subprocess
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from tinhso.core.errors import DomainError
from tinhso.signing import layout, pki, services
from tinhso.signing.images import SEAL_DIAMETER_MM
from tinhso.signing.sample import SAMPLE_NAME, SAMPLE_NOTATION, SAMPLE_TITLE
from tinhso.signing.setup import ensure_demo_identity

ISO_VN = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+07:00$")


@pytest.fixture(scope="module")
def main_document(signing_env, sample_pdf) -> bytes:
    """The main document signed by the person, then by the agency (two incremental signatures)."""
    signed = services.sign_pdf(sample_pdf, signer=signing_env.person, kind="personal", title=SAMPLE_TITLE,
                               name=SAMPLE_NAME)
    return services.sign_pdf(signed, signer=signing_env.agency, kind="agency")


def _pdfsig(pdfsig: str, nss_db: str, data: bytes, tmp_path) -> str:
    path = tmp_path / "signed.pdf"
    path.write_bytes(data)
    run = subprocess.run([pdfsig, "-nssdir", nss_db, str(path)], capture_output=True, text=True, timeout=60)
    return run.stdout + run.stderr


def test_personal_then_agency_verified_by_pyhanko(signing, main_document, sample_pdf):
    assert main_document.startswith(sample_pdf)  # incremental: the original bytes are untouched
    result = services.verify_pdf(main_document)
    assert result.valid, result.to_json(indent=1)
    assert [s.field for s in result.signatures] == ["ChuKyCaNhan", "ChuKyCoQuan"]
    person, agency = result.signatures
    assert person.signer_name == SAMPLE_NAME and "O=Ủy ban nhân dân tỉnh Lạng Sơn" in person.signer
    assert agency.signer_name == "Ủy ban nhân dân tỉnh Lạng Sơn"
    for sig in result.signatures:
        assert sig.intact and sig.valid and sig.trusted and not sig.revoked and sig.ok
        assert sig.pades_level == "B-LT"
        assert ISO_VN.match(sig.signing_time), sig.signing_time
        assert sig.timestamp_time is not None  # from the demo TSA
        assert "hợp lệ" in sig.summary
    # The person's signature is followed by the agency's (form filling), the agency's by the DSS update only.
    assert person.modifications == "form_filling" and not person.covers_whole_document
    assert agency.modifications == "signature_maintenance" and person.modifications_allowed


def test_verified_independently_by_pdfsig(signing, main_document, pdfsig, nss_db, tmp_path):
    out = _pdfsig(pdfsig, nss_db, main_document, tmp_path)
    assert out.count("Signature Validation: Signature is Valid.") == 2, out
    assert out.count("Certificate Validation: Certificate is Trusted.") == 2, out
    assert "Signature Type: ETSI.CAdES.detached" in out
    assert f"Signer Certificate Common Name: {SAMPLE_NAME}" in out


def test_one_flipped_byte_is_caught_by_both(signing, main_document, pdfsig, nss_db, tmp_path):
    start, length = (int(v) for v in re.search(rb"/ByteRange \[\s*(\d+) (\d+)", main_document).groups())
    assert start == 0 and length > 200
    # A byte of the binary comment under the header, inside both signed ranges: the file still parses, only the
    # digests change.
    tampered = bytearray(main_document)
    tampered[10] ^= 0x01
    tampered = bytes(tampered)
    result = services.verify_pdf(tampered)
    assert not result.valid
    assert result.error == "signature_invalid"
    assert all(not s.intact and not s.ok for s in result.signatures)
    assert "KHÔNG hợp lệ" in result.signatures[0].summary
    out = _pdfsig(pdfsig, nss_db, tampered, tmp_path)
    assert "Signature is Valid" not in out, out
    assert out.count("Signature Validation:") == 2


def test_untrusted_without_the_demo_root(signing, main_document):
    result = services.verify_pdf(main_document, trusted_roots=[])
    assert not result.valid
    assert all(s.intact and not s.trusted for s in result.signatures)
    assert "không xác thực được" in result.signatures[0].summary


def test_images_placed_per_appendix_i(signing, main_document, sample_pdf):
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(sample_pdf))
    block = layout.find_signature_block(reader, SAMPLE_TITLE, SAMPLE_NAME)
    signed = PdfFileReader(io.BytesIO(main_document))
    person = layout.signature_widget_box(signed, "ChuKyCaNhan")
    seal = layout.signature_widget_box(signed, "ChuKyCoQuan")
    # the signer's image lies between the title line and the name, centred on them
    assert block.name.baseline < person.y0 < person.y1 < block.title.baseline
    assert abs((person.x0 + person.x1) / 2 - (block.title.centre + block.name.centre) / 2) < 1.5
    # the seal: real size, its right edge at a third of the signer's image, vertically centred on it
    assert abs(seal.width - SEAL_DIAMETER_MM * layout.MM) < 1.5 and abs(seal.height - seal.width) < 1.5
    assert abs(seal.x1 - (person.x0 + person.width / 3)) < 1.5
    assert abs((seal.y0 + seal.y1) / 2 - (person.y0 + person.y1) / 2) < 1.5
    # the main document carries no "signed by" text: the page text is unchanged
    assert PdfReader(io.BytesIO(main_document)).pages[-1].extract_text() == \
        PdfReader(io.BytesIO(sample_pdf)).pages[-1].extract_text()


def test_attachment_has_stamped_text_and_no_image(signing, sample_pdf):
    when = datetime(2026, 5, 12, 2, 30, 15, tzinfo=UTC)  # 09:30:15 in Việt Nam
    notation = "15/QĐ-UBND"
    signed = services.sign_pdf(sample_pdf, signer=signing.agency, kind="attachment", notation=notation,
                               signing_time=when)
    reader = PdfReader(io.BytesIO(signed))
    page = reader.pages[0]
    found = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            found.append((text.strip(), tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]))

    page.extract_text(visitor_text=visit)
    stamped = {text: (x, y) for text, x, y in found if text in (notation, "2026-05-12T09:30:15+07:00")}
    assert set(stamped) == {notation, "2026-05-12T09:30:15+07:00"}, found
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    for x, y in stamped.values():
        assert x > width * 0.6 and y > height - 25 * layout.MM  # top right
    assert stamped[notation][1] > stamped["2026-05-12T09:30:15+07:00"][1]  # number first, then the time
    fonts = [f.get_object() for f in page["/Resources"]["/Font"].values()]
    assert any("LiberationSerif" in str(f["/BaseFont"]) for f in fonts)
    # invisible signature: a zero-size widget and no image anywhere in the signature's revision
    field = next(a.get_object() for a in page["/Annots"] if a.get_object().get("/FT") == "/Sig")
    assert [float(v) for v in field["/Rect"]] == [0, 0, 0, 0]
    assert b"/Subtype /Image" not in signed[len(sample_pdf):]
    result = services.verify_pdf(signed)
    assert result.valid and result.signatures[0].pades_level == "B-LT"
    assert result.signatures[0].claimed_time == "2026-05-12T09:30:15+07:00"


def test_signing_time_in_vietnam_offset(signing, sample_pdf):
    signed = services.sign_pdf(sample_pdf, signer=signing.person, kind="personal", title=SAMPLE_TITLE,
                               name=SAMPLE_NAME, level="B-T")
    field = next(a.get_object() for a in PdfReader(io.BytesIO(signed)).pages[-1]["/Annots"]
                 if a.get_object().get("/FT") == "/Sig")
    assert re.fullmatch(r"D:\d{14}\+07'00'?", str(field["/V"]["/M"])), field["/V"]["/M"]
    result = services.verify_pdf(signed)
    sig = result.signatures[0]
    assert result.valid and sig.pades_level == "B-T" and sig.covers_whole_document
    assert ISO_VN.match(sig.claimed_time) and ISO_VN.match(sig.timestamp_time)
    with pytest.raises(DomainError) as err:
        services.sign_pdf(sample_pdf, signer=signing.person, signing_time=datetime(2026, 5, 12, 9, 30),
                          title=SAMPLE_TITLE, name=SAMPLE_NAME)
    assert err.value.code == "signing_time_naive"


def test_explicit_box_and_missing_lines(signing, sample_pdf):
    signed = services.sign_pdf(sample_pdf, signer=signing.person, kind="personal", box=(0, 350, 300, 480, 354),
                               level="B-B")
    from pyhanko.pdf_utils.reader import PdfFileReader

    box = layout.signature_widget_box(PdfFileReader(io.BytesIO(signed)), "ChuKyCaNhan")
    assert box.as_tuple() == (350, 300, 480, 354)
    assert services.verify_pdf(signed).signatures[0].pades_level == "B-B"
    with pytest.raises(DomainError) as err:
        services.sign_pdf(sample_pdf, signer=signing.person, kind="personal", title="GIÁM ĐỐC", name=SAMPLE_NAME)
    assert err.value.code == "signature_position_not_found"
    with pytest.raises(DomainError) as err:
        services.sign_pdf(sample_pdf, signer=signing.agency, kind="attachment")
    assert err.value.code == "notation_missing"


def test_revoked_certificate_cannot_sign(signing, sample_pdf):
    signer = ensure_demo_identity(signing.conf, label="test-revoked", common_name="Người Bị Thu Hồi",
                                  organisation="Sở Tư pháp", title="GIÁM ĐỐC")
    with pki.token_lock():
        cert = pki.find_certificate(pki.session(signing.conf), "test-revoked")
    pki.DemoCA(signing.conf).revoke(cert)
    with pytest.raises(DomainError) as err:
        services.sign_pdf(sample_pdf, signer=signer, kind="attachment", notation=SAMPLE_NOTATION)
    assert err.value.code == "signing_failed"
    # the others still sign (fresh CRLs listing only the revoked certificate)
    assert services.verify_pdf(services.sign_pdf(sample_pdf, signer=signing.agency, kind="attachment",
                                                 notation=SAMPLE_NOTATION)).valid


def test_b_lta_adds_a_document_timestamp(signing, sample_pdf):
    signed = services.sign_pdf(sample_pdf, signer=signing.agency, kind="attachment", notation=SAMPLE_NOTATION,
                               level="B-LTA")
    result = services.verify_pdf(signed)
    assert result.valid and result.document_timestamps == 1
    assert result.signatures[0].pades_level == "B-LTA"


def test_development_key_file_signer(signing, sample_pdf, tmp_path):
    """DEVELOPMENT ONLY: a key in a file, certified by the demo CA, signs the same way (never for real documents)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from tinhso.signing.signers import DevelopmentKeyFileSigner, demo_chain

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = pki.DemoCA(signing.conf).issue(key.public_key(), pki.subject_name("Nhà Phát Triển", "Tỉnh Số"))
    key_path, cert_path = tmp_path / "dev.key", tmp_path / "dev.pem"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    dev = DevelopmentKeyFileSigner(display_name="Nhà Phát Triển", image_path=signing.person.image_path,
                                   chain=demo_chain(signing.conf), key_path=key_path, cert_path=cert_path)
    signed = services.sign_pdf(sample_pdf, signer=dev, kind="personal", title=SAMPLE_TITLE, name=SAMPLE_NAME)
    result = services.verify_pdf(signed)
    assert result.valid and result.signatures[0].signer_name == "Nhà Phát Triển"
