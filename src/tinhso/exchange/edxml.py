"""edXML (QCVN 102:2016/BTTTT) messages: hardened parsing and building of document and status packages.

``parse(data)`` turns the bytes of a package into a :class:`DocumentMessage` or a :class:`StatusMessage` and raises
nothing but :class:`EdxmlError` (a stable ``code``, a Vietnamese ``message``, an English ``detail``).
``build_document(msg)`` / ``build_status(msg)`` write packages in the shape of the Government Office's samples
(root ``edXML`` with the default namespace, ``edXML:`` prefix inside the envelope, base64 attachments in
``AttachmentEncoded`` after the envelope). ``parse(build(x)) == x`` for every message the builders accept.

The XML is read with the standard library's expat, configured by hand: any DOCTYPE (hence any DTD, entity declaration,
external entity, parameter entity) is refused the moment it starts, nothing is ever fetched, depth, element count,
message size and attachment sizes are bounded before the data is used. See docs/edxml.md.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import IntEnum, StrEnum
from typing import Any
from xml.etree.ElementTree import Element, TreeBuilder
from xml.parsers import expat
from zoneinfo import ZoneInfo

from tinhso.core.errors import DomainError

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
PREFIX = "edXML"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")  # edXML timestamps carry no offset: they are Vietnam time
DATE_FORMAT = "%Y/%m/%d"
TIMESTAMP_FORMAT = "%Y/%m/%d %H:%M:%S"

# The agency identifier of QĐ 20/2020/QĐ-TTg: NNN.NN.NN.Xnn (13 characters). Other forms are accepted when reading.
ORGAN_ID_RE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")
_DOCUMENT_ID_RE = re.compile(
    r"^(?P<organ>[^,\s]+),(?P<date>\d{4}/\d{1,2}/\d{1,2}),(?P<number>[^/,]+)/(?P<notation>[^,]+)$"
)
_MAX_ID_CHARS = 255
# Characters XML 1.0 can carry (everything else cannot be written, not even as a character reference).
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CONTROL_CHAR = re.compile("[\x00-\x1f\x7f]")


# ---------------------------------------------------------------------------------------------------------- errors


class EdxmlError(DomainError):
    """A package that cannot be read or written. ``code`` is stable, ``message`` is for people (Vietnamese),
    ``detail`` is the same in English for logs and the other system's operators."""

    def __init__(
        self, code: str, message: str, detail: str = "", *, field: str | None = None,
        line: int | None = None, column: int | None = None,
    ):
        super().__init__(code, message, field=field)
        self.detail = detail
        self.line = line
        self.column = column

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "detail": self.detail, "field": self.field,
                "line": self.line, "column": self.column}


def _missing(path: str) -> EdxmlError:
    return EdxmlError("missing_field", f"Thiếu trường bắt buộc {path}.", f"missing required element {path}",
                      field=path)


# ------------------------------------------------------------------------------------------------------ code lists


class StatusCode(StrEnum):
    """Processing status codes of QCVN 102:2016 status messages."""

    ARRIVED = "01"
    REJECTED = "02"
    ACCEPTED = "03"
    ASSIGNED = "04"
    PROCESSING = "05"
    FINISHED = "06"
    RECALLED = "13"
    CHANGE_AGREED = "15"
    CHANGE_REFUSED = "16"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    StatusCode.ARRIVED: "Đã đến",
    StatusCode.REJECTED: "Từ chối tiếp nhận",
    StatusCode.ACCEPTED: "Đã tiếp nhận",
    StatusCode.ASSIGNED: "Phân công xử lý",
    StatusCode.PROCESSING: "Đang xử lý",
    StatusCode.FINISHED: "Hoàn thành",
    StatusCode.RECALLED: "Lấy lại văn bản",
    StatusCode.CHANGE_AGREED: "Đồng ý cập nhật/lấy lại/thu hồi",
    StatusCode.CHANGE_REFUSED: "Từ chối cập nhật/lấy lại/thu hồi",
}
# Codes whose Description (the reason) is mandatory.
REASON_REQUIRED = frozenset({StatusCode.REJECTED, StatusCode.CHANGE_REFUSED})


class BusinessDocType(IntEnum):
    """``Bussiness/BussinessDocType``: what the package does to the document."""

    NEW = 0
    REVOCATION = 1
    UPDATE = 2
    REPLACEMENT = 3

    @property
    def label(self) -> str:
        return ("Văn bản mới", "Thu hồi", "Cập nhật", "Thay thế")[self]


# ---------------------------------------------------------------------------------------------------------- limits


@dataclass(frozen=True)
class Limits:
    """Bounds checked before the data is used. A package over any of them is refused (``too_large``/``too_deep``)."""

    max_message_bytes: int = 48 * 1024 * 1024
    max_attachment_bytes: int = 32 * 1024 * 1024  # decoded size of one attachment
    max_attachments: int = 50
    max_depth: int = 32
    max_elements: int = 100_000


DEFAULT_LIMITS = Limits()


# ------------------------------------------------------------------------------------------------------ data model


@dataclass(frozen=True)
class Organization:
    """``From`` / ``To``: an agency, identified by its ``OrganId`` (mã định danh)."""

    organ_id: str
    organization_in_charge: str = ""
    organ_name: str = ""
    organ_add: str = ""
    email: str = ""
    telephone: str = ""
    fax: str = ""
    website: str = ""


@dataclass(frozen=True)
class Code:
    """``Code``: số and ký hiệu (``267`` and ``VPCP-TTĐT``)."""

    number: str
    notation: str

    def __str__(self) -> str:
        return f"{self.number}/{self.notation}"


@dataclass(frozen=True)
class PromulgationInfo:
    date: date
    place: str = ""


@dataclass(frozen=True)
class DocumentType:
    type: str = ""
    type_name: str = ""
    type_detail: str = ""


@dataclass(frozen=True)
class SignerInfo:
    competence: str = ""
    position: str = ""
    full_name: str = ""


@dataclass(frozen=True)
class OtherInfo:
    priority: str = ""
    sphere_of_promulgation: str = ""
    typer_notation: str = ""
    promulgation_amount: int | None = None
    page_amount: int | None = None
    direction: str = ""
    appendixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResponseFor:
    """The document a package answers: in a status message the document whose status it reports."""

    document_id: str
    organ_id: str = ""
    code: str = ""
    promulgation_date: date | None = None


