"""Pages of the document office, under ``/van-ban/`` (namespace ``documents``).

Thin: each view reads the request, turns the fields into Python values, calls ``services`` (every change) or
``queries`` (every read) and renders. A refused operation (``DomainError``) is shown as its Vietnamese message on the
page, never as an error page.
"""

import csv
from collections.abc import Callable
from datetime import date, datetime
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tinhso.core.errors import DomainError, NotFound
from tinhso.core.files import private_download
from tinhso.core.text import fold

from . import access, classify, queries, services
from .models import Assignment, DocumentFile, Secrecy, Urgency

EVENT_LABELS = {
    "registered": "Vào sổ văn bản đến", "received": "Nhận văn bản gửi trên hệ thống",
    "registration_confirmed": "Vào sổ văn bản đến", "returned": "Trả lại nơi gửi", "assigned": "Phân công xử lý",
    "forwarded": "Giao chuyên viên giải quyết", "answered": "Ghi văn bản trả lời", "closed": "Kết thúc xử lý",
    "drafted": "Tạo dự thảo", "file_added": "Thêm tệp", "submitted": "Trình duyệt", "approved": "Duyệt dự thảo",
    "sent_back": "Trả lại dự thảo", "signed": "Ký văn bản", "issued": "Phát hành, cấp số",
    "delivered": "Gửi văn bản",
    # the exchange (liên thông): see tinhso.exchange
    "received_exchange": "Nhận văn bản qua liên thông", "recalled_exchange": "Nơi gửi thu hồi văn bản",
    "replaced_exchange": "Nơi gửi thay thế văn bản", "updated_exchange": "Nơi gửi cập nhật văn bản",
    "exchange_recall_sent": "Thu hồi văn bản đã gửi liên thông",
    "exchange_update_sent": "Gửi cập nhật văn bản liên thông",
}


def staff_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not access.is_staff(request.user):
            return render(request, "documents/forbidden.html", status=403)
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc

    return never_cache(wrapper)


def _document_url(pk: int, anchor: str = "") -> str:
    return reverse("documents:document", args=[pk]) + (f"#{anchor}" if anchor else "")


# --- reading form fields (they raise DomainError naming the field, like the services) ------------------------------

def _text(data, name: str, *, max_length: int = 500, required: bool = False, label: str = "") -> str:
    value = " ".join((data.get(name) or "").split()) if name != "note" else (data.get(name) or "").strip()
    if required and not value:
        raise DomainError("required", f"Cần nhập {label or 'thông tin bắt buộc'}.", field=name)
    if len(value) > max_length:
        raise DomainError("too_long", f"Tối đa {max_length} ký tự.", field=name)
    return value


def _int(data, name: str, *, required: bool = False, label: str = "") -> int | None:
    raw = (data.get(name) or "").strip()
    if not raw:
        if required:
            raise DomainError("required", f"Hãy chọn {label}.", field=name)
        return None
    if not raw.isdigit():
        raise DomainError("invalid_number", "Giá trị không hợp lệ.", field=name)
    return int(raw)


def _day(data, name: str) -> date | None:
    raw = (data.get(name) or "").strip()
    if not raw:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise DomainError("invalid_date", "Ngày phải có dạng dd/mm/yyyy.", field=name)


def _choice(data, name: str, choices) -> int:
    value = _int(data, name) or 0
    if value not in choices.values:
        raise DomainError("invalid_choice", "Giá trị không hợp lệ.", field=name)
    return value


def _document_type(data, name: str = "document_type"):
    pk = _int(data, name)
    if pk is None:
        return None
    found = queries.document_type_by_pk(pk)
    if found is None:
        raise DomainError("type_not_found", "Không tìm thấy loại văn bản.", field=name)
    return found


def _party(token: str, field: str):
    """``agency:12`` or ``user:7`` (the assignment selects) → the Agency or User."""
    kind, _sep, raw = token.partition(":")
    found = None
    if raw.isdigit():
        found = queries.agency_by_pk(int(raw)) if kind == "agency" else (
            queries.staff_by_pk(int(raw)) if kind == "user" else None)
    if found is None:
        raise DomainError("assignee_not_found", "Không tìm thấy đơn vị hoặc người đã chọn.", field=field)
    return found


