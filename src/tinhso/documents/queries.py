"""Reads of documents for the pages (and later the API), always scoped by the caller (``access.visible_filter``):
a user sees only the documents of the agencies in their scope, those assigned to them or their units, and what they
wrote. Lists run a fixed number of SQL queries (``select_related``), whatever their length.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connections
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from tinhso.core import permissions
from tinhso.core.errors import NotFound
from tinhso.core.models import Agency, Membership, Role, User
from tinhso.core.text import search_terms
from tinhso.core.workcalendar import TZ

from . import access
from .models import (
    OPEN_INCOMING,
    Assignment,
    Direction,
    Document,
    DocumentEvent,
    DocumentFile,
    DocumentType,
    Registry,
    Sector,
    Status,
)

LIST_LIMIT = 200
_RELATED = ("agency", "unit", "document_type", "registry", "created_by")


def visible_documents(user: User) -> QuerySet[Document]:
    return Document.objects.filter(access.visible_filter(user)).select_related(*_RELATED)


def _search(qs: QuerySet[Document], q: str) -> QuerySet[Document]:
    """Every word of ``q``, without diacritics or case, in the number/notation, subject, sender or files' text."""
    for term in list(dict.fromkeys(search_terms(q)))[:10]:  # a word typed twice is one condition
        qs = qs.filter(search_text__contains=term)
    return qs


#: A caller whose scope has at most this many agencies is searched agency by agency (see ``search``).
SEARCH_AGENCIES_APART = 8


def search(user: User, q: str, *, limit: int = LIST_LIMIT, direction: str | None = None,
           document_type: int | None = None, sector: int | None = None, since: date | None = None,
           until: date | None = None) -> list[Document]:
    """The documents ``user`` may see whose text holds every word of ``q``, newest first; optionally only one
    direction, type or sector, or those created between two days (Vietnam time, both included).

    With a million documents, one query "visible and matching, newest first" leaves PostgreSQL two bad plans for
    common words (read every match, or walk the whole table backwards). So the newest ``limit`` matches are asked
    of each agency of the caller's scope separately (its documents newest first: index ``document_agency_created``,
    or the trigram index for rare words), and of the other documents the caller sees (assigned, drafted in their
    units), in one UNION ALL of small queries; the newest ``limit`` of those are the answer."""
    if not search_terms(q):
        return []
    base = _search(Document.objects.all(), q)
    if direction:
        base = base.filter(direction=direction)
    if document_type:
        base = base.filter(document_type_id=document_type)
    if sector:
        base = base.filter(sector_id=sector)
    if since:
        base = base.filter(created_at__gte=datetime.combine(since, time.min, tzinfo=TZ))
    if until:
        base = base.filter(created_at__lt=datetime.combine(until + timedelta(days=1), time.min, tzinfo=TZ))
    newest = ("-created_at", "-id")
    agencies, extra = access.visible_parts(user)
    if agencies is None:
        ids = list(base.order_by(*newest).values_list("pk", flat=True)[:limit])
    elif len(agencies) > SEARCH_AGENCIES_APART:
        ids = list(base.filter(access.visible_filter(user)).order_by(*newest).values_list("pk", flat=True)[:limit])
    else:
        parts = [base.filter(agency_id=pk).order_by(*newest).values_list("pk", "created_at")[:limit]
                 for pk in sorted(agencies)]
        parts.append(base.filter(extra).exclude(agency_id__in=agencies).order_by(*newest)
                     .values_list("pk", "created_at")[:limit])
        if connections[base.db].features.supports_slicing_ordering_in_compound:  # PostgreSQL: one statement
            found = list(parts[0].union(*parts[1:], all=True))
        else:  # SQLite: no LIMIT inside a UNION, one query per part
            found = [row for part in parts for row in part]
        ids = [pk for pk, _at in sorted(found, key=lambda row: (row[1], row[0]), reverse=True)[:limit]]
    rows = (Document.objects.filter(pk__in=ids).select_related(*_RELATED)
            .prefetch_related("assignments__agency", "assignments__user", "assignments__handler"))
    return sorted(rows, key=lambda d: (d.created_at, d.pk), reverse=True)


