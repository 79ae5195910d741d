"""Reads of ratings and petitions, shared by the pages, the API and the scoreboard (app ``reporting``).

For the scoreboard (QĐ 766 group 6 "Mức độ hài lòng", domain notes §4):

- ``ratings(...)`` → ``RatingRow`` per rated dossier (value, at, channel, agencies, procedure);
  ``rating_values(dossier_ids)`` → ``{dossier_id: value}``;
- ``petitions(...)`` → ``PetitionRow`` per petition: received_at (and the first receipt of a repeated complaint),
  classification (5.1), agencies, procedure, dossier, every deadline with its verdict, ``on_time(now)`` (5.2),
  likes / dislikes, the repeat link and ``recomplained``, ``satisfied(now)`` (5.3);
- ``dossiers_with_complaint(dossier_ids)`` → dossiers with a petition or a "không hài lòng" rating (5.4).

Each call runs a fixed number of queries, whatever the number of rows.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from tinhso.core import permissions
from tinhso.core.calendars import calendar_for
from tinhso.core.errors import NotFound
from tinhso.core.models import Agency, Role
from tinhso.core.text import search_terms
from tinhso.onestop import queries_public as onestop_public
from tinhso.onestop.models import Dossier, Status

from .models import RATEABLE_STATUSES, Petition, PetitionEvent, PetitionVote, Rating
from .services import can_act_as_submitter, secret_matches

OPEN_STATES = (Petition.State.RECEIVED, Petition.State.SUPPLEMENT, Petition.State.ASSIGNED, Petition.State.ANSWERED)
STATE_TONES = {Petition.State.RECEIVED: "wait", Petition.State.ASSIGNED: "wait", Petition.State.SUPPLEMENT: "act",
               Petition.State.ANSWERED: "wait", Petition.State.PUBLISHED: "ok", Petition.State.REFUSED: "end"}
ACTION_LABELS = {
    "received": "Tiếp nhận phản ánh, kiến nghị",
    "classified": "Phân loại",
    "assigned": "Chuyển cơ quan có thẩm quyền xử lý",
    "supplement_requested": "Yêu cầu bổ sung thông tin",
    "supplemented": "Người gửi bổ sung thông tin",
    "refused": "Từ chối tiếp nhận",
    "answered": "Trả lời (chờ công khai)",
    "published": "Công khai câu trả lời",
}
#: Events whose note the sender reads on the status page (the staff's internal notes on assignment are not shown).
NOTES_FOR_SENDER = {"supplement_requested", "supplemented", "refused"}


# --- ratings on dossier pages -----------------------------------------------------------------------------------------

def rating_of(dossier_id: int) -> Rating | None:
    return Rating.objects.filter(dossier_id=dossier_id).first()


def rateable(dossier: Dossier) -> bool:
    return not dossier.is_draft and dossier.status in RATEABLE_STATUSES


@dataclass
class RatingPanel:
    rating: Rating | None
    can_rate: bool
    choices: list
    secret_ok: bool = True


def citizen_panel(dossier: Dossier, user) -> RatingPanel:
    """The applicant's own dossier page: the rating, or the form once the dossier has its result."""
    rating = rating_of(dossier.pk)
    owner = getattr(user, "is_authenticated", False) and dossier.applicant_id == user.pk
    return RatingPanel(rating=rating, can_rate=bool(owner and rating is None and rateable(dossier)),
                       choices=Rating.Value.choices)


def lookup_panel(code: str, factor: str) -> RatingPanel | None:
    """The public lookup result: the rating, or the form (asking for the lookup secret when the phone was used)."""
    dossier = onestop_public.public_lookup(code, factor)
    if dossier is None:
        return None
    rating = rating_of(dossier.pk)
    return RatingPanel(rating=rating, can_rate=rating is None and rateable(dossier), choices=Rating.Value.choices,
                       secret_ok=secret_matches(factor, dossier.lookup_secret))


def dossier_by_code_and_secret(code: str, secret: str) -> Dossier | None:
    """The dossier with this code when ``secret`` is its lookup secret (not the phone's last digits)."""
    dossier = onestop_public.public_lookup(code, secret)
    if dossier is None or not secret_matches(secret, dossier.lookup_secret):
        return None
    return dossier


@dataclass
class StaffPanel:
    rating: Rating | None
    rateable: bool
    kiosk: bool
    petitions: list


