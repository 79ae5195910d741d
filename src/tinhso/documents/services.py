"""Every change to documents: one transaction each, a row lock, a permission check, an immutable ``DocumentEvent``
and an audit record. Refusals are ``DomainError``s with stable codes and Vietnamese messages.

Incoming (văn bản đến)::

    (delivered on the platform) to_register ─confirm_registration→ registered ─assign→ assigned
    register_incoming (clerk) ──────────────────────────────────→ registered   (lead is a person → in_progress)
    assigned ─forward_to_specialist→ in_progress ─answer→ answered ─close→ closed     (to_register ─return→ returned)

Outgoing (văn bản đi)::

    create_draft → draft ─submit_for_approval→ pending_approval ─approve→ approved ─sign→ signed ─issue→ issued
                                  └─send_back→ draft                                          └─deliver (nơi nhận)

Numbering (Điều 15 and 22 of NĐ 30/2020): ``next_number`` locks the register's row (UPDATE … RETURNING), refuses a
closed register, and increments its counter in the caller's transaction: the number is written together with the
document, so a failure rolls both back (no gap) and a second caller waits for the first to commit (no duplicate).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from tinhso.core import permissions
from tinhso.core.errors import DomainError, Forbidden, NotFound
from tinhso.core.models import Agency, Membership, Role, User
from tinhso.core.services import record
from tinhso.core.text import fold

from . import access, classify, files
from .models import (
    Assignment,
    ClerkOffice,
    Delivery,
    Direction,
    Document,
    DocumentEvent,
    DocumentFile,
    DocumentType,
    Registry,
    Secrecy,
    Sector,
    Status,
    Urgency,
    format_number,
)

HANDLING_ROLES = (Role.SPECIALIST, Role.DEPARTMENT_HEAD)
DRAFTING_ROLES = (Role.SPECIALIST, Role.DEPARTMENT_HEAD, Role.AGENCY_LEADER)


class Conflict(DomainError):
    status = 409


def _now() -> datetime:
    """The current instant (tests replace it to act on another day or year)."""
    return timezone.now()


def _today() -> date:
    return timezone.localtime(_now()).date()


# --- numbering ----------------------------------------------------------------------------------------------------

def build_notation(number: int, document_type: DocumentType | None, agency: Agency, unit: Agency | None = None) -> str:
    """Số, ký hiệu: ``05/QĐ-UBND`` (type abbreviation - agency), ``123/UBND-VP`` for a công văn (agency - drafting
    unit; the agency alone when the unit is the agency). Abbreviations keep their case (QyĐ, CTr, TTr, TrS)."""
    agency_abbr = "".join(agency.short_name.split())
    if not agency_abbr or "/" in agency_abbr:
        raise DomainError("agency_short_name_invalid",
                          f"Tên viết tắt của {agency.name} trống hoặc có dấu “/”: không lập được ký hiệu văn bản.")
    if document_type is not None and document_type.abbreviation:
        symbol = f"{document_type.abbreviation}-{agency_abbr}"
    elif unit is not None and unit.pk != agency.pk and unit.short_name.strip():
        symbol = f"{agency_abbr}-{''.join(unit.short_name.split())}"
    else:
        symbol = agency_abbr
    return f"{format_number(number)}/{symbol}"


def registry_for(agency: Agency, *, year: int, direction: str, secret: bool = False,
                 document_type: DocumentType | None = None) -> Registry:
    """The register that numbers a document: the type's own series when the agency keeps one for that type (it
    continues into a new year by itself), else the agency's general series of that direction and secrecy. Created
    on first use (a new year starts at 01)."""
    if document_type is not None:
        typed = Registry.objects.filter(agency=agency, direction=direction, secret=secret,
                                        document_type=document_type)
        if typed.exists():
            return _get_or_create_registry(agency, year, direction, secret, document_type)
    return _get_or_create_registry(agency, year, direction, secret, None)


def _get_or_create_registry(agency, year, direction, secret, document_type) -> Registry:
    lookup = {"agency": agency, "year": year, "direction": direction, "secret": secret,
              "document_type": document_type}
    found = Registry.objects.filter(**lookup).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():  # a savepoint: two first documents of the year may race on the insert
            return Registry.objects.create(**lookup)
    except IntegrityError:
        return Registry.objects.get(**lookup)


def next_number(registry: Registry) -> int:
    """The register's next number, under a row lock held until the caller's transaction ends (call it inside
    ``transaction.atomic`` together with the write that uses the number)."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("next_number must run inside the transaction that stores the number")
    # One statement: the increment takes the row lock (kept until the caller's transaction ends) and returns the
    # number, one round trip less under the lock than SELECT … FOR UPDATE then UPDATE (bench/numbering.py).
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Registry._meta.db_table} SET last_number = last_number + 1 "
                       "WHERE id = %s AND closed = %s RETURNING last_number", [registry.pk, False])
        row = cursor.fetchone()
    if row is None:
        locked = Registry.objects.select_related("agency", "document_type").get(pk=registry.pk)
        raise Conflict("registry_closed",
                       f"{locked} đã khóa sổ: không cấp thêm số. Văn bản năm mới được đánh số trong sổ năm mới.")
    registry.last_number = row[0]
    return row[0]


@transaction.atomic
def open_registry(actor: User, agency: Agency, *, year: int, direction: str, secret: bool = False,
                  document_type: DocumentType | None = None) -> Registry:
    """Open a register explicitly, e.g. a type's own series (each type of legal normative document)."""
    _require_clerk(actor, agency)
    if direction not in Direction.values:
        raise DomainError("invalid_direction", "Loại sổ không hợp lệ.")
    registry = _get_or_create_registry(agency, year, direction, secret, document_type)
    record("documents.registry_opened", actor=actor, obj=registry, agency=agency, summary=str(registry))
    return registry


@transaction.atomic
def close_registry(actor: User, registry: Registry) -> Registry:
    """Lock a register (the year is over and its book printed): it gives no more numbers."""
    registry = Registry.objects.select_for_update(of=("self",)).select_related("agency").get(pk=registry.pk)
    _require_clerk(actor, registry.agency)
    if not registry.closed:
        registry.closed, registry.closed_at = True, _now()
        registry.save(update_fields=["closed", "closed_at"])
        record("documents.registry_closed", actor=actor, obj=registry, agency=registry.agency,
               summary=f"{registry}: {registry.last_number} số")
    return registry