def _tracking_order(qs: QuerySet[Document], today: date) -> QuerySet[Document]:
    """Overdue first, then the most urgent, then the nearest deadline, then the oldest arrival."""
    overdue = Case(When(due_date__lt=today, status__in=OPEN_INCOMING, then=Value(1)), default=Value(0),
                   output_field=IntegerField())
    return qs.annotate(overdue=overdue).order_by(
        "-overdue", "-urgency", F("due_date").asc(nulls_last=True), "received_at", "id")


@dataclass
class Box:
    slug: str
    label: str
    count: int = 0


BOXES = [
    ("den", "Văn bản đến đang giải quyết"),
    ("cho-vao-so", "Chờ vào sổ"),
    ("di", "Văn bản đi"),
    ("da-xong", "Đã giải quyết, đã phát hành"),
]


def _box_queryset(user: User, slug: str) -> QuerySet[Document]:
    qs = visible_documents(user)
    if slug == "cho-vao-so":
        qs = qs.filter(direction=Direction.INCOMING, status=Status.TO_REGISTER)
        return qs if user.is_superuser else qs.filter(agency_id__in=access.clerk_agencies(user))
    if slug == "di":
        return qs.filter(direction=Direction.OUTGOING).exclude(status=Status.ISSUED)
    if slug == "da-xong":
        return qs.filter(Q(direction=Direction.OUTGOING, status=Status.ISSUED)
                         | Q(direction=Direction.INCOMING, status__in=[Status.CLOSED, Status.RETURNED]))
    return qs.filter(direction=Direction.INCOMING, status__in=[*OPEN_INCOMING, Status.ANSWERED])


def boxes(user: User) -> list[Box]:
    return [Box(slug, label, _box_queryset(user, slug).count()) for slug, label in BOXES]


def box_documents(user: User, slug: str, *, q: str = "", today: date | None = None) -> list[Document]:
    today = today or timezone.localdate()
    qs = _search(_box_queryset(user, slug), q)
    if slug in ("den", "cho-vao-so"):
        qs = _tracking_order(qs, today)
    else:
        qs = qs.order_by("-created_at", "-id")
    rows = list(qs.prefetch_related("assignments__agency", "assignments__user", "assignments__handler")
                [:LIST_LIMIT])
    for row in rows:
        row.overdue_flag = row.is_overdue(today)
    return rows


def document_for(user: User, pk: int) -> Document:
    document = visible_documents(user).filter(pk=pk).select_related(
        "reply_to", "source", "sender_agency", "sector").first()
    if document is None:
        raise NotFound("document_not_found", "Không tìm thấy văn bản, hoặc bạn không có quyền xem văn bản này.")
    return document


def file_for(user: User, document_pk: int, file_pk: int) -> DocumentFile:
    document = document_for(user, document_pk)
    row = DocumentFile.objects.filter(document=document, pk=file_pk).first()
    if row is None:
        raise NotFound("file_not_found", "Không tìm thấy tệp.")
    return row


def history(document: Document) -> list[DocumentEvent]:
    return list(document.events.select_related("agency").all())


def assignments(document: Document) -> list[Assignment]:
    return list(document.assignments.select_related("agency", "user", "handler").all())


# --- what the user may do -----------------------------------------------------------------------------------------

def _has(user: User, roles, agency: Agency | None) -> bool:
    return agency is not None and permissions.has_role(user, roles, agency)


