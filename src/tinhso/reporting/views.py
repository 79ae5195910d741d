"""Pages of the statistics: the public statistics (no sign-in) with downloads, the QĐ 766 scoreboard with its
drill-down and the leaders' dashboard (leaders and heads of agencies; province leaders see the whole province).

Thin: read the pickers, call ``queries``, render. Bad input shows its Vietnamese message on the page and the default
period or scope instead, never an error page. Figures are brought up to date cheaply before serving
(``services.refresh_if_stale``).
"""

import csv
import json
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from tinhso.core.errors import DomainError

from . import charts, indicators, queries, services

MONTHS = [(m, f"Tháng {m}") for m in range(1, 13)]
QUARTERS = [(q, f"Quý {queries.ROMAN[q]}") for q in range(1, 5)]
KINDS = [("thang", "Tháng"), ("quy", "Quý"), ("nam", "Năm")]


def _period(request, errors: list[str]) -> queries.Period:
    g = request.GET
    try:
        return queries.parse_period(g.get("ky"), g.get("nam"), g.get("thang") if g.get("ky") == "thang" else
                                    g.get("quy"), g.get("tu_ngay"), g.get("den_ngay"))
    except DomainError as exc:
        errors.append(exc.message)
        return queries.parse_period()


def _period_context(request, period: queries.Period) -> dict:
    today = timezone.localdate()
    return {
        "period": period, "kinds": KINDS, "months": MONTHS, "quarters": QUARTERS,
        "years": list(range(today.year, today.year - 6, -1)),
        "picked": {"ky": {"month": "thang", "quarter": "quy"}.get(period.kind, "nam"), "nam": period.year or today.year,
                   "thang": period.number if period.kind == "month" else today.month,
                   "quy": period.number if period.kind == "quarter" else (today.month - 1) // 3 + 1,
                   "tu_ngay": request.GET.get("tu_ngay", ""), "den_ngay": request.GET.get("den_ngay", "")},
    }


def _query(period: queries.Period, scope: queries.Scope | None = None, **extra) -> str:
    params = {**period.query(), **(scope.query() if scope else {}), **extra}
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


# --- public statistics --------------------------------------------------------------------------------------------

@require_GET
def public(request):
    errors: list[str] = []
    period = _period(request, errors)
    fresh = services.refresh_if_stale()
    stats = queries.public_statistics(period, cached=True)
    agencies, communes = stats["agencies"], stats["communes"]
    context = {
        **_period_context(request, period), "errors": errors, "fresh": fresh, "stats": stats,
        "query": _query(period),
        "chart_agency_rate": charts.bar_chart(
            _("Tỷ lệ hồ sơ đúng hạn, trong hạn theo cơ quan — %(p)s") % {"p": period.label},
            [(r.name, r.on_time_rate) for r in agencies], maximum=100, color=charts.GREEN),
        "chart_agency_counts": charts.stacked_chart(
            _("Số hồ sơ đúng hạn và quá hạn theo cơ quan — %(p)s") % {"p": period.label},
            [(r.name, r.on_time, r.late) for r in agencies]),
        "chart_commune_received": charts.bar_chart(
            _("Số hồ sơ tiếp nhận theo xã, phường — %(p)s") % {"p": period.label},
            [(r.name, r.received) for r in communes], unit=""),
        "chart_online": charts.bar_chart(
            _("Tỷ lệ hồ sơ nộp trực tuyến theo cơ quan — %(p)s") % {"p": period.label},
            [(r.name, r.online_rate) for r in agencies], maximum=100),
    }
    return render(request, "reporting/public.html", context)


COLUMNS = [
    ("scope", "Phạm vi"), ("code", "Mã"), ("name", "Tên"), ("received", "Hồ sơ tiếp nhận"),
    ("on_time", "Đúng hạn, trong hạn"), ("late", "Quá hạn"), ("in_progress", "Đang giải quyết"),
    ("on_time_rate", "Tỷ lệ đúng hạn (%)"), ("online", "Nộp trực tuyến"), ("online_rate", "Tỷ lệ trực tuyến (%)"),
    ("with_fee", "Hồ sơ có phí, lệ phí"), ("paid_online", "Thanh toán trực tuyến"),
    ("paid_online_rate", "Tỷ lệ thanh toán trực tuyến (%)"), ("rated", "Lượt đánh giá"),
    ("satisfaction_rate", "Tỷ lệ hài lòng (%)"),
]


def _public_rows(stats: dict) -> list[dict]:
    ratings = stats["ratings"]
    rows = [{"scope": "tinh", **stats["province"].as_dict(ratings)}]
    rows += [{"scope": "co_quan", **r.as_dict(ratings)} for r in stats["agencies"]]
    rows += [{"scope": "xa", **r.as_dict(ratings)} for r in stats["communes"]]
    return rows


