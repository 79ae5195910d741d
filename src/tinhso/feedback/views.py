"""Pages: rating a dossier (from the account, the lookup page, the kiosk at the desk), petitions for the public
(send, follow, published answers) and for staff (the agency's work list, one petition and its actions).

Thin: read the request, call ``services`` (every change) or ``queries`` (every read), render. A refusal
(``DomainError``) is shown as its Vietnamese message, never as an error page.
"""

import uuid
from functools import wraps
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tinhso.core.errors import DomainError, Forbidden, NotFound
from tinhso.core.middleware import client_ip
from tinhso.core.models import Agency
from tinhso.onestop import queries_public as onestop_public

from . import queries, services
from .models import Petition, PetitionVote, Rating

KIOSK_RETURN_SECONDS = 8
THANKS = "Cảm ơn bạn đã đánh giá. Ý kiến của bạn đã được ghi nhận."


def _post(request, name: str, limit: int = 5000) -> str:
    return (request.POST.get(name) or "").strip()[:limit]


def _rate_limited(request) -> str:
    """Count one lookup for this address (shared with the dossier lookup); the message when over the limit."""
    try:
        onestop_public.check_lookup_rate(client_ip(request))
    except onestop_public.RateLimited as exc:
        return exc.message
    return ""


def _message(request, title: str, message: str, status: int = 400):
    return render(request, "feedback/message.html", {"title": title, "message": message}, status=status)


# --- rating a dossier ---------------------------------------------------------------------------------------------

@require_POST
@never_cache
def rate_account(request, pk: int):
    """The applicant rates their own dossier from its page."""
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("onestop:citizen-dossier", args=[pk]))
    back = reverse("onestop:citizen-dossier", args=[pk]) + "#danh-gia"
    try:
        services.rate_as_applicant(request.user, pk, request.POST.get("value", ""), _post(request, "comment", 2000))
    except Forbidden as exc:
        return _message(request, "Không thể đánh giá", exc.message, status=403)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, THANKS)
    return redirect(back)


@csrf_exempt
@require_POST
@never_cache
def rate_lookup(request):
    """Rate from the public lookup result: the code and the lookup secret prove the right.

    Not CSRF-checked: the request carries its own proof (the secret) and acts for no signed-in account; the lookup
    page sends no referrer (``Referrer-Policy: no-referrer``), so browsers post its forms with ``Origin: null``,
    which the CSRF check would refuse."""
    code, factor = _post(request, "ma", 40), _post(request, "khoa", 20)
    secret = _post(request, "secret", 20) or factor
    back = reverse("onestop:lookup") + "?" + urlencode({"ma": code, "khoa": factor}) + "#danh-gia"
    limited = _rate_limited(request)
    if limited:
        return _message(request, "Tạm dừng đánh giá", limited, status=429)
    try:
        services.rate_by_lookup(code, secret, request.POST.get("value", ""), _post(request, "comment", 2000))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, THANKS)
    response = redirect(back)
    response["Referrer-Policy"] = "no-referrer"
    return response


# --- the kiosk at the desk ----------------------------------------------------------------------------------------

def _kiosk(request, template: str, context: dict, status: int = 200):
    return render(request, f"feedback/kiosk/{template}", {"choices": Rating.Value.choices, **context},
                  status=status)


@require_http_methods(["GET", "POST"])
@never_cache
def kiosk(request):
    """The kiosk's start screen: type the dossier code and lookup secret (or, for the desk's officer, pick a dossier
    returned today)."""
    queue = queries.kiosk_queue(request.user) if request.user.is_authenticated else []
    if request.method == "GET":
        return _kiosk(request, "start.html", {"queue": queue})
    code, secret = _post(request, "ma", 40).upper(), _post(request, "khoa", 20).upper()
    error = _rate_limited(request)
    dossier = None
    if not error:
        dossier = queries.dossier_by_code_and_secret(code, secret)
        if dossier is None:
            error = services.LOOKUP_NOT_FOUND
        elif queries.rating_of(dossier.pk) is not None:
            error = "Hồ sơ này đã được đánh giá. Mỗi hồ sơ chỉ được đánh giá một lần. Xin cảm ơn!"
        elif not queries.rateable(dossier):
            error = "Hồ sơ chưa có kết quả giải quyết nên chưa thể đánh giá."
    if error:
        return _kiosk(request, "start.html", {"queue": queue, "error": error, "code": code}, status=400)
    return _kiosk(request, "rate.html", {"dossier": dossier, "code": code, "secret": secret,
                                         "action": reverse("feedback:kiosk-rate")})