# --- lists --------------------------------------------------------------------------------------------------------

@staff_required
@require_GET
def index(request):
    user = request.user
    q = (request.GET.get("q") or "")[:100]
    slugs = [slug for slug, _label in queries.BOXES]
    box = request.GET.get("hop") if request.GET.get("hop") in slugs + ["tim-kiem"] else "den"
    if q and not request.GET.get("hop"):
        box = "tim-kiem"
    rows = queries.search(user, q) if box == "tim-kiem" else queries.box_documents(user, box, q=q)
    if box == "tim-kiem":
        today = timezone.localdate()
        for row in rows:
            row.overdue_flag = row.is_overdue(today)
    context = {"boxes": queries.boxes(user), "box": box, "q": q, "rows": rows,
               "can_register": bool(queries.clerk_agency_choices(user)),
               "can_draft": bool(queries.drafting_choices(user)), "today": timezone.localdate()}
    if request.htmx and request.htmx.target == "document-results":
        return render(request, "documents/_results.html", context)
    return render(request, "documents/index.html", context)


# --- one document -------------------------------------------------------------------------------------------------

@staff_required
@require_GET
def document_page(request, pk: int):
    user = request.user
    document = queries.document_for(user, pk)
    actions = queries.allowed_actions(user, document)
    units, people = queries.assign_choices(document) if "assign" in actions else ([], [])
    context = {
        "document": document,
        "actions": actions,
        "files": list(document.files.all()),
        "assignments": queries.assignments(document),
        "events": [{"event": e, "label": EVENT_LABELS.get(e.action, e.action)} for e in queries.history(document)],
        "deliveries": list(document.deliveries.select_related("incoming").all()),
        "replies": list(document.replies.all()),
        "units": units, "people": people,
        "specialists": queries.specialist_choices(document) if "forward" in actions else [],
        "answer_choices": queries.answer_choices(user, document) if "answer" in actions else [],
        "recipients": queries.recipient_choices(document) if "deliver" in actions else [],
        "overdue": document.is_overdue(),
        "file_kinds": [(DocumentFile.Kind.BODY, "Văn bản (bản mới)"),
                       (DocumentFile.Kind.ATTACHMENT, "Tài liệu kèm theo")],
    }
    if "confirm" in actions:  # the type (the sender's) and the sector, pre-filled when the classifier is confident
        values = {"document_type": str(document.document_type_id or ""), "sector": str(document.sector_id or "")}
        notes = _prefill(values, classify.suggest_for_document(document))
        context["confirm"] = _classification_context(values, notes)
    return render(request, "documents/document.html", context)


@staff_required
@require_GET
def file_download(request, pk: int, file_pk: int):
    row = queries.file_for(request.user, pk, file_pk)
    return private_download(row.file, name=row.name, content_type=row.content_type)


# Each handler gets (request, document), calls one service, returns the success message.

def _confirm(request, document):
    document = services.confirm_registration(
        request.user, document, document_type=_document_type(request.POST), sector=_sector(request.POST),
        suggestion={name: (request.POST.get(name) or "").strip() for name in SUGGESTION_FIELDS})
    return f"Đã vào sổ văn bản đến, số đến {document.arrival_number}."


def _return(request, document):
    services.return_to_sender(request.user, document, _text(request.POST, "reason", max_length=1000))
    return "Đã trả lại văn bản cho nơi gửi."


def _assign(request, document):
    lead = _party(request.POST.get("lead") or "", "lead")
    cooperating = [_party(t, "cooperating") for t in request.POST.getlist("cooperating") if t]
    informed = [_party(t, "for_information") for t in request.POST.getlist("for_information") if t]
    services.assign(request.user, document, lead=lead, cooperating=cooperating, for_information=informed,
                    deadline=_day(request.POST, "deadline"), note=_text(request.POST, "note", max_length=1000))
    return f"Đã phân công {lead} chủ trì giải quyết."