@transaction.atomic
def set_clerk_office(actor: User | None, agency: Agency, office: Agency) -> ClerkOffice:
    """Name the unit whose clerks keep ``agency``'s registers (administrators)."""
    if actor is not None:
        permissions.require_role(actor, [Role.ADMINISTRATOR], agency)
    row, _created = ClerkOffice.objects.update_or_create(agency=agency, defaults={"office": office})
    record("documents.clerk_office_set", actor=actor, obj=row, agency=agency, summary=str(row))
    return row


# --- helpers ------------------------------------------------------------------------------------------------------

def _lock(document: Document | int) -> Document:
    pk = document.pk if isinstance(document, Document) else document
    locked = (Document.objects.select_for_update(of=("self",))
              .select_related("agency", "unit", "document_type", "registry").filter(pk=pk).first())
    if locked is None:
        raise NotFound("document_not_found", "Không tìm thấy văn bản.")
    return locked


def _require_status(document: Document, *allowed: str, action: str) -> None:
    if document.status not in allowed:
        names = ", ".join(f"“{Status(s).label}”" for s in allowed)
        raise Conflict("illegal_transition", f"Không thể {action}: văn bản đang ở trạng thái "
                                             f"“{Status(document.status).label}” (cần {names}).")


def _require_direction(document: Document, direction: str) -> None:
    if document.direction != direction:
        raise DomainError("wrong_direction", f"Thao tác này chỉ dành cho {Direction(direction).label.lower()}.")


def _roles_label(roles: Iterable[str]) -> str:
    return ", ".join(str(Role(r).label) for r in roles)


def _first_role(actor: User, agency: Agency | None, roles: Iterable[str]) -> str | None:
    if agency is None:
        return None
    for role in roles:
        if permissions.has_role(actor, [role], agency):
            return role
    return None


def _require_clerk(actor: User, agency: Agency) -> str:
    if not access.is_clerk_for(actor, agency):
        raise Forbidden(f"Thao tác này cần vai trò Văn thư của {agency.name}.")
    return Role.CLERK


def _require_any(actor: User, checks: Iterable[tuple[Agency | None, Iterable[str]]]) -> str:
    """The first role ``actor`` holds among ``(agency, roles)`` pairs; ``Forbidden`` naming them otherwise."""
    checks = [(agency, list(roles)) for agency, roles in checks]
    for agency, roles in checks:
        role = _first_role(actor, agency, roles)
        if role:
            return role
    wanted = "; ".join(f"{_roles_label(roles)} tại {agency.name}" for agency, roles in checks if agency is not None)
    raise Forbidden(f"Thao tác này cần vai trò {wanted}.")


def _event(document: Document, action: str, actor: User | None, *, role: str = "", agency: Agency | None = None,
           from_status: str = "", note: str = "", data: dict | None = None) -> DocumentEvent:
    event = DocumentEvent.objects.create(
        document=document, at=_now(), action=action, actor=actor if actor is not None and actor.pk else None,
        actor_name=str(actor) if actor is not None else "hệ thống", actor_role=role,
        agency=agency or document.agency, from_status=from_status, to_status=document.status, note=note,
        data=data or {},
    )
    record(f"documents.{action}", actor=actor, obj=document, agency=agency or document.agency,
           summary=f"{document}: {Status(document.status).label}"[:500], data={"note": note[:200]})
    _exchange_hook(document, event)
    return event


def _exchange_hook(document: Document, event: DocumentEvent) -> None:
    """EXCHANGE HOOK: the exchange app queues what the change means for another platform (the status 03/04/05/06
    of a document received through the exchange, the edXML package of a document sent to an outside agency), in
    this transaction (a transactional outbox)."""
    from tinhso.exchange.services import document_changed

    document_changed(document, event)


def _set_status(document: Document, status: str, *fields: str) -> str:
    previous = document.status
    document.status = status
    document.save(update_fields=["status", *fields])
    return previous


def refresh_search_text(document: Document) -> None:
    """The folded text that search matches: số/ký hiệu, type, subject, sender, signer, and the files' text."""
    texts = [t for t in document.files.exclude(kind=DocumentFile.Kind.EDXML).values_list("text", flat=True) if t]
    parts = [document.notation, document.type_name, document.subject, document.sender_name, document.sender_code,
             document.signer_name, *texts]
    document.search_text = fold(" ".join(p for p in parts if p))
    document.save(update_fields=["search_text"])


def _store(document: Document, stored: files.StoredContent, kind: str, actor: User | None) -> DocumentFile:
    row = DocumentFile(document=document, kind=kind, name=stored.name, content_type=stored.content_type,
                       size=stored.size, sha256=stored.sha256, text=stored.text, uploaded_by=actor,
                       uploaded_at=_now())
    row.file.save(stored.name, ContentFile(stored.content), save=False)
    row.save()
    return row


def main_file(document: Document) -> DocumentFile | None:
    """The version that counts: the latest signed PDF, else the latest body file."""
    rows = list(document.files.filter(kind__in=[DocumentFile.Kind.SIGNED, DocumentFile.Kind.BODY])
                .order_by("-uploaded_at", "-id"))
    signed = [r for r in rows if r.kind == DocumentFile.Kind.SIGNED]
    return (signed or rows or [None])[0]


def _read(row: DocumentFile) -> bytes:
    with row.file.open("rb") as handle:
        return handle.read()


def _leader_title(user: User, agency: Agency) -> str:
    chain = [agency.pk] + [a.pk for a in agency.ancestors()]
    membership = (Membership.objects.filter(user=user, is_active=True, agency_id__in=chain,
                                            role=Role.AGENCY_LEADER).exclude(title="").first())
    return membership.title if membership else ""


# --- incoming documents -------------------------------------------------------------------------------------------

@dataclass
class IncomingFields:
    """What the clerk reads off an incoming document (Phụ lục VI input metadata)."""

    subject: str
    sender_name: str
    notation: str = ""
    number: int | None = None
    document_type: DocumentType | None = None
    sender_code: str = ""
    issued_date: date | None = None
    received_at: datetime | None = None
    urgency: int = Urgency.NORMAL
    secrecy: int = Secrecy.NONE
    signer_name: str = ""
    signer_position: str = ""
    due_date: date | None = None
    copies: int = 1
    note: str = ""
    extra: dict = field(default_factory=dict)
    #: Lĩnh vực; ``extra["suggestion"]`` carries the classifier's suggestion the form showed (``classify.record``).
    sector: Sector | None = None


def _number_from_notation(notation: str) -> int | None:
    head = notation.split("/", 1)[0].strip()
    return int(head) if head.isdigit() else None


