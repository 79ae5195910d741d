"""Pages for applicants (start an online dossier, upload, submit, follow, supplement, withdraw, download) and the
public lookup. Thin: they validate input, call ``services`` or ``queries_public``, and render. A refused operation
(``DomainError``) is shown as its Vietnamese message on the page; files already uploaded stay where they are.
"""

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from tinhso.catalog import queries as catalog_queries
from tinhso.catalog.models import Channel, ProcedureVersion
from tinhso.core.errors import DomainError, NotFound
from tinhso.core.files import private_download
from tinhso.core.middleware import client_ip

from . import queries_public as queries
from . import services
from .models import Attachment, Dossier, PersonalDocument, Status

FIELD_STEP = {"receiving_agency": 1, "delivery": 2, "delivery_address": 2}


def applicant_required(view):
    """Signed in, with a citizen or business account; staff accounts get an explanation instead."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_applicant:
            return render(request, "onestop/citizen/not_applicant.html", status=403)
        return view(request, *args, **kwargs)

    return login_required(never_cache(wrapper))


def _own(request, pk: int) -> Dossier:
    try:
        return queries.dossier_for_applicant(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _page(dossier: Dossier) -> str:
    return reverse("onestop:citizen-dossier", args=[dossier.pk])


# --- start an online dossier --------------------------------------------------------------------------------------

class StartForm(forms.Form):
    desk = forms.ChoiceField(error_messages={"required": "Hãy chọn nơi nộp hồ sơ.",
                                             "invalid_choice": "Nơi nộp này không nhận hồ sơ của thủ tục."})
    delivery = forms.ChoiceField(choices=Dossier.Delivery.choices,
                                 error_messages={"required": "Hãy chọn cách nhận kết quả.",
                                                 "invalid_choice": "Cách nhận kết quả không hợp lệ."})
    address = forms.CharField(max_length=300, required=False, strip=True,
                              error_messages={"max_length": "Địa chỉ dài quá 300 ký tự."})

    def __init__(self, *args, desks, **kwargs):
        super().__init__(*args, **kwargs)
        self.desks = {d.code: d for d in desks}
        self.fields["desk"].choices = [(d.code, d.name) for d in desks]

    def clean(self):
        data = super().clean()
        if data.get("delivery") == Dossier.Delivery.POST and not data.get("address"):
            self.add_error("address", "Hãy nhập địa chỉ nhận kết quả qua bưu chính.")
        return data


def _online_offered(version: ProcedureVersion) -> bool:
    return version.online_level != ProcedureVersion.OnlineLevel.NONE and any(
        c.kind == Channel.Kind.ONLINE for c in version.channels.all())


@require_http_methods(["GET", "POST"])
@applicant_required
def start(request, procedure_code: str):
    """Three short screens: where to file, how to receive the result, check the details; then the draft exists."""
    procedure = catalog_queries.procedure_detail(procedure_code)
    if procedure is None:
        raise Http404("Không tìm thấy thủ tục.")
    version = procedure.current
    context = {"procedure": procedure, "version": version}
    if not _online_offered(version):
        return render(request, "onestop/citizen/start.html", {**context, "not_online": True})
    desks = services.receiving_agencies(version)
    final = request.method == "POST"
    try:
        wanted = 3 if final else min(max(int(request.GET.get("buoc", "1")), 1), 3)
    except ValueError:
        wanted = 1
    data = request.POST if final else request.GET
    initial = {"desk": request.GET.get("desk") or (desks[0].code if len(desks) == 1 else None),
               "delivery": Dossier.Delivery.ELECTRONIC, "address": request.user.address}
    form = StartForm(data if wanted > 1 else None, desks=desks, initial=initial)
    step = 1
    if wanted > 1:
        form.is_valid()
        if "desk" in form.errors:
            step = 1
        elif wanted > 2 and ("delivery" in form.errors or "address" in form.errors):
            step = 2
        else:
            step = wanted
    error = ""
    if final and step == 3:
        cleaned = form.cleaned_data
        delivery = cleaned["delivery"]
        try:
            dossier = services.create_dossier(
                request.user, procedure_code=procedure.code, channel_kind=Channel.Kind.ONLINE,
                receiving_agency=form.desks[cleaned["desk"]], delivery=delivery,
                delivery_address=cleaned.get("address", "") if delivery == Dossier.Delivery.POST else "",
                draft=True)
        except DomainError as exc:
            error, step = exc.message, FIELD_STEP.get(exc.field, 3)
        else:
            messages.success(request, "Đã tạo hồ sơ (bản nháp). Bây giờ hãy tải lên các giấy tờ.")
            return redirect(_page(dossier))
    chosen_desk = form.desks.get(form.cleaned_data.get("desk")) if form.is_bound else None
    status = 400 if (error or step < wanted) else 200
    return render(request, "onestop/citizen/start.html", {
        **context, "form": form, "desks": desks, "step": step, "show_errors": step < wanted or bool(error),
        "error": error, "chosen_desk": chosen_desk, "delivery_choices": Dossier.Delivery.choices,
        "delivery_value": form["delivery"].value() or Dossier.Delivery.ELECTRONIC,
        "delivery_label": dict(Dossier.Delivery.choices).get(form["delivery"].value(), ""),
    }, status=status)


# --- the applicant's dossiers -------------------------------------------------------------------------------------

@require_GET
@applicant_required
def dossier_list(request):
    dossiers = list(queries.my_dossiers(request.user))
    rows = [{"dossier": d, "status": queries.display_status(d), "tone": queries.status_tone(d),
             "remaining": queries.remaining_text(d)} for d in dossiers]
    return render(request, "onestop/citizen/list.html", {"rows": rows})


def _draft_context(dossier: Dossier, *, item_errors: dict | None = None, error: str = "",
                   mark_missing: bool = False) -> dict:
    store = list(queries.my_store(dossier.applicant)) if dossier.applicant_id else []
    items = queries.items_with_files(dossier, store)
    for view in items:
        view.error = (item_errors or {}).get(view.item.pk, "")
        if mark_missing and view.missing and not view.error:
            view.error = "Chưa có tệp cho giấy tờ bắt buộc này."
    mandatory = [v for v in items if v.item.mandatory]
    return {"dossier": dossier, "items": items, "error": error, "mandatory_total": len(mandatory),
            "mandatory_done": sum(1 for v in mandatory if v.files),
            "missing": [v for v in mandatory if not v.files] if mark_missing else [],
            "focus_item": next(iter(item_errors or {}), None)}


def _detail_context(dossier: Dossier, *, error: str = "") -> dict:
    request_open = queries.open_supplement_request(dossier)
    return {
        "dossier": dossier, "status": queries.display_status(dossier), "tone": queries.status_tone(dossier),
        "remaining": queries.remaining_text(dossier), "financial": dossier.status == Status.FINANCIAL,
        "history": queries.applicant_history(dossier), "supplement": request_open,
        "supplement_files": queries.supplement_files(dossier, request_open),
        "results": queries.result_files(dossier), "can_withdraw": queries.can_withdraw(dossier),
        "inputs": [a for a in dossier.attachments.all() if a.kind in (Attachment.Kind.INPUT,
                                                                       Attachment.Kind.SUPPLEMENT)],
        "error": error,
    }


@require_GET
@applicant_required
def dossier_page(request, pk: int):
    dossier = _own(request, pk)
    if dossier.is_draft:
        return render(request, "onestop/citizen/draft.html", _draft_context(dossier))
    return render(request, "onestop/citizen/detail.html", _detail_context(dossier))


def _item_of(dossier: Dossier, item_pk: int):
    item = next((i for i in dossier.items.all() if i.pk == item_pk), None)
    if item is None:
        raise Http404("Không tìm thấy thành phần hồ sơ.")
    return item


def _item_response(request, dossier: Dossier, item_pk: int, *, error: str = "", announce: str = ""):
    """After an upload or a removal: the component's block (htmx) or the whole draft page."""
    dossier = _own(request, dossier.pk)  # fresh files
    if request.htmx:
        context = _draft_context(dossier, item_errors={item_pk: error} if error else None)
        view = next(v for v in context["items"] if v.item.pk == item_pk)
        return render(request, "onestop/citizen/_item.html", {**context, "view": view, "announce": announce,
                                                              "swapped": True, "focus_item": item_pk})
    if error:
        return render(request, "onestop/citizen/draft.html", _draft_context(dossier, item_errors={item_pk: error}),
                      status=400)
    if announce:
        messages.success(request, announce)
    return redirect(f"{_page(dossier)}#item-{item_pk}")


