"""Reads of the platform's shared data (administrative units, agencies), used by pages, API and other apps."""

from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import AdministrativeUnit, Agency
from .text import fold, search_terms

#: Width of the statistics office's codes by level; callers may drop leading zeros ("4" is commune "00004").
CODE_WIDTH = {AdministrativeUnit.Level.PROVINCE: 2, AdministrativeUnit.Level.DISTRICT: 3,
              AdministrativeUnit.Level.COMMUNE: 5}


def normalize_unit_code(code: str, level: str | None) -> str:
    code = code.strip()
    return code.zfill(CODE_WIDTH[level]) if code.isdigit() and level in CODE_WIDTH else code


def units_valid_on(day: date) -> QuerySet[AdministrativeUnit]:
    return AdministrativeUnit.objects.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=day), Q(valid_to__isnull=True) | Q(valid_to__gt=day)
    )


def find_unit(code: str, *, level: str | None = None, on: date | None = None) -> AdministrativeUnit | None:
    """The unit with this statistics-office code that was in force on ``on`` (today by default)."""
    qs = units_valid_on(on or timezone.localdate()).filter(code=normalize_unit_code(code, level))
    if level:
        qs = qs.filter(level=level)
    return qs.select_related("parent", "parent__parent").first()


def current_successors(unit: AdministrativeUnit, *, on: date | None = None) -> list[AdministrativeUnit]:
    """The units in force on ``on`` (today) that ``unit`` became, following every recorded rearrangement.

    A unit still in force is its own successor. A commune split between several new communes yields all of them,
    those that took the whole commune first.
    """
    day = on or timezone.localdate()
    result: list[tuple[bool, str, AdministrativeUnit]] = []
    seen: set[int] = set()
    frontier = [(unit, True)]
    while frontier:
        node, whole = frontier.pop(0)
        if node.pk in seen:
            continue
        seen.add(node.pk)
        if node.is_valid_on(day):
            result.append((not whole, fold(node.name), node))
            continue
        for succession in node.successions.select_related("successor").filter(effective_date__lte=day):
            frontier.append((succession.successor, whole and succession.whole))
    return [node for _, _, node in sorted(result, key=lambda t: (t[0], t[1]))]


def resolve_address_unit(code: str, written_on: date, *, level: str = AdministrativeUnit.Level.COMMUNE,
                         on: date | None = None) -> list[AdministrativeUnit]:
    """Today's commune(s) for a commune code written on ``written_on`` (e.g. an address in a 2024 dossier)."""
    unit = find_unit(code, level=level, on=written_on)
    return current_successors(unit, on=on) if unit is not None else []


def search_units(q: str, *, on: date | None = None, level: str | None = None, province: str | None = None):
    qs = units_valid_on(on or timezone.localdate()).select_related("parent")
    for term in search_terms(q):
        qs = qs.filter(name_folded__contains=term)
    if level:
        qs = qs.filter(level=level)
    if province:
        province = normalize_unit_code(province, AdministrativeUnit.Level.PROVINCE)
        qs = qs.filter(  # the province itself, its communes, and (before 2025) its districts' communes
            Q(code=province, level=AdministrativeUnit.Level.PROVINCE)
            | Q(parent__code=province, parent__level=AdministrativeUnit.Level.PROVINCE)
            | Q(parent__parent__code=province, parent__parent__level=AdministrativeUnit.Level.PROVINCE)
        )
    return qs.order_by("level", "code")


def agencies(q: str = "", *, kind: str | None = None) -> QuerySet[Agency]:
    qs = Agency.objects.filter(is_active=True).select_related("parent", "unit")
    for term in search_terms(q):
        qs = qs.filter(name_folded__contains=term)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("code")
