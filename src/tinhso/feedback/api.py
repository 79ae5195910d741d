"""Ratings and petitions (``/api/feedback``).

Public: rate a dossier with its code and lookup secret, send a petition, follow it with its code and secret, add the
requested information, read the published answers, like / dislike one. Signed in (session, CSRF-checked): rate my
dossier, send a petition from my account, vote. Staff (session, CSRF-checked): the work list, one petition, actions.
Every refusal is ``{code, message, field}`` with a stable ``code``: ``already_rated`` / ``already_voted`` /
``duplicate_petition`` / ``illegal_transition`` (409), ``forbidden`` (403), ``dossier_not_found`` /
``petition_not_found`` (404), ``text_required``, ``value_required``, ``secret_required``… (400), ``rate_limited`` (429).
"""

from datetime import datetime

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.security import SessionAuth, django_auth

from tinhso.core.api import ErrorOut
from tinhso.core.errors import DomainError, Forbidden, NotFound
from tinhso.core.middleware import client_ip
from tinhso.core.models import Agency
from tinhso.onestop import queries_public as onestop_public

from . import queries, services
from .models import Petition, Rating

router = Router(tags=["Đánh giá, phản ánh, kiến nghị"])
ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 429: ErrorOut}


class NotAuthenticated(DomainError):
    status = 401


class StaffSession(SessionAuth):
    """Session authentication (CSRF-checked) for staff accounts, with the API's error format."""

    def _get_key(self, request: HttpRequest):
        try:
            return super()._get_key(request)
        except HttpError as exc:
            raise Forbidden("Thiếu hoặc sai mã CSRF; hãy tải lại trang rồi thử lại.", code="csrf_failed") from exc

    def authenticate(self, request: HttpRequest, key):
        if not request.user.is_authenticated:
            raise NotAuthenticated("not_authenticated", "Hãy đăng nhập.")
        if not queries.is_staff(request.user):
            raise Forbidden("Chức năng này dành cho cán bộ, công chức.", code="staff_only")
        return request.user


# --- ratings --------------------------------------------------------------------------------------------------------

class RatingIn(Schema):
    value: str = Field(description="satisfied (hài lòng), neutral (bình thường), dissatisfied (không hài lòng)")
    comment: str = Field("", max_length=1000)


class RatingLookupIn(RatingIn):
    code: str = Field(max_length=40, description="Mã hồ sơ")
    secret: str = Field(max_length=20, description="Mã tra cứu 6 ký tự in trên giấy tiếp nhận")


class RatingOut(Schema):
    dossier_code: str | None
    value: str
    value_label: str
    comment: str
    channel: str
    at: datetime


def _rating_out(rating: Rating) -> dict:
    return {"dossier_code": rating.dossier.code, "value": rating.value, "value_label": rating.get_value_display(),
            "comment": rating.comment, "channel": rating.channel, "at": rating.at}


def _limit(request: HttpRequest) -> None:
    onestop_public.check_lookup_rate(client_ip(request))


@router.post("/ratings", response={201: RatingOut, **ERRORS},
             summary="Đánh giá một hồ sơ bằng mã hồ sơ và mã tra cứu (mỗi hồ sơ một lần)")
def rate_by_lookup(request: HttpRequest, data: RatingLookupIn):
    _limit(request)
    rating = services.rate_by_lookup(data.code, data.secret, data.value, data.comment)
    return 201, _rating_out(rating)


@router.post("/me/dossiers/{dossier_id}/rating", response={201: RatingOut, 401: ErrorOut, **ERRORS},
             auth=django_auth, summary="Đánh giá hồ sơ của tôi (người nộp đã đăng nhập)")
def rate_mine(request: HttpRequest, dossier_id: int, data: RatingIn):
    return 201, _rating_out(services.rate_as_applicant(request.auth, dossier_id, data.value, data.comment))


@router.get("/me/dossiers/{dossier_id}/rating", response={200: RatingOut, 404: ErrorOut}, auth=django_auth,
            summary="Đánh giá đã gửi cho hồ sơ của tôi")
def my_rating(request: HttpRequest, dossier_id: int):
    rating = Rating.objects.select_related("dossier").filter(dossier_id=dossier_id,
                                                             dossier__applicant=request.auth).first()
    if rating is None:
        raise NotFound("not_rated", "Hồ sơ chưa được đánh giá.")
    return _rating_out(rating)


# --- petitions: the public ------------------------------------------------------------------------------------------

