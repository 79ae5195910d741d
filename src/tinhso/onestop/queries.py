"""Reads for staff (pages and the staff API): which dossiers a person sees, the work boxes, one dossier's page, the
tracking book (form 07), and which actions the page offers.

Visibility: a staff member sees the submitted dossiers received by, handled by, with a step at, or asking the opinion
of an agency in their ``agency_scope``; a superuser sees all; applicants see none here (their reads live elsewhere).

Every list read runs a fixed number of SQL queries whatever the page size: rows come with ``select_related``; the
countdown is computed in Python from ``due_at`` with one working calendar per agency, cached for the request (on the
user object, which Django builds anew for every request).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tinhso.catalog.models import Channel, Procedure
from tinhso.core import permissions
from tinhso.core.calendars import calendar_for
from tinhso.core.models import Agency, Membership, Role, User
from tinhso.core.text import fold, search_terms
from tinhso.core.workcalendar import Remaining, WorkCalendar

from . import clock
from .models import (
    ACTIVE_STATUSES,
    RUNNING_STATUSES,
    Attachment,
    Consultation,
    Dossier,
    DossierEvent,
    DossierItem,
    DossierStep,
    Pause,
    PersonalDocument,
    Status,
    SupplementRequest,
)

HEAD_ROLES = (Role.DEPARTMENT_HEAD, Role.AGENCY_LEADER)
#: The rules' default warning window when a dossier's snapshot has none (``OneStopRules.due_soon_hours``).
DEFAULT_DUE_SOON_HOURS = 8
PAGE_SIZE = 20
BOOK_PAGE_SIZE = 50

#: The work boxes, in tab order: (slug, label).
BOXES = (
    ("tiep-nhan", _("Chờ tiếp nhận")),
    ("xu-ly", _("Cần xử lý")),
    ("sap-den-han", _("Sắp đến hạn")),
    ("qua-han", _("Quá hạn")),
    ("tra-ket-qua", _("Chờ trả kết quả")),
    ("bo-sung", _("Chờ bổ sung")),
    ("tat-ca", _("Tất cả")),
)
BOX_SLUGS = tuple(slug for slug, _label in BOXES)

#: Row order of each box: the oldest waiting or the most urgent first.
BOX_ORDER = {
    "tiep-nhan": ("submitted_at", "id"),
    "xu-ly": ("due_at", "id"),
    "sap-den-han": ("due_at", "id"),
    "qua-han": ("due_at", "id"),
    "tra-ket-qua": ("finished_at", "id"),
    "bo-sung": ("-submitted_at", "-id"),
    "tat-ca": ("-created_at", "-id"),
}

LIST_RELATED = (
    "procedure_version__procedure", "channel", "receiving_agency", "handling_agency", "current_step__agency",
    "current_step__assignee",
)


# --- the person's scope, cached for the request -------------------------------------------------------------------

class StaffContext:
    """What a request needs to know about its user, computed once: agency scopes by role, calendars by agency."""

    def __init__(self, user):
        self.user = user
        self.is_superuser = bool(getattr(user, "is_superuser", False))
        self.is_staff_member = bool(getattr(user, "is_authenticated", False)) and (
            self.is_superuser or getattr(user, "kind", None) == User.Kind.STAFF)
        self.by_role: dict[str, set[int]] = {}
        self.scope: set[int] = set()
        if self.is_superuser:
            self.scope = set(Agency.objects.values_list("pk", flat=True))
            self.by_role = {role: self.scope for role in Role.values}
        elif self.is_staff_member:
            held: dict[str, list[int]] = {}
            for agency_id, role in permissions.memberships(user).values_list("agency_id", "role"):
                held.setdefault(role, []).append(agency_id)
            self.by_role = {role: permissions.descendants(ids) for role, ids in held.items()}
            self.scope = set().union(*self.by_role.values()) if self.by_role else set()
        self._calendars: dict[int, WorkCalendar] = {}
        self._agencies: dict[int, Agency] = {}

    def has(self, roles, agency_id: int | None) -> bool:
        """``permissions.has_role`` for ``agency_id``, without a query."""
        if agency_id is None:
            return False
        if self.is_superuser:
            return True
        return any(agency_id in self.by_role.get(role, ()) for role in roles)

    def first_role(self, roles, agency_id: int) -> str | None:
        """Like the service layer's role lookup: the first of ``roles`` held for ``agency_id``."""
        return next((role for role in roles if self.has([role], agency_id)), None)

    def ids(self, *roles: str) -> set[int]:
        result: set[int] = set()
        for role in roles:
            result |= self.by_role.get(role, set())
        return result

    def calendar(self, agency: Agency) -> WorkCalendar:
        if agency.pk not in self._calendars:
            self._calendars[agency.pk] = calendar_for(agency)
        return self._calendars[agency.pk]

    def calendar_by_id(self, agency_id: int) -> WorkCalendar:
        if agency_id not in self._calendars:
            agency = self._agencies.get(agency_id) or Agency.objects.get(pk=agency_id)
            self._calendars[agency_id] = calendar_for(agency)
        return self._calendars[agency_id]


