"""Dossier notifications: who is told, what they read, and a record of every attempt.

``send_dossier_notification`` runs in the background task ``tasks.notify`` (queued by ``services._notify`` after the
transaction commits). For each kind it chooses the recipients:

- the applicant (e-mail to ``applicant_email``, SMS to ``applicant_phone``): ``APPLICANT_KINDS``;
- staff (e-mail): ``assigned`` → ``extra["user_id"]``; ``step_started`` → the current step's assignee, else every
  active holder of the step's role in the step's agency; ``due_soon`` / ``overdue`` → the same plus the handling
  agency's heads; ``supplemented`` → whoever asked for the supplement, else the step's people (the receiving officers
  while the dossier is still at reception).

The text is the active ``NotificationTemplate`` of the kind, else the file ``onestop/notifications/<kind>.txt`` (first
line: the subject, the rest: the body). Both use Django template syntax, rendered without HTML escaping in the
Asia/Ho_Chi_Minh time zone (``{{ dossier.due_at|date:"d/m/Y H:i" }}``), with the context described in
``build_context``.

E-mail goes through Django's mail API; SMS through the ``SmsProvider`` named by ``TINHSO["SMS_PROVIDER"]`` (default:
``SandboxSmsProvider``, which sends nothing). Every attempt is written to ``OutboundMessage`` (sent, failed with the
error, or skipped when there is no address); a failure is logged and never raised, so one bad address does not stop the
others. ``due_soon`` and ``overdue`` (found again by every run of the periodic sweep) are not repeated within
``REPEAT_GUARD``.
"""

import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from email.utils import make_msgid
from typing import Protocol, runtime_checkable
from urllib.parse import urlencode
from uuid import uuid4

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.utils import DNS_NAME
from django.template import Context
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from tinhso.core.models import Membership, Role, User

from .models import Dossier, DossierEvent, NotificationTemplate, OutboundMessage, Status, SupplementRequest

logger = logging.getLogger(__name__)

TIME_ZONE = "Asia/Ho_Chi_Minh"
DEFAULT_SITE_URL = "http://127.0.0.1:8000"
DEFAULT_SMS_PROVIDER = "tinhso.onestop.notifications.SandboxSmsProvider"
#: The citizen's public lookup page when no URL named ``onestop:lookup`` is installed.
FALLBACK_LOOKUP_PATH = "/tra-cuu/"
FALLBACK_STAFF_PATH = "/can-bo/"

APPLICANT_KINDS = frozenset({
    "submitted", "accepted", "refused", "supplement_requested", "supplement_reminder", "done", "returned",
    "payment_requested", "stopped", "apology", "withdrawn",
})
STAFF_KINDS = frozenset({"assigned", "step_started", "due_soon", "overdue", "supplemented"})
KINDS = APPLICANT_KINDS | STAFF_KINDS
HEAD_ROLES = (Role.DEPARTMENT_HEAD, Role.AGENCY_LEADER)
SMS_MAX = 320
#: Kinds sent by the periodic sweep, which sees the same dossier on every run: not repeated within this window.
REPEAT_GUARD = {"due_soon": timedelta(hours=20), "overdue": timedelta(hours=20)}


# --- SMS providers ----------------------------------------------------------------------------------------------------

@runtime_checkable
class SmsProvider(Protocol):
    """Sends one text message; returns the provider's reference; raises on failure (the caller records it)."""

    def send(self, phone: str, text: str) -> str: ...


class SandboxSmsProvider:
    """SANDBOX: sends nothing outside the platform. The attempt is only logged and recorded in ``OutboundMessage``."""

    def send(self, phone: str, text: str) -> str:
        reference = f"sandbox-{uuid4().hex[:16]}"
        logger.info("SMS (sandbox, không gửi ra ngoài) %s → %s: %s", reference, phone, text)
        return reference


def get_sms_provider() -> SmsProvider:
    path = _conf().get("SMS_PROVIDER", DEFAULT_SMS_PROVIDER)
    provider = import_string(path)() if isinstance(path, str) else path
    if not isinstance(provider, SmsProvider):
        raise TypeError(f"{path} không có phương thức send(phone, text)")
    return provider


_PHONE = re.compile(r"^\+?\d{9,15}$")