def _forward(request, document):
    specialist = queries.staff_by_pk(_int(request.POST, "specialist", required=True, label="chuyên viên") or 0)
    if specialist is None:
        raise DomainError("specialist_not_found", "Không tìm thấy chuyên viên.", field="specialist")
    services.forward_to_specialist(request.user, document, specialist, note=_text(request.POST, "note"))
    return f"Đã giao {specialist} giải quyết."


def _answer(request, document):
    outgoing_pk = _int(request.POST, "outgoing", required=True, label="văn bản trả lời")
    outgoing = queries.document_for(request.user, outgoing_pk)
    services.answer(request.user, document, outgoing)
    return "Đã ghi văn bản trả lời."


def _close(request, document):
    services.close(request.user, document, note=_text(request.POST, "note", max_length=1000))
    return "Đã kết thúc xử lý văn bản."


def _add_file(request, document):
    upload = request.FILES.get("file")
    if upload is None:
        raise DomainError("file_required", "Hãy chọn tệp.", field="file")
    kind = request.POST.get("kind") or DocumentFile.Kind.BODY
    row = services.add_file(request.user, document, upload, kind=kind)
    return f"Đã tải lên “{row.name}”."


def _submit(request, document):
    services.submit_for_approval(request.user, document, note=_text(request.POST, "note", max_length=1000))
    return "Đã trình duyệt dự thảo."


def _approve(request, document):
    services.approve(request.user, document, note=_text(request.POST, "note", max_length=1000))
    return "Đã duyệt dự thảo; chờ lãnh đạo cơ quan ký."


def _send_back(request, document):
    services.send_back(request.user, document, _text(request.POST, "reason", max_length=1000))
    return "Đã trả lại dự thảo cho người soạn thảo."


def _sign(request, document):
    document = services.sign(request.user, document, note=_text(request.POST, "note", max_length=1000))
    if document.digitally_signed:
        return "Đã ký số văn bản; chờ văn thư phát hành."
    return "Đã ghi nhận lãnh đạo ký văn bản (chưa có chứng thư số nên không ký số); chờ văn thư phát hành."


def _issue(request, document):
    document = services.issue(request.user, document)
    return f"Đã phát hành văn bản số {document.notation}, ngày {document.issued_date:%d/%m/%Y}."


def _recipients(request) -> list:
    found = []
    for raw in request.POST.getlist("recipients"):
        agency = queries.agency_by_pk(int(raw)) if raw.isdigit() else None
        if agency is None:
            raise DomainError("recipient_not_found", "Không tìm thấy nơi nhận đã chọn.", field="recipients")
        found.append(agency)
    for line in (request.POST.get("external") or "").splitlines():
        if not line.strip():
            continue
        code, _sep, name = line.strip().partition(" ")
        found.append(services.ExternalRecipient(code=code, name=name.strip()))
    return found


def _deliver(request, document):
    deliveries = services.deliver(request.user, document, _recipients(request))
    names = ", ".join(d.recipient_name for d in deliveries)
    return f"Đã gửi văn bản đến: {names}."


ACTIONS: dict[str, Callable] = {
    "confirm": _confirm, "return": _return, "assign": _assign, "forward": _forward, "answer": _answer,
    "close": _close, "add_file": _add_file, "submit": _submit, "approve": _approve, "send_back": _send_back,
    "sign": _sign, "issue": _issue, "deliver": _deliver,
}


@staff_required
@require_POST
def document_action(request, pk: int, action: str):
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404("Không có thao tác này.")
    document = queries.document_for(request.user, pk)
    try:
        message = handler(request, document)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(_document_url(pk, "thao-tac"))
    messages.success(request, message)
    return redirect(_document_url(pk))


# --- registering an incoming document, drafting an outgoing one ----------------------------------------------------

INCOMING_FIELDS = ("agency", "sender_name", "sender_code", "notation", "document_type", "issued_date", "subject",
                   "urgency", "secrecy", "signer_name", "signer_position", "due_date", "copies", "note", "sector")
