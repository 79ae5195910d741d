"""Every state change of a dossier: one transaction, a row lock, a permission check, an immutable event, an audit
record, notifications queued after commit. Illegal transitions are refused with a stable error code.

The life of a dossier (status codes of the national portal):

    draft ─submit→ 1 Mới đăng ký ─accept→ 2 Được tiếp nhận ─forward→ 4 Đang xử lý ─decide→ 9 Đã xử lý xong ─return→ 10
                     │  ├─refuse→ 3                      4 ⇄ 5 (supplement, clock paused) ⇄ 4;  5 ─no answer→ 8
                     │  └─supplement→ 5 ─supplemented→ 1 4 ⇄ 6 (financial obligation);  4/5/6 ─stop→ 8
                     └──────────── withdraw (before a decision) → 7
"""

from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from tinhso.catalog.models import Channel, ProcedureVersion
from tinhso.core import permissions
from tinhso.core.errors import DomainError, Forbidden, NotFound
from tinhso.core.models import Agency, Role, User
from tinhso.core.services import record

from . import clock
from .models import (
    Attachment,
    Consultation,
    Dossier,
    DossierEvent,
    DossierItem,
    DossierSequence,
    DossierStep,
    OneStopRules,
    Pause,
    PersonalDocument,
    Status,
    SupplementRequest,
)

DEFAULT_STEPS = [
    ("Tiếp nhận hồ sơ", Role.RECEIVING_OFFICER, 5),
    ("Thẩm định, xử lý", Role.SPECIALIST, 70),
    ("Phê duyệt", Role.AGENCY_LEADER, 20),
    ("Trả kết quả", Role.RECEIVING_OFFICER, 5),
]
HEAD_ROLES = (Role.DEPARTMENT_HEAD, Role.AGENCY_LEADER)


class Conflict(DomainError):
    status = 409


# --- helpers ------------------------------------------------------------------------------------------------------

_SIMULATED_NOW: ContextVar[datetime | None] = ContextVar("onestop_simulated_now", default=None)


def _now() -> datetime:
    return _SIMULATED_NOW.get() or timezone.now()


@contextmanager
def acting_at(moment: datetime):
    """Run service calls as if at ``moment`` (the simulator and tests replay dossiers over past days)."""
    token = _SIMULATED_NOW.set(moment)
    try:
        yield
    finally:
        _SIMULATED_NOW.reset(token)


def _lock(dossier: Dossier | int, expected_revision: int | None = None) -> Dossier:
    """Reload the dossier under a row lock; refuse if someone changed it since the caller looked at it."""
    pk = dossier.pk if isinstance(dossier, Dossier) else dossier
    try:  # a primary-key lookup without the model's default ordering: cheap to build and to plan
        locked = (Dossier.objects.select_for_update(of=("self",))
                  .select_related("procedure_version", "channel", "receiving_agency", "handling_agency",
                                  "current_step")
                  .order_by().get(pk=pk))
    except Dossier.DoesNotExist as exc:
        raise NotFound("dossier_not_found", "Không tìm thấy hồ sơ.") from exc
    if expected_revision is not None and locked.revision != expected_revision:
        raise Conflict("dossier_changed", "Hồ sơ vừa được người khác cập nhật. Hãy tải lại trang để xem trạng thái mới "
                                          "rồi thao tác lại.")
    return locked


def _require_status(dossier: Dossier, *allowed: int, action: str) -> None:
    if dossier.status not in allowed:
        names = ", ".join(f"“{Status(s).label}”" for s in allowed)
        raise Conflict(
            "illegal_transition",
            f"Không thể {action}: hồ sơ đang ở trạng thái “{Status(dossier.status).label}” (cần {names}).",
        )


def _role_at(actor: User, agency: Agency, roles: Iterable[str]) -> str | None:
    """The first of ``roles`` that ``actor`` holds for ``agency`` (or one above it)."""
    for role in roles:
        if permissions.has_role(actor, [role], agency):
            return role
    return None


def _require(actor: User, agency: Agency, roles: Iterable[str]) -> str:
    roles = list(roles)
    role = _role_at(actor, agency, roles)
    if role is None:
        names = ", ".join(str(Role(r).label) for r in roles)
        raise Forbidden(f"Thao tác này cần vai trò {names} tại {agency.name}.")
    return role


def _event(dossier: Dossier, action: str, actor: User | None, *, role: str = "", agency: Agency | None = None,
           from_status: int | None = None, from_step: DossierStep | None = None, note: str = "",
           attachments: Iterable[Attachment] = (), public: bool = True, data: dict | None = None,
           at: datetime | None = None) -> DossierEvent:
    event = DossierEvent.objects.create(
        dossier=dossier, at=at or _now(), action=action, actor=actor if actor and actor.pk else None,
        actor_name=str(actor) if actor else "hệ thống", actor_role=role, agency=agency,
        from_status=from_status, to_status=dossier.status, from_step=from_step, to_step=dossier.current_step,
        note=note, public=public, data=data or {},
    )
    if attachments:
        event.attachments.set(list(attachments))
    record(f"dossier.{action}", actor=actor, obj=dossier, agency=agency,
           summary=f"{dossier} {action}: {Status(dossier.status).label}", data={"note": note[:200]})
    return event


@transaction.atomic
def note_event(dossier: Dossier, action: str, actor: User | None, *, note: str = "", public: bool = False,
               data: dict | None = None, fields: dict | None = None) -> DossierEvent:
    """For other apps (payments, feedback): set some of the dossier's own fields and log the change as an event.

    The event log is the change feed the scoreboard follows, so every change that matters to it goes through here.
    """
    dossier = _lock(dossier)
    for name, value in (fields or {}).items():
        setattr(dossier, name, value)
    _save(dossier, *(fields or {}))
    return _event(dossier, action, actor, agency=dossier.handling_agency, from_status=dossier.status, note=note,
                  public=public, data=data)


def _save(dossier: Dossier, *fields: str) -> None:
    dossier.revision += 1
    dossier.save(update_fields=[*fields, "revision"])


def _notify(dossier: Dossier, kind: str, **extra) -> None:
    """Queue a notification after the transaction commits (nothing is sent for a change that rolled back)."""
    from . import tasks

    transaction.on_commit(partial(tasks.notify.enqueue, dossier.pk, kind, extra))


# --- drafts, submission, desk registration ------------------------------------------------------------------------

@dataclass
class ApplicantInfo:
    name: str
    id_number: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""


def _handling_agency(version: ProcedureVersion, receiving: Agency) -> Agency:
    """Commune centres hand to their People's Committee; provincial procedures to their implementing agency."""
    if receiving.kind == Agency.Kind.COMMUNE_SERVICE_CENTRE and receiving.parent_id:
        return receiving.parent
    implementing = list(version.implementing_agencies.order_by("code"))
    if receiving in implementing:
        return receiving
    province_level = [a for a in implementing if a.kind != Agency.Kind.COMMUNE_COMMITTEE]
    if province_level:
        return province_level[0]
    return receiving.parent or receiving