def staff_context(user) -> StaffContext:
    ctx = getattr(user, "_onestop_staff_context", None)
    if ctx is None:
        ctx = StaffContext(user)
        try:
            user._onestop_staff_context = ctx
        except AttributeError:  # AnonymousUser and the like
            pass
    return ctx


def is_staff_member(user) -> bool:
    return staff_context(user).is_staff_member


# --- visibility ---------------------------------------------------------------------------------------------------

def visible_dossiers(user) -> QuerySet[Dossier]:
    """The submitted dossiers this staff member may see (none for applicants and anonymous users)."""
    ctx = staff_context(user)
    qs = Dossier.objects.filter(is_draft=False)
    if ctx.is_superuser:
        return qs
    if not ctx.is_staff_member or not ctx.scope:
        return qs.none()
    ids = ctx.scope
    return qs.filter(
        Q(receiving_agency_id__in=ids) | Q(handling_agency_id__in=ids)
        | Exists(DossierStep.objects.filter(dossier=OuterRef("pk"), agency_id__in=ids))
        | Exists(Consultation.objects.filter(dossier=OuterRef("pk"), agency_id__in=ids))
    )


def work_dossiers(user) -> QuerySet[Dossier]:
    """The dossiers still being worked on that this staff member's agencies answer for now: received or handled by
    them, or waiting at a step or an open consultation of theirs. Every work box but "Tất cả" draws from these.

    A subset of ``visible_dossiers`` (an agency that only took part in an earlier step still sees the dossier under
    "Tất cả"), written so that the database reaches it through indexes: the agency columns, the partial index of the
    active statuses, and the current step among the agencies' open steps (a short list) rather than a subquery per
    row over the agencies' whole history."""
    ctx = staff_context(user)
    qs = Dossier.objects.filter(is_draft=False, status__in=ACTIVE_STATUSES)
    if ctx.is_superuser:
        return qs
    if not ctx.is_staff_member or not ctx.scope:
        return qs.none()
    ids = ctx.scope
    open_steps = list(DossierStep.objects.filter(agency_id__in=ids, finished_at__isnull=True)
                      .values_list("pk", flat=True))
    consulted = list(Consultation.objects.filter(agency_id__in=ids, answered_at__isnull=True)
                     .values_list("dossier_id", flat=True))
    return qs.filter(Q(receiving_agency_id__in=ids) | Q(handling_agency_id__in=ids) | Q(current_step_id__in=open_steps)
                     | Q(pk__in=consulted))


# --- countdown ----------------------------------------------------------------------------------------------------

def _hours(rules: dict | None) -> int:
    value = (rules or {}).get("due_soon_hours")
    return int(value) if value is not None else DEFAULT_DUE_SOON_HOURS


