"""Tests of the edXML reader/writer (``exchange/edxml.py``) and the ``tinhso edxml`` command.

The real packages are the Government Office SDK samples in ``../shared/data/edxml-samples`` (see PROVENANCE.md there),
read in place, never copied. Facts used below, read from those files:

* edoc_update / edoc_replacement / edoc_revocation: from ``000.00.00.G22`` (Văn phòng Chính phủ) to ``000.00.00.H41``,
  ``000.00.00.H14`` and ``000.00.00.G17``; DocumentId ``000.00.00.G22,2015/09/30,7816/VPCP-TTĐT``; Code 7816 /
  VPCP-TTĐT; promulgated 2018/09/28 in Hà Nội; BussinessDocType 2, 3, 1; one attachment ``1896_QD-TTg_m_294779.doc``
  (``cid:209``, application/zip) of 270,823 bytes once decoded — a zip holding one .edxml file;
* status_*.edxml: status codes 01, 02, 03, 04, 06, 13 about that DocumentId, sent by ``000.00.00.H41`` (13 by
  ``000.00.00.G22``, the sender recalling), timestamp 2015/09/20 11:08:36 (status.edxml: 01, 2018/09/28 17:25:11);
* edoc_new.edxml starts with the four bytes ``1212`` before ``<?xml`` (not well-formed);
* edoc.edxml uses ``xlink:href`` on line 116 without declaring ``xlink``, then ``edXML:AttachmentEncoded`` on line 125
  outside the element that declares ``edXML``, and its attachment is a JMeter placeholder, not base64.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import time
import zipfile
from dataclasses import replace
from datetime import date, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tinhso.core.testing import REPO_ROOT, shared_data
from tinhso.exchange.edxml import (
    NS,
    Attachment,
    Business,
    BusinessDocType,
    BusinessDocumentInfo,
    Code,
    DocumentMessage,
    DocumentType,
    EdxmlError,
    Limits,
    Organization,
    OtherInfo,
    PromulgationInfo,
    Receiver,
    ReplacementInfo,
    ResponseFor,
    SignerInfo,
    StaffInfo,
    StatusCode,
    StatusMessage,
    TraceHeader,
    build,
    build_document,
    build_status,
    document_id,
    parse,
    split_document_id,
    summary,
)

DOC_ID = "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
VALID_DOCUMENTS = ["edoc_update.edxml", "edoc_replacement.edxml", "edoc_revocation.edxml"]
STATUS_SAMPLES = {
    "status.edxml": ("01", "000.00.00.H41", "000.00.00.G22", datetime(2018, 9, 28, 17, 25, 11)),
    "status_inbox__01.edxml": ("01", "000.00.00.H41", "000.00.00.G22", datetime(2015, 9, 20, 11, 8, 36)),
    "status_rejection_02.edxml": ("02", "000.00.00.H41", "000.00.00.G22", datetime(2015, 9, 20, 11, 8, 36)),
    "status_acceptance_03.edxml": ("03", "000.00.00.H41", "000.00.00.G22", datetime(2015, 9, 20, 11, 8, 36)),
    "status_assignment_04.edxml": ("04", "000.00.00.H41", "000.00.00.G22", datetime(2015, 9, 20, 11, 8, 36)),
    "status_finish_06.edxml": ("06", "000.00.00.H41", "000.00.00.G22", datetime(2015, 9, 20, 11, 8, 36)),
    "status_cancellation_13.edxml": ("13", "000.00.00.G22", "000.00.00.H41", datetime(2015, 9, 20, 11, 8, 36)),
}
VALID_SAMPLES = VALID_DOCUMENTS + list(STATUS_SAMPLES)


def sample(name: str) -> bytes:
    return shared_data("edxml-samples", name).read_bytes()


def refused(data: bytes, **kwargs) -> EdxmlError:
    with pytest.raises(EdxmlError) as info:
        parse(data, **kwargs)
    return info.value


# ------------------------------------------------------------------------------------------------- real samples


def test_update_sample_fields():
    msg = parse(sample("edoc_update.edxml"))
    assert isinstance(msg, DocumentMessage) and msg.kind == "document"
    assert msg.document_id == DOC_ID
    assert msg.code == Code("7816", "VPCP-TTĐT")
    assert msg.promulgation == PromulgationInfo(date(2018, 9, 28), "Hà Nội")
    assert msg.subject == "V/v kết nối, liên thông phần mềm quản lý văn bản"
    assert msg.sender.organ_id == "000.00.00.G22" and msg.sender.organ_name == "Văn phòng Chính phủ"
    assert [r.organ_id for r in msg.recipients] == ["000.00.00.H41", "000.00.00.H14", "000.00.00.G17"]
    assert msg.recipients[0].organ_name == "UBND Tỉnh Nghệ An"
    assert msg.document_type == DocumentType(type="1", type_name="Công văn", type_detail="0")
    assert msg.signer == SignerInfo("TL. BO TRUONG", "Cuc truong cuc ung dung cong nghe thong tin", "Nguyen Thanh Phuc")
    assert msg.due_date == date(2018, 9, 28)
    assert msg.to_places == ("Cac bo va co quan ngang bo", "Uy ban nhan dan cac tinh, TP")
    assert msg.other_info == OtherInfo(
        priority="0", sphere_of_promulgation="Liên thông văn bản quốc gia", typer_notation="TVC",
        promulgation_amount=2, page_amount=22, direction="false",
        appendixes=("Công văn về việc kết nối, liên thông phần mềm quản lý văn bản",),
    )
    assert msg.steering_type == "1"
    assert msg.trace == (TraceHeader("000.00.00.G22", datetime(2018, 9, 28, 0, 0, 0)),)
    business = msg.business
    assert business.doc_type == BusinessDocType.UPDATE and business.reason == "Cập nhật văn bản điện tử"
    assert business.paper == "0"
    # The sample's own Bussiness/DocumentId carries 30 February: kept as received, it is not the standard form.
    assert business.document_id == "000.00.00.G22,2014/02/30,7806/VPCP-TTĐT"
    assert split_document_id(business.document_id) is None
    assert business.document_info == BusinessDocumentInfo(
        document_info="1", document_receiver="1",
        receivers=(Receiver("000.00.00.H41", "0"), Receiver("000.00.00.H14", "1")),
    )
    assert business.staff == StaffInfo("Văn thư văn phòng", "Nguyễn Thị Ngọc Trâm", "84912000001",
                                       "vanthuvanphong@gov.vn")
    assert msg.signed is True


@pytest.mark.parametrize("name", VALID_DOCUMENTS)
def test_document_samples_attachment(name):
    msg = parse(sample(name))
    assert msg.document_id == DOC_ID and msg.sender.organ_id == "000.00.00.G22"
    assert len(msg.attachments) == 1
    att = msg.attachments[0]
    assert (att.name, att.content_type, att.content_id, att.description) == (
        "1896_QD-TTg_m_294779.doc", "application/zip", "cid:209", "1896_QD-TTg_m_294779.doc")
    assert att.size == 270_823
    with zipfile.ZipFile(io.BytesIO(att.data)) as archive:  # the decoded bytes are the real zip
        (inner,) = archive.infolist()
        assert inner.filename.endswith(".edxml") and inner.file_size == 388_347
        assert archive.testzip() is None


def test_replacement_and_revocation_samples():
    replacement = parse(sample("edoc_replacement.edxml")).business
    assert replacement.doc_type == BusinessDocType.REPLACEMENT and replacement.reason == "Văn bản thay thế"
    assert replacement.replacements == (
        ReplacementInfo("000.00.00.G22,2014/01/30,7806/VPCP-TTĐT", ("000.00.00.H41", "000.00.00.H14")),
    ) * 2
    assert split_document_id(replacement.replacements[0].document_id).date == date(2014, 1, 30)
    revocation = parse(sample("edoc_revocation.edxml")).business
    assert revocation.doc_type == BusinessDocType.REVOCATION
    assert revocation.reason == "Thu hồi văn bản điện tử" and revocation.replacements == ()


@pytest.mark.parametrize("name", list(STATUS_SAMPLES))
def test_status_samples(name):
    code, sender, response_organ, timestamp = STATUS_SAMPLES[name]
    msg = parse(sample(name))
    assert isinstance(msg, StatusMessage) and msg.kind == "status"
    assert msg.status_code == StatusCode(code)
    assert msg.sender.organ_id == sender
    assert msg.response_for.document_id == DOC_ID
    assert msg.response_for.organ_id == response_organ and msg.response_for.code == "7816/VPCP-TTĐT"
    assert msg.timestamp == timestamp
    assert msg.description


def test_status_sample_texts():
    rejection = parse(sample("status_rejection_02.edxml"))
    assert rejection.description == "Văn thư - Phòng Văn thư - Lưu trữ: Từ chối không tiếp nhận văn bản điện tử"
    assert rejection.status_code.label == "Từ chối tiếp nhận"
    acceptance = parse(sample("status_acceptance_03.edxml"))
    assert acceptance.response_for.promulgation_date == date(2015, 9, 30)
    assert acceptance.staff == StaffInfo("Phong hanh chinh", "Nguyen thi ngoc tram", "84912000001",
                                         "ngoctram@nghean.vn")
    generic = parse(sample("status.edxml"))
    assert generic.response_for.promulgation_date == date(2018, 9, 28)
    assert generic.staff.staff == "Nguyễn Thị Ngọc Trâm"


def test_edoc_new_is_refused_for_the_bytes_before_the_declaration():
    data = sample("edoc_new.edxml")
    assert data[:9] == b"1212<?xml"
    err = refused(data)
    assert err.code == "xml_malformed"
    assert "4 byte lạ “1212”" in err.message and "khai báo XML" in err.message
    assert "stray bytes '1212' before the XML declaration" in err.detail
    assert (err.line, err.column) == (1, 1)
    # That is its only fatal defect: without the four bytes it reads, with its odd values kept as they are.
    msg = parse(data[4:])
    assert msg.code == Code("74fass22", "VPCP-TTĐT")
    assert msg.document_id == DOC_ID and msg.promulgation.date == date(2019, 1, 16)
    assert [r.organ_id for r in msg.recipients] == ["28.22.H17"]
    assert msg.business.doc_type == BusinessDocType.NEW
    assert msg.business.document_id == "000.00.00.G22,2014/02/30,7806/VPCP-TTĐT"


def test_edoc_is_refused_for_its_unbound_prefixes():
    data = sample("edoc.edxml")
    err = refused(data)
    assert err.code == "xml_malformed"
    assert (err.line, err.column) == (116, 9)
    assert "“xlink” chưa được khai báo" in err.message and '<edXML:Reference xlink:href="">' in err.message
    # Second defect: edXML:AttachmentEncoded sits outside edXMLEnvelope, the only element declaring xmlns:edXML.
    err = refused(data.replace(b' xlink:href=""', b""))
    assert err.code == "xml_malformed" and err.line == 125 and "“edXML”" in err.message
    # Third: with both prefixes declared, the attachment is a JMeter placeholder, not base64.
    root = f'<edXML xmlns="{NS}">'.encode()
    declared = f'<edXML xmlns="{NS}" xmlns:edXML="{NS}" xmlns:xlink="http://www.w3.org/1999/xlink">'.encode()
    err = refused(data.replace(root, declared))
    assert err.code == "attachment_invalid" and "${__StringFromFile(test.txt,,,)}" in err.message


# ---------------------------------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("name", VALID_SAMPLES)
def test_samples_round_trip(name):
    first = parse(sample(name))
    rebuilt = build(first)
    second = parse(rebuilt)
    assert second == first
    assert build(second) == rebuilt  # deterministic
    if isinstance(first, DocumentMessage):
        assert second.attachments[0].data == first.attachments[0].data
        assert second.signed is False  # a rebuilt package is not signed; signing is a separate step


def test_built_document_has_the_samples_shape():
    data = build_document(parse(sample("edoc_update.edxml")))
    text = data.decode("utf-8")
    assert text.startswith(f'<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="{NS}">\n'
                           f'  <edXML:edXMLEnvelope xmlns:edXML="{NS}">\n')
    assert "<edXML:Bussiness>" in text and "<edXML:BussinessDocType>2</edXML:BussinessDocType>" in text
    assert '<edXML:edXMLManifest version="1.0">' in text
    assert text.index("</edXML:edXMLEnvelope>") < text.index("<AttachmentEncoded>")
    assert f'<edXML:ContentTransferEncoded xmlns:edXML="{NS}">UEsDB' in text


_TEXT = "Aaz09 Đđ ẠạẾếỮữ ơư &<>\"' ]]> /,;: \t\r\n—“”"


def _text(rng: random.Random, *, optional: bool = True, size: int = 30) -> str:
    if optional and rng.random() < 0.25:
        return ""
    return "".join(rng.choice(_TEXT) for _ in range(rng.randint(1, size))).strip() or "x"


def _org(rng: random.Random, n: int) -> Organization:
    return Organization(f"000.00.{n % 100:02d}.H{rng.randint(1, 99):02d}", *(_text(rng) for _ in range(7)))


def _when(rng: random.Random) -> datetime:
    return datetime(rng.randint(2000, 2030), rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23),
                    rng.randint(0, 59), rng.randint(0, 59))


def _staff(rng: random.Random) -> StaffInfo | None:
    return None if rng.random() < 0.3 else StaffInfo(_text(rng), _text(rng), _text(rng), _text(rng))


def random_document(rng: random.Random) -> DocumentMessage:
    sender = _org(rng, 0)
    day = _when(rng).date()
    code = Code(str(rng.randint(1, 9999)).zfill(2), rng.choice(["UBND-VP", "QĐ-UBND", "KH-UBND", "QyĐ-TTr"]))
    doc_id = (document_id(sender.organ_id, day, code.number, code.notation) if rng.random() < 0.8
              else f"{rng.getrandbits(128):032x}")  # another system's form, kept as it is
    doc_type = rng.choice(list(BusinessDocType))
    business = None if rng.random() < 0.2 else Business(
        doc_type=doc_type, reason=_text(rng), document_id=rng.choice(["", doc_id]), paper=rng.choice(["", "0", "1"]),
        document_info=BusinessDocumentInfo("1", "1", (Receiver("000.00.00.H41", "0"),)) if rng.random() < 0.3
        else None,
        replacements=tuple(ReplacementInfo(doc_id, tuple(_org(rng, i).organ_id for i in range(rng.randint(0, 3))))
                           for _ in range(rng.randint(1, 2))) if doc_type == BusinessDocType.REPLACEMENT else (),
        staff=_staff(rng),
    )
    attachments = tuple(
        Attachment(name=f"tệp {i} - {''.join(rng.choice('Quyết định & <số> 05') for _ in range(12))}.pdf",
                   content_type=rng.choice(["application/pdf", "", "application/zip"]), content_id=f"cid:{i}",
                   data=rng.randbytes(rng.randint(0, 3000)), description=_text(rng))
        for i in range(rng.randint(0, 3))
    )
    return DocumentMessage(
        sender=sender,
        recipients=tuple(_org(rng, i + 1) for i in range(rng.randint(1, 4))),
        document_id=doc_id,
        code=code,
        promulgation=PromulgationInfo(day, _text(rng)),
        subject=_text(rng, optional=False, size=200),
        document_type=DocumentType(_text(rng), _text(rng), _text(rng)),
        content=_text(rng, size=500),
        signer=None if rng.random() < 0.3 else SignerInfo(_text(rng), _text(rng), _text(rng)),
        due_date=None if rng.random() < 0.5 else _when(rng).date(),
        to_places=tuple(_text(rng, optional=False) for _ in range(rng.randint(0, 3))),
        other_info=None if rng.random() < 0.3 else OtherInfo(
            priority=rng.choice(["", "0", "1", "2"]), sphere_of_promulgation=_text(rng), typer_notation=_text(rng),
            promulgation_amount=rng.choice([None, 0, 12]), page_amount=rng.choice([None, 3]),
            direction=rng.choice(["", "false"]), appendixes=tuple(_text(rng, optional=False) for _ in range(2))),
        response_for=tuple(ResponseFor(document_id(f"000.00.00.H{n:02d}", day, "05", "UBND-VP"), "000.00.00.H01",
                                       "05/UBND-VP", rng.choice([None, day])) for n in range(rng.randint(0, 2))),
        steering_type=rng.choice(["", "0", "1"]),
        trace=tuple(TraceHeader(_org(rng, i).organ_id, _when(rng)) for i in range(rng.randint(0, 3))),
        business=business,
        attachments=attachments,
    )


def random_status(rng: random.Random) -> StatusMessage:
    code = rng.choice(list(StatusCode))
    return StatusMessage(
        response_for=ResponseFor(DOC_ID, *rng.choice([("", "", None), ("000.00.00.G22", "7816/VPCP-TTĐT",
                                                                         date(2015, 9, 30))])),
        sender=_org(rng, 1),
        status_code=code,
        timestamp=_when(rng),
        description=_text(rng, optional=code not in (StatusCode.REJECTED, StatusCode.CHANGE_REFUSED)),
        staff=_staff(rng),
    )


def test_generated_messages_round_trip():
    rng = random.Random(20250102)
    for _ in range(150):
        for msg in (random_document(rng), random_status(rng)):
            assert parse(build(msg)) == msg


def test_aware_timestamps_are_written_in_vietnam_time():
    from datetime import UTC

    msg = StatusMessage(ResponseFor(DOC_ID), Organization("000.00.00.H30"), StatusCode.FINISHED,
                        datetime(2025, 1, 2, 1, 30, tzinfo=UTC))
    assert b"<edXML:Timestamp>2025/01/02 08:30:00</edXML:Timestamp>" in build_status(msg)
    assert parse(build_status(msg)).timestamp == datetime(2025, 1, 2, 8, 30)


def test_document_id():
    assert document_id("000.00.04.G14", date(2012, 8, 6), 267, "VPCP-TTĐT") == "000.00.04.G14,2012/08/06,267/VPCP-TTĐT"
    assert document_id("000.00.00.H30", date(2025, 1, 2), 5, "QĐ-UBND") == "000.00.00.H30,2025/01/02,05/QĐ-UBND"
    assert document_id("000.00.00.H30", date(2025, 1, 2), "09", "QyĐ-TTr") == "000.00.00.H30,2025/01/02,09/QyĐ-TTr"
    parts = split_document_id("000.00.04.G14,2012/08/06,267/VPCP-TTĐT")
    assert (parts.organ_id, parts.date, parts.code_number, parts.code_notation) == (
        "000.00.04.G14", date(2012, 8, 6), "267", "VPCP-TTĐT")
    assert split_document_id("9fbfbad2-f1f8-4256-a2eb-50fb1061cddb") is None
    for bad in [("", date(2025, 1, 1), 1, "UBND-VP"), ("000.00.00.H30", date(2025, 1, 1), "1/2", "UBND-VP"),
                ("000,00", date(2025, 1, 1), 1, "UBND-VP"), ("000.00.00.H30", date(2025, 1, 1), 1, "A,B")]:
        with pytest.raises(EdxmlError) as info:
            document_id(*bad)
        assert info.value.code == "bad_document_id"


def test_other_systems_document_ids_are_kept_as_received():
    msg = replace(random_document(random.Random(1)), document_id="9fbfbad2-f1f8-4256-a2eb-50fb1061cddb")
    assert parse(build(msg)).document_id == "9fbfbad2-f1f8-4256-a2eb-50fb1061cddb"


# ----------------------------------------------------------------------------------------------- hostile inputs

STATUS_TEMPLATE = f"""<?xml version="1.0" encoding="UTF-8"?>
{{doctype}}<edXML xmlns="{NS}"><edXML:edXMLEnvelope xmlns:edXML="{NS}"><edXML:edXMLHeader><edXML:MessageHeader>
<edXML:From><edXML:OrganId>000.00.00.H41</edXML:OrganId><edXML:OrganName>{{name}}</edXML:OrganName></edXML:From>
<edXML:ResponseFor><edXML:DocumentId>{DOC_ID}</edXML:DocumentId></edXML:ResponseFor>
<edXML:StatusCode>03</edXML:StatusCode><edXML:Timestamp>2025/01/02 08:00:00</edXML:Timestamp>
</edXML:MessageHeader></edXML:edXMLHeader></edXML:edXMLEnvelope></edXML>"""


def status_xml(doctype: str = "", name: str = "UBND") -> bytes:
    return STATUS_TEMPLATE.format(doctype=doctype, name=name).encode("utf-8")


def test_template_is_valid():
    assert parse(status_xml()).status_code == StatusCode.ACCEPTED


def test_status_element_form_of_the_standard_text():
    data = status_xml().replace(b"<edXML:MessageHeader>", b"<edXML:Status>").replace(
        b"</edXML:MessageHeader>", b"</edXML:Status>")
    msg = parse(data)
    assert msg.status_code == StatusCode.ACCEPTED and msg.response_for.document_id == DOC_ID


def test_xxe_external_entity_refused_and_nothing_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER", "utf-8")
    for target in ("file:///etc/passwd", secret.as_uri()):
        err = refused(status_xml(f'<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "{target}">]>\n', name="&xxe;"))
        assert err.code == "xml_forbidden"
        text = f"{err} {err.detail}"
        assert "root:" not in text and "TOP-SECRET-MARKER" not in text
    err = refused(status_xml(f'<!DOCTYPE edXML SYSTEM "{secret.as_uri()}">\n'))
    assert err.code == "xml_forbidden"
    err = refused(status_xml(f'<!DOCTYPE edXML [<!ENTITY % ext SYSTEM "{secret.as_uri()}"> %ext;]>\n'))
    assert err.code == "xml_forbidden" and "TOP-SECRET-MARKER" not in f"{err} {err.detail}"


def test_billion_laughs_refused_quickly():
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    started = time.perf_counter()
    err = refused(status_xml(f"<!DOCTYPE edXML [{entities}]>\n", name="&lol9;"))
    assert err.code == "xml_forbidden"
    assert time.perf_counter() - started < 0.5


def test_quadratic_blowup_refused():
    err = refused(status_xml(f'<!DOCTYPE edXML [<!ENTITY a "{"x" * 50_000}">]>\n', name="&a;" * 50_000))
    assert err.code == "xml_forbidden"


def test_deep_nesting_refused():
    started = time.perf_counter()
    data = f'<edXML xmlns="{NS}">'.encode() + b"<a>" * 200_000 + b"</a>" * 200_000 + b"</edXML>"
    err = refused(data)
    assert err.code == "too_deep" and "32" in err.message
    assert time.perf_counter() - started < 1


def test_too_many_elements_refused():
    data = f'<edXML xmlns="{NS}">'.encode() + b"<a/>" * 1000 + b"</edXML>"
    assert refused(data, limits=Limits(max_elements=500)).code == "too_large"


def _document_with(attachment: bytes) -> bytes:
    msg = replace(random_document(random.Random(7)), attachments=(
        Attachment("hồ sơ.pdf", "application/pdf", "cid:1", b"PLACEHOLDER"),))
    placeholder = base64.b64encode(b"PLACEHOLDER")
    data = build_document(msg)
    assert data.count(placeholder) == 1
    return data.replace(placeholder, attachment)


def test_fifty_megabyte_attachment_refused_by_the_size_limit():
    data = _document_with(base64.b64encode(b"\0" * 50_000_000))
    started = time.perf_counter()
    err = refused(data)
    assert err.code == "too_large" and "vượt giới hạn" in err.message
    assert time.perf_counter() - started < 1
    # Under a larger message limit, the per-attachment limit still refuses it, before decoding.
    err = refused(data, limits=Limits(max_message_bytes=100_000_000))
    assert err.code == "too_large" and "Tệp đính kèm" in err.message and err.field.endswith("ContentTransferEncoded")
    with pytest.raises(EdxmlError) as info:
        build_document(replace(random_document(random.Random(7)), attachments=(
            Attachment("lớn.pdf", "application/pdf", "cid:1", b"\0" * 40_000_000),)))
    assert info.value.code == "too_large"


def test_bad_attachments_refused():
    assert refused(_document_with(b"not base64!!")).code == "attachment_invalid"
    msg = replace(random_document(random.Random(7)), attachments=(Attachment("a.pdf", "", "cid:1", b"x"),))
    data = build_document(msg)
    start, end = data.index(b"  <AttachmentEncoded>"), data.index(b"</AttachmentEncoded>\n") + 21
    err = refused(data[:start] + data[end:])  # listed in the manifest, no content
    assert err.code == "attachment_invalid" and "cid:1" in err.message
    for name in ("../../etc/passwd", "a\\b.pdf", ".."):
        with pytest.raises(EdxmlError) as info:
            build_document(replace(msg, attachments=(Attachment(name, "", "cid:1", b"x"),)))
        assert info.value.code == "attachment_invalid"
    err = refused(data.replace(b"<AttachmentName>a.pdf<", b"<AttachmentName>../x.pdf<"))
    assert err.code == "attachment_invalid"


def test_not_well_formed_refused():
    err = refused(status_xml()[:-20])
    assert err.code == "xml_malformed" and err.line and err.column
    assert refused(b"").code == "xml_malformed"
    assert refused(b"<a><b></a>").code == "xml_malformed"
    assert refused("không phải XML".encode()).code == "xml_malformed"


def test_not_edxml_refused():
    assert refused(b"<html><body/></html>").code == "not_edxml"
    assert refused(b'<edXML xmlns="urn:other"/>').code == "not_edxml"
    assert refused(f'<edXML xmlns="{NS}"/>'.encode()).code == "missing_field"


def test_unknown_status_code_refused():
    data = sample("status_acceptance_03.edxml").replace(b">03</edXML:StatusCode>", b">99</edXML:StatusCode>")
    err = refused(data)
    assert err.code == "unknown_status_code" and "“99”" in err.message
    assert err.field == "edXML/edXMLEnvelope/edXMLHeader/MessageHeader/StatusCode"
    with pytest.raises(EdxmlError) as info:
        build_status(replace(parse(status_xml()), status_code="99"))
    assert info.value.code == "unknown_status_code"


def test_missing_sender_organ_id_refused():
    status = sample("status_finish_06.edxml").replace(b"<edXML:OrganId>000.00.00.H41</edXML:OrganId>", b"")
    err = refused(status)
    assert err.code == "missing_field" and err.field == "edXML/edXMLEnvelope/edXMLHeader/MessageHeader/From/OrganId"
    assert "Thiếu trường bắt buộc" in err.message
    document = sample("edoc_update.edxml")
    start = document.index(b"<edXML:From>")
    document = document[:start] + document[start:].replace(b"<edXML:OrganId>000.00.00.G22</edXML:OrganId>", b"", 1)
    err = refused(document)
    assert err.code == "missing_field" and err.field.endswith("MessageHeader/From/OrganId")


def test_rejection_needs_a_reason():
    data = sample("status_rejection_02.edxml")
    start, end = data.index(b"<edXML:Description>"), data.index(b"</edXML:Description>") + 20
    err = refused(data[:start] + data[end:])
    assert err.code == "missing_field" and "phải ghi lý do" in err.message


def test_bad_values_refused():
    data = sample("edoc_update.edxml")
    err = refused(data.replace(b"<edXML:PromulgationDate>2018/09/28<", b"<edXML:PromulgationDate>2018/02/30<"))
    assert err.code == "bad_date" and err.field.endswith("PromulgationInfo/PromulgationDate")
    err = refused(data.replace(b"<edXML:BussinessDocType>2<", b"<edXML:BussinessDocType>7<"))
    assert err.code == "unknown_business_doc_type"
    err = refused(data.replace(b"<edXML:PageAmount>22<", "<edXML:PageAmount>nhiều<".encode()))
    assert err.code == "bad_number"
    err = refused(data.replace(DOC_ID.encode(), b"x" * 300, 1))
    assert err.code == "bad_document_id"
    err = refused(data.replace(b"<edXML:Subject>", b"<edXML:Subject>a</edXML:Subject><edXML:Subject>", 1))
    assert err.code == "duplicate_field"


def test_mutated_samples_raise_only_edxml_errors():
    rng = random.Random(102)
    originals = [sample("status_acceptance_03.edxml"), sample("edoc_revocation.edxml")[:20_000]]
    for _ in range(1500):
        data = bytearray(rng.choice(originals))
        for _ in range(rng.randint(1, 5)):
            pos = rng.randrange(len(data))
            action = rng.random()
            if action < 0.4:
                data[pos] = rng.randrange(256)
            elif action < 0.7:
                del data[pos:pos + rng.randint(1, 50)]
            else:
                data[pos:pos] = rng.choice([b"<", b">", b"&", b"&amp;", b"<x>", b"</edXML:From>", b"\xff", b"]]>"])
        try:
            parse(bytes(data))
        except EdxmlError as exc:
            assert exc.code != "internal_error", exc.detail
            assert exc.message


# --------------------------------------------------------------------------------------------------- the command


def test_command_prints_the_header_as_json():
    out = StringIO()
    call_command("edxml", "parse", str(shared_data("edxml-samples", "edoc_replacement.edxml")), stdout=out)
    header = json.loads(out.getvalue())
    assert header["kind"] == "document" and header["document_id"] == DOC_ID
    assert header["business_doc_type"] == 3
    assert header["sender"] == {"organ_id": "000.00.00.G22", "organ_name": "Văn phòng Chính phủ"}
    assert [r["organ_id"] for r in header["recipients"]] == ["000.00.00.H41", "000.00.00.H14", "000.00.00.G17"]
    assert header["code"] == {"number": "7816", "notation": "VPCP-TTĐT"}
    assert header["subject"] == "V/v kết nối, liên thông phần mềm quản lý văn bản"
    assert header["attachments"] == [{"name": "1896_QD-TTg_m_294779.doc", "content_type": "application/zip",
                                      "size": 270_823}]
    out = StringIO()
    call_command("edxml", "parse", str(shared_data("edxml-samples", "status_cancellation_13.edxml")), stdout=out)
    header = json.loads(out.getvalue())
    assert (header["kind"], header["status_code"], header["response_for"]["document_id"]) == ("status", "13", DOC_ID)


@pytest.mark.parametrize("name,code", [("edoc_new.edxml", "xml_malformed"), ("edoc.edxml", "xml_malformed")])
def test_command_refuses_defective_samples(name, code):
    with pytest.raises(CommandError) as info:
        call_command("edxml", "parse", str(shared_data("edxml-samples", name)))
    assert info.value.returncode == 2 and str(info.value).startswith(f"{code}: ")


def test_command_exit_status_and_stderr():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tinhso.settings.test"}
    path = shared_data("edxml-samples", "edoc_new.edxml")
    result = subprocess.run([sys.executable, "-m", "tinhso", "edxml", "parse", str(path)], capture_output=True,
                            env=env, cwd=REPO_ROOT, timeout=120)
    assert result.returncode == 2 and result.stdout == b""
    assert "xml_malformed" in result.stderr.decode() and "“1212”" in result.stderr.decode()


def test_command_builds_a_status(tmp_path):
    target = tmp_path / "status.edxml"
    call_command("edxml", "build-status", "--response-for", DOC_ID, "--from", "000.00.00.H30", "--code", "3",
                 "--description", "Văn thư đã tiếp nhận, vào sổ văn bản đến", "--timestamp", "2025/01/02 08:30:00",
                 "--output", str(target), stderr=StringIO())
    msg = parse(target.read_bytes())
    assert msg.status_code == StatusCode.ACCEPTED and msg.sender.organ_id == "000.00.00.H30"
    assert msg.response_for == ResponseFor(DOC_ID, "000.00.00.G22", "7816/VPCP-TTĐT", date(2015, 9, 30))
    assert msg.timestamp == datetime(2025, 1, 2, 8, 30)
    out = StringIO()
    call_command("edxml", "build-status", "--response-for", DOC_ID, "--from", "000.00.00.H30", "--code", "01",
                 stdout=out)
    assert parse(out.getvalue().encode()).status_code == StatusCode.ARRIVED
    assert parse(out.getvalue().encode()).timestamp.tzinfo is None
    with pytest.raises(CommandError) as info:
        call_command("edxml", "build-status", "--response-for", DOC_ID, "--from", "000.00.00.H30", "--code", "02")
    assert info.value.returncode == 2 and str(info.value).startswith("missing_field: ")


def test_summary_is_json_ready():
    assert json.loads(json.dumps(summary(parse(sample("edoc_revocation.edxml")))))["business_label"] == "Thu hồi"
    digest = hashlib.sha256(parse(sample("edoc_revocation.edxml")).attachments[0].data).hexdigest()
    assert len(digest) == 64
