"""Staff dossier API (``/api/staff``): the work boxes, one dossier, and its main actions.

Authentication is the Django session (``ninja``'s session auth, CSRF-checked on every call). Every refusal is JSON
``{code, message, field}`` with a stable ``code`` (the API's ``DomainError`` handler): ``not_authenticated`` (401),
``csrf_failed`` / ``staff_only`` / ``forbidden`` (403), ``dossier_not_found`` / ``unknown_action`` (404),
``dossier_changed`` / ``illegal_transition`` (409), and the service layer's own codes (``reason_required``…).
"""

from datetime import datetime

from django.db import transaction
from django.http import Http404, HttpRequest
from django.urls import reverse
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.security import SessionAuth

from tinhso.core.errors import DomainError, Forbidden, NotFound
from tinhso.core.models import Role

from . import queries, services
from .models import Dossier, DossierStep


class NotAuthenticated(DomainError):
    status = 401


class StaffSession(SessionAuth):
    """``django_auth`` with the API's error format, for staff accounts only."""

    def _get_key(self, request: HttpRequest):
        try:
            return super()._get_key(request)
        except HttpError as exc:
            raise Forbidden("Thiếu hoặc sai mã CSRF; hãy tải lại trang rồi thử lại.", code="csrf_failed") from exc

    def authenticate(self, request: HttpRequest, key):
        if not request.user.is_authenticated:
            raise NotAuthenticated("not_authenticated", "Hãy đăng nhập.")
        if not queries.is_staff_member(request.user):
            raise Forbidden("Chức năng này dành cho cán bộ, công chức.", code="staff_only")
        return request.user


router = Router(tags=["Hồ sơ — cán bộ"], auth=StaffSession())


# --- output -------------------------------------------------------------------------------------------------------

class StepOut(Schema):
    order: int
    name: str
    role: str
    role_label: str
    agency_code: str
    agency_name: str
    assignee_id: int | None
    assignee: str | None
    started_at: datetime | None
    due_at: datetime | None
    finished_at: datetime | None
    result: str


class RowOut(Schema):
    id: int
    code: str | None
    status: int = Field(description="Mã trạng thái của Cổng DVCQG (1–10)")
    status_label: str
    procedure_code: str
    procedure_name: str
    applicant_name: str
    submitted_at: datetime | None
    received_at: datetime | None
    due_at: datetime | None
    countdown: str | None = Field(description="“còn 1 ngày 3 giờ”, “quá hạn 2 giờ”")
    urgency: str = Field(description="overdue, soon, ok, paused hoặc rỗng (không tính giờ)")
    current_step: StepOut | None


class InboxOut(Schema):
    box: str
    q: str
    count: int
    page: int
    pages: int
    counts: dict[str, int | None]
    items: list[RowOut]


class ItemOut(Schema):
    id: int
    order: int
    name: str
    mandatory: bool
    digitised: bool
    reused: bool = False
    from_store: bool = False


class AttachmentOut(Schema):
    id: int
    item_id: int | None
    kind: str
    name: str
    content_type: str
    size: int
    url: str
    store_document_id: int | None = None


class EventOut(Schema):
    at: datetime
    action: str
    actor: str
    role: str
    agency_code: str | None
    from_status: int | None
    to_status: int | None
    note: str


class DossierOut(RowOut):
    revision: int
    channel: str
    receiving_agency: str
    handling_agency: str
    delivery: str
    outcome: str
    finished_at: datetime | None
    returned_at: datetime | None
    electronic_result: bool = False
    result_in_store: bool = False
    allowed_actions: list[str]
    steps: list[StepOut]
    items: list[ItemOut]
    attachments: list[AttachmentOut]
    events: list[EventOut]


def _step(step: DossierStep | None) -> StepOut | None:
    if step is None:
        return None
    return StepOut(order=step.order, name=step.name, role=step.role, role_label=str(Role(step.role).label),
                   agency_code=step.agency.code, agency_name=step.agency.name, assignee_id=step.assignee_id,
                   assignee=str(step.assignee) if step.assignee_id else None, started_at=step.started_at,
                   due_at=step.due_at, finished_at=step.finished_at, result=step.result)


def _row_fields(dossier: Dossier, remaining, urgency: str) -> dict:
    current = dossier.current_step if dossier.current_step_id and not dossier.current_step.finished_at else None
    return {
        "id": dossier.pk, "code": dossier.code, "status": dossier.status, "status_label": dossier.get_status_display(),
        "procedure_code": dossier.procedure_version.procedure.code, "procedure_name": dossier.procedure_version.name,
        "applicant_name": dossier.applicant_name, "submitted_at": dossier.submitted_at,
        "received_at": dossier.received_at, "due_at": dossier.due_at,
        "countdown": str(remaining) if remaining is not None else None, "urgency": urgency,
        "current_step": _step(current),
    }