@dataclass(frozen=True)
class StaffInfo:
    department: str = ""
    staff: str = ""
    mobile: str = ""
    email: str = ""


@dataclass(frozen=True)
class TraceHeader:
    """One hop of the package: the agency that handled it and when (Vietnam time, no offset in the format)."""

    organ_id: str
    timestamp: datetime


@dataclass(frozen=True)
class Receiver:
    organ_id: str
    receiver_type: str = ""


@dataclass(frozen=True)
class BusinessDocumentInfo:
    """``BussinessDocumentInfo`` of an update: which parts changed and for which receivers."""

    document_info: str = ""
    document_receiver: str = ""
    receivers: tuple[Receiver, ...] = ()


@dataclass(frozen=True)
class ReplacementInfo:
    """A document that a replacement package replaces, and the agencies that had received it."""

    document_id: str
    organ_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Business:
    """``Bussiness`` (the standard's spelling): the business meaning of the package."""

    doc_type: BusinessDocType = BusinessDocType.NEW
    reason: str = ""
    document_id: str = ""
    paper: str = ""
    document_info: BusinessDocumentInfo | None = None
    replacements: tuple[ReplacementInfo, ...] = ()
    staff: StaffInfo | None = None


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    content_id: str
    data: bytes = field(repr=False)
    description: str = ""

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class DocumentMessage:
    """An electronic document package (MessageHeader items 1.1–1.14, TraceHeaderList, attachments)."""

    sender: Organization
    recipients: tuple[Organization, ...]
    document_id: str
    code: Code
    promulgation: PromulgationInfo
    subject: str
    document_type: DocumentType = DocumentType()
    content: str = ""
    signer: SignerInfo | None = None
    due_date: date | None = None
    to_places: tuple[str, ...] = ()
    other_info: OtherInfo | None = None
    response_for: tuple[ResponseFor, ...] = ()
    steering_type: str = ""
    trace: tuple[TraceHeader, ...] = ()
    business: Business | None = None
    attachments: tuple[Attachment, ...] = ()
    # Whether the header carried an XML signature. It is not verified here and not written back by build_document
    # (a rebuilt package must be signed again), so it takes no part in equality.
    signed: bool = field(default=False, compare=False)

    kind = "document"

    @property
    def business_doc_type(self) -> BusinessDocType:
        return self.business.doc_type if self.business else BusinessDocType.NEW


@dataclass(frozen=True)
class StatusMessage:
    """A status package: the receiver tells the sender what became of a document."""

    response_for: ResponseFor
    sender: Organization
    status_code: StatusCode
    timestamp: datetime
    description: str = ""
    staff: StaffInfo | None = None

    kind = "status"


# -------------------------------------------------------------------------------------------------- document ids


@dataclass(frozen=True)
class DocumentIdParts:
    organ_id: str
    date: date
    code_number: str
    code_notation: str


def document_id(organ_id: str, date_: date, code_number: str | int, code_notation: str) -> str:
    """``OrganId,yyyy/MM/dd,số/ký hiệu``, e.g. ``000.00.04.G14,2012/08/06,267/VPCP-TTĐT``. An integer number below 10
    gets its leading zero (``05``). Raises ``EdxmlError('bad_document_id')`` on a part that would make it ambiguous."""
    number = f"{code_number:02d}" if isinstance(code_number, int) else str(code_number).strip()
    organ_id, code_notation = organ_id.strip(), code_notation.strip()
    problems = []
    if not organ_id or re.search(r"[,\s]", organ_id):
        problems.append(("mã định danh cơ quan", "organ id", organ_id))
    if not number or re.search(r"[/,\s]", number):
        problems.append(("số văn bản", "code number", number))
    if not code_notation or re.search(r"[,\s]", code_notation):
        problems.append(("ký hiệu văn bản", "code notation", code_notation))
    if not isinstance(date_, date):
        problems.append(("ngày ban hành", "promulgation date", str(date_)))
    if problems:
        vi, en, value = problems[0]
        raise EdxmlError("bad_document_id", f"Không lập được DocumentId: {vi} “{value}” trống hoặc chứa dấu phẩy, "
                         "dấu gạch chéo hay khoảng trắng.", f"cannot build DocumentId: invalid {en} {value!r}",
                         field="DocumentId")
    return f"{organ_id},{date_:%Y/%m/%d},{number}/{code_notation}"


def split_document_id(raw: str) -> DocumentIdParts | None:
    """The parts of a DocumentId in the standard form, or None for the other forms other systems use (a UUID …)."""
    match = _DOCUMENT_ID_RE.match(raw.strip())
    if not match:
        return None
    try:
        when = datetime.strptime(match["date"], DATE_FORMAT).date()
    except ValueError:
        return None
    return DocumentIdParts(match["organ"], when, match["number"], match["notation"])


def _check_document_id(raw: str, path: str) -> str:
    if len(raw) > _MAX_ID_CHARS or _CONTROL_CHAR.search(raw):
        raise EdxmlError("bad_document_id", f"{path} không hợp lệ: dài quá {_MAX_ID_CHARS} ký tự hoặc chứa ký tự "
                         "điều khiển.", f"{path} longer than {_MAX_ID_CHARS} characters or has control characters",
                         field=path)
    return raw


# --------------------------------------------------------------------------------------------------- XML reading


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _forbidden(what: str) -> EdxmlError:
    return EdxmlError("xml_forbidden", f"Gói tin chứa {what}: không được phép trong edXML (nguy cơ XXE, bom thực thể) "
                      "nên bị từ chối; không đọc gì từ bên ngoài.",
                      f"{what} is not allowed in edXML (XXE / entity expansion); refused, nothing was read")


def _junk_before_xml(data: bytes) -> None:
    """Name the stray bytes before the first markup, the defect of the SDK sample ``edoc_new.edxml``."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16: leave it to expat
        return
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    start = body.find(b"<")
    prefix = body if start < 0 else body[:start]
    if prefix.strip():
        shown = prefix.strip()[:40].decode("utf-8", "replace")
        where = "khai báo XML" if body[start:start + 5] == b"<?xml" else "phần tử gốc"
        raise EdxmlError(
            "xml_malformed",
            f"Gói tin không đúng cú pháp XML: có {len(prefix)} byte lạ “{shown}” đứng trước {where} "
            "(khai báo XML phải ở ngay đầu tệp, ngoài phần tử gốc không được có văn bản).",
            f"not well-formed: {len(prefix)} stray bytes {shown!r} before the "
            f"{'XML declaration' if where == 'khai báo XML' else 'root element'}",
            line=1, column=1,
        )


_DECLARED_ENCODING = re.compile(rb"""\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def _tag_at(data: bytes, line: int, column: int) -> str:
    lines = data.split(b"\n", line)
    if len(lines) < line:
        return ""
    text = lines[line - 1][column:]
    end = text.find(b">")
    return text[: end + 1 if end >= 0 else 120][:120].decode("utf-8", "replace").strip()