class PetitionIn(Schema):
    text: str = Field(max_length=5000, description="Nội dung (bắt buộc)")
    about: str = Field("procedure", description="procedure (về quy định, TTHC) hoặc staff (về hành vi CBCC)")
    subject: str = Field("", max_length=200)
    procedure_code: str = Field("", max_length=20, description="Mã thủ tục, ví dụ 1.001193")
    dossier_code: str = Field("", max_length=40)
    dossier_secret: str = Field("", max_length=20, description="Mã tra cứu của hồ sơ (khi gửi không đăng nhập)")
    agency_code: str = Field("", max_length=13, description="Cơ quan bị phản ánh (bắt buộc khi about=staff)")
    staff_name: str = Field("", max_length=200)
    client_token: str = Field("", max_length=64, description="Gửi lại cùng mã không tạo phản ánh thứ hai")


class AnonymousPetitionIn(PetitionIn):
    name: str = Field(max_length=200)
    phone: str = Field("", max_length=20)
    email: str = Field("", max_length=254)


class DeadlinesOut(Schema):
    refuse_due_at: datetime
    supplement_due_at: datetime
    answer_due_at: datetime
    publish_due_at: datetime | None


class PetitionCreatedOut(Schema):
    code: str
    secret: str = Field(description="Mã tra cứu: cùng mã phản ánh để theo dõi")
    state: str
    received_at: datetime
    deadlines: DeadlinesOut
    repeat_of: str | None = Field(description="Mã phản ánh trước của cùng người gửi, cùng nội dung")


class EventOut(Schema):
    at: datetime
    action: str
    label: str
    note: str


class PetitionStatusOut(Schema):
    code: str
    subject: str
    text: str
    state: str
    state_label: str
    classification: str
    field: str
    received_at: datetime
    agency: str | None
    deadlines: DeadlinesOut
    supplement_request: str
    refusal_reason: str
    answer: str
    answered_at: datetime | None
    published_at: datetime | None
    likes: int
    dislikes: int
    events: list[EventOut]


def _deadlines(p: Petition) -> dict:
    return {"refuse_due_at": p.refuse_due_at, "supplement_due_at": p.supplement_due_at,
            "answer_due_at": p.answer_due_at, "publish_due_at": p.publish_due_at}


def _created(p: Petition) -> dict:
    return {"code": p.code, "secret": p.secret, "state": p.state, "received_at": p.received_at,
            "deadlines": _deadlines(p), "repeat_of": p.repeat_of.code if p.repeat_of_id else None}


def _status(p: Petition) -> dict:
    return {"code": p.code, "subject": p.subject, "text": p.text, "state": p.state,
            "state_label": p.get_state_display(), "classification": p.classification, "field": p.field,
            "received_at": p.received_at, "agency": p.agency.name if p.agency_id else None,
            "deadlines": _deadlines(p), "supplement_request": p.supplement_request if p.state == "supplement" else "",
            "refusal_reason": p.refusal_reason, "answer": p.answer, "answered_at": p.answered_at,
            "published_at": p.published_at, "likes": getattr(p, "likes", 0), "dislikes": getattr(p, "dislikes", 0),
            "events": [{"at": e["at"], "action": e["action"], "label": e["label"], "note": e["note"]}
                       for e in queries.history(p, for_sender=True)]}


@router.post("/petitions", response={201: PetitionCreatedOut, 200: PetitionCreatedOut, **ERRORS},
             summary="Gửi phản ánh, kiến nghị (không đăng nhập: họ tên và điện thoại hoặc thư điện tử)")
def submit_petition(request: HttpRequest, data: AnonymousPetitionIn):
    before = Petition.objects.filter(client_token=data.client_token).exists() if data.client_token else False
    petition = services.submit_petition(None, services.PetitionInput(**data.dict()))
    return (200 if before else 201), _created(petition)


@router.post("/me/petitions", response={201: PetitionCreatedOut, 200: PetitionCreatedOut, 401: ErrorOut, **ERRORS},
             auth=django_auth, summary="Gửi phản ánh, kiến nghị bằng tài khoản đã đăng nhập")
def submit_my_petition(request: HttpRequest, data: PetitionIn):
    before = Petition.objects.filter(client_token=data.client_token).exists() if data.client_token else False
    petition = services.submit_petition(request.auth, services.PetitionInput(**data.dict()))
    return (200 if before else 201), _created(petition)