#: Hidden fields carrying the classifier's suggestion from the moment it is shown to the registration.
SUGGESTION_FIELDS = ("suggested_type", "type_confidence", "type_prefilled", "suggested_sector", "sector_confidence",
                     "sector_prefilled", "classifier_version", "classifier_scope")


def _sector(data, name: str = "sector"):
    pk = _int(data, name)
    if pk is None:
        return None
    found = queries.sector_by_pk(pk)
    if found is None:
        raise DomainError("sector_not_found", "Không tìm thấy lĩnh vực.", field=name)
    return found


def _prefill(values: dict, suggestion: classify.Suggestion) -> dict:
    """Put the suggested type and sector in the form where the clerk has not chosen (or has kept an earlier
    pre-filled value), only when confident enough; returns the notes shown beside the fields."""
    notes: dict = {}
    for attr, name in (("type", "document_type"), ("sector", "sector")):
        guess = getattr(suggestion, attr)
        was_prefilled = values.get(f"{attr}_prefilled") == "1"
        untouched = values[name] == "" or (was_prefilled and values[name] == values.get(f"suggested_{attr}"))
        if guess is not None and guess.prefill and untouched:
            values[name], values[f"{attr}_prefilled"] = str(guess.value.pk), "1"
            notes[attr] = guess.percent
            continue
        if untouched and was_prefilled:
            values[name] = ""
        values[f"{attr}_prefilled"] = ""
        if guess is not None and not guess.prefill:
            notes[f"{attr}_low"] = guess.percent
    for key, value in suggestion.as_hidden().items():
        if key not in ("type_prefilled", "sector_prefilled"):
            values[key] = str(value)
    return notes


def _suggest_into(request, agency, values: dict) -> dict:
    suggestion = classify.suggest_for_clerk(request.user, agency, notation=values["notation"],
                                            subject=values["subject"], sender_name=values["sender_name"],
                                            uploads=request.FILES.getlist("files"))
    return _prefill(values, suggestion)


def _classification_context(values: dict, notes: dict) -> dict:
    return {"types": queries.document_types(), "sectors": queries.sectors(), "values": values, "notes": notes,
            "suggestion_hidden": [(name, values.get(name, "")) for name in SUGGESTION_FIELDS]}


@staff_required
@require_POST
def suggest_classification(request):
    """htmx: the type/sector block of the registration form, with the suggestion for what is typed so far."""
    choices = queries.clerk_agency_choices(request.user)
    values = {name: (request.POST.get(name) or "").strip() for name in INCOMING_FIELDS + SUGGESTION_FIELDS}
    agency = next((a for a in choices if str(a.pk) == values["agency"]), None)
    notes: dict = {}
    if agency is not None:
        try:
            notes = _suggest_into(request, agency, values)
        except DomainError as exc:
            notes = {"error": exc.message}
    return render(request, "documents/_classification.html", {**_classification_context(values, notes),
                                                              "errors": {}})