def receiving_agencies(version: ProcedureVersion) -> list[Agency]:
    """Where a dossier of this procedure may be filed: the desks of the agencies that handle it."""
    implementing = list(version.implementing_agencies.all())
    communes = [a.pk for a in implementing if a.kind == Agency.Kind.COMMUNE_COMMITTEE]
    desks = list(Agency.objects.filter(parent__in=communes, kind=Agency.Kind.COMMUNE_SERVICE_CENTRE, is_active=True))
    if len(communes) < len(implementing):  # provincial agencies receive through the provincial centre(s)
        desks += list(Agency.objects.filter(kind=Agency.Kind.SERVICE_CENTRE, is_active=True))
    unique = {a.pk: a for a in desks}
    return sorted(unique.values(), key=lambda a: a.code)


@transaction.atomic
def create_dossier(actor: User, *, procedure_code: str, channel_kind: str, receiving_agency: Agency,
                   applicant: ApplicantInfo | None = None, delivery: str = Dossier.Delivery.DESK,
                   delivery_address: str = "", draft: bool = True) -> Dossier:
    """Start a dossier: an applicant's online draft, or a walk-in registered by a receiving officer."""
    from tinhso.catalog.models import Procedure

    procedure = Procedure.objects.select_related("current").filter(code=procedure_code, is_published=True).first()
    if procedure is None or procedure.current is None:
        raise NotFound("procedure_not_found", f"Không tìm thấy thủ tục mã {procedure_code}.")
    version = procedure.current
    channel = version.channels.filter(kind=channel_kind).order_by("order").first()
    if channel is None:
        raise DomainError("channel_not_offered",
                          f"Thủ tục này không nhận hồ sơ qua hình thức “{Channel.Kind(channel_kind).label}”.",
                          field="channel")
    if channel_kind == Channel.Kind.ONLINE and version.online_level == ProcedureVersion.OnlineLevel.NONE:
        raise DomainError("online_not_offered", "Thủ tục này chưa cung cấp dịch vụ công trực tuyến.")
    if receiving_agency not in receiving_agencies(version):
        raise DomainError("wrong_receiving_agency",
                          f"{receiving_agency.name} không tiếp nhận hồ sơ của thủ tục này.", field="receiving_agency")
    if delivery not in Dossier.Delivery.values:
        raise DomainError("invalid_delivery", "Hình thức nhận kết quả không hợp lệ.", field="delivery")
    if delivery == Dossier.Delivery.POST and not delivery_address.strip():
        raise DomainError("delivery_address_required", "Cần địa chỉ nhận kết quả qua bưu chính.",
                          field="delivery_address")

    if actor.is_applicant:
        role = ""
        info = ApplicantInfo(name=actor.full_name or actor.username,
                             id_number=actor.identity_number or actor.tax_code, phone=actor.phone, email=actor.email,
                             address=actor.address)
        applicant_account = actor
    else:
        role = _require(actor, receiving_agency, [Role.RECEIVING_OFFICER])
        if applicant is None or not applicant.name.strip():
            raise DomainError("applicant_required", "Cần họ tên người nộp hồ sơ.", field="applicant_name")
        info, applicant_account, draft = applicant, None, False
        if info.id_number:
            applicant_account = User.objects.filter(identity_number=info.id_number).first() or User.objects.filter(
                tax_code=info.id_number).first()

    dossier = Dossier.objects.create(
        created_at=_now(), status=Status.NEW, is_draft=draft, procedure_version=version, channel=channel,
        receiving_agency=receiving_agency, handling_agency=_handling_agency(version, receiving_agency),
        applicant=applicant_account, applicant_name=info.name.strip()[:200], applicant_id_number=info.id_number,
        applicant_phone=info.phone, applicant_email=info.email, applicant_address=info.address,
        delivery=delivery, delivery_address=delivery_address.strip(),
        submitted_at=None if draft else _now(),
    )
    DossierItem.objects.bulk_create(
        DossierItem(dossier=dossier, component=c, order=c.order, name=c.name, mandatory=c.mandatory)
        for c in version.components.all()
    )
    _event(dossier, "created" if draft else "registered", actor, role=role,
           agency=receiving_agency if role else None, public=not draft)
    return dossier


def _owner_or_officer(actor: User, dossier: Dossier) -> str:
    if actor.is_applicant:
        if dossier.applicant_id != actor.pk:
            raise Forbidden("Đây không phải hồ sơ của bạn.")
        return ""
    return _require(actor, dossier.receiving_agency, [Role.RECEIVING_OFFICER])


@transaction.atomic
def add_attachment(actor: User, dossier: Dossier, upload, *, item: DossierItem | None = None,
                   kind: str = Attachment.Kind.INPUT, digitised: bool = False) -> Attachment:
    """Store an applicant's (or the desk's) file after checking its type by content, its size and the file count.

    Result files go through ``attach_result`` (the step's officer), never through here.
    """
    if kind not in (Attachment.Kind.INPUT, Attachment.Kind.SUPPLEMENT):
        raise DomainError("invalid_kind", "Loại tệp không hợp lệ.", field="kind")
    dossier = _lock(dossier)
    _owner_or_officer(actor, dossier)
    return _store_attachment(actor, dossier, upload, item=item, kind=kind, digitised=digitised)


def _store_attachment(actor: User, dossier: Dossier, upload, *, item: DossierItem | None, kind: str,
                      digitised: bool = False) -> Attachment:
    from tinhso.core import uploads
    if kind in (Attachment.Kind.INPUT,) and not (dossier.is_draft or dossier.status == Status.NEW):
        raise Conflict("dossier_submitted", "Hồ sơ đã nộp; chỉ bổ sung giấy tờ khi được yêu cầu.")
    if kind == Attachment.Kind.SUPPLEMENT and dossier.status != Status.SUPPLEMENT:
        raise Conflict("no_supplement_requested", "Hồ sơ không có yêu cầu bổ sung.")
    if item is not None and item.dossier_id != dossier.pk:
        raise DomainError("wrong_item", "Thành phần không thuộc hồ sơ này.", field="item")
    applicant_kinds = (Attachment.Kind.INPUT, Attachment.Kind.SUPPLEMENT)
    counted = dossier.attachments.filter(kind__in=applicant_kinds).count() if kind in applicant_kinds else 0
    checked = uploads.check_upload(upload, existing_count=counted)
    attachment = Attachment(dossier=dossier, item=item, kind=kind, name=checked.name, uploaded_at=_now(),
                            content_type=checked.content_type, size=checked.size, sha256=checked.sha256,
                            uploaded_by=actor)
    attachment.file.save(checked.name, ContentFile(checked.content), save=False)
    attachment.save()
    if item is not None and digitised and not actor.is_applicant:
        item.digitised = True
        item.save(update_fields=["digitised"])
    return attachment


@transaction.atomic
def remove_attachment(actor: User, attachment: Attachment) -> None:
    dossier = _lock(attachment.dossier_id)
    _owner_or_officer(actor, dossier)
    waiting_supplement = dossier.status == Status.SUPPLEMENT and attachment.kind == Attachment.Kind.SUPPLEMENT \
        and not attachment.events.exists()  # not yet handed in with a "supplemented" event
    if not (dossier.is_draft or waiting_supplement or (dossier.status == Status.NEW and not actor.is_applicant)):
        raise Conflict("dossier_submitted", "Không thể xóa tệp của hồ sơ đã nộp.")
    item_id, from_store = attachment.item_id, attachment.store_document_id is not None
    _delete_stored_file(attachment)
    attachment.delete()
    if from_store and item_id and not Attachment.objects.filter(item_id=item_id,
                                                                store_document__isnull=False).exists():
        DossierItem.objects.filter(pk=item_id).update(reused=False, from_store=False)