@require_GET
def public_download(request, fmt: str):
    errors: list[str] = []
    period = _period(request, errors)
    if errors:
        return JsonResponse({"code": "invalid_period", "message": errors[0], "field": None}, status=400)
    services.refresh_if_stale()
    stats = queries.public_statistics(period, cached=True)
    rows = _public_rows(stats)
    name = f"thong-ke-ho-so-{period.start:%Y%m%d}-{period.end:%Y%m%d}"
    if fmt == "json":
        body = {"period": {"from": period.start.isoformat(), "to": period.end.isoformat(), "label": period.label},
                "generated_at": timezone.now().isoformat(), "rows": rows}
        response = HttpResponse(json.dumps(body, ensure_ascii=False, indent=1),
                                content_type="application/json; charset=utf-8")
    else:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response.write("\ufeff")  # Excel opens UTF-8 CSV with diacritics only with the byte-order mark
        writer = csv.writer(response)
        writer.writerow([label for _key, label in COLUMNS])
        for row in rows:
            writer.writerow(["" if row.get(key) is None else row.get(key) for key, _label in COLUMNS])
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


# --- staff pages --------------------------------------------------------------------------------------------------

def leaders_only(view):
    """Signed in, and a leader, head or administrator of an agency; others get a page that says so (403)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        viewer = queries.viewer_for(request.user)
        if viewer is None:
            return render(request, "reporting/forbidden.html", status=403)
        return view(request, viewer, *args, **kwargs)

    return never_cache(wrapper)


def _scope(request, viewer: queries.Viewer, errors: list[str]) -> queries.Scope:
    g = request.GET
    try:
        scope = queries.make_scope(g.get("co_quan"), g.get("xa"), g.get("thu_tuc"))
        if scope.is_province and not viewer.province:
            return viewer.default_scope()
        if not scope.is_province and scope.agency is None and scope.commune is None and not viewer.province:
            # a procedure, for someone who does not see the province: within their own agency
            top = viewer.default_scope()
            scope = queries.Scope(top.agency, None, scope.procedure, top.agency_ids)
        queries.check_scope(viewer, scope)
        return scope
    except DomainError as exc:
        errors.append(exc.message)
        return viewer.default_scope()


def _staff_context(request, viewer, scope, period, errors, current: str) -> dict:
    return {**_period_context(request, period), "errors": errors, "viewer": viewer, "scope": scope,
            "agencies": viewer.agencies(), "communes": viewer.communes(), "current": current,
            "query": _query(period, scope)}


@leaders_only
def scoreboard(request, viewer):
    errors: list[str] = []
    period, scope = _period(request, errors), _scope(request, viewer, errors)
    fresh = services.refresh_if_stale()
    board = queries.scoreboard(scope, period)
    context = _staff_context(request, viewer, scope, period, errors, "scoreboard")
    context.update(board=board, fresh=fresh, chart_groups=charts.bar_chart(
        _("Điểm đạt trên điểm tối đa có dữ liệu, theo nhóm chỉ số — %(s)s, %(p)s") % {"s": scope.label,
                                                                                   "p": period.label},
        [(f"{g.group.number}. {g.group.name}", (g.points / g.max_with_data * 100) if g.max_with_data else None)
         for g in board.groups], maximum=100))
    return render(request, "reporting/scoreboard.html", context)


@leaders_only
def drilldown(request, viewer, indicator: str):
    errors: list[str] = []
    period, scope = _period(request, errors), _scope(request, viewer, errors)
    definition = indicators.BY_ID.get(indicator)
    context = _staff_context(request, viewer, scope, period, errors, "scoreboard")
    if definition is None:
        return render(request, "reporting/drilldown.html", {**context, "missing": True}, status=404)
    services.refresh_if_stale()
    try:
        kind, page = queries.drilldown(viewer, indicator, scope, period, page=request.GET.get("trang") or 1)
    except DomainError as exc:
        errors.append(exc.message)
        kind, page = None, None
    board_result = queries.scoreboard(scope, period).results[indicator]
    context.update(indicator=definition, result=board_result, kind=kind, page=page)
    return render(request, "reporting/drilldown.html", context)


@leaders_only
def dashboard(request, viewer):
    errors: list[str] = []
    period, scope = _period(request, errors), _scope(request, viewer, errors)
    fresh = services.refresh_if_stale()
    data = queries.dashboard(scope, period)
    one_year = len({m[3:] for m in (r.name for r in data["trend"])}) == 1
    labels = [f"T{int(r.name[:2])}" if one_year else f"{int(r.name[:2])}/{r.name[-2:]}" for r in data["trend"]]
    context = _staff_context(request, viewer, scope, period, errors, "dashboard")
    context.update(data=data, fresh=fresh, chart_trend=charts.line_chart(
        _("Xu hướng theo tháng — %(s)s") % {"s": scope.label}, labels,
        [(_("Đúng hạn, trong hạn"), [r.on_time_rate for r in data["trend"]], charts.GREEN),
         (_("Nộp trực tuyến"), [r.online_rate for r in data["trend"]], charts.BLUE),
         (_("Thanh toán trực tuyến"), [r.paid_online_rate for r in data["trend"]], charts.ORANGE)]),
        chart_procedures=charts.bar_chart(
            _("Thủ tục có tỷ lệ đúng hạn thấp nhất — %(p)s") % {"p": period.label},
            [(r.name, r.on_time_rate) for r in data["worst_procedures"]], maximum=100,
            color=charts.RED),
        chart_agencies=charts.bar_chart(
            _("Cơ quan có tỷ lệ đúng hạn thấp nhất — %(p)s") % {"p": period.label},
            [(r.name, r.on_time_rate) for r in data["worst_agencies"]], maximum=100, color=charts.RED))
    return render(request, "reporting/dashboard.html", context)
