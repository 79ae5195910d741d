"""Sign-in (password, then the second factor), two-factor enrolment, recovery codes, password change and the
security events page. Thin: services make every change, queries every read."""

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.paginator import Paginator
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from tinhso.core.errors import DomainError

from . import conf, queries, services, totp
from .forms import CodeForm, EventFilterForm, LoginForm
from .services import LoginRefused

SHOW_CODES = "security.show_codes"


def _safe_next(request, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return ""


def _after_login(request, next_url: str):
    return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request):
    """The sign-in page (``core:login``): lockout, then password, then the second factor where required."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next", ""))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username, password = form.cleaned_data["username"], form.cleaned_data["password"]
        try:
            user = services.authenticate_password(request, username, password)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            if queries.totp_required(user):
                services.start_pending(request, user, next_url=next_url, username=username)
                if queries.confirmed_device(user) is None:
                    return redirect("security:enrol")
                return redirect("security:verify")
            services.complete_login(request, user, method="password")
            return _after_login(request, next_url)
    return render(request, "core/login.html", {"form": form, "next": next_url})


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def verify(request):
    """Second step of sign-in: the code from the authenticator app, or a recovery code."""
    user = services.pending_user(request)
    if user is None:
        messages.info(request, _("Vui lòng đăng nhập lại."))
        return redirect("core:login")
    if queries.confirmed_device(user) is None:
        return redirect("security:enrol")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            next_url = services.verify_second_factor(request, user, form.cleaned_data["code"])
        except LoginRefused as exc:
            messages.error(request, exc.message)
            return redirect("core:login")
        except DomainError as exc:
            if exc.code == "wrong_code":
                form.add_error("code", exc.message)
            else:
                messages.error(request, exc.message)
                return redirect("core:login")
        else:
            left = queries.recovery_codes_left(user)
            if left <= 2:
                messages.warning(request, _("Bạn còn %(n)d mã khôi phục. Hãy tạo bộ mã mới ở trang Bảo mật.")
                                 % {"n": left})
            return _after_login(request, next_url)
    return render(request, "security/verify.html", {"form": form, "pending_user": user})


def _qr_data_uri(uri: str) -> str:
    return segno.make(uri, error="m", micro=False).svg_data_uri(scale=5, border=2)


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def enrol(request):
    """Set up the authenticator app: a secret (as text and as a QR code), confirmed by one code.

    Reached during sign-in by staff who must use two-factor authentication and have not set it up (they are then
    signed in), or from the Security page by a signed-in user (it replaces their authenticator).
    """
    pending = None if request.user.is_authenticated else services.pending_user(request)
    user = request.user if request.user.is_authenticated else pending
    if user is None:
        return redirect(f"{reverse('core:login')}?next={reverse('security:enrol')}")
    if pending is not None and queries.confirmed_device(pending) is not None:
        return redirect("security:verify")
    secret = services.enrolment_secret(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.confirm_enrolment(request, user, form.cleaned_data["code"])
        except DomainError as exc:
            form.add_error("code", exc.message)
        else:
            next_url = ""
            if pending is not None:
                next_url = services.complete_login(request, user, method="totp")
            request.session[SHOW_CODES] = {"codes": codes, "next": next_url}
            messages.success(request, _("Đã bật xác thực hai lớp."))
            return redirect("security:codes")
    uri = totp.provisioning_uri(secret, account=user.get_username(), issuer=conf.issuer())
    return render(request, "security/enrol.html", {
        "form": form, "secret": secret, "secret_groups": [secret[i:i + 4] for i in range(0, len(secret), 4)],
        "qr": _qr_data_uri(uri), "otpauth_uri": uri, "pending": pending is not None,
        "replacing": pending is None and queries.confirmed_device(user) is not None,
    })


@login_required
@never_cache
def codes(request):
    """The recovery codes just made, shown once."""
    shown = request.session.pop(SHOW_CODES, None)
    if not shown:
        return redirect("security:index")
    return render(request, "security/codes.html", {"codes": shown["codes"], "next": shown.get("next") or ""})


@login_required
@require_POST
def regenerate_codes(request):
    try:
        codes = services.regenerate_recovery_codes(request, request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("security:index")
    request.session[SHOW_CODES] = {"codes": codes, "next": ""}
    return redirect("security:codes")


@login_required
@never_cache
def index(request):
    user = request.user
    device = queries.confirmed_device(user)
    return render(request, "security/index.html", {
        "device": device,
        "codes_left": queries.recovery_codes_left(user) if device else 0,
        "required": queries.totp_required(user),
        "totp_enabled": conf.get("TOTP_ENABLED"),
        "can_view_events": queries.can_view_events(user),
        "idle_minutes": conf.get("IDLE_MINUTES_STAFF") if user.kind == "staff" else conf.get("IDLE_MINUTES"),
    })


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@login_required
@csrf_protect
@never_cache
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()  # the event is recorded when the account is saved with a new password (receivers.py)
        update_session_auth_hash(request, form.user)
        messages.success(request, _("Đã đổi mật khẩu."))
        return redirect("security:index")
    return render(request, "security/password_change.html", {"form": form})


@login_required
@never_cache
def events(request):
    if not queries.can_view_events(request.user):
        return render(request, "security/forbidden.html", status=403)
    form = EventFilterForm(request.GET or None)
    filters = queries.EventFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = queries.EventFilters(kind=data["kind"], q=data["q"], date_from=data["date_from"],
                                       date_to=data["date_to"])
    page = Paginator(queries.events_for(request.user, filters), 50).get_page(request.GET.get("trang"))
    query = request.GET.copy()
    query.pop("trang", None)
    return render(request, "security/events.html", {"form": form, "page": page, "query": query.urlencode()})