def _expat_error(exc: expat.ExpatError, data: bytes, in_scope: set[str]) -> EdxmlError:
    line, column = exc.lineno, exc.offset + 1
    reason = expat.ErrorString(exc.code)
    if reason == "unbound prefix":
        tag = _tag_at(data, line, exc.offset)
        used = dict.fromkeys(re.findall(r"(?<=[<\s])([A-Za-z_][\w.-]*):[\w.-]+", tag))
        unbound = [p for p in used if p not in in_scope and p != "xml" and f"xmlns:{p}=" not in tag] or ["?"]
        names = ", ".join(unbound)
        return EdxmlError(
            "xml_malformed",
            f"Gói tin không đúng cú pháp XML: tiền tố không gian tên “{names}” chưa được khai báo (thiếu "
            f"xmlns:{unbound[0]}=\"…\") ở dòng {line}, cột {column}, trong thẻ {tag}",
            f"not well-formed: unbound namespace prefix {names!r} at line {line}, column {column} in {tag}",
            line=line, column=column,
        )
    return EdxmlError("xml_malformed", f"Gói tin không đúng cú pháp XML: {reason} (dòng {line}, cột {column}).",
                      f"not well-formed: {reason} at line {line}, column {column}", line=line, column=column)


def _read_tree(data: bytes, limits: Limits) -> Element:
    _junk_before_xml(data)
    declared = _DECLARED_ENCODING.match(data[:300])
    if declared and declared.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        name = declared.group(1).decode("ascii", "replace")
        raise EdxmlError("bad_encoding", f"Gói tin khai báo bảng mã {name}; gói tin edXML phải mã hóa UTF-8.",
                         f"declared encoding {name!r}; edXML packages are UTF-8", line=1, column=1)
    parser = expat.ParserCreate(namespace_separator="}")
    builder = TreeBuilder()
    state = {"depth": 0, "elements": 0}
    scope: dict[str, int] = {}

    def ns_start(prefix: str | None, _uri: str) -> None:
        scope[prefix or ""] = scope.get(prefix or "", 0) + 1

    def ns_end(prefix: str | None) -> None:
        scope[prefix or ""] = scope.get(prefix or "", 1) - 1

    def qualify(name: str) -> str:
        return "{" + name if "}" in name else name

    def start(name: str, attrs: dict[str, str]) -> None:
        state["depth"] += 1
        state["elements"] += 1
        if state["depth"] > limits.max_depth:
            raise EdxmlError("too_deep", f"Gói tin lồng quá {limits.max_depth} cấp phần tử.",
                             f"elements nested deeper than {limits.max_depth}",
                             line=parser.CurrentLineNumber, column=parser.CurrentColumnNumber + 1)
        if state["elements"] > limits.max_elements:
            raise EdxmlError("too_large", f"Gói tin có hơn {limits.max_elements} phần tử.",
                             f"more than {limits.max_elements} elements")
        builder.start(qualify(name), {qualify(k): v for k, v in attrs.items()})

    def end(name: str) -> None:
        state["depth"] -= 1
        builder.end(qualify(name))

    def doctype(*_args: Any) -> None:
        raise _forbidden("khai báo DOCTYPE/DTD")

    def entity_decl(*_args: Any) -> None:
        raise _forbidden("khai báo thực thể (ENTITY)")

    def external_entity(*_args: Any) -> int:
        raise _forbidden("tham chiếu thực thể ngoài")

    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity_decl
    parser.UnparsedEntityDeclHandler = entity_decl
    parser.ExternalEntityRefHandler = external_entity
    parser.StartNamespaceDeclHandler = ns_start
    parser.EndNamespaceDeclHandler = ns_end
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    parser.buffer_text = True
    parser.buffer_size = 1 << 20
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise _expat_error(exc, data, {p for p, n in scope.items() if n > 0}) from None
    return builder.close()


class _Reader:
    """Reads elements of the edXML namespace (or of none) by local name; ``path`` names them in errors."""

    def __init__(self, element: Element, path: str):
        self.element = element
        self.path = path

    def all(self, name: str) -> list[_Reader]:
        found = [c for c in self.element if _local(c.tag) == name and _namespace(c.tag) in (NS, "")]
        return [_Reader(c, f"{self.path}/{name}" + (f"[{i + 1}]" if len(found) > 1 else ""))
                for i, c in enumerate(found)]

    def one(self, name: str) -> _Reader | None:
        found = self.all(name)
        if len(found) > 1:
            path = f"{self.path}/{name}"
            raise EdxmlError("duplicate_field", f"Trường {path} xuất hiện {len(found)} lần, chỉ được có một.",
                             f"{path} occurs {len(found)} times, at most once allowed", field=path)
        return found[0] if found else None

    def required(self, name: str) -> _Reader:
        found = self.one(name)
        if found is None:
            raise _missing(f"{self.path}/{name}")
        return found

    @property
    def value(self) -> str:
        """The element's text. A text field holding elements (an XInclude, markup smuggled into a subject) is refused
        rather than flattened."""
        child = next(iter(self.element), None)
        if child is not None:
            raise EdxmlError("unexpected_element",
                             f"Trường {self.path} chỉ được chứa văn bản, không được chứa phần tử <{child.tag[:80]}>.",
                             f"{self.path} must hold text only, found element <{child.tag[:80]}>", field=self.path)
        return (self.element.text or "").strip()

    def text(self, name: str, *, required: bool = False) -> str:
        found = self.one(name)
        value = found.value if found is not None else ""
        if required and not value:
            raise _missing(f"{self.path}/{name}")
        return value

    def texts(self, container: str, item: str) -> tuple[str, ...]:
        box = self.one(container)
        return tuple(v for v in (r.value for r in box.all(item)) if v) if box is not None else ()

    def date(self, name: str, *, required: bool = False) -> date | None:
        raw = self.text(name, required=required)
        return _parse_date(raw, f"{self.path}/{name}") if raw else None

    def timestamp(self, name: str) -> datetime:
        raw = self.text(name, required=True)
        path = f"{self.path}/{name}"
        try:
            return datetime.strptime(raw, TIMESTAMP_FORMAT)
        except ValueError:
            raise EdxmlError("bad_date", f"{path} “{raw[:40]}” không đúng định dạng yyyy/MM/dd HH:mm:ss.",
                             f"{path} {raw[:40]!r} is not a timestamp yyyy/MM/dd HH:mm:ss", field=path) from None

    def number(self, name: str) -> int | None:
        raw = self.text(name)
        if not raw:
            return None
        if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
            path = f"{self.path}/{name}"
            raise EdxmlError("bad_number", f"{path} “{raw[:40]}” phải là số nguyên không âm.",
                             f"{path} {raw[:40]!r} is not a non-negative integer", field=path)
        return int(raw)


