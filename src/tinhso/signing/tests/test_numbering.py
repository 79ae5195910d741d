"""The number and issue date written after the personal signature (``numbering``): where the fields go, what is
written, and that both signatures stay valid for pyHanko and for poppler's pdfsig, where a FreeText annotation
(the other way to write on a signed page) would not."""

import io
import re
import subprocess
from datetime import date

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pypdf import PdfReader

from tinhso.core.errors import DomainError
from tinhso.core.models import AdministrativeUnit, Agency
from tinhso.signing import layout, numbering, services
from tinhso.signing.sample import SAMPLE_NAME, SAMPLE_TITLE

ISSUED_ON = date(2026, 2, 5)


def _plain_pdf(text: str = "Noi dung van ban") -> bytes:
    """A one-page A4 PDF without the NĐ 30 header lines."""
    stream = f"BT /F1 12 Tf 72 500 Td ({text}) Tj ET".encode()
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595.28 841.89]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length " + str(len(stream)).encode() + b">>stream\n" + stream + b"\nendstream",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj".encode() + obj + b"endobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{off:010d} 00000 n \n".encode() for off in offsets)
    out += f"trailer<</Size {len(objects) + 1}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _widgets(pdf: bytes) -> dict[str, generic.DictionaryObject]:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    return {str(ref.get_object()["/T"]): ref.get_object() for ref in reader.root["/AcroForm"]["/Fields"]}


def _visible_text(pdf: bytes) -> str:
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    parts = [page.extract_text()]
    for annot in page.get("/Annots") or []:
        annot = annot.get_object()
        if annot.get("/Subtype") == "/Widget" and not int(annot.get("/F", 0)) & 2 and "/AP" in annot:
            parts.append(page.extract_xform_text(annot["/AP"]["/N"].get_object()))
    return "\n".join(parts)


# --- texts --------------------------------------------------------------------------------------------------------

def test_date_line_follows_appendix_i():
    assert numbering.date_line("Lạng Sơn", date(2026, 2, 5)) == "Lạng Sơn, ngày 05 tháng 02 năm 2026"
    assert numbering.date_line("Lạng Sơn", date(2026, 1, 31)) == "Lạng Sơn, ngày 31 tháng 01 năm 2026"
    assert numbering.date_line("Hữu Lũng", date(2026, 11, 23)) == "Hữu Lũng, ngày 23 tháng 11 năm 2026"
    assert numbering.date_line("", date(2026, 3, 9)) == "Ngày 09 tháng 3 năm 2026"
    assert numbering.number_line(" 12/QĐ-UBND ") == "Số: 12/QĐ-UBND"


@pytest.mark.django_db
def test_place_name_from_the_unit_or_the_settings(settings):
    province = AdministrativeUnit.objects.create(code="20", name="Tỉnh Lạng Sơn", division_type="tỉnh",
                                                 level=AdministrativeUnit.Level.PROVINCE)
    commune = AdministrativeUnit.objects.create(code="06253", name="Xã Hữu Lũng", division_type="xã",
                                                level=AdministrativeUnit.Level.COMMUNE, parent=province)
    numbered = AdministrativeUnit.objects.create(code="06254", name="Phường 1", division_type="phường",
                                                 level=AdministrativeUnit.Level.COMMUNE, parent=province)
    ubnd = Agency.objects.create(code="000.00.00.H37", name="UBND tỉnh Lạng Sơn", short_name="UBND",
                                 kind=Agency.Kind.PROVINCIAL_COMMITTEE, unit=province)
    department = Agency.objects.create(code="000.00.03.H37", name="Sở Tư pháp", short_name="STP",
                                       kind=Agency.Kind.DEPARTMENT, parent=ubnd)
    commune_committee = Agency.objects.create(code="000.31.00.H37", name="UBND xã Hữu Lũng", short_name="UBND",
                                              kind=Agency.Kind.COMMUNE_COMMITTEE, parent=ubnd, unit=commune)
    ward = Agency.objects.create(code="000.32.00.H37", name="UBND Phường 1", short_name="UBND",
                                 kind=Agency.Kind.COMMUNE_COMMITTEE, parent=ubnd, unit=numbered)
    assert numbering.place_name(ubnd) == "Lạng Sơn"
    assert numbering.place_name(department) == "Lạng Sơn"  # from the agency above it
    assert numbering.place_name(commune_committee) == "Hữu Lũng"
    assert numbering.place_name(ward) == "Phường 1"  # a unit named by a number keeps its full name
    settings.TINHSO = {**settings.TINHSO, "DOCUMENT_PLACE_NAME": "Xứ Lạng",
                       "DOCUMENT_PLACE_NAMES": {"000.31.00.H37": "Phường Lương Văn Tri"}}
    assert numbering.place_name(department) == "Xứ Lạng"
    assert numbering.place_name(commune_committee) == "Phường Lương Văn Tri"