@staff_required
@require_http_methods(["GET", "POST"])
def register_incoming(request):
    user = request.user
    choices = queries.clerk_agency_choices(user)
    values = {name: (request.POST.get(name) or "").strip() for name in INCOMING_FIELDS + SUGGESTION_FIELDS}
    errors: dict[str, str] = {}
    notes: dict = {}
    duplicate = False
    if not choices:
        return render(request, "documents/forbidden.html", status=403)
    if request.method == "POST" and request.POST.get("goi-y"):  # the suggestion button, without JavaScript
        agency = next((a for a in choices if str(a.pk) == values["agency"]), None)
        if agency is None:
            errors["agency"] = "Hãy chọn cơ quan nhận văn bản."
        else:
            notes = _suggest_into(request, agency, values)
            notes["reselect_files"] = bool(request.FILES.getlist("files"))
    elif request.method == "POST":
        try:
            agency = next((a for a in choices if str(a.pk) == values["agency"]), None)
            if agency is None:
                raise DomainError("agency_required", "Hãy chọn cơ quan nhận văn bản.", field="agency")
            fields = services.IncomingFields(
                subject=_text(request.POST, "subject", required=True, label="trích yếu"),
                sender_name=_text(request.POST, "sender_name", max_length=250, required=True,
                                  label="cơ quan ban hành"),
                sender_code=_text(request.POST, "sender_code", max_length=13),
                notation=_text(request.POST, "notation", max_length=60).replace(" ", ""),
                document_type=_document_type(request.POST),
                issued_date=_day(request.POST, "issued_date"),
                urgency=_choice(request.POST, "urgency", Urgency),
                secrecy=_choice(request.POST, "secrecy", Secrecy),
                signer_name=_text(request.POST, "signer_name", max_length=100),
                signer_position=_text(request.POST, "signer_position", max_length=100),
                due_date=_day(request.POST, "due_date"),
                copies=_int(request.POST, "copies") or 1,
                note=_text(request.POST, "note"),
                sector=_sector(request.POST),
                extra={"suggestion": {name: values[name] for name in SUGGESTION_FIELDS}},
            )
            document = services.register_incoming(user, agency, fields, request.FILES.getlist("files"),
                                                   force=request.POST.get("force") == "1")
        except DomainError as exc:
            errors[exc.field or "form"] = exc.message
            duplicate = exc.code == "duplicate_incoming"
        else:
            messages.success(request, f"Đã vào sổ văn bản đến, số đến {document.arrival_number}.")
            return redirect(_document_url(document.pk))
    if not values["agency"] and len(choices) == 1:
        values["agency"] = str(choices[0].pk)
    context = {"agencies": choices, "errors": errors, "duplicate": duplicate, "urgencies": Urgency.choices,
               "secrecies": Secrecy.choices, "today": timezone.localdate(), **_classification_context(values, notes)}
    return render(request, "documents/register_incoming.html", context, status=400 if errors else 200)


@staff_required
@require_http_methods(["GET", "POST"])
def create_draft(request):
    user = request.user
    choices = queries.drafting_choices(user)
    if not choices:
        return render(request, "documents/forbidden.html", status=403)
    source = request.POST if request.method == "POST" else request.GET
    reply_pk = _int(source, "tra-loi") if (source.get("tra-loi") or "").isdigit() else None
    reply_to = queries.document_for(user, reply_pk) if reply_pk else None
    values = {name: (request.POST.get(name) or "").strip()
              for name in ("place", "document_type", "subject", "urgency", "secrecy", "due_date", "copies", "note",
                           "sector")}
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            pair = next(((a, u) for a, u in choices if f"{a.pk}:{u.pk}" == values["place"]), None)
            if pair is None:
                raise DomainError("place_required", "Hãy chọn cơ quan ban hành và đơn vị soạn thảo.", field="place")
            upload = request.FILES.get("file")
            if upload is None:
                raise DomainError("file_required", "Hãy chọn tệp dự thảo (PDF hoặc DOCX).", field="file")
            document = services.create_draft(
                user, pair[0], _document_type(request.POST),
                _text(request.POST, "subject", required=True, label="trích yếu"), upload, unit=pair[1],
                reply_to=reply_to, urgency=_choice(request.POST, "urgency", Urgency),
                secrecy=_choice(request.POST, "secrecy", Secrecy), due_date=_day(request.POST, "due_date"),
                copies=_int(request.POST, "copies") or 1, note=_text(request.POST, "note"),
                sector=_sector(request.POST))
        except DomainError as exc:
            errors[exc.field or "form"] = exc.message
        else:
            messages.success(request, "Đã tạo dự thảo. Kiểm tra rồi bấm “Trình duyệt”.")
            return redirect(_document_url(document.pk))
    if not values["place"] and choices:
        if reply_to is not None:
            values["place"] = next((f"{a.pk}:{u.pk}" for a, u in choices if a.pk == reply_to.agency_id), "")
        values["place"] = values["place"] or f"{choices[0][0].pk}:{choices[0][1].pk}"
    context = {"choices": [(f"{a.pk}:{u.pk}", a, u) for a, u in choices],
               "types": queries.document_types(outgoing=True), "sectors": queries.sectors(),
               "values": values, "errors": errors,
               "reply_to": reply_to, "urgencies": Urgency.choices, "secrecies": Secrecy.choices}
    return render(request, "documents/create_draft.html", context, status=400 if errors else 200)


