"""Platform API: administrative units, agencies, the working calendar; and the API-wide error format."""

from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, NinjaAPI, Router, Schema
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import LimitOffsetPagination, paginate

from . import queries
from .calendars import calendar_for
from .errors import DomainError, NotFound
from .models import Agency

router = Router()


class ErrorOut(Schema):
    code: str = Field(description="Mã lỗi ổn định, dùng cho máy")
    message: str = Field(description="Thông báo cho người dùng, tiếng Việt")
    field: str | None = None


def install_error_handlers(api: NinjaAPI) -> None:
    """Every refusal is JSON ``{code, message, field}`` with a stable ``code``; never a 500 for bad input."""

    @api.exception_handler(DomainError)
    def domain_error(request, exc: DomainError):
        return api.create_response(request, {"code": exc.code, "message": exc.message, "field": exc.field},
                                   status=exc.status)

    @api.exception_handler(OverflowError)
    def number_too_large(request, exc: OverflowError):
        # SQLite stores 64-bit integers: a larger id or page number in the request cannot name anything.
        return api.create_response(request, {"code": "value_out_of_range",
                                             "message": "Giá trị số gửi lên quá lớn.", "field": None}, status=400)

    @api.exception_handler(NinjaValidationError)
    def validation_error(request, exc: NinjaValidationError):
        first = exc.errors[0] if exc.errors else {}
        loc = [str(part) for part in first.get("loc", []) if part not in ("query", "body", "path")]
        return api.create_response(
            request,
            {"code": "invalid_input", "message": "Dữ liệu gửi lên không hợp lệ: " + first.get("msg", ""),
             "field": ".".join(loc) or None, "details": exc.errors},
            status=422,
        )


class UnitOut(Schema):
    code: str
    name: str
    division_type: str
    level: str
    parent_code: str | None
    parent_name: str | None
    valid_from: date | None
    valid_to: date | None


def unit_out(u) -> UnitOut:
    return UnitOut(code=u.code, name=u.name, division_type=u.division_type, level=u.level,
                   parent_code=u.parent.code if u.parent_id else None,
                   parent_name=u.parent.name if u.parent_id else None, valid_from=u.valid_from, valid_to=u.valid_to)


@router.get("/units", response=list[UnitOut], tags=["Đơn vị hành chính"], summary="Tìm đơn vị hành chính")
@paginate(LimitOffsetPagination)
def list_units(request: HttpRequest, q: str = "", level: str | None = None, province: str | None = None,
               on: date | None = None):
    return [unit_out(u) for u in queries.search_units(q[:100], on=on, level=level, province=province)]


class ResolveOut(Schema):
    written: UnitOut
    current: list[UnitOut]


@router.get("/units/resolve", response=ResolveOut, tags=["Đơn vị hành chính"],
            summary="Đơn vị hiện nay của một mã xã ghi tại một ngày trước đây")
def resolve_unit(request: HttpRequest, code: str, written_on: date, level: str = "commune"):
    unit = queries.find_unit(code, level=level, on=written_on)
    if unit is None:
        raise NotFound("unit_not_found",
                       f"Không có đơn vị hành chính mã {code} còn hiệu lực vào ngày {written_on:%d/%m/%Y}.")
    current = queries.current_successors(unit)
    if not current:
        raise NotFound("unit_not_mapped",
                       f"{unit.name} (mã {unit.code}) không có trong bảng chuyển đổi đơn vị hành chính; "
                       "hãy chọn xã/phường hiện nay.")
    return ResolveOut(written=unit_out(unit), current=[unit_out(u) for u in current])


class AgencyOut(Schema):
    code: str
    name: str
    short_name: str
    kind: str
    kind_label: str
    parent_code: str | None
    unit_code: str | None
    address: str
    phone: str
    email: str
    office_hours: str


@router.get("/agencies", response=list[AgencyOut], tags=["Cơ quan"], summary="Danh sách cơ quan, đơn vị")
@paginate(LimitOffsetPagination)
def list_agencies(request: HttpRequest, q: str = "", kind: str | None = None):
    return [
        AgencyOut(code=a.code, name=a.name, short_name=a.short_name, kind=a.kind, kind_label=a.get_kind_display(),
                  parent_code=a.parent.code if a.parent_id else None, unit_code=a.unit.code if a.unit_id else None,
                  address=a.address, phone=a.phone, email=a.email, office_hours=a.office_hours_text)
        for a in queries.agencies(q[:100], kind=kind)
    ]


class DeadlineOut(Schema):
    start: datetime
    due: datetime
    mode: str
    unit: str
    amount: float
    remaining: str


@router.get("/calendar/deadline", response=DeadlineOut, tags=["Lịch làm việc"],
            summary="Tính hạn giải quyết theo lịch làm việc")
def deadline(request: HttpRequest, start: datetime, amount: Decimal, unit: str = "working_day", mode: str = "hours",
             agency: str | None = None):
    if amount < 0:
        raise DomainError("negative_amount", "Thời hạn không được âm.", field="amount")
    if unit not in ("working_day", "working_hour", "day"):
        raise DomainError("invalid_unit", "Đơn vị phải là working_day, working_hour hoặc day.", field="unit")
    if mode not in ("hours", "days"):
        raise DomainError("invalid_mode", "Cách tính phải là hours hoặc days.", field="mode")
    agency_obj = None
    if agency:
        agency_obj = Agency.objects.filter(code=agency).first()
        if agency_obj is None:
            raise NotFound("agency_not_found", f"Không có cơ quan mã {agency}.")
    cal = calendar_for(agency_obj)
    due = cal.due(start, amount, unit, mode=mode)
    return DeadlineOut(start=start, due=due, mode=mode, unit=unit, amount=float(amount),
                       remaining=str(cal.remaining(timezone.now(), due)))