def _delete_stored_file(attachment: Attachment) -> None:
    """Delete an attachment's stored file unless the personal document store shares it (an attachment taken from
    the store points at the store's file; a store entry made from an attachment points at the attachment's)."""
    if attachment.store_document_id is not None or PersonalDocument.objects.filter(
            source_attachment=attachment).exists():
        return
    attachment.file.delete(save=False)


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.lstrip("-+•* ").split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


@transaction.atomic
def discard_draft(actor: User, dossier: Dossier) -> None:
    """Delete a draft that was never submitted, with its files (nothing public happened to it)."""
    dossier = _lock(dossier)
    _owner_or_officer(actor, dossier)
    if not dossier.is_draft:
        raise Conflict("not_a_draft", "Chỉ xóa được bản nháp chưa nộp; hồ sơ đã nộp thì dùng “Rút hồ sơ”.")
    for attachment in dossier.attachments.all():
        _delete_stored_file(attachment)
    record("dossier.draft_discarded", actor=actor, obj=dossier, summary=f"Xóa bản nháp #{dossier.pk}")
    dossier.delete()


def missing_mandatory(dossier: Dossier) -> list[DossierItem]:
    with_files = set(dossier.attachments.filter(item__isnull=False).values_list("item_id", flat=True))
    return [i for i in dossier.items.all() if i.mandatory and i.pk not in with_files]


@transaction.atomic
def submit(actor: User, dossier: Dossier) -> Dossier:
    """The applicant submits the draft: status 1 "Mới đăng ký", waiting for the receiving officer."""
    dossier = _lock(dossier)
    _owner_or_officer(actor, dossier)
    if not dossier.is_draft:
        raise Conflict("already_submitted", "Hồ sơ đã được nộp.")
    missing = missing_mandatory(dossier)
    if missing and dossier.is_online:
        names = "; ".join(_short(i.name) for i in missing[:5])
        raise DomainError("components_missing", f"Còn thiếu giấy tờ bắt buộc: {names}.", field="items")
    dossier.is_draft, dossier.submitted_at = False, _now()
    _save(dossier, "is_draft", "submitted_at")
    _event(dossier, "submitted", actor)
    _notify(dossier, "submitted")
    return dossier


def submit_online(actor: User, *, procedure_code: str, receiving_agency: Agency, files: dict[int, list],
                  delivery: str = Dossier.Delivery.DESK, delivery_address: str = "",
                  client_key: str = "") -> tuple[Dossier, bool]:
    """An application's one-call online submission: the draft, its files (``files``: component order → uploads) and
    the submission in one transaction. ``client_key`` (the request's Idempotency-Key) makes it safe to send again:
    the same key from the same applicant returns the dossier already made and ``False`` (never a second dossier,
    also when both requests run at once)."""
    client_key = (client_key or "").strip()[:64]
    if client_key:
        existing = Dossier.objects.filter(applicant=actor, client_key=client_key).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            dossier = create_dossier(actor, procedure_code=procedure_code, channel_kind=Channel.Kind.ONLINE,
                                     receiving_agency=receiving_agency, delivery=delivery,
                                     delivery_address=delivery_address)
            if client_key:
                dossier.client_key = client_key
                dossier.save(update_fields=["client_key"])
            items = {item.order: item for item in dossier.items.all()}
            for order, uploads in files.items():
                if order not in items:
                    raise DomainError("unknown_item", f"Thủ tục không có thành phần hồ sơ số {order}.", field="files")
                for upload in uploads:
                    add_attachment(actor, dossier, upload, item=items[order])
            return submit(actor, dossier), True
    except IntegrityError:
        existing = Dossier.objects.filter(applicant=actor, client_key=client_key).first() if client_key else None
        if existing is None:
            raise
        return existing, False


# --- reception ----------------------------------------------------------------------------------------------------

def _next_code(dossier: Dossier, at: datetime, template: str) -> str:
    agency, day = dossier.receiving_agency, timezone.localtime(at).date()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                seq, _ = DossierSequence.objects.select_for_update().get_or_create(agency=agency, day=day)
                seq.last += 1
                seq.save(update_fields=["last"])
            break
        except IntegrityError:  # two first-of-the-day acceptances raced on the insert: retry, the row exists now
            continue
    else:
        raise Conflict("code_sequence_busy", "Không cấp được mã hồ sơ, hãy thử lại.")
    g4, g3, g2, g1 = agency.code.split(".")
    return template.format(agency=agency.code, agency_reversed=f"{g1}.{g2}.{g3}.{g4}",
                           yymmdd=day.strftime("%y%m%d"), seq=seq.last)


def _instantiate_steps(dossier: Dossier, at: datetime) -> list[DossierStep]:
    template = list(dossier.procedure_version.process_steps.select_related("agency").all())
    specs = [(s.name, s.role, s.share_percent, s.agency) for s in template] or [
        (name, role, share, None) for name, role, share in DEFAULT_STEPS
    ]
    steps = []
    for order, (name, role, share, agency) in enumerate(specs, start=1):
        if agency is None:
            agency = dossier.receiving_agency if role == Role.RECEIVING_OFFICER else dossier.handling_agency
        steps.append(DossierStep(dossier=dossier, order=order, name=name, role=role, agency=agency,
                                 share_percent=share))
    return DossierStep.objects.bulk_create(steps)


def _start_step(dossier: Dossier, step: DossierStep, at: datetime, cal) -> None:
    step.started_at, step.finished_at, step.result = at, None, ""
    step.due_at = clock.step_due(dossier, step, cal)
    step.save(update_fields=["started_at", "finished_at", "result", "due_at"])
    dossier.current_step = step


def _step_data(step: DossierStep) -> dict:
    return {"step": step.order, "result": step.result,
            "step_due": step.due_at.isoformat() if step.due_at else None}


def _finish_step(step: DossierStep, at: datetime, cal) -> None:
    step.finished_at = at
    step.result = cal.step_result(at, step.due_at) if step.due_at else ""
    step.save(update_fields=["finished_at", "result"])


@transaction.atomic
def accept(actor: User, dossier: Dossier, *, expected_revision: int | None = None, note: str = "",
           digitised_items: Iterable[int] | None = None) -> Dossier:
    """Accept a complete dossier: its code, the due instant, the process steps; form 01 can now be printed.

    ``digitised_items``: the components the officer marks as digitised (ids of the dossier's items); ``None`` marks
    every component that has a file. Files the applicant uploaded online (or took from their store) count as
    digitised in any case. The digitised components' files go into the applicant's personal document store when the
    dossier has an applicant account.
    """
    dossier = _lock(dossier, expected_revision)
    role = _require(actor, dossier.receiving_agency, [Role.RECEIVING_OFFICER])
    if dossier.is_draft:
        raise Conflict("not_submitted", "Hồ sơ chưa được nộp.")
    _require_status(dossier, Status.NEW, action="tiếp nhận hồ sơ")
    at = _now()
    rules = OneStopRules.in_force(timezone.localtime(at).date())
    dossier.rules = {**rules.snapshot(), "deadline_mode": dossier.procedure_version.deadline_mode,
                     "use_cutoff": dossier.procedure_version.use_cutoff}
    dossier.received_at = at
    cal = clock.dossier_calendar(dossier)
    dossier.due_at = dossier.original_due_at = clock.compute_due(dossier, cal)
    dossier.code = _next_code(dossier, at, rules.code_template)
    digitised, stored = _digitise(actor, dossier, digitised_items, at)
    dossier.status = Status.ACCEPTED
    steps = _instantiate_steps(dossier, at)
    first = steps[0]
    first.started_at = at
    first.due_at = clock.step_due(dossier, first, cal)
    first.assignee = actor
    first.save(update_fields=["started_at", "due_at", "assignee"])
    _finish_step(first, at, cal)
    from_status = Status.NEW
    if len(steps) > 1:
        _start_step(dossier, steps[1], at, cal)
    else:
        dossier.current_step = first
    _save(dossier, "rules", "received_at", "due_at", "original_due_at", "code", "status", "current_step")
    _event(dossier, "accepted", actor, role=role, agency=dossier.receiving_agency, from_status=from_status,
           from_step=first, note=note, at=at,
           data={"due_at": dossier.due_at.isoformat(), **_step_data(first), "digitised": digitised,
                 "stored": stored})
    _notify(dossier, "accepted")
    if dossier.current_step is not None and dossier.current_step.finished_at is None:
        _notify(dossier, "step_started")
    return dossier


