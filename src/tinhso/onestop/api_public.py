"""Public dossier lookup and the applicant's own dossiers (JSON)."""

import re
from datetime import date, datetime

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Form, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import django_auth

from tinhso.core.api import ErrorOut
from tinhso.core.errors import DomainError, Forbidden, NotFound
from tinhso.core.middleware import client_ip
from tinhso.core.models import Agency

from . import queries_public as queries
from . import services
from .models import Attachment, Dossier, PersonalDocument

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
    store_document_id: int | None = Field(None, description="Giấy tờ trong kho dữ liệu cá nhân mà tệp này lấy từ đó")


class ItemOut(Schema):
    id: int
    order: int
    name: str
    mandatory: bool
    digitised: bool = Field(description="Đã số hóa (ghi nhận khi tiếp nhận)")
    reused: bool = Field(description="Sử dụng lại dữ liệu đã số hóa")
    from_store: bool = Field(description="Lấy từ kho dữ liệu cá nhân")
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
    electronic_result: bool
    result_in_store: bool
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
            "download_url": reverse("onestop:citizen-download", args=[dossier.pk, attachment.pk]),
            "store_document_id": attachment.store_document_id}


def _item(dossier: Dossier, item, files: list[Attachment]) -> dict:
    return {"id": item.pk, "order": item.order, "name": item.name, "mandatory": item.mandatory,
            "digitised": item.digitised, "reused": item.reused, "from_store": item.from_store,
            "files": [_file(dossier, a) for a in files]}


@router.get("/me/dossiers", response=list[MyDossierOut], auth=django_auth,
            summary="Hồ sơ của tôi (người nộp đã đăng nhập), mới nhất trước, gồm cả bản nháp")
@paginate(LimitOffsetPagination)
def my_dossiers(request: HttpRequest):
    return [_summary(d) for d in queries.my_dossiers(request.auth)]


class SubmittedOut(Schema):
    id: int
    status: int
    status_label: str
    replayed: bool = Field(description="true: cùng Idempotency-Key đã gửi trước đó, đây là hồ sơ đã tạo lúc ấy")
    url: str


_ITEM_FIELD = re.compile(r"item_(\d{1,3})")


@router.post("/me/dossiers", response={200: SubmittedOut, 201: SubmittedOut, 400: ErrorOut, 403: ErrorOut,
                                       404: ErrorOut, 409: ErrorOut, 422: ErrorOut}, auth=django_auth,
             summary="Nộp hồ sơ trực tuyến trong một lần gọi (multipart: tệp của thành phần số N trong trường item_N)",
             description="Gửi kèm tiêu đề Idempotency-Key (tối đa 64 ký tự): gửi lại cùng khóa (mất kết nối, bấm "
                         "hai lần) trả về hồ sơ đã tạo với mã 200, không bao giờ tạo hồ sơ thứ hai.")
def submit_dossier(request: HttpRequest, procedure_code: Form[str], receiving_agency: Form[str],
                   delivery: Form[str] = Dossier.Delivery.DESK, delivery_address: Form[str] = ""):
    user = request.auth
    if not user.is_applicant:
        raise Forbidden("Chỉ tài khoản công dân, doanh nghiệp mới nộp hồ sơ trực tuyến.")
    agency = Agency.objects.filter(code=receiving_agency.strip()).first()
    if agency is None:
        raise NotFound("agency_not_found", f"Không tìm thấy cơ quan mã {receiving_agency[:40]}.")
    files: dict[int, list] = {}
    for name in request.FILES:
        match = _ITEM_FIELD.fullmatch(name)
        if match is None:
            raise DomainError("unknown_field", f"Trường tệp “{name[:40]}” không hợp lệ; dùng item_<số thứ tự>.",
                              field=name[:40])
        files[int(match.group(1))] = request.FILES.getlist(name)
    dossier, created = services.submit_online(
        user, procedure_code=procedure_code.strip(), receiving_agency=agency, files=files, delivery=delivery,
        delivery_address=delivery_address, client_key=request.headers.get("Idempotency-Key", ""))
    body = {"id": dossier.pk, "status": dossier.status, "status_label": queries.display_status(dossier),
            "replayed": not created, "url": reverse("onestop:citizen-dossier", args=[dossier.pk])}
    return (201 if created else 200), body


@router.get("/me/dossiers/{dossier_id}", response={200: MyDossierDetailOut, 404: ErrorOut}, auth=django_auth,
            summary="Một hồ sơ của tôi: giấy tờ, yêu cầu bổ sung, quá trình xử lý, kết quả")