def normalise_phone(phone: str) -> str:
    """Remove spaces, dots, dashes and brackets; "" when what remains is not a telephone number."""
    cleaned = re.sub(r"[\s.\-()]", "", phone or "")
    return cleaned if _PHONE.match(cleaned) else ""


# --- recipients -------------------------------------------------------------------------------------------------------

@dataclass
class Recipient:
    name: str
    email: str = ""
    phone: str = ""
    sms: bool = False  # also send an SMS (the applicant)
    user: User | None = None


def _staff(users) -> list[Recipient]:
    unique: dict[int, User] = {}
    for user in users:
        if user is not None and user.is_active and user.pk not in unique:
            unique[user.pk] = user
    return [Recipient(name=u.full_name or u.get_username(), email=u.email, user=u) for u in unique.values()]


def _role_holders(agency_id: int, roles) -> list[User]:
    memberships = (Membership.objects.filter(agency_id=agency_id, role__in=list(roles), is_active=True,
                                             user__is_active=True)
                   .select_related("user").order_by("user__username"))
    return [m.user for m in memberships]


def _step_people(dossier: Dossier) -> list[User]:
    step = dossier.current_step
    if step is None:
        return []
    if step.assignee_id and step.assignee.is_active:
        return [step.assignee]
    return _role_holders(step.agency_id, [step.role])


def recipients_for(dossier: Dossier, kind: str, extra: dict) -> list[Recipient]:
    if kind in APPLICANT_KINDS:
        return [Recipient(name=dossier.applicant_name, email=dossier.applicant_email.strip(),
                          phone=dossier.applicant_phone.strip(), sms=True, user=dossier.applicant)]
    if kind == "assigned":
        return _staff(User.objects.filter(pk=extra.get("user_id")))
    if kind == "step_started":
        return _staff(_step_people(dossier))
    if kind in ("due_soon", "overdue"):
        return _staff([*_step_people(dossier), *_role_holders(dossier.handling_agency_id, HEAD_ROLES)])
    if kind == "supplemented":
        request = dossier.supplement_requests.exclude(provided_at=None).order_by("-provided_at").first()
        if request is not None and request.requested_by is not None and request.requested_by.is_active:
            return _staff([request.requested_by])
        if dossier.status == Status.NEW or dossier.current_step is None:
            return _staff(_role_holders(dossier.receiving_agency_id, [Role.RECEIVING_OFFICER]))
        return _staff(_step_people(dossier))
    return []


# --- rendering --------------------------------------------------------------------------------------------------------

@dataclass
class Rendered:
    subject: str
    body: str
    sms: str


def _conf() -> dict:
    return getattr(settings, "TINHSO", {}) or {}


def site_url() -> str:
    return str(_conf().get("SITE_URL", DEFAULT_SITE_URL)).rstrip("/")


def lookup_url(dossier: Dossier) -> str:
    try:
        path = reverse("onestop:lookup")
    except NoReverseMatch:
        path = FALLBACK_LOOKUP_PATH
    # Messages with this link go to the applicant only, who holds the lookup code anyway (printed on form 01).
    query = f"?{urlencode({'ma': dossier.code, 'khoa': dossier.lookup_secret})}" if dossier.code else ""
    return f"{site_url()}{path}{query}"


def staff_url(dossier: Dossier) -> str:
    try:
        path = reverse("onestop:staff-dossier", kwargs={"pk": dossier.pk})
    except NoReverseMatch:
        path = FALLBACK_STAFF_PATH
    return f"{site_url()}{path}"


def account_url(dossier: Dossier) -> str:
    """The applicant's own page of the dossier (after signing in); "" without an applicant account."""
    if not dossier.applicant_id:
        return ""
    try:
        return f"{site_url()}{reverse('onestop:citizen-dossier', kwargs={'pk': dossier.pk})}"
    except NoReverseMatch:
        return ""


def format_amount(amount) -> str:
    """1500000 → "1.500.000" (Vietnamese thousands separator)."""
    try:
        return f"{int(amount):,}".replace(",", ".")
    except (TypeError, ValueError):
        return ""


