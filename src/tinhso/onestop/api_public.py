"""Public dossier lookup and the applicant's own dossiers (JSON)."""

from datetime import datetime

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import django_auth

from tinhso.core.api import ErrorOut
from tinhso.core.errors import NotFound
from tinhso.core.middleware import client_ip

from . import queries_public as queries
from .models import Attachment, Dossier

router = Router(tags=["Hồ sơ — công dân, tra cứu"])


class PublicEventOut(Schema):
    at: datetime
    action: str
    label: str = Field(description="Tên bước, tiếng Việt")
    status: int | None
    status_label: str


class PublicDossierOut(Schema):
    code: str
    procedure_name: str
    receiving_agency: str
    applicant: str = Field(description="Tên người nộp đã che bớt, ví dụ “Hoàng V. M.”")
    status: int = Field(description="Mã trạng thái theo danh mục của Cổng DVCQG (1–10)")
    status_label: str
    received_at: datetime | None
    due_at: datetime | None
    finished_at: datetime | None
    returned_at: datetime | None
    events: list[PublicEventOut]


@router.get("/public/dossiers/{code}", response={200: PublicDossierOut, 404: ErrorOut, 429: ErrorOut},
            summary="Tra cứu công khai một hồ sơ bằng mã hồ sơ và mã tra cứu (hoặc 4 số cuối điện thoại)")
def public_dossier(request: HttpRequest, code: str, khoa: str = ""):
    queries.check_lookup_rate(client_ip(request))
    dossier = queries.public_lookup(code, khoa[:20])
    if dossier is None:
        raise NotFound("dossier_not_found", queries.NOT_FOUND_MESSAGE)
    return queries.public_view(dossier)


class MyDossierOut(Schema):
    id: int
    code: str | None
    is_draft: bool
    status: int
    status_label: str = Field(description="“Bản nháp” cho hồ sơ chưa nộp")
    procedure_code: str
    procedure_name: str
    receiving_agency: str
    delivery: str
    created_at: datetime
    submitted_at: datetime | None
    received_at: datetime | None
    due_at: datetime | None
    remaining: str = Field(description="Thời gian còn lại khi hồ sơ đang được tính giờ, ví dụ “còn 2 ngày 3 giờ”")
    finished_at: datetime | None
    returned_at: datetime | None
    url: str


class FileOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    kind: str
    uploaded_at: datetime
    download_url: str


class ItemOut(Schema):
    id: int
    order: int
    name: str
    mandatory: bool
    files: list[FileOut]


class EventOut(Schema):
    at: datetime
    action: str
    label: str
    status_label: str
    note: str


class SupplementOut(Schema):
    items: list[str]
    reason: str
    requested_at: datetime
    wait_until: datetime | None


class MyDossierDetailOut(MyDossierOut):
    lookup_secret: str | None
    handling_agency: str
    delivery_address: str
    amount_due: int | None
    can_withdraw: bool
    items: list[ItemOut]
    supplement_request: SupplementOut | None
    results: list[FileOut]
    events: list[EventOut]


def _summary(dossier: Dossier) -> dict:
    return {
        "id": dossier.pk, "code": dossier.code, "is_draft": dossier.is_draft, "status": dossier.status,
        "status_label": queries.display_status(dossier),
        "procedure_code": dossier.procedure_version.procedure.code,
        "procedure_name": dossier.procedure_version.name, "receiving_agency": dossier.receiving_agency.name,
        "delivery": dossier.delivery, "created_at": dossier.created_at, "submitted_at": dossier.submitted_at,
        "received_at": dossier.received_at, "due_at": dossier.due_at, "remaining": queries.remaining_text(dossier),
        "finished_at": dossier.finished_at, "returned_at": dossier.returned_at,
        "url": reverse("onestop:citizen-dossier", args=[dossier.pk]),
    }


def _file(dossier: Dossier, attachment: Attachment) -> dict:
    return {"id": attachment.pk, "name": attachment.name, "size": attachment.size,
            "content_type": attachment.content_type, "kind": attachment.kind, "uploaded_at": attachment.uploaded_at,
            "download_url": reverse("onestop:citizen-download", args=[dossier.pk, attachment.pk])}


@router.get("/me/dossiers", response=list[MyDossierOut], auth=django_auth,
            summary="Hồ sơ của tôi (người nộp đã đăng nhập), mới nhất trước, gồm cả bản nháp")
@paginate(LimitOffsetPagination)
def my_dossiers(request: HttpRequest):
    return [_summary(d) for d in queries.my_dossiers(request.auth)]


@router.get("/me/dossiers/{dossier_id}", response={200: MyDossierDetailOut, 404: ErrorOut}, auth=django_auth,
            summary="Một hồ sơ của tôi: giấy tờ, yêu cầu bổ sung, quá trình xử lý, kết quả")
def my_dossier(request: HttpRequest, dossier_id: int):
    dossier = queries.dossier_for_applicant(request.auth, dossier_id)
    views = queries.items_with_files(dossier)
    request_open = queries.open_supplement_request(dossier)
    return {
        **_summary(dossier),
        "lookup_secret": dossier.lookup_secret if dossier.code else None,
        "handling_agency": dossier.handling_agency.name, "delivery_address": dossier.delivery_address,
        "amount_due": dossier.amount_due, "can_withdraw": queries.can_withdraw(dossier),
        "items": [{"id": v.item.pk, "order": v.item.order, "name": v.item.name, "mandatory": v.item.mandatory,
                   "files": [_file(dossier, a) for a in v.files]} for v in views],
        "supplement_request": None if request_open is None else {
            "items": request_open.items, "reason": request_open.reason,
            "requested_at": request_open.requested_at, "wait_until": request_open.wait_until},
        "results": [_file(dossier, a) for a in queries.result_files(dossier)],
        "events": [{"at": e["at"], "action": e["action"], "label": e["label"], "status_label": e["status"],
                    "note": e["note"]} for e in queries.applicant_history(dossier)],
    }
