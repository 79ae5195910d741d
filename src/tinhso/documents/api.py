"""Documents API (``/api/documents``): search, one document, registering an incoming document, and the flow actions.

For staff, with the Django session (``ninja``'s session auth, CSRF-checked on every change), and exactly the rights of
the pages: a caller sees only the documents ``access.visible_filter`` lets them see (another agency's documents are
``404 document_not_found``, as if they did not exist), and every change goes through ``services`` (which checks the
role again). Every refusal is JSON ``{code, message, field}`` with a stable ``code``: ``not_authenticated`` (401),
``csrf_failed`` / ``staff_only`` / ``forbidden`` (403), ``document_not_found`` / ``unknown_action`` (404),
``illegal_transition`` / ``duplicate_incoming`` / ``already_issued`` / ``registry_closed`` (409), the input checks
(400: ``agency_not_found``, ``type_not_found``, ``assignee_not_found``…; 422 ``invalid_input`` for malformed JSON or
dates) and the services' own codes (``reason_required``, ``assignee_outside``, ``signing_needs_pdf``…).

Issuing is idempotent in effect: a document already issued is answered ``409 already_issued`` with its number and
notation, never a second number (the service checks under the document's row lock).
"""

from datetime import date, datetime, time, timedelta

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, File, Form, Router, Schema, UploadedFile
from ninja.errors import HttpError
from ninja.responses import Status as Reply
from ninja.security import SessionAuth

from tinhso.core.api import ErrorOut
from tinhso.core.errors import DomainError, Forbidden, NotFound
from tinhso.core.models import Agency, User
from tinhso.core.pagination import CappedPaginator
from tinhso.core.text import fold, search_terms
from tinhso.core.workcalendar import TZ

from . import access, queries, services
from .models import Direction, Document, DocumentFile, DocumentType, Secrecy, Status, Urgency


class NotAuthenticated(DomainError):
    status = 401


class StaffSession(SessionAuth):
    """Session authentication (CSRF-checked) for staff accounts, with the API's error format."""

    def _get_key(self, request: HttpRequest):
        try:
            return super()._get_key(request)
        except HttpError as exc:
            raise Forbidden("Thiếu hoặc sai mã CSRF; hãy tải lại trang rồi thử lại.", code="csrf_failed") from exc

    def authenticate(self, request: HttpRequest, key):
        if not request.user.is_authenticated:
            raise NotAuthenticated("not_authenticated", "Hãy đăng nhập.")
        if not access.is_staff(request.user):
            raise Forbidden("Chức năng này dành cho cán bộ, công chức.", code="staff_only")
        return request.user


router = Router(tags=["Văn bản đi, đến"], auth=StaffSession())
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
DIRECTIONS = {"incoming": Direction.INCOMING, "outgoing": Direction.OUTGOING}
DIRECTION_NAMES = {value: name for name, value in DIRECTIONS.items()}
MAX_PAGE_SIZE = 100
#: The page's action names (``queries.allowed_actions``) → the API's.
PAGE_ACTIONS = {"confirm": "confirm_registration", "return": "return_to_sender", "assign": "assign",
                "forward": "forward_to_specialist", "answer": "answer", "close": "close",
                "submit": "submit_for_approval", "approve": "approve", "send_back": "send_back", "sign": "sign",
                "issue": "issue", "deliver": "deliver", "add_file": "add_file"}


# --- output -------------------------------------------------------------------------------------------------------