# --- places -------------------------------------------------------------------------------------------------------

def test_fields_go_over_the_drafts_own_lines(sample_pdf):
    reader = PdfFileReader(io.BytesIO(sample_pdf))
    lines = layout.text_lines(reader, 0)
    number_line = next(ln for ln in lines if ln.text.startswith("Số:"))
    date_line = next(ln for ln in lines if "ngày" in ln.text)
    places = numbering.find_places(reader)
    for name, line in ((numbering.NUMBER_FIELD, number_line), (numbering.DATE_FIELD, date_line)):
        place = places[name]
        assert place.cover and place.align == 1 and place.box.page == 0 and place.size == pytest.approx(line.size)
        # the box covers the whole line (its blank too) with room on both sides, centred on it
        assert place.box.x0 < line.x0 and line.x1 < place.box.x1
        assert place.box.y0 < line.baseline - 0.2 * line.size and line.baseline + 0.9 * line.size < place.box.y1
        assert abs((place.box.x0 + place.box.x1) / 2 - line.centre) < 0.5
    # one row: the two boxes do not overlap
    assert places[numbering.NUMBER_FIELD].box.x1 < places[numbering.DATE_FIELD].box.x0


def test_without_the_lines_the_fields_go_to_the_top_margin():
    reader = PdfFileReader(io.BytesIO(_plain_pdf()))
    places = numbering.find_places(reader)
    number, when = places[numbering.NUMBER_FIELD], places[numbering.DATE_FIELD]
    for place in (number, when):
        assert not place.cover and place.align == 2
        assert place.box.x1 == pytest.approx(595.28 - 15 * layout.MM) and place.box.y1 > 841.89 - 20 * layout.MM
    assert when.box.y1 <= number.box.y0 + 1  # the date under the number


# --- writing ------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def personal(signing_env, sample_pdf) -> bytes:
    return services.sign_pdf(sample_pdf, signer=signing_env.person, kind="personal", title=SAMPLE_TITLE,
                             name=SAMPLE_NAME, number_fields=True)


@pytest.fixture(scope="module")
def issued(signing_env, personal) -> bytes:
    numbered = services.write_document_number(personal, notation="12/KH-UBND", issued_on=ISSUED_ON,
                                              place="Lạng Sơn")
    return services.sign_pdf(numbered, signer=signing_env.agency, kind="agency")


def test_the_personal_signature_covers_hidden_empty_fields(signing, personal, sample_pdf):
    assert personal.startswith(sample_pdf)
    fields = _widgets(personal)
    for name in numbering.FIELDS:
        field = fields[name]
        assert field["/FT"] == "/Tx" and int(field["/Ff"]) & 1 and int(field["/F"]) & 2  # read-only, hidden
        assert str(field["/V"]) == ""
    result = services.verify_pdf(personal)
    assert result.valid and result.signatures[0].covers_whole_document is False  # the DSS update after it
    assert "12/KH-UBND" not in _visible_text(personal)