@transaction.atomic
def refuse(actor: User, dossier: Dossier, reason: str, *, expected_revision: int | None = None) -> Dossier:
    """Refuse to receive (form 03): the reason is required."""
    dossier = _lock(dossier, expected_revision)
    role = _require(actor, dossier.receiving_agency, [Role.RECEIVING_OFFICER])
    _require_status(dossier, Status.NEW, action="từ chối tiếp nhận")
    if not reason.strip():
        raise DomainError("reason_required", "Cần ghi rõ lý do từ chối tiếp nhận.", field="reason")
    dossier.status = Status.REFUSED
    dossier.finished_at = _now()
    _save(dossier, "status", "finished_at")
    _event(dossier, "refused", actor, role=role, agency=dossier.receiving_agency, from_status=Status.NEW,
           note=reason.strip())
    _notify(dossier, "refused", reason=reason.strip())
    return dossier


@transaction.atomic
def request_supplement(actor: User, dossier: Dossier, items: list[str], reason: str = "", *,
                       expected_revision: int | None = None) -> SupplementRequest:
    """Form 02: list every missing or wrong item at once. At reception the dossier waits unaccepted; during
    processing the clock pauses (or restarts when complete, per the rules in force at receipt)."""
    dossier = _lock(dossier, expected_revision)
    items = [i.strip() for i in items if i and i.strip()]
    if not items:
        raise DomainError("items_required", "Cần liệt kê đầy đủ các giấy tờ phải bổ sung, hoàn thiện.", field="items")
    at = _now()
    from_status, from_step = dossier.status, dossier.current_step
    if dossier.status == Status.NEW:
        role = _require(actor, dossier.receiving_agency, [Role.RECEIVING_OFFICER])
        stage, agency = SupplementRequest.Stage.RECEPTION, dossier.receiving_agency
    else:
        _require_status(dossier, Status.ACCEPTED, Status.PROCESSING, action="yêu cầu bổ sung")
        step = _current_step(dossier)
        role = _require_step_actor(actor, step)
        stage, agency = SupplementRequest.Stage.PROCESSING, step.agency
        dossier.supplement_count += 1
        Pause.objects.create(dossier=dossier, reason=Pause.Reason.SUPPLEMENT, started_at=at)
    rules = dossier.rules or OneStopRules.in_force(timezone.localtime(at).date()).snapshot()
    cal = clock.dossier_calendar(dossier)
    wait_until = cal.due(at, rules.get("supplement_wait_days", 15), "working_day", mode="days")
    request = SupplementRequest.objects.create(dossier=dossier, stage=stage, items=items, reason=reason.strip(),
                                               requested_at=at, requested_by=actor, wait_until=wait_until)
    dossier.status = Status.SUPPLEMENT
    _save(dossier, "status", "supplement_count")
    _event(dossier, "supplement_requested", actor, role=role, agency=agency, from_status=from_status,
           from_step=from_step, note="; ".join(items) + (f" — {reason.strip()}" if reason.strip() else ""),
           data={"stage": stage, "count": dossier.supplement_count})
    _notify(dossier, "supplement_requested")
    return request


@transaction.atomic
def provide_supplement(actor: User, dossier: Dossier, note: str = "") -> Dossier:
    """The applicant (online) or the desk (on paper) hands in the supplement; the clock resumes."""
    dossier = _lock(dossier)
    role = _owner_or_officer(actor, dossier)
    _require_status(dossier, Status.SUPPLEMENT, action="nộp bổ sung")
    request = dossier.supplement_requests.filter(provided_at__isnull=True).order_by("-requested_at").first()
    if request is None:
        raise Conflict("no_supplement_requested", "Hồ sơ không có yêu cầu bổ sung đang chờ.")
    at = _now()
    request.provided_at = at
    request.save(update_fields=["provided_at"])
    if request.stage == SupplementRequest.Stage.RECEPTION:
        dossier.status = Status.NEW
        _save(dossier, "status")
    else:
        _resume(dossier, at)
        dossier.status = _running_status(dossier)
        _save(dossier, "status", "due_at", "current_step")
    files = dossier.attachments.filter(kind=Attachment.Kind.SUPPLEMENT, uploaded_at__gte=request.requested_at)
    _event(dossier, "supplemented", actor, role=role, from_status=Status.SUPPLEMENT, note=note, attachments=files)
    _notify(dossier, "supplemented")
    return dossier


def _running_status(dossier: Dossier) -> int:
    """Where a paused dossier goes back to: 2 if it never left its first processing step, else 4."""
    forwarded = dossier.events.filter(action__in=["forwarded", "sent_back"]).exists()
    return Status.PROCESSING if forwarded else Status.ACCEPTED


def _resume(dossier: Dossier, at: datetime) -> None:
    pause = dossier.pauses.filter(ended_at__isnull=True).first()
    if pause is None:
        return
    pause.ended_at = at
    pause.save(update_fields=["ended_at"])
    cal = clock.dossier_calendar(dossier)
    paused = cal.office_time_between(pause.started_at, at)
    dossier.due_at = clock.compute_due(dossier, cal)
    step = dossier.current_step
    if step is not None and step.due_at is not None:
        step.due_at = cal.add_office_time(step.due_at, paused)
        step.save(update_fields=["due_at"])


# --- processing ---------------------------------------------------------------------------------------------------

def _current_step(dossier: Dossier) -> DossierStep:
    if dossier.current_step is None:
        raise Conflict("no_current_step", "Hồ sơ không ở bước xử lý nào.")
    return dossier.current_step


def _require_step_actor(actor: User, step: DossierStep) -> str:
    """The step's own role at its agency; a head of that agency may act too. An assigned step is the assignee's."""
    role = _require(actor, step.agency, [step.role, *HEAD_ROLES])
    if step.assignee_id and step.assignee_id != actor.pk and role not in HEAD_ROLES:
        raise Forbidden(f"Bước này đã được giao cho {step.assignee}.")
    return role


