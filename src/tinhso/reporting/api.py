"""Statistics API (``/api/reporting``): the public statistics (no sign-in), the QĐ 766 scoreboard with its
drill-down and the leaders' dashboard (session of a leader, head or administrator; CSRF-checked).

Periods: ``period`` = month / quarter / year with ``year`` and ``month`` or ``quarter``; or ``start`` and ``end``
dates (yyyy-mm-dd). Scope: ``agency`` (identifier code, with its sub-agencies), ``commune`` (statistics office code of
the applicant's commune) and/or ``procedure`` (procedure code); none = the province. Refusals are ``{code, message,
field}``: ``invalid_period`` / ``invalid_date`` / ``unknown_agency`` / ``unknown_commune`` / ``unknown_procedure`` /
``scope_unsupported`` / ``unknown_indicator`` / ``no_drilldown`` (4xx), ``not_authenticated`` (401),
``scoreboard_forbidden`` / ``scope_forbidden`` (403).
"""

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.security import SessionAuth

from tinhso.core.api import ErrorOut
from tinhso.core.errors import DomainError, Forbidden

from . import queries, services


class NotAuthenticated(DomainError):
    status = 401


class LeaderSession(SessionAuth):
    """Django session of a leader, head or administrator, with the API's error format."""

    def _get_key(self, request: HttpRequest):
        try:
            return super()._get_key(request)
        except HttpError as exc:
            raise Forbidden("Thiếu hoặc sai mã CSRF; hãy tải lại trang rồi thử lại.", code="csrf_failed") from exc

    def authenticate(self, request: HttpRequest, key):
        if not request.user.is_authenticated:
            raise NotAuthenticated("not_authenticated", "Hãy đăng nhập.")
        request.scoreboard_viewer = queries.require_viewer(request.user)
        return request.user