def _check_incoming(fields: IncomingFields) -> None:
    if not fields.subject.strip():
        raise DomainError("subject_required", "Cần trích yếu nội dung văn bản.", field="subject")
    if len(fields.subject) > 500:
        raise DomainError("too_long", "Trích yếu tối đa 500 ký tự.", field="subject")
    if not fields.sender_name.strip():
        raise DomainError("sender_required", "Cần tên cơ quan, tổ chức ban hành văn bản.", field="sender_name")
    if len(fields.notation) > 60 or " " in fields.notation.strip():
        raise DomainError("notation_invalid", "Số, ký hiệu không có khoảng trắng, tối đa 60 ký tự (ví dụ "
                                              "15/QĐ-UBND).", field="notation")
    if fields.urgency not in Urgency.values:
        raise DomainError("invalid_urgency", "Độ khẩn không hợp lệ.", field="urgency")
    if fields.secrecy not in Secrecy.values:
        raise DomainError("invalid_secrecy", "Độ mật không hợp lệ.", field="secrecy")
    if fields.issued_date and fields.issued_date > _today():
        raise DomainError("issued_in_future", "Ngày ban hành không thể sau hôm nay.", field="issued_date")


def find_duplicate_incoming(agency: Agency, *, notation: str, number: int | None, sender_name: str,
                            sender_code: str = "", exclude: int | None = None) -> Document | None:
    """An incoming document of ``agency`` with the same (number, notation, issuing agency) (Phụ lục VI). The issuing
    agency is compared by identifier when both documents have one, else by name without diacritics or case."""
    if not notation.strip():
        return None
    candidates = (Document.objects.filter(agency=agency, direction=Direction.INCOMING, notation=notation.strip())
                  .exclude(status=Status.RETURNED))
    if number is not None:
        candidates = candidates.filter(Q(number=number) | Q(number__isnull=True))
    if exclude:
        candidates = candidates.exclude(pk=exclude)
    folded = fold(sender_name)
    for candidate in candidates.order_by("pk"):
        if sender_code and candidate.sender_code:
            if candidate.sender_code == sender_code:
                return candidate
        elif fold(candidate.sender_name) == folded:
            return candidate
    return None


def _assign_arrival(document: Document, at: datetime) -> None:
    registry = registry_for(document.agency, year=timezone.localtime(at).year, direction=Direction.INCOMING,
                            secret=document.secrecy > Secrecy.NONE)
    document.registry = registry
    document.arrival_number = next_number(registry)


@transaction.atomic
def register_incoming(clerk: User, agency: Agency, fields: IncomingFields, uploads: Iterable = (), *,
                      force: bool = False) -> Document:
    """Enter a received document in the incoming register (Điều 22): the arrival number is the next of the year's
    register (its own series for secret documents). A document already registered with the same number, notation
    and issuing agency is refused with ``duplicate_incoming`` unless ``force``."""
    role = _require_clerk(clerk, agency)
    _check_incoming(fields)
    number = fields.number if fields.number is not None else _number_from_notation(fields.notation)
    duplicate = find_duplicate_incoming(agency, notation=fields.notation, number=number,
                                        sender_name=fields.sender_name, sender_code=fields.sender_code.strip())
    if duplicate is not None and not force:
        when = timezone.localtime(duplicate.received_at).strftime("%d/%m/%Y") if duplicate.received_at else ""
        raise Conflict("duplicate_incoming",
                       f"Văn bản số {fields.notation} của {fields.sender_name} đã được vào sổ"
                       f"{f' số đến {duplicate.arrival_number}' if duplicate.arrival_number else ''}"
                       f"{f' ngày {when}' if when else ''}. Kiểm tra lại; nếu đúng là văn bản khác, chọn "
                       "“Vẫn vào sổ”.", field="notation")
    now = _now()
    received_at = fields.received_at or now
    document = Document(
        direction=Direction.INCOMING, status=Status.REGISTERED, agency=agency, document_type=fields.document_type,
        sector=fields.sector,
        number=number, notation=fields.notation.strip(), received_at=received_at, subject=fields.subject.strip(),
        sender_name=fields.sender_name.strip(), sender_code=fields.sender_code.strip(),
        sender_agency=Agency.objects.filter(code=fields.sender_code.strip()).first() if fields.sender_code else None,
        issued_date=fields.issued_date, urgency=fields.urgency, secrecy=fields.secrecy,
        signer_name=fields.signer_name.strip(), signer_position=fields.signer_position.strip(),
        due_date=fields.due_date, copies=max(1, fields.copies or 1), note=fields.note.strip()[:500],
        created_by=clerk, created_at=now,
    )
    _assign_arrival(document, received_at)
    document.save()
    for upload in uploads:
        _store(document, files.read_upload(upload), DocumentFile.Kind.BODY, clerk)
    refresh_search_text(document)
    _event(document, "registered", clerk, role=role, agency=agency,
           note="Vào sổ dù trùng số, ký hiệu, cơ quan ban hành" if duplicate is not None else "",
           data={"arrival_number": document.arrival_number, "forced_duplicate": duplicate.pk if duplicate else None})
    classify.registered(document, fields.extra.get("suggestion"))
    return document


@transaction.atomic
def confirm_registration(clerk: User, document: Document, *, document_type: DocumentType | None = None,
                         sector: Sector | None = None, suggestion: dict | None = None) -> Document:
    """The receiving clerk confirms a document delivered on the platform: it gets its arrival number. The clerk may
    set its type (else the sender's stays) and its sector; ``suggestion`` is the classifier's suggestion the page
    showed (``classify.record``)."""
    document = _lock(document)
    _require_direction(document, Direction.INCOMING)
    role = _require_clerk(clerk, document.agency)
    _require_status(document, Status.TO_REGISTER, action="vào sổ văn bản đến")
    _assign_arrival(document, document.received_at or _now())
    changed = ["registry", "arrival_number"]
    if document_type is not None:
        document.document_type = document_type
        changed.append("document_type")
    if sector is not None:
        document.sector = sector
        changed.append("sector")
    previous = _set_status(document, Status.REGISTERED, *changed)
    _event(document, "registration_confirmed", clerk, role=role, from_status=previous,
           data={"arrival_number": document.arrival_number})
    classify.registered(document, suggestion)
    return document


@transaction.atomic
def return_to_sender(clerk: User, document: Document, reason: str) -> Document:
    """Refuse a document delivered on the platform (wrong addressee, incomplete): it is not registered."""
    document = _lock(document)
    _require_direction(document, Direction.INCOMING)
    role = _require_clerk(clerk, document.agency)
    _require_status(document, Status.TO_REGISTER, action="trả lại văn bản")
    if not reason.strip():
        raise DomainError("reason_required", "Cần ghi lý do trả lại.", field="reason")
    document.closed_at = _now()
    previous = _set_status(document, Status.RETURNED, "closed_at")
    _event(document, "returned", clerk, role=role, from_status=previous, note=reason.strip())
    return document