def _dossier_out(request: HttpRequest, dossier: Dossier) -> DossierOut:
    user = request.user
    remaining, urgency = queries.dossier_countdown(user, dossier)
    return DossierOut(
        **_row_fields(dossier, remaining, urgency),
        revision=dossier.revision, channel=dossier.channel.kind, receiving_agency=dossier.receiving_agency.code,
        handling_agency=dossier.handling_agency.code, delivery=dossier.delivery, outcome=dossier.outcome,
        finished_at=dossier.finished_at, returned_at=dossier.returned_at,
        electronic_result=dossier.electronic_result, result_in_store=dossier.result_in_store,
        allowed_actions=sorted(queries.allowed_actions(user, dossier) & set(ACTIONS)),
        steps=[_step(s) for s in dossier.steps.all()],
        items=[ItemOut(id=i.pk, order=i.order, name=i.name, mandatory=i.mandatory, digitised=i.digitised,
                       reused=i.reused, from_store=i.from_store)
               for i in dossier.items.all()],
        attachments=[AttachmentOut(id=a.pk, item_id=a.item_id, kind=a.kind, name=a.name, content_type=a.content_type,
                                   size=a.size, store_document_id=a.store_document_id,
                                   url=reverse("onestop:staff-attachment", args=[dossier.pk, a.pk]))
                     for a in dossier.attachments.all()],
        events=[EventOut(at=e.at, action=e.action, actor=e.actor_name, role=e.actor_role,
                         agency_code=e.agency.code if e.agency_id else None, from_status=e.from_status,
                         to_status=e.to_status, note=e.note)
                for e in dossier.events.all()],
    )


def _visible(request: HttpRequest, dossier_id: int) -> Dossier:
    try:
        return queries.dossier_for_staff(request.user, dossier_id)
    except Http404 as exc:
        raise NotFound("dossier_not_found", "Không tìm thấy hồ sơ.") from exc


# --- endpoints ----------------------------------------------------------------------------------------------------

@router.get("/inbox", response=InboxOut, summary="Hộp hồ sơ của cán bộ",
            description="box: " + ", ".join(queries.BOX_SLUGS) + " (mặc định theo vai trò). counts: số hồ sơ của "
                        "từng hộp; tat-ca (toàn bộ lịch sử) chỉ được đếm khi box=tat-ca, các lần khác là null.")
def inbox(request: HttpRequest, box: str = "", q: str = "", page: int = 1):
    box = box or queries.default_box(request.user)
    if box not in queries.BOX_SLUGS:
        raise DomainError("invalid_box", f"Hộp hồ sơ phải là một trong: {', '.join(queries.BOX_SLUGS)}.",
                          field="box")
    data = queries.inbox(request.user, box, q=q[:100], page=max(page, 1))
    return InboxOut(box=box, q=data.q, count=data.page.paginator.count, page=data.page.number,
                    pages=data.page.paginator.num_pages, counts=data.counts,
                    items=[RowOut(**_row_fields(r.dossier, r.remaining, r.state)) for r in data.rows])


@router.get("/dossiers/{dossier_id}", response=DossierOut, summary="Một hồ sơ")
def dossier_detail(request: HttpRequest, dossier_id: int):
    return _dossier_out(request, _visible(request, dossier_id))


class ActionIn(Schema):
    expected_revision: int | None = Field(None, description="revision đã đọc; khác thì trả 409 dossier_changed")
    note: str = ""
    reason: str = ""
    items: list[str] = Field(default_factory=list, description="request_supplement: các giấy tờ cần bổ sung")
    assignee: int | None = Field(None, description="assign: id tài khoản được giao")
    to_agency: str | None = Field(None, description="forward: mã định danh cơ quan (liên thông)")
    outcome: str = Field("", description="decide: approved hoặc refused")
    recipient_name: str = ""
    tracking_number: str = ""
    digitised_items: list[int] | None = Field(
        None, description="accept: id các thành phần đã số hóa (mặc định: mọi thành phần có tệp)")


def _assignee(data: ActionIn):
    person = queries.staff_user(data.assignee)
    if person is None:
        raise DomainError("assignee_required", "Cần chọn người được giao (id tài khoản cán bộ).", field="assignee")
    return person


def _to_agency(data: ActionIn):
    if not data.to_agency:
        return None
    agency = queries.agency_by_code(data.to_agency)
    if agency is None:
        raise DomainError("agency_not_found", f"Không có cơ quan mã {data.to_agency}.", field="to_agency")
    return agency


def _stop(user, dossier: Dossier, data: ActionIn):
    with transaction.atomic():
        queries.ensure_revision(dossier.pk, data.expected_revision)
        return services.stop(user, dossier, data.reason)


ACTIONS = {
    "accept": lambda u, d, x: services.accept(u, d, expected_revision=x.expected_revision, note=x.note,
                                              digitised_items=x.digitised_items),
    "request_supplement": lambda u, d, x: services.request_supplement(
        u, d, x.items, x.reason, expected_revision=x.expected_revision),
    "refuse": lambda u, d, x: services.refuse(u, d, x.reason, expected_revision=x.expected_revision),
    "assign": lambda u, d, x: services.assign(u, d, _assignee(x), expected_revision=x.expected_revision),
    "forward": lambda u, d, x: services.forward(u, d, note=x.note, to_agency=_to_agency(x),
                                                expected_revision=x.expected_revision),
    "decide": lambda u, d, x: services.decide(u, d, x.outcome, x.note, expected_revision=x.expected_revision),
    "return_result": lambda u, d, x: services.return_result(
        u, d, recipient_name=x.recipient_name, tracking_number=x.tracking_number,
        expected_revision=x.expected_revision),
    "stop": _stop,
}


@router.post("/dossiers/{dossier_id}/actions/{action}", response=DossierOut, summary="Thao tác trên hồ sơ",
             description="action: " + ", ".join(ACTIONS) + ". Trả về hồ sơ sau thao tác.")
def dossier_action(request: HttpRequest, dossier_id: int, action: str, data: ActionIn):
    handler = ACTIONS.get(action)
    if handler is None:
        raise NotFound("unknown_action", f"Không có thao tác “{action}”; dùng một trong: {', '.join(ACTIONS)}.")
    dossier = _visible(request, dossier_id)
    handler(request.user, dossier, data)
    return _dossier_out(request, _visible(request, dossier_id))