@require_POST
@applicant_required
def upload(request, pk: int, item_pk: int):
    dossier = _own(request, pk)
    item = _item_of(dossier, item_pk)
    upload_file = request.FILES.get("file")
    if upload_file is None:
        return _item_response(request, dossier, item.pk, error="Hãy chọn một tệp trước khi bấm “Tải lên”.")
    try:
        attachment = services.add_attachment(request.user, dossier, upload_file, item=item)
    except DomainError as exc:
        return _item_response(request, dossier, item.pk, error=exc.message)
    return _item_response(request, dossier, item.pk, announce=f"Đã tải lên tệp “{attachment.name}”.")


@require_POST
@applicant_required
def use_store(request, pk: int, item_pk: int):
    """Attach a document of the applicant's store to a component instead of uploading it again."""
    dossier = _own(request, pk)
    item = _item_of(dossier, item_pk)
    raw = (request.POST.get("document") or "").strip()
    if not raw.isdigit():
        return _item_response(request, dossier, item.pk, error="Hãy chọn một giấy tờ trong kho trước khi bấm “Dùng”.")
    try:
        attachment = services.attach_from_store(request.user, dossier, item, int(raw))
    except DomainError as exc:
        return _item_response(request, dossier, item.pk, error=exc.message)
    return _item_response(request, dossier, item.pk,
                          announce=f"Đã dùng giấy tờ “{attachment.name}” trong kho, không cần tải lên lại.")