def _parse_date(raw: str, path: str) -> date:
    try:
        return datetime.strptime(raw, DATE_FORMAT).date()
    except ValueError:
        raise EdxmlError("bad_date", f"{path} “{raw[:40]}” không phải ngày hợp lệ dạng yyyy/MM/dd.",
                         f"{path} {raw[:40]!r} is not a valid date yyyy/MM/dd", field=path) from None


def _organization(reader: _Reader) -> Organization:
    return Organization(
        organ_id=reader.text("OrganId", required=True),
        organization_in_charge=reader.text("OrganizationInCharge"),
        organ_name=reader.text("OrganName"),
        organ_add=reader.text("OrganAdd"),
        email=reader.text("Email"),
        telephone=reader.text("Telephone"),
        fax=reader.text("Fax"),
        website=reader.text("Website"),
    )


def _staff(reader: _Reader | None) -> StaffInfo | None:
    if reader is None:
        return None
    return StaffInfo(department=reader.text("Department"), staff=reader.text("Staff"),
                     mobile=reader.text("Mobile"), email=reader.text("Email"))


def _response_for(reader: _Reader, *, required: bool) -> ResponseFor | None:
    values = {name: reader.text(name) for name in ("OrganId", "Code", "PromulgationDate", "DocumentId")}
    if not required and not any(values.values()):
        return None  # an empty placeholder, as some systems write
    doc_id = reader.text("DocumentId", required=True)
    return ResponseFor(
        document_id=_check_document_id(doc_id, f"{reader.path}/DocumentId"),
        organ_id=values["OrganId"],
        code=values["Code"],
        promulgation_date=reader.date("PromulgationDate"),
    )


def _business(reader: _Reader) -> Business:
    path = f"{reader.path}/BussinessDocType"
    raw = reader.text("BussinessDocType")
    if not raw:
        doc_type = BusinessDocType.NEW
    else:
        try:
            doc_type = BusinessDocType(int(raw)) if raw.isascii() and raw.isdigit() else None
        except ValueError:
            doc_type = None
        if doc_type is None:
            raise EdxmlError("unknown_business_doc_type",
                             f"{path} “{raw[:20]}” không thuộc danh mục (0 mới, 1 thu hồi, 2 cập nhật, 3 thay thế).",
                             f"{path} {raw[:20]!r} is not one of 0 new, 1 revocation, 2 update, 3 replacement",
                             field=path)
    info = None
    info_reader = reader.one("BussinessDocumentInfo")
    if info_reader is not None:
        receivers = []
        box = info_reader.one("ReceiverList")
        for item in box.all("Receiver") if box is not None else []:
            receivers.append(Receiver(organ_id=item.text("OrganId", required=True),
                                      receiver_type=item.text("ReceiverType")))
        info = BusinessDocumentInfo(document_info=info_reader.text("DocumentInfo"),
                                    document_receiver=info_reader.text("DocumentReceiver"),
                                    receivers=tuple(receivers))
    replacements = []
    box = reader.one("ReplacementInfoList")
    for item in box.all("ReplacementInfo") if box is not None else []:
        replacements.append(ReplacementInfo(
            document_id=_check_document_id(item.text("DocumentId", required=True), f"{item.path}/DocumentId"),
            organ_ids=item.texts("OrganIdList", "OrganId"),
        ))
    if doc_type == BusinessDocType.REPLACEMENT and not replacements:
        raise _missing(f"{reader.path}/ReplacementInfoList/ReplacementInfo")
    own_id = reader.text("DocumentId")
    return Business(
        doc_type=doc_type,
        reason=reader.text("BussinessDocReason"),
        document_id=_check_document_id(own_id, f"{reader.path}/DocumentId"),
        paper=reader.text("Paper"),
        document_info=info,
        replacements=tuple(replacements),
        staff=_staff(reader.one("StaffInfo")),
    )