class Deadlines:
    """The "due soon" threshold of each (handling agency, warning hours) pair at one instant."""

    def __init__(self, ctx: StaffContext, now: datetime):
        self.ctx, self.now = ctx, now
        self._thresholds: dict[tuple[int, int], datetime] = {}

    def threshold(self, agency: Agency | int, hours: int) -> datetime:
        agency_id = agency if isinstance(agency, int) else agency.pk
        key = (agency_id, hours)
        if key not in self._thresholds:
            cal = self.ctx.calendar_by_id(agency) if isinstance(agency, int) else self.ctx.calendar(agency)
            self._thresholds[key] = cal.add_office_time(self.now, timedelta(hours=hours))
        return self._thresholds[key]

    def due_soon_q(self, base: QuerySet[Dossier]) -> Q:
        """Running dossiers due within their rules' warning window of the handling agency's working time."""
        pairs = (base.filter(status__in=RUNNING_STATUSES, due_at__gte=self.now).order_by()
                 .values_list("handling_agency_id", "rules__due_soon_hours").distinct())
        pairs = list(pairs)
        missing = {agency_id for agency_id, _hours_value in pairs} - set(self.ctx._agencies)
        if missing:
            self.ctx._agencies.update(Agency.objects.in_bulk(missing))
        condition = Q(pk__in=[])
        for agency_id, hours in pairs:
            hours_q = Q(rules__due_soon_hours=hours) if hours is not None else Q(rules__due_soon_hours__isnull=True)
            condition |= Q(hours_q, handling_agency_id=agency_id,
                           due_at__lte=self.threshold(agency_id, _hours({"due_soon_hours": hours})))
        return Q(condition, status__in=RUNNING_STATUSES, due_at__gte=self.now)

    def state(self, dossier: Dossier) -> tuple[Remaining | None, str]:
        """The countdown and its urgency: ``overdue``, ``soon``, ``ok``, ``paused`` or ``""`` (no clock)."""
        if dossier.status in (Status.SUPPLEMENT, Status.FINANCIAL) and dossier.due_at is not None:
            return None, "paused"
        if dossier.status not in RUNNING_STATUSES:
            return None, ""
        self.ctx._agencies.setdefault(dossier.handling_agency_id, dossier.handling_agency)
        remaining = clock.remaining(dossier, self.now, self.ctx.calendar(dossier.handling_agency))
        if remaining is None:
            return None, ""
        if remaining.overdue:
            return remaining, "overdue"
        if dossier.due_at <= self.threshold(dossier.handling_agency, _hours(dossier.rules)):
            return remaining, "soon"
        return remaining, "ok"


# --- the boxes ----------------------------------------------------------------------------------------------------

def _box_q(ctx: StaffContext, box: str, deadlines: Deadlines, base: QuerySet[Dossier]) -> Q:
    now = deadlines.now
    if box == "tiep-nhan":
        return Q(status=Status.NEW, receiving_agency_id__in=ctx.ids(Role.RECEIVING_OFFICER)) if not \
            ctx.is_superuser else Q(status=Status.NEW)
    if box == "xu-ly":
        roles_q = Q(pk__in=[])
        for role in Role.values:
            if ctx.is_superuser:
                roles_q = Q()
                break
            if ctx.by_role.get(role):
                roles_q |= Q(current_step__role=role, current_step__agency_id__in=ctx.by_role[role])
        return Q(roles_q, Q(current_step__assignee=ctx.user) | Q(current_step__assignee__isnull=True),
                 status__in=RUNNING_STATUSES, current_step__finished_at__isnull=True)
    if box == "sap-den-han":
        return deadlines.due_soon_q(base)
    if box == "qua-han":
        return Q(status__in=RUNNING_STATUSES, due_at__lt=now)
    if box == "tra-ket-qua":
        return Q(status=Status.DONE, receiving_agency_id__in=ctx.ids(Role.RECEIVING_OFFICER)) if not \
            ctx.is_superuser else Q(status=Status.DONE)
    if box == "bo-sung":
        return Q(status=Status.SUPPLEMENT)
    if box == "tat-ca":
        return Q()
    raise ValueError(box)


def default_box(user) -> str:
    ctx = staff_context(user)
    return "tiep-nhan" if ctx.by_role.get(Role.RECEIVING_OFFICER) and not ctx.is_superuser else "xu-ly"


@dataclass
class InboxRow:
    dossier: Dossier
    remaining: Remaining | None
    state: str

    @property
    def countdown(self) -> str:
        return str(self.remaining) if self.remaining is not None else ""


@dataclass
class Inbox:
    box: str
    q: str
    page: Page
    rows: list[InboxRow]
    counts: dict[str, int]
    now: datetime
    tabs: list[tuple[str, str, int]] = field(default_factory=list)