@require_POST
@applicant_required
def remove(request, pk: int, attachment_pk: int):
    dossier = _own(request, pk)
    attachment = next((a for a in dossier.attachments.all()
                       if a.pk == attachment_pk and a.kind == Attachment.Kind.INPUT), None)
    if attachment is None:
        raise Http404("Không tìm thấy tệp.")
    item_pk, name = attachment.item_id, attachment.name
    try:
        services.remove_attachment(request.user, attachment)
    except DomainError as exc:
        if item_pk is None:
            messages.error(request, exc.message)
            return redirect(_page(dossier))
        return _item_response(request, dossier, item_pk, error=exc.message)
    if item_pk is None:
        return redirect(_page(dossier))
    return _item_response(request, dossier, item_pk, announce=f"Đã xóa tệp “{name}”.")


@require_POST
@applicant_required
def submit(request, pk: int):
    dossier = _own(request, pk)
    try:
        services.submit(request.user, dossier)
    except DomainError as exc:
        dossier = _own(request, pk)
        if dossier.is_draft:
            return render(request, "onestop/citizen/draft.html",
                          _draft_context(dossier, error=exc.message, mark_missing=True), status=400)
        messages.error(request, exc.message)
        return redirect(_page(dossier))
    messages.success(request, "Đã nộp hồ sơ. Bộ phận Một cửa sẽ kiểm tra và tiếp nhận; bạn sẽ nhận được thông báo.")
    return redirect(_page(dossier))


@require_POST
@applicant_required
def supplement(request, pk: int):
    """Upload the requested documents, then hand the supplement in. A file that is refused stops the hand-in, but
    the files already accepted stay listed: sending again only needs the missing one."""
    dossier = _own(request, pk)
    note = request.POST.get("note", "").strip()[:2000]
    errors = []
    for upload_file in request.FILES.getlist("files"):
        try:
            services.add_attachment(request.user, dossier, upload_file, kind=Attachment.Kind.SUPPLEMENT)
        except DomainError as exc:
            errors.append(f"{upload_file.name}: {exc.message}")
    dossier = _own(request, pk)
    if not errors and not queries.supplement_files(dossier, queries.open_supplement_request(dossier)) and not note:
        errors.append("Hãy chọn ít nhất một tệp giấy tờ bổ sung.")
    if not errors:
        try:
            services.provide_supplement(request.user, dossier, note=note)
        except DomainError as exc:
            errors.append(exc.message)
    if errors:
        context = _detail_context(dossier)
        return render(request, "onestop/citizen/detail.html",
                      {**context, "supplement_errors": errors, "supplement_note": note}, status=400)
    messages.success(request, "Đã gửi giấy tờ bổ sung. Cơ quan giải quyết sẽ tiếp tục xử lý hồ sơ.")
    return redirect(_page(dossier))


