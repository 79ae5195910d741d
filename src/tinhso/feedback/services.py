"""Every change of ratings and petitions: one transaction, a permission check, an audit record (and for a rating an
event on the dossier, the scoreboard's change feed). Refusals are ``DomainError`` with a stable code.

Ratings — one per dossier, once the agency gave its final answer (``models.RATEABLE_STATUSES``), from three places:

- the applicant's account (``rate_as_applicant``): the owner only, anyone else is ``Forbidden``;
- the public lookup page (``rate_by_lookup``): the dossier code and its 6-character lookup secret prove the right;
- the kiosk at the desk (``rate_at_kiosk``): a receiving officer of the desk that received the dossier opens the
  screen for it, the applicant taps; or the applicant types code and secret on the kiosk (``rate_by_lookup`` with
  ``channel="kiosk"``).

A second rating is refused (``already_rated``); two at once still record one (unique constraint, the loser's
``IntegrityError`` becomes the same refusal).

Petitions (PAKN) — the life of one:

    received ─refuse (≤ 2 working days)→ refused
      ├─request_supplement (the first one ≤ 5 working days)→ supplement ─provide_supplement→ back (clock resumes)
      └─assign→ assigned (the competent agency; may be re-assigned)
                  ─answer (≤ 15 working days, waiting for the citizen not counted)→ answered ("chờ công khai")
                  ─publish (≤ 2 working days after the answer)→ published ─ citizens like / dislike

Deadlines are computed with the working-day calendar of the receiving desk at receipt (the publish deadline with the
competent agency's calendar at the answer) and stored; each transition stores whether it met its deadline.
"""

import hashlib
import hmac
import re
from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from tinhso.catalog.models import Procedure
from tinhso.core import permissions
from tinhso.core.calendars import calendar_for
from tinhso.core.errors import DomainError, Forbidden, NotFound
from tinhso.core.models import Agency, Role, User
from tinhso.core.services import record
from tinhso.core.text import fold
from tinhso.core.workcalendar import ClockPaused, WorkCalendar
from tinhso.onestop import queries_public as onestop_public
from tinhso.onestop import services as onestop_services
from tinhso.onestop.models import Dossier

from .models import RATEABLE_STATUSES, Petition, PetitionEvent, PetitionRules, PetitionVote, Rating

#: Who may triage a petition at the desk (refuse, ask for information, classify, assign), answer it, publish it.
TRIAGE_ROLES = (Role.RECEIVING_OFFICER, Role.SPECIALIST, Role.DEPARTMENT_HEAD, Role.AGENCY_LEADER)
ANSWER_ROLES = (Role.SPECIALIST, Role.DEPARTMENT_HEAD, Role.AGENCY_LEADER)
PUBLISH_ROLES = (Role.DEPARTMENT_HEAD, Role.AGENCY_LEADER)
#: The same petition sent again by the same person within this time is a double submission, not a new petition.
DUPLICATE_WINDOW = timedelta(hours=24)
COMMENT_MAX = 1000
TEXT_MAX = 5000
SUBJECT_MAX = 200


class Conflict(DomainError):
    status = 409


# --- clock ----------------------------------------------------------------------------------------------------------

_SIMULATED_NOW: ContextVar[datetime | None] = ContextVar("feedback_simulated_now", default=None)


def _now() -> datetime:
    return _SIMULATED_NOW.get() or timezone.now()


@contextmanager
def acting_at(moment: datetime):
    """Run service calls as if at ``moment`` (the simulator and tests); dossier events get the same time."""
    token = _SIMULATED_NOW.set(moment)
    try:
        with onestop_services.acting_at(moment):
            yield
    finally:
        _SIMULATED_NOW.reset(token)