def allowed_actions(user: User, document: Document) -> set[str]:
    """The actions the document page offers ``user`` (the services check again when they run)."""
    actions: set[str] = set()
    status = document.status
    clerk = access.is_clerk_for(user, document.agency)
    leader = _has(user, [Role.AGENCY_LEADER], document.agency)
    if document.is_incoming:
        lead = next((a for a in document.assignments.all() if a.role == Assignment.Role.LEAD), None)
        head = lead is not None and lead.agency is not None and _has(user, [Role.DEPARTMENT_HEAD], lead.agency)
        handler = leader or head or (lead is not None and user.pk in (lead.handler_id, lead.user_id)) or (
            lead is not None and lead.agency is not None and _has(user, [Role.SPECIALIST], lead.agency))
        if clerk and status == Status.TO_REGISTER:
            actions |= {"confirm", "return"}
        if clerk and status in (Status.TO_REGISTER, Status.REGISTERED, Status.ASSIGNED, Status.IN_PROGRESS):
            actions.add("add_file")
        if leader and status in (Status.REGISTERED, Status.ASSIGNED):
            actions.add("assign")
        if (head or leader) and lead is not None and lead.agency is not None and status in (
                Status.ASSIGNED, Status.IN_PROGRESS):
            actions.add("forward")
        if handler and status in (Status.ASSIGNED, Status.IN_PROGRESS, Status.ANSWERED):
            actions |= {"answer", "reply"}
        if handler and status in (Status.REGISTERED, Status.ASSIGNED, Status.IN_PROGRESS, Status.ANSWERED):
            if status != Status.REGISTERED or leader:
                actions.add("close")
        return actions
    author = document.created_by_id == user.pk or _has(
        user, [Role.SPECIALIST, Role.DEPARTMENT_HEAD, Role.AGENCY_LEADER], document.unit)
    approver = leader or _has(user, [Role.DEPARTMENT_HEAD], document.unit)
    if author and status == Status.DRAFT:
        actions |= {"add_file", "submit"}
    if approver and status == Status.PENDING_APPROVAL:
        actions |= {"approve", "send_back"}
    if approver and status == Status.APPROVED:
        actions.add("send_back")
    if leader and status == Status.APPROVED:
        actions.add("sign")
    if clerk and status == Status.SIGNED:
        actions.add("issue")
    if clerk and status == Status.ISSUED:
        actions.add("deliver")
    return actions


# --- choices for the forms ----------------------------------------------------------------------------------------

def document_types(*, outgoing: bool = False) -> QuerySet[DocumentType]:
    """Active types; for an outgoing document not the legal normative ones (received, never issued here)."""
    qs = DocumentType.objects.filter(is_active=True)
    if outgoing:
        qs = qs.exclude(kind=DocumentType.Kind.LEGAL)
    return qs.order_by("order", "name")


def sectors() -> QuerySet[Sector]:
    return Sector.objects.filter(is_active=True).order_by("order", "name")


def sector_by_pk(pk: int) -> Sector | None:
    return Sector.objects.filter(pk=pk, is_active=True).first()


def clerk_agency_choices(user: User) -> list[Agency]:
    ids = set(Agency.objects.values_list("pk", flat=True)) if user.is_superuser else access.clerk_agencies(user)
    return list(Agency.objects.filter(pk__in=ids, is_active=True).order_by("code"))


def issuing_agency(unit: Agency) -> Agency:
    """The agency that issues documents drafted in ``unit``: the unit itself unless it is a division of a
    department (phòng thuộc sở), which drafts for its department."""
    agency = unit
    while agency.kind == Agency.Kind.DIVISION and agency.parent_id:
        agency = agency.parent
    return agency


def drafting_choices(user: User) -> list[tuple[Agency, Agency]]:
    """(issuing agency, drafting unit) pairs where ``user`` may draft an outgoing document."""
    pairs = {}
    rows = (permissions.memberships(user, [Role.SPECIALIST, Role.DEPARTMENT_HEAD, Role.AGENCY_LEADER])
            .select_related("agency", "agency__parent").order_by("agency__code"))
    for membership in rows:
        unit = membership.agency
        agency = issuing_agency(unit)
        pairs[(agency.pk, unit.pk)] = (agency, unit)
    return list(pairs.values())


