"""Reads for applicants and the public: my dossiers, one of my dossiers, and the public lookup by code and a second
factor. The public view carries only what the receipt and the national portal already show: no staff names, no
internal notes, no attachments, no personal data beyond a masked name.

Also the lookup's rate limiter (a small fixed-window counter per client address, kept in the cache).
"""

import hmac
import re
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from tinhso.core.errors import DomainError, NotFound
from tinhso.core.text import fold, search_terms

from . import clock
from .models import (
    FINAL_STATUSES,
    RUNNING_STATUSES,
    Attachment,
    Dossier,
    DossierEvent,
    PersonalDocument,
    Status,
    SupplementRequest,
)

#: Action → what the applicant and the public read in the history.
ACTION_LABELS = {
    "created": "Tạo bản nháp hồ sơ",
    "registered": "Bộ phận Một cửa ghi nhận hồ sơ nộp trực tiếp",
    "submitted": "Nộp hồ sơ trực tuyến",
    "accepted": "Tiếp nhận hồ sơ, hẹn ngày trả kết quả",
    "refused": "Từ chối tiếp nhận hồ sơ",
    "supplement_requested": "Yêu cầu bổ sung, hoàn thiện hồ sơ",
    "supplemented": "Người nộp đã bổ sung hồ sơ",
    "forwarded": "Chuyển bước xử lý tiếp theo",
    "sent_back": "Trả lại bước xử lý trước",
    "assigned": "Phân công xử lý",
    "consulted": "Xin ý kiến cơ quan liên quan",
    "consultation_answered": "Cơ quan liên quan đã có ý kiến",
    "decided": "Đã có kết quả giải quyết",
    "returned": "Trả kết quả",
    "payment_requested": "Yêu cầu thực hiện nghĩa vụ tài chính",
    "paid": "Xác nhận đã thực hiện nghĩa vụ tài chính",
    "withdrawn": "Rút hồ sơ",
    "stopped": "Dừng xử lý hồ sơ",
    "apologised": "Xin lỗi và hẹn lại ngày trả kết quả",
    # recorded by other apps through services.note_event
    "fee_requested": "Thông báo phí, lệ phí phải nộp",
    "fee_waived": "Miễn phí, lệ phí",
    "paid_online": "Đã thanh toán trực tuyến",
    "rated": "Người nộp đánh giá mức độ hài lòng",
}
#: Events whose note is addressed to the applicant (a refusal reason, what to supplement, a new appointment…):
#: the applicant reads them on their own dossier page. The public lookup never shows notes.
NOTES_FOR_APPLICANT = {"refused", "supplement_requested", "stopped", "apologised", "payment_requested", "withdrawn",
                       "returned"}
#: Statuses from which the applicant may withdraw (services.withdraw decides; this only hides the button).
WITHDRAWABLE = (Status.NEW, Status.ACCEPTED, Status.PROCESSING, Status.SUPPLEMENT, Status.FINANCIAL)
#: Once decided, the applicant may download the result files (the electronic copy of the result).
RESULT_VISIBLE = (Status.DONE, Status.RETURNED)

NOT_FOUND_MESSAGE = "Không tìm thấy hồ sơ. Hãy kiểm tra lại mã hồ sơ và mã tra cứu (hoặc 4 số cuối điện thoại)."


# --- helpers ------------------------------------------------------------------------------------------------------

def status_label(status: int | None) -> str:
    return str(Status(status).label) if status in Status.values else ""


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, "Cập nhật hồ sơ")


def mask_name(name: str) -> str:
    """``Hoàng Văn Minh`` → ``Hoàng V. M.``: the first word whole, the others as initials; one word → its initial."""
    words = name.split()
    if not words:
        return ""
    if len(words) == 1:
        return f"{words[0][0]}."
    return " ".join([words[0], *(f"{w[0]}." for w in words[1:])])