def build_context(dossier: Dossier, extra: dict, recipient: Recipient | None = None) -> dict:
    """What a message template may use.

    ``dossier``, ``extra`` (the service's details: ``reason``, ``amount``, ``user_id``), ``site_url``, ``lookup_url``
    (the public lookup, with the dossier code), ``staff_url`` (the staff page), ``account_url`` (the applicant's page,
    "" without an account), ``procedure_name``, ``step`` (the current step),
    ``supplement`` (the latest supplement request), ``event`` (the latest public event), ``recipient_name``,
    ``amount`` (formatted, from ``extra`` or the dossier), ``platform_name``.
    """
    amount = extra.get("amount", dossier.amount_due)
    return {
        "dossier": dossier,
        "extra": extra,
        "site_url": site_url(),
        "lookup_url": lookup_url(dossier),
        "staff_url": staff_url(dossier),
        "account_url": account_url(dossier),
        "procedure_name": dossier.procedure_version.name,
        "step": dossier.current_step,
        "supplement": SupplementRequest.objects.filter(dossier=dossier).order_by("-requested_at", "-id").first(),
        "event": DossierEvent.objects.filter(dossier=dossier, public=True).order_by("-at", "-id").first(),
        "recipient_name": recipient.name if recipient else dossier.applicant_name,
        "amount": format_amount(amount) if amount is not None else "",
        "platform_name": _conf().get("PLATFORM_NAME", "Tỉnh Số"),
    }


def _render_string(source: str, context: dict) -> str:
    from django.template import engines

    engine = engines["django"].engine
    with timezone.override(TIME_ZONE), translation.override("vi"):
        return engine.from_string(source).render(Context(context, autoescape=False))


