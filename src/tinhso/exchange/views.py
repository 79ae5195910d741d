"""The exchange endpoint and the sender clerk's actions. Thin: read the request, call ``services``.

``POST /lien-thong/goi-tin/`` takes one edXML package (the body) signed with the peer's shared secret (headers
``X-Exchange-Key``, ``X-Exchange-Timestamp``, ``X-Exchange-Signature``) and answers JSON ``{code, message, …}``:
200 ``received`` or ``duplicate``; 400 for a package that cannot be read (the ``EdxmlError`` code, line and column);
401 ``unauthenticated``/``bad_nonce``/``bad_timestamp``/``stale_timestamp``/``bad_signature``/``replayed``; 403
``sender_not_allowed``; 409 ``duplicate_conflict``; 413 ``too_large``; 422 ``unknown_agency``/``unknown_document``.
"""

import logging
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tinhso.core.errors import DomainError
from tinhso.documents import queries as documents_queries

from . import services
from .edxml import EdxmlError

logger = logging.getLogger(__name__)


def _error(status: int, code: str, message: str, **extra) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, **extra}, status=status,
                        json_dumps_params={"ensure_ascii": False})


@csrf_exempt
def receive(request):
    if request.method != "POST":
        response = _error(405, "method_not_allowed", "Chỉ nhận gói tin bằng phương thức POST.")
        response["Allow"] = "POST"
        return response
    limit = services.max_message_bytes()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return _error(413, "too_large", f"Gói tin {declared:,} byte vượt giới hạn {limit:,} byte.")
    body = request.read(limit + 1)
    if len(body) > limit:
        return _error(413, "too_large", f"Gói tin vượt giới hạn {limit:,} byte.")
    headers = request.headers
    try:
        peer = services.authenticate(
            key_id=headers.get(services.KEY_HEADER, ""), timestamp=headers.get(services.TIMESTAMP_HEADER, ""),
            nonce=headers.get(services.NONCE_HEADER, ""), signature_hex=headers.get(services.SIGNATURE_HEADER, ""),
            method=request.method, path=request.path, body=body)
        receipt = services.receive(peer, body)
    except EdxmlError as exc:
        logger.info("exchange: package refused: %s %s", exc.code, exc.detail)
        return JsonResponse(exc.as_json(), status=413 if exc.code == "too_large" else 400,
                            json_dumps_params={"ensure_ascii": False})
    except services.Refused as exc:
        logger.info("exchange: request refused: %s %s", exc.code, exc.message)
        return _error(exc.status, exc.code, exc.message, field=exc.field)
    except DomainError as exc:  # a business rule of the documents app (e.g. a subject that is too long)
        return _error(422, exc.code, exc.message, field=exc.field)
    return JsonResponse({"code": receipt.code, "message": receipt.message, "inbox": str(receipt.inbox.uuid),
                         **receipt.outcome}, status=200, json_dumps_params={"ensure_ascii": False})


def _back(pk: int):
    return redirect(reverse("documents:document", args=[pk]) + "#lien-thong")


@login_required
@require_POST
def recall(request, pk: int):
    try:
        document = documents_queries.document_for(request.user, pk)
        queued = services.recall(request.user, document, request.POST.get("reason", "")[:1000])
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back(pk)
    messages.success(request, f"Đã gửi yêu cầu thu hồi đến {len(queued)} nơi nhận."
                     if queued else "Đã hủy gói tin chưa gửi; văn bản không đến nơi nhận.")
    return _back(pk)


def _due_date(raw: str) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise DomainError("invalid_date", "Hạn giải quyết không hợp lệ.", field="due_date") from None


@login_required
@require_POST
def update(request, pk: int):
    from tinhso.documents.files import read_upload  # the documents app's check of a file by its content

    try:
        document = documents_queries.document_for(request.user, pk)
        upload = request.FILES.get("file")
        attachment = None
        if upload is not None:
            stored = read_upload(upload)
            attachment = (stored.name, stored.content_type, stored.content)
        queued = services.update(request.user, document, request.POST.get("reason", "")[:1000],
                                 due_date=_due_date(request.POST.get("due_date", "")), attachment=attachment)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back(pk)
    messages.success(request, f"Đã gửi bản cập nhật đến {len(queued)} nơi nhận.")
    return _back(pk)