# --- registers ----------------------------------------------------------------------------------------------------

def _register_params(request):
    user = request.user
    agencies = queries.register_agencies(user)
    raw_agency = request.GET.get("co-quan") or ""
    agency = next((a for a in agencies if str(a.pk) == raw_agency), agencies[0] if agencies else None)
    year = _int(request.GET, "nam") if (request.GET.get("nam") or "").isdigit() else None
    year = year or timezone.localdate().year
    direction = "den" if request.GET.get("loai") == "den" else "di"
    secret = request.GET.get("mat") == "1"
    return agencies, agency, year, direction, secret


def _register_rows(request, agency, year, direction, secret):
    if agency is None:
        return []
    if direction == "den":
        return queries.incoming_register(request.user, agency, year, secret=secret)
    return queries.outgoing_register(request.user, agency, year, secret=secret)


def _lead_text(document) -> str:
    parts = []
    for a in document.assignments.all():
        if a.role == Assignment.Role.LEAD:
            parts.append(str(a.assignee) + (f" ({a.handler})" if a.handler_id else ""))
    return "; ".join(parts)


@staff_required
@require_GET
def register_book(request):
    agencies, agency, year, direction, secret = _register_params(request)
    rows = _register_rows(request, agency, year, direction, secret)
    for row in rows:
        row.lead_text = _lead_text(row) if direction == "den" else ""
        row.recipients_text = "; ".join(d.recipient_name for d in row.deliveries.all()) if direction == "di" else ""
    return render(request, "documents/register.html", {
        "agencies": agencies, "agency": agency, "year": year, "direction": direction, "secret": secret,
        "rows": rows, "query": request.GET.urlencode(),
    })


@staff_required
@require_GET
def register_csv(request):
    _agencies, agency, year, direction, secret = _register_params(request)
    rows = _register_rows(request, agency, year, direction, secret)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"so-van-ban-{'den' if direction == 'den' else 'di'}-{agency.short_name if agency else ''}-{year}.csv"
    response["Content-Disposition"] = f'attachment; filename="{fold(name).replace(" ", "-")}"'
    response.write("\ufeff")  # Excel reads UTF-8 with a BOM
    writer = csv.writer(response)
    if direction == "den":
        writer.writerow(["Ngày đến", "Số đến", "Tác giả", "Số, ký hiệu", "Ngày tháng văn bản",
                         "Tên loại và trích yếu nội dung", "Đơn vị hoặc người nhận", "Ký nhận", "Ghi chú"])
        for d in rows:
            writer.writerow([
                timezone.localtime(d.received_at).strftime("%d/%m/%Y") if d.received_at else "", d.arrival_number,
                d.sender_name, d.notation, d.issued_date.strftime("%d/%m/%Y") if d.issued_date else "",
                f"{d.type_name}: {d.subject}" if d.type_name else d.subject, _lead_text(d), "", d.note])
    else:
        writer.writerow(["Số, ký hiệu văn bản", "Ngày tháng văn bản", "Tên loại và trích yếu nội dung",
                         "Người ký", "Nơi nhận văn bản", "Đơn vị, người nhận bản lưu", "Số lượng bản",
                         "Ngày chuyển", "Ký nhận", "Ghi chú"])
        for d in rows:
            deliveries = list(d.deliveries.all())
            writer.writerow([
                d.notation, d.issued_date.strftime("%d/%m/%Y") if d.issued_date else "",
                f"{d.type_name}: {d.subject}" if d.type_name else d.subject, d.signer_name,
                "; ".join(x.recipient_name for x in deliveries), d.unit.short_name if d.unit_id else "", d.copies,
                timezone.localtime(deliveries[0].delivered_at).strftime("%d/%m/%Y") if deliveries else "", "",
                d.note])
    return response