class DocumentRow(Schema):
    id: int
    direction: str = Field(description="incoming (văn bản đến) hoặc outgoing (văn bản đi)")
    status: str
    status_label: str
    agency_code: str
    agency_name: str
    number: int | None = Field(description="Số (văn bản đi: cấp khi phát hành; văn bản đến: số của nơi gửi)")
    notation: str = Field(description="Số, ký hiệu, ví dụ 12/QĐ-UBND")
    arrival_number: int | None = Field(description="Số đến (văn bản đến đã vào sổ)")
    type_id: int | None
    type_name: str
    type_abbreviation: str
    subject: str
    sender_name: str
    sender_code: str
    issued_date: date | None
    received_at: datetime | None
    due_date: date | None
    urgency: int = Field(description="0 thường, 1 khẩn, 2 thượng khẩn, 3 hỏa tốc")
    urgency_label: str
    secrecy: int = Field(description="0 không mật, 1 mật, 2 tối mật, 3 tuyệt mật")
    secrecy_label: str
    overdue: bool
    created_at: datetime


class PageOut(Schema):
    count: int = Field(description="số văn bản khớp; khi count_exact là false: có hơn chừng ấy (đếm tối đa 1.000)")
    count_exact: bool
    page: int
    pages: int
    items: list[DocumentRow]


class PartyOut(Schema):
    kind: str = Field(description="agency (đơn vị) hoặc user (cá nhân)")
    id: int
    code: str | None = None
    name: str


class AssignmentOut(Schema):
    role: str = Field(description="lead (chủ trì), cooperate (phối hợp), inform (để biết)")
    role_label: str
    assignee: PartyOut
    handler: PartyOut | None
    deadline: date | None
    note: str
    done: bool
    assigned_at: datetime


class FileOut(Schema):
    id: int
    kind: str = Field(description="body, attachment, signed, edxml")
    kind_label: str
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime | None
    url: str = Field(description="Tải về (phiên đăng nhập, kiểm tra quyền)")


class DeliveryOut(Schema):
    channel: str
    state: str
    state_label: str
    recipient_code: str
    recipient_name: str
    delivered_at: datetime


class EventOut(Schema):
    at: datetime
    action: str
    actor: str
    role: str
    from_status: str
    to_status: str
    note: str


class DocumentOut(DocumentRow):
    unit_code: str | None
    unit_name: str | None
    issued_at: datetime | None
    signer_name: str
    signer_position: str
    digitally_signed: bool
    copies: int
    note: str
    reply_to_id: int | None
    closed_at: datetime | None
    allowed_actions: list[str]
    assignments: list[AssignmentOut]
    files: list[FileOut]
    deliveries: list[DeliveryOut]
    events: list[EventOut]


class AlreadyIssuedOut(ErrorOut):
    number: int | None
    notation: str
    issued_date: date | None


def _row_fields(document: Document, today: date) -> dict:
    kind = document.document_type
    return {
        "id": document.pk, "direction": DIRECTION_NAMES[document.direction], "status": document.status,
        "status_label": str(Status(document.status).label), "agency_code": document.agency.code,
        "agency_name": document.agency.name, "number": document.number, "notation": document.notation,
        "arrival_number": document.arrival_number, "type_id": kind.pk if kind else None,
        "type_name": document.type_name, "type_abbreviation": (kind.abbreviation or "") if kind else "",
        "subject": document.subject, "sender_name": document.sender_name, "sender_code": document.sender_code,
        "issued_date": document.issued_date, "received_at": document.received_at, "due_date": document.due_date,
        "urgency": document.urgency, "urgency_label": str(Urgency(document.urgency).label),
        "secrecy": document.secrecy, "secrecy_label": str(Secrecy(document.secrecy).label),
        "overdue": document.is_overdue(today), "created_at": document.created_at,
    }


def _party(who) -> PartyOut:
    if isinstance(who, Agency):
        return PartyOut(kind="agency", id=who.pk, code=who.code, name=who.name)
    return PartyOut(kind="user", id=who.pk, name=str(who))