def box_counts(user, *, now: datetime | None = None, deadlines: Deadlines | None = None,
               work: QuerySet[Dossier] | None = None) -> dict[str, int | None]:
    """The number of dossiers in every work box, in one aggregate query over the dossiers still being worked on (plus
    the due-soon thresholds). "Tất cả" is the whole history: it is not counted here (``None``) — ``inbox`` gives its
    count when that box is open — so the counts cost the same in December as in January. ``work``: the caller's
    ``work_dossiers(user)`` when it already has it."""
    ctx = staff_context(user)
    deadlines = deadlines or Deadlines(ctx, now or timezone.now())
    base = work_dossiers(user) if work is None else work
    slugs = [slug for slug in BOX_SLUGS if slug != "tat-ca"]
    totals = base.order_by().aggregate(**{
        slug.replace("-", "_"): Count("pk", filter=_box_q(ctx, slug, deadlines, base)) for slug in slugs
    })
    return {**{slug: totals[slug.replace("-", "_")] or 0 for slug in slugs}, "tat-ca": None}


def box_dossiers(user, box: str, *, deadlines: Deadlines, work: QuerySet[Dossier] | None = None) -> QuerySet[Dossier]:
    ctx = staff_context(user)
    if box == "tat-ca":
        base = visible_dossiers(user)
    else:
        base = work_dossiers(user) if work is None else work
    return base.filter(_box_q(ctx, box, deadlines, base)).order_by(*BOX_ORDER[box])


def _matches(terms: list[str], *texts: str) -> bool:
    haystack = fold(" ".join(t for t in texts if t))
    return all(term in haystack for term in terms)


def inbox(user, box: str, *, q: str = "", page: int | str | None = 1, now: datetime | None = None,
          per_page: int = PAGE_SIZE, with_counts: bool = True) -> Inbox:
    """One page of a work box. ``q`` matches the dossier code, the applicant's name or number, ignoring case and
    diacritics ("nguyen van a" finds "Nguyễn Văn A"). Raises ``ValueError`` for an unknown box."""
    if box not in BOX_SLUGS:
        raise ValueError(box)
    ctx = staff_context(user)
    now = now or timezone.now()
    deadlines = Deadlines(ctx, now)
    work = work_dossiers(user)  # its open steps and consultations read once for the page and the counts
    qs = box_dossiers(user, box, deadlines=deadlines, work=work)
    terms = search_terms(q or "")
    if terms:
        # Python-side folding: the applicant's name is stored with its diacritics and SQL has no portable unaccent.
        candidates = qs.values_list("pk", "code", "applicant_name", "applicant_id_number")
        ids = [pk for pk, code, name, number in candidates if _matches(terms, code or "", name, number)]
        current = Paginator(ids, per_page).get_page(page)
        by_id = qs.model.objects.select_related(*LIST_RELATED).in_bulk(list(current.object_list))
        dossiers = [by_id[pk] for pk in current.object_list if pk in by_id]
    else:
        current = Paginator(qs.select_related(*LIST_RELATED), per_page).get_page(page)
        dossiers = list(current.object_list)
    rows = [InboxRow(d, *deadlines.state(d)) for d in dossiers]
    counts = box_counts(user, deadlines=deadlines, work=work) if with_counts else {}
    if with_counts and box == "tat-ca":
        counts["tat-ca"] = current.paginator.count
    tabs = [(slug, str(label), counts.get(slug)) for slug, label in BOXES]
    return Inbox(box=box, q=q or "", page=current, rows=rows, counts=counts, now=now, tabs=tabs)


def assignable_people(user) -> list[tuple[User, str]]:
    """Whom the bulk "Giao cho" list offers: the people of the agencies this user heads, and the user (to take)."""
    ctx = staff_context(user)
    heads = ctx.scope if ctx.is_superuser else ctx.ids(*HEAD_ROLES)
    people: dict[int, tuple[User, str]] = {}
    if heads:
        memberships = (Membership.objects.filter(agency_id__in=heads, is_active=True, agency__is_active=True,
                                                 user__is_active=True, user__kind=User.Kind.STAFF)
                       .exclude(role__in=[Role.ADMINISTRATOR, Role.CLERK])
                       .select_related("user", "agency").order_by("agency__code", "role", "user__full_name"))
        for m in memberships:
            people.setdefault(m.user_id, (m.user, f"{m.user} — {m.get_role_display()}, {m.agency.short_name}"))
    if ctx.is_staff_member and getattr(user, "pk", None) not in people and ctx.scope:
        people[user.pk] = (user, f"{user} ({_('tôi')})")
    return list(people.values())


