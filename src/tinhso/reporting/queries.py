"""Reads of the scoreboard, the public statistics and the leaders' dashboard, shared by pages, API and command.

Figures come from the additive aggregates (a period is a few month rows plus the days at its ends), from the few
dossiers still in progress (classified live against the end of the period), from the catalogue, and from the
``feedback`` app through ``sources``. A province-year is never recomputed from the dossiers.
"""

import calendar as pycalendar
import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from tinhso.catalog.models import Channel, Component, Fee, Procedure, ProcedureVersion
from tinhso.core import permissions
from tinhso.core.errors import DomainError, Forbidden
from tinhso.core.models import AdministrativeUnit, Agency, Role, User
from tinhso.core.workcalendar import TZ
from tinhso.onestop.models import Dossier, Status

from . import indicators as ind
from . import sources
from .models import COUNTERS, Aggregate, DossierFact, FeedState, IndicatorRule

VIEW_ROLES = (Role.AGENCY_LEADER, Role.DEPARTMENT_HEAD, Role.ADMINISTRATOR)
PAGE_SIZE = 50
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
FIRST_DAY = date(2000, 1, 1)


# --- periods ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    start: date
    end: date
    kind: str = "range"  # month, quarter, year, range
    year: int | None = None
    number: int | None = None  # month 1–12 or quarter 1–4

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"Tháng {self.number}/{self.year}"
        if self.kind == "quarter":
            return f"Quý {ROMAN[self.number]}/{self.year}"
        if self.kind == "year":
            return f"Năm {self.year}"
        return f"{self.start:%d/%m/%Y} – {self.end:%d/%m/%Y}"

    @property
    def end_instant(self) -> datetime:
        """Midnight after the last day, Vietnam time: what "at the end of the period" compares with."""
        return datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=TZ)

    def reference(self, now: datetime) -> datetime:
        return min(self.end_instant, now)

    def months(self) -> list["Period"]:
        """The calendar months the period touches, each clipped to the period."""
        out, first = [], self.start.replace(day=1)
        while first <= self.end:
            last = first.replace(day=pycalendar.monthrange(first.year, first.month)[1])
            out.append(Period(max(first, self.start), min(last, self.end), "month", first.year, first.month))
            first = last + timedelta(days=1)
        return out

    def query(self) -> dict:
        if self.kind == "month":
            return {"ky": "thang", "nam": self.year, "thang": self.number}
        if self.kind == "quarter":
            return {"ky": "quy", "nam": self.year, "quy": self.number}
        if self.kind == "year":
            return {"ky": "nam", "nam": self.year}
        return {"tu_ngay": self.start.isoformat(), "den_ngay": self.end.isoformat()}


def month_period(year: int, month: int) -> Period:
    last = pycalendar.monthrange(year, month)[1]
    return Period(date(year, month, 1), date(year, month, last), "month", year, month)


def quarter_period(year: int, quarter: int) -> Period:
    first = 3 * (quarter - 1) + 1
    last = pycalendar.monthrange(year, first + 2)[1]
    return Period(date(year, first, 1), date(year, first + 2, last), "quarter", year, quarter)


def year_period(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31), "year", year)


def _int(value, name: str, low: int, high: int, message: str) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise DomainError("invalid_period", message, field=name) from exc
    if not low <= number <= high:
        raise DomainError("invalid_period", message, field=name)
    return number


def _date(value, name: str) -> date:
    raw = str(value or "").strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise DomainError("invalid_date", "Ngày phải có dạng dd/mm/yyyy (hoặc yyyy-mm-dd).", field=name)