def _document_out(request: HttpRequest, document: Document) -> DocumentOut:
    user = request.user
    today = datetime.now(TZ).date()
    actions = queries.allowed_actions(user, document)
    return DocumentOut(
        **_row_fields(document, today),
        unit_code=document.unit.code if document.unit_id else None,
        unit_name=document.unit.name if document.unit_id else None,
        issued_at=document.issued_at, signer_name=document.signer_name, signer_position=document.signer_position,
        digitally_signed=document.digitally_signed, copies=document.copies, note=document.note,
        reply_to_id=document.reply_to_id, closed_at=document.closed_at,
        allowed_actions=sorted(PAGE_ACTIONS[a] for a in actions if a in PAGE_ACTIONS),
        assignments=[AssignmentOut(role=a.role, role_label=a.get_role_display(), assignee=_party(a.assignee),
                                   handler=_party(a.handler) if a.handler_id else None, deadline=a.deadline,
                                   note=a.note, done=a.done, assigned_at=a.assigned_at)
                     for a in queries.assignments(document)],
        files=[FileOut(id=f.pk, kind=f.kind, kind_label=f.get_kind_display(), name=f.name,
                       content_type=f.content_type, size=f.size, sha256=f.sha256, uploaded_at=f.uploaded_at,
                       url=reverse("documents:file", args=[document.pk, f.pk]))
               for f in document.files.order_by("uploaded_at", "id")],
        deliveries=[DeliveryOut(channel=d.channel, state=d.state, state_label=d.get_state_display(),
                                recipient_code=d.recipient_code, recipient_name=d.recipient_name,
                                delivered_at=d.delivered_at)
                    for d in document.deliveries.order_by("delivered_at", "id")],
        events=[EventOut(at=e.at, action=e.action, actor=e.actor_name, role=e.actor_role, from_status=e.from_status,
                         to_status=e.to_status, note=e.note)
                for e in queries.history(document)],
    )


def _visible(request: HttpRequest, document_id: int) -> Document:
    """The document if the caller may see it; ``404 document_not_found`` otherwise (whether it exists or not)."""
    return queries.document_for(request.user, document_id)


# --- reading input ------------------------------------------------------------------------------------------------

def _document_type(raw: str | None, name: str = "document_type") -> DocumentType | None:
    """A type by id, abbreviation (case kept: QĐ, QyĐ) or name without diacritics ("cong van")."""
    raw = (raw or "").strip()
    if not raw:
        return None
    found = queries.document_type_by_pk(int(raw)) if raw.isdigit() and len(raw) < 10 else None
    if found is None:
        found = queries.document_types().filter(abbreviation=raw).first()
    if found is None:
        wanted = fold(raw)
        found = next((t for t in queries.document_types() if fold(t.name) == wanted), None)
    if found is None:
        raise DomainError("type_not_found", f"Không có loại văn bản “{raw}”.", field=name)
    return found


def _agency(code: str, name: str) -> Agency:
    agency = Agency.objects.filter(code=code.strip(), is_active=True).first() if code.strip() else None
    if agency is None:
        raise DomainError("agency_not_found", f"Không có cơ quan mã “{code}”.", field=name)
    return agency


# --- search and detail --------------------------------------------------------------------------------------------

@router.get("", response={200: PageOut, **ERRORS}, summary="Tìm văn bản",
            description="Các văn bản người gọi được xem, mới nhất trước. q: mọi từ (không phân biệt dấu, hoa "
                        "thường) trong số ký hiệu, trích yếu, cơ quan ban hành, người ký, nội dung tệp. direction: "
                        "incoming/outgoing; type: id, chữ viết tắt (QĐ) hoặc tên loại; status: mã trạng thái; "
                        "date_from/date_to: ngày vào hệ thống; agency: mã định danh cơ quan.")