@transaction.atomic
def assign(actor: User, dossier: Dossier, assignee: User, *, expected_revision: int | None = None) -> Dossier:
    """A head (or the step's own officer, to take it) gives the current step to a person holding its role."""
    dossier = _lock(dossier, expected_revision)
    _require_status(dossier, Status.ACCEPTED, Status.PROCESSING, Status.SUPPLEMENT, Status.DONE,
                    action="phân công")
    step = _current_step(dossier)
    role = _require(actor, step.agency, [*HEAD_ROLES, step.role])
    if role not in HEAD_ROLES and assignee.pk != actor.pk:
        raise Forbidden("Chỉ lãnh đạo mới được giao hồ sơ cho người khác.")
    if not permissions.has_role(assignee, [step.role], step.agency):
        raise DomainError("assignee_not_eligible",
                          f"{assignee} không có vai trò {Role(step.role).label} tại {step.agency.name}.",
                          field="assignee")
    step.assignee = assignee
    step.save(update_fields=["assignee"])
    _save(dossier)
    _event(dossier, "assigned", actor, role=role, agency=step.agency, from_status=dossier.status, from_step=step,
           note=f"Giao {step.name} cho {assignee}", public=False, data={"assignee": assignee.pk})
    _notify(dossier, "assigned", user_id=assignee.pk)
    return dossier


@transaction.atomic
def bulk_assign(actor: User, dossiers: Iterable[Dossier], assignee: User) -> int:
    """Assign several dossiers at once: all or none. The first refusal is raised with the refused dossier as its
    ``dossier`` attribute (the caller names it) and undoes the rest.

    Every dossier is locked first, in id order, before anything is recorded: each assignment appends to the audit
    chain, whose head stays locked until the commit, so locking the next dossier after an append could wait in a
    cycle with a single-dossier service that holds that dossier and waits for the head."""
    dossiers = list(dossiers)
    list(Dossier.objects.select_for_update(of=("self",)).filter(pk__in=[d.pk for d in dossiers]).order_by("pk")
         .values_list("pk", flat=True))
    count = 0
    for dossier in dossiers:
        try:
            assign(actor, dossier, assignee)
        except DomainError as exc:
            exc.dossier = dossier
            raise
        count += 1
    return count


@transaction.atomic
def forward(actor: User, dossier: Dossier, *, note: str = "", to_agency: Agency | None = None,
            expected_revision: int | None = None) -> Dossier:
    """Finish the current step and start the next one; ``to_agency`` sends it to another agency (liên thông)."""
    dossier = _lock(dossier, expected_revision)
    _require_status(dossier, Status.ACCEPTED, Status.PROCESSING, action="chuyển bước tiếp theo")
    step = _current_step(dossier)
    role = _require_step_actor(actor, step)
    steps = list(dossier.steps.order_by("order"))
    later = [s for s in steps if s.order > step.order]
    if not later:
        raise Conflict("last_step", "Đây là bước cuối; hãy trả kết quả.")
    nxt = later[0]
    if nxt.role == Role.RECEIVING_OFFICER and nxt is later[-1]:
        raise Conflict("decision_required", "Bước tiếp theo là trả kết quả: cần phê duyệt kết quả trước.")
    at = _now()
    cal = clock.dossier_calendar(dossier)
    _finish_step(step, at, cal)
    if to_agency is not None and to_agency.pk != nxt.agency_id:
        nxt.agency = to_agency
        nxt.assignee = None
        nxt.save(update_fields=["agency", "assignee"])
    from_status = dossier.status
    _start_step(dossier, nxt, at, cal)
    dossier.status = Status.PROCESSING
    _save(dossier, "status", "current_step")
    _event(dossier, "forwarded", actor, role=role, agency=step.agency, from_status=from_status, from_step=step,
           note=note, data={"to_agency": nxt.agency.code, **_step_data(step)}, at=at)
    _notify(dossier, "step_started")
    return dossier


@transaction.atomic
def send_back(actor: User, dossier: Dossier, to_order: int, reason: str, *,
              expected_revision: int | None = None) -> Dossier:
    """Return the dossier to an earlier step, with the reason; the steps in between are reopened."""
    dossier = _lock(dossier, expected_revision)
    _require_status(dossier, Status.PROCESSING, action="trả lại bước trước")
    step = _current_step(dossier)
    role = _require_step_actor(actor, step)
    if not reason.strip():
        raise DomainError("reason_required", "Cần ghi lý do trả lại.", field="reason")
    target = dossier.steps.filter(order=to_order).first()
    if target is None or target.order >= step.order or target.order == 1:
        raise DomainError("invalid_step", "Chỉ trả lại về một bước xử lý trước bước hiện tại.", field="to_order")
    at = _now()
    cal = clock.dossier_calendar(dossier)
    _finish_step(step, at, cal)
    step_data = _step_data(step)  # kept in the history: the reopened step's own row is reset below
    dossier.steps.filter(order__gt=target.order, order__lte=step.order).update(finished_at=None, started_at=None,
                                                                                 result="", due_at=None)
    _start_step(dossier, target, at, cal)
    _save(dossier, "current_step")
    _event(dossier, "sent_back", actor, role=role, agency=step.agency, from_status=dossier.status, from_step=step,
           note=reason.strip(), public=False, at=at, data=step_data)
    _notify(dossier, "step_started")
    return dossier


@transaction.atomic
def consult(actor: User, dossier: Dossier, agency: Agency, question: str, working_days: int) -> Consultation:
    """Ask another agency's opinion with its own deadline; the dossier stays in processing."""
    dossier = _lock(dossier)
    _require_status(dossier, Status.ACCEPTED, Status.PROCESSING, action="xin ý kiến")
    step = _current_step(dossier)
    role = _require_step_actor(actor, step)
    if not question.strip():
        raise DomainError("question_required", "Cần nội dung xin ý kiến.", field="question")
    if working_days < 1:
        raise DomainError("invalid_days", "Thời hạn trả lời ít nhất 1 ngày làm việc.", field="working_days")
    at = _now()
    due = clock.calendar_for(agency).due(at, working_days, "working_day")
    consultation = Consultation.objects.create(dossier=dossier, agency=agency, question=question.strip(),
                                               requested_at=at, requested_by=actor, due_at=due)
    _save(dossier)
    _event(dossier, "consulted", actor, role=role, agency=step.agency, from_status=dossier.status, from_step=step,
           note=f"Xin ý kiến {agency.name}: {question.strip()}", public=False)
    return consultation


@transaction.atomic
def answer_consultation(actor: User, consultation: Consultation, answer: str) -> Consultation:
    dossier = _lock(consultation.dossier_id)
    role = _require(actor, consultation.agency, [Role.SPECIALIST, *HEAD_ROLES])
    consultation = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if consultation.answered_at is not None:
        raise Conflict("already_answered", "Đã trả lời xin ý kiến này.")
    if not answer.strip():
        raise DomainError("answer_required", "Cần nội dung ý kiến.", field="answer")
    consultation.answer, consultation.answered_at = answer.strip(), _now()
    consultation.save(update_fields=["answer", "answered_at"])
    _save(dossier)
    _event(dossier, "consultation_answered", actor, role=role, agency=consultation.agency,
           from_status=dossier.status, note=answer.strip(), public=False)
    return consultation


@transaction.atomic
def attach_result(actor: User, dossier: Dossier, upload) -> Attachment:
    dossier = _lock(dossier)
    _require_status(dossier, Status.PROCESSING, Status.DONE, action="đính kèm kết quả")
    step = _current_step(dossier)
    _require_step_actor(actor, step)
    attachment = _store_attachment(actor, dossier, upload, item=None, kind=Attachment.Kind.RESULT)
    if not dossier.electronic_result:  # a result file exists: the result is issued electronically (QĐ 766, 4.1)
        dossier.electronic_result = True
        dossier.save(update_fields=["electronic_result"])
    return attachment