def _in_subtree(agency: Agency, candidate: Agency) -> bool:
    return candidate.pk in permissions.descendants([agency.pk])


def _check_assignee(document: Document, assignee: Agency | User, what: str) -> None:
    agency = document.agency
    if isinstance(assignee, Agency):
        if not _in_subtree(agency, assignee):
            raise DomainError("assignee_outside", f"{assignee.name} không thuộc {agency.name}.", field=what)
        return
    if not isinstance(assignee, User) or assignee.kind != User.Kind.STAFF:
        raise DomainError("assignee_invalid", "Người được giao phải là cán bộ, công chức.", field=what)
    units = permissions.descendants([agency.pk])
    if not permissions.memberships(assignee).filter(agency_id__in=units).exists():
        raise DomainError("assignee_outside", f"{assignee} không làm việc tại {agency.name}.", field=what)


def _assignment(document, role, assignee, deadline, note, actor, at) -> Assignment:
    return Assignment(document=document, role=role, agency=assignee if isinstance(assignee, Agency) else None,
                      user=assignee if isinstance(assignee, User) else None, deadline=deadline, note=note,
                      assigned_by=actor, assigned_at=at)


@transaction.atomic
def assign(leader: User, document: Document, *, lead: Agency | User, cooperating: Iterable[Agency | User] = (),
           for_information: Iterable[Agency | User] = (), deadline: date | None = None, note: str = "") -> Document:
    """The leader's instruction (phiếu giải quyết): the lead unit or person, co-operating and informed ones, the
    deadline. A lead unit's head then gives it to a specialist; a lead person handles it directly."""
    document = _lock(document)
    _require_direction(document, Direction.INCOMING)
    role = _require_any(leader, [(document.agency, [Role.AGENCY_LEADER])])
    _require_status(document, Status.REGISTERED, Status.ASSIGNED, action="phân công xử lý")
    if deadline is not None and deadline < _today():
        raise DomainError("deadline_past", "Thời hạn giải quyết không thể trước hôm nay.", field="deadline")
    cooperating, for_information = list(cooperating), list(for_information)
    _check_assignee(document, lead, "lead")
    seen = {(type(lead).__name__, lead.pk)}
    for group, what in ((cooperating, "cooperating"), (for_information, "for_information")):
        for item in group:
            _check_assignee(document, item, what)
            key = (type(item).__name__, item.pk)
            if key in seen:
                raise DomainError("assignee_repeated", f"{item} được chọn hai lần.", field=what)
            seen.add(key)
    at = _now()
    document.assignments.all().delete()  # a new instruction replaces the previous one (it stays in the history)
    rows = [_assignment(document, Assignment.Role.LEAD, lead, deadline, note.strip()[:1000], leader, at)]
    rows += [_assignment(document, Assignment.Role.COOPERATE, a, deadline, "", leader, at) for a in cooperating]
    rows += [_assignment(document, Assignment.Role.INFORM, a, None, "", leader, at) for a in for_information]
    Assignment.objects.bulk_create(rows)
    if isinstance(lead, User):
        Assignment.objects.filter(document=document, role=Assignment.Role.LEAD).update(handler=lead)
    document.due_date = deadline
    status = Status.IN_PROGRESS if isinstance(lead, User) else Status.ASSIGNED
    previous = _set_status(document, status, "due_date")
    _event(document, "assigned", leader, role=role, from_status=previous, note=note.strip(), data={
        "lead": str(lead), "cooperating": [str(a) for a in cooperating],
        "for_information": [str(a) for a in for_information],
        "deadline": deadline.isoformat() if deadline else None,
    })
    return document


def lead_assignment(document: Document) -> Assignment | None:
    return document.assignments.filter(role=Assignment.Role.LEAD).select_related("agency", "user", "handler").first()


@transaction.atomic
def forward_to_specialist(head: User, document: Document, specialist: User, note: str = "") -> Document:
    """The lead unit's head gives the document to one of the unit's specialists."""
    document = _lock(document)
    _require_direction(document, Direction.INCOMING)
    lead = lead_assignment(document)
    if lead is None or lead.agency is None:
        raise Conflict("no_lead_unit", "Văn bản chưa được phân công cho một đơn vị chủ trì.")
    role = _require_any(head, [(lead.agency, [Role.DEPARTMENT_HEAD]), (document.agency, [Role.AGENCY_LEADER])])
    _require_status(document, Status.ASSIGNED, Status.IN_PROGRESS, action="giao chuyên viên giải quyết")
    if _first_role(specialist, lead.agency, HANDLING_ROLES) is None:
        raise DomainError("specialist_outside", f"{specialist} không phải chuyên viên của {lead.agency.name}.",
                          field="specialist")
    lead.handler = specialist
    lead.save(update_fields=["handler"])
    previous = _set_status(document, Status.IN_PROGRESS)
    _event(document, "forwarded", head, role=role, agency=lead.agency, from_status=previous, note=note.strip(),
           data={"handler": str(specialist), "handler_id": specialist.pk})
    return document


def _handler_role(actor: User, document: Document) -> str | None:
    lead = lead_assignment(document)
    if lead is not None and actor.pk in (lead.handler_id, lead.user_id):
        return Role.SPECIALIST
    if lead is not None and lead.agency is not None:
        role = _first_role(actor, lead.agency, HANDLING_ROLES)
        if role:
            return role
    return _first_role(actor, document.agency, [Role.AGENCY_LEADER])


def _require_handler(actor: User, document: Document) -> str:
    role = _handler_role(actor, document)
    if role is None:
        raise Forbidden("Chỉ người được giao giải quyết, lãnh đạo đơn vị chủ trì hoặc lãnh đạo cơ quan mới làm "
                        "được thao tác này.")
    return role


def _link_answer(actor: User, incoming: Document, outgoing: Document, role: str) -> None:
    if outgoing.direction != Direction.OUTGOING or outgoing.agency_id != incoming.agency_id:
        raise DomainError("answer_invalid", "Văn bản trả lời phải là văn bản đi của cùng cơ quan.", field="outgoing")
    if outgoing.reply_to_id not in (None, incoming.pk):
        raise DomainError("answer_invalid", "Văn bản đi này đã trả lời một văn bản đến khác.", field="outgoing")
    if outgoing.reply_to_id is None:
        outgoing.reply_to = incoming
        outgoing.save(update_fields=["reply_to"])
    previous = _set_status(incoming, Status.ANSWERED)
    _event(incoming, "answered", actor, role=role, from_status=previous,
           data={"outgoing": outgoing.pk, "outgoing_notation": outgoing.notation, "outgoing_subject": outgoing.subject})