# --- one dossier --------------------------------------------------------------------------------------------------

def dossier_for_staff(user, pk: int) -> Dossier:
    """One visible dossier with everything its page shows, prefetched; ``Http404`` when not visible."""
    qs = visible_dossiers(user).select_related(
        "procedure_version__procedure", "procedure_version__sector", "channel", "receiving_agency",
        "handling_agency", "applicant", "applicant_unit", "current_step__agency", "current_step__assignee",
    ).prefetch_related(
        Prefetch("items", queryset=DossierItem.objects.order_by("order", "id").prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.select_related("uploaded_by")))),
        Prefetch("attachments", queryset=Attachment.objects.select_related("item", "uploaded_by")),
        Prefetch("steps", queryset=DossierStep.objects.select_related("agency", "assignee").order_by("order")),
        Prefetch("events", queryset=DossierEvent.objects.select_related("actor", "agency", "from_step", "to_step")
                 .prefetch_related("attachments").order_by("at", "id")),
        Prefetch("pauses", queryset=Pause.objects.order_by("started_at")),
        Prefetch("supplement_requests", queryset=SupplementRequest.objects.select_related("requested_by")
                 .order_by("requested_at")),
        Prefetch("consultations", queryset=Consultation.objects.select_related("agency", "requested_by")
                 .order_by("requested_at")),
    )
    dossier = qs.filter(pk=pk).first()
    if dossier is None:
        raise Http404("Không tìm thấy hồ sơ.")
    return dossier


def attachment_for_staff(user, dossier_pk: int, attachment_pk: int) -> Attachment:
    """A file of a dossier this user sees; ``Http404`` otherwise (the same answer whether it exists or not)."""
    attachment = (Attachment.objects.filter(pk=attachment_pk, dossier_id=dossier_pk,
                                            dossier__in=visible_dossiers(user)).first())
    if attachment is None:
        raise Http404("Không tìm thấy tệp.")
    return attachment


def dossier_countdown(user, dossier: Dossier, now: datetime | None = None) -> tuple[Remaining | None, str]:
    return Deadlines(staff_context(user), now or timezone.now()).state(dossier)


def _step_actor_role(ctx: StaffContext, step: DossierStep) -> str | None:
    """Mirrors the service rule: the step's role or a head's at its agency; an assigned step is its assignee's."""
    role = ctx.first_role([step.role, *HEAD_ROLES], step.agency_id)
    if role is None:
        return None
    if step.assignee_id and step.assignee_id != ctx.user.pk and role not in HEAD_ROLES:
        return None
    return role


def allowed_actions(user, dossier: Dossier) -> set[str]:
    """The actions the dossier page offers this user now. The service layer still checks every one of them."""
    ctx = staff_context(user)
    status, acts = dossier.status, set()
    is_desk = ctx.has([Role.RECEIVING_OFFICER], dossier.receiving_agency_id)
    if is_desk and status == Status.NEW and not dossier.is_draft:
        acts |= {"accept", "request_supplement", "refuse", "upload"}
    if is_desk and status == Status.SUPPLEMENT:
        acts |= {"upload_supplement", "provide_supplement"}
    step = dossier.current_step
    if step is not None and step.finished_at is None:
        steps = list(dossier.steps.all())
        later = [s for s in steps if s.order > step.order]
        head = ctx.first_role(HEAD_ROLES, step.agency_id)
        if status in (Status.ACCEPTED, Status.PROCESSING, Status.SUPPLEMENT, Status.DONE) and (
                head or (ctx.has([step.role], step.agency_id) and step.assignee_id != ctx.user.pk)):
            acts.add("assign")
        actor = _step_actor_role(ctx, step)
        if status in RUNNING_STATUSES:
            if actor:
                acts.add("request_supplement")
                acts |= {"consult", "request_payment"}
            if actor and later and not (later[0].role == Role.RECEIVING_OFFICER and len(later) == 1):
                acts.add("forward")
        if status == Status.PROCESSING and actor:
            acts.add("attach_result")
            if any(1 < s.order < step.order for s in steps):
                acts.add("send_back")
            if step.role in HEAD_ROLES and ctx.has([step.role], step.agency_id) and \
                    all(s.role == Role.RECEIVING_OFFICER for s in later):
                acts.add("decide")
        if status == Status.DONE and actor:
            acts.add("attach_result")
    if status == Status.DONE and is_desk:
        acts.add("return_result")
    if status == Status.FINANCIAL and ctx.has([Role.RECEIVING_OFFICER, *HEAD_ROLES], dossier.receiving_agency_id):
        acts.add("confirm_payment")
    running_or_paused = (Status.ACCEPTED, Status.PROCESSING, Status.SUPPLEMENT, Status.FINANCIAL)
    handling_head = ctx.has(HEAD_ROLES, dossier.handling_agency_id)
    if status in running_or_paused and (is_desk or handling_head):
        acts.add("stop")
    if status in running_or_paused and handling_head and not dossier.apology_issued:
        acts.add("apology")
    return acts


