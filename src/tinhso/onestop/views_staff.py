"""Staff pages of the one-stop shop: the work boxes, a dossier's page and its actions, desk registration of a walk-in
dossier, the tracking book (form 07).

Thin: each view reads the request, validates it, calls ``services`` (every state change) or ``queries`` (every read)
and renders. A refused operation (``DomainError``) comes back as its Vietnamese message on the page, never as an
error page. Action forms post the dossier's ``revision`` as ``expected_revision``: a change made by someone else in
the meantime gives the "Hồ sơ vừa được người khác cập nhật" message instead of acting on a state the user never saw.
"""

from collections.abc import Callable
from datetime import date, datetime
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tinhso.catalog.models import Channel
from tinhso.core.errors import DomainError
from tinhso.core.files import private_download
from tinhso.core.models import Agency, Role

from . import queries, queries_public, services
from .models import Attachment, Dossier, Status
from .views_forms import available_forms

DESK_CHANNELS = (Channel.Kind.DIRECT, Channel.Kind.POSTAL)


def staff_required(view):
    """Signed in with a staff account: anonymous visitors go to the sign-in page, applicants get 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not queries.is_staff_member(request.user):
            return render(request, "onestop/staff/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return never_cache(wrapper)


def _dossier_url(dossier: Dossier | int, anchor: str = "") -> str:
    pk = dossier.pk if isinstance(dossier, Dossier) else dossier
    return reverse("onestop:staff-dossier", args=[pk]) + (f"#{anchor}" if anchor else "")


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return fallback


def _format(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


# --- input helpers (they raise DomainError with the field, like the service layer) --------------------------------

def _text(data, name: str, *, max_length: int = 2000) -> str:
    value = (data.get(name) or "").strip()
    if len(value) > max_length:
        raise DomainError("too_long", _("Nội dung quá dài (tối đa %(n)s ký tự).") % {"n": max_length}, field=name)
    return value


def _int(data, name: str, *, required: bool = False, message: str = "") -> int | None:
    raw = (data.get(name) or "").strip().replace(".", "").replace(",", "").replace(" ", "")
    if not raw:
        if required:
            raise DomainError("required", message or _("Thiếu thông tin bắt buộc."), field=name)
        return None
    if not raw.lstrip("-").isdigit():
        raise DomainError("invalid_number", message or _("Hãy nhập một số nguyên."), field=name)
    return int(raw)


def _moment(data, name: str) -> datetime:
    raw = (data.get(name) or "").strip()
    for fmt in ("%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M"):
        try:
            return timezone.make_aware(datetime.strptime(raw, fmt))
        except ValueError:
            continue
    raise DomainError("invalid_datetime", _("Ngày giờ phải có dạng dd/mm/yyyy HH:MM, ví dụ 25/12/2025 17:00."),
                      field=name)


def _day(raw: str) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise DomainError("invalid_date", _("Ngày phải có dạng dd/mm/yyyy."))


def _upload(request, name: str = "file"):
    upload = request.FILES.get(name)
    if upload is None:
        raise DomainError("file_required", _("Hãy chọn tệp cần tải lên."), field=name)
    return upload


def _guarded(dossier: Dossier, expected: int | None, call: Callable):
    """For services that take no ``expected_revision``: lock the row, compare the revision, then act, in one
    transaction (the service's own lock is taken again inside it)."""
    with transaction.atomic():
        queries.ensure_revision(dossier.pk, expected)
        return call()


# --- the work boxes -----------------------------------------------------------------------------------------------

@staff_required
@require_GET
def inbox(request):
    user = request.user
    box = request.GET.get("hop") or queries.default_box(user)
    if box not in queries.BOX_SLUGS:
        box = queries.default_box(user)
    q = (request.GET.get("q") or "")[:100]
    data = queries.inbox(user, box, q=q, page=request.GET.get("trang") or 1)
    people = queries.assignable_people(user) if box != "tiep-nhan" else []
    context = {"inbox": data, "box": box, "q": q, "people": people, "box_label": dict(queries.BOXES)[box],
               "next": request.get_full_path()}
    if request.htmx and request.htmx.target == "inbox-results":
        return render(request, "onestop/staff/_inbox_results.html", context)
    return render(request, "onestop/staff/inbox.html", context)


@staff_required
@require_POST
def bulk_assign(request):
    user = request.user
    back = _safe_next(request, reverse("onestop:staff-inbox"))
    ids = sorted({int(x) for x in request.POST.getlist("ho_so") if x.isdigit()})
    raw_assignee = request.POST.get("giao_cho") or ""
    if not ids:
        messages.error(request, _("Hãy chọn ít nhất một hồ sơ để giao."))
        return redirect(back)
    assignee = queries.staff_user(int(raw_assignee)) if raw_assignee.isdigit() else None
    if assignee is None:
        messages.error(request, _("Hãy chọn người được giao hồ sơ."))
        return redirect(back)
    dossiers = queries.dossiers_by_ids(user, ids)
    if len(dossiers) != len(ids):
        messages.error(request, _("Có hồ sơ đã chọn không còn trong phạm vi của bạn; hãy tải lại trang."))
        return redirect(back)
    try:
        with transaction.atomic():
            count = services.bulk_assign(user, dossiers, assignee)
    except DomainError as exc:
        failed = getattr(exc, "dossier", None)
        messages.error(request, _("Không giao được hồ sơ %(code)s: %(reason)s Chưa giao hồ sơ nào.")
                       % {"code": failed or "", "reason": exc.message})
    else:
        messages.success(request, _("Đã giao %(n)s hồ sơ cho %(who)s.") % {"n": count, "who": assignee})
    return redirect(back)


# --- one dossier --------------------------------------------------------------------------------------------------

EVENT_LABELS = {
    "created": _lazy("Tạo hồ sơ nháp"), "registered": _lazy("Đăng ký tại Bộ phận Một cửa"),
    "submitted": _lazy("Nộp hồ sơ"), "accepted": _lazy("Tiếp nhận hồ sơ"), "refused": _lazy("Từ chối tiếp nhận"),
    "supplement_requested": _lazy("Yêu cầu bổ sung, hoàn thiện"), "supplemented": _lazy("Nộp bổ sung"),
    "assigned": _lazy("Phân công xử lý"), "forwarded": _lazy("Chuyển bước tiếp theo"),
    "sent_back": _lazy("Trả lại bước trước"), "consulted": _lazy("Xin ý kiến"),
    "consultation_answered": _lazy("Trả lời xin ý kiến"), "decided": _lazy("Quyết định kết quả giải quyết"),
    "returned": _lazy("Trả kết quả"), "payment_requested": _lazy("Yêu cầu thực hiện nghĩa vụ tài chính"),
    "paid": _lazy("Xác nhận đã nộp tiền"), "withdrawn": _lazy("Rút hồ sơ"), "stopped": _lazy("Dừng xử lý"),
    "apologised": _lazy("Xin lỗi, hẹn lại ngày trả"),
    # recorded by other apps through services.note_event
    "fee_requested": _lazy("Thông báo phí, lệ phí"), "fee_waived": _lazy("Miễn phí, lệ phí"),
    "paid_online": _lazy("Thanh toán trực tuyến"), "rated": _lazy("Đánh giá mức độ hài lòng"),
}


@staff_required
@require_GET
def dossier_page(request, pk: int):
    user = request.user
    dossier = queries.dossier_for_staff(user, pk)
    remaining, state = queries.dossier_countdown(user, dossier)
    actions = queries.allowed_actions(user, dossier)
    steps = list(dossier.steps.all())
    current = dossier.current_step
    context = {
        "dossier": dossier,
        "remaining": remaining,
        "state": state,
        "actions": actions,
        "steps": steps,
        "items": _item_rows(dossier, actions),
        "digitise_rows": queries.digitise_rows(dossier) if "accept" in actions else [],
        "digitised_count": sum(1 for i in dossier.items.all() if i.digitised),
        "reused_count": sum(1 for i in dossier.items.all() if i.reused),
        "loose_attachments": [a for a in dossier.attachments.all() if a.item_id is None],
        "events": [{"event": e, "label": EVENT_LABELS.get(e.action, e.action),
                    "role": Role(e.actor_role).label if e.actor_role in Role.values else ""}
                   for e in dossier.events.all()],
        "pauses": list(dossier.pauses.all()),
        "supplements": list(dossier.supplement_requests.all()),
        "consultations": list(dossier.consultations.all()),
        "answerable": queries.answerable_consultations(user, dossier),
        "assignees": queries.assignee_choices(user, dossier) if "assign" in actions else [],
        "agencies": list(queries.agency_choices()) if actions & {"consult", "forward"} else [],
        "send_back_steps": [s for s in steps if current and 1 < s.order < current.order],
        "next_step": next((s for s in steps if current and s.order > current.order), None),
        "today_hint": timezone.localtime().strftime("%d/%m/%Y %H:%M"),
        "printable_forms": available_forms(dossier),
    }
    return render(request, "onestop/staff/dossier.html", context)


def _item_rows(dossier: Dossier, actions: set[str]) -> list:
    """The dossier's components; at the desk, for an applicant with an account, each with the documents of the
    applicant's store it may reuse (``item.store``)."""
    items = list(dossier.items.all())
    store = queries.applicant_store(dossier) if "upload" in actions else []
    for item in items:
        item.store_attachments = [a for a in item.attachments.all() if a.store_document_id]
        item.store = queries_public.store_choices(store, item) if store else []
    return items


@staff_required
@require_GET
def attachment_download(request, pk: int, attachment_pk: int):
    attachment = queries.attachment_for_staff(request.user, pk, attachment_pk)
    return private_download(attachment.file, name=attachment.name, content_type=attachment.content_type)


# Each handler gets (request, dossier, expected_revision), calls one service and returns the success message.

def _accept(request, dossier, expected):
    digitised = None  # without the form's checkboxes (an older page): every component with a file
    if request.POST.get("digitised_form"):
        digitised = [int(x) for x in request.POST.getlist("digitised") if x.isdigit()]
    dossier = services.accept(request.user, dossier, expected_revision=expected, note=_text(request.POST, "note"),
                              digitised_items=digitised)
    return _("Đã tiếp nhận hồ sơ, mã %(code)s; hẹn trả kết quả %(due)s.") % {
        "code": dossier.code, "due": _format(dossier.due_at)}


def _request_supplement(request, dossier, expected):
    items = [line for line in _text(request.POST, "items", max_length=5000).splitlines() if line.strip()]
    services.request_supplement(request.user, dossier, items, _text(request.POST, "reason"),
                                expected_revision=expected)
    return _("Đã gửi yêu cầu bổ sung, hoàn thiện hồ sơ.")


def _refuse(request, dossier, expected):
    services.refuse(request.user, dossier, _text(request.POST, "reason"), expected_revision=expected)
    return _("Đã từ chối tiếp nhận hồ sơ.")


def _assign(request, dossier, expected):
    assignee_id = _int(request.POST, "assignee", required=True, message=_("Hãy chọn người được giao."))
    assignee = queries.staff_user(assignee_id)
    if assignee is None:
        raise DomainError("assignee_not_found", _("Không tìm thấy người được giao."), field="assignee")
    services.assign(request.user, dossier, assignee, expected_revision=expected)
    return _("Đã giao hồ sơ cho %(who)s.") % {"who": assignee}


def _agency(data, name: str, *, required: bool) -> Agency | None:
    agency_id = _int(data, name, required=required, message=_("Hãy chọn cơ quan."))
    if agency_id is None:
        return None
    agency = queries.agency_by_pk(agency_id)
    if agency is None:
        raise DomainError("agency_not_found", _("Không tìm thấy cơ quan đã chọn."), field=name)
    return agency


def _forward(request, dossier, expected):
    dossier = services.forward(request.user, dossier, note=_text(request.POST, "note"),
                               to_agency=_agency(request.POST, "to_agency", required=False),
                               expected_revision=expected)
    step = dossier.current_step
    return _("Đã chuyển hồ sơ sang bước “%(step)s” tại %(agency)s.") % {"step": step.name, "agency": step.agency}


def _send_back(request, dossier, expected):
    order = _int(request.POST, "to_order", required=True, message=_("Hãy chọn bước cần trả lại."))
    services.send_back(request.user, dossier, order, _text(request.POST, "reason"), expected_revision=expected)
    return _("Đã trả hồ sơ về bước trước.")


def _consult(request, dossier, expected):
    agency = _agency(request.POST, "agency", required=True)
    days = _int(request.POST, "working_days", required=True, message=_("Hãy nhập số ngày làm việc để trả lời."))
    question = _text(request.POST, "question", max_length=5000)
    consultation = _guarded(dossier, expected,
                            lambda: services.consult(request.user, dossier, agency, question, days))
    return _("Đã gửi xin ý kiến %(agency)s; hạn trả lời %(due)s.") % {
        "agency": agency, "due": _format(consultation.due_at)}


def _answer(request, dossier, expected):
    consultation_id = _int(request.POST, "consultation", required=True)
    consultation = queries.consultation_of(dossier, consultation_id)
    if consultation is None:
        raise DomainError("consultation_not_found", _("Không tìm thấy yêu cầu xin ý kiến."), field="consultation")
    answer = _text(request.POST, "answer", max_length=5000)
    _guarded(dossier, expected, lambda: services.answer_consultation(request.user, consultation, answer))
    return _("Đã gửi ý kiến.")


def _attach_result(request, dossier, expected):
    upload = _upload(request)
    attachment = _guarded(dossier, expected, lambda: services.attach_result(request.user, dossier, upload))
    return _("Đã đính kèm văn bản kết quả “%(name)s”.") % {"name": attachment.name}


def _decide(request, dossier, expected):
    outcome = request.POST.get("outcome") or ""
    services.decide(request.user, dossier, outcome, _text(request.POST, "note"), expected_revision=expected)
    if outcome == Dossier.Outcome.APPROVED:
        return _("Đã phê duyệt kết quả giải quyết.")
    return _("Đã quyết định từ chối giải quyết hồ sơ.")


def _return_result(request, dossier, expected):
    services.return_result(request.user, dossier, recipient_name=_text(request.POST, "recipient_name", max_length=200),
                           tracking_number=_text(request.POST, "tracking_number", max_length=40),
                           expected_revision=expected)
    return _("Đã trả kết quả cho người nộp.")


def _request_payment(request, dossier, expected):
    amount = _int(request.POST, "amount", required=True, message=_("Hãy nhập số tiền (đồng)."))
    note = _text(request.POST, "note")
    _guarded(dossier, expected, lambda: services.request_payment(request.user, dossier, amount, note))
    return _("Đã yêu cầu người nộp thực hiện nghĩa vụ tài chính.")


def _confirm_payment(request, dossier, expected):
    reference = _text(request.POST, "reference", max_length=200)
    _guarded(dossier, expected, lambda: services.confirm_payment(request.user, dossier, reference))
    return _("Đã xác nhận người nộp đã thực hiện nghĩa vụ tài chính; hồ sơ tiếp tục được xử lý.")


def _stop(request, dossier, expected):
    reason = _text(request.POST, "reason")
    _guarded(dossier, expected, lambda: services.stop(request.user, dossier, reason))
    return _("Đã dừng xử lý hồ sơ.")


def _apology(request, dossier, expected):
    new_due = _moment(request.POST, "new_due")
    reason = _text(request.POST, "reason")
    _guarded(dossier, expected, lambda: services.issue_apology(request.user, dossier, new_due, reason))
    return _("Đã lập văn bản xin lỗi và hẹn lại ngày trả kết quả: %(due)s.") % {"due": _format(new_due)}


def _item(request, dossier):
    item_id = _int(request.POST, "item")
    if item_id is None:
        return None
    item = queries.item_of(dossier, item_id)
    if item is None:
        raise DomainError("wrong_item", _("Thành phần không thuộc hồ sơ này."), field="item")
    return item


def _upload_scan(request, dossier, expected, kind=Attachment.Kind.INPUT):
    upload = _upload(request)
    attachment = services.add_attachment(request.user, dossier, upload, item=_item(request, dossier), kind=kind,
                                         digitised=request.POST.get("digitised") == "1")
    return _("Đã tải lên tệp “%(name)s”.") % {"name": attachment.name}


def _attach_from_store(request, dossier, expected):
    item = _item(request, dossier)
    if item is None:
        raise DomainError("item_required", _("Hãy chọn thành phần hồ sơ."), field="item")
    document_id = _int(request.POST, "document", required=True, message=_("Hãy chọn giấy tờ trong kho."))
    attachment = services.attach_from_store(request.user, dossier, item, document_id)
    return _("Đã dùng giấy tờ “%(name)s” trong kho dữ liệu của người nộp.") % {"name": attachment.name}


def _upload_supplement(request, dossier, expected):
    return _upload_scan(request, dossier, expected, kind=Attachment.Kind.SUPPLEMENT)


def _provide_supplement(request, dossier, expected):
    note = _text(request.POST, "note")
    _guarded(dossier, expected, lambda: services.provide_supplement(request.user, dossier, note))
    return _("Đã nhận hồ sơ bổ sung.")


ACTIONS: dict[str, Callable] = {
    "accept": _accept, "request_supplement": _request_supplement, "refuse": _refuse, "assign": _assign,
    "forward": _forward, "send_back": _send_back, "consult": _consult, "answer": _answer,
    "attach_result": _attach_result, "decide": _decide, "return_result": _return_result,
    "request_payment": _request_payment, "confirm_payment": _confirm_payment, "stop": _stop, "apology": _apology,
    "upload": _upload_scan, "upload_supplement": _upload_supplement, "provide_supplement": _provide_supplement,
    "attach_from_store": _attach_from_store,
}
#: Where the page scrolls back to after an action.
ANCHORS = {"upload": "thanh-phan", "upload_supplement": "thanh-phan", "attach_from_store": "thanh-phan",
           "answer": "xin-y-kien"}


@staff_required
@require_POST
def dossier_action(request, pk: int, action: str):
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404("Không có thao tác này.")
    dossier = queries.dossier_for_action(request.user, pk)
    try:
        expected = _int(request.POST, "expected_revision")
        message = handler(request, dossier, expected)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(_dossier_url(dossier, ANCHORS.get(action, "thao-tac")))
    messages.success(request, message)
    return redirect(_dossier_url(dossier, ANCHORS.get(action, "")))


# --- desk registration of a walk-in dossier -----------------------------------------------------------------------

REGISTER_FIELDS = ("procedure", "channel", "desk", "applicant_name", "applicant_id_number", "applicant_phone",
                   "applicant_email", "applicant_address", "delivery", "delivery_address")


@staff_required
@require_http_methods(["GET", "POST"])
def register(request):
    user = request.user
    user_desks = queries.desks(user)
    source = request.POST if request.method == "POST" else request.GET
    q = (request.GET.get("q") or "")[:100]
    code = (source.get("procedure") or source.get("thu-tuc") or "").strip()[:20]
    procedure = queries.procedure_for_desk(code) if code else None
    desk_choices, channels = [], []
    errors: dict[str, str] = {}
    if code and procedure is None:
        errors["procedure"] = _("Không tìm thấy thủ tục mã %(code)s.") % {"code": code}
    if procedure is not None:
        allowed = {a.pk for a in services.receiving_agencies(procedure.current)}
        desk_choices = [d for d in user_desks if d.pk in allowed]
        offered = {}
        for channel in procedure.current.channels.all():
            offered.setdefault(channel.kind, channel)
        channels = [offered[kind] for kind in DESK_CHANNELS if kind in offered]  # walk-in first
    values = {name: (request.POST.get(name) or "").strip() for name in REGISTER_FIELDS}
    if request.method == "POST":
        try:
            if procedure is None:
                raise DomainError("procedure_required", _("Hãy chọn thủ tục."), field="procedure")
            desk = next((d for d in desk_choices if str(d.pk) == values["desk"]), None)
            if desk is None:
                raise DomainError("desk_required", _("Hãy chọn bộ phận tiếp nhận."), field="desk")
            if values["channel"] not in {c.kind for c in channels}:
                raise DomainError("channel_required", _("Hãy chọn cách thức nộp."), field="channel")
            for name, limit in (("applicant_name", 200), ("applicant_id_number", 14), ("applicant_phone", 15),
                                ("applicant_email", 254), ("applicant_address", 300), ("delivery_address", 300)):
                if len(values[name]) > limit:
                    raise DomainError("too_long", _("Tối đa %(n)s ký tự.") % {"n": limit}, field=name)
            applicant = services.ApplicantInfo(
                name=values["applicant_name"], id_number=values["applicant_id_number"],
                phone=values["applicant_phone"], email=values["applicant_email"],
                address=values["applicant_address"])
            dossier = services.create_dossier(
                user, procedure_code=procedure.code, channel_kind=values["channel"], receiving_agency=desk,
                applicant=applicant, delivery=values["delivery"] or Dossier.Delivery.DESK,
                delivery_address=values["delivery_address"], draft=False)
        except DomainError as exc:
            errors[exc.field or "__all__"] = exc.message
        else:
            messages.success(request, _("Đã đăng ký hồ sơ. Hãy tải lên bản quét từng thành phần rồi tiếp nhận."))
            return redirect(_dossier_url(dossier, "thanh-phan"))
    if procedure is not None and not values["desk"] and len(desk_choices) == 1:
        values["desk"] = str(desk_choices[0].pk)
    if procedure is not None and not values["channel"] and channels:
        values["channel"] = channels[0].kind
    context = {
        "desks": user_desks, "q": q, "procedure": procedure, "desk_choices": desk_choices, "channels": channels,
        "values": values, "errors": errors, "error_list": list(errors.values()), "deliveries": Dossier.Delivery.choices,
        "results": queries.registrable_procedures(user, q) if procedure is None and user_desks else [],
    }
    if request.htmx and request.htmx.target == "procedure-results":
        return render(request, "onestop/staff/_procedure_results.html", context)
    status = 400 if errors else 200
    return render(request, "onestop/staff/register.html", context, status=status)


# --- the tracking book (form 07) ----------------------------------------------------------------------------------

def _book_filters(request) -> tuple[queries.BookFilters, dict[str, str], str]:
    """The book's filters from the query string, their raw values, and an error message (empty when valid)."""
    raw = {name: (request.GET.get(name) or "").strip()[:40]
           for name in ("tu-ngay", "den-ngay", "thu-tuc", "trang-thai", "co-quan")}
    filters, error = queries.BookFilters(procedure=raw["thu-tuc"]), ""
    try:
        filters.date_from = _day(raw["tu-ngay"])
        filters.date_to = _day(raw["den-ngay"])
    except DomainError as exc:
        error = exc.message
    if raw["trang-thai"].isdigit() and int(raw["trang-thai"]) in Status.values:
        filters.status = int(raw["trang-thai"])
    if raw["co-quan"].isdigit():
        filters.agency = int(raw["co-quan"])
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        error = _("“Từ ngày” phải trước hoặc bằng “đến ngày”.")
    return filters, raw, error


def _book_title(filters: queries.BookFilters) -> str:
    title = _("Sổ theo dõi hồ sơ")
    if filters.date_from or filters.date_to:
        start = filters.date_from.strftime("%d/%m/%Y") if filters.date_from else "…"
        end = filters.date_to.strftime("%d/%m/%Y") if filters.date_to else "…"
        title += _(" từ ngày %(start)s đến ngày %(end)s") % {"start": start, "end": end}
    return title


@staff_required
@require_GET
def book(request):
    filters, raw, error = _book_filters(request)
    if error:
        messages.error(request, error)
    rows = queries.tracking_book(request.user, filters)
    page = Paginator(rows, queries.BOOK_PAGE_SIZE).get_page(request.GET.get("trang"))
    query = urlencode({k: v for k, v in raw.items() if v})
    return render(request, "onestop/staff/book.html", {
        "page": page, "f": {k.replace("-", "_"): v for k, v in raw.items()}, "query": query,
        "title": _book_title(filters),
        "statuses": Status.choices, "agencies": queries.book_agencies(request.user),
        "offset": (page.number - 1) * queries.BOOK_PAGE_SIZE,
    })


def _book_export(request, fmt: str):
    filters, _raw, error = _book_filters(request)
    if error:
        messages.error(request, error)
        return redirect(reverse("onestop:staff-book") + "?" + request.GET.urlencode())
    try:
        from . import forms as documents

        export = documents.tracking_book_xlsx if fmt == "xlsx" else documents.tracking_book
    except (ImportError, AttributeError):
        messages.error(request, _("Chức năng xuất sổ chưa sẵn sàng."))
        return redirect(reverse("onestop:staff-book") + "?" + request.GET.urlencode())
    rows = queries.tracking_book(request.user, filters)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        content = export(rows)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        content = export(rows, title=_book_title(filters))
        content_type = "application/pdf"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="so-theo-doi-ho-so-{stamp}.{fmt}"'
    return response


@staff_required
@require_GET
def book_xlsx(request):
    return _book_export(request, "xlsx")


@staff_required
@require_GET
def book_pdf(request):
    return _book_export(request, "pdf")

