"""The number in the signed PDF: the leader signs an unnumbered draft, the clerk issues it, and the final PDF carries
"Số: 01/KH-STP" and "Lạng Sơn, ngày … tháng … năm …" written after the personal signature and before the seal, with
both signatures valid for pyHanko and for poppler's ``pdfsig``. On the SoftHSM2 token: skipped with the reason where
SoftHSM2, WeasyPrint, pdfsig or certutil are absent, failed instead with ``TINHSO_REQUIRE_SIGNING=1``.

SoftHSM2 reads its configuration once per process: when an earlier module already loaded a demo token, this module
uses it (same token label as the other signing tests), and it leaves the setting pointing at the token it loaded so
that later modules can use it too.
"""

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from tinhso.documents import services
from tinhso.documents.models import DocumentFile
from tinhso.signing import numbering, pki
from tinhso.signing import services as signing_services
from tinhso.signing.conf import get_settings
from tinhso.signing.setup import setup_demo

from .conftest import doc_type

pytestmark = pytest.mark.django_db
STP = "000.00.03.H37"


def _unavailable(reason: str):
    if os.environ.get("TINHSO_REQUIRE_SIGNING") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def token(tmp_path_factory):
    previous = settings.TINHSO.get("SIGNING")
    loaded = os.environ.get("SOFTHSM2_CONF")
    if loaded and (Path(loaded).parent / "pki").is_dir():  # a demo token this process (or its caller) set up
        base = Path(loaded).parent
    else:
        base = tmp_path_factory.mktemp("signing")
    settings.TINHSO["SIGNING"] = {"DIR": str(base), "TOKEN_LABEL": "tinhso-test"}
    conf = get_settings()
    try:
        missing = pki.softhsm_missing(conf)
        if missing:
            _unavailable(missing)
        pki.DemoCA(conf).create()
        try:
            pki.init_softhsm_token(conf)
        except Exception as exc:  # noqa: BLE001 - SoftHSM2 loaded with another configuration in this process
            _unavailable(f"SoftHSM2 token not usable in this process: {exc}")
        yield conf
    finally:
        # the module is loaded on first use: from then on this process can only use this token
        keep = os.environ.get("SOFTHSM2_CONF") == str(conf.softhsm2_conf)
        if previous is not None or not keep:
            if previous is None:
                settings.TINHSO.pop("SIGNING", None)
            else:
                settings.TINHSO["SIGNING"] = previous


@pytest.fixture
def signing(token):
    current = settings.TINHSO.get("SIGNING")
    settings.TINHSO["SIGNING"] = {"DIR": str(token.dir), "TOKEN_LABEL": token.token_label}
    yield token
    if current is None:
        settings.TINHSO.pop("SIGNING", None)
    else:
        settings.TINHSO["SIGNING"] = current


@pytest.fixture(scope="module")
def draft_pdf() -> bytes:
    """An NĐ 30 draft of Sở Tư pháp: "Số:      /KH-STP" and a date line left for the clerk."""
    from tinhso.signing.sample import sample_document_pdf

    try:
        return sample_document_pdf(title="GIÁM ĐỐC", name="Nông Đức Thắng", notation="      /KH-STP")
    except OSError as exc:  # WeasyPrint without pango
        _unavailable(f"WeasyPrint cannot render here: {exc}")