def _fmt(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%H:%M %d/%m/%Y")


# --- ratings --------------------------------------------------------------------------------------------------------

def _already_rated(rating: Rating | None) -> Conflict:
    when = f" lúc {_fmt(rating.at)}" if rating is not None else ""
    return Conflict("already_rated", f"Hồ sơ này đã được đánh giá{when}. Mỗi hồ sơ chỉ được đánh giá một lần.")


def _clean_value(value: str) -> str:
    if value not in Rating.Value.values:
        raise DomainError("value_required", "Hãy chọn một mức: Hài lòng, Bình thường hoặc Không hài lòng.",
                          field="value")
    return value


def _clean_comment(comment: str) -> str:
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise DomainError("comment_too_long", f"Góp ý dài quá {COMMENT_MAX} ký tự.", field="comment")
    return comment


def _record_rating(dossier: Dossier, value: str, comment: str, *, channel: str, rater: User | None = None,
                   opened_by: User | None = None) -> Rating:
    value, comment = _clean_value(value), _clean_comment(comment)
    dossier = Dossier.objects.select_related("receiving_agency", "handling_agency").get(pk=dossier.pk)
    existing = Rating.objects.filter(dossier=dossier).first()
    if existing is not None:
        raise _already_rated(existing)
    if dossier.status not in RATEABLE_STATUSES:
        raise Conflict("not_finished", "Hồ sơ chưa có kết quả giải quyết nên chưa thể đánh giá. Bạn có thể đánh giá "
                                       "sau khi nhận kết quả.")
    at = _now()
    try:
        with transaction.atomic():  # a savepoint: the loser of a race gets a clear refusal, not a broken transaction
            rating = Rating.objects.create(dossier=dossier, value=value, comment=comment, channel=channel, at=at,
                                           rater=rater, opened_by=opened_by)
    except IntegrityError as exc:
        raise _already_rated(Rating.objects.filter(dossier=dossier).first()) from exc
    label = Rating.Value(value).label
    onestop_services.note_event(dossier, "rated", rater or opened_by, note=comment, public=False,
                                data={"rating": value, "channel": channel, "rating_id": rating.pk})
    record("feedback.rated", actor=rater or opened_by, obj=rating, agency=dossier.receiving_agency,
           summary=f"{dossier} — {label} ({Rating.Channel(channel).label})", data={"value": value,
                                                                                 "channel": channel})
    return rating


def _dossier(dossier_id: int) -> Dossier:
    dossier = Dossier.objects.filter(pk=dossier_id, is_draft=False).first()
    if dossier is None:
        raise NotFound("dossier_not_found", "Không tìm thấy hồ sơ.")
    return dossier


@transaction.atomic
def rate_as_applicant(actor: User, dossier_id: int, value: str, comment: str = "") -> Rating:
    """The applicant rates their own dossier from their account."""
    dossier = _dossier(dossier_id)
    if not getattr(actor, "is_authenticated", False) or dossier.applicant_id != actor.pk:
        raise Forbidden("Bạn chỉ có thể đánh giá hồ sơ do chính mình nộp.")
    return _record_rating(dossier, value, comment, channel=Rating.Channel.ACCOUNT, rater=actor)


def secret_matches(given: str, expected: str) -> bool:
    given_b = re.sub(r"\s", "", given or "").upper().encode()
    expected_b = (expected or "").upper().encode()
    return bool(expected_b) & hmac.compare_digest(given_b, expected_b or b"-")


LOOKUP_NOT_FOUND = "Không tìm thấy hồ sơ. Hãy kiểm tra lại mã hồ sơ và mã tra cứu in trên giấy tiếp nhận."


@transaction.atomic
def rate_by_lookup(code: str, secret: str, value: str, comment: str = "", *,
                   channel: str = Rating.Channel.LOOKUP, actor: User | None = None) -> Rating:
    """Rate with the dossier code and its lookup secret (the public lookup page, or typed on the kiosk)."""
    if channel not in (Rating.Channel.LOOKUP, Rating.Channel.KIOSK):
        raise DomainError("invalid_channel", "Kênh đánh giá không hợp lệ.")
    dossier = onestop_public.public_lookup(code, secret)
    if dossier is None:
        raise NotFound("dossier_not_found", LOOKUP_NOT_FOUND)
    if not secret_matches(secret, dossier.lookup_secret):  # the lookup also accepts the phone's last digits
        raise DomainError("secret_required", "Để đánh giá, hãy nhập mã tra cứu gồm 6 ký tự in trên giấy tiếp nhận, "
                                             "hẹn trả kết quả (không dùng số điện thoại).", field="secret")
    rater = actor if getattr(actor, "is_authenticated", False) and dossier.applicant_id == actor.pk else None
    return _record_rating(dossier, value, comment, channel=channel, rater=rater)


@transaction.atomic
def rate_at_kiosk(officer: User, dossier_id: int, value: str, comment: str = "") -> Rating:
    """The applicant taps on the desk's screen, opened for this dossier by a receiving officer of the desk."""
    dossier = _dossier(dossier_id)
    require_kiosk_officer(officer, dossier)
    return _record_rating(dossier, value, comment, channel=Rating.Channel.KIOSK, opened_by=officer)


def require_kiosk_officer(officer: User, dossier: Dossier) -> None:
    if not getattr(officer, "is_authenticated", False) or not permissions.has_role(
            officer, [Role.RECEIVING_OFFICER], dossier.receiving_agency):
        raise Forbidden("Chỉ cán bộ tiếp nhận của nơi đã tiếp nhận hồ sơ mới mở được màn hình đánh giá cho hồ sơ "
                        "này.")


# --- petitions: helpers ---------------------------------------------------------------------------------------------

def _digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def submitter_key(user: User | None, phone: str = "", email: str = "") -> str:
    """Who sent it, for the repeat and duplicate checks: the account, else the phone, else the e-mail."""
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.pk}"
    digits = _digits(phone)
    if digits:
        return "phone:" + ("0" + digits[2:] if digits.startswith("84") and len(digits) > 10 else digits)
    return f"email:{email.strip().lower()}" if email.strip() else ""