@require_POST
@never_cache
def kiosk_rate(request):
    code, secret = _post(request, "ma", 40), _post(request, "khoa", 20)
    try:
        services.rate_by_lookup(code, secret, request.POST.get("value", ""), _post(request, "comment", 2000),
                                channel=Rating.Channel.KIOSK)
    except DomainError as exc:
        dossier = queries.dossier_by_code_and_secret(code, secret)
        if exc.code == "value_required" and dossier is not None:
            return _kiosk(request, "rate.html", {"dossier": dossier, "code": code, "secret": secret,
                                                 "error": exc.message, "action": reverse("feedback:kiosk-rate")},
                          status=400)
        return _kiosk(request, "start.html", {"error": exc.message, "code": code}, status=400)
    return redirect("feedback:kiosk-thanks")


@require_http_methods(["GET", "POST"])
@never_cache
def kiosk_dossier(request, pk: int):
    """Opened by a receiving officer of the desk for a dossier just handed over; the applicant taps."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        dossier = queries.kiosk_dossier(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    context = {"dossier": dossier, "action": reverse("feedback:kiosk-dossier", args=[pk])}
    rating = queries.rating_of(dossier.pk)
    if rating is not None:
        return _kiosk(request, "start.html", {"error": "Hồ sơ này đã được đánh giá. Mỗi hồ sơ chỉ được đánh giá "
                                                       "một lần.", "queue": queries.kiosk_queue(request.user)})
    if request.method == "GET":
        if not queries.rateable(dossier):
            return _kiosk(request, "start.html", {"error": "Hồ sơ chưa có kết quả giải quyết nên chưa thể đánh giá.",
                                                  "queue": queries.kiosk_queue(request.user)}, status=409)
        return _kiosk(request, "rate.html", context)
    try:
        services.rate_at_kiosk(request.user, pk, request.POST.get("value", ""), _post(request, "comment", 2000))
    except DomainError as exc:
        return _kiosk(request, "rate.html", {**context, "error": exc.message}, status=400)
    return redirect("feedback:kiosk-thanks")


@require_GET
@never_cache
def kiosk_thanks(request):
    return _kiosk(request, "thanks.html", {"seconds": KIOSK_RETURN_SECONDS})


# --- petitions: the public ----------------------------------------------------------------------------------------

@require_GET
def index(request):
    """Published answers, with a search that ignores diacritics; the way to send a petition."""
    q = request.GET.get("q", "").strip()[:200]
    page = Paginator(queries.published(q), 20).get_page(request.GET.get("trang"))
    rows = [{"p": p, "name": queries.mask_name(p.submitter_name)} for p in page.object_list]
    return render(request, "feedback/index.html", {"q": q, "page": page, "rows": rows})


class PetitionForm(forms.Form):
    """Only reads the fields; the service checks them and its refusals are attached to the fields."""

    about = forms.CharField(required=False)
    subject = forms.CharField(required=False, max_length=300)
    text = forms.CharField(required=False, max_length=6000)
    procedure_code = forms.CharField(required=False, max_length=20)
    dossier_code = forms.CharField(required=False, max_length=40)
    dossier_secret = forms.CharField(required=False, max_length=20)
    agency_code = forms.CharField(required=False, max_length=13)
    staff_name = forms.CharField(required=False, max_length=200)
    name = forms.CharField(required=False, max_length=200)
    phone = forms.CharField(required=False, max_length=20)
    email = forms.CharField(required=False, max_length=254)
    client_token = forms.CharField(required=False, max_length=64)


@require_http_methods(["GET", "POST"])
@never_cache
def submit(request):
    form = PetitionForm(request.POST or None, initial={
        "about": request.GET.get("ve", Petition.About.PROCEDURE), "procedure_code": request.GET.get("thu-tuc", ""),
        "dossier_code": request.GET.get("ho-so", ""), "client_token": uuid.uuid4().hex})
    error = ""
    if request.method == "POST":
        if not form.is_valid():
            error = "Một số thông tin dài quá mức cho phép; hãy rút gọn."
        else:
            try:
                petition = services.submit_petition(request.user, services.PetitionInput(**form.cleaned_data))
            except DomainError as exc:
                if exc.field in form.fields:
                    form.add_error(exc.field, exc.message)
                error = exc.message
            else:
                request.session["feedback_sent"] = {"code": petition.code, "secret": petition.secret}
                return redirect("feedback:sent")
    return render(request, "feedback/submit.html", {
        "form": form, "error": error, "agencies": queries.active_agencies(), "about_choices": Petition.About.choices,
        "about_value": form["about"].value() or Petition.About.PROCEDURE,
        "token": form["client_token"].value() or uuid.uuid4().hex,
    }, status=400 if error else 200)


@require_GET
@never_cache
def sent(request):
    info = request.session.get("feedback_sent")
    if not info:
        return redirect("feedback:index")
    try:
        petition = queries.for_sender(info["code"], info["secret"])
    except NotFound:
        return redirect("feedback:index")
    return render(request, "feedback/sent.html", {"p": petition, "secret": info["secret"]})


def _status_context(request, petition: Petition, secret: str) -> dict:
    return {"p": petition, "secret": secret, "deadlines": queries.deadlines(petition),
            "history": queries.history(petition, for_sender=True), "tone": queries.STATE_TONES[petition.state],
            "my_vote": queries.vote_of(petition, request.user, secret), "vote_choices": PetitionVote.Value.choices,
            "can_vote": request.user.is_authenticated and request.user.is_applicant}


@require_GET
@never_cache
def lookup(request):
    """The sender follows the petition with its code and secret (or signed in as its sender)."""
    code, secret = request.GET.get("ma", "").strip()[:20], request.GET.get("khoa", "").strip()[:20]
    context, status = {"code": code, "secret": secret}, 200
    if code:
        limited = _rate_limited(request)
        if limited:
            context["error"], status = limited, 429
        else:
            try:
                petition = queries.for_sender(code, secret, request.user)
            except NotFound as exc:
                context["error"], status = exc.message, 404
            else:
                context.update(_status_context(request, petition, secret))
    response = render(request, "feedback/lookup.html", context, status=status)
    response["Referrer-Policy"] = "same-origin"  # the code and secret in the address never leave the site
    return response


def _lookup_url(code: str, secret: str) -> str:
    return reverse("feedback:lookup") + "?" + urlencode({"ma": code, "khoa": secret})


@require_POST
@never_cache
def supplement(request):
    code, secret = _post(request, "ma", 20), _post(request, "khoa", 20)
    limited = _rate_limited(request)
    if limited:
        return _message(request, "Tạm dừng", limited, status=429)
    try:
        petition = queries.for_sender(code, secret, request.user)
        services.provide_supplement(petition, _post(request, "info", 3000), actor=request.user, secret=secret)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Đã gửi thông tin bổ sung. Cơ quan có thẩm quyền sẽ tiếp tục xử lý.")
    return redirect(_lookup_url(code, secret))


@require_GET
def published_detail(request, code: str):
    try:
        petition = queries.published_one(code)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return render(request, "feedback/published.html", {
        "p": petition, "name": queries.mask_name(petition.submitter_name),
        "my_vote": queries.vote_of(petition, request.user), "vote_choices": PetitionVote.Value.choices,
        "can_vote": request.user.is_authenticated and request.user.is_applicant})


@require_POST
@never_cache
def vote(request, code: str):
    """Like or dislike a published answer: a signed-in citizen, or the sender with the petition's secret."""
    secret = _post(request, "khoa", 20)
    limited = _rate_limited(request) if secret else ""
    if limited:
        return _message(request, "Tạm dừng", limited, status=429)
    petition = Petition.objects.filter(code=code.upper()).only("pk", "code").first()
    if petition is None:
        raise Http404("Không tìm thấy phản ánh.")
    try:
        services.vote(petition, request.POST.get("value", ""), actor=request.user, secret=secret)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Cảm ơn bạn đã cho biết ý kiến về câu trả lời.")
    if secret:
        return redirect(_lookup_url(petition.code, secret) + "#tra-loi")
    return redirect(reverse("feedback:published", args=[petition.code]) + "#y-kien")