@require_http_methods(["GET", "POST"])
@applicant_required
def withdraw(request, pk: int):
    dossier = _own(request, pk)
    error = ""
    if request.method == "POST":
        reason = request.POST.get("reason", "").strip()[:1000]
        try:
            services.withdraw(request.user, dossier, reason)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, "Đã rút hồ sơ. Hồ sơ sẽ không được xử lý tiếp.")
            return redirect(_page(dossier))
    return render(request, "onestop/citizen/withdraw.html", {"dossier": dossier, "error": error},
                  status=400 if error else 200)


@require_GET
@applicant_required
def download(request, pk: int, attachment_pk: int):
    """Stream one of the applicant's files through the storage API (never a public media URL)."""
    try:
        attachment = queries.downloadable_attachment(request.user, pk, attachment_pk)
    except NotFound as exc:
        raise Http404("Không tìm thấy tệp.") from exc
    return private_download(attachment.file, name=attachment.name, content_type=attachment.content_type)


@require_GET
@applicant_required
def receipt(request, pk: int):
    """The receipt and appointment slip (form 01) as PDF, once the dossier was accepted."""
    dossier = _own(request, pk)
    if dossier.received_at is None:
        raise Http404("Hồ sơ chưa được tiếp nhận nên chưa có giấy hẹn.")
    try:
        from tinhso.onestop.forms import receipt_slip
    except ImportError:
        return render(request, "onestop/citizen/message.html", {
            "dossier": dossier, "title": "Giấy hẹn chưa sẵn sàng",
            "message": "Chức năng in giấy tiếp nhận và hẹn trả kết quả đang được cập nhật. Vui lòng thử lại sau."},
            status=503)
    try:
        pdf = receipt_slip(dossier)
    except DomainError as exc:
        return render(request, "onestop/citizen/message.html",
                      {"dossier": dossier, "title": "Không tạo được giấy hẹn", "message": exc.message}, status=409)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="giay-hen-{dossier.code or dossier.pk}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- the personal document store (kho giấy tờ của tôi) -------------------------------------------------------------

@require_GET
@applicant_required
def store(request):
    q = request.GET.get("q", "").strip()[:100]
    kind = request.GET.get("loai", "")
    documents = list(queries.my_store(request.user, q=q, kind=kind).select_related("source_dossier"))
    return render(request, "onestop/citizen/store.html", {
        "documents": documents, "q": q, "kind": kind if kind in PersonalDocument.Kind.values else "",
        "kinds": PersonalDocument.Kind.choices, "filtered": bool(q or kind),
        "total": queries.my_store(request.user).count() if (q or kind) else len(documents)})


@require_GET
@applicant_required
def store_download(request, document_pk: int):
    try:
        document = queries.store_document(request.user, document_pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return private_download(document.file, name=document.name, content_type=document.content_type)


@require_POST
@applicant_required
def store_hide(request, document_pk: int):
    try:  # anyone else's entry: the same 404 as one that does not exist
        document = queries.store_document(request.user, document_pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    try:
        document = services.hide_store_document(request.user, document)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Đã xóa “{document.title}” khỏi kho giấy tờ. Các hồ sơ đã dùng giấy tờ này không "
                                  "bị ảnh hưởng.")
    if request.htmx:  # asked (hx-confirm) and posted by htmx: reload the page, with the message
        return HttpResponseClientRedirect(reverse("onestop:citizen-store"))
    return redirect(reverse("onestop:citizen-store"))


# --- the public lookup --------------------------------------------------------------------------------------------

@require_GET
@never_cache
def lookup(request):
    code = request.GET.get("ma", "").strip()[:40]
    factor = request.GET.get("khoa", "").strip()[:20]
    context = {"code": code, "factor": factor, "searched": bool(code or factor), "result": None}
    status = 200
    if context["searched"]:
        try:
            queries.check_lookup_rate(client_ip(request))
        except queries.RateLimited as exc:
            context["error"], status = exc.message, 429
        else:
            dossier = queries.public_lookup(code, factor)
            if dossier is None:
                context["error"], status = queries.NOT_FOUND_MESSAGE, 404
            else:
                context["result"] = queries.public_view(dossier)
    response = render(request, "onestop/lookup.html", context, status=status)
    response["Referrer-Policy"] = "no-referrer"
    if status == 429:
        response["Retry-After"] = str(queries.lookup_rate()[1])
    return response