def assign_choices(document: Document) -> tuple[list[Agency], list[User]]:
    """Units and people of the document's agency that may be given a part in handling it."""
    ids = permissions.descendants([document.agency_id])
    units = list(Agency.objects.filter(pk__in=ids, is_active=True).exclude(pk=document.agency_id).order_by("code"))
    people = list(User.objects.filter(memberships__agency_id__in=ids, memberships__is_active=True,
                                      kind=User.Kind.STAFF, is_active=True)
                  .exclude(memberships__role=Role.CLERK, memberships__agency_id=document.agency_id)
                  .distinct().order_by("full_name", "username"))
    return units, people


def specialist_choices(document: Document) -> list[User]:
    lead = document.assignments.filter(role=Assignment.Role.LEAD).select_related("agency").first()
    if lead is None or lead.agency is None:
        return []
    ids = permissions.descendants([lead.agency_id])
    return list(User.objects.filter(memberships__agency_id__in=ids, memberships__is_active=True,
                                    memberships__role__in=[Role.SPECIALIST, Role.DEPARTMENT_HEAD], is_active=True)
                .distinct().order_by("full_name", "username"))


def answer_choices(user: User, document: Document) -> list[Document]:
    """Outgoing documents of the same agency that could be recorded as the answer."""
    return list(visible_documents(user).filter(direction=Direction.OUTGOING, agency_id=document.agency_id)
                .filter(Q(reply_to__isnull=True) | Q(reply_to=document)).order_by("-created_at")[:50])


def recipient_choices(document: Document) -> list[Agency]:
    excluded = [document.agency_id, *document.deliveries.exclude(recipient_agency=None)
                .values_list("recipient_agency_id", flat=True)]
    return list(Agency.objects.filter(is_active=True).exclude(pk__in=excluded)
                .exclude(kind__in=Agency.ONE_STOP_KINDS).order_by("code"))


def agency_by_pk(pk: int) -> Agency | None:
    return Agency.objects.filter(pk=pk, is_active=True).first()


def staff_by_pk(pk: int) -> User | None:
    return User.objects.filter(pk=pk, kind=User.Kind.STAFF, is_active=True).first()


def document_type_by_pk(pk: int) -> DocumentType | None:
    return DocumentType.objects.filter(pk=pk, is_active=True).first()


def membership_title(user: User, agency: Agency) -> str:
    row = Membership.objects.filter(user=user, agency=agency, is_active=True).exclude(title="").first()
    return row.title if row else ""


# --- registers (sổ đăng ký) ---------------------------------------------------------------------------------------

def register_agencies(user: User) -> list[Agency]:
    """Agencies whose registers ``user`` may read: where they hold any role, or keep the registers as clerk."""
    if user.is_superuser:
        ids = set(Agency.objects.values_list("pk", flat=True))
    else:
        ids = permissions.agency_scope(user) | access.clerk_agencies(user)
    return list(Agency.objects.filter(pk__in=ids, registries__isnull=False).distinct().order_by("code"))


def registers(agency: Agency, year: int) -> list[Registry]:
    return list(Registry.objects.filter(agency=agency, year=year).select_related("document_type", "agency"))


def outgoing_register(user: User, agency: Agency, year: int, *, secret: bool = False) -> list[Document]:
    """Sổ đăng ký văn bản đi (Phụ lục IV): the issued documents of the year, in number order per register."""
    if agency.pk not in {a.pk for a in register_agencies(user)}:
        return []
    return list(Document.objects.filter(direction=Direction.OUTGOING, agency=agency, registry__year=year,
                                        registry__secret=secret, number__isnull=False)
                .select_related("document_type", "registry", "unit")
                .prefetch_related("deliveries").order_by("registry__document_type_id", "number"))


def incoming_register(user: User, agency: Agency, year: int, *, secret: bool = False) -> list[Document]:
    """Sổ đăng ký văn bản đến: the registered documents of the year, in arrival-number order."""
    if agency.pk not in {a.pk for a in register_agencies(user)}:
        return []
    return list(Document.objects.filter(direction=Direction.INCOMING, agency=agency, registry__year=year,
                                        registry__secret=secret, arrival_number__isnull=False)
                .select_related("document_type", "registry")
                .prefetch_related("assignments__agency", "assignments__user", "assignments__handler")
                .order_by("arrival_number"))