@transaction.atomic
def answer(specialist: User, document: Document, outgoing: Document) -> Document:
    """Record ``outgoing`` (a draft or an issued document) as the answer to the incoming ``document``."""
    document = _lock(document)
    _require_direction(document, Direction.INCOMING)
    role = _require_handler(specialist, document)
    _require_status(document, Status.ASSIGNED, Status.IN_PROGRESS, Status.ANSWERED, action="ghi văn bản trả lời")
    _link_answer(specialist, document, _lock(outgoing), role)
    return document


@transaction.atomic
def close(actor: User, document: Document, note: str = "") -> Document:
    """The incoming document is dealt with (answered, or nothing more to do): it leaves the tracking list."""
    document = _lock(document)
    _require_direction(document, Direction.INCOMING)
    role = _require_handler(actor, document)
    _require_status(document, Status.REGISTERED, Status.ASSIGNED, Status.IN_PROGRESS, Status.ANSWERED,
                    action="kết thúc xử lý")
    now = _now()
    document.closed_at = now
    document.assignments.filter(role__in=[Assignment.Role.LEAD, Assignment.Role.COOPERATE], done=False).update(
        done=True, done_at=now)
    previous = _set_status(document, Status.CLOSED, "closed_at")
    _event(document, "closed", actor, role=role, from_status=previous, note=note.strip())
    return document


# --- outgoing documents -------------------------------------------------------------------------------------------

def _default_unit(actor: User, agency: Agency) -> Agency:
    units = permissions.descendants([agency.pk])
    membership = (permissions.memberships(actor, DRAFTING_ROLES).filter(agency_id__in=units)
                  .select_related("agency").order_by("-agency__code").first())
    if membership is None:
        if actor.is_superuser:
            return agency
        raise Forbidden(f"Bạn không có vai trò soạn thảo văn bản tại {agency.name}.")
    return membership.agency


@transaction.atomic
def create_draft(author: User, agency: Agency, document_type: DocumentType | None, subject: str, upload=None, *,
                 unit: Agency | None = None, reply_to: Document | None = None, urgency: int = Urgency.NORMAL,
                 secrecy: int = Secrecy.NONE, due_date: date | None = None, copies: int = 1,
                 note: str = "", sector: Sector | None = None) -> Document:
    """A draft outgoing document of ``agency``, written in ``unit`` (the author's unit by default). With
    ``reply_to`` it is recorded at once as the answer to that incoming document."""
    unit = unit or _default_unit(author, agency)
    if not _in_subtree(agency, unit):
        raise DomainError("unit_outside", f"{unit.name} không thuộc {agency.name}.", field="unit")
    role = _require_any(author, [(unit, DRAFTING_ROLES)])
    if not subject.strip():
        raise DomainError("subject_required", "Cần trích yếu nội dung văn bản.", field="subject")
    if len(subject) > 500:
        raise DomainError("too_long", "Trích yếu tối đa 500 ký tự.", field="subject")
    if document_type is not None and not document_type.is_active:
        raise DomainError("type_inactive", "Loại văn bản này không còn sử dụng.", field="document_type")
    if document_type is not None and document_type.is_incoming_only:
        raise DomainError("type_incoming_only", f"{document_type.name} là văn bản quy phạm pháp luật: cơ quan chỉ "
                                                "nhận, không ban hành loại văn bản này.", field="document_type")
    if urgency not in Urgency.values or secrecy not in Secrecy.values:
        raise DomainError("invalid_marks", "Độ khẩn hoặc độ mật không hợp lệ.")
    document = Document.objects.create(
        direction=Direction.OUTGOING, status=Status.DRAFT, agency=agency, unit=unit, document_type=document_type,
        sector=sector, subject=subject.strip(), urgency=urgency, secrecy=secrecy, due_date=due_date,
        copies=max(1, copies or 1),
        note=note.strip()[:500], sender_name=agency.name, sender_code=agency.code, sender_agency=agency,
        created_by=author, created_at=_now(),
    )
    if upload is not None:
        _store(document, files.read_upload(upload), DocumentFile.Kind.BODY, author)
    refresh_search_text(document)
    _event(document, "drafted", author, role=role, agency=unit)
    if reply_to is not None:
        incoming = _lock(reply_to)
        if incoming.direction != Direction.INCOMING:
            raise DomainError("answer_invalid", "Chỉ trả lời được văn bản đến.", field="reply_to")
        handler_role = _require_handler(author, incoming)
        _require_status(incoming, Status.ASSIGNED, Status.IN_PROGRESS, Status.ANSWERED, action="ghi văn bản trả lời")
        _link_answer(author, incoming, document, handler_role)
    return document


def _require_author(actor: User, document: Document) -> str:
    if document.created_by_id == actor.pk:
        return _first_role(actor, document.unit, DRAFTING_ROLES) or Role.SPECIALIST
    return _require_any(actor, [(document.unit, DRAFTING_ROLES)])


@transaction.atomic
def add_file(actor: User, document: Document, upload, *, kind: str = DocumentFile.Kind.BODY) -> DocumentFile:
    """Add a file: the drafting unit to a draft (a new body version or an attachment), the clerk to a document in
    the incoming register."""
    document = _lock(document)
    if kind not in (DocumentFile.Kind.BODY, DocumentFile.Kind.ATTACHMENT):
        raise DomainError("invalid_kind", "Loại tệp không hợp lệ.", field="kind")
    if document.is_outgoing:
        role = _require_author(actor, document)
        _require_status(document, Status.DRAFT, action="thêm tệp")
    else:
        role = _require_clerk(actor, document.agency)
        _require_status(document, Status.TO_REGISTER, Status.REGISTERED, Status.ASSIGNED, Status.IN_PROGRESS,
                        action="thêm tệp")
    row = _store(document, files.read_upload(upload), kind, actor)
    refresh_search_text(document)
    _event(document, "file_added", actor, role=role, note=row.name, data={"file": row.pk, "sha256": row.sha256})
    return row