def answerable_consultations(user, dossier: Dossier) -> set[int]:
    ctx = staff_context(user)
    return {c.pk for c in dossier.consultations.all()
            if c.answered_at is None and ctx.has([Role.SPECIALIST, *HEAD_ROLES], c.agency_id)}


def assignee_choices(user, dossier: Dossier) -> list[User]:
    """Who may take the current step: holders of its role at its agency or above (only oneself unless a head)."""
    step = dossier.current_step
    if step is None:
        return []
    ctx = staff_context(user)
    if not ctx.first_role(HEAD_ROLES, step.agency_id):
        return [user] if ctx.has([step.role], step.agency_id) else []
    agency_ids = [step.agency_id, *(a.pk for a in step.agency.ancestors())]
    memberships = (Membership.objects.filter(role=step.role, agency_id__in=agency_ids, is_active=True,
                                             agency__is_active=True, user__is_active=True,
                                             user__kind=User.Kind.STAFF)
                   .select_related("user").order_by("user__full_name", "user__username"))
    return list({m.user_id: m.user for m in memberships}.values())


def agency_choices() -> QuerySet[Agency]:
    """Agencies one may consult or hand a step to (liên thông)."""
    return Agency.objects.filter(is_active=True).order_by("code")


def dossier_for_action(user, pk: int) -> Dossier:
    """A visible dossier for an action (the service reloads it under a lock); ``Http404`` when not visible."""
    dossier = visible_dossiers(user).select_related("receiving_agency", "handling_agency", "current_step").filter(
        pk=pk).first()
    if dossier is None:
        raise Http404("Không tìm thấy hồ sơ.")
    return dossier


def dossiers_by_ids(user, ids) -> list[Dossier]:
    """The visible dossiers among ``ids``, in the order of ``ids``."""
    by_id = visible_dossiers(user).select_related("current_step").in_bulk(list(ids))
    return [by_id[pk] for pk in ids if pk in by_id]


def staff_user(pk: int | None) -> User | None:
    if pk is None:
        return None
    return User.objects.filter(pk=pk, kind=User.Kind.STAFF, is_active=True).first()


def agency_by_pk(pk: int) -> Agency | None:
    return Agency.objects.filter(pk=pk, is_active=True).first()


def agency_by_code(code: str) -> Agency | None:
    return Agency.objects.filter(code=code.strip(), is_active=True).first()


def consultation_of(dossier: Dossier, pk: int) -> Consultation | None:
    return Consultation.objects.filter(pk=pk, dossier=dossier).select_related("agency").first()


def item_of(dossier: Dossier, pk: int) -> DossierItem | None:
    return DossierItem.objects.filter(pk=pk, dossier=dossier).first()


@dataclass
class DigitiseRow:
    """A component with files, as the acceptance form offers it: checked unless the officer unchecks it; what the
    applicant filed electronically counts as digitised in any case (``online``)."""

    item: DossierItem
    online: bool

    @property
    def name(self) -> str:
        """Without the list mark the catalogue copied from its source ("- ", "+ ")."""
        return self.item.name.lstrip("-+•* \t") or self.item.name


def digitise_rows(dossier: Dossier) -> list[DigitiseRow]:
    """The components the receiving officer may mark as digitised when accepting (those with files)."""
    rows = []
    for item in dossier.items.all():
        files = [a for a in item.attachments.all() if a.kind in (Attachment.Kind.INPUT, Attachment.Kind.SUPPLEMENT)]
        if files:
            online = any(a.store_document_id or (dossier.applicant_id and a.uploaded_by_id == dossier.applicant_id)
                         for a in files)
            rows.append(DigitiseRow(item=item, online=bool(online)))
    return rows