@router.get("/petitions/status", response={200: PetitionStatusOut, 404: ErrorOut, 429: ErrorOut},
            summary="Tình trạng một phản ánh: mã phản ánh và mã tra cứu")
def petition_status(request: HttpRequest, code: str, secret: str):
    _limit(request)
    return _status(queries.for_sender(code[:20], secret[:20]))


class SupplementIn(Schema):
    code: str = Field(max_length=20)
    secret: str = Field(max_length=20)
    info: str = Field(max_length=3000)


@router.post("/petitions/supplement", response={200: PetitionStatusOut, **ERRORS},
             summary="Người gửi bổ sung thông tin được yêu cầu")
def petition_supplement(request: HttpRequest, data: SupplementIn):
    _limit(request)
    petition = queries.for_sender(data.code, data.secret)
    services.provide_supplement(petition, data.info, secret=data.secret)
    return _status(queries.for_sender(data.code, data.secret))


class PublishedOut(Schema):
    code: str
    subject: str
    text: str
    sender: str = Field(description="Tên người gửi đã che bớt")
    classification: str
    field: str
    procedure_code: str | None
    agency: str
    received_at: datetime
    answer: str
    answered_at: datetime
    published_at: datetime
    likes: int
    dislikes: int


def _published(p: Petition) -> dict:
    return {"code": p.code, "subject": p.subject, "text": p.text, "sender": queries.mask_name(p.submitter_name),
            "classification": p.classification, "field": p.field,
            "procedure_code": p.procedure.code if p.procedure_id else None,
            "agency": p.agency.name if p.agency_id else "", "received_at": p.received_at, "answer": p.answer,
            "answered_at": p.answered_at, "published_at": p.published_at, "likes": p.likes, "dislikes": p.dislikes}


@router.get("/petitions/published", response=list[PublishedOut],
            summary="Câu trả lời đã công khai; q: từ khóa (không phân biệt dấu, hoa thường)")
@paginate(LimitOffsetPagination)
def published_list(request: HttpRequest, q: str = ""):
    return [_published(p) for p in queries.published(q[:200])]


@router.get("/petitions/published/{code}", response={200: PublishedOut, 404: ErrorOut},
            summary="Một câu trả lời đã công khai")
def published_one(request: HttpRequest, code: str):
    return _published(queries.published_one(code))


class VoteIn(Schema):
    value: str = Field(description="like hoặc dislike")
    secret: str = Field("", max_length=20, description="Mã tra cứu của phản ánh (người gửi không đăng nhập)")


class VoteOut(Schema):
    code: str
    value: str
    likes: int
    dislikes: int


def _vote(code: str, value: str, actor=None, secret: str = "") -> dict:
    petition = Petition.objects.filter(code=code.strip().upper()).first()
    if petition is None:
        raise NotFound("petition_not_found", "Không tìm thấy phản ánh, kiến nghị.")
    ballot = services.vote(petition, value, actor=actor, secret=secret)
    counted = queries.published_one(petition.code)
    return {"code": petition.code, "value": ballot.value, "likes": counted.likes, "dislikes": counted.dislikes}


@router.post("/petitions/published/{code}/vote", response={201: VoteOut, **ERRORS},
             summary="Người gửi (bằng mã tra cứu) cho biết có hài lòng với câu trả lời")
def vote_with_secret(request: HttpRequest, code: str, data: VoteIn):
    _limit(request)
    return 201, _vote(code, data.value, secret=data.secret)


@router.post("/me/petitions/{code}/vote", response={201: VoteOut, 401: ErrorOut, **ERRORS}, auth=django_auth,
             summary="Người dân đã đăng nhập cho biết có hài lòng với câu trả lời (mỗi tài khoản một lần)")
def vote_mine(request: HttpRequest, code: str, data: VoteIn):
    return 201, _vote(code, data.value, actor=request.auth)


# --- petitions: staff -----------------------------------------------------------------------------------------------

class StaffRowOut(Schema):
    id: int
    code: str
    subject: str
    state: str
    state_label: str
    classification: str
    procedure_code: str | None
    receiving_agency: str
    agency: str | None
    received_at: datetime
    next_due_at: datetime | None
    overdue: bool
    repeat_of: str | None