def test_number_and_date_written_then_sealed_both_signatures_valid(signing, personal, issued, pdfsig, nss_db,
                                                                   tmp_path):
    assert issued.startswith(personal)
    assert numbering.field_values(issued) == {"SoKyHieu": "Số: 12/KH-UBND",
                                              "NgayBanHanh": "Lạng Sơn, ngày 05 tháng 02 năm 2026"}
    fields = _widgets(issued)
    assert all(int(fields[name]["/F"]) == 4 for name in numbering.FIELDS)  # visible and printed
    text = _visible_text(issued)
    assert "Số: 12/KH-UBND" in text and "Lạng Sơn, ngày 05 tháng 02 năm 2026" in text

    result = services.verify_pdf(issued)
    assert result.valid, result.to_json(indent=1)
    person, agency = result.signatures
    assert person.ok and person.intact and person.modifications == "form_filling"
    assert agency.ok and agency.field == "ChuKyCoQuan" and agency.pades_level == "B-LT"

    path = tmp_path / "issued.pdf"
    path.write_bytes(issued)
    run = subprocess.run([pdfsig, "-nssdir", nss_db, str(path)], capture_output=True, text=True, timeout=60)
    out = run.stdout + run.stderr
    assert out.count("Signature Validation: Signature is Valid.") == 2, out
    assert out.count("Certificate Validation: Certificate is Trusted.") == 2, out


def test_the_seal_stays_where_appendix_i_puts_it(signing, personal, issued):
    reader = PdfFileReader(io.BytesIO(issued))
    person = layout.signature_widget_box(reader, "ChuKyCaNhan")
    seal = layout.signature_widget_box(reader, "ChuKyCoQuan")
    assert abs(seal.x1 - (person.x0 + person.width / 3)) < 1.5


def test_a_freetext_note_after_the_signature_is_not_accepted(signing, personal):
    """Why fields: an annotation added after the personal signature makes pyHanko report the signature modified."""
    writer = IncrementalPdfFileWriter(io.BytesIO(personal))
    page_ref, _resources = writer.find_page_for_modification(0)
    name = generic.NameObject
    note = generic.DictionaryObject({
        name("/Type"): name("/Annot"), name("/Subtype"): name("/FreeText"),
        name("/Rect"): generic.ArrayObject(generic.FloatObject(v) for v in (100, 700, 220, 720)),
        name("/Contents"): generic.TextStringObject("Số: 12/KH-UBND"), name("/DA"): generic.TextStringObject(
            "/Helv 12 Tf 0 g"),
    })
    writer.register_annotation(page_ref, writer.add_object(note))
    out = io.BytesIO()
    writer.write(out)
    result = services.verify_pdf(out.getvalue())
    assert not result.valid and result.signatures[0].modifications == "other"


def test_a_document_signed_without_the_fields(signing, signing_env, sample_pdf):
    signed = services.sign_pdf(sample_pdf, signer=signing_env.person, kind="personal", title=SAMPLE_TITLE,
                               name=SAMPLE_NAME)
    assert services.write_document_number(signed, notation="12/KH-UBND", issued_on=ISSUED_ON) is None
    with pytest.raises(DomainError) as caught:
        numbering.fill_fields(signed, {numbering.NUMBER_FIELD: "Số: 1/KH"})
    assert caught.value.code == "number_fields_missing"
    with pytest.raises(DomainError) as caught:
        services.write_document_number(b"not a pdf", notation="1/KH", issued_on=ISSUED_ON)
    assert caught.value.code == "pdf_invalid"
    # a draft that already carries a signature gets no fields: they would break that signature
    again = services.sign_pdf(signed, signer=signing_env.person, kind="personal", title=SAMPLE_TITLE,
                              name=SAMPLE_NAME, number_fields=True)
    assert numbering.field_values(again) == {}
    assert services.verify_pdf(again).valid


def test_a_long_text_is_made_smaller_never_outside_its_box(signing, signing_env):
    """A draft without the header lines: fields in the margin; a text longer than the box shrinks to fit."""
    plain = _plain_pdf()
    signed = services.sign_pdf(plain, signer=signing_env.person, kind="personal", number_fields=True,
                               box=(0, 300, 200, 420, 260))
    notation = "1234/QĐ-" + "X" * 60
    written = services.write_document_number(signed, notation=notation, issued_on=ISSUED_ON, place="Lạng Sơn")
    field = _widgets(written)[numbering.NUMBER_FIELD]
    stream = field["/AP"]["/N"].get_object().data
    size = float(re.search(rb"/F1 ([0-9.]+) Tf", stream).group(1))
    assert size < numbering.MARGIN_SIZE
    assert numbering.field_values(written)[numbering.NUMBER_FIELD] == f"Số: {notation}"
    assert services.verify_pdf(written).signatures[0].ok