@transaction.atomic
def decide(actor: User, dossier: Dossier, outcome: str, note: str = "", *,
           expected_revision: int | None = None) -> Dossier:
    """The head approves (a result document must be attached) or refuses with a reason: status 9."""
    dossier = _lock(dossier, expected_revision)
    _require_status(dossier, Status.PROCESSING, action="phê duyệt kết quả")
    step = _current_step(dossier)
    role = _require(actor, step.agency, [step.role]) if step.role in HEAD_ROLES else None
    if role is None:
        raise Forbidden("Chỉ lãnh đạo ở bước phê duyệt mới được quyết định kết quả.")
    remaining_steps = list(dossier.steps.filter(order__gt=step.order).order_by("order"))
    if any(s.role != Role.RECEIVING_OFFICER for s in remaining_steps):
        raise Conflict("not_final_step", "Còn bước xử lý khác trước khi phê duyệt; hãy chuyển tiếp.")
    if outcome == Dossier.Outcome.APPROVED:
        if not dossier.attachments.filter(kind=Attachment.Kind.RESULT).exists():
            raise DomainError("result_required", "Cần đính kèm văn bản kết quả trước khi phê duyệt.")
    elif outcome == Dossier.Outcome.REFUSED:
        if not note.strip():
            raise DomainError("reason_required", "Cần ghi lý do từ chối giải quyết.", field="note")
    else:
        raise DomainError("invalid_outcome", "Kết quả phải là giải quyết hoặc từ chối.", field="outcome")
    at = _now()
    cal = clock.dossier_calendar(dossier)
    _finish_step(step, at, cal)
    dossier.outcome, dossier.finished_at, dossier.status = outcome, at, Status.DONE
    dossier.electronic_result = dossier.attachments.filter(kind=Attachment.Kind.RESULT).exists()
    if remaining_steps:
        _start_step(dossier, remaining_steps[0], at, cal)
    _save(dossier, "outcome", "finished_at", "status", "current_step", "electronic_result")
    _event(dossier, "decided", actor, role=role, agency=step.agency, from_status=Status.PROCESSING, from_step=step,
           note=note.strip(), data={"outcome": outcome, **_step_data(step),
                                    "electronic_result": dossier.electronic_result}, at=at,
           attachments=dossier.attachments.filter(kind=Attachment.Kind.RESULT))
    _notify(dossier, "done", reason=note.strip() if outcome == Dossier.Outcome.REFUSED else "")
    return dossier


@transaction.atomic
def return_result(actor: User, dossier: Dossier, *, recipient_name: str = "", tracking_number: str = "",
                  expected_revision: int | None = None) -> Dossier:
    """Hand the result over: at the desk (the recipient's name), by post (tracking number) or electronically."""
    dossier = _lock(dossier, expected_revision)
    role = _require(actor, dossier.receiving_agency, [Role.RECEIVING_OFFICER])
    _require_status(dossier, Status.DONE, action="trả kết quả")
    if dossier.delivery == Dossier.Delivery.DESK and not recipient_name.strip():
        raise DomainError("recipient_required", "Cần họ tên người nhận kết quả.", field="recipient_name")
    if dossier.delivery == Dossier.Delivery.POST and not tracking_number.strip():
        raise DomainError("tracking_required", "Cần số vận đơn bưu chính.", field="tracking_number")
    if dossier.delivery == Dossier.Delivery.ELECTRONIC and dossier.outcome == Dossier.Outcome.APPROVED and not \
            dossier.attachments.filter(kind=Attachment.Kind.RESULT).exists():
        raise DomainError("result_required", "Chưa có tệp kết quả để trả trực tuyến.")
    at = _now()
    step = dossier.current_step
    if step is not None and step.finished_at is None:
        _finish_step(step, at, clock.dossier_calendar(dossier))
    dossier.recipient_name, dossier.tracking_number = recipient_name.strip(), tracking_number.strip()
    dossier.returned_at, dossier.status = at, Status.RETURNED
    results = list(dossier.attachments.filter(kind=Attachment.Kind.RESULT).order_by("uploaded_at", "id"))
    dossier.electronic_result = bool(results)
    stored = 0
    if results and dossier.applicant_id and dossier.outcome == Dossier.Outcome.APPROVED:
        stored = _put_in_store(dossier, results, PersonalDocument.Kind.RESULT, at)
        dossier.result_in_store = True
    _save(dossier, "recipient_name", "tracking_number", "returned_at", "status", "electronic_result",
          "result_in_store")
    _event(dossier, "returned", actor, role=role, agency=dossier.receiving_agency, from_status=Status.DONE,
           from_step=step, note=dossier.get_delivery_display(),
           data={"electronic_result": dossier.electronic_result, "result_in_store": dossier.result_in_store,
                 "stored": stored})
    _notify(dossier, "returned")
    return dossier


# --- digitisation and the personal document store (kho dữ liệu cá nhân) ------------------------------------------

def _digitise(actor: User, dossier: Dossier, chosen: Iterable[int] | None, at: datetime) -> tuple[list[int], int]:
    """At acceptance: set each component's ``digitised`` flag and put the digitised files into the applicant's
    store. Returns the digitised items' ids and the number of new store entries."""
    items = {i.pk: i for i in dossier.items.select_related("component").order_by("order", "id")}
    files: dict[int, list[Attachment]] = {}
    for attachment in dossier.attachments.filter(item__isnull=False, kind__in=(
            Attachment.Kind.INPUT, Attachment.Kind.SUPPLEMENT)).order_by("uploaded_at", "id"):
        files.setdefault(attachment.item_id, []).append(attachment)
    if chosen is None:
        marked = {pk for pk in items if files.get(pk)}
    else:
        marked = set()
        for pk in chosen:
            if pk not in items:
                raise DomainError("wrong_item", "Thành phần không thuộc hồ sơ này.", field="digitised")
            if not files.get(pk):
                raise DomainError("item_without_file",
                                  f"Thành phần “{_short(items[pk].name)}” chưa có tệp nên chưa thể đánh dấu đã số "
                                  "hóa; hãy tải bản quét lên trước.", field="digitised")
            marked.add(pk)
    # What the applicant filed electronically (uploaded from their account or taken from their store) is digitised.
    for pk, attachments in files.items():
        if any(a.store_document_id or (dossier.applicant_id and a.uploaded_by_id == dossier.applicant_id)
               for a in attachments):
            marked.add(pk)
    dossier.items.filter(pk__in=marked).update(digitised=True)
    dossier.items.exclude(pk__in=marked).update(digitised=False)
    stored = 0
    if dossier.applicant_id:
        to_store = [a for pk in sorted(marked, key=lambda pk: items[pk].order) for a in files[pk]
                    if a.store_document_id is None]
        stored = _put_in_store(dossier, to_store, PersonalDocument.Kind.DIGITISED, at, items=items)
    return sorted(marked), stored


def _result_title(dossier: Dossier) -> str:
    results = [r.get("name", "").strip() for r in (dossier.procedure_version.results or []) if isinstance(r, dict)]
    name = next((r for r in results if r), "")
    return _short(name, 300) if name else _short(f"Kết quả giải quyết: {dossier.procedure_version.name}", 300)


