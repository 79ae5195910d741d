"""HTTP hardening and session guard.

``SecurityHeadersMiddleware`` (early in MIDDLEWARE): Content-Security-Policy (or its report-only form),
Permissions-Policy, and Referrer-Policy / X-Content-Type-Options where nothing set them.

``SessionGuardMiddleware`` (after authentication and messages):

- idle timeout and absolute lifetime of signed-in sessions (back to the sign-in page with a message);
- two-factor gate: a session signed in some other way (Django's admin login, an old session) by a user who must use
  two-factor authentication is turned back into "password passed, code owed";
- Django admin's own login page is replaced by ours (lockout and two-factor apply there too);
- every 403 answer (``Forbidden`` from the API, refused pages, CSRF failures) is recorded as a security event.
"""

import json

from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, logout
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from . import conf, queries, services

SILENT_LOGOUT = "_security_silent_logout"
MFA_FREE_UNTIL = "security.mfa_free_until"  # the signed-in user did not need a code when last checked
MFA_RECHECK_SECONDS = 300


def content_security_policy() -> str:
    directives = conf.get("CSP") or {}
    return "; ".join(f"{name} {' '.join(values)}".strip() for name, values in directives.items())


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response and "Content-Security-Policy-Report-Only" not in response:
            policy = content_security_policy()
            if policy:
                header = "Content-Security-Policy-Report-Only" if conf.get("CSP_REPORT_ONLY") else \
                    "Content-Security-Policy"
                response[header] = policy
        if conf.get("PERMISSIONS_POLICY"):
            response.setdefault("Permissions-Policy", conf.get("PERMISSIONS_POLICY"))
        response.setdefault("Referrer-Policy", "same-origin")
        response.setdefault("X-Content-Type-Options", "nosniff")
        return response


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _login_url(next_url: str = "") -> str:
    url = reverse("core:login")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _go(request, url: str):
    """Send the browser to ``url``: an htmx request is told to navigate rather than swap a page into a fragment."""
    if getattr(request, "htmx", False):
        return HttpResponse(status=204, headers={"HX-Redirect": url})
    return redirect(url)


class SessionGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self._admin_login(request) or self._guard(request)
        if response is None:
            response = self.get_response(request)
        if response.status_code == 403:
            self._record_denied(request, response)
        return response

    # Django admin's login page would skip lockout and two-factor authentication: use ours.
    def _admin_login(self, request):
        try:
            admin_login = reverse("admin:login")
        except NoReverseMatch:
            return None
        if request.path != admin_login:
            return None
        return redirect(_login_url(request.GET.get("next") or reverse("admin:index")))

    def _guard(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        session = request.session
        now = conf.now().timestamp()
        started, seen = session.get(services.STARTED), session.get(services.SEEN)
        if started is None or seen is None:  # signed in before this guard existed, or by a test client
            session[services.STARTED] = session[services.SEEN] = now
            started = seen = now
        idle_minutes = conf.get("IDLE_MINUTES_STAFF") if user.kind == "staff" else conf.get("IDLE_MINUTES")
        reason = ""
        if now - seen > idle_minutes * 60:
            reason = "idle"
        elif now - started > conf.get("ABSOLUTE_HOURS") * 3600:
            reason = "absolute"
        if reason:
            return self._expire(request, user, reason, idle_minutes)
        if now - seen >= 60:
            session[services.SEEN] = now
        if conf.get("TOTP_ENABLED") and not session.get(services.MFA_DONE) and session.get(MFA_FREE_UNTIL, 0) < now:
            if queries.totp_required(user):
                return self._demand_second_factor(request, user)
            session[MFA_FREE_UNTIL] = now + MFA_RECHECK_SECONDS  # a role granted meanwhile is seen within minutes
        return None

    def _expire(self, request, user, reason: str, idle_minutes: int):
        services.record_event(services.Kind.SESSION_EXPIRED, user=user, request=request, data={"reason": reason})
        setattr(request, SILENT_LOGOUT, True)
        logout(request)
        if reason == "idle":
            text = _("Phiên làm việc đã hết hạn do không thao tác trong %(n)d phút. Vui lòng đăng nhập lại.") % {
                "n": idle_minutes}
        else:
            text = _("Phiên làm việc đã hết thời hạn tối đa %(n)d giờ. Vui lòng đăng nhập lại.") % {
                "n": conf.get("ABSOLUTE_HOURS")}
        if _is_api(request):
            return JsonResponse({"code": "session_expired", "message": text, "field": None}, status=401)
        messages.info(request, text)
        next_url = request.get_full_path() if request.method == "GET" and not getattr(request, "htmx", False) else ""
        return _go(request, _login_url(next_url))

    def _demand_second_factor(self, request, user):
        backend = request.session.get(BACKEND_SESSION_KEY, "")
        setattr(request, SILENT_LOGOUT, True)
        logout(request)
        if _is_api(request):
            return JsonResponse({"code": "mfa_required", "field": None,
                                 "message": _("Tài khoản cần xác thực hai lớp: hãy đăng nhập lại trên trang web.")},
                                status=401)
        user.backend = backend
        next_url = request.get_full_path() if request.method == "GET" else ""
        services.start_pending(request, user, next_url=next_url)
        target = "security:verify" if queries.confirmed_device(user) is not None else "security:enrol"
        return _go(request, reverse(target))

    def _record_denied(self, request, response) -> None:
        data = {"status": 403, "method": request.method}
        if response.get("Content-Type", "").startswith("application/json") and not response.streaming:
            try:
                body = json.loads(response.content[:4000])
                data["code"] = str(body.get("code", ""))[:60]
            except (ValueError, AttributeError):
                pass
        user = getattr(request, "user", None)
        services.record_event(services.Kind.PERMISSION_DENIED, user=user if user and user.is_authenticated else None,
                              data=data, request=request)