def _base64(text: str, path: str, limits: Limits) -> bytes:
    compact = "".join(text.split())
    padding = len(compact) - len(compact.rstrip("="))
    estimated = len(compact) // 4 * 3 - min(padding, 2)
    if estimated > limits.max_attachment_bytes:
        raise EdxmlError(
            "too_large",
            f"Tệp đính kèm {path} lớn khoảng {estimated:,} byte, vượt giới hạn {limits.max_attachment_bytes:,} byte.",
            f"attachment {path} is about {estimated} bytes, over the {limits.max_attachment_bytes} byte limit",
            field=path,
        )
    try:
        return base64.b64decode(compact.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise EdxmlError("attachment_invalid", f"Nội dung tệp đính kèm {path} không phải base64 hợp lệ "
                         f"(bắt đầu bằng “{compact[:40]}”).",
                         f"attachment {path} is not valid base64 (starts with {compact[:40]!r})",
                         field=path) from None


def _check_attachment_name(name: str, path: str) -> None:
    if name in (".", "..") or len(name) > 255 or re.search(r"[/\\]", name) or _CONTROL_CHAR.search(name):
        raise EdxmlError("attachment_invalid", f"Tên tệp đính kèm “{name[:80]}” ({path}) không hợp lệ: không được chứa "
                         "/, \\, ký tự điều khiển hay dài quá 255 ký tự.",
                         f"attachment name {name[:80]!r} ({path}) has a path separator, a control character or "
                         "more than 255 characters", field=path)


def _attachments(root: _Reader, envelope: _Reader, limits: Limits) -> tuple[Attachment, ...]:
    references: dict[str, _Reader] = {}
    body = envelope.one("edXMLBody")
    manifest = body.one("edXMLManifest") if body is not None else None
    for ref in manifest.all("Reference") if manifest is not None else []:
        cid = ref.text("ContentId") or next(
            (v.strip() for k, v in ref.element.attrib.items() if _local(k) == "href" and v.strip()), "")
        if not cid:
            raise _missing(f"{ref.path}/ContentId")
        if cid in references:
            raise EdxmlError("attachment_invalid", f"ContentId “{cid}” lặp lại trong edXMLManifest.",
                             f"ContentId {cid!r} listed twice in edXMLManifest", field=ref.path)
        references[cid] = ref
    encoded = [a for box in root.all("AttachmentEncoded") for a in box.all("Attachment")]
    if len(encoded) > limits.max_attachments:
        raise EdxmlError("too_large",
                         f"Gói tin có {len(encoded)} tệp đính kèm, vượt giới hạn {limits.max_attachments}.",
                         f"{len(encoded)} attachments, over the limit of {limits.max_attachments}")
    result, seen = [], set()
    for item in encoded:
        cid = item.text("ContentId", required=True)
        if cid in seen:
            raise EdxmlError("attachment_invalid", f"ContentId “{cid}” lặp lại trong AttachmentEncoded.",
                             f"ContentId {cid!r} occurs twice in AttachmentEncoded", field=item.path)
        seen.add(cid)
        ref = references.get(cid)
        if ref is None:
            raise EdxmlError("attachment_invalid", f"Tệp đính kèm {cid} không được khai trong edXMLManifest.",
                             f"attachment {cid!r} is not listed in edXMLManifest", field=item.path)
        name = item.text("AttachmentName") or ref.text("AttachmentName")
        if not name:
            raise _missing(f"{item.path}/AttachmentName")
        _check_attachment_name(name, item.path)
        content = item.one("ContentTransferEncoded")
        if content is None:
            raise _missing(f"{item.path}/ContentTransferEncoded")
        result.append(Attachment(
            name=name,
            content_type=item.text("ContentType") or ref.text("ContentType"),
            content_id=cid,
            description=item.text("Description") or ref.text("Description"),
            data=_base64(content.value, content.path, limits),
        ))
    missing = [cid for cid in references if cid not in seen]
    if missing:
        raise EdxmlError("attachment_invalid", f"edXMLManifest khai tệp {missing[0]} nhưng gói tin không có nội dung "
                         "tệp đó trong AttachmentEncoded.",
                         f"edXMLManifest lists {missing[0]!r} but AttachmentEncoded has no such attachment",
                         field="edXMLManifest/Reference")
    return tuple(result)


def _document(root: _Reader, envelope: _Reader, header: _Reader, msg: _Reader, limits: Limits) -> DocumentMessage:
    recipients = [_organization(r) for r in msg.all("To")]
    if not recipients:
        raise _missing(f"{msg.path}/To")
    code = msg.required("Code")
    promulgation = msg.required("PromulgationInfo")
    doc_type = msg.one("DocumentType")
    signer = msg.one("SignerInfo")
    other = msg.one("OtherInfo")
    trace_list = header.one("TraceHeaderList")
    business = trace_list.one("Bussiness") if trace_list is not None else None
    responses = (_response_for(r, required=False) for r in msg.all("ResponseFor"))
    return DocumentMessage(
        sender=_organization(msg.required("From")),
        recipients=tuple(recipients),
        document_id=_check_document_id(msg.text("DocumentId", required=True), f"{msg.path}/DocumentId"),
        code=Code(number=code.text("CodeNumber", required=True), notation=code.text("CodeNotation", required=True)),
        promulgation=PromulgationInfo(date=promulgation.date("PromulgationDate", required=True),
                                      place=promulgation.text("Place")),
        subject=msg.text("Subject", required=True),
        document_type=DocumentType(type=doc_type.text("Type"), type_name=doc_type.text("TypeName"),
                                   type_detail=doc_type.text("TypeDetail")) if doc_type else DocumentType(),
        content=msg.text("Content"),
        signer=SignerInfo(competence=signer.text("Competence"), position=signer.text("Position"),
                          full_name=signer.text("FullName")) if signer else None,
        due_date=msg.date("DueDate"),
        to_places=msg.texts("ToPlaces", "Place"),
        other_info=OtherInfo(
            priority=other.text("Priority"),
            sphere_of_promulgation=other.text("SphereOfPromulgation"),
            typer_notation=other.text("TyperNotation"),
            promulgation_amount=other.number("PromulgationAmount"),
            page_amount=other.number("PageAmount"),
            direction=other.text("Direction"),
            appendixes=other.texts("Appendixes", "Appendix"),
        ) if other else None,
        response_for=tuple(r for r in responses if r is not None),
        steering_type=msg.text("SteeringType"),
        trace=tuple(TraceHeader(organ_id=t.text("OrganId", required=True), timestamp=t.timestamp("Timestamp"))
                    for t in (trace_list.all("TraceHeader") if trace_list is not None else [])),
        business=_business(business) if business is not None else None,
        attachments=_attachments(root, envelope, limits),
        signed=any(_local(c.tag) == "Signature" for c in header.element),
    )


def _status_code(reader: _Reader) -> StatusCode:
    raw = reader.text("StatusCode", required=True)
    normalized = raw.zfill(2) if raw.isascii() and raw.isdigit() and len(raw) <= 2 else raw
    try:
        return StatusCode(normalized)
    except ValueError:
        known = ", ".join(c.value for c in StatusCode)
        path = f"{reader.path}/StatusCode"
        raise EdxmlError("unknown_status_code", f"Mã trạng thái “{raw[:20]}” không thuộc danh mục QCVN 102:2016 "
                         f"({known}).", f"status code {raw[:20]!r} is not one of {known}", field=path) from None


def _status(msg: _Reader) -> StatusMessage:
    code = _status_code(msg)
    description = msg.text("Description")
    if code in REASON_REQUIRED and not description:
        path = f"{msg.path}/Description"
        raise EdxmlError("missing_field", f"Thiếu trường bắt buộc {path}: trạng thái {code.value} ({code.label}) "
                         "phải ghi lý do.", f"missing required element {path}: status {code.value} needs a reason",
                         field=path)
    return StatusMessage(
        response_for=_response_for(msg.required("ResponseFor"), required=True),
        sender=_organization(msg.required("From")),
        status_code=code,
        timestamp=msg.timestamp("Timestamp"),
        description=description,
        staff=_staff(msg.one("StaffInfo")),
    )


def parse(data: bytes, *, limits: Limits = DEFAULT_LIMITS) -> DocumentMessage | StatusMessage:
    """Read one edXML package. Raises only :class:`EdxmlError`."""
    try:
        if isinstance(data, str):
            data = data.encode("utf-8")
        data = bytes(data)
        if len(data) > limits.max_message_bytes:
            raise EdxmlError("too_large",
                             f"Gói tin {len(data):,} byte vượt giới hạn {limits.max_message_bytes:,} byte.",
                             f"message of {len(data)} bytes is over the {limits.max_message_bytes} byte limit")
        if not data.strip():
            raise EdxmlError("xml_malformed", "Gói tin rỗng.", "empty message")
        root = _read_tree(data, limits)
        if _local(root.tag) != "edXML" or _namespace(root.tag) != NS:
            raise EdxmlError("not_edxml", f"Không phải gói tin edXML: phần tử gốc là {root.tag[:200]}, cần "
                             f"{{{NS}}}edXML.", f"not an edXML package: root element is {root.tag[:200]}")
        top = _Reader(root, "edXML")
        envelope = top.required("edXMLEnvelope")
        header = envelope.required("edXMLHeader")
        status = header.one("Status")  # the form described in the standard's text; the SDK writes a MessageHeader
        if status is not None:
            return _status(status)
        msg = header.required("MessageHeader")
        if msg.one("StatusCode") is not None:
            return _status(msg)
        return _document(top, envelope, header, msg, limits)
    except EdxmlError:
        raise
    except RecursionError:
        raise EdxmlError("too_deep", "Gói tin lồng quá sâu.", "nesting too deep") from None
    except MemoryError:
        raise EdxmlError("too_large", "Gói tin quá lớn để đọc.", "out of memory while reading") from None
    except Exception as exc:  # a bug here must still not escape as anything but EdxmlError
        raise EdxmlError("internal_error", "Lỗi không mong đợi khi đọc gói tin edXML.",
                         f"unexpected {type(exc).__name__}: {exc}") from exc


# --------------------------------------------------------------------------------------------------- XML writing


class _Writer:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def _check(self, value: str, path: str) -> str:
        bad = _NOT_XML_CHAR.search(value)
        if bad:
            raise EdxmlError("invalid_character",
                             f"{path} chứa ký tự U+{ord(bad.group()):04X} không ghi được trong XML.",
                             f"{path} has character U+{ord(bad.group()):04X} that XML 1.0 cannot carry", field=path)
        return (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;"))

    def open(self, indent: int, name: str, attrs: str = "", prefixed: bool = True) -> None:
        tag = f"{PREFIX}:{name}" if prefixed else name
        self.parts.append(f"{'  ' * indent}<{tag}{attrs}>\n")

    def close(self, indent: int, name: str, prefixed: bool = True) -> None:
        tag = f"{PREFIX}:{name}" if prefixed else name
        self.parts.append(f"{'  ' * indent}</{tag}>\n")

    def leaf(self, indent: int, name: str, value: Any, path: str, *, always: bool = False,
             prefixed: bool = True, attrs: str = "") -> None:
        if value is None or value == "":
            if not always:
                return
            value = ""
        if isinstance(value, datetime):
            if value.tzinfo is not None:  # an aware datetime (Django's USE_TZ) is written in Vietnam time
                value = value.astimezone(VIETNAM).replace(tzinfo=None)
            value = value.strftime(TIMESTAMP_FORMAT)
        elif isinstance(value, date):
            value = value.strftime(DATE_FORMAT)
        tag = f"{PREFIX}:{name}" if prefixed else name
        text = self._check(str(value), f"{path}/{name}")
        self.parts.append(f"{'  ' * indent}<{tag}{attrs}>{text}</{tag}>\n")

    def organization(self, indent: int, name: str, org: Organization, path: str) -> None:
        if not org.organ_id.strip():
            raise _missing(f"{path}/{name}/OrganId")
        self.open(indent, name)
        p = f"{path}/{name}"
        for tag, value in (("OrganId", org.organ_id), ("OrganizationInCharge", org.organization_in_charge),
                           ("OrganName", org.organ_name), ("OrganAdd", org.organ_add), ("Email", org.email),
                           ("Telephone", org.telephone), ("Fax", org.fax), ("Website", org.website)):
            self.leaf(indent + 1, tag, value, p)
        self.close(indent, name)

    def staff(self, indent: int, staff: StaffInfo | None, path: str) -> None:
        if staff is None:
            return
        self.open(indent, "StaffInfo")
        for tag, value in (("Department", staff.department), ("Staff", staff.staff), ("Mobile", staff.mobile),
                           ("Email", staff.email)):
            self.leaf(indent + 1, tag, value, f"{path}/StaffInfo")
        self.close(indent, "StaffInfo")

    def response_for(self, indent: int, response: ResponseFor, path: str) -> None:
        if not response.document_id.strip():
            raise _missing(f"{path}/ResponseFor/DocumentId")
        _check_document_id(response.document_id, f"{path}/ResponseFor/DocumentId")
        self.open(indent, "ResponseFor")
        p = f"{path}/ResponseFor"
        self.leaf(indent + 1, "OrganId", response.organ_id, p)
        self.leaf(indent + 1, "Code", response.code, p)
        self.leaf(indent + 1, "PromulgationDate", response.promulgation_date, p)
        self.leaf(indent + 1, "DocumentId", response.document_id, p)
        self.close(indent, "ResponseFor")

    def bytes(self) -> bytes:
        return "".join(self.parts).encode("utf-8")


_HEAD = (f'<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="{NS}">\n'
         f'  <{PREFIX}:edXMLEnvelope xmlns:{PREFIX}="{NS}">\n')


def _required_text(value: str, path: str) -> None:
    if not str(value).strip():
        raise _missing(path)


def build_document(msg: DocumentMessage, *, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """Write a document package in the shape of the SDK samples. Refuses (EdxmlError) a message that ``parse``
    would refuse: missing required fields, an ambiguous DocumentId, attachments over the limits."""
    mh = "edXMLHeader/MessageHeader"
    _required_text(msg.document_id, f"{mh}/DocumentId")
    _check_document_id(msg.document_id, f"{mh}/DocumentId")
    _required_text(msg.code.number, f"{mh}/Code/CodeNumber")
    _required_text(msg.code.notation, f"{mh}/Code/CodeNotation")
    _required_text(msg.subject, f"{mh}/Subject")
    if not msg.recipients:
        raise _missing(f"{mh}/To")
    if not isinstance(msg.promulgation.date, date):
        raise _missing(f"{mh}/PromulgationInfo/PromulgationDate")
    if len(msg.attachments) > limits.max_attachments:
        raise EdxmlError("too_large", f"Gói tin có {len(msg.attachments)} tệp đính kèm, vượt giới hạn "
                         f"{limits.max_attachments}.", f"{len(msg.attachments)} attachments, over the limit")
    w = _Writer()
    w.parts.append(_HEAD)
    w.open(2, "edXMLHeader")
    w.open(3, "MessageHeader")
    w.organization(4, "From", msg.sender, mh)
    for recipient in msg.recipients:
        w.organization(4, "To", recipient, mh)
    w.leaf(4, "DocumentId", msg.document_id, mh)
    w.open(4, "Code")
    w.leaf(5, "CodeNumber", msg.code.number, f"{mh}/Code")
    w.leaf(5, "CodeNotation", msg.code.notation, f"{mh}/Code")
    w.close(4, "Code")
    w.open(4, "PromulgationInfo")
    w.leaf(5, "Place", msg.promulgation.place, f"{mh}/PromulgationInfo")
    w.leaf(5, "PromulgationDate", msg.promulgation.date, f"{mh}/PromulgationInfo")
    w.close(4, "PromulgationInfo")
    dt = msg.document_type
    if dt.type or dt.type_name or dt.type_detail:
        w.open(4, "DocumentType")
        w.leaf(5, "Type", dt.type, f"{mh}/DocumentType")
        w.leaf(5, "TypeDetail", dt.type_detail, f"{mh}/DocumentType")
        w.leaf(5, "TypeName", dt.type_name, f"{mh}/DocumentType")
        w.close(4, "DocumentType")
    w.leaf(4, "Subject", msg.subject, mh)
    w.leaf(4, "Content", msg.content, mh)
    if msg.signer is not None:
        w.open(4, "SignerInfo")
        w.leaf(5, "Competence", msg.signer.competence, f"{mh}/SignerInfo")
        w.leaf(5, "Position", msg.signer.position, f"{mh}/SignerInfo")
        w.leaf(5, "FullName", msg.signer.full_name, f"{mh}/SignerInfo")
        w.close(4, "SignerInfo")
    w.leaf(4, "DueDate", msg.due_date, mh)
    if msg.other_info is not None:
        o, p = msg.other_info, f"{mh}/OtherInfo"
        w.open(4, "OtherInfo")
        w.leaf(5, "Priority", o.priority, p)
        w.leaf(5, "SphereOfPromulgation", o.sphere_of_promulgation, p)
        w.leaf(5, "TyperNotation", o.typer_notation, p)
        w.leaf(5, "PromulgationAmount", o.promulgation_amount, p)
        w.leaf(5, "PageAmount", o.page_amount, p)
        w.leaf(5, "Direction", o.direction, p)
        if o.appendixes:
            w.open(5, "Appendixes")
            for appendix in o.appendixes:
                w.leaf(6, "Appendix", appendix, f"{p}/Appendixes")
            w.close(5, "Appendixes")
        w.close(4, "OtherInfo")
    for response in msg.response_for:
        w.response_for(4, response, mh)
    w.leaf(4, "SteeringType", msg.steering_type, mh)
    if msg.to_places:
        w.open(4, "ToPlaces")
        for place in msg.to_places:
            w.leaf(5, "Place", place, f"{mh}/ToPlaces")
        w.close(4, "ToPlaces")
    w.close(3, "MessageHeader")
    _write_trace(w, msg)
    w.close(2, "edXMLHeader")
    w.open(2, "edXMLBody")
    w.open(3, "edXMLManifest", ' version="1.0"')
    seen = set()
    for i, att in enumerate(msg.attachments, 1):
        p = f"edXMLManifest/Reference[{i}]"
        _required_text(att.content_id, f"{p}/ContentId")
        _required_text(att.name, f"{p}/AttachmentName")
        _check_attachment_name(att.name, p)
        if att.content_id in seen:
            raise EdxmlError("attachment_invalid", f"ContentId “{att.content_id}” lặp lại.",
                             f"ContentId {att.content_id!r} used twice", field=p)
        seen.add(att.content_id)
        if att.size > limits.max_attachment_bytes:
            raise EdxmlError("too_large", f"Tệp đính kèm “{att.name}” {att.size:,} byte vượt giới hạn "
                             f"{limits.max_attachment_bytes:,} byte.",
                             f"attachment {att.name!r} of {att.size} bytes is over the limit", field=p)
        w.open(4, "Reference")
        w.leaf(5, "ContentId", att.content_id, p)
        w.leaf(5, "ContentType", att.content_type, p)
        w.leaf(5, "Description", att.description, p)
        w.leaf(5, "AttachmentName", att.name, p)
        w.close(4, "Reference")
    w.close(3, "edXMLManifest")
    w.close(2, "edXMLBody")
    w.close(1, "edXMLEnvelope")
    if msg.attachments:
        w.open(1, "AttachmentEncoded", prefixed=False)
        for i, att in enumerate(msg.attachments, 1):
            p = f"AttachmentEncoded/Attachment[{i}]"
            w.open(2, "Attachment", prefixed=False)
            w.leaf(3, "ContentId", att.content_id, p, prefixed=False)
            w.leaf(3, "AttachmentName", att.name, p, prefixed=False)
            w.leaf(3, "Description", att.description, p, prefixed=False)
            w.leaf(3, "ContentType", att.content_type, p, prefixed=False)
            w.parts.append(f'      <{PREFIX}:ContentTransferEncoded xmlns:{PREFIX}="{NS}">'
                           f"{base64.b64encode(att.data).decode('ascii')}</{PREFIX}:ContentTransferEncoded>\n")
            w.close(2, "Attachment", prefixed=False)
        w.close(1, "AttachmentEncoded", prefixed=False)
    w.parts.append("</edXML>\n")
    out = w.bytes()
    if len(out) > limits.max_message_bytes:
        raise EdxmlError("too_large", f"Gói tin {len(out):,} byte vượt giới hạn {limits.max_message_bytes:,} byte.",
                         f"message of {len(out)} bytes is over the {limits.max_message_bytes} byte limit")
    return out


def _write_trace(w: _Writer, msg: DocumentMessage) -> None:
    if not msg.trace and msg.business is None:
        return
    p = "edXMLHeader/TraceHeaderList"
    w.open(3, "TraceHeaderList")
    for trace in msg.trace:
        _required_text(trace.organ_id, f"{p}/TraceHeader/OrganId")
        if not isinstance(trace.timestamp, datetime):
            raise _missing(f"{p}/TraceHeader/Timestamp")
        w.open(4, "TraceHeader")
        w.leaf(5, "OrganId", trace.organ_id, f"{p}/TraceHeader")
        w.leaf(5, "Timestamp", trace.timestamp, f"{p}/TraceHeader")
        w.close(4, "TraceHeader")
    b = msg.business
    if b is not None:
        bp = f"{p}/Bussiness"
        if b.doc_type == BusinessDocType.REPLACEMENT and not b.replacements:
            raise _missing(f"{bp}/ReplacementInfoList/ReplacementInfo")
        _check_document_id(b.document_id, f"{bp}/DocumentId")
        w.open(4, "Bussiness")
        w.leaf(5, "DocumentId", b.document_id, bp)
        w.leaf(5, "BussinessDocType", int(BusinessDocType(b.doc_type)), bp)
        w.leaf(5, "BussinessDocReason", b.reason, bp)
        w.leaf(5, "Paper", b.paper, bp)
        if b.document_info is not None:
            info, ip = b.document_info, f"{bp}/BussinessDocumentInfo"
            w.open(5, "BussinessDocumentInfo")
            w.leaf(6, "DocumentInfo", info.document_info, ip)
            w.leaf(6, "DocumentReceiver", info.document_receiver, ip)
            if info.receivers:
                w.open(6, "ReceiverList")
                for receiver in info.receivers:
                    _required_text(receiver.organ_id, f"{ip}/ReceiverList/Receiver/OrganId")
                    w.open(7, "Receiver")
                    w.leaf(8, "OrganId", receiver.organ_id, f"{ip}/ReceiverList/Receiver")
                    w.leaf(8, "ReceiverType", receiver.receiver_type, f"{ip}/ReceiverList/Receiver")
                    w.close(7, "Receiver")
                w.close(6, "ReceiverList")
            w.close(5, "BussinessDocumentInfo")
        if b.replacements:
            w.open(5, "ReplacementInfoList")
            for rep in b.replacements:
                rp = f"{bp}/ReplacementInfoList/ReplacementInfo"
                _required_text(rep.document_id, f"{rp}/DocumentId")
                _check_document_id(rep.document_id, f"{rp}/DocumentId")
                w.open(6, "ReplacementInfo")
                w.leaf(7, "DocumentId", rep.document_id, rp)
                if rep.organ_ids:
                    w.open(7, "OrganIdList")
                    for organ_id in rep.organ_ids:
                        w.leaf(8, "OrganId", organ_id, f"{rp}/OrganIdList")
                    w.close(7, "OrganIdList")
                w.close(6, "ReplacementInfo")
            w.close(5, "ReplacementInfoList")
        w.staff(5, b.staff, bp)
        w.close(4, "Bussiness")
    w.close(3, "TraceHeaderList")


def build_status(msg: StatusMessage) -> bytes:
    """Write a status package in the shape of the SDK's ``status_*.edxml`` samples."""
    mh = "edXMLHeader/MessageHeader"
    try:
        code = StatusCode(msg.status_code)
    except ValueError:
        raise EdxmlError("unknown_status_code",
                         f"Mã trạng thái “{msg.status_code}” không thuộc danh mục QCVN 102:2016.",
                         f"status code {msg.status_code!r} is unknown", field=f"{mh}/StatusCode") from None
    if code in REASON_REQUIRED and not msg.description.strip():
        raise EdxmlError("missing_field", f"Thiếu trường bắt buộc {mh}/Description: trạng thái {code.value} "
                         f"({code.label}) phải ghi lý do.", f"status {code.value} needs a Description (reason)",
                         field=f"{mh}/Description")
    if not isinstance(msg.timestamp, datetime):
        raise _missing(f"{mh}/Timestamp")
    w = _Writer()
    w.parts.append(_HEAD)
    w.open(2, "edXMLHeader")
    w.open(3, "MessageHeader")
    w.organization(4, "From", msg.sender, mh)
    w.response_for(4, msg.response_for, mh)
    w.staff(4, msg.staff, mh)
    w.leaf(4, "StatusCode", code.value, mh)
    w.leaf(4, "Description", msg.description, mh)
    w.leaf(4, "Timestamp", msg.timestamp.replace(microsecond=0), mh)
    w.close(3, "MessageHeader")
    w.close(2, "edXMLHeader")
    w.close(1, "edXMLEnvelope")
    w.parts.append("</edXML>\n")
    return w.bytes()


def build(msg: DocumentMessage | StatusMessage) -> bytes:
    return build_status(msg) if isinstance(msg, StatusMessage) else build_document(msg)


# ------------------------------------------------------------------------------------------------------- summary


def _org_json(org: Organization) -> dict[str, str]:
    return {"organ_id": org.organ_id, "organ_name": org.organ_name}


def summary(msg: DocumentMessage | StatusMessage) -> dict[str, Any]:
    """The header of a package as JSON-ready data (what ``tinhso edxml parse`` prints)."""
    if isinstance(msg, StatusMessage):
        return {
            "kind": "status",
            "status_code": msg.status_code.value,
            "status_label": msg.status_code.label,
            "response_for": {"document_id": msg.response_for.document_id, "organ_id": msg.response_for.organ_id,
                             "code": msg.response_for.code},
            "sender": _org_json(msg.sender),
            "description": msg.description,
            "timestamp": msg.timestamp.strftime(TIMESTAMP_FORMAT),
        }
    business = msg.business_doc_type
    return {
        "kind": "document",
        "document_id": msg.document_id,
        "business_doc_type": int(business),
        "business_label": business.label,
        "sender": _org_json(msg.sender),
        "recipients": [_org_json(r) for r in msg.recipients],
        "code": {"number": msg.code.number, "notation": msg.code.notation},
        "promulgation_date": msg.promulgation.date.strftime(DATE_FORMAT),
        "document_type": msg.document_type.type_name,
        "subject": msg.subject,
        "signed": msg.signed,
        "attachments": [{"name": a.name, "content_type": a.content_type, "size": a.size} for a in msg.attachments],
    }