def remaining_text(dossier: Dossier, now: datetime | None = None) -> str:
    """The countdown while the clock runs ("còn 2 ngày 3 giờ", "quá hạn 1 ngày"); empty otherwise."""
    if dossier.status not in RUNNING_STATUSES or dossier.due_at is None:
        return ""
    left = clock.remaining(dossier, now or timezone.now())
    return str(left) if left is not None else ""


def display_status(dossier: Dossier) -> str:
    return "Bản nháp" if dossier.is_draft else status_label(dossier.status)


_TONES = {Status.SUPPLEMENT: "act", Status.FINANCIAL: "act", Status.DONE: "ok", Status.RETURNED: "ok",
          Status.REFUSED: "end", Status.WITHDRAWN: "end", Status.STOPPED: "end"}


def status_tone(dossier: Dossier) -> str:
    """How the status badge looks: a draft, waiting on the agency, waiting on the applicant, done, or ended."""
    return "draft" if dossier.is_draft else _TONES.get(dossier.status, "wait")


# --- the applicant's own dossiers ---------------------------------------------------------------------------------

def my_dossiers(user) -> QuerySet[Dossier]:
    """The signed-in applicant's dossiers, newest first, drafts included."""
    if not getattr(user, "is_authenticated", False):
        return Dossier.objects.none()
    return (Dossier.objects.filter(applicant=user)
            .select_related("procedure_version__procedure", "receiving_agency", "handling_agency", "channel")
            .order_by("-created_at", "-id"))


def dossier_for_applicant(user, pk: int) -> Dossier:
    """One dossier of the signed-in applicant, with its items, files, requests and events; 404 for anyone else's
    (the same answer whether it exists or not)."""
    dossier = None
    if getattr(user, "is_authenticated", False) and user.pk:
        dossier = (my_dossiers(user).prefetch_related(
            "items__component",
            Prefetch("attachments", queryset=Attachment.objects.order_by("uploaded_at", "id")),
            Prefetch("supplement_requests", queryset=SupplementRequest.objects.order_by("requested_at")),
            Prefetch("events", queryset=DossierEvent.objects.filter(public=True).order_by("at", "id"),
                     to_attr="public_events"),
        ).filter(pk=pk).first())
    if dossier is None:
        raise NotFound("dossier_not_found", "Không tìm thấy hồ sơ.")
    return dossier


@dataclass
class ItemView:
    item: object
    files: list = field(default_factory=list)
    error: str = ""
    store: list = field(default_factory=list)

    @property
    def missing(self) -> bool:
        return self.item.mandatory and not self.files

    @property
    def name(self) -> str:
        """The component's name without the list mark the catalogue copied from its source ("- ", "+ ")."""
        return self.item.name.lstrip("-+•* \t") or self.item.name


def items_with_files(dossier: Dossier, store: list[PersonalDocument] | None = None) -> list[ItemView]:
    """The dossier's components, each with its own input files (for the draft page) and, given the applicant's
    store, the store's documents it may reuse."""
    by_item: dict[int, list[Attachment]] = {}
    for attachment in dossier.attachments.all():
        if attachment.item_id and attachment.kind == Attachment.Kind.INPUT:
            by_item.setdefault(attachment.item_id, []).append(attachment)
    views = []
    for item in dossier.items.all():
        files = by_item.get(item.pk, [])
        item.store_attachments = [a for a in files if a.store_document_id]
        views.append(ItemView(item=item, files=files, store=store_choices(store, item) if store else []))
    return views


def open_supplement_request(dossier: Dossier) -> SupplementRequest | None:
    if dossier.status != Status.SUPPLEMENT:
        return None
    open_requests = [r for r in dossier.supplement_requests.all() if r.provided_at is None]
    return open_requests[-1] if open_requests else None


def supplement_files(dossier: Dossier, request: SupplementRequest | None) -> list[Attachment]:
    """The supplement files uploaded for the open request (kept until the applicant sends the supplement)."""
    if request is None:
        return []
    return [a for a in dossier.attachments.all()
            if a.kind == Attachment.Kind.SUPPLEMENT and a.uploaded_at >= request.requested_at]


