"""Drive one running platform from the two-instance test: ``python -m tinhso.exchange.tests.instance STEP ARGS…``
with that platform's environment (``DJANGO_SETTINGS_MODULE``, ``TINHSO_VAR_DIR``, ``DATABASE_URL``, the shared
secret). Each step calls the platform's services, as its staff would through the pages, and prints one JSON line;
several steps separated by ``+`` run in one process.

Side A is Lạng Sơn (Sở Tư pháp issues), side B is Cao Bằng (Sở Xây dựng receives).
"""

from __future__ import annotations

import base64
import json
import sys
from datetime import date

SECRET_ENV = "TINHSO_PEER_SECRET"


def _people(codes: dict[str, str]):
    from tinhso.core.models import User

    return {key: User.objects.get(username=username) for key, username in codes.items()}


A_PEOPLE = {"clerk": "vanthu.stp", "leader": "giamdoc.stp", "head": "truongphong.stp", "specialist": "chuyenvien.stp"}
B_PEOPLE = {"clerk": "vanthu.sxd", "leader": "giamdoc.sxd", "head": "truongphong.sxd", "specialist": "chuyenvien.sxd"}


def seed(side: str, peer_url: str) -> dict:
    from tinhso.exchange import services

    from . import factories

    if side == "A":
        factories.remote_province()
        peer = services.save_peer(None, name="Nền tảng tỉnh Cao Bằng", base_url=peer_url,
                                  organ_ids=[factories.LOCAL_SXD, factories.LOCAL_UBND], inbound_key_id="caobang",
                                  outbound_key_id="langson", secret_env=SECRET_ENV)
    else:
        factories.local_province()
        peer = services.save_peer(None, name="Nền tảng tỉnh Lạng Sơn", base_url=peer_url,
                                  organ_ids=[factories.REMOTE_STP, factories.REMOTE_UBND], inbound_key_id="langson",
                                  outbound_key_id="caobang", secret_env=SECRET_ENV)
    return {"peer": peer.endpoint_url}


def send(subject: str) -> dict:
    """Sở Tư pháp drafts, approves, signs, issues and sends a document to Sở Xây dựng Cao Bằng."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tinhso.core.models import Agency
    from tinhso.documents import services as documents
    from tinhso.documents.models import DocumentType
    from tinhso.exchange.models import OutboxMessage

    from . import factories

    p = _people(A_PEOPLE)
    stp = Agency.objects.get(code=factories.REMOTE_STP)
    upload = SimpleUploadedFile("ke-hoach.pdf", factories.pdf("Ke hoach"), content_type="application/pdf")
    draft = documents.create_draft(p["specialist"], stp, DocumentType.objects.get(abbreviation="KH"), subject, upload)
    documents.submit_for_approval(p["specialist"], draft)
    documents.approve(p["head"], draft)
    documents.sign(p["leader"], draft)
    issued = documents.issue(p["clerk"], draft)
    documents.deliver(p["clerk"], issued, [documents.ExternalRecipient(code=factories.LOCAL_SXD,
                                                                       name="Sở Xây dựng tỉnh Cao Bằng")])
    message = OutboxMessage.objects.get(document=issued)
    return {"document": issued.pk, "notation": issued.notation, "document_id": message.edxml_id,
            "outbox": message.pk}


def deliver() -> dict:
    from tinhso.exchange import services

    return services.deliver_due().as_dict()


def due_now() -> dict:
    from django.utils import timezone

    from tinhso.exchange.models import OutboxMessage

    return {"updated": OutboxMessage.objects.filter(state="failed").update(next_attempt_at=timezone.now())}


def outbox() -> dict:
    from tinhso.exchange.models import OutboxMessage

    return {"rows": [{"id": m.pk, "kind": m.kind, "business_type": m.business_type, "status_code": m.status_code,
                      "state": m.state, "attempts": m.attempts, "error": m.last_error_code, "http": m.last_http_status}
                     for m in OutboxMessage.objects.order_by("id")]}


def body(message_id: str) -> dict:
    from tinhso.exchange.models import OutboxMessage

    return {"body": base64.b64encode(bytes(OutboxMessage.objects.get(pk=int(message_id)).body)).decode()}


def statuses(document_pk: str) -> dict:
    from tinhso.exchange.models import ReceivedStatus

    rows = ReceivedStatus.objects.filter(document_id=int(document_pk)).order_by("timestamp", "id")
    return {"codes": [r.status_code for r in rows], "reporters": sorted({r.reporter for r in rows}),
            "descriptions": [r.description for r in rows]}


def incoming() -> dict:
    from tinhso.documents.models import Document
    from tinhso.exchange.models import ReceivedDocument

    links = {r.document_id: r for r in ReceivedDocument.objects.all()}
    rows = []
    for d in Document.objects.filter(direction="in").order_by("id"):
        link = links.get(d.pk)
        rows.append({"pk": d.pk, "status": d.status, "subject": d.subject, "notation": d.notation,
                     "sender_code": d.sender_code, "due_date": d.due_date.isoformat() if d.due_date else None,
                     "files": sorted(d.files.values_list("name", flat=True)),
                     "edxml_id": link.edxml_id if link else None, "state": link.state if link else None,
                     "events": list(d.events.order_by("id").values_list("action", flat=True))})
    return {"rows": rows}


def act(action: str, document_pk: str) -> dict:
    """Sở Xây dựng handles the document: the clerk registers it, the director assigns it to the division, the head
    gives it to a specialist, the specialist closes it."""
    from tinhso.core.models import Agency
    from tinhso.documents import services as documents
    from tinhso.documents.models import Document

    from . import factories

    p = _people(B_PEOPLE)
    document = Document.objects.get(pk=int(document_pk))
    if action == "confirm":
        documents.confirm_registration(p["clerk"], document)
    elif action == "assign":
        documents.assign(p["leader"], document, lead=Agency.objects.get(code=factories.LOCAL_DIVISION),
                         note="Phòng Quản lý hoạt động xây dựng chủ trì")
    elif action == "forward":
        documents.forward_to_specialist(p["head"], document, p["specialist"])
    elif action == "close":
        documents.close(p["specialist"], document, note="Đã phối hợp kiểm tra")
    else:
        raise SystemExit(f"unknown action {action}")
    document.refresh_from_db()
    return {"status": document.status}


def recall(document_pk: str, reason: str) -> dict:
    from tinhso.documents.models import Document
    from tinhso.exchange import services

    queued = services.recall(_people(A_PEOPLE)["clerk"], Document.objects.get(pk=int(document_pk)), reason)
    return {"queued": [m.pk for m in queued]}


def update(document_pk: str, reason: str, due: str) -> dict:
    from tinhso.documents.models import Document
    from tinhso.exchange import services

    queued = services.update(_people(A_PEOPLE)["clerk"], Document.objects.get(pk=int(document_pk)), reason,
                             due_date=date.fromisoformat(due))
    return {"queued": [m.pk for m in queued]}


STEPS = {"seed": seed, "send": send, "deliver": deliver, "due-now": due_now, "outbox": outbox, "body": body,
         "statuses": statuses, "incoming": incoming, "act": act, "recall": recall, "update": update}


def main(argv: list[str]) -> None:
    """Run one step, or several separated by ``+`` (one process: the platform's startup is paid once); print the
    result, or the list of results."""
    import django

    django.setup()
    steps, current = [], []
    for arg in argv:
        if arg == "+":
            steps.append(current)
            current = []
        else:
            current.append(arg)
    steps.append(current)
    results = [STEPS[step[0]](*step[1:]) for step in steps]
    sys.stdout.write(json.dumps(results[0] if len(results) == 1 else results, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