class StaffPetitionOut(StaffRowOut):
    text: str
    about: str
    field: str
    staff_name: str
    concerned_agency: str | None
    dossier_code: str | None
    submitter_name: str
    submitter_phone: str
    submitter_email: str
    refuse_due_at: datetime
    supplement_due_at: datetime
    answer_due_at: datetime
    publish_due_at: datetime | None
    refused_on_time: bool | None
    supplement_on_time: bool | None
    answered_on_time: bool | None
    published_on_time: bool | None
    answer: str
    likes: int
    dislikes: int
    repeats: list[str]
    actions: list[str] = Field(description="Thao tác người gọi được làm: refuse, supplement, classify, assign, "
                                           "answer, publish")


def _row(p: Petition, now: datetime) -> dict:
    return {"id": p.pk, "code": p.code, "subject": p.subject, "state": p.state,
            "state_label": p.get_state_display(), "classification": p.classification,
            "procedure_code": p.procedure.code if p.procedure_id else None,
            "receiving_agency": p.receiving_agency.name, "agency": p.agency.name if p.agency_id else None,
            "received_at": p.received_at, "next_due_at": p.next_due_at,
            "overdue": bool(p.next_due_at and p.next_due_at < now),
            "repeat_of": p.repeat_of.code if p.repeat_of_id else None}


def _staff_detail(request: HttpRequest, pk: int) -> dict:
    p = queries.petition_for_staff(request.auth, pk)
    return {**_row(p, timezone.now()), "text": p.text, "about": p.about, "field": p.field, "staff_name": p.staff_name,
            "concerned_agency": p.concerned_agency.name if p.concerned_agency_id else None,
            "dossier_code": p.dossier.code if p.dossier_id else None, "submitter_name": p.submitter_name,
            "submitter_phone": p.submitter_phone, "submitter_email": p.submitter_email, **_deadlines(p),
            "refused_on_time": p.refused_on_time, "supplement_on_time": p.supplement_on_time,
            "answered_on_time": p.answered_on_time, "published_on_time": p.published_on_time, "answer": p.answer,
            "likes": p.likes, "dislikes": p.dislikes, "repeats": [r.code for r in queries.repeats_of(p)],
            "actions": sorted(queries.allowed_actions(request.auth, p))}


@router.get("/staff/petitions", response=list[StaffRowOut], auth=StaffSession(),
            summary="Phản ánh của cơ quan mình: hạn gần nhất, quá hạn lên trước. box: mo, qua-han, cho-cong-khai, "
                    "cho-bo-sung, da-xong, tat-ca")
@paginate(LimitOffsetPagination)
def staff_list(request: HttpRequest, box: str = "mo", q: str = ""):
    now = timezone.now()
    return [_row(p, now) for p in queries.inbox(request.auth, box, q[:200], now)]


@router.get("/staff/petitions/{petition_id}", response={200: StaffPetitionOut, 404: ErrorOut},
            auth=StaffSession(), summary="Một phản ánh (cán bộ)")
def staff_detail(request: HttpRequest, petition_id: int):
    return _staff_detail(request, petition_id)


class StaffActionIn(Schema):
    reason: str = Field("", max_length=2000, description="refuse: lý do")
    request: str = Field("", max_length=2000, description="supplement: thông tin cần bổ sung")
    classification: str = Field("", description="classify: tthc hoặc staff")
    field: str = Field("", max_length=200, description="classify: lĩnh vực")
    agency: str = Field("", max_length=13, description="assign: mã định danh cơ quan có thẩm quyền")
    note: str = Field("", max_length=2000, description="assign: ghi chú")
    answer: str = Field("", max_length=5000, description="answer: nội dung trả lời")


@router.post("/staff/petitions/{petition_id}/{action}", response={200: StaffPetitionOut, 401: ErrorOut, **ERRORS},
             auth=StaffSession(), summary="Thao tác: refuse, supplement, classify, assign, answer, publish")
def staff_action(request: HttpRequest, petition_id: int, action: str, data: StaffActionIn):
    petition = queries.petition_for_staff(request.auth, petition_id)
    user = request.auth
    if action == "refuse":
        services.refuse_petition(user, petition, data.reason)
    elif action == "supplement":
        services.request_supplement(user, petition, data.request)
    elif action == "classify":
        services.classify_petition(user, petition, data.classification, data.field)
    elif action == "assign":
        services.assign_petition(user, petition, Agency.objects.filter(code=data.agency, is_active=True).first(),
                                 data.note)
    elif action == "answer":
        services.answer_petition(user, petition, data.answer)
    elif action == "publish":
        services.publish_petition(user, petition)
    else:
        raise NotFound("unknown_action", "Không có thao tác này.")
    return _staff_detail(request, petition_id)