@transaction.atomic
def submit_for_approval(author: User, document: Document, note: str = "") -> Document:
    document = _lock(document)
    _require_direction(document, Direction.OUTGOING)
    role = _require_author(author, document)
    _require_status(document, Status.DRAFT, action="trình duyệt")
    if main_file(document) is None:
        raise DomainError("body_missing", "Hãy tải lên tệp dự thảo văn bản trước khi trình.", field="file")
    previous = _set_status(document, Status.PENDING_APPROVAL)
    _event(document, "submitted", author, role=role, agency=document.unit, from_status=previous, note=note.strip())
    return document


def _require_approver(actor: User, document: Document) -> str:
    return _require_any(actor, [(document.unit, [Role.DEPARTMENT_HEAD]), (document.agency, [Role.AGENCY_LEADER])])


@transaction.atomic
def approve(approver: User, document: Document, note: str = "") -> Document:
    document = _lock(document)
    _require_direction(document, Direction.OUTGOING)
    role = _require_approver(approver, document)
    _require_status(document, Status.PENDING_APPROVAL, action="duyệt dự thảo")
    previous = _set_status(document, Status.APPROVED)
    _event(document, "approved", approver, role=role, from_status=previous, note=note.strip())
    return document


@transaction.atomic
def send_back(approver: User, document: Document, reason: str) -> Document:
    """The approver or the signer returns the draft to its author with the reason."""
    document = _lock(document)
    _require_direction(document, Direction.OUTGOING)
    role = _require_approver(approver, document)
    _require_status(document, Status.PENDING_APPROVAL, Status.APPROVED, action="trả lại dự thảo")
    if not reason.strip():
        raise DomainError("reason_required", "Cần ghi lý do trả lại để người soạn thảo sửa.", field="reason")
    previous = _set_status(document, Status.DRAFT)
    _event(document, "sent_back", approver, role=role, from_status=previous, note=reason.strip())
    return document


def _digital_signature_required() -> bool:
    conf = getattr(settings, "TINHSO", {}) or {}
    return bool(conf.get("DOCUMENTS_REQUIRE_DIGITAL_SIGNATURE", False))


def personal_signer(user: User, agency: Agency):
    """SIGNING HOOK: the token signer of ``user``'s personal identity for ``agency`` (or an agency above it), or
    None. Reads the signing app's identities; to move behind a ``tinhso.signing`` service when it offers one."""
    from tinhso.signing.models import SigningIdentity
    from tinhso.signing.signers import for_identity

    chain = [agency.pk] + [a.pk for a in agency.ancestors()]
    identity = (SigningIdentity.objects.filter(kind=SigningIdentity.Kind.PERSONAL, user=user, is_active=True,
                                               agency_id__in=chain).order_by("-created_at").first())
    return for_identity(identity) if identity is not None else None


def agency_signer(agency: Agency):
    """SIGNING HOOK: the token signer of ``agency``'s seal, or None (see ``personal_signer``)."""
    from tinhso.signing.models import SigningIdentity
    from tinhso.signing.signers import for_identity

    identity = SigningIdentity.objects.filter(kind=SigningIdentity.Kind.AGENCY, agency=agency, is_active=True).first()
    return for_identity(identity) if identity is not None else None


@transaction.atomic
def sign(leader: User, document: Document, *, signer=None, note: str = "") -> Document:
    """The competent leader signs. With a signing identity (``signer``, else the leader's ``SigningIdentity``) the
    PDF is signed digitally (PAdES, personal signature image between the title and the name, NĐ 30 Phụ lục I) and
    stored as the signed version. Without one the signature is recorded only, unless the setting
    ``TINHSO["DOCUMENTS_REQUIRE_DIGITAL_SIGNATURE"]`` demands a digital signature."""
    document = _lock(document)
    _require_direction(document, Direction.OUTGOING)
    role = _require_any(leader, [(document.agency, [Role.AGENCY_LEADER])])
    _require_status(document, Status.APPROVED, action="ký văn bản")
    signer = signer or personal_signer(leader, document.agency)
    body = main_file(document)
    signed_row = None
    if signer is not None:
        if body is None or body.content_type != files.PDF_TYPE:
            raise DomainError("signing_needs_pdf", "Chỉ ký số được văn bản PDF: hãy trả lại để người soạn thảo tải "
                                                   "lên bản PDF.")
        from tinhso.signing.services import sign_pdf

        signed = sign_pdf(_read(body), signer=signer, kind="personal", signing_time=_now(),
                          reason="Ký ban hành văn bản", location=document.agency.name,
                          number_fields=True)  # where issue writes the number and date (signing.numbering)
        stem = body.name.rsplit(".", 1)[0]
        signed_row = _store(document, files.from_bytes(signed, f"{stem}.signed.pdf", files.PDF_TYPE),
                            DocumentFile.Kind.SIGNED, leader)
        document.digitally_signed = True
    elif _digital_signature_required():
        raise DomainError("signing_identity_missing", "Bạn chưa có chứng thư số để ký văn bản điện tử; liên hệ quản "
                                                      "trị hệ thống.")
    document.signer_name = (getattr(signer, "display_name", "") or leader.full_name or str(leader))[:100]
    document.signer_position = (_leader_title(leader, document.agency) or getattr(signer, "title", ""))[:100]
    previous = _set_status(document, Status.SIGNED, "digitally_signed", "signer_name", "signer_position")
    _event(document, "signed", leader, role=role, from_status=previous, note=note.strip(),
           data={"digital": signed_row is not None, "file": signed_row.pk if signed_row else None})
    return document