def _words(text: str) -> set[str]:
    return {w for w in fold(text).split(" ") if len(w) > 1}


def similarity(a: str, b: str) -> float:
    """Share of common words (diacritics and case ignored) of two texts: |A ∩ B| / min(|A|, |B|)."""
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / min(len(wa), len(wb))


def _lock(petition: Petition | int) -> Petition:
    pk = petition.pk if isinstance(petition, Petition) else petition
    try:
        return (Petition.objects.select_for_update(of=("self",))
                .select_related("receiving_agency", "agency", "concerned_agency").order_by().get(pk=pk))
    except Petition.DoesNotExist as exc:
        raise NotFound("petition_not_found", "Không tìm thấy phản ánh, kiến nghị.") from exc


def _require_state(petition: Petition, *allowed: str, action: str) -> None:
    if petition.state not in allowed:
        names = ", ".join(f"“{Petition.State(s).label}”" for s in allowed)
        raise Conflict("illegal_transition", f"Không thể {action}: phản ánh đang ở trạng thái "
                                             f"“{petition.get_state_display()}” (cần {names}).")


def _require(actor: User, agencies: Iterable[Agency | None], roles: Iterable[str]) -> Agency:
    """The first of ``agencies`` where ``actor`` holds one of ``roles`` (or one above it); Forbidden otherwise."""
    roles, agencies = list(roles), [a for a in agencies if a is not None]
    for agency in agencies:
        if permissions.has_role(actor, roles, agency):
            return agency
    names = ", ".join(str(Role(r).label) for r in roles)
    where = " hoặc ".join(a.name for a in agencies)
    raise Forbidden(f"Thao tác này cần vai trò {names} tại {where}.")


def _event(petition: Petition, action: str, actor: User | None, *, from_state: str, agency: Agency | None = None,
           due_at: datetime | None = None, on_time: bool | None = None, note: str = "", data: dict | None = None,
           at: datetime | None = None) -> PetitionEvent:
    event = PetitionEvent.objects.create(
        petition=petition, at=at or _now(), action=action, actor=actor if actor is not None and actor.pk else None,
        actor_name=str(actor) if actor is not None else petition.submitter_name, agency=agency,
        from_state=from_state, to_state=petition.state, due_at=due_at, on_time=on_time, note=note, data=data or {})
    verdict = {True: "đúng hạn", False: "quá hạn", None: ""}[on_time]
    record(f"petition.{action}", actor=actor, obj=petition, agency=agency or petition.receiving_agency,
           summary=f"{petition} {action}: {petition.get_state_display()} {verdict}".strip(),
           data={"on_time": on_time, "note": note[:200]})
    return event


def _save(petition: Petition, *fields: str) -> None:
    petition.updated_at = _now()
    petition.save(update_fields=[*fields, "updated_at"])


def petition_desk() -> Agency:
    """Where PAKN are received: the province's public administrative service centre (else the province itself)."""
    desk = (Agency.objects.filter(kind=Agency.Kind.SERVICE_CENTRE, is_active=True).order_by("code").first()
            or Agency.objects.filter(parent__isnull=True, is_active=True).order_by("code").first())
    if desk is None:
        raise DomainError("no_desk", "Chưa cấu hình cơ quan tiếp nhận phản ánh, kiến nghị.")
    return desk