def applicant_store(dossier: Dossier) -> list[PersonalDocument]:
    """The visible documents of the dossier applicant's store (for the desk serving someone with an account); the
    caller has checked that the user works at the dossier's desk."""
    if dossier.applicant_id is None:
        return []
    return list(PersonalDocument.objects.filter(owner_id=dossier.applicant_id, hidden_at__isnull=True)
                .order_by("-created_at", "-id")[:200])


STALE_MESSAGE = "Hồ sơ vừa được người khác cập nhật. Hãy tải lại trang để xem trạng thái mới rồi thao tác lại."


def ensure_revision(dossier_pk: int, expected_revision: int | None) -> None:
    """Inside a transaction: lock the dossier row and refuse (``dossier_changed``, like the service layer) when it is
    no longer at ``expected_revision``. For the services that take no ``expected_revision`` of their own."""
    if expected_revision is None:
        return
    current = (Dossier.objects.select_for_update(of=("self",)).filter(pk=dossier_pk)
               .values_list("revision", flat=True).first())
    if current != expected_revision:
        from .services import Conflict

        raise Conflict("dossier_changed", STALE_MESSAGE)


# --- desk registration --------------------------------------------------------------------------------------------

def desks(user) -> list[Agency]:
    """The one-stop desks where this user is a receiving officer."""
    ctx = staff_context(user)
    ids = ctx.ids(Role.RECEIVING_OFFICER)
    if not ids:
        return []
    return list(Agency.objects.filter(pk__in=ids, kind__in=Agency.ONE_STOP_KINDS, is_active=True).order_by("code"))


def registrable_procedures(user, q: str = "", limit: int = 20) -> list[Procedure]:
    """Published procedures with a direct or postal channel that one of the user's desks receives (commune desks:
    their committee's procedures; the province centre: the procedures of provincial agencies)."""
    from tinhso.catalog import queries as catalog_queries

    user_desks = desks(user)
    if not user_desks:
        return []
    where = Q(pk__in=[])
    committees = [d.parent_id for d in user_desks
                  if d.kind == Agency.Kind.COMMUNE_SERVICE_CENTRE and d.parent_id]
    if committees:
        where |= Q(current__implementing_agencies__in=committees)
    if any(d.kind == Agency.Kind.SERVICE_CENTRE for d in user_desks):
        provincial = [k for k in Agency.Kind.values if k != Agency.Kind.COMMUNE_COMMITTEE]
        where |= Q(current__implementing_agencies__kind__in=provincial)
    offered = Procedure.objects.filter(where, current__channels__kind__in=[Channel.Kind.DIRECT,
                                                                            Channel.Kind.POSTAL]).values("pk")
    return list(catalog_queries.search(q).filter(pk__in=offered)[:limit])


def procedure_for_desk(code: str) -> Procedure | None:
    return (Procedure.objects.filter(code=code, is_published=True, current__isnull=False)
            .select_related("current").prefetch_related("current__channels").first())


# --- the tracking book (form 07) ----------------------------------------------------------------------------------

@dataclass
class BookFilters:
    date_from: date | None = None
    date_to: date | None = None
    procedure: str = ""
    status: int | None = None
    agency: int | None = None


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def tracking_book(user, filters: BookFilters | None = None) -> QuerySet[Dossier]:
    """Received dossiers for the tracking book, in order of receipt (the rows of form 07)."""
    filters = filters or BookFilters()
    qs = visible_dossiers(user).filter(received_at__isnull=False)
    if filters.date_from:
        qs = qs.filter(received_at__gte=_local_midnight(filters.date_from))
    if filters.date_to:
        qs = qs.filter(received_at__lt=_local_midnight(filters.date_to + timedelta(days=1)))
    if filters.procedure:
        qs = qs.filter(procedure_version__procedure__code=filters.procedure.strip())
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.agency:
        qs = qs.filter(Q(receiving_agency_id=filters.agency) | Q(handling_agency_id=filters.agency))
    return qs.select_related("procedure_version__procedure", "receiving_agency", "handling_agency",
                             "channel").order_by("received_at", "id")


def book_agencies(user) -> QuerySet[Agency]:
    ctx = staff_context(user)
    return Agency.objects.filter(pk__in=ctx.scope).order_by("code")