def my_dossier(request: HttpRequest, dossier_id: int):
    dossier = queries.dossier_for_applicant(request.auth, dossier_id)
    views = queries.items_with_files(dossier)
    request_open = queries.open_supplement_request(dossier)
    return {
        **_summary(dossier),
        "lookup_secret": dossier.lookup_secret if dossier.code else None,
        "electronic_result": dossier.electronic_result, "result_in_store": dossier.result_in_store,
        "handling_agency": dossier.handling_agency.name, "delivery_address": dossier.delivery_address,
        "amount_due": dossier.amount_due, "can_withdraw": queries.can_withdraw(dossier),
        "items": [_item(dossier, v.item, v.files) for v in views],
        "supplement_request": None if request_open is None else {
            "items": request_open.items, "reason": request_open.reason,
            "requested_at": request_open.requested_at, "wait_until": request_open.wait_until},
        "results": [_file(dossier, a) for a in queries.result_files(dossier)],
        "events": [{"at": e["at"], "action": e["action"], "label": e["label"], "status_label": e["status"],
                    "note": e["note"]} for e in queries.applicant_history(dossier)],
    }


# --- the personal document store (kho dữ liệu cá nhân) ------------------------------------------------------------

class StoreDocumentOut(Schema):
    id: int
    title: str = Field(description="Tên giấy tờ (thành phần hồ sơ hoặc kết quả giải quyết)")
    kind: str = Field(description="digitised (giấy tờ đã số hóa) hoặc result (kết quả giải quyết điện tử)")
    kind_label: str
    file_name: str
    content_type: str
    size: int
    sha256: str
    component_id: int | None
    component_name: str
    procedure_code: str
    procedure_name: str
    source_dossier_code: str
    issued_on: date | None
    valid_until: date | None
    created_at: datetime
    download_url: str


def _document(document: PersonalDocument) -> dict:
    return {
        "id": document.pk, "title": document.title, "kind": document.kind, "kind_label": document.get_kind_display(),
        "file_name": document.name, "content_type": document.content_type, "size": document.size,
        "sha256": document.sha256, "component_id": document.component_id, "component_name": document.component_name,
        "procedure_code": document.procedure_code, "procedure_name": document.procedure_name,
        "source_dossier_code": document.source_dossier_code, "issued_on": document.issued_on,
        "valid_until": document.valid_until, "created_at": document.created_at,
        "download_url": reverse("onestop:citizen-store-download", args=[document.pk]),
    }


@router.get("/me/store", response=list[StoreDocumentOut], auth=django_auth,
            summary="Kho giấy tờ của tôi: giấy tờ đã số hóa và kết quả điện tử, mới nhất trước",
            description="q: tìm theo tên giấy tờ, thủ tục, mã hồ sơ (không phân biệt dấu, hoa thường); "
                        "kind: digitised hoặc result.")
@paginate(LimitOffsetPagination)
def my_store(request: HttpRequest, q: str = "", kind: str = ""):
    return [_document(d) for d in queries.my_store(request.auth, q=q[:100], kind=kind)]


class FromStoreIn(Schema):
    document_id: int = Field(description="id của giấy tờ trong kho của tôi (GET /api/me/store)")


@router.post("/me/dossiers/{dossier_id}/items/{item_id}/from-store",
             response={201: ItemOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}, auth=django_auth,
             summary="Dùng một giấy tờ trong kho cho một thành phần của hồ sơ nháp (không tải lên lại)",
             description="Lỗi: document_not_found (404), forbidden (403, giấy tờ của người khác), dossier_submitted, "
                         "already_attached (409), too_many_files, document_file_missing (400).")
def attach_from_store(request: HttpRequest, dossier_id: int, item_id: int, data: FromStoreIn):
    dossier = queries.dossier_for_applicant(request.auth, dossier_id)
    item = next((i for i in dossier.items.all() if i.pk == item_id), None)
    if item is None:
        raise NotFound("item_not_found", "Không tìm thấy thành phần hồ sơ.")
    services.attach_from_store(request.auth, dossier, item, data.document_id)
    item.refresh_from_db()
    files = list(item.attachments.filter(kind=Attachment.Kind.INPUT).order_by("uploaded_at", "id"))
    return Status(201, _item(dossier, item, files))


@router.delete("/me/store/{document_id}", response={204: None, 403: ErrorOut, 404: ErrorOut}, auth=django_auth,
               summary="Xóa (ẩn) một giấy tờ khỏi kho của tôi; các hồ sơ đã dùng giấy tờ này không bị ảnh hưởng")
def hide_store_document(request: HttpRequest, document_id: int):
    services.hide_store_document(request.auth, document_id)
    return Status(204, None)