def _deadline(cal: WorkCalendar, start: datetime, days: int, pauses=()) -> datetime:
    return cal.due(start, days, "working_day", mode="days", pauses=list(pauses))


def _pauses(petition: Petition) -> list[tuple[datetime, datetime | None]]:
    """The intervals spent waiting for the citizen's information, from the petition's events."""
    pauses, start = [], None
    for event in petition.events.filter(action__in=("supplement_requested", "supplemented")).order_by("at", "id"):
        if event.action == "supplement_requested" and start is None:
            start = event.at
        elif event.action == "supplemented" and start is not None:
            pauses.append((start, event.at))
            start = None
    if start is not None:
        pauses.append((start, None))
    return pauses


def _search_text(petition: Petition) -> str:
    parts = [petition.code or "", petition.subject, petition.text, petition.answer, petition.field,
             petition.procedure.code if petition.procedure_id else "",
             petition.agency.name if petition.agency_id else "",
             petition.concerned_agency.name if petition.concerned_agency_id else ""]
    return fold(" ".join(p for p in parts if p))


def _clean_text(value: str, *, code: str, message: str, field: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(code, message, field=field)
    if len(value) > limit:
        raise DomainError("too_long", f"Nội dung dài quá {limit} ký tự.", field=field)
    return value


# --- petitions: submission ------------------------------------------------------------------------------------------

@dataclass
class PetitionInput:
    """What the citizen writes. ``about``: ``procedure`` or ``staff``. Anonymous senders give a name and a phone or
    an e-mail; a signed-in sender's account is used."""

    text: str
    about: str = Petition.About.PROCEDURE
    subject: str = ""
    procedure_code: str = ""
    dossier_code: str = ""
    dossier_secret: str = ""
    agency_code: str = ""
    staff_name: str = ""
    name: str = ""
    phone: str = ""
    email: str = ""
    client_token: str = ""


def _resolve_about(actor: User | None, data: PetitionInput) -> dict:
    about = data.about
    if about not in Petition.About.values:
        raise DomainError("invalid_about", "Hãy chọn phản ánh về thủ tục hành chính hay về hành vi của cán bộ.",
                          field="about")
    dossier = procedure = concerned = None
    if data.dossier_code.strip():
        found = Dossier.objects.select_related("procedure_version__procedure", "handling_agency",
                                               "receiving_agency").filter(code=data.dossier_code.strip()).first()
        owner = (found is not None and getattr(actor, "is_authenticated", False)
                 and found.applicant_id == actor.pk)
        if found is None or not (owner or secret_matches(data.dossier_secret, found.lookup_secret)):
            raise DomainError("dossier_not_found", "Không tìm thấy hồ sơ liên quan. Hãy kiểm tra mã hồ sơ và mã tra "
                                                   "cứu in trên giấy tiếp nhận (hoặc để trống).", field="dossier_code")
        dossier, procedure = found, found.procedure_version.procedure
        concerned = found.handling_agency if about == Petition.About.PROCEDURE else found.receiving_agency
    if data.procedure_code.strip() and procedure is None:
        procedure = (Procedure.objects.select_related("current__sector")
                     .filter(code=data.procedure_code.strip(), current__isnull=False).first())
        if procedure is None:
            raise DomainError("procedure_not_found", "Không tìm thấy thủ tục có mã này; mã có dạng 1.001193 (xem "
                                                     "trang Thủ tục hành chính) hoặc để trống.",
                              field="procedure_code")
    if data.agency_code.strip():
        agency = Agency.objects.filter(code=data.agency_code.strip(), is_active=True).first()
        if agency is None:
            raise DomainError("agency_not_found", "Không tìm thấy cơ quan đã chọn.", field="agency_code")
        concerned = agency
    if about == Petition.About.STAFF and concerned is None:
        raise DomainError("agency_required", "Hãy chọn cơ quan nơi cán bộ bị phản ánh làm việc.", field="agency_code")
    if concerned is None and procedure is not None:
        implementing = list(procedure.current.implementing_agencies.filter(is_active=True).order_by("code"))
        province_level = [a for a in implementing if a.kind != Agency.Kind.COMMUNE_COMMITTEE]
        if province_level:
            concerned = province_level[0]
        elif len(implementing) == 1:  # a commune procedure: only when one commune implements it
            concerned = implementing[0]
    sector = procedure.current.sector if procedure is not None and procedure.current_id else None
    return {"about": about, "dossier": dossier, "procedure": procedure, "concerned_agency": concerned,
            "classification": Petition.Classification.TTHC if about == Petition.About.PROCEDURE
            else Petition.Classification.STAFF, "field": sector.name if sector else ""}


def _submitter(actor: User | None, data: PetitionInput) -> dict:
    if actor is not None and getattr(actor, "is_authenticated", False):
        name = (actor.full_name or actor.username).strip()
        phone = (data.phone or actor.phone or "").strip()
        email = (data.email or actor.email or "").strip()
        return {"submitter": actor, "submitter_name": name[:200], "submitter_phone": phone[:15],
                "submitter_email": email, "submitter_key": submitter_key(actor)}
    name = data.name.strip()
    if not name:
        raise DomainError("name_required", "Hãy nhập họ và tên người gửi.", field="name")
    phone, email = data.phone.strip(), data.email.strip()
    if not phone and not email:
        raise DomainError("contact_required", "Hãy nhập số điện thoại hoặc thư điện tử để nhận câu trả lời.",
                          field="phone")
    if phone and not 9 <= len(_digits(phone)) <= 12:
        raise DomainError("invalid_phone", "Số điện thoại không hợp lệ (9 đến 12 chữ số).", field="phone")
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise DomainError("invalid_email", "Địa chỉ thư điện tử không hợp lệ.", field="email") from exc
    return {"submitter": None, "submitter_name": name[:200], "submitter_phone": phone[:15],
            "submitter_email": email, "submitter_key": submitter_key(None, phone, email)}


def _find_repeat(key: str, subject: str, text: str, about: dict, rules: dict, at: datetime) -> Petition | None:
    """The first earlier petition of the same sender on the same dossier, procedure or (similar) subject."""
    since = at - timedelta(days=int(rules.get("repeat_window_days", 365)))
    threshold = float(rules.get("repeat_similarity", 0.5))
    candidates = (Petition.objects.filter(submitter_key=key, received_at__gte=since, received_at__lte=at)
                  .only("pk", "repeat_of_id", "subject", "text", "procedure_id", "dossier_id", "about")
                  .order_by("received_at", "pk"))
    for earlier in candidates:
        same_dossier = about["dossier"] is not None and earlier.dossier_id == about["dossier"].pk
        same_procedure = about["procedure"] is not None and earlier.procedure_id == about["procedure"].pk
        similar = (similarity(subject, earlier.subject) >= max(threshold, 0.6)
                   or similarity(f"{subject} {text}", f"{earlier.subject} {earlier.text}") >= threshold)
        if earlier.about == about["about"] and (same_dossier or same_procedure or similar):
            return Petition.objects.get(pk=earlier.repeat_of_id) if earlier.repeat_of_id else earlier
    return None


@transaction.atomic
def submit_petition(actor: User | None, data: PetitionInput) -> Petition:
    """Receive a petition at the PAKN desk: deadlines from the rules in force, the repeat link, the first event.

    Sending the same ``client_token`` again returns the petition already received; the same text from the same
    sender within 24 hours is refused (``duplicate_petition``) instead of being received twice.
    """
    token = (data.client_token or "").strip()[:64] or None
    if token:
        existing = Petition.objects.filter(client_token=token).first()
        if existing is not None:
            return existing
    text = _clean_text(data.text, code="text_required", message="Hãy nhập nội dung phản ánh, kiến nghị.",
                       field="text", limit=TEXT_MAX)
    subject = (data.subject or "").strip()
    if len(subject) > SUBJECT_MAX:
        raise DomainError("too_long", f"Tiêu đề dài quá {SUBJECT_MAX} ký tự.", field="subject")
    subject = subject or (text if len(text) <= 100 else text[:100].rsplit(" ", 1)[0] + "…")
    who = _submitter(actor, data)
    about = _resolve_about(actor, data)
    at = _now()
    fingerprint = hashlib.sha256(f"{who['submitter_key']}|{fold(subject)}|{fold(text)}".encode()).hexdigest()
    twin = Petition.objects.filter(fingerprint=fingerprint, received_at__gte=at - DUPLICATE_WINDOW).first()
    if twin is not None:
        raise Conflict("duplicate_petition", f"Phản ánh này đã được gửi lúc {_fmt(twin.received_at)} (mã {twin.code})."
                                             " Không cần gửi lại; hãy dùng mã để theo dõi.")
    desk = petition_desk()
    rules = PetitionRules.in_force(timezone.localtime(at).date()).snapshot()
    cal = calendar_for(desk)
    answer_due = _deadline(cal, at, rules["answer_days"])
    petition = Petition(
        **who, subject=subject, text=text, about=about["about"], classification=about["classification"],
        field=about["field"], procedure=about["procedure"], dossier=about["dossier"],
        staff_name=data.staff_name.strip()[:200] if about["about"] == Petition.About.STAFF else "",
        concerned_agency=about["concerned_agency"], receiving_agency=desk, received_at=at, rules=rules,
        refuse_due_at=_deadline(cal, at, rules["refuse_days"]),
        supplement_due_at=_deadline(cal, at, rules["supplement_days"]), answer_due_at=answer_due,
        next_due_at=answer_due, fingerprint=fingerprint, client_token=token, updated_at=at,
        repeat_of=_find_repeat(who["submitter_key"], subject, text, about, rules, at) if who["submitter_key"]
        else None,
    )
    try:
        with transaction.atomic():
            petition.save()
    except IntegrityError:  # the same client token, sent twice at once
        existing = Petition.objects.filter(client_token=token).first() if token else None
        if existing is None:
            raise
        return existing
    petition.code = f"PAKN-{timezone.localtime(at):%y%m%d}-{petition.pk:05d}"
    petition.search_text = _search_text(petition)
    petition.save(update_fields=["code", "search_text"])
    _event(petition, "received", actor if getattr(actor, "is_authenticated", False) else None, from_state="",
           agency=desk, due_at=answer_due, note=subject,
           data={"repeat_of": petition.repeat_of.code if petition.repeat_of_id else None})
    return petition


# --- petitions: staff actions ---------------------------------------------------------------------------------------

def _verdict(at: datetime, due: datetime | None) -> bool | None:
    return None if due is None else at <= due


@transaction.atomic
def refuse_petition(actor: User, petition: Petition | int, reason: str) -> Petition:
    """Refuse to handle (not a PAKN under the law, anonymous slander, already answered…): ≤ 2 working days."""
    petition = _lock(petition)
    _require_state(petition, Petition.State.RECEIVED, Petition.State.ASSIGNED, Petition.State.SUPPLEMENT,
                   action="từ chối tiếp nhận")
    agency = _require(actor, [petition.receiving_agency, petition.agency], TRIAGE_ROLES)
    reason = _clean_text(reason, code="reason_required", message="Cần ghi rõ lý do từ chối tiếp nhận.",
                         field="reason", limit=2000)
    at, from_state = _now(), petition.state
    # Closing a petition whose sender never gave the requested information is not a late refusal.
    on_time = None if from_state == Petition.State.SUPPLEMENT else _verdict(at, petition.refuse_due_at)
    petition.state, petition.refused_at, petition.refusal_reason = Petition.State.REFUSED, at, reason
    petition.refused_on_time, petition.next_due_at = on_time, None
    _save(petition, "state", "refused_at", "refusal_reason", "refused_on_time", "next_due_at")
    _event(petition, "refused", actor, from_state=from_state, agency=agency, due_at=petition.refuse_due_at,
           on_time=on_time, note=reason, at=at)
    return petition


@transaction.atomic
def request_supplement(actor: User, petition: Petition | int, request: str) -> Petition:
    """Ask the sender for more information; the first request is due ≤ 5 working days after receipt. The answer
    clock stops until the information arrives."""
    petition = _lock(petition)
    _require_state(petition, Petition.State.RECEIVED, Petition.State.ASSIGNED, action="yêu cầu bổ sung thông tin")
    agency = _require(actor, [petition.receiving_agency, petition.agency], TRIAGE_ROLES)
    request = _clean_text(request, code="request_required", message="Cần ghi rõ thông tin người gửi phải bổ sung.",
                          field="request", limit=2000)
    at, from_state = _now(), petition.state
    first = petition.supplement_requested_at is None
    on_time = _verdict(at, petition.supplement_due_at) if first else None
    if first:
        petition.supplement_requested_at, petition.supplement_on_time = at, on_time
    petition.state, petition.supplement_request, petition.next_due_at = Petition.State.SUPPLEMENT, request, None
    _save(petition, "state", "supplement_requested_at", "supplement_on_time", "supplement_request", "next_due_at")
    _event(petition, "supplement_requested", actor, from_state=from_state, agency=agency,
           due_at=petition.supplement_due_at if first else None, on_time=on_time, note=request, at=at,
           data={"first": first})
    return petition


def can_act_as_submitter(petition: Petition, actor: User | None, secret: str = "") -> bool:
    if actor is not None and getattr(actor, "is_authenticated", False) and petition.submitter_id == actor.pk:
        return True
    return secret_matches(secret, petition.secret)


@transaction.atomic
def provide_supplement(petition: Petition | int, info: str, *, actor: User | None = None, secret: str = "") -> Petition:
    """The sender adds the requested information (signed in, or with the petition's code and secret)."""
    petition = _lock(petition)
    if not can_act_as_submitter(petition, actor, secret):
        raise Forbidden("Chỉ người gửi phản ánh mới bổ sung được thông tin.")
    _require_state(petition, Petition.State.SUPPLEMENT, action="bổ sung thông tin")
    info = _clean_text(info, code="info_required", message="Hãy nhập thông tin bổ sung.", field="info", limit=3000)
    at, from_state = _now(), petition.state
    petition.text = f"{petition.text}\n\n[Bổ sung {_fmt(at)}]\n{info}"
    petition.supplemented_at = at
    petition.state = Petition.State.ASSIGNED if petition.agency_id else Petition.State.RECEIVED
    _event(petition, "supplemented", actor if getattr(actor, "is_authenticated", False) else None,
           from_state=from_state, agency=petition.agency or petition.receiving_agency, note=info, at=at)
    cal = calendar_for(petition.receiving_agency)
    try:
        petition.answer_due_at = _deadline(cal, petition.received_at, petition.rules.get("answer_days", 15),
                                           _pauses(petition))
    except ClockPaused:  # cannot happen once the pause is closed; keep the stored deadline
        pass
    petition.next_due_at = petition.answer_due_at
    petition.search_text = _search_text(petition)
    _save(petition, "text", "supplemented_at", "state", "answer_due_at", "next_due_at", "search_text")
    return petition


@transaction.atomic
def classify_petition(actor: User, petition: Petition | int, classification: str, field: str = "") -> Petition:
    """Correct the classification (TTHC / hành vi CBCC) and the field."""
    petition = _lock(petition)
    _require_state(petition, Petition.State.RECEIVED, Petition.State.ASSIGNED, Petition.State.SUPPLEMENT,
                   Petition.State.ANSWERED, action="phân loại")
    agency = _require(actor, [petition.receiving_agency, petition.agency], TRIAGE_ROLES)
    if classification not in Petition.Classification.values:
        raise DomainError("invalid_classification", "Phân loại phải là “về quy định, TTHC” hoặc “về hành vi CBCC”.",
                          field="classification")
    before = (petition.classification, petition.field)
    petition.classification, petition.field = classification, (field or "").strip()[:200]
    _save(petition, "classification", "field")
    _event(petition, "classified", actor, from_state=petition.state, agency=agency,
           note=f"{petition.get_classification_display()}{' — ' + petition.field if petition.field else ''}",
           data={"before": list(before)})
    return petition


@transaction.atomic
def assign_petition(actor: User, petition: Petition | int, agency: Agency, note: str = "") -> Petition:
    """Send the petition to the competent agency (from the desk, or onward from the agency it was sent to)."""
    petition = _lock(petition)
    _require_state(petition, Petition.State.RECEIVED, Petition.State.ASSIGNED, action="chuyển cơ quan có thẩm quyền")
    acting = _require(actor, [petition.receiving_agency, petition.agency], TRIAGE_ROLES)
    if agency is None or not agency.is_active:
        raise DomainError("agency_required", "Hãy chọn cơ quan có thẩm quyền xử lý.", field="agency")
    if petition.agency_id == agency.pk:
        raise Conflict("already_assigned", f"Phản ánh đã ở {agency.name}.")
    at, from_state = _now(), petition.state
    petition.agency, petition.assigned_at, petition.state = agency, at, Petition.State.ASSIGNED
    petition.search_text = _search_text(petition)
    _save(petition, "agency", "assigned_at", "state", "search_text")
    _event(petition, "assigned", actor, from_state=from_state, agency=acting, note=(note or "").strip()[:2000],
           data={"to": agency.code}, at=at)
    return petition


@transaction.atomic
def answer_petition(actor: User, petition: Petition | int, answer: str) -> Petition:
    """The competent agency's answer: ≤ 15 working days after receipt; it then waits for publication (≤ 2)."""
    petition = _lock(petition)
    _require_state(petition, Petition.State.ASSIGNED, action="trả lời")
    agency = _require(actor, [petition.agency], ANSWER_ROLES)
    answer = _clean_text(answer, code="answer_required", message="Hãy nhập nội dung trả lời.", field="answer",
                         limit=TEXT_MAX)
    at = _now()
    on_time = _verdict(at, petition.answer_due_at)
    petition.answer, petition.answered_at, petition.answered_by = answer, at, actor
    petition.answered_on_time, petition.state = on_time, Petition.State.ANSWERED
    petition.publish_due_at = _deadline(calendar_for(petition.agency), at, petition.rules.get("publish_days", 2))
    petition.next_due_at = petition.publish_due_at
    petition.search_text = _search_text(petition)
    _save(petition, "answer", "answered_at", "answered_by", "answered_on_time", "state", "publish_due_at",
          "next_due_at", "search_text")
    _event(petition, "answered", actor, from_state=Petition.State.ASSIGNED, agency=agency,
           due_at=petition.answer_due_at, on_time=on_time, note=answer[:500], at=at)
    return petition


@transaction.atomic
def publish_petition(actor: User, petition: Petition | int) -> Petition:
    """Publish the question and the answer on the portal (the sender's name masked)."""
    petition = _lock(petition)
    _require_state(petition, Petition.State.ANSWERED, action="công khai")
    agency = _require(actor, [petition.agency], PUBLISH_ROLES)
    at = _now()
    on_time = _verdict(at, petition.publish_due_at)
    petition.published_at, petition.published_on_time = at, on_time
    petition.state, petition.next_due_at = Petition.State.PUBLISHED, None
    _save(petition, "published_at", "published_on_time", "state", "next_due_at")
    _event(petition, "published", actor, from_state=Petition.State.ANSWERED, agency=agency,
           due_at=petition.publish_due_at, on_time=on_time, at=at)
    return petition


# --- petitions: the citizens' verdict on a published answer ---------------------------------------------------------

@transaction.atomic
def vote(petition: Petition | int, value: str, *, actor: User | None = None, secret: str = "") -> PetitionVote:
    """Like or dislike a published answer: once per citizen account, or once by the sender with code and secret."""
    pk = petition.pk if isinstance(petition, Petition) else petition
    petition = Petition.objects.filter(pk=pk).first()
    if petition is None:
        raise NotFound("petition_not_found", "Không tìm thấy phản ánh, kiến nghị.")
    if value not in PetitionVote.Value.values:
        raise DomainError("value_required", "Hãy chọn hài lòng hoặc không hài lòng với câu trả lời.", field="value")
    if petition.state != Petition.State.PUBLISHED:
        raise Conflict("not_published", "Câu trả lời chưa được công khai nên chưa thể bày tỏ ý kiến.")
    signed_in = actor is not None and getattr(actor, "is_authenticated", False)
    if signed_in and actor.is_applicant:
        key, voter = f"user:{actor.pk}", actor
    elif secret and secret_matches(secret, petition.secret):
        key, voter = (f"user:{petition.submitter_id}" if petition.submitter_id else "submitter"), None
    elif signed_in:
        raise Forbidden("Chỉ người dân, doanh nghiệp mới bày tỏ ý kiến về câu trả lời.")
    else:
        raise Forbidden("Hãy đăng nhập (hoặc nhập mã tra cứu của phản ánh) để bày tỏ ý kiến.", code="login_required")
    already = Conflict("already_voted", "Bạn đã bày tỏ ý kiến về câu trả lời này. Mỗi người chỉ chọn một lần.")
    if PetitionVote.objects.filter(petition=petition, voter_key=key).exists():
        raise already
    try:
        with transaction.atomic():
            ballot = PetitionVote.objects.create(petition=petition, value=value, voter=voter, voter_key=key,
                                                 at=_now())
    except IntegrityError as exc:
        raise already from exc
    Petition.objects.filter(pk=petition.pk).update(updated_at=_now())
    record("petition.voted", actor=actor if signed_in else None, obj=petition, agency=petition.agency,
           summary=f"{petition} {value}", data={"value": value})
    return ballot


def simulate(**kwargs):
    """Demo data: ratings for most returned simulated dossiers and a few dozen petitions (see ``simulation.py``)."""
    from .simulation import simulate as run

    return run(**kwargs)