def parse_period(kind: str | None = None, year=None, number=None, start=None, end=None, *,
                 today: date | None = None) -> Period:
    """A period from the pickers: ``kind`` thang/quy/nam (month/quarter/year), or ``start``–``end`` dates."""
    today = today or timezone.localdate()
    if start or end:
        first = _date(start, "tu_ngay") if start else FIRST_DAY
        last = _date(end, "den_ngay") if end else today
        if last < first:
            raise DomainError("invalid_period", "Ngày kết thúc phải sau ngày bắt đầu.", field="den_ngay")
        if (last - first).days > 366 * 10:
            raise DomainError("invalid_period", "Khoảng thời gian tối đa 10 năm.", field="tu_ngay")
        return Period(first, last)
    kind = {"month": "thang", "quarter": "quy", "year": "nam"}.get(kind or "", kind or "nam")
    y = _int(year, "nam", 2000, 2100, "Năm không hợp lệ.") if year not in (None, "") else today.year
    if kind == "thang":
        m = _int(number, "thang", 1, 12, "Tháng phải từ 1 đến 12.") if number not in (None, "") else today.month
        return month_period(y, m)
    if kind == "quy":
        q = (_int(number, "quy", 1, 4, "Quý phải từ 1 đến 4.") if number not in (None, "")
             else (today.month - 1) // 3 + 1)
        return quarter_period(y, q)
    if kind == "nam":
        return year_period(y)
    raise DomainError("invalid_period", "Kỳ báo cáo phải là tháng, quý hoặc năm.", field="ky")


# --- scopes and viewers -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scope:
    agency: Agency | None = None
    commune: AdministrativeUnit | None = None
    procedure: Procedure | None = None
    agency_ids: frozenset[int] | None = None  # the agency and its sub-agencies

    @property
    def label(self) -> str:
        parts = []
        if self.agency is not None:
            parts.append(self.agency.name)
        if self.commune is not None:
            parts.append(self.commune.name)
        if self.procedure is not None:
            name = self.procedure.current.name if self.procedure.current_id else ""
            parts.append(f"Thủ tục {self.procedure.code} {name}".strip())
        return " — ".join(parts) or "Toàn tỉnh"

    @property
    def is_province(self) -> bool:
        return self.agency is None and self.commune is None and self.procedure is None

    def query(self) -> dict:
        out = {}
        if self.agency is not None:
            out["co_quan"] = self.agency.code
        if self.commune is not None:
            out["xa"] = self.commune.code
        if self.procedure is not None:
            out["thu_tuc"] = self.procedure.code
        return out

    def as_dict(self) -> dict:
        return {"label": self.label, "agency": self.agency.code if self.agency else None,
                "commune": self.commune.code if self.commune else None,
                "procedure": self.procedure.code if self.procedure else None}


def make_scope(agency: str | None = None, commune: str | None = None, procedure: str | None = None) -> Scope:
    """A scope from codes (agency identifier, commune statistics code, procedure code); refused when unknown."""
    agency_obj = commune_obj = procedure_obj = None
    if agency:
        agency_obj = Agency.objects.filter(code=agency.strip()).first()
        if agency_obj is None:
            raise DomainError("unknown_agency", f"Không có cơ quan mã định danh “{agency}”.", field="co_quan")
    if commune:
        code = commune.strip()
        code = code.zfill(5) if code.isdigit() else code
        commune_obj = AdministrativeUnit.objects.filter(code=code, level=AdministrativeUnit.Level.COMMUNE,
                                                        valid_to__isnull=True).first()
        if commune_obj is None:
            raise DomainError("unknown_commune", f"Không có xã, phường mã “{commune}”.", field="xa")
    if procedure:
        procedure_obj = Procedure.objects.select_related("current").filter(code=procedure.strip()).first()
        if procedure_obj is None:
            raise DomainError("unknown_procedure", f"Không có thủ tục mã “{procedure}”.", field="thu_tuc")
    if agency_obj is not None and commune_obj is not None:
        raise DomainError("scope_unsupported", "Chọn cơ quan hoặc xã, phường (không chọn cả hai cùng lúc).",
                          field="xa")
    ids = frozenset(permissions.descendants([agency_obj.pk])) if agency_obj is not None else None
    return Scope(agency_obj, commune_obj, procedure_obj, ids)


@dataclass(frozen=True)
class Viewer:
    """Who looks at the scoreboard: leaders and heads see their agencies (and below); province leaders see all."""

    user: User
    province: bool
    agency_ids: frozenset[int]
    tops: tuple[Agency, ...]

    def can_see(self, scope: Scope) -> bool:
        if self.province:
            return True
        if scope.agency is not None:
            return scope.agency.pk in self.agency_ids
        if scope.commune is not None:
            return Agency.objects.filter(pk__in=self.agency_ids, unit=scope.commune).exists()
        return False

    def default_scope(self) -> Scope:
        if self.province:
            return Scope()
        top = self.tops[0]
        return Scope(agency=top, agency_ids=frozenset(permissions.descendants([top.pk])))

    def agencies(self) -> list[Agency]:
        qs = Agency.objects.filter(is_active=True).order_by("code")
        return list(qs if self.province else qs.filter(pk__in=self.agency_ids))

    def communes(self) -> list[AdministrativeUnit]:
        units = AdministrativeUnit.objects.filter(level=AdministrativeUnit.Level.COMMUNE, valid_to__isnull=True)
        if self.province:
            provinces = [pk for pk in Agency.objects.filter(parent__isnull=True).values_list("unit_id", flat=True)
                         if pk]
            return list((units.filter(parent_id__in=provinces) if provinces else units).order_by("name"))
        return list(units.filter(agencies__pk__in=self.agency_ids).distinct().order_by("name"))


def viewer_for(user) -> Viewer | None:
    """The user as a scoreboard viewer, or ``None`` when the scoreboard is not theirs to see."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "kind", None) != User.Kind.STAFF:
        return None
    if user.is_superuser:  # sees the province: neither the agency ids nor the top agencies are needed
        return Viewer(user, True, frozenset(), ())
    held = list(permissions.memberships(user, VIEW_ROLES).select_related("agency").order_by("agency__code"))
    if not held:
        return None
    ids = frozenset(permissions.descendants([m.agency_id for m in held]))
    tops = tuple(dict.fromkeys(m.agency for m in held))
    province = any(m.agency.parent_id is None for m in held)
    return Viewer(user, province, ids, tops)


def require_viewer(user) -> Viewer:
    viewer = viewer_for(user)
    if viewer is None:
        raise Forbidden("Bảng chỉ số dành cho lãnh đạo cơ quan, lãnh đạo phòng và quản trị hệ thống.",
                        code="scoreboard_forbidden")
    return viewer


def check_scope(viewer: Viewer, scope: Scope) -> None:
    if not viewer.can_see(scope):
        raise Forbidden("Bạn chỉ xem được chỉ số của cơ quan mình và các đơn vị trực thuộc.", code="scope_forbidden")


# --- aggregates ---------------------------------------------------------------------------------------------------

def _grain_q(period: Period) -> Q:
    """Whole months from the month rows, the days at both ends from the day rows."""
    months = [m for m in period.months() if m.start.day == 1
              and m.end.day == pycalendar.monthrange(m.start.year, m.start.month)[1]]
    if not months:
        return Q(grain=Aggregate.Grain.DAY, start__gte=period.start, start__lte=period.end)
    first, last = months[0].start, months[-1].end
    q = Q(grain=Aggregate.Grain.MONTH, start__gte=first, start__lte=months[-1].start)
    if period.start < first:
        q |= Q(grain=Aggregate.Grain.DAY, start__gte=period.start, start__lt=first)
    if period.end > last:
        q |= Q(grain=Aggregate.Grain.DAY, start__gt=last, start__lte=period.end)
    return q


def _aggregates(scope: Scope, period: Period, *, per: str | None = None):
    """The aggregate rows of the scope and period, from the cube that answers them."""
    if scope.agency is not None or per == "agency_id":
        qs = Aggregate.objects.filter(cube=Aggregate.Cube.AGENCY)
        if scope.agency is not None:
            qs = qs.filter(agency_id__in=scope.agency_ids)
    elif scope.commune is not None or per == "commune_id":
        qs = Aggregate.objects.filter(cube=Aggregate.Cube.COMMUNE)
        if scope.commune is not None:
            qs = qs.filter(commune_id=scope.commune.pk)
    elif scope.procedure is not None or per == "procedure_id":
        qs = Aggregate.objects.filter(cube=Aggregate.Cube.PROCEDURE)
    else:
        qs = Aggregate.objects.filter(cube=Aggregate.Cube.PROVINCE)
    if scope.procedure is not None:
        qs = qs.filter(procedure_id=scope.procedure.pk)
    return qs.filter(_grain_q(period))


SUMS = {name: Sum(name) for name in COUNTERS}


def totals(scope: Scope, period: Period) -> dict[str, int]:
    row = _aggregates(scope, period).aggregate(**SUMS)
    return {name: int(row[name] or 0) for name in COUNTERS}


def totals_by(scope: Scope, period: Period, per: str) -> dict[int, dict[str, int]]:
    """Counters per procedure, agency or commune (``procedure_id``, ``agency_id``, ``commune_id``)."""
    rows = _aggregates(scope, period, per=per).order_by().values(per).annotate(**SUMS)
    return {row[per]: {name: int(row[name] or 0) for name in COUNTERS} for row in rows}


def _fact_scope(qs, scope: Scope):
    if scope.agency is not None:
        qs = qs.filter(agency_id__in=scope.agency_ids)
    if scope.commune is not None:
        qs = qs.filter(commune_id=scope.commune.pk)
    if scope.procedure is not None:
        qs = qs.filter(procedure_id=scope.procedure.pk)
    return qs


def _open_on_time_q(reference: datetime) -> Q:
    """A dossier in progress is on time at ``reference`` if its appointment (pushed back by its closed pauses) is
    not before it — or, when paused now, was not before the pause started. Asked to supplement twice: late."""
    return Q(twice=False) & (Q(kpi_due__isnull=True) | Q(kpi_due__gte=reference)
                             | Q(paused_since__isnull=False, paused_since__lte=F("kpi_due")))


def open_facts(scope: Scope, period: Period):
    return _fact_scope(DossierFact.objects.filter(finished=False, received_day__gte=period.start,
                                                  received_day__lte=period.end), scope)


def open_counts(scope: Scope, period: Period, now: datetime, *, per: str | None = None):
    """Dossiers received in the period and still in progress: (count, on time at the period's end or now)."""
    reference = period.reference(now)
    qs = open_facts(scope, period).order_by()
    # Only columns of the partial index are read, so PostgreSQL answers from the index alone.
    aggregates = {"n": Count("received_day"), "ok": Count("received_day", filter=_open_on_time_q(reference))}
    if per is None:
        row = qs.aggregate(**aggregates)
        return row["n"] or 0, row["ok"] or 0
    return {row[per]: (row["n"], row["ok"]) for row in qs.values(per).annotate(**aggregates)}


# --- the catalogue ------------------------------------------------------------------------------------------------

#: The catalogue changes a few times a month: its figures are kept two minutes.
CATALOG_CACHE_SECONDS = 120


def _catalog_procedures(scope: Scope):
    qs = Procedure.objects.filter(is_published=True, current__isnull=False)
    if scope.procedure is not None:
        qs = qs.filter(pk=scope.procedure.pk)
    if scope.agency is not None:
        qs = qs.filter(current__implementing_agencies__in=scope.agency_ids)
    if scope.commune is not None:
        qs = qs.filter(current__implementing_agencies__unit=scope.commune,
                       current__implementing_agencies__kind=Agency.Kind.COMMUNE_COMMITTEE)
    return qs.distinct()


def catalog_flags(scope: Scope) -> dict[int, dict]:
    """Per procedure in the scope (published, current version): online service offered, fee, complete content."""
    key = "reporting:catalog:" + hashlib.sha256(str(scope.query()).encode()).hexdigest()
    cached = cache.get(key)
    if cached is not None:
        return cached
    procedures = list(_catalog_procedures(scope).values_list("pk", "code", "current_id"))
    versions = {vid: (pk, code) for pk, code, vid in procedures}
    vids = list(versions)
    info = {row["pk"]: row for row in ProcedureVersion.objects.filter(pk__in=vids).values(
        "pk", "name", "online_level", "steps", "subjects", "implementing_agency_text")}
    channels = {row["version_id"]: row for row in Channel.objects.filter(version_id__in=vids).order_by()
                .values("version_id").annotate(n=Count("id"), timed=Count(
                    "id", filter=Q(time_value__isnull=False) | ~Q(time_text="")))}
    components = dict(Component.objects.filter(version_id__in=vids).order_by().values("version_id")
                      .annotate(n=Count("id")).values_list("version_id", "n"))
    implementing = dict(ProcedureVersion.implementing_agencies.through.objects.filter(procedureversion_id__in=vids)
                        .order_by().values("procedureversion_id").annotate(n=Count("id"))
                        .values_list("procedureversion_id", "n"))
    with_fee = set(Fee.objects.filter(channel__version_id__in=vids, amount__gt=0)
                   .values_list("channel__version_id", flat=True).distinct())
    flags = {}
    for vid, (pk, code) in versions.items():
        v = info[vid]
        ch = channels.get(vid, {"n": 0, "timed": 0})
        missing = []
        if not (v["name"] or "").strip():
            missing.append("tên thủ tục")
        if not v["steps"]:
            missing.append("trình tự thực hiện")
        if not ch["n"]:
            missing.append("cách thức thực hiện")
        if not components.get(vid):
            missing.append("thành phần hồ sơ")
        if not ch["timed"]:
            missing.append("thời hạn giải quyết")
        if not (v["subjects"] or "").strip():
            missing.append("đối tượng thực hiện")
        if not ((v["implementing_agency_text"] or "").strip() or implementing.get(vid)):
            missing.append("cơ quan thực hiện")
        flags[pk] = {"code": code, "name": v["name"], "online": v["online_level"] != "none",
                     "fee": vid in with_fee, "missing": missing}
    cache.set(key, flags, CATALOG_CACHE_SECONDS)
    return flags


# --- rules --------------------------------------------------------------------------------------------------------

RULES_CACHE_KEY = "reporting:rules"
RULES_CACHE_SECONDS = 300


def _stored_rules() -> list[IndicatorRule]:
    """The stored rule versions (few), cached; ``services.save_rule`` clears the cache."""
    rows = cache.get(RULES_CACHE_KEY)
    if rows is None:
        rows = list(IndicatorRule.objects.order_by("indicator", "effective_from"))
        cache.set(RULES_CACHE_KEY, rows, RULES_CACHE_SECONDS)
    return rows


def rules_in_force(day: date) -> dict[str, ind.Rule]:
    """Each indicator's scoring rule in force on ``day``: the latest stored version, else the built-in one."""
    rules = {i.id: ind.built_in_rule(i) for i in ind.INDICATORS}
    for row in (r for r in _stored_rules() if r.effective_from <= day):
        if row.indicator in rules:
            rules[row.indicator] = ind.Rule(
                max=row.max_points if row.max_points else None, threshold=row.threshold_percent,
                confirmed=row.confirmed, effective_from=row.effective_from, note=row.note, built_in=False)
    return rules


# --- the scoreboard -----------------------------------------------------------------------------------------------

@dataclass
class GroupResult:
    group: ind.Group
    results: list[ind.Result]

    @property
    def max(self) -> Decimal:
        return sum((r.rule.max or Decimal(0) for r in self.results), Decimal(0))

    @property
    def points(self) -> Decimal:
        return sum((r.points for r in self.results if r.points is not None), Decimal(0))

    @property
    def max_with_data(self) -> Decimal:
        return sum((r.rule.max or Decimal(0) for r in self.results if r.points is not None), Decimal(0))


@dataclass
class Scoreboard:
    scope: Scope
    period: Period
    groups: list[GroupResult]
    counts: dict[str, int]
    open: tuple[int, int]
    refreshed_at: datetime | None
    computed_at: datetime
    results: dict[str, ind.Result] = field(default_factory=dict)

    @property
    def points(self) -> Decimal:
        return sum((g.points for g in self.groups), Decimal(0))

    @property
    def max(self) -> Decimal:
        return sum((g.max for g in self.groups), Decimal(0))

    @property
    def max_with_data(self) -> Decimal:
        return sum((g.max_with_data for g in self.groups), Decimal(0))

    def as_dict(self) -> dict:
        return {
            "scope": self.scope.as_dict(),
            "period": {"from": self.period.start.isoformat(), "to": self.period.end.isoformat(),
                       "label": self.period.label},
            "points": str(ind.round2(self.points)),
            "max_with_data": str(ind.round2(self.max_with_data)),
            "max": str(ind.round2(self.max)),
            "refreshed_at": self.refreshed_at.isoformat() if self.refreshed_at else None,
            "groups": [{"number": g.group.number, "name": g.group.name, "points": str(ind.round2(g.points)),
                        "max": str(ind.round2(g.max)), "indicators": [result_dict(r) for r in g.results]}
                       for g in self.groups],
        }


def result_dict(r: ind.Result) -> dict:
    i = r.indicator
    return {
        "id": i.id, "code": i.code, "formula_id": i.formula_id, "name": i.name, "unit": i.unit,
        "value": str(r.value) if r.value is not None else None,
        "points": str(r.points) if r.points is not None else None,
        "max": str(ind.round2(r.rule.max)) if r.rule.max is not None else None,
        "threshold_percent": str(r.rule.threshold) if r.rule.threshold is not None else None,
        "numerator": r.numerator, "denominator": r.denominator,
        "available": r.available, "missing": r.missing or None,
        "confirmed": r.rule.confirmed, "rule_from": r.rule.effective_from.isoformat(),
        "source": i.source, "formula": i.formula, "note": i.note or None,
        "drilldown": bool(i.drilldown and r.available and r.lost),
    }


def _procedure_sets(scope: Scope, period: Period) -> tuple[dict, dict]:
    return catalog_flags(scope), totals_by(scope, period, "procedure_id")


def scoreboard(scope: Scope, period: Period, *, now: datetime | None = None) -> Scoreboard:
    now = now or timezone.now()
    rules = rules_in_force(period.end)
    t = totals(scope, period)
    open_n, open_ok = open_counts(scope, period, now)
    on_time = t["on_time"] + open_ok
    catalog, per_procedure = _procedure_sets(scope, period)
    petitions = _petitions(scope, period, now) if scope.commune is None else None
    results: dict[str, ind.Result] = {}
    no_dossier = "Không có hồ sơ nào tiếp nhận trong kỳ."
    for i in ind.INDICATORS:
        rule = rules[i.id]
        if i.source == "none":
            results[i.id] = ind.unavailable(i, rule, i.note)
            continue
        results[i.id] = _indicator(i, rule, t, on_time, catalog, per_procedure, petitions, no_dossier, scope)
    groups = [GroupResult(g, [r for r in results.values() if r.indicator.group == g.number]) for g in ind.GROUPS]
    state = FeedState.objects.filter(pk=1).values_list("refreshed_at", flat=True).first()
    return Scoreboard(scope, period, groups, t, (open_n, open_ok), state, now, results)


PETITION_CACHE_SECONDS = 60


def _petitions(scope: Scope, period: Period, now: datetime) -> dict | None:
    """Petition counts of the scope and period, kept a minute (petitions are few and change slowly)."""
    reference = period.reference(now)
    minute = reference.replace(second=0, microsecond=0)
    key = "reporting:petitions:" + hashlib.sha256(
        f"{scope.query()}|{period.start}|{period.end}|{minute.isoformat()}".encode()).hexdigest()
    cached = cache.get(key)
    if cached is not None:
        return cached or None
    start = datetime.combine(period.start, time(0), tzinfo=TZ)
    counts = sources.petition_counts(start, period.end_instant, reference, agency_ids=scope.agency_ids,
                                     procedure_code=scope.procedure.code if scope.procedure else None)
    cache.set(key, counts or {}, PETITION_CACHE_SECONDS)
    return counts


def _indicator(i, rule, t, on_time, catalog, per_procedure, petitions, no_dossier, scope) -> ind.Result:
    ratio = ind.ratio_result
    received = t["received"]
    match i.id:
        case "PUBLIC_CONTENT_FULL":
            complete = sum(1 for f in catalog.values() if not f["missing"])
            return ratio(i, rule, complete, len(catalog), empty="Không có thủ tục nào đang công khai trong phạm vi.")
        case "2.1":
            return ratio(i, rule, on_time, received, empty=no_dossier)
        case "2.2":
            result = ind.Result(i, rule, denominator=t["decided"])
            if not t["decided"]:
                result.missing = "Không có hồ sơ nào đã xử lý xong trong kỳ."
                return result
            days = Fraction(t["duration_min"], 60 * 8)
            result.value = ind.round2(days / t["decided"])
            result.extra = {"working_days_total": str(ind.round2(days))}
            return result
        case "3":
            return ratio(i, rule, t["toan_trinh"], t["tt_eligible"],
                         empty="Không có hồ sơ nào của thủ tục toàn trình trong kỳ.")
        case "3.1":
            return ratio(i, rule, sum(1 for f in catalog.values() if f["online"]), len(catalog),
                         empty="Không có thủ tục nào thuộc thẩm quyền trong phạm vi.")
        case "3.2":
            offered = [pk for pk, f in catalog.items() if f["online"]]
            used = sum(1 for pk in offered if per_procedure.get(pk, {}).get("online"))
            return ratio(i, rule, used, len(offered), empty="Không có thủ tục nào cung cấp dịch vụ công trực tuyến.")
        case "3.3":
            return ratio(i, rule, t["online"], received, empty=no_dossier)
        case "3.5" | "3.5b":
            counter = "has_fee" if i.id == "3.5" else "paid_online"
            with_fee = [pk for pk, f in catalog.items() if f["fee"]]
            used = sum(1 for pk in with_fee if per_procedure.get(pk, {}).get(counter))
            return ratio(i, rule, used, len(with_fee), empty="Không có thủ tục nào có phí, lệ phí trong danh mục.")
        case "3.6":
            return ratio(i, rule, t["paid_online"], t["has_fee"], empty="Không có hồ sơ nào phải nộp phí, lệ phí.")
        case "ORIGINAL_RESULT_AVAILABLE":
            return ratio(i, rule, t["e_result"], t["decided"], empty="Không có hồ sơ nào đã xử lý xong trong kỳ.")
        case "SO_HOA_GIAY_TO_GIAI_QUYET":
            return ratio(i, rule, t["digitised_full"], received, empty=no_dossier)
        case "REUSED_DIGITIZED_DATA":
            return ratio(i, rule, t["reused"], received, empty=no_dossier)
        case "SYNCED_WITH_DVCQG_PERSONAL_STORAGE":
            return ratio(i, rule, t["store"], received, empty=no_dossier)
        case "DOSSIER_RECEIVING_SATISFACTION":
            if not sources.ratings_available():
                return ind.unavailable(i, rule, "Nền tảng chưa ghi nhận đánh giá, phản ánh của người dân về hồ sơ.")
            if not received:
                return ind.unavailable(i, rule, no_dossier)
            late = received - on_time
            rate = 1 - Fraction(late, received) - Fraction(t["disliked"], received)
            result = ind.rate_result(i, rule, rate, max(received - late - t["disliked"], 0), received)
            result.extra = {"late": late, "disliked": t["disliked"]}
            return result
        case _ if i.source == "feedback":
            if scope.commune is not None:
                return ind.unavailable(i, rule, "Phản ánh, kiến nghị không gắn với xã, phường của người gửi.")
            return _petition_indicator(i, rule, petitions)
    return ind.unavailable(i, rule, ind.NO_DATA)  # pragma: no cover - every indicator is matched above


def _petition_indicator(i, rule, petitions: dict | None) -> ind.Result:
    if petitions is None:
        return ind.unavailable(i, rule, "Nền tảng chưa ghi nhận phản ánh, kiến nghị (phân hệ Phản ánh, kiến nghị).")
    empty = "Không có phản ánh, kiến nghị nào trong kỳ."
    numerator, denominator = {
        "PETITION_CLASSIFICATION_TTHC": ("about_procedure", "total"),
        "PETITION_CLASSIFICATION_STAFF": ("about_staff", "total"),
        "PETITION_PROCESSING_ON_TIME": ("on_time", "competent"),
        "PETITION_HANDLING_SATISFACTION": ("satisfied", "first"),
    }[i.id]
    return ind.ratio_result(i, rule, petitions[numerator], petitions[denominator], empty=empty)


# --- drill-down ---------------------------------------------------------------------------------------------------

FACT_DRILLDOWN = {
    "2.1": "late", "3": "not_toan_trinh", "3.3": "not_online", "3.6": "not_paid_online",
    "ORIGINAL_RESULT_AVAILABLE": "no_e_result", "SO_HOA_GIAY_TO_GIAI_QUYET": "not_digitised",
    "REUSED_DIGITIZED_DATA": "not_reused", "SYNCED_WITH_DVCQG_PERSONAL_STORAGE": "not_store",
    "DOSSIER_RECEIVING_SATISFACTION": "late_or_disliked",
}
PROCEDURE_DRILLDOWN = ("PUBLIC_CONTENT_FULL", "3.1", "3.2", "3.5", "3.5b")


def _late_q(reference: datetime) -> Q:
    return Q(finished=True, on_time=False) | (Q(finished=False) & ~_open_on_time_q(reference))


def _lost_q(kind: str, reference: datetime) -> Q:
    return {
        "late": _late_q(reference),
        "not_toan_trinh": Q(tt_eligible=True, toan_trinh=False),
        "not_online": Q(online=False),
        "not_paid_online": Q(has_fee=True, paid_online=False),
        "no_e_result": Q(decided=True, e_result=False),
        "not_digitised": Q(digitised_full=False),
        "not_reused": Q(reused=False),
        "not_store": Q(store=False),
        "late_or_disliked": _late_q(reference) | Q(disliked=True),
    }[kind]


@dataclass
class DrillRow:
    dossier_id: int
    code: str
    procedure: str
    agency: str
    received_at: datetime
    due: datetime | None
    end: datetime | None
    status: str
    reasons: list[str]


@dataclass
class ProcedureRow:
    code: str
    name: str
    reasons: list[str]


def _fmt(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


def _reasons(kind: str, fact: DossierFact, dossier: Dossier | None, reference: datetime) -> list[str]:
    out = []
    channel = dossier.channel.get_kind_display().lower() if dossier is not None else ""
    if kind in ("late", "late_or_disliked"):
        if fact.twice:
            count = dossier.supplement_count if dossier is not None else 2
            out.append(f"Yêu cầu bổ sung {count} lần khi đang xử lý: tính là quá hạn")
        elif fact.finished and not fact.on_time:
            out.append(f"Kết thúc {_fmt(fact.end_at)}, sau hạn {_fmt(fact.kpi_due)}")
        elif not fact.finished and fact.kpi_due is not None and fact.kpi_due < reference:
            out.append(f"Chưa kết thúc, đã quá hạn {_fmt(fact.kpi_due)}")
        if kind == "late_or_disliked" and fact.disliked:
            out.append("Người dân không hài lòng hoặc có phản ánh, kiến nghị")
    if kind == "not_toan_trinh":
        if not fact.online:
            out.append(f"Nộp {channel}, không trực tuyến")
        if fact.has_fee and not fact.paid_online:
            out.append("Có phí, lệ phí nhưng không thanh toán trực tuyến")
    if kind == "not_online":
        out.append(f"Nộp {channel}")
    if kind == "not_paid_online":
        out.append("Có phí, lệ phí nhưng không thanh toán trực tuyến")
    if kind == "no_e_result":
        out.append("Không có tệp kết quả điện tử")
    if kind == "not_digitised":
        if not fact.digitised:
            out.append("Thành phần hồ sơ chưa được số hóa")
        if not fact.e_result:
            out.append("Chưa có kết quả điện tử")
    if kind == "not_reused":
        out.append("Không thành phần nào sử dụng lại dữ liệu đã số hóa")
    if kind == "not_store":
        out.append("Không lấy giấy tờ từ kho dữ liệu cá nhân; kết quả chưa đưa vào kho")
    return out or ["Không đạt điều kiện của chỉ tiêu"]


def drilldown(viewer: Viewer, indicator_id: str, scope: Scope, period: Period, *, page: int | str = 1,
              now: datetime | None = None, per_page: int = PAGE_SIZE):
    """What lost points: the dossiers (or procedures) of the scope and period, only those of the viewer's agencies.

    Returns ``(kind, page)``: ``kind`` "dossiers" or "procedures"; ``page`` a Django paginator page of
    ``DrillRow`` / ``ProcedureRow``.
    """
    now = now or timezone.now()
    indicator = ind.BY_ID.get(indicator_id)
    if indicator is None:
        raise DomainError("unknown_indicator", f"Không có chỉ tiêu mã “{indicator_id}”.", field="indicator")
    if indicator_id in PROCEDURE_DRILLDOWN:
        return "procedures", _procedure_drilldown(indicator_id, scope, period, page, per_page)
    kind = FACT_DRILLDOWN.get(indicator_id)
    if kind is None:
        raise DomainError("no_drilldown", "Chỉ tiêu này không có danh sách hồ sơ chi tiết.", field="indicator")
    reference = period.reference(now)
    qs = _fact_scope(DossierFact.objects.filter(received_day__gte=period.start, received_day__lte=period.end),
                     scope).filter(_lost_q(kind, reference))
    if not viewer.province:
        qs = qs.filter(agency_id__in=viewer.agency_ids)
    paginator = Paginator(qs.order_by("-received_day", "-dossier_id"), per_page)
    current = paginator.get_page(page)
    facts = list(current.object_list)
    dossiers = Dossier.objects.select_related("procedure_version", "handling_agency", "channel").in_bulk(
        [f.dossier_id for f in facts])
    rows = []
    for fact in facts:
        d = dossiers.get(fact.dossier_id)
        rows.append(DrillRow(
            dossier_id=fact.dossier_id, code=(d.code if d else "") or f"#{fact.dossier_id}",
            procedure=d.procedure_version.name if d else "", agency=d.handling_agency.name if d else "",
            received_at=fact.received_at, due=fact.kpi_due, end=fact.end_at,
            status=str(Status(fact.status).label), reasons=_reasons(kind, fact, d, reference)))
    current.object_list = rows
    return "dossiers", current


def _procedure_drilldown(indicator_id: str, scope: Scope, period: Period, page, per_page: int):
    catalog, per_procedure = _procedure_sets(scope, period)
    rows = []
    for pk, f in sorted(catalog.items(), key=lambda item: item[1]["code"]):
        used = per_procedure.get(pk, {})
        reasons = []
        if indicator_id == "PUBLIC_CONTENT_FULL" and f["missing"]:
            reasons = ["Thiếu " + ", ".join(f["missing"])]
        elif indicator_id == "3.1" and not f["online"]:
            reasons = ["Chưa cung cấp dịch vụ công trực tuyến"]
        elif indicator_id == "3.2" and f["online"] and not used.get("online"):
            reasons = ["Có dịch vụ công trực tuyến nhưng không có hồ sơ nộp trực tuyến trong kỳ"]
        elif indicator_id == "3.5" and f["fee"] and not used.get("has_fee"):
            reasons = ["Có phí, lệ phí nhưng không có hồ sơ nào ghi nhận phí trong kỳ"]
        elif indicator_id == "3.5b" and f["fee"] and not used.get("paid_online"):
            reasons = ["Có phí, lệ phí nhưng không có giao dịch thanh toán trực tuyến trong kỳ"]
        if reasons:
            rows.append(ProcedureRow(f["code"], f["name"], reasons))
    return Paginator(rows, per_page).get_page(page)


# --- public statistics and the leaders' dashboard -----------------------------------------------------------------

@dataclass
class StatRow:
    """Statistics of one agency, commune, procedure or month: what the public page and the dashboard show."""

    key: object
    name: str
    received: int = 0
    on_time: int = 0
    online: int = 0
    has_fee: int = 0
    paid_online: int = 0
    rated: int = 0
    rated_ok: int = 0
    disliked: int = 0
    in_progress: int = 0

    @property
    def late(self) -> int:
        return self.received - self.on_time

    @staticmethod
    def _pct(part: int, whole: int) -> Decimal | None:
        return ind.percent(Fraction(part, whole)) if whole else None

    @property
    def on_time_rate(self) -> Decimal | None:
        return self._pct(self.on_time, self.received)

    @property
    def online_rate(self) -> Decimal | None:
        return self._pct(self.online, self.received)

    @property
    def paid_online_rate(self) -> Decimal | None:
        return self._pct(self.paid_online, self.has_fee)

    @property
    def satisfaction(self) -> Decimal | None:
        return self._pct(self.rated_ok, self.rated)

    def as_dict(self, ratings: bool = True) -> dict:
        def s(value):
            return str(value) if value is not None else None

        return {"code": self.key if isinstance(self.key, str) else None, "name": self.name,
                "received": self.received, "on_time": self.on_time, "late": self.late,
                "in_progress": self.in_progress, "on_time_rate": s(self.on_time_rate), "online": self.online,
                "online_rate": s(self.online_rate), "with_fee": self.has_fee, "paid_online": self.paid_online,
                "paid_online_rate": s(self.paid_online_rate),
                "rated": self.rated if ratings else None,
                "satisfaction_rate": s(self.satisfaction) if ratings else None}


def _stat(key, name: str, counters: dict, open_pair: tuple[int, int]) -> StatRow:
    return StatRow(key, name, received=counters.get("received", 0),
                   on_time=counters.get("on_time", 0) + open_pair[1], online=counters.get("online", 0),
                   has_fee=counters.get("has_fee", 0), paid_online=counters.get("paid_online", 0),
                   rated=counters.get("rated", 0), rated_ok=counters.get("rated_ok", 0),
                   disliked=counters.get("disliked", 0), in_progress=open_pair[0])


def stats_total(scope: Scope, period: Period, now: datetime, name: str = "") -> StatRow:
    return _stat(None, name or scope.label, totals(scope, period), open_counts(scope, period, now))


def stats_by(scope: Scope, period: Period, now: datetime, per: str) -> list[StatRow]:
    """Per agency (``agency_id``), commune (``commune_id``) or procedure (``procedure_id``), largest first."""
    counters = totals_by(scope, period, per)
    opened = open_counts(scope, period, now, per=per)
    keys = [k for k in set(counters) | set(opened) if counters.get(k, {}).get("received")]
    names: dict = {}
    if per == "agency_id":
        names = {a.pk: (a.code, a.name) for a in Agency.objects.filter(pk__in=keys)}
    elif per == "commune_id":
        names = {u.pk: (u.code, u.name) for u in AdministrativeUnit.objects.filter(pk__in=keys)}
        names[0] = ("", "Không xác định xã, phường")
    elif per == "procedure_id":
        names = {p.pk: (p.code, f"{p.code} {p.current.name}" if p.current_id else p.code)
                 for p in Procedure.objects.select_related("current").filter(pk__in=keys)}
    rows = [_stat(names.get(k, ("", str(k)))[0], names.get(k, ("", str(k)))[1], counters.get(k, {}),
                  opened.get(k, (0, 0))) for k in keys]
    return sorted(rows, key=lambda r: (-r.received, r.name))


PUBLIC_CACHE_SECONDS = 60


def public_statistics(period: Period, *, now: datetime | None = None, cached: bool = False) -> dict:
    """The province, each agency and each commune: no dossier and no person is shown, only counts.

    ``cached``: the same figures for everyone, kept a minute (the public page and its downloads).
    """
    if cached:
        key = f"reporting:public:{period.start}:{period.end}:{freshness()['last_event_id']}"
        hit = cache.get(key)
        if hit is None:
            hit = public_statistics(period, now=now)
            cache.set(key, hit, PUBLIC_CACHE_SECONDS)
        return hit
    now = now or timezone.now()
    province = Scope()
    return {
        "period": period,
        "province": stats_total(province, period, now, name="Toàn tỉnh"),
        "agencies": stats_by(province, period, now, "agency_id"),
        "communes": stats_by(province, period, now, "commune_id"),
        "ratings": sources.ratings_available(),
    }


def worst(rows: list[StatRow], *, minimum: int = 5, limit: int = 10) -> list[StatRow]:
    """The rows with the lowest on-time rate (at least ``minimum`` dossiers, at least one late), then the most late
    dossiers."""
    ranked = [r for r in rows if r.received >= minimum and r.late > 0]
    return sorted(ranked, key=lambda r: (r.on_time_rate, -r.late, r.name))[:limit]


def dashboard(scope: Scope, period: Period, *, now: datetime | None = None) -> dict:
    """Trends per month, and the worst procedures and agencies of the scope."""
    now = now or timezone.now()
    trend = []
    for month in period.months():
        row = stats_total(scope, month, now, name=f"{month.number:02d}/{month.year}")
        row.key = month.start.isoformat()
        trend.append(row)
    procedures = stats_by(scope, period, now, "procedure_id")
    agencies = [] if scope.commune is not None else stats_by(scope, period, now, "agency_id")
    return {
        "trend": trend,
        "total": stats_total(scope, period, now),
        "worst_procedures": worst(procedures),
        "worst_agencies": worst(agencies, minimum=1),
        "ratings": sources.ratings_available(),
    }


def freshness() -> dict:
    state = FeedState.objects.filter(pk=1).values("last_event_id", "refreshed_at", "rebuilt_at").first()
    return state or {"last_event_id": 0, "refreshed_at": None, "rebuilt_at": None}