def _put_in_store(dossier: Dossier, attachments: list[Attachment], kind: str, at: datetime, *,
                  items: dict[int, DossierItem] | None = None) -> int:
    """One store entry per file, pointing at the attachment's stored file; content the owner already keeps
    (visible, same SHA-256 and kind) is not added twice."""
    owner_id = dossier.applicant_id
    known = set(PersonalDocument.objects.filter(owner_id=owner_id, kind=kind, hidden_at__isnull=True,
                                                sha256__in=[a.sha256 for a in attachments])
                .values_list("sha256", flat=True))
    version = dossier.procedure_version
    issued = timezone.localtime(dossier.finished_at or at).date() if kind == PersonalDocument.Kind.RESULT else None
    entries = []
    for attachment in attachments:
        if attachment.sha256 in known:
            continue
        known.add(attachment.sha256)
        item = (items or {}).get(attachment.item_id) if attachment.item_id else None
        component_name = (item.name.lstrip("-+•* \t") or item.name) if item else ""
        entries.append(PersonalDocument(
            owner_id=owner_id, kind=kind,
            title=_short(component_name, 480) if item else _result_title(dossier),
            component=item.component if item else None, component_name=component_name,
            procedure_code=version.procedure.code, procedure_name=version.name,
            source_dossier=dossier, source_dossier_code=dossier.code or "", source_attachment=attachment,
            file=attachment.file.name, name=attachment.name, content_type=attachment.content_type,
            size=attachment.size, sha256=attachment.sha256, uploaded_by_id=attachment.uploaded_by_id,
            uploaded_at=attachment.uploaded_at, issued_on=issued, created_at=at))
    PersonalDocument.objects.bulk_create(entries)
    return len(entries)


def _own_store_document(owner_id: int, document: PersonalDocument | int) -> PersonalDocument:
    """A visible entry of ``owner_id``'s store, locked; ``Forbidden`` for anybody else's."""
    pk = document.pk if isinstance(document, PersonalDocument) else document
    found = PersonalDocument.objects.select_for_update().filter(pk=pk, hidden_at__isnull=True).first()
    if found is None:
        raise NotFound("document_not_found", "Không tìm thấy giấy tờ trong kho.")
    if found.owner_id != owner_id:
        raise Forbidden("Giấy tờ này không thuộc kho giấy tờ của người nộp hồ sơ.")
    return found


@transaction.atomic
def attach_from_store(actor: User, dossier: Dossier, item: DossierItem, document: PersonalDocument | int) -> Attachment:
    """Use a document of the applicant's store for a component instead of uploading it again: a new attachment
    pointing at the same stored file; the component is flagged reused and taken from the store (QĐ 766, 4.3–4.4).

    The applicant does it in their draft; a receiving officer may do it for a dossier filed at the desk by someone
    with an account, from that account's store only.
    """
    from tinhso.core import uploads

    dossier = _lock(dossier)
    _owner_or_officer(actor, dossier)
    if dossier.applicant_id is None:
        raise DomainError("no_applicant_account", "Người nộp hồ sơ này không có tài khoản nên không có kho giấy tờ.")
    document = _own_store_document(dossier.applicant_id, document)
    if not (dossier.is_draft or dossier.status == Status.NEW):
        raise Conflict("dossier_submitted", "Hồ sơ đã nộp; chỉ bổ sung giấy tờ khi được yêu cầu.")
    if item.dossier_id != dossier.pk:
        raise DomainError("wrong_item", "Thành phần không thuộc hồ sơ này.", field="item")
    if Attachment.objects.filter(item=item, store_document=document).exists():
        raise Conflict("already_attached", f"Giấy tờ “{_short(document.title)}” đã được dùng cho thành phần này.")
    _max_bytes, max_files = uploads.limits()
    counted = dossier.attachments.filter(kind__in=(Attachment.Kind.INPUT, Attachment.Kind.SUPPLEMENT)).count()
    if counted >= max_files:
        raise DomainError("too_many_files", f"Mỗi hồ sơ có tối đa {max_files} tệp (hồ sơ đã có {counted} tệp).",
                          field="document")
    if not document.file.storage.exists(document.file.name):
        raise DomainError("document_file_missing", "Tệp của giấy tờ này không còn trong kho lưu trữ; hãy tải lên "
                                                   "bản khác.", field="document")
    attachment = Attachment.objects.create(
        dossier=dossier, item=item, kind=Attachment.Kind.INPUT, file=document.file.name, name=document.name,
        content_type=document.content_type, size=document.size, sha256=document.sha256, uploaded_by=actor,
        uploaded_at=_now(), store_document=document)
    item.reused = item.from_store = True
    item.save(update_fields=["reused", "from_store"])
    record("dossier.attached_from_store", actor=actor, obj=dossier,
           agency=None if actor.is_applicant else dossier.receiving_agency,
           summary=f"{dossier} dùng giấy tờ trong kho: {_short(document.title)}",
           data={"item": item.pk, "document": document.pk, "sha256": document.sha256})
    return attachment


@transaction.atomic
def hide_store_document(actor: User, document: PersonalDocument | int) -> PersonalDocument:
    """The owner removes an entry from their store (soft delete: the file stays with the dossiers that use it)."""
    document = _own_store_document(actor.pk, document)
    document.hidden_at = _now()
    document.save(update_fields=["hidden_at"])
    record("store.document_hidden", actor=actor, obj=document, summary=f"Ẩn giấy tờ “{_short(document.title)}”",
           data={"kind": document.kind, "source_dossier": document.source_dossier_code})
    return document


# --- pauses, withdrawal, stop, apology ----------------------------------------------------------------------------

@transaction.atomic
def request_payment(actor: User, dossier: Dossier, amount: int, note: str = "") -> Dossier:
    """Status 6: the applicant owes fees or taxes; the clock pauses until payment is confirmed."""
    dossier = _lock(dossier)
    _require_status(dossier, Status.ACCEPTED, Status.PROCESSING, action="yêu cầu thực hiện nghĩa vụ tài chính")
    step = _current_step(dossier)
    role = _require_step_actor(actor, step)
    if amount <= 0:
        raise DomainError("invalid_amount", "Số tiền phải lớn hơn 0.", field="amount")
    Pause.objects.create(dossier=dossier, reason=Pause.Reason.FINANCIAL, started_at=_now())
    from_status = dossier.status
    dossier.amount_due, dossier.status = amount, Status.FINANCIAL
    _save(dossier, "amount_due", "status")
    _event(dossier, "payment_requested", actor, role=role, agency=step.agency, from_status=from_status,
           from_step=step, note=note, data={"amount": amount})
    _notify(dossier, "payment_requested", amount=amount)
    return dossier


@transaction.atomic
def confirm_payment(actor: User | None, dossier: Dossier, reference: str = "") -> Dossier:
    """Payment confirmed (by the desk, or by the payment service in another module): processing resumes."""
    dossier = _lock(dossier)
    if actor is not None:
        _require(actor, dossier.receiving_agency, [Role.RECEIVING_OFFICER, *HEAD_ROLES])
    _require_status(dossier, Status.FINANCIAL, action="xác nhận đã nộp tiền")
    _resume(dossier, _now())
    dossier.status = _running_status(dossier)
    _save(dossier, "status", "due_at")
    _event(dossier, "paid", actor, from_status=Status.FINANCIAL, note=reference)
    _notify(dossier, "step_started")
    return dossier