def result_files(dossier: Dossier) -> list[Attachment]:
    if dossier.status not in RESULT_VISIBLE:
        return []
    return [a for a in dossier.attachments.all() if a.kind == Attachment.Kind.RESULT]


def applicant_history(dossier: Dossier) -> list[dict]:
    """The public events of the applicant's own dossier, with the notes addressed to them."""
    events = getattr(dossier, "public_events", None)
    if events is None:
        events = dossier.events.filter(public=True).order_by("at", "id")
    history = []
    for e in events:
        refused = e.action == "decided" and (e.data or {}).get("outcome") == Dossier.Outcome.REFUSED
        history.append({"at": e.at, "action": e.action,
                        "label": "Từ chối giải quyết" if refused else action_label(e.action),
                        "status": status_label(e.to_status),
                        "note": e.note if refused or e.action in NOTES_FOR_APPLICANT else ""})
    return history


def downloadable_attachment(user, dossier_pk: int, attachment_pk: int) -> Attachment:
    """A file the applicant may download: their own uploads, and the result once decided. 404 otherwise."""
    dossier = dossier_for_applicant(user, dossier_pk)
    attachment = next((a for a in dossier.attachments.all() if a.pk == attachment_pk), None)
    if attachment is None or (attachment.kind == Attachment.Kind.RESULT and dossier.status not in RESULT_VISIBLE):
        raise NotFound("attachment_not_found", "Không tìm thấy tệp.")
    return attachment


def can_withdraw(dossier: Dossier) -> bool:
    return not dossier.is_draft and dossier.status in WITHDRAWABLE


# --- the personal document store (kho dữ liệu cá nhân) ------------------------------------------------------------

#: How many documents of the store the draft offers for one component.
STORE_CHOICES = 8