@transaction.atomic
def issue(clerk: User, document: Document, *, seal_signer=None) -> Document:
    """Issue (phát hành): the system gives the number of the year's register and builds the notation; the issue date
    is today. Into a digitally signed PDF it writes "Số: <notation>" and "<place>, ngày … tháng … năm …" (the fields
    the personal signature left for them, ``signing.numbering``), then the agency's seal signature when the agency
    has one. A document is issued once: again gives ``already_issued`` with its number (never a second one)."""
    document = _lock(document)
    _require_direction(document, Direction.OUTGOING)
    role = _require_clerk(clerk, document.agency)
    if document.status == Status.ISSUED:
        raise Conflict("already_issued", f"Văn bản đã được phát hành, số {document.notation}"
                                         f"{f' ngày {document.issued_date:%d/%m/%Y}' if document.issued_date else ''}"
                                         ": không cấp số lần nữa.")
    _require_status(document, Status.SIGNED, action="phát hành văn bản")
    now = _now()
    registry = registry_for(document.agency, year=timezone.localtime(now).year, direction=Direction.OUTGOING,
                            secret=document.secrecy > Secrecy.NONE, document_type=document.document_type)
    number = next_number(registry)
    document.registry, document.number = registry, number
    document.notation = build_notation(number, document.document_type, document.agency, document.unit)
    document.issued_date, document.issued_at = timezone.localtime(now).date(), now
    number_in_pdf = False
    if document.digitally_signed:
        seal_signer = seal_signer or agency_signer(document.agency)
        body = main_file(document)
        if body is not None and body.content_type == files.PDF_TYPE:
            from tinhso.signing.services import document_place_name, sign_pdf, write_document_number

            original = _read(body)
            # None when signed without the number fields (before they existed): the seal goes on as it is
            numbered = write_document_number(original, notation=document.notation, issued_on=document.issued_date,
                                             place=document_place_name(document.agency))
            number_in_pdf = numbered is not None
            final = numbered or original
            if seal_signer is not None:
                final = sign_pdf(final, signer=seal_signer, kind="agency", signing_time=now,
                                 reason=f"Phát hành văn bản {document.notation}", location=document.agency.name)
            if final is not original:
                _store(document, files.from_bytes(final, body.name, files.PDF_TYPE), DocumentFile.Kind.SIGNED, clerk)
    previous = _set_status(document, Status.ISSUED, "registry", "number", "notation", "issued_date", "issued_at")
    refresh_search_text(document)
    _event(document, "issued", clerk, role=role, from_status=previous,
           data={"number": number, "notation": document.notation, "registry": registry.pk,
                 "number_in_pdf": number_in_pdf})
    return document


@dataclass(frozen=True)
class ExternalRecipient:
    """An agency outside this platform, by its QĐ 20/2020 identifier and name."""

    code: str
    name: str


def _deliver_on_platform(clerk: User, document: Document, recipient: Agency, at: datetime) -> Delivery:
    if not recipient.is_active:
        raise DomainError("recipient_inactive", f"{recipient.name} không còn hoạt động.", field="recipients")
    incoming = Document.objects.create(
        direction=Direction.INCOMING, status=Status.TO_REGISTER, agency=recipient, source=document,
        document_type=document.document_type, number=document.number, notation=document.notation,
        received_at=at, subject=document.subject, sender_name=document.agency.name, sender_code=document.agency.code,
        sender_agency=document.agency, issued_date=document.issued_date, urgency=document.urgency,
        secrecy=document.secrecy, signer_name=document.signer_name, signer_position=document.signer_position,
        digitally_signed=document.digitally_signed, copies=1, created_at=at,
    )
    main = main_file(document)
    to_copy = [main] if main is not None else []
    to_copy += list(document.files.filter(kind=DocumentFile.Kind.ATTACHMENT))
    for row in to_copy:
        stored = files.StoredContent(name=row.name, content_type=row.content_type, size=row.size, sha256=row.sha256,
                                     content=_read(row), text=row.text)
        _store(incoming, stored, DocumentFile.Kind.BODY if row is main else DocumentFile.Kind.ATTACHMENT, None)
    refresh_search_text(incoming)
    _event(incoming, "received", clerk, role=Role.CLERK, agency=document.agency,
           data={"source": document.pk, "notation": document.notation})
    return Delivery(document=document, channel=Delivery.Channel.PLATFORM, state=Delivery.State.DELIVERED,
                    recipient_agency=recipient, recipient_code=recipient.code, recipient_name=recipient.name,
                    incoming=incoming, delivered_at=at, delivered_by=clerk)


def edxml_package(document: Document, recipients: list[ExternalRecipient], at: datetime) -> bytes:
    """The edXML (QCVN 102:2016) package of an issued document for outside recipients."""
    from tinhso.exchange import edxml

    agency = document.agency
    main = main_file(document)
    rows = ([main] if main is not None else []) + list(document.files.filter(kind=DocumentFile.Kind.ATTACHMENT))
    attachments = tuple(edxml.Attachment(name=row.name, content_type=row.content_type, content_id=f"tep-{i}",
                                         data=_read(row), description=row.get_kind_display())
                        for i, row in enumerate(rows, 1))
    place = agency.unit.province.name if agency.unit_id else ""
    message = edxml.DocumentMessage(
        sender=edxml.Organization(organ_id=agency.code, organ_name=agency.name, organ_add=agency.address,
                                  email=agency.email, telephone=agency.phone, website=agency.website),
        recipients=tuple(edxml.Organization(organ_id=r.code, organ_name=r.name) for r in recipients),
        document_id=edxml.document_id(agency.code, document.issued_date, document.number, document.code_notation),
        code=edxml.Code(number=format_number(document.number), notation=document.code_notation),
        promulgation=edxml.PromulgationInfo(date=document.issued_date, place=place),
        subject=document.subject,
        document_type=edxml.DocumentType(type_name=document.type_name or "Công văn"),
        signer=edxml.SignerInfo(position=document.signer_position, full_name=document.signer_name),
        due_date=document.due_date,
        to_places=tuple(r.name for r in recipients),
        other_info=edxml.OtherInfo(priority=str(document.urgency), promulgation_amount=document.copies),
        trace=(edxml.TraceHeader(organ_id=agency.code, timestamp=at),),
        attachments=attachments,
    )
    return edxml.build_document(message)