def _visible_text(pdf: bytes) -> str:
    """Page 1's text as a reader sees it: the page content and the appearances of its form fields (pypdf)."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    parts = [page.extract_text()]
    for annot in page.get("/Annots") or []:
        annot = annot.get_object()
        if annot.get("/Subtype") == "/Widget" and not int(annot.get("/F", 0)) & 2 and "/AP" in annot:
            parts.append(page.extract_xform_text(annot["/AP"]["/N"].get_object()))
    return "\n".join(parts)


def _issued(people, agencies, draft_pdf):
    stp = agencies[STP]
    setup_demo([STP])  # the seal of Sở Tư pháp and its leader's key, on the token
    draft = services.create_draft(people["chuyenvien.stp"], stp, doc_type("KH"), "Kế hoạch chuyển đổi số",
                                  SimpleUploadedFile("ke-hoach.pdf", draft_pdf))
    services.submit_for_approval(people["chuyenvien.stp"], draft)
    services.approve(people["truongphong.stp"], draft)
    services.sign(people["giamdoc.stp"], draft)
    signed = services.main_file(draft)
    with signed.file.open("rb") as handle:
        personal = handle.read()
    issued = services.issue(people["vanthu.stp"], draft)
    final = services.main_file(issued)
    with final.file.open("rb") as handle:
        return issued, personal, final, handle.read()


def test_the_issued_pdf_carries_the_number_and_date_under_both_signatures(signing, people, agencies, draft_pdf,
                                                                          tmp_path):
    issued, personal, final, pdf = _issued(people, agencies, draft_pdf)
    day = issued.issued_date
    month = f"0{day.month}" if day.month < 3 else str(day.month)
    date_text = f"Lạng Sơn, ngày {day.day:02d} tháng {month} năm {day.year}"
    assert issued.notation == "01/KH-STP" and final.kind == DocumentFile.Kind.SIGNED

    # before issue: the leader's signed PDF has the two fields, empty and hidden
    assert numbering.field_values(personal) == {"SoKyHieu": "", "NgayBanHanh": ""}
    assert "01/KH-STP" not in _visible_text(personal)
    # after: incremental (the signed bytes untouched), the number and the date written, then the seal
    assert pdf.startswith(personal)
    assert numbering.field_values(pdf) == {"SoKyHieu": "Số: 01/KH-STP", "NgayBanHanh": date_text}
    text = _visible_text(pdf)
    assert "Số: 01/KH-STP" in text and date_text in text
    assert issued.events.get(action="issued").data["number_in_pdf"] is True

    result = signing_services.verify_pdf(pdf)
    assert result.valid, result.to_json(indent=1)
    person, seal = result.signatures
    assert (person.field, person.signer_name) == ("ChuKyCaNhan", "Nông Đức Thắng")
    assert (seal.field, seal.signer_name) == ("ChuKyCoQuan", "Sở Tư pháp")
    # the person's signature: intact, followed by form filling only (the number, the date, the seal)
    assert person.intact and person.ok and person.modifications == "form_filling" and person.modifications_allowed
    assert not person.covers_whole_document and seal.ok and seal.intact

    if not shutil.which("pdfsig"):
        _unavailable("pdfsig not found (Debian package poppler-utils)")
    if not shutil.which("certutil"):
        _unavailable("certutil not found (Debian package libnss3-tools)")
    db = tmp_path / "nssdb"
    db.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{db}", "--empty-password"], check=True, capture_output=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{db}", "-n", "Tinh So Demo Root CA", "-t", "C,C,C", "-i",
                    str(pki.DemoCA(get_settings()).root_cert_path)], check=True, capture_output=True)
    path = tmp_path / "issued.pdf"
    path.write_bytes(pdf)
    run = subprocess.run(["pdfsig", "-nssdir", f"sql:{db}", str(path)], capture_output=True, text=True, timeout=60)
    out = run.stdout + run.stderr
    assert out.count("Signature Validation: Signature is Valid.") == 2, out
    assert out.count("Certificate Validation: Certificate is Trusted.") == 2, out
    assert "Signature Field Name: ChuKyCaNhan" in out and "Signature Field Name: ChuKyCoQuan" in out
    # poppler renders the field appearances: its text extraction sees the number too
    if shutil.which("pdftotext"):
        extracted = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(path), "-"], capture_output=True,
                                   text=True, timeout=60).stdout
        assert "01/KH-STP" in extracted


def test_a_pdf_signed_without_the_fields_is_sealed_without_the_number(signing, people, agencies, draft_pdf):
    """A document signed before the fields existed: issuing still seals it; the number is in the register only."""
    import hashlib

    from django.core.files.base import ContentFile

    stp = agencies[STP]
    setup_demo([STP])
    draft = services.create_draft(people["chuyenvien.stp"], stp, doc_type("KH"), "Kế hoạch cũ",
                                  SimpleUploadedFile("ke-hoach.pdf", draft_pdf))
    services.submit_for_approval(people["chuyenvien.stp"], draft)
    services.approve(people["truongphong.stp"], draft)
    services.sign(people["giamdoc.stp"], draft)
    # the signed version as it was made before: the same signature, without the fields
    leader = services.personal_signer(people["giamdoc.stp"], stp)
    old = signing_services.sign_pdf(draft_pdf, signer=leader, kind="personal", title="GIÁM ĐỐC",
                                    name="Nông Đức Thắng")
    row = services.main_file(draft)
    row.file.save(row.name, ContentFile(old), save=False)
    row.size, row.sha256 = len(old), hashlib.sha256(old).hexdigest()
    row.save()

    issued = services.issue(people["vanthu.stp"], draft)
    with services.main_file(issued).file.open("rb") as handle:
        pdf = handle.read()
    assert pdf.startswith(old) and numbering.field_values(pdf) == {}
    assert issued.notation == "01/KH-STP" and issued.events.get(action="issued").data["number_in_pdf"] is False
    result = signing_services.verify_pdf(pdf)
    assert result.valid, result.to_json(indent=1)
    assert [s.field for s in result.signatures] == ["ChuKyCaNhan", "ChuKyCoQuan"]