@require_GET
@never_cache
def mine(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    rows = list(queries.my_petitions(request.user))
    return render(request, "feedback/mine.html", {"rows": rows, "tones": queries.STATE_TONES})


# --- petitions: staff ---------------------------------------------------------------------------------------------

def staff_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not queries.is_staff(request.user):
            return _message(request, "Chỉ dành cho cán bộ", "Trang này dành cho cán bộ, công chức xử lý phản ánh, "
                                                           "kiến nghị.", status=403)
        return view(request, *args, **kwargs)

    return never_cache(wrapper)


@require_GET
@staff_required
def staff_inbox(request):
    box = request.GET.get("hop", "mo")
    if box not in dict(queries.INBOX_BOXES):
        box = "mo"
    q = request.GET.get("q", "").strip()[:200]
    page = Paginator(queries.inbox(request.user, box, q), 30).get_page(request.GET.get("trang"))
    counts = queries.box_counts(request.user)
    rows = [{"p": p, "deadline": _next_deadline(p)} for p in page.object_list]
    template = "feedback/staff/_rows.html" if request.htmx else "feedback/staff/inbox.html"
    return render(request, template, {"box": box, "q": q, "page": page, "rows": rows,
                                      "tabs": [(slug, label, counts.get(slug, 0))
                                               for slug, label in queries.INBOX_BOXES]})


def _next_deadline(petition: Petition):
    views = [d for d in queries.deadlines(petition) if d.pending and d.key in ("answer", "publish")]
    return views[0] if views else None


@require_GET
@staff_required
def staff_petition(request, pk: int):
    try:
        petition = queries.petition_for_staff(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return render(request, "feedback/staff/petition.html", _staff_context(request, petition))


def _staff_context(request, petition: Petition, **extra) -> dict:
    return {"p": petition, "deadlines": queries.deadlines(petition), "history": queries.history(petition),
            "repeats": queries.repeats_of(petition), "actions": queries.allowed_actions(request.user, petition),
            "agencies": queries.active_agencies(), "classifications": Petition.Classification.choices,
            "tone": queries.STATE_TONES[petition.state], **extra}


ACTIONS = {
    "tu-choi": ("refuse", "Đã từ chối tiếp nhận phản ánh."),
    "yeu-cau-bo-sung": ("supplement", "Đã gửi yêu cầu bổ sung thông tin cho người gửi."),
    "phan-loai": ("classify", "Đã cập nhật phân loại."),
    "chuyen-xu-ly": ("assign", "Đã chuyển phản ánh đến cơ quan có thẩm quyền."),
    "tra-loi": ("answer", "Đã lưu câu trả lời; phản ánh chờ công khai."),
    "cong-khai": ("publish", "Đã công khai câu trả lời."),
}


@require_POST
@staff_required
def staff_action(request, pk: int, action: str):
    if action not in ACTIONS:
        raise Http404("Không có thao tác này.")
    try:
        petition = queries.petition_for_staff(request.user, pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    name, done = ACTIONS[action]
    user = request.user
    try:
        if name == "refuse":
            services.refuse_petition(user, petition, _post(request, "reason", 2000))
        elif name == "supplement":
            services.request_supplement(user, petition, _post(request, "request", 2000))
        elif name == "classify":
            services.classify_petition(user, petition, request.POST.get("classification", ""),
                                       _post(request, "field", 200))
        elif name == "assign":
            agency = Agency.objects.filter(code=_post(request, "agency", 13), is_active=True).first()
            services.assign_petition(user, petition, agency, _post(request, "note", 2000))
        elif name == "answer":
            services.answer_petition(user, petition, _post(request, "answer", 5000))
        else:
            services.publish_petition(user, petition)
    except DomainError as exc:
        petition = queries.petition_for_staff(user, pk)
        return render(request, "feedback/staff/petition.html",
                      _staff_context(request, petition, error=exc.message, error_action=name,
                                     posted=request.POST), status=exc.status)
    messages.success(request, done)
    return redirect("feedback:staff-petition", pk=pk)