def search(request: HttpRequest, q: str = "", direction: str = "", type: str = "", status: str = "",  # noqa: A002
           date_from: date | None = None, date_to: date | None = None, agency: str = "", page: int = 1,
           page_size: int = 20):
    qs = queries.visible_documents(request.user)
    for term in search_terms(q[:200])[:10]:
        qs = qs.filter(search_text__contains=term)
    if direction:
        if direction not in DIRECTIONS:
            raise DomainError("invalid_direction", "direction phải là incoming hoặc outgoing.", field="direction")
        qs = qs.filter(direction=DIRECTIONS[direction])
    if type:
        qs = qs.filter(document_type=_document_type(type, "type"))
    if status:
        if status not in Status.values:
            raise DomainError("invalid_status", f"status phải là một trong: {', '.join(Status.values)}.",
                              field="status")
        qs = qs.filter(status=status)
    if date_from:
        qs = qs.filter(created_at__gte=datetime.combine(date_from, time.min, tzinfo=TZ))
    if date_to:
        qs = qs.filter(created_at__lt=datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=TZ))
    if agency:
        qs = qs.filter(agency__code=agency.strip())
    paginator = CappedPaginator(qs.order_by("-created_at", "-id"), min(max(page_size, 1), MAX_PAGE_SIZE))
    current = paginator.get_page(max(1, min(page, 10**6)))
    today = datetime.now(TZ).date()
    return PageOut(count=paginator.count, count_exact=paginator.exact, page=current.number, pages=paginator.num_pages,
                   items=[DocumentRow(**_row_fields(d, today)) for d in current.object_list])


@router.get("/{int:document_id}", response={200: DocumentOut, **ERRORS}, summary="Một văn bản")
def detail(request: HttpRequest, document_id: int):
    return _document_out(request, _visible(request, document_id))


# --- registering an incoming document -----------------------------------------------------------------------------

class IncomingIn(Schema):
    agency: str = Field("", description="Mã định danh cơ quan nhận (mặc định: cơ quan duy nhất mà văn thư giữ sổ)")
    subject: str = Field(description="Trích yếu nội dung (tối đa 500 ký tự)")
    sender_name: str = Field(description="Tên cơ quan, tổ chức ban hành (tối đa 250 ký tự)")
    sender_code: str = Field("", description="Mã định danh cơ quan ban hành (nếu có), tối đa 13 ký tự")
    notation: str = Field("", description="Số, ký hiệu, ví dụ 15/GM-UBND (tối đa 60 ký tự)")
    document_type: str = Field("", description="id, chữ viết tắt hoặc tên loại văn bản")
    issued_date: date | None = None
    urgency: int = 0
    secrecy: int = 0
    signer_name: str = Field("", description="tối đa 100 ký tự")
    signer_position: str = Field("", description="tối đa 100 ký tự")
    due_date: date | None = None
    copies: int = Field(1, ge=1, le=1000)
    note: str = Field("", description="tối đa 500 ký tự")
    force: bool = Field(False, description="Vẫn vào sổ khi trùng số, ký hiệu và cơ quan ban hành")


#: Longest values of the registration's text fields (the columns' sizes): longer is ``400 too_long`` on the field.
INCOMING_MAX = {"agency": 13, "subject": 500, "sender_name": 250, "sender_code": 13, "notation": 60,
                "document_type": 100, "signer_name": 100, "signer_position": 100, "note": 500}


def _check_lengths(data: Schema, limits: dict[str, int]) -> None:
    for name, limit in limits.items():
        if len(getattr(data, name) or "") > limit:
            raise DomainError("too_long", f"Tối đa {limit} ký tự.", field=name)


@router.post("/incoming", response={201: DocumentOut, **ERRORS}, summary="Vào sổ văn bản đến",
             description="multipart/form-data: các trường và tệp (files, PDF hoặc DOCX). Trùng số, ký hiệu, cơ quan "
                         "ban hành: 409 duplicate_incoming, trừ khi force=true.")