def staff_panel(dossier: Dossier, user) -> StaffPanel:
    """The officer's dossier page: the applicant's rating, the kiosk link for the desk, petitions about it."""
    rating = rating_of(dossier.pk)
    kiosk = (rating is None and rateable(dossier)
             and permissions.has_role(user, [Role.RECEIVING_OFFICER], dossier.receiving_agency))
    scope = staff_scope(user)
    linked = Petition.objects.filter(dossier=dossier).order_by("received_at")
    if scope is not None:
        linked = linked.filter(Q(receiving_agency_id__in=scope) | Q(agency_id__in=scope))
    return StaffPanel(rating=rating, rateable=rateable(dossier), kiosk=kiosk, petitions=list(linked[:20]))


def kiosk_dossier(officer, pk: int) -> Dossier:
    """A dossier a receiving officer may open the rating screen for (any other: 404)."""
    dossier = (Dossier.objects.select_related("procedure_version", "receiving_agency")
               .filter(pk=pk, is_draft=False).first())
    if dossier is None or not permissions.has_role(officer, [Role.RECEIVING_OFFICER], dossier.receiving_agency):
        raise NotFound("dossier_not_found", "Không tìm thấy hồ sơ.")
    return dossier


def kiosk_queue(officer, *, now: datetime | None = None, limit: int = 12) -> list[Dossier]:
    """Dossiers returned today at the officer's desks and not rated yet, newest first (the kiosk's start screen)."""
    scope = permissions.agency_scope(officer, [Role.RECEIVING_OFFICER])
    if not scope:
        return []
    start = timezone.localtime(now or timezone.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    return list(Dossier.objects.select_related("procedure_version")
                .filter(receiving_agency_id__in=scope, status=Status.RETURNED, returned_at__gte=start)
                .exclude(Exists(Rating.objects.filter(dossier=OuterRef("pk"))))
                .order_by("-returned_at")[:limit])


# --- petitions for staff ------------------------------------------------------------------------------------------

def is_staff(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or permissions.memberships(user).exists())


def staff_scope(user) -> set[int] | None:
    """Agencies whose petitions the user sees (``None``: all, for a superuser)."""
    if getattr(user, "is_superuser", False):
        return None
    return permissions.agency_scope(user)


def _with_votes(qs: QuerySet[Petition]) -> QuerySet[Petition]:
    return qs.annotate(likes=Count("votes", filter=Q(votes__value=PetitionVote.Value.LIKE), distinct=True),
                       dislikes=Count("votes", filter=Q(votes__value=PetitionVote.Value.DISLIKE), distinct=True))


def visible_petitions(user) -> QuerySet[Petition]:
    scope = staff_scope(user)
    qs = Petition.objects.select_related("receiving_agency", "agency", "concerned_agency", "procedure",
                                         "repeat_of")
    if scope is None:
        return qs
    if not scope:
        return qs.none()
    return qs.filter(Q(receiving_agency_id__in=scope) | Q(agency_id__in=scope))


INBOX_BOXES = [
    ("mo", "Đang xử lý"),
    ("qua-han", "Quá hạn"),
    ("cho-cong-khai", "Chờ công khai"),
    ("cho-bo-sung", "Chờ bổ sung"),
    ("da-xong", "Đã xong"),
    ("tat-ca", "Tất cả"),
]


def inbox(user, box: str = "mo", q: str = "", now: datetime | None = None) -> QuerySet[Petition]:
    """The agency-scoped work list: open petitions with the nearest deadline (so the overdue ones) first."""
    now = now or timezone.now()
    qs = visible_petitions(user)
    if box == "mo":
        qs = qs.filter(state__in=OPEN_STATES)
    elif box == "qua-han":
        qs = qs.filter(state__in=OPEN_STATES, next_due_at__lt=now)
    elif box == "cho-cong-khai":
        qs = qs.filter(state=Petition.State.ANSWERED)
    elif box == "cho-bo-sung":
        qs = qs.filter(state=Petition.State.SUPPLEMENT)
    elif box == "da-xong":
        qs = qs.filter(state__in=(Petition.State.PUBLISHED, Petition.State.REFUSED))
    for term in search_terms(q):
        qs = qs.filter(search_text__contains=term)
    if box == "da-xong":
        return qs.order_by("-updated_at", "-id")
    return qs.order_by(F("next_due_at").asc(nulls_last=True), "-received_at", "-id")


def box_counts(user, now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    qs = visible_petitions(user)
    done = (Petition.State.PUBLISHED, Petition.State.REFUSED)
    counts = qs.aggregate(
        mo=Count("pk", filter=Q(state__in=OPEN_STATES)),
        qua_han=Count("pk", filter=Q(state__in=OPEN_STATES, next_due_at__lt=now)),
        cho_cong_khai=Count("pk", filter=Q(state=Petition.State.ANSWERED)),
        cho_bo_sung=Count("pk", filter=Q(state=Petition.State.SUPPLEMENT)),
        da_xong=Count("pk", filter=Q(state__in=done)),
        tat_ca=Count("pk"),
    )
    return {key.replace("_", "-"): value for key, value in counts.items()}


def petition_for_staff(user, pk: int) -> Petition:
    petition = _with_votes(visible_petitions(user)).filter(pk=pk).first()
    if petition is None:
        raise NotFound("petition_not_found", "Không tìm thấy phản ánh, kiến nghị.")
    return petition


def _has(user, roles, *agencies) -> bool:
    return any(a is not None and permissions.has_role(user, roles, a) for a in agencies)


def allowed_actions(user, petition: Petition) -> set[str]:
    """Which action forms to show (the services decide again when the form is sent)."""
    from .services import ANSWER_ROLES, PUBLISH_ROLES, TRIAGE_ROLES

    state, actions = petition.state, set()
    triage = _has(user, TRIAGE_ROLES, petition.receiving_agency, petition.agency)
    if triage and state in (Petition.State.RECEIVED, Petition.State.ASSIGNED, Petition.State.SUPPLEMENT):
        actions.add("refuse")
    if triage and state in (Petition.State.RECEIVED, Petition.State.ASSIGNED):
        actions |= {"supplement", "assign"}
    if triage and state in OPEN_STATES:
        actions.add("classify")
    if state == Petition.State.ASSIGNED and _has(user, ANSWER_ROLES, petition.agency):
        actions.add("answer")
    if state == Petition.State.ANSWERED and _has(user, PUBLISH_ROLES, petition.agency):
        actions.add("publish")
    return actions


def active_agencies() -> list[Agency]:
    return list(Agency.objects.filter(is_active=True).order_by("code"))


@dataclass
class DeadlineView:
    key: str
    label: str
    due_at: datetime | None
    done_at: datetime | None
    on_time: bool | None
    pending: bool
    remaining: str = ""
    overdue: bool = False


def deadlines(petition: Petition, now: datetime | None = None) -> list[DeadlineView]:
    """The four deadlines of a petition with what happened (done when, on time or not) or the time left."""
    now = now or timezone.now()
    state = petition.state
    refused_early = state == Petition.State.REFUSED
    rows = [
        DeadlineView("refuse", "Từ chối tiếp nhận (nếu có)", petition.refuse_due_at, petition.refused_at,
                     petition.refused_on_time,
                     pending=state == Petition.State.RECEIVED and now <= petition.refuse_due_at),
        DeadlineView("supplement", "Yêu cầu bổ sung lần đầu (nếu có)", petition.supplement_due_at,
                     petition.supplement_requested_at, petition.supplement_on_time,
                     pending=(state in (Petition.State.RECEIVED, Petition.State.ASSIGNED)
                              and petition.supplement_requested_at is None and now <= petition.supplement_due_at)),
        DeadlineView("answer", "Trả lời", None if refused_early else petition.answer_due_at, petition.answered_at,
                     petition.answered_on_time,
                     pending=state in (Petition.State.RECEIVED, Petition.State.ASSIGNED)),
        DeadlineView("publish", "Công khai câu trả lời", petition.publish_due_at, petition.published_at,
                     petition.published_on_time, pending=state == Petition.State.ANSWERED),
    ]
    cal = None
    for row in rows:
        if row.pending and row.due_at is not None:
            cal = cal or calendar_for(petition.agency or petition.receiving_agency)
            left = cal.remaining(now, row.due_at)
            row.remaining, row.overdue = str(left), left.overdue
    return rows


def history(petition: Petition, *, for_sender: bool = False) -> list[dict]:
    events = PetitionEvent.objects.filter(petition=petition).select_related("agency").order_by("at", "id")
    rows = []
    for e in events:
        note = e.note if (not for_sender or e.action in NOTES_FOR_SENDER) else ""
        if e.action == "received" and for_sender:
            note = ""
        rows.append({"at": e.at, "action": e.action, "label": ACTION_LABELS.get(e.action, e.action),
                     "agency": e.agency.name if e.agency_id and not for_sender else "",
                     "actor": "" if for_sender else e.actor_name, "note": note, "due_at": e.due_at,
                     "on_time": e.on_time, "state": Petition.State(e.to_state).label})
    return rows


def repeats_of(petition: Petition) -> list[Petition]:
    return list(Petition.objects.filter(repeat_of=petition).order_by("received_at"))


# --- petitions for the public ---------------------------------------------------------------------------------------

def mask_name(name: str) -> str:
    return onestop_public.mask_name(name)


def published(q: str = "") -> QuerySet[Petition]:
    """Published answers, newest first; every word of ``q`` must appear (diacritics and case ignored)."""
    qs = _with_votes(Petition.objects.filter(state=Petition.State.PUBLISHED)
                     .select_related("agency", "procedure__current"))
    for term in search_terms(q):
        qs = qs.filter(search_text__contains=term)
    return qs.order_by("-published_at", "-id")


def published_one(code: str) -> Petition:
    petition = published().filter(code=(code or "").strip().upper()).first()
    if petition is None:
        raise NotFound("petition_not_found", "Không tìm thấy câu trả lời đã công khai với mã này.")
    return petition


PETITION_NOT_FOUND = "Không tìm thấy phản ánh. Hãy kiểm tra lại mã phản ánh và mã tra cứu đã nhận khi gửi."


def for_sender(code: str, secret: str = "", user=None) -> Petition:
    """The sender's view of their petition: signed in as its sender, or with its code and secret."""
    petition = (_with_votes(Petition.objects.select_related("agency", "receiving_agency", "procedure__current"))
                .filter(code=(code or "").strip().upper()).first())
    if petition is None or not can_act_as_submitter(petition, user, secret):
        raise NotFound("petition_not_found", PETITION_NOT_FOUND)
    return petition


def my_petitions(user) -> QuerySet[Petition]:
    if not getattr(user, "is_authenticated", False):
        return Petition.objects.none()
    return _with_votes(Petition.objects.filter(submitter=user).select_related("agency")).order_by("-received_at")


def vote_of(petition: Petition, user=None, secret: str = "") -> str:
    """The value this visitor already chose for the answer ("" when none)."""
    keys = []
    if getattr(user, "is_authenticated", False):
        keys.append(f"user:{user.pk}")
    if secret and secret_matches(secret, petition.secret):
        keys.append(f"user:{petition.submitter_id}" if petition.submitter_id else "submitter")
    if not keys:
        return ""
    return PetitionVote.objects.filter(petition=petition, voter_key__in=keys).values_list("value", flat=True).first() \
        or ""


# --- for the scoreboard ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RatingRow:
    dossier_id: int
    dossier_code: str | None
    value: str  # satisfied | neutral | dissatisfied
    at: datetime
    channel: str  # account | lookup | kiosk
    receiving_agency_id: int
    handling_agency_id: int
    procedure_code: str


def ratings(*, since: datetime | None = None, until: datetime | None = None, agency_ids=None,
            dossier_ids=None) -> list[RatingRow]:
    """Ratings given in [since, until), optionally of dossiers received or handled by ``agency_ids``."""
    qs = Rating.objects.all()
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lt=until)
    if agency_ids is not None:
        ids = list(agency_ids)
        qs = qs.filter(Q(dossier__receiving_agency_id__in=ids) | Q(dossier__handling_agency_id__in=ids))
    if dossier_ids is not None:
        qs = qs.filter(dossier_id__in=list(dossier_ids))
    rows = qs.order_by("at", "id").values_list(
        "dossier_id", "dossier__code", "value", "at", "channel", "dossier__receiving_agency_id",
        "dossier__handling_agency_id", "dossier__procedure_version__procedure__code")
    return [RatingRow(*row) for row in rows]


def rating_values(dossier_ids) -> dict[int, str]:
    """``{dossier_id: value}`` for the rated ones among ``dossier_ids``."""
    return dict(Rating.objects.filter(dossier_id__in=list(dossier_ids)).values_list("dossier_id", "value"))


def dossiers_with_complaint(dossier_ids=None) -> set[int]:
    """Dossiers with a petition about them or a "không hài lòng" rating (indicator 5.4)."""
    rated = Rating.objects.filter(value=Rating.Value.DISSATISFIED)
    petitioned = Petition.objects.filter(dossier__isnull=False)
    if dossier_ids is not None:
        ids = list(dossier_ids)
        rated, petitioned = rated.filter(dossier_id__in=ids), petitioned.filter(dossier_id__in=ids)
    return set(rated.values_list("dossier_id", flat=True)) | set(petitioned.values_list("dossier_id", flat=True))


@dataclass(frozen=True)
class PetitionRow:
    id: int
    code: str
    state: str  # received | supplement | assigned | answered | published | refused
    received_at: datetime
    first_received_at: datetime  # the first petition's receipt, for a repeated complaint
    classification: str  # tthc | staff
    field: str
    about: str  # procedure | staff
    receiving_agency_id: int
    agency_id: int | None  # the competent agency, once assigned
    concerned_agency_id: int | None
    responsible_agency_id: int  # competent, else concerned, else the desk: where the petition counts
    procedure_code: str | None
    dossier_id: int | None
    refuse_due_at: datetime
    supplement_due_at: datetime
    answer_due_at: datetime
    publish_due_at: datetime | None
    refused_at: datetime | None
    supplement_requested_at: datetime | None
    answered_at: datetime | None
    published_at: datetime | None
    refused_on_time: bool | None
    supplement_on_time: bool | None
    answered_on_time: bool | None
    published_on_time: bool | None
    likes: int
    dislikes: int
    repeat_of_id: int | None
    recomplained: bool  # a later petition of the same sender repeats this one
    updated_at: datetime

    @property
    def within_competence(self) -> bool:
        """Handled as a PAKN (not refused at reception)."""
        return self.state != Petition.State.REFUSED

    def overdue(self, now: datetime) -> bool:
        """A deadline still to meet has passed (the answer while handled, the publication while answered)."""
        if self.state in (Petition.State.RECEIVED, Petition.State.ASSIGNED):
            return now > self.answer_due_at
        if self.state == Petition.State.ANSWERED:
            return self.publish_due_at is not None and now > self.publish_due_at
        return False

    def on_time(self, now: datetime) -> bool:
        """Indicator 5.2: no step was late and no pending deadline has passed."""
        verdicts = (self.refused_on_time, self.supplement_on_time, self.answered_on_time, self.published_on_time)
        return False not in verdicts and not self.overdue(now)

    def satisfied(self, now: datetime) -> bool:
        """Indicator 5.3: not (more dislikes than likes, overdue or late, or complained about again)."""
        return self.dislikes <= self.likes and self.on_time(now) and not self.recomplained


def petitions(*, received_from: datetime | None = None, received_until: datetime | None = None, agency_ids=None,
              changed_since: datetime | None = None) -> list[PetitionRow]:
    """Petitions received in [received_from, received_until) (or changed since ``changed_since``), optionally of
    the agencies ``agency_ids`` (by the responsible agency), oldest first."""
    qs = Petition.objects.filter(code__isnull=False)
    if received_from is not None:
        qs = qs.filter(received_at__gte=received_from)
    if received_until is not None:
        qs = qs.filter(received_at__lt=received_until)
    if changed_since is not None:
        qs = qs.filter(updated_at__gte=changed_since)
    qs = qs.annotate(
        responsible=Coalesce("agency_id", "concerned_agency_id", "receiving_agency_id"),
        first_at=Coalesce("repeat_of__received_at", "received_at"),
        n_likes=Count("votes", filter=Q(votes__value=PetitionVote.Value.LIKE), distinct=True),
        n_dislikes=Count("votes", filter=Q(votes__value=PetitionVote.Value.DISLIKE), distinct=True),
        has_repeat=Exists(Petition.objects.filter(repeat_of=OuterRef("pk"))),
    )
    if agency_ids is not None:
        qs = qs.filter(responsible__in=list(agency_ids))
    rows = qs.order_by("received_at", "id").values(
        "id", "code", "state", "received_at", "first_at", "classification", "field", "about", "receiving_agency_id",
        "agency_id", "concerned_agency_id", "responsible", "procedure__code", "dossier_id", "refuse_due_at",
        "supplement_due_at", "answer_due_at", "publish_due_at", "refused_at", "supplement_requested_at",
        "answered_at", "published_at", "refused_on_time", "supplement_on_time", "answered_on_time",
        "published_on_time", "n_likes", "n_dislikes", "repeat_of_id", "has_repeat", "updated_at")
    return [PetitionRow(
        id=r["id"], code=r["code"], state=r["state"], received_at=r["received_at"], first_received_at=r["first_at"],
        classification=r["classification"], field=r["field"], about=r["about"],
        receiving_agency_id=r["receiving_agency_id"], agency_id=r["agency_id"],
        concerned_agency_id=r["concerned_agency_id"], responsible_agency_id=r["responsible"],
        procedure_code=r["procedure__code"], dossier_id=r["dossier_id"], refuse_due_at=r["refuse_due_at"],
        supplement_due_at=r["supplement_due_at"], answer_due_at=r["answer_due_at"],
        publish_due_at=r["publish_due_at"], refused_at=r["refused_at"],
        supplement_requested_at=r["supplement_requested_at"], answered_at=r["answered_at"],
        published_at=r["published_at"], refused_on_time=r["refused_on_time"],
        supplement_on_time=r["supplement_on_time"], answered_on_time=r["answered_on_time"],
        published_on_time=r["published_on_time"], likes=r["n_likes"], dislikes=r["n_dislikes"],
        repeat_of_id=r["repeat_of_id"], recomplained=r["has_repeat"], updated_at=r["updated_at"],
    ) for r in rows]