def _subject(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()[:200]


def _body(text: str) -> str:
    lines = [line.rstrip() for line in text.strip("\n").splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def default_source(kind: str) -> tuple[str, str]:
    """(subject, body) template sources from ``onestop/notifications/<kind>.txt``."""
    source = get_template(f"onestop/notifications/{kind}.txt").template.source
    subject, _, body = source.lstrip("\ufeff").partition("\n")
    return subject, body


def render(kind: str, context: dict) -> Rendered:
    """The message of ``kind``: the active ``NotificationTemplate`` if it renders, else the default file."""
    row = NotificationTemplate.objects.filter(kind=kind, is_active=True).first()
    if row is not None:
        try:
            return _render_sources(row.subject, row.body, row.sms, context)
        except Exception:
            logger.exception("Mẫu thông báo “%s” lỗi cú pháp; dùng mẫu mặc định", kind)
    subject, body = default_source(kind)
    return _render_sources(subject, body, "", context)


def _render_sources(subject: str, body: str, sms: str, context: dict) -> Rendered:
    subject_text = _subject(_render_string(subject, context))
    body_text = _body(_render_string(body, context))
    if sms.strip():
        sms_text = _subject(_render_string(sms, context))
    elif context["dossier"].code:
        sms_text = f"{subject_text}. Tra cứu: {context['lookup_url']}"
    elif context.get("account_url"):
        sms_text = f"{subject_text}. Xem: {context['account_url']}"
    else:
        sms_text = f"{subject_text}."
    return Rendered(subject=subject_text, body=body_text, sms=sms_text[:SMS_MAX])


# --- sending ----------------------------------------------------------------------------------------------------------

def send_dossier_notification(dossier_id: int, kind: str, extra: dict) -> None:
    """Tell the people concerned about ``kind`` happening to the dossier. Never raises."""
    extra = dict(extra or {})
    try:
        dossier = (Dossier.objects.select_related("procedure_version", "receiving_agency", "handling_agency",
                                                  "current_step__assignee", "current_step__agency", "applicant")
                   .filter(pk=dossier_id).first())
        if dossier is None:
            logger.warning("Thông báo %s: không tìm thấy hồ sơ #%s", kind, dossier_id)
            return
        if kind not in KINDS:
            logger.warning("Thông báo %s: loại không xác định (hồ sơ %s)", kind, dossier)
            return
        if _sent_recently(dossier, kind):
            logger.info("Thông báo %s cho hồ sơ %s đã gửi trong %s vừa qua; không gửi lại", kind, dossier,
                        REPEAT_GUARD[kind])
            return
        recipients = recipients_for(dossier, kind, extra)
        if not recipients:
            logger.warning("Thông báo %s cho hồ sơ %s: không có người nhận", kind, dossier)
        for recipient in recipients:
            _deliver(dossier, kind, extra, recipient)
    except Exception:
        logger.exception("Thông báo %s cho hồ sơ #%s thất bại", kind, dossier_id)


def _sent_recently(dossier: Dossier, kind: str) -> bool:
    """The periodic sweep finds a late dossier on every run: remind at most once per ``REPEAT_GUARD`` window."""
    window = REPEAT_GUARD.get(kind)
    if window is None:
        return False
    return OutboundMessage.objects.filter(dossier=dossier, kind=kind, state=OutboundMessage.State.SENT,
                                          created_at__gte=timezone.now() - window).exists()


def _deliver(dossier: Dossier, kind: str, extra: dict, recipient: Recipient) -> None:
    try:
        message = render(kind, build_context(dossier, extra, recipient))
    except Exception as exc:
        logger.exception("Không dựng được thông báo %s cho hồ sơ %s", kind, dossier)
        _record(dossier, kind, OutboundMessage.Channel.EMAIL, recipient.email, "", "", OutboundMessage.State.FAILED,
                error=f"Lỗi mẫu thông báo: {exc}")
        return
    _send_email(dossier, kind, recipient, message)
    if recipient.sms:
        _send_sms(dossier, kind, recipient, message)


def _send_email(dossier: Dossier, kind: str, recipient: Recipient, message: Rendered) -> None:
    channel = OutboundMessage.Channel.EMAIL
    if not recipient.email:
        _record(dossier, kind, channel, "", message.subject, message.body, OutboundMessage.State.SKIPPED,
                error=f"{recipient.name}: không có địa chỉ thư điện tử.")
        return
    message_id = make_msgid(domain=str(DNS_NAME))
    email = EmailMessage(
        subject=message.subject, body=message.body, from_email=_conf().get("EMAIL_FROM") or None,
        to=[recipient.email], headers={"Message-ID": message_id, "Auto-Submitted": "auto-generated"},
    )
    try:
        email.send(fail_silently=False)
    except Exception as exc:
        logger.warning("Gửi thư %s cho %s (hồ sơ %s) lỗi: %s", kind, recipient.email, dossier, exc)
        _record(dossier, kind, channel, recipient.email, message.subject, message.body, OutboundMessage.State.FAILED,
                error=f"{type(exc).__name__}: {exc}")
        return
    _record(dossier, kind, channel, recipient.email, message.subject, message.body, OutboundMessage.State.SENT,
            reference=message_id)


def _send_sms(dossier: Dossier, kind: str, recipient: Recipient, message: Rendered) -> None:
    channel = OutboundMessage.Channel.SMS
    if not recipient.phone:
        _record(dossier, kind, channel, "", "", message.sms, OutboundMessage.State.SKIPPED,
                error=f"{recipient.name}: không có số điện thoại.")
        return
    phone = normalise_phone(recipient.phone)
    if not phone:
        _record(dossier, kind, channel, recipient.phone, "", message.sms, OutboundMessage.State.FAILED,
                error=f"Số điện thoại không hợp lệ: {recipient.phone}")
        return
    try:
        reference = get_sms_provider().send(phone, message.sms)
    except Exception as exc:
        logger.warning("Gửi SMS %s cho %s (hồ sơ %s) lỗi: %s", kind, phone, dossier, exc)
        _record(dossier, kind, channel, phone, "", message.sms, OutboundMessage.State.FAILED,
                error=f"{type(exc).__name__}: {exc}")
        return
    _record(dossier, kind, channel, phone, "", message.sms, OutboundMessage.State.SENT, reference=str(reference or ""))


def _record(dossier: Dossier, kind: str, channel: str, recipient: str, subject: str, body: str, state: str, *,
            error: str = "", reference: str = "") -> None:
    try:
        OutboundMessage.objects.create(dossier=dossier, kind=kind, channel=channel, recipient=recipient[:254],
                                       subject=subject[:200], body=body, state=state, error=error,
                                       provider_reference=reference[:100])
    except Exception:
        logger.exception("Không ghi được nhật ký thông báo %s %s → %s (%s)", channel, kind, recipient, state)