def register_incoming(request: HttpRequest, data: Form[IncomingIn], files: File[list[UploadedFile]] = None):
    user = request.user
    _check_lengths(data, INCOMING_MAX)
    if data.agency.strip():
        agency = _agency(data.agency, "agency")
    else:
        choices = queries.clerk_agency_choices(user)
        if len(choices) != 1:
            raise DomainError("agency_required", "Cần mã định danh cơ quan nhận văn bản (agency).", field="agency")
        agency = choices[0]
    fields = services.IncomingFields(
        subject=" ".join(data.subject.split()), sender_name=" ".join(data.sender_name.split()),
        sender_code=data.sender_code.strip(), notation=data.notation.strip().replace(" ", ""),
        document_type=_document_type(data.document_type), issued_date=data.issued_date, urgency=data.urgency,
        secrecy=data.secrecy, signer_name=data.signer_name.strip(), signer_position=data.signer_position.strip(),
        due_date=data.due_date, copies=data.copies, note=data.note.strip(),
    )
    document = services.register_incoming(user, agency, fields, files or [], force=data.force)
    return Reply(201, _document_out(request, _visible(request, document.pk)))


# --- actions ------------------------------------------------------------------------------------------------------

class PartyIn(Schema):
    agency: str | None = Field(None, description="Mã định danh đơn vị")
    user: int | None = Field(None, description="id tài khoản cán bộ")


class ExternalIn(Schema):
    code: str = Field(description="Mã định danh (QĐ 20/2020), dạng 000.00.00.H37")
    name: str = Field(description="Tên cơ quan (tối đa 250 ký tự)")


class ActionIn(Schema):
    note: str = Field("", description="tối đa 1000 ký tự")
    reason: str = Field("", description="return_to_sender, send_back (tối đa 1000 ký tự)")
    lead: PartyIn | None = Field(None, description="assign: đơn vị hoặc cá nhân chủ trì")
    cooperating: list[PartyIn] = Field(default_factory=list, description="assign: phối hợp")
    for_information: list[PartyIn] = Field(default_factory=list, description="assign: để biết")
    deadline: date | None = Field(None, description="assign: thời hạn giải quyết")
    specialist: int | None = Field(None, description="forward_to_specialist: id tài khoản chuyên viên")
    outgoing: int | None = Field(None, description="answer: id văn bản đi trả lời")
    recipients: list[str] = Field(default_factory=list, description="deliver: mã định danh cơ quan trên hệ thống")
    external: list[ExternalIn] = Field(default_factory=list, description="deliver: cơ quan ngoài hệ thống (edXML)")


def _party_in(party: PartyIn | None, name: str):
    if party is not None and party.agency:
        found = Agency.objects.filter(code=party.agency.strip(), is_active=True).first()
    elif party is not None and party.user is not None:
        found = queries.staff_by_pk(party.user) if 0 < party.user < 2**62 else None
    else:
        raise DomainError("assignee_required", "Cần đơn vị (agency) hoặc người (user).", field=name)
    if found is None:
        raise DomainError("assignee_not_found", "Không tìm thấy đơn vị hoặc người đã chọn.", field=name)
    return found


def _assign(user: User, document: Document, data: ActionIn) -> None:
    services.assign(user, document, lead=_party_in(data.lead, "lead"),
                    cooperating=[_party_in(p, "cooperating") for p in data.cooperating],
                    for_information=[_party_in(p, "for_information") for p in data.for_information],
                    deadline=data.deadline, note=data.note)


def _forward(user: User, document: Document, data: ActionIn) -> None:
    specialist = queries.staff_by_pk(data.specialist) if data.specialist and 0 < data.specialist < 2**62 else None
    if specialist is None:
        raise DomainError("specialist_not_found", "Không tìm thấy chuyên viên (specialist).", field="specialist")
    services.forward_to_specialist(user, document, specialist, note=data.note)


def _answer(user: User, document: Document, data: ActionIn) -> None:
    if not data.outgoing or not 0 < data.outgoing < 2**62:
        raise DomainError("outgoing_required", "Cần id văn bản đi trả lời (outgoing).", field="outgoing")
    try:
        outgoing = queries.document_for(user, data.outgoing)
    except NotFound as exc:
        raise DomainError("outgoing_not_found", "Không tìm thấy văn bản đi trả lời.", field="outgoing") from exc
    services.answer(user, document, outgoing)