@transaction.atomic
def withdraw(actor: User, dossier: Dossier, reason: str = "") -> Dossier:
    """The applicant withdraws (status 7), possible until a decision is made."""
    dossier = _lock(dossier)
    role = _owner_or_officer(actor, dossier)
    if dossier.is_draft:
        raise Conflict("not_submitted", "Bản nháp chưa nộp: hãy xóa bản nháp thay vì rút hồ sơ.")
    _require_status(dossier, Status.NEW, Status.ACCEPTED, Status.PROCESSING, Status.SUPPLEMENT, Status.FINANCIAL,
                    action="rút hồ sơ")
    from_status = dossier.status
    _close_pause(dossier)
    dossier.status, dossier.finished_at = Status.WITHDRAWN, _now()
    _save(dossier, "status", "finished_at")
    _event(dossier, "withdrawn", actor, role=role, from_status=from_status, note=reason)
    _notify(dossier, "withdrawn")
    return dossier


def _close_pause(dossier: Dossier) -> None:
    dossier.pauses.filter(ended_at__isnull=True).update(ended_at=_now())


@transaction.atomic
def stop(actor: User | None, dossier: Dossier, reason: str) -> Dossier:
    """Stop handling (status 8, form 05): by the desk or the handling agency's head, or by the system when a
    requested supplement never came."""
    dossier = _lock(dossier)
    role = ""
    if actor is not None:
        if permissions.has_role(actor, [Role.RECEIVING_OFFICER], dossier.receiving_agency):
            role = Role.RECEIVING_OFFICER
        else:
            role = _require(actor, dossier.handling_agency, HEAD_ROLES)
    _require_status(dossier, Status.ACCEPTED, Status.PROCESSING, Status.SUPPLEMENT, Status.FINANCIAL,
                    action="dừng xử lý")
    if not reason.strip():
        raise DomainError("reason_required", "Cần ghi lý do dừng xử lý.", field="reason")
    from_status = dossier.status
    _close_pause(dossier)
    dossier.status, dossier.finished_at = Status.STOPPED, _now()
    _save(dossier, "status", "finished_at")
    agency = dossier.receiving_agency if role in ("", Role.RECEIVING_OFFICER) else dossier.handling_agency
    _event(dossier, "stopped", actor, role=role, agency=agency, from_status=from_status, note=reason.strip())
    _notify(dossier, "stopped", reason=reason.strip())
    return dossier


@transaction.atomic
def issue_apology(actor: User, dossier: Dossier, new_due: datetime, reason: str) -> Dossier:
    """Form 04, at the latest one working day before the due date, once: the new appointment. It still counts late."""
    dossier = _lock(dossier)
    role = _require(actor, dossier.handling_agency, HEAD_ROLES)
    _require_status(dossier, Status.ACCEPTED, Status.PROCESSING, Status.SUPPLEMENT, Status.FINANCIAL,
                    action="gửi văn bản xin lỗi, hẹn lại")
    if dossier.apology_issued:
        raise Conflict("apology_once", "Chỉ được hẹn lại ngày trả kết quả một lần.")
    if not reason.strip():
        raise DomainError("reason_required", "Cần ghi lý do chậm.", field="reason")
    now = _now()
    cal = clock.dossier_calendar(dossier)
    latest_day = cal.previous_working_day(timezone.localtime(dossier.due_at).date())
    if timezone.localtime(now).date() > latest_day:
        raise DomainError("apology_too_late",
                          f"Văn bản xin lỗi phải gửi chậm nhất ngày {latest_day:%d/%m/%Y} (01 ngày làm việc trước "
                          "ngày hẹn trả).", field="new_due")
    if timezone.is_naive(new_due):
        new_due = timezone.make_aware(new_due)
    if new_due <= dossier.due_at:
        raise DomainError("new_due_invalid", "Ngày hẹn mới phải sau ngày hẹn hiện tại.", field="new_due")
    previous_due = dossier.due_at
    dossier.apology_issued, dossier.due_at = True, new_due
    _save(dossier, "apology_issued", "due_at")
    _event(dossier, "apologised", actor, role=role, agency=dossier.handling_agency, from_status=dossier.status,
           note=reason.strip(),
           data={"new_due": new_due.isoformat(), "original_due": previous_due.isoformat(),
                 "first_due": dossier.original_due_at.isoformat()})
    _notify(dossier, "apology", reason=reason.strip())
    return dossier


# --- periodic -----------------------------------------------------------------------------------------------------

@dataclass
class DeadlineSweep:
    due_soon: int = 0
    overdue: int = 0
    reminded: int = 0
    stopped: int = 0


def sweep_deadlines(now: datetime | None = None) -> DeadlineSweep:
    """The periodic task: notify due-soon and overdue dossiers; remind, then stop, unanswered supplements."""
    now = now or _now()
    with acting_at(now):
        return _sweep(now)


def _sweep(now: datetime) -> DeadlineSweep:
    result = DeadlineSweep()
    active = Dossier.objects.filter(status__in=[Status.ACCEPTED, Status.PROCESSING]).select_related(
        "handling_agency", "current_step")
    calendars: dict[int, object] = {}
    # A week of calendar time covers any "due soon" window in working hours (Tết included); exact test below.
    for dossier in active.filter(due_at__lte=now + timedelta(days=7)).iterator():
        if dossier.due_at <= now:
            result.overdue += 1
            _notify_now(dossier, "overdue")
        else:
            hours = (dossier.rules or {}).get("due_soon_hours", 8)
            cal = calendars.setdefault(dossier.handling_agency_id, clock.dossier_calendar(dossier))
            left = cal.office_time_between(now, dossier.due_at)
            if left <= timedelta(hours=hours):
                result.due_soon += 1
                _notify_now(dossier, "due_soon")
    waiting = SupplementRequest.objects.filter(provided_at__isnull=True, dossier__status=Status.SUPPLEMENT)
    for request in waiting.select_related("dossier"):
        dossier = request.dossier
        if request.wait_until and now >= request.wait_until:
            if request.stage == SupplementRequest.Stage.PROCESSING:
                try:
                    stop(None, dossier, "Quá thời hạn bổ sung hồ sơ mà người nộp chưa bổ sung.")
                except Conflict:  # supplemented (or withdrawn) since the sweep looked: nothing to stop
                    continue
            else:
                with transaction.atomic():
                    locked = _lock(dossier)
                    if locked.status != Status.SUPPLEMENT:
                        continue
                    locked.status, locked.finished_at = Status.STOPPED, now
                    _save(locked, "status", "finished_at")
                    _event(locked, "stopped", None, agency=locked.receiving_agency, from_status=Status.SUPPLEMENT,
                           note="Quá thời hạn bổ sung hồ sơ mà người nộp chưa bổ sung.")
                    _notify(locked, "stopped", reason="Quá thời hạn bổ sung hồ sơ mà người nộp chưa bổ sung.")
            result.stopped += 1
        elif request.reminded_at is None:
            rules = dossier.rules or {}
            cal = clock.dossier_calendar(dossier)
            remind_at = cal.due(request.requested_at, rules.get("supplement_reminder_days", 10), "working_day",
                                mode="days")
            if now >= remind_at:
                request.reminded_at = now
                request.save(update_fields=["reminded_at"])
                _notify_now(dossier, "supplement_reminder")
                result.reminded += 1
    return result


def _notify_now(dossier: Dossier, kind: str) -> None:
    from . import tasks

    tasks.notify.enqueue(dossier.pk, kind, {})