def my_store(user, q: str = "", kind: str = "") -> QuerySet[PersonalDocument]:
    """The signed-in applicant's visible store entries, newest first; ``q`` matches the title, the component, the
    procedure and the source dossier's code, ignoring diacritics and case."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_applicant", False):
        return PersonalDocument.objects.none()
    documents = PersonalDocument.objects.filter(owner=user, hidden_at__isnull=True).order_by("-created_at", "-id")
    if kind in PersonalDocument.Kind.values:
        documents = documents.filter(kind=kind)
    terms = search_terms(q)
    if terms:
        keep = [d.pk for d in documents.only("pk", "title", "component_name", "procedure_name", "procedure_code",
                                              "source_dossier_code")
                if all(t in fold(" ".join([d.title, d.component_name, d.procedure_name, d.procedure_code,
                                           d.source_dossier_code])) for t in terms)]
        documents = documents.filter(pk__in=keep)
    return documents


def store_document(user, pk: int) -> PersonalDocument:
    """One visible entry of the signed-in applicant's store; ``NotFound`` otherwise (anyone else's included)."""
    document = my_store(user).filter(pk=pk).first()
    if document is None:
        raise NotFound("document_not_found", "Không tìm thấy giấy tờ trong kho.")
    return document


def _component_key(name: str) -> str:
    return fold(name.lstrip("-+•* \t"))


@dataclass
class StoreChoice:
    document: PersonalDocument
    same_component: bool


def store_choices(documents: list[PersonalDocument], item, limit: int = STORE_CHOICES) -> list[StoreChoice]:
    """The store's documents to offer for a component: those of the same component first (the same catalogue
    component, or a component of the same name in another procedure or version), then the others, newest first;
    documents already attached to this component are left out."""
    key = _component_key(item.name)
    used = {a.store_document_id for a in getattr(item, "store_attachments", ())}
    choices = [StoreChoice(d, bool((item.component_id and d.component_id == item.component_id)
                                   or (d.component_name and _component_key(d.component_name) == key)))
               for d in documents if d.pk not in used]
    choices.sort(key=lambda c: (not c.same_component, -c.document.created_at.timestamp(), -c.document.pk))
    return choices[:limit]


# --- the public lookup --------------------------------------------------------------------------------------------

def _digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def _factor_matches(dossier: Dossier | None, factor: str) -> bool:
    """Compare the second factor with both the lookup secret and the phone's last four digits in constant time,
    always doing both comparisons (against placeholders when there is no dossier or no phone)."""
    given = re.sub(r"\s", "", factor or "").upper().encode()
    secret = ((dossier.lookup_secret if dossier else "") or "").upper().encode()
    phone_tail = _digits(dossier.applicant_phone if dossier else "")[-4:].encode()
    secret_ok = hmac.compare_digest(given, secret or b"-" * 6)
    phone_ok = hmac.compare_digest(given, phone_tail if len(phone_tail) == 4 else b"-" * 4)
    usable = dossier is not None and len(given) >= 4
    return usable & ((secret_ok & bool(secret)) | (phone_ok & (len(phone_tail) == 4)))


def public_lookup(code: str, secret_or_phone_digits: str) -> Dossier | None:
    """The dossier with this code, only when the second factor matches; None otherwise (no hint which part failed).
    Drafts and dossiers not yet accepted have no code and cannot be looked up."""
    code = (code or "").strip()[:40]
    dossier = None
    if code:
        dossier = (Dossier.objects.select_related("procedure_version", "receiving_agency")
                   .filter(Q(code=code) | Q(code=code.upper()), is_draft=False).first())
    return dossier if _factor_matches(dossier, secret_or_phone_digits) else None


def public_view(dossier: Dossier) -> dict:
    """Everything the public lookup shows, and nothing more."""
    events = dossier.events.filter(public=True).order_by("at", "id").only("dossier_id", "at", "action", "to_status")
    return {
        "code": dossier.code,
        "procedure_name": dossier.procedure_version.name,
        "receiving_agency": dossier.receiving_agency.name,
        "applicant": mask_name(dossier.applicant_name),
        "status": dossier.status,
        "status_label": status_label(dossier.status),
        "tone": status_tone(dossier),
        "is_final": dossier.status in FINAL_STATUSES,
        "received_at": dossier.received_at,
        "due_at": dossier.due_at,
        "finished_at": dossier.finished_at,
        "returned_at": dossier.returned_at,
        "events": [{"at": e.at, "action": e.action, "label": action_label(e.action),
                    "status": e.to_status, "status_label": status_label(e.to_status)} for e in events],
    }


# --- rate limit of the lookup -------------------------------------------------------------------------------------

class RateLimited(DomainError):
    status = 429

    def __init__(self):
        super().__init__("rate_limited", "Bạn tra cứu quá nhiều lần trong thời gian ngắn. Vui lòng đợi một lúc rồi "
                                         "thử lại.")


_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def lookup_rate() -> tuple[int, int]:
    """``TINHSO["LOOKUP_RATE"]`` such as ``"20/m"`` → (20 lookups, 60 seconds)."""
    text = str(getattr(settings, "TINHSO", {}).get("LOOKUP_RATE", "20/m"))
    count, _sep, period = text.partition("/")
    try:
        return max(int(count), 1), _PERIODS.get(period.strip().lower()[:1] or "m", 60)
    except ValueError:
        return 20, 60


def check_lookup_rate(client_ip: str) -> None:
    """Count one lookup for this address; raise ``RateLimited`` once over the limit in the current window."""
    limit, period = lookup_rate()
    window = int(timezone.now().timestamp()) // period
    key = f"onestop:lookup-rate:{client_ip or '-'}:{period}:{window}"
    cache.add(key, 0, timeout=period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # the window's key expired between add and incr
        cache.set(key, 1, timeout=period + 1)
        count = 1
    if count > limit:
        raise RateLimited()