def _deliver(user: User, document: Document, data: ActionIn) -> None:
    recipients: list = [_agency(code, "recipients") for code in data.recipients]
    recipients += [services.ExternalRecipient(code=e.code, name=e.name) for e in data.external]
    services.deliver(user, document, recipients)


ACTIONS = {
    "confirm_registration": lambda u, d, x: services.confirm_registration(u, d),
    "return_to_sender": lambda u, d, x: services.return_to_sender(u, d, x.reason),
    "assign": _assign,
    "forward_to_specialist": _forward,
    "answer": _answer,
    "close": lambda u, d, x: services.close(u, d, note=x.note),
    "submit_for_approval": lambda u, d, x: services.submit_for_approval(u, d, note=x.note),
    "approve": lambda u, d, x: services.approve(u, d, note=x.note),
    "send_back": lambda u, d, x: services.send_back(u, d, x.reason),
    "sign": lambda u, d, x: services.sign(u, d, note=x.note),
    "issue": lambda u, d, x: services.issue(u, d),
    "deliver": _deliver,
}


def _run(request: HttpRequest, document_id: int, action: str, data: ActionIn):
    handler = ACTIONS.get(action)
    if handler is None:
        raise NotFound("unknown_action", f"Không có thao tác “{action}”; dùng một trong: {', '.join(ACTIONS)}.")
    document = _visible(request, document_id)
    _check_lengths(data, {"note": 1000, "reason": 1000})
    for external in data.external:
        _check_lengths(external, {"code": 13, "name": 250})
    try:
        handler(request.user, document, data)
    except DomainError as exc:
        if exc.code != "already_issued":
            raise
        issued = _visible(request, document_id)
        return Reply(409, AlreadyIssuedOut(code=exc.code, message=exc.message, field=None, number=issued.number,
                                           notation=issued.notation, issued_date=issued.issued_date))
    return Reply(200, _document_out(request, _visible(request, document_id)))


@router.post("/{int:document_id}/actions/{action}", response={200: DocumentOut, **ERRORS, 409: AlreadyIssuedOut},
             summary="Thao tác trên văn bản",
             description="action: " + ", ".join(ACTIONS) + ". Trả về văn bản sau thao tác. issue lần hai: 409 "
                         "already_issued kèm số đã cấp.")
def document_action(request: HttpRequest, document_id: int, action: str, data: ActionIn):
    return _run(request, document_id, action, data)


@router.post("/{int:document_id}/issue", response={200: DocumentOut, **ERRORS, 409: AlreadyIssuedOut},
             summary="Phát hành văn bản (cấp số)",
             description="Như thao tác issue: cấp số, ghi số và ngày vào bản PDF đã ký số, đóng dấu cơ quan. Văn bản "
                         "đã phát hành: 409 already_issued kèm số đã cấp, không cấp số mới.")
def issue(request: HttpRequest, document_id: int):
    return _run(request, document_id, "issue", ActionIn())


@router.post("/{int:document_id}/files", response={201: FileOut, **ERRORS}, summary="Thêm tệp",
             description="multipart/form-data: file; kind body (bản dự thảo mới, văn bản đến) hoặc attachment.")
def add_file(request: HttpRequest, document_id: int, file: File[UploadedFile], kind: Form[str] = "body"):
    document = _visible(request, document_id)
    if kind not in (DocumentFile.Kind.BODY, DocumentFile.Kind.ATTACHMENT):
        raise DomainError("invalid_kind", "kind phải là body hoặc attachment.", field="kind")
    row = services.add_file(request.user, document, file, kind=kind)
    return Reply(201, FileOut(id=row.pk, kind=row.kind, kind_label=row.get_kind_display(), name=row.name,
                              content_type=row.content_type, size=row.size, sha256=row.sha256,
                              uploaded_at=row.uploaded_at, url=reverse("documents:file", args=[document.pk, row.pk])))