@transaction.atomic
def deliver(clerk: User, document: Document, recipients: Iterable[Agency | ExternalRecipient]) -> list[Delivery]:
    """Send an issued document to its recipients (nơi nhận). Agencies on this platform find it at once among their
    incoming documents, "chờ vào sổ" until their clerk confirms; outside agencies get one edXML package, stored with
    the document until the exchange sends it. Secret documents are never sent electronically."""
    document = _lock(document)
    _require_direction(document, Direction.OUTGOING)
    role = _require_clerk(clerk, document.agency)
    _require_status(document, Status.ISSUED, action="gửi văn bản")
    if document.secrecy > Secrecy.NONE:
        raise DomainError("secret_not_electronic", "Văn bản mật không được gửi qua hệ thống; chuyển bằng đường "
                                                   "công văn mật theo quy định bảo vệ bí mật nhà nước.")
    recipients = list(recipients)
    if not recipients:
        raise DomainError("recipients_required", "Hãy chọn ít nhất một nơi nhận.", field="recipients")
    done = {(d.recipient_agency_id, d.recipient_code) for d in document.deliveries.all()}
    internal: list[Agency] = []
    external: list[ExternalRecipient] = []
    codes = set()
    for recipient in recipients:
        if isinstance(recipient, ExternalRecipient):
            on_platform = Agency.objects.filter(code=recipient.code.strip()).first()
            if on_platform is not None:
                recipient = on_platform
        if isinstance(recipient, Agency):
            if recipient.pk == document.agency_id:
                raise DomainError("recipient_self", "Không gửi văn bản cho chính cơ quan ban hành.",
                                  field="recipients")
            key = recipient.code
        else:
            from tinhso.exchange.edxml import ORGAN_ID_RE

            recipient = ExternalRecipient(code=recipient.code.strip(), name=" ".join(recipient.name.split()))
            if not ORGAN_ID_RE.match(recipient.code) or not recipient.name:
                raise DomainError("recipient_invalid", f"Nơi nhận “{recipient.code} {recipient.name}”: cần mã định "
                                                       "danh dạng 000.00.00.H37 và tên cơ quan.", field="recipients")
            key = recipient.code
        if key in codes or any(code == key for _pk, code in done):
            raise DomainError("already_delivered", f"Văn bản đã gửi hoặc đã chọn {recipient.name} rồi.",
                              field="recipients")
        codes.add(key)
        (internal if isinstance(recipient, Agency) else external).append(recipient)
    at = _now()
    deliveries = [_deliver_on_platform(clerk, document, agency, at) for agency in internal]
    if external:
        package = edxml_package(document, external, at)
        stored = files.from_bytes(package, f"{document.notation.replace('/', '-')}.edxml", "application/xml")
        row = _store(document, stored, DocumentFile.Kind.EDXML, clerk)
        deliveries += [Delivery(document=document, channel=Delivery.Channel.EDXML, state=Delivery.State.PACKAGED,
                                recipient_code=r.code, recipient_name=r.name, package=row, delivered_at=at,
                                delivered_by=clerk) for r in external]
    Delivery.objects.bulk_create(deliveries)
    _event(document, "delivered", clerk, role=role, data={
        "platform": [a.name for a in internal], "edxml": [f"{r.code} {r.name}" for r in external]})
    return deliveries


# --- the exchange (liên thông, QCVN 102:2016): entry points for tinhso.exchange ----------------------------------

def receive_from_exchange(agency: Agency, fields: IncomingFields, attachments: Iterable[tuple[str, str, bytes]] = (),
                          *, data: dict | None = None) -> Document:
    """A document that arrived from another platform (an edXML package): it waits in ``agency``'s incoming box,
    "chờ vào sổ", until the clerk registers it (status 03) or returns it (02), like a delivery on the platform.
    ``attachments`` are (name, content type, content); the first is the body. Call inside the exchange's
    transaction (the package is stored in its inbox in the same one)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("receive_from_exchange must run inside the transaction that stores the package")
    _check_incoming(fields)
    now = _now()
    number = fields.number if fields.number is not None else _number_from_notation(fields.notation)
    code = fields.sender_code.strip()
    document = Document.objects.create(
        direction=Direction.INCOMING, status=Status.TO_REGISTER, agency=agency, document_type=fields.document_type,
        number=number, notation=fields.notation.strip(), received_at=fields.received_at or now,
        subject=fields.subject.strip(), sender_name=fields.sender_name.strip(), sender_code=code,
        sender_agency=Agency.objects.filter(code=code).first() if code else None, issued_date=fields.issued_date,
        urgency=fields.urgency, secrecy=fields.secrecy, signer_name=fields.signer_name.strip()[:100],
        signer_position=fields.signer_position.strip()[:100], due_date=fields.due_date,
        copies=max(1, fields.copies or 1), note=fields.note.strip()[:500], created_at=now,
    )
    for index, (name, content_type, content) in enumerate(attachments):
        stored = files.from_bytes(content, files.display_name(name), content_type or "application/octet-stream")
        _store(document, stored, DocumentFile.Kind.BODY if index == 0 else DocumentFile.Kind.ATTACHMENT, None)
    refresh_search_text(document)
    _event(document, "received_exchange", None, agency=agency, data=data or {})
    return document


def change_from_exchange(document: Document, kind: str, reason: str, *, fields: IncomingFields | None = None,
                         attachments: Iterable[tuple[str, str, bytes]] = (), data: dict | None = None) -> str:
    """The sender recalls (``kind`` "recall"), replaces ("replace") or updates ("update") a document it sent
    through the exchange. Returns "" when applied, else the reason it is refused (the sender gets status 16).

    Recall and replacement take the document out of the incoming box ("trả lại nơi gửi"); one already dealt with
    (closed) is not taken back. An update changes the metadata that differ and adds the files not yet there; the
    previous values stay in the history. Nothing is deleted."""
    document = _lock(document)
    _require_direction(document, Direction.INCOMING)
    if document.status == Status.CLOSED:
        return "Văn bản đã được giải quyết xong, không thể thu hồi hoặc cập nhật."
    if document.status == Status.RETURNED:
        return "" if kind in ("recall", "replace") else "Văn bản đã được trả lại hoặc thu hồi."
    if kind in ("recall", "replace"):
        document.closed_at = _now()
        previous = _set_status(document, Status.RETURNED, "closed_at")
        _event(document, "recalled_exchange" if kind == "recall" else "replaced_exchange", None,
               from_status=previous, note=reason.strip(), data=data or {})
        return ""
    if kind != "update":
        raise ValueError(kind)
    changes: dict[str, list] = {}
    if fields is not None:
        _check_incoming(fields)
        for name in ("subject", "notation", "issued_date", "due_date", "urgency", "signer_name", "signer_position"):
            new = getattr(fields, name)
            new = new.strip() if isinstance(new, str) else new
            old = getattr(document, name)
            if new != old and new not in ("", None):
                changes[name] = [str(old) if old is not None else "", str(new)]
                setattr(document, name, new)
        if changes:
            document.save(update_fields=list(changes))
    known = set(document.files.values_list("sha256", flat=True))
    added = []
    for name, content_type, content in attachments:
        stored = files.from_bytes(content, files.display_name(name), content_type or "application/octet-stream")
        if stored.sha256 not in known:
            known.add(stored.sha256)
            added.append(_store(document, stored, DocumentFile.Kind.ATTACHMENT, None).name)
    refresh_search_text(document)
    _event(document, "updated_exchange", None, from_status=document.status, note=reason.strip(),
           data={**(data or {}), "changes": changes, "files_added": added})
    return ""


def note_event(document: Document, action: str, actor: User | None, *, note: str = "",
               data: dict | None = None) -> DocumentEvent:
    """Record in a document's history something another app did with it (the exchange recalled or updated an
    outgoing document at its recipients); the status does not change."""
    document = _lock(document)
    return _event(document, action, actor, from_status=document.status, note=note, data=data)