router = Router(tags=["Thống kê, chỉ số QĐ 766"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


class PeriodOut(Schema):
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    label: str


class StatOut(Schema):
    code: str | None = Field(None, description="Mã định danh cơ quan, mã xã, mã thủ tục hoặc tháng")
    name: str
    received: int = Field(description="Hồ sơ tiếp nhận trong kỳ")
    on_time: int = Field(description="Đúng hạn, trong hạn (đã kết thúc đúng hạn, hoặc chưa đến hạn ở cuối kỳ)")
    late: int
    in_progress: int
    on_time_rate: str | None = Field(description="Phần trăm, 2 chữ số thập phân; null nếu không có hồ sơ")
    online: int
    online_rate: str | None
    with_fee: int
    paid_online: int
    paid_online_rate: str | None
    rated: int | None = Field(description="null: nền tảng chưa ghi nhận đánh giá")
    satisfaction_rate: str | None


class PublicOut(Schema):
    period: PeriodOut
    province: StatOut
    agencies: list[StatOut]
    communes: list[StatOut]


def _period(period, year, month, quarter, start, end) -> queries.Period:
    number = month if (period or "").lower() in ("month", "thang") else quarter
    return queries.parse_period(period, year, number, start.isoformat() if start else None,
                                end.isoformat() if end else None)


def _period_out(p: queries.Period) -> dict:
    return {"from": p.start, "to": p.end, "label": p.label}


@router.get("/public", response={200: PublicOut, **ERRORS}, by_alias=True,
            summary="Thống kê công khai theo cơ quan và theo xã, phường (không cần đăng nhập)")
def public(request: HttpRequest, period: str | None = None, year: int | None = None, month: int | None = None,
           quarter: int | None = None, start: date | None = None, end: date | None = None):
    p = _period(period, year, month, quarter, start, end)
    services.refresh_if_stale()
    stats = queries.public_statistics(p, cached=True)
    ratings = stats["ratings"]
    return {"period": _period_out(p), "province": stats["province"].as_dict(ratings),
            "agencies": [r.as_dict(ratings) for r in stats["agencies"]],
            "communes": [r.as_dict(ratings) for r in stats["communes"]]}


class IndicatorOut(Schema):
    id: str = Field(description="Mã chỉ tiêu của Cổng DVCQG, hoặc số công thức khi không có mã (qd766-metrics.json)")
    code: str | None
    formula_id: str | None
    name: str
    unit: str
    value: str | None = Field(description="Giá trị (phần trăm; 2.2: ngày làm việc); null = không có dữ liệu")
    points: str | None
    max: str | None = Field(description="Điểm tối đa; null = chỉ theo dõi")
    threshold_percent: str | None
    numerator: int | None
    denominator: int | None
    available: bool
    missing: str | None = Field(description="Vì sao không có dữ liệu")
    confirmed: bool = Field(description="false: công thức chưa xác nhận, là tham số")
    rule_from: date
    source: str = Field(description="facts, catalog, mixed, feedback hoặc none (nền tảng không biết)")
    formula: str
    note: str | None
    drilldown: bool


class GroupOut(Schema):
    number: int
    name: str
    points: str
    max: str
    indicators: list[IndicatorOut]


class ScopeOut(Schema):
    label: str
    agency: str | None
    commune: str | None
    procedure: str | None


class ScoreboardOut(Schema):
    scope: ScopeOut
    period: PeriodOut
    points: str
    max_with_data: str
    max: str
    refreshed_at: datetime | None
    groups: list[GroupOut]


def _scope(request, agency, commune, procedure) -> queries.Scope:
    viewer = request.scoreboard_viewer
    if not (agency or commune or procedure) and not viewer.province:
        return viewer.default_scope()
    scope = queries.make_scope(agency, commune, procedure)
    if scope.agency is None and scope.commune is None and not viewer.province:
        top = viewer.default_scope()
        scope = queries.Scope(top.agency, None, scope.procedure, top.agency_ids)
    queries.check_scope(viewer, scope)
    return scope


@router.get("/scoreboard", response={200: ScoreboardOut, **ERRORS}, by_alias=True, auth=LeaderSession(),
            summary="Bảng chỉ số QĐ 766 của một kỳ và một phạm vi (tỉnh, cơ quan, xã, thủ tục)")
def scoreboard(request: HttpRequest, period: str | None = None, year: int | None = None, month: int | None = None,
               quarter: int | None = None, start: date | None = None, end: date | None = None,
               agency: str | None = None, commune: str | None = None, procedure: str | None = None):
    p = _period(period, year, month, quarter, start, end)
    scope = _scope(request, agency, commune, procedure)
    services.refresh_if_stale()
    out = queries.scoreboard(scope, p).as_dict()
    out["period"] = _period_out(p)
    return out


class DrillDossierOut(Schema):
    id: int
    code: str
    procedure: str
    agency: str
    received_at: datetime
    due_at: datetime | None = Field(description="Hẹn trả ban đầu cộng thời gian tạm dừng")
    end_at: datetime | None
    status: str
    reasons: list[str]


class DrillProcedureOut(Schema):
    code: str
    name: str
    reasons: list[str]


class DrillOut(Schema):
    indicator: str
    kind: str = Field(description="dossiers hoặc procedures")
    count: int
    page: int
    pages: int
    dossiers: list[DrillDossierOut]
    procedures: list[DrillProcedureOut]


@router.get("/scoreboard/{indicator}/items", response={200: DrillOut, **ERRORS}, auth=LeaderSession(),
            summary="Hồ sơ (hoặc thủ tục) bị trừ điểm của một chỉ tiêu, trong phạm vi cơ quan của người xem")
def drilldown(request: HttpRequest, indicator: str, period: str | None = None, year: int | None = None,
              month: int | None = None, quarter: int | None = None, start: date | None = None,
              end: date | None = None, agency: str | None = None, commune: str | None = None,
              procedure: str | None = None, page: int = 1):
    p = _period(period, year, month, quarter, start, end)
    scope = _scope(request, agency, commune, procedure)
    services.refresh_if_stale()
    kind, current = queries.drilldown(request.scoreboard_viewer, indicator, scope, p, page=page)
    rows = list(current.object_list)
    return {
        "indicator": indicator, "kind": kind, "count": current.paginator.count, "page": current.number,
        "pages": current.paginator.num_pages,
        "dossiers": [{"id": r.dossier_id, "code": r.code, "procedure": r.procedure, "agency": r.agency,
                      "received_at": r.received_at, "due_at": r.due, "end_at": r.end, "status": r.status,
                      "reasons": r.reasons} for r in rows] if kind == "dossiers" else [],
        "procedures": [{"code": r.code, "name": r.name, "reasons": r.reasons} for r in rows]
        if kind == "procedures" else [],
    }


class DashboardOut(Schema):
    scope: ScopeOut
    period: PeriodOut
    total: StatOut
    trend: list[StatOut] = Field(description="Một dòng mỗi tháng; code = ngày đầu tháng")
    worst_procedures: list[StatOut]
    worst_agencies: list[StatOut]


@router.get("/dashboard", response={200: DashboardOut, **ERRORS}, by_alias=True, auth=LeaderSession(),
            summary="Trang điều hành: xu hướng theo tháng, thủ tục và cơ quan có tỷ lệ đúng hạn thấp nhất")
def dashboard(request: HttpRequest, period: str | None = None, year: int | None = None, month: int | None = None,
              quarter: int | None = None, start: date | None = None, end: date | None = None,
              agency: str | None = None, commune: str | None = None, procedure: str | None = None):
    p = _period(period, year, month, quarter, start, end)
    scope = _scope(request, agency, commune, procedure)
    services.refresh_if_stale()
    data = queries.dashboard(scope, p)
    ratings = data["ratings"]
    return {"scope": scope.as_dict(), "period": _period_out(p), "total": data["total"].as_dict(ratings),
            "trend": [r.as_dict(ratings) for r in data["trend"]],
            "worst_procedures": [r.as_dict(ratings) for r in data["worst_procedures"]],
            "worst_agencies": [r.as_dict(ratings) for r in data["worst_agencies"]]}
