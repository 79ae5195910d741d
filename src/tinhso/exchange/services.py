"""Every change of the exchange (liên thông văn bản between platforms, QCVN 102:2016 packages over HTTP).

Receiving (``authenticate`` then ``receive``): a package signed by a registered peer is parsed, stored once in the
inbox (its idempotency key is unique: a package that arrives twice is a duplicate, processed once) and processed in
the same transaction: a document becomes an incoming document "chờ vào sổ" of each local recipient and status 01
(đã đến) is queued back; a revocation (thu hồi), update (cập nhật) or replacement (thay thế) changes the incoming
document it names and is answered 15 (đồng ý) or 16 (từ chối); a status report about a document this platform sent
is stored for the sender's clerk.

Sending: every package goes through the outbox (``OutboxMessage``), written in the transaction of the action that
produced it: the documents app's hook (``document_changed``) queues the document package when an issued document is
sent to an agency a peer serves, and the statuses 02–06 when the receiving clerk, leader or specialist acts on a
document that came through the exchange. ``deliver_due`` (a task after each commit, and ``tinhso exchange
deliver``) sends due messages in order per document and recipient, retries with exponential backoff and jitter,
and gives up (``dead``, shown to IT staff in the admin) after ``EXCHANGE_MAX_ATTEMPTS`` or a permanent refusal.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import random
import re
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from tinhso.core.errors import DomainError, Forbidden
from tinhso.core.models import Agency, User
from tinhso.core.services import record
from tinhso.core.text import fold
from tinhso.documents import queries as documents_queries
from tinhso.documents import services as documents_services

from . import edxml
from .edxml import BusinessDocType, StatusCode
from .models import (
    InboxMessage,
    MessageKind,
    OutboxAttempt,
    OutboxMessage,
    Peer,
    ReceivedDocument,
    ReceivedStatus,
    ReplayGuard,
)

logger = logging.getLogger(__name__)

KEY_HEADER = "X-Exchange-Key"
TIMESTAMP_HEADER = "X-Exchange-Timestamp"
SIGNATURE_HEADER = "X-Exchange-Signature"
NONCE_HEADER = "X-Exchange-Nonce"
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
#: HTTP statuses that will not change by sending the same package again: the message is dead at once.
PERMANENT_STATUSES = frozenset({400, 404, 405, 409, 410, 413, 415, 422})
#: How long a worker holds a message it is sending before another may take it over (a crashed worker).
LEASE = timedelta(minutes=5)
_UNSENT = (OutboxMessage.State.PENDING, OutboxMessage.State.FAILED, OutboxMessage.State.SENDING)


def _conf(name: str, default):
    return (getattr(settings, "TINHSO", {}) or {}).get(name, default)


def max_attempts() -> int:
    return int(_conf("EXCHANGE_MAX_ATTEMPTS", 20))


def backoff_base() -> float:
    return float(_conf("EXCHANGE_BACKOFF_BASE_SECONDS", 60))


def backoff_cap() -> float:
    return float(_conf("EXCHANGE_BACKOFF_CAP_SECONDS", 6 * 3600))


def clock_skew() -> int:
    return int(_conf("EXCHANGE_CLOCK_SKEW_SECONDS", 300))


def http_timeout() -> float:
    return float(_conf("EXCHANGE_HTTP_TIMEOUT_SECONDS", 30))


def max_message_bytes() -> int:
    return int(_conf("EXCHANGE_MAX_BYTES", edxml.DEFAULT_LIMITS.max_message_bytes))


class Refused(DomainError):
    """A request or package the endpoint refuses; ``status`` is the HTTP status of the answer."""

    def __init__(self, code: str, message: str, *, status: int = 422, field: str | None = None, detail: str = ""):
        super().__init__(code, message, field=field)
        self.status = status
        self.detail = detail


def _sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def _vn(value: datetime) -> datetime:
    """An edXML timestamp (naive, Vietnam time) as an aware datetime."""
    return value.replace(tzinfo=edxml.VIETNAM) if timezone.is_naive(value) else value


# --- signatures ---------------------------------------------------------------------------------------------------

def signature(secret: bytes, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    """HMAC-SHA256 (hex) over ``METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nSHA-256(body) in hex``."""
    text = f"{method.upper()}\n{path}\n{timestamp}\n{nonce}\n{_sha256(body)}".encode()
    return hmac.new(secret, text, hashlib.sha256).hexdigest()


def signed_headers(peer: Peer, body: bytes, *, now: float | None = None) -> dict[str, str]:
    """The headers of a request to ``peer`` carrying ``body`` (raises ``DomainError`` when the secret is unset)."""
    timestamp = str(int(now if now is not None else time.time()))
    nonce = secrets.token_urlsafe(18)
    path = urlsplit(peer.endpoint_url).path
    return {
        "Content-Type": "application/xml; charset=utf-8",
        KEY_HEADER: peer.outbound_key_id,
        TIMESTAMP_HEADER: timestamp,
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: signature(peer.secret(), "POST", path, timestamp, nonce, body),
    }


def authenticate(*, key_id: str, timestamp: str, nonce: str, signature_hex: str, method: str, path: str,
                 body: bytes, now: float | None = None) -> Peer:
    """The peer that signed this request, or ``Refused`` (401): headers missing, a timestamp more than
    ``EXCHANGE_CLOCK_SKEW_SECONDS`` away, an unknown key or a wrong signature (one answer for both), a nonce seen
    before (a replay)."""
    if not (key_id and timestamp and nonce and signature_hex):
        raise Refused("unauthenticated", f"Thiếu tiêu đề xác thực {KEY_HEADER}, {TIMESTAMP_HEADER}, "
                                         f"{NONCE_HEADER}, {SIGNATURE_HEADER}.", status=401)
    if not _NONCE.fullmatch(nonce):
        raise Refused("bad_nonce", f"{NONCE_HEADER} gồm 16–64 ký tự chữ không dấu, chữ số, “-”, “_”.", status=401)
    now = time.time() if now is None else now
    try:
        stamp = int(timestamp)
    except ValueError:
        raise Refused("bad_timestamp", f"{TIMESTAMP_HEADER} phải là số giây kể từ 1970 (Unix time).",
                      status=401) from None
    if abs(now - stamp) > clock_skew():
        raise Refused("stale_timestamp", f"Thời điểm ký lệch quá {clock_skew() // 60} phút so với máy chủ nhận; "
                                         "kiểm tra đồng hồ máy chủ gửi.", status=401)
    bad = Refused("bad_signature", "Mã khóa hoặc chữ ký không hợp lệ.", status=401)
    signature_hex = signature_hex.strip().lower()
    if not _HEX64.fullmatch(signature_hex):
        raise bad
    peer = Peer.objects.filter(inbound_key_id=key_id[:64], is_active=True).first()
    if peer is None:
        hmac.compare_digest(signature(b"-" * 32, method, path, timestamp, nonce, body), signature_hex)  # same work
        raise bad
    try:
        secret = peer.secret()
    except DomainError as exc:
        logger.error("exchange: %s", exc.message)
        raise Refused("not_configured", "Máy chủ nhận chưa cấu hình khóa bí mật cho kết nối này; thử lại sau.",
                      status=503) from None
    expected = signature(secret, method, path, timestamp, nonce, body)
    if not hmac.compare_digest(expected, signature_hex):
        raise bad
    cutoff = timezone.now() - timedelta(seconds=2 * clock_skew())
    ReplayGuard.objects.filter(seen_at__lt=cutoff).delete()
    try:
        with transaction.atomic():
            ReplayGuard.objects.create(key_id=peer.inbound_key_id, nonce=nonce)
    except IntegrityError:
        raise Refused("replayed", "Yêu cầu đã ký này đã được nhận (phát lại); mỗi lần gửi cần nonce mới.",
                      status=401) from None
    return peer


# --- receiving ----------------------------------------------------------------------------------------------------

@dataclass
class Receipt:
    code: str  # received | duplicate
    message: str
    inbox: InboxMessage
    outcome: dict = field(default_factory=dict)


def idempotency_key(msg: edxml.DocumentMessage | edxml.StatusMessage) -> str:
    """Same package, same key: a document by its sender, DocumentId, business type, last trace hop and recipients;
    a status by its sender, the DocumentId it answers, its code and timestamp."""
    if isinstance(msg, edxml.DocumentMessage):
        last = msg.trace[-1] if msg.trace else None
        business = int(msg.business.doc_type) if msg.business else 0
        parts = ["document", msg.sender.organ_id, msg.document_id, str(business),
                 last.organ_id if last else "", last.timestamp.strftime(edxml.TIMESTAMP_FORMAT) if last else "",
                 ",".join(sorted(r.organ_id for r in msg.recipients))]
    else:
        parts = ["status", msg.sender.organ_id, msg.response_for.document_id, msg.status_code.value,
                 msg.timestamp.strftime(edxml.TIMESTAMP_FORMAT)]
    return _sha256("\x1f".join(parts))


def receive(peer: Peer, body: bytes) -> Receipt:
    """Process one package from ``peer`` (already authenticated). Raises ``EdxmlError`` for a package that cannot be
    read and ``Refused`` for one that is refused; in both cases nothing is stored."""
    msg = edxml.parse(body)
    key, digest = idempotency_key(msg), _sha256(body)
    with transaction.atomic():
        existing = InboxMessage.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return _duplicate(existing, digest)
        if not peer.serves(msg.sender.organ_id):
            raise Refused("sender_not_allowed", f"Nền tảng “{peer.name}” không được đăng ký gửi thay cơ quan "
                                                f"{msg.sender.organ_id}.", status=403,
                          field="edXMLHeader/MessageHeader/From/OrganId")
        is_document = isinstance(msg, edxml.DocumentMessage)
        try:
            with transaction.atomic():
                inbox = InboxMessage.objects.create(
                    peer=peer, kind=MessageKind.DOCUMENT if is_document else MessageKind.STATUS,
                    sender=msg.sender.organ_id[:64],
                    edxml_id=msg.document_id if is_document else msg.response_for.document_id,
                    business_type=(int(msg.business.doc_type) if msg.business else 0) if is_document else None,
                    status_code="" if is_document else msg.status_code.value, idempotency_key=key, sha256=digest,
                    size=len(body), body=body,
                )
        except IntegrityError:  # the same package, arriving at the same moment on another connection
            return _duplicate(InboxMessage.objects.get(idempotency_key=key), digest)
        outcome = _receive_document(peer, msg, inbox) if is_document else _receive_status(peer, msg, inbox)
        inbox.outcome = outcome
        inbox.save(update_fields=["outcome"])
        record("exchange.received", obj=inbox, summary=f"{inbox} từ {peer.name}"[:500],
               data={"peer": peer.pk, **{k: v for k, v in outcome.items() if k != "message"}})
    return Receipt("received", outcome.pop("message", "Đã nhận gói tin."), inbox, outcome)


def _duplicate(existing: InboxMessage, digest: str) -> Receipt:
    if existing.sha256 != digest:
        raise Refused("duplicate_conflict", "Gói tin cùng khóa (nơi gửi, DocumentId, nghiệp vụ, thời điểm) đã nhận "
                                            "trước đó với nội dung khác; gói tin mới phải có TraceHeader mới.",
                      status=409)
    when = timezone.localtime(existing.received_at).strftime("%d/%m/%Y %H:%M:%S")
    return Receipt("duplicate", f"Gói tin này đã được nhận lúc {when}; không xử lý lại.", existing,
                   {k: v for k, v in existing.outcome.items() if k != "message"})


def _local_recipients(msg: edxml.DocumentMessage) -> list[Agency]:
    codes = list(dict.fromkeys(r.organ_id for r in msg.recipients))
    found = {a.code: a for a in Agency.objects.filter(code__in=codes, is_active=True)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise Refused("unknown_agency", f"Cơ quan nhận {', '.join(m[:64] for m in missing[:5])} không có trên nền "
                                        "tảng này.", field="edXMLHeader/MessageHeader/To/OrganId")
    return [found[c] for c in codes]


def _document_type(msg: edxml.DocumentMessage):
    wanted = fold(msg.document_type.type_name or "")
    abbreviation = msg.code.notation.split("-", 1)[0] if "-" in msg.code.notation else ""
    for item in documents_queries.document_types():
        if (wanted and fold(item.name) == wanted) or (abbreviation and item.abbreviation == abbreviation):
            return item
    return None


def _incoming_fields(msg: edxml.DocumentMessage) -> documents_services.IncomingFields:
    notation = "".join(f"{msg.code.number}/{msg.code.notation}".split())[:60]
    priority = msg.other_info.priority if msg.other_info else ""
    urgency = int(priority) if priority.isdigit() and int(priority) in (0, 1, 2, 3) else 0
    amount = msg.other_info.promulgation_amount if msg.other_info else None
    issued = msg.promulgation.date
    sender = msg.sender
    return documents_services.IncomingFields(
        subject=" ".join(msg.subject.split())[:500],
        sender_name=(sender.organ_name or sender.organ_id)[:250],
        notation=notation, number=int(msg.code.number) if msg.code.number.isdigit() else None,
        document_type=_document_type(msg),
        sender_code=sender.organ_id if len(sender.organ_id) <= 13 else "",
        issued_date=issued if issued <= timezone.localdate() else None, urgency=urgency,
        signer_name=msg.signer.full_name if msg.signer else "",
        signer_position=msg.signer.position if msg.signer else "",
        due_date=msg.due_date, copies=min(max(amount or 1, 1), 1000),
    )


_MIME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+-]{0,60}/[A-Za-z0-9][A-Za-z0-9.+-]{0,60}$")


def _attachments(msg: edxml.DocumentMessage) -> list[tuple[str, str, bytes]]:
    """The files of a package; a content type that is not a plain ``type/subtype`` is stored as octet-stream (files
    are only ever served as downloads, see ``core.files``)."""
    return [(a.name, a.content_type if _MIME.fullmatch(a.content_type or "") else "application/octet-stream", a.data)
            for a in msg.attachments]


def _find_received(agency: Agency, sender: str, *document_ids: str) -> ReceivedDocument | None:
    for document_id in dict.fromkeys(d for d in document_ids if d):
        found = (ReceivedDocument.objects.select_related("document", "peer", "agency")
                 .filter(agency=agency, sender=sender, edxml_id=document_id).first())
        if found is not None:
            return found
    return None


def _receive_document(peer: Peer, msg: edxml.DocumentMessage, inbox: InboxMessage) -> dict:
    agencies = _local_recipients(msg)
    business = msg.business.doc_type if msg.business else BusinessDocType.NEW
    sender = msg.sender.organ_id
    reason = (msg.business.reason if msg.business else "").strip()
    if business in (BusinessDocType.NEW, BusinessDocType.REPLACEMENT):
        registered, already = [], []
        for agency in agencies:
            if _find_received(agency, sender, msg.document_id) is not None:
                already.append(agency.code)
                continue
            document = documents_services.receive_from_exchange(
                agency, _incoming_fields(msg), _attachments(msg),
                data={"document_id": msg.document_id, "peer": peer.name, "inbox": str(inbox.uuid)})
            received = ReceivedDocument.objects.create(document=document, agency=agency, peer=peer, sender=sender,
                                                       edxml_id=msg.document_id, inbox=inbox)
            queue_status(received, StatusCode.ARRIVED, f"Văn bản đã đến hệ thống của {agency.name}, chờ vào sổ.")
            registered.append(document.pk)
        replaced = []
        if business == BusinessDocType.REPLACEMENT:
            for info in msg.business.replacements:
                for agency in agencies:
                    if info.organ_ids and agency.code not in info.organ_ids:
                        continue
                    old = _find_received(agency, sender, info.document_id)
                    if old is not None:
                        note = reason or f"Được thay thế bởi văn bản {msg.document_id}."
                        _apply_change(old, "replace", note, inbox)
                        replaced.append(old.edxml_id)
        message = (f"Đã nhận văn bản cho {len(registered)} cơ quan." if registered
                   else "Văn bản đã được nhận trước đó; không vào hộp văn bản đến lần nữa.")
        return {"message": message, "registered": registered, "already": already, "replaced": replaced}
    target = msg.business.document_id or msg.document_id
    kind = "recall" if business == BusinessDocType.REVOCATION else "update"
    changed = []
    for agency in agencies:
        received = _find_received(agency, sender, target, msg.document_id)
        if received is None:
            raise Refused("unknown_document", f"{agency.name} chưa nhận văn bản {target[:255]} từ {sender}: không "
                                              f"{'thu hồi' if kind == 'recall' else 'cập nhật'} được.",
                          field="edXMLHeader/TraceHeaderList/Bussiness/DocumentId")
        default = "Nơi gửi thu hồi văn bản." if kind == "recall" else "Nơi gửi cập nhật văn bản."
        agreed = _apply_change(received, kind, reason or default, inbox, msg=msg if kind == "update" else None)
        changed.append({"agency": agency.code, "agreed": agreed})
    verb = "thu hồi" if kind == "recall" else "cập nhật"
    return {"message": f"Đã xử lý yêu cầu {verb} văn bản.", "changed": changed}


def _apply_change(received: ReceivedDocument, kind: str, reason: str, inbox: InboxMessage, *,
                  msg: edxml.DocumentMessage | None = None) -> bool:
    """Recall, replace or update a received document; answer 15 (agreed) or 16 (refused, with the reason)."""
    data = {"document_id": received.edxml_id, "inbox": str(inbox.uuid)}
    if received.state in (ReceivedDocument.State.RECALLED, ReceivedDocument.State.REPLACED) and kind == "update":
        refusal = "Văn bản đã bị thu hồi hoặc thay thế trước đó."
    elif kind == "update":
        refusal = documents_services.change_from_exchange(
            received.document, "update", reason, fields=_incoming_fields(msg), attachments=_attachments(msg),
            data=data)
    else:
        refusal = documents_services.change_from_exchange(received.document, kind, reason, data=data)
    if not refusal:
        received.state = {"recall": ReceivedDocument.State.RECALLED, "replace": ReceivedDocument.State.REPLACED,
                          "update": ReceivedDocument.State.UPDATED}[kind]
        received.changed_at = timezone.now()
        received.save(update_fields=["state", "changed_at"])
        verb = {"recall": "thu hồi", "replace": "thay thế", "update": "cập nhật"}[kind]
        queue_status(received, StatusCode.CHANGE_AGREED, f"Đồng ý {verb}: {reason}"[:1000], force=True)
    else:
        queue_status(received, StatusCode.CHANGE_REFUSED, refusal, force=True)
    return not refusal


def _receive_status(peer: Peer, msg: edxml.StatusMessage, inbox: InboxMessage) -> dict:
    sender, answered = msg.sender.organ_id, msg.response_for.document_id
    staff = msg.staff.staff if msg.staff else ""

    def keep(document) -> ReceivedStatus:
        return ReceivedStatus.objects.create(
            document=document, edxml_id=answered, reporter=sender[:64], reporter_name=msg.sender.organ_name[:250],
            status_code=msg.status_code.value, description=msg.description, staff=staff[:250],
            timestamp=_vn(msg.timestamp), inbox=inbox)

    if msg.status_code == StatusCode.RECALLED:  # the sender takes back a document it sent us
        received = list(ReceivedDocument.objects.select_related("document", "peer", "agency")
                        .filter(peer=peer, sender=sender, edxml_id=answered))
        if not received:
            raise Refused("unknown_document", f"Nền tảng này chưa nhận văn bản {answered[:255]} từ {sender}.",
                          field="edXMLHeader/MessageHeader/ResponseFor/DocumentId")
        for item in received:
            keep(item.document)
            _apply_change(item, "recall", msg.description or "Nơi gửi lấy lại văn bản.", inbox)
        return {"message": "Đã xử lý yêu cầu lấy lại văn bản.", "status": msg.status_code.value}
    sent = (OutboxMessage.objects.filter(kind=MessageKind.DOCUMENT, peer=peer, recipient=sender, edxml_id=answered,
                                         document__isnull=False).select_related("document").order_by("id").first())
    if sent is None:
        raise Refused("unknown_document", f"Văn bản {answered[:255]} không do nền tảng này gửi tới {sender}.",
                      field="edXMLHeader/MessageHeader/ResponseFor/DocumentId")
    keep(sent.document)
    return {"message": f"Đã ghi nhận trạng thái {msg.status_code.value} ({msg.status_code.label}).",
            "status": msg.status_code.value}


# --- the outbox ---------------------------------------------------------------------------------------------------

def _sequence_key(peer: Peer, document_id: str, recipient: str) -> str:
    return _sha256(f"{peer.pk}\x1f{document_id}\x1f{recipient}")


def _enqueue(*, kind: str, peer: Peer, recipient: str, document_id: str, body: bytes, document=None,
             business_type: int | None = None, status_code: str = "", description: str = "",
             actor: User | None = None) -> OutboxMessage:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox messages are written inside the transaction of the action that produces them")
    message = OutboxMessage.objects.create(
        kind=kind, peer=peer, recipient=recipient[:64], edxml_id=document_id, business_type=business_type,
        status_code=status_code, document=document, sequence_key=_sequence_key(peer, document_id, recipient),
        body=body, size=len(body), sha256=_sha256(body), description=description[:500],
        created_by=actor if actor is not None and actor.pk else None, next_attempt_at=timezone.now(),
    )
    transaction.on_commit(partial(_kick, message.pk))
    return message


def _kick(message_id: int, run_after: datetime | None = None) -> None:
    """Ask the task backend to send a message (now, or at ``run_after`` when the backend can defer). A backend
    that cannot take it does no harm: ``tinhso exchange deliver`` sends every due message."""
    from . import tasks

    try:
        if run_after is not None:
            if not tasks.deliver_message.get_backend().supports_defer:
                return
            tasks.deliver_message.using(run_after=run_after).enqueue(message_id)
        else:
            tasks.deliver_message.enqueue(message_id)
    except Exception:  # noqa: BLE001 - the message stays due in the outbox
        logger.exception("exchange: could not enqueue delivery of outbox message %s", message_id)


def queue_status(received: ReceivedDocument, code: StatusCode, description: str = "", *, staff: str = "",
                 department: str = "", at: datetime | None = None, actor: User | None = None,
                 force: bool = False) -> OutboxMessage | None:
    """Queue a status report (QCVN 102 status message) about a received document, to the peer that sent it."""
    if not force and received.state in (ReceivedDocument.State.RECALLED, ReceivedDocument.State.REPLACED):
        return None
    document = received.document
    if code in edxml.REASON_REQUIRED and not description.strip():
        description = "Không ghi lý do."
    message = edxml.StatusMessage(
        response_for=edxml.ResponseFor(document_id=received.edxml_id, organ_id=received.sender,
                                       code=document.notation, promulgation_date=document.issued_date),
        sender=edxml.Organization(organ_id=received.agency.code, organ_name=received.agency.name,
                                  email=received.agency.email, telephone=received.agency.phone),
        status_code=code, timestamp=at or timezone.now(), description=description.strip()[:2000],
        staff=edxml.StaffInfo(department=department[:250], staff=staff[:250]) if staff or department else None,
    )
    return _enqueue(kind=MessageKind.STATUS, peer=received.peer, recipient=received.sender,
                    document_id=received.edxml_id, body=edxml.build_status(message), document=document,
                    status_code=code.value, description=f"{code.value} {code.label}", actor=actor)


#: What a change of a received document tells its sender (QCVN 102:2016 status codes).
RECEIVER_STATUSES = {
    "registration_confirmed": [StatusCode.ACCEPTED],
    "returned": [StatusCode.REJECTED],
    "assigned": [StatusCode.ASSIGNED],
    "forwarded": [StatusCode.PROCESSING],
    "answered": [StatusCode.FINISHED],
    "closed": [StatusCode.FINISHED],
}


def document_changed(document, event) -> None:
    """The documents app's hook, called in the transaction of every change of a document (see
    ``documents.services._exchange_hook``)."""
    if document.direction == "out":
        if event.action == "delivered":
            _queue_documents(document, event)
        return
    codes = RECEIVER_STATUSES.get(event.action)
    if not codes:
        return
    received = ReceivedDocument.objects.select_related("peer", "agency", "document").filter(document=document).first()
    if received is None:
        return
    codes = list(codes)
    if event.action == "assigned" and document.status == "in_progress":  # a person leads: handling starts at once
        codes.append(StatusCode.PROCESSING)
    if event.action == "closed" and OutboxMessage.objects.filter(
            kind=MessageKind.STATUS, document=document, status_code=StatusCode.FINISHED.value).exists():
        return  # already reported finished when the answer was recorded
    actor = event.actor
    for code in codes:
        note = event.note.strip()
        if code == StatusCode.REJECTED:
            description = note
        elif event.action == "answered":
            description = f"Đã có văn bản trả lời {event.data.get('outgoing_notation') or ''}".strip()
        else:
            description = f"{code.label}{': ' + note if note else ''}"
        queue_status(received, code, description, staff=event.actor_name if actor is not None else "",
                     department=event.agency.name if event.agency_id else "", at=event.at, actor=actor)


def peer_for(organ_id: str, peers: list[Peer] | None = None) -> Peer | None:
    """The active peer that serves ``organ_id``, if any."""
    for peer in peers if peers is not None else Peer.objects.filter(is_active=True):
        if peer.is_active and peer.serves(organ_id):
            return peer
    return None


def outgoing_document_id(document) -> str:
    return edxml.document_id(document.agency.code, document.issued_date, document.number, document.code_notation)


def _queue_documents(document, event) -> list[OutboxMessage]:
    """Queue the document package for each outside recipient a peer serves (one package per recipient)."""
    sent = set(OutboxMessage.objects.filter(kind=MessageKind.DOCUMENT, document=document,
                                            business_type=BusinessDocType.NEW).values_list("recipient", flat=True))
    peers = list(Peer.objects.filter(is_active=True))
    if not peers:
        return []
    queued = []
    for delivery in document.deliveries.filter(channel="edxml").order_by("id"):
        peer = peer_for(delivery.recipient_code, peers)
        if peer is None or delivery.recipient_code in sent:
            continue
        recipient = documents_services.ExternalRecipient(code=delivery.recipient_code, name=delivery.recipient_name)
        body = documents_services.edxml_package(document, [recipient], event.at)
        queued.append(_enqueue(kind=MessageKind.DOCUMENT, peer=peer, recipient=recipient.code,
                               document_id=outgoing_document_id(document), body=body, document=document,
                               business_type=BusinessDocType.NEW, description=f"Văn bản {document.notation}",
                               actor=event.actor))
        sent.add(recipient.code)
    return queued


# --- recall and update by the sender ------------------------------------------------------------------------------

def _require_sender_clerk(actor: User, document) -> None:
    if document.direction != "out" or document.status != "issued":
        raise DomainError("not_issued", "Chỉ thu hồi hoặc cập nhật được văn bản đi đã phát hành.")
    if "deliver" not in documents_queries.allowed_actions(actor, document):
        raise Forbidden(f"Thao tác này cần vai trò Văn thư của {document.agency.name}.")


def _latest_packages(document) -> dict[str, OutboxMessage]:
    """Per recipient, the latest document package (new or update) sent or queued, unless recalled."""
    latest: dict[str, OutboxMessage] = {}
    for row in (OutboxMessage.objects.filter(kind=MessageKind.DOCUMENT, document=document)
                .select_related("peer").order_by("id")):
        if row.business_type == BusinessDocType.REVOCATION:
            latest.pop(row.recipient, None)
        elif row.state != OutboxMessage.State.CANCELLED:
            latest[row.recipient] = row
    return latest


def _changed_package(base: OutboxMessage, business: edxml.Business, *, keep_attachments: bool,
                     extra: tuple[edxml.Attachment, ...] = (), due_date: date | None = None) -> bytes:
    original = edxml.parse(bytes(base.body))
    now = timezone.now()
    attachments = (original.attachments if keep_attachments else ()) + extra
    return edxml.build_document(replace(
        original, business=business, attachments=attachments, due_date=due_date or original.due_date,
        trace=(edxml.TraceHeader(organ_id=original.sender.organ_id, timestamp=timezone.localtime(now)),)))


@transaction.atomic
def recall(actor: User, document, reason: str) -> list[OutboxMessage]:
    """Thu hồi: the sender's clerk takes back an issued document sent through the exchange. A package not yet
    delivered is cancelled; the others get a revocation package (BussinessDocType 1) with the reason."""
    _require_sender_clerk(actor, document)
    reason = " ".join(reason.split())
    if not reason:
        raise DomainError("reason_required", "Cần ghi lý do thu hồi.", field="reason")
    latest = _latest_packages(document)
    if not latest:
        raise DomainError("nothing_to_recall", "Văn bản chưa gửi liên thông đến nơi nhận nào, hoặc đã thu hồi hết.")
    queued = []
    for recipient, base in latest.items():
        if base.state in (OutboxMessage.State.PENDING, OutboxMessage.State.FAILED) and base.business_type == 0:
            base.state, base.last_error = OutboxMessage.State.CANCELLED, f"Thu hồi trước khi gửi: {reason}"[:1000]
            base.save(update_fields=["state", "last_error"])
            continue
        business = edxml.Business(doc_type=BusinessDocType.REVOCATION, reason=reason, document_id=base.edxml_id,
                                  staff=edxml.StaffInfo(staff=str(actor)[:250]))
        body = _changed_package(base, business, keep_attachments=False)
        queued.append(_enqueue(kind=MessageKind.DOCUMENT, peer=base.peer, recipient=recipient,
                               document_id=base.edxml_id, body=body, document=document,
                               business_type=BusinessDocType.REVOCATION, description=f"Thu hồi: {reason}",
                               actor=actor))
    documents_services.note_event(document, "exchange_recall_sent", actor, note=reason,
                                  data={"recipients": sorted(latest)})
    record("exchange.recall", actor=actor, obj=document, agency=document.agency, summary=f"{document}: {reason}")
    return queued


@transaction.atomic
def update(actor: User, document, reason: str, *, due_date: date | None = None,
           attachment: tuple[str, str, bytes] | None = None) -> list[OutboxMessage]:
    """Cập nhật: send the recipients the document again with a corrected due date and/or an extra file (an
    erratum), with the reason (BussinessDocType 2). Each recipient answers 15 (applied) or 16 (refused)."""
    _require_sender_clerk(actor, document)
    reason = " ".join(reason.split())
    if not reason:
        raise DomainError("reason_required", "Cần ghi nội dung cập nhật.", field="reason")
    if due_date is None and attachment is None:
        raise DomainError("nothing_to_update", "Hãy nhập hạn giải quyết mới hoặc chọn tệp đính chính.")
    latest = {r: m for r, m in _latest_packages(document).items() if m.state != OutboxMessage.State.DEAD}
    if not latest:
        raise DomainError("nothing_to_update", "Văn bản chưa gửi liên thông đến nơi nhận nào, hoặc đã thu hồi hết.")
    queued = []
    for recipient, base in latest.items():
        extra = ()
        if attachment is not None:
            name, content_type, content = attachment
            extra = (edxml.Attachment(name=name, content_type=content_type, data=content,
                                      content_id=f"cap-nhat-{_sha256(content)[:12]}", description="Tệp đính chính"),)
        business = edxml.Business(doc_type=BusinessDocType.UPDATE, reason=reason, document_id=base.edxml_id,
                                  document_info=edxml.BusinessDocumentInfo(document_info="1", document_receiver="0"),
                                  staff=edxml.StaffInfo(staff=str(actor)[:250]))
        body = _changed_package(base, business, keep_attachments=True, extra=extra, due_date=due_date)
        queued.append(_enqueue(kind=MessageKind.DOCUMENT, peer=base.peer, recipient=recipient,
                               document_id=base.edxml_id, body=body, document=document,
                               business_type=BusinessDocType.UPDATE, description=f"Cập nhật: {reason}",
                               actor=actor))
    documents_services.note_event(document, "exchange_update_sent", actor, note=reason, data={
        "recipients": sorted(latest), "due_date": due_date.isoformat() if due_date else None,
        "file": attachment[0] if attachment else None,
        "sha256": _sha256(attachment[2]) if attachment else None})
    record("exchange.update", actor=actor, obj=document, agency=document.agency, summary=f"{document}: {reason}")
    return queued


# --- delivery -----------------------------------------------------------------------------------------------------

@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    dead: int = 0

    def as_dict(self) -> dict:
        return {"sent": self.sent, "failed": self.failed, "dead": self.dead}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: PLR0913 - the library's signature
        return None  # a redirect is answered as what it is (a 3xx), the package is not re-posted elsewhere


def http_post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int, bytes]:
    """POST ``body``; the HTTP status and up to 64 KiB of the answer. Network failures raise ``OSError``."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read(65536)
    except urllib.error.HTTPError as exc:
        try:
            payload = exc.read(65536)
        except (OSError, http.client.HTTPException):
            payload = b""
        return exc.code, payload


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: 1, 2, 4 … minutes, capped, with ±25 % jitter (so that many
    messages that failed together do not retry together)."""
    delay = min(backoff_base() * (2 ** max(attempts - 1, 0)), backoff_cap())
    return timedelta(seconds=delay * random.uniform(0.75, 1.25))


def _due(now: datetime):
    return OutboxMessage.objects.filter(
        Q(state__in=[OutboxMessage.State.PENDING, OutboxMessage.State.FAILED], next_attempt_at__lte=now)
        | Q(state=OutboxMessage.State.SENDING, lease_until__lt=now))


def _claim(limit: int, now: datetime, only: int | None = None) -> list[OutboxMessage]:
    """Take up to ``limit`` due messages for this worker: the first unsent message of each (document, recipient)
    sequence only. Rows are locked with SKIP LOCKED where the database has it (PostgreSQL); on SQLite the write
    transaction itself serializes workers. Claimed rows are ``sending`` until ``LEASE`` runs out."""
    with transaction.atomic():
        candidates = _due(now).order_by("id")
        if only is not None:
            candidates = candidates.filter(pk=only)
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        chosen, sequences = [], set()
        for row in candidates.only("id", "sequence_key")[: limit * 4]:
            if row.sequence_key in sequences:
                continue
            sequences.add(row.sequence_key)
            if OutboxMessage.objects.filter(sequence_key=row.sequence_key, id__lt=row.id, state__in=_UNSENT).exists():
                continue  # an earlier message of the same document and recipient goes first
            chosen.append(row.id)
            if len(chosen) >= limit:
                break
        if chosen:
            OutboxMessage.objects.filter(pk__in=chosen).update(state=OutboxMessage.State.SENDING,
                                                               lease_until=now + LEASE)
    return list(OutboxMessage.objects.filter(pk__in=chosen).select_related("peer").order_by("id"))


def _attempt(message: OutboxMessage, report: DeliveryReport, transport=None) -> None:
    started = time.monotonic()
    status, payload, error_code, error = None, b"", "", ""
    body = bytes(message.body)
    try:
        headers = signed_headers(message.peer, body)
        status, payload = (transport or http_post)(message.peer.endpoint_url, body, headers, http_timeout())
    except DomainError as exc:
        error_code, error = exc.code, exc.message
    except (OSError, http.client.HTTPException, ValueError) as exc:
        error_code, error = "network_error", f"{type(exc).__name__}: {exc}"
    _finish(message, status, payload, error_code, error, int((time.monotonic() - started) * 1000), report)


def _answer(payload: bytes) -> dict:
    try:
        data = json.loads(payload.decode("utf-8")) if payload else {}
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@transaction.atomic
def _finish(message: OutboxMessage, status: int | None, payload: bytes, error_code: str, error: str,
            duration_ms: int, report: DeliveryReport) -> None:
    now = timezone.now()
    answer = _answer(payload)
    ok = status is not None and 200 <= status < 300
    if status is not None and not ok:
        error_code = str(answer.get("code") or f"http_{status}")[:64]
        error = str(answer.get("message") or payload[:300].decode("utf-8", "replace") or f"HTTP {status}")
    OutboxAttempt.objects.create(message=message, at=now, http_status=status, error_code=error_code,
                                 error=error[:1000], duration_ms=duration_ms)
    message.attempts += 1
    message.last_http_status = status
    message.lease_until = None
    if ok:
        message.state, message.sent_at = OutboxMessage.State.SENT, now
        message.last_error_code, message.last_error = str(answer.get("code", ""))[:64], ""
        Peer.objects.filter(pk=message.peer_id).update(last_success_at=now)
        report.sent += 1
    else:
        message.last_error_code, message.last_error = error_code[:64], error[:1000]
        if (status in PERMANENT_STATUSES) or message.attempts >= max_attempts():
            message.state = OutboxMessage.State.DEAD
            report.dead += 1
            logger.warning("exchange: outbox message %s is dead after %s attempts: %s %s", message.pk,
                           message.attempts, error_code, error)
            record("exchange.dead_letter", obj=message, summary=f"{message}: {error_code} {error}"[:500])
        else:
            message.state = OutboxMessage.State.FAILED
            message.next_attempt_at = now + backoff(message.attempts)
            report.failed += 1
            transaction.on_commit(partial(_kick, message.pk, message.next_attempt_at))
        Peer.objects.filter(pk=message.peer_id).update(last_failure_at=now, last_error=f"{error_code}: {error}"[:500])
    message.save(update_fields=["state", "attempts", "last_http_status", "lease_until", "sent_at", "last_error_code",
                                "last_error", "next_attempt_at"])
    if ok:
        following = (OutboxMessage.objects.filter(sequence_key=message.sequence_key, id__gt=message.id,
                                                  state=OutboxMessage.State.PENDING).order_by("id").first())
        if following is not None:
            transaction.on_commit(partial(_kick, following.pk))


def deliver_due(*, limit: int = 50, now: datetime | None = None, transport=None, rounds: int = 100) -> DeliveryReport:
    """Send every due message (in rounds: a message waiting for an earlier one of its sequence goes in a later
    round). Safe to run in several processes at once."""
    report = DeliveryReport()
    for _round in range(rounds):
        batch = _claim(limit, now or timezone.now())
        if not batch:
            break
        for message in batch:
            _attempt(message, report, transport)
    return report


def deliver_one(message_id: int, *, transport=None) -> DeliveryReport:
    """Send one message if it is due and first in its sequence (the task's work)."""
    report = DeliveryReport()
    for message in _claim(1, timezone.now(), only=message_id):
        _attempt(message, report, transport)
    return report


@transaction.atomic
def requeue(actor: User | None, messages) -> int:
    """IT staff send dead (or failed) messages again now, with a fresh count of attempts."""
    ids = [m.pk for m in messages if m.state in (OutboxMessage.State.DEAD, OutboxMessage.State.FAILED)]
    now = timezone.now()
    count = OutboxMessage.objects.filter(pk__in=ids).update(state=OutboxMessage.State.PENDING, attempts=0,
                                                            next_attempt_at=now, lease_until=None)
    for pk in ids:
        transaction.on_commit(partial(_kick, pk))
    record("exchange.requeued", actor=actor, summary=f"{count} gói tin được gửi lại", data={"ids": ids})
    return count


# --- configuration ------------------------------------------------------------------------------------------------

@transaction.atomic
def save_peer(actor: User | None, *, name: str, base_url: str, organ_ids: list[str] | str, inbound_key_id: str,
              outbound_key_id: str, secret_env: str, is_active: bool = True) -> Peer:
    """Register (or change, by ``inbound_key_id``) a peer platform. Administrators only; ``None`` is an operator
    on the server (the ``tinhso exchange add-peer`` command)."""
    from django.core.exceptions import ValidationError

    from tinhso.core import permissions
    from tinhso.core.models import Role

    if actor is not None:
        permissions.require_role(actor, [Role.ADMINISTRATOR])
    peer = Peer.objects.filter(inbound_key_id=inbound_key_id).first() or Peer(inbound_key_id=inbound_key_id)
    peer.name, peer.base_url, peer.outbound_key_id, peer.secret_env, peer.is_active = (
        name.strip(), base_url.strip(), outbound_key_id.strip(), secret_env.strip(), is_active)
    peer.organ_ids = "\n".join(organ_ids) if isinstance(organ_ids, list) else organ_ids
    try:
        peer.full_clean()
    except ValidationError as exc:
        field_name, errors = next(iter(exc.message_dict.items()))
        raise DomainError("invalid_peer", f"{field_name}: {' '.join(errors)}", field=field_name) from exc
    peer.save()
    record("exchange.peer_saved", actor=actor, obj=peer, summary=f"{peer.name} ({peer.base_url})")
    return peer
