"""Reads of the catalogue shared by the pages and the API."""

from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When

from tinhso.core.text import fold, search_terms

from .models import Channel, Component, Procedure, ProcedureVersion, ProcessStep, Sector

LEVEL_FILTERS = {
    "bo": "current__level_ministry",
    "tinh": "current__level_province",
    "xa": "current__level_commune",
}


def search(q: str = "", *, sector: int | None = None, level: str | None = None, agency: str | None = None,
           online: str | None = None) -> QuerySet[Procedure]:
    """Published procedures matching every word of ``q``, ignoring case and diacritics.

    "giay phep xay dung" finds "Cấp giấy phép xây dựng"; procedures whose text holds the whole phrase come first.
    ``level`` is one of bo / tinh / xa; ``agency`` an agency identifier code; ``online`` full / partial / none.
    """
    qs = Procedure.objects.filter(is_published=True, current__isnull=False).select_related(
        "current", "current__sector"
    )
    terms = search_terms(q)
    for term in terms:
        qs = qs.filter(search_text__contains=term)
    if sector:
        qs = qs.filter(current__sector_id=sector)
    if level in LEVEL_FILTERS:
        qs = qs.filter(**{LEVEL_FILTERS[level]: True})
    if agency:
        qs = qs.filter(current__implementing_agencies__code=agency)
    if online in ProcedureVersion.OnlineLevel.values:
        qs = qs.filter(current__online_level=online)
    if len(terms) > 1:
        phrase = fold(q)
        qs = qs.annotate(
            rank=Case(When(search_text__contains=phrase, then=Value(0)), default=Value(1), output_field=IntegerField())
        ).order_by("rank", "code")
    else:
        qs = qs.order_by("code")
    return qs.distinct() if agency else qs


def sectors_in_use() -> QuerySet[Sector]:
    return Sector.objects.filter(procedureversion__procedure__current__isnull=False).distinct().order_by("name")


def procedure_detail(code: str) -> Procedure | None:
    """One published procedure with everything its page and API show, in a fixed number of queries."""
    version_qs = ProcedureVersion.objects.select_related("sector").prefetch_related(
        Prefetch("channels", queryset=Channel.objects.prefetch_related("fees").order_by("order")),
        Prefetch("components", queryset=Component.objects.order_by("order")),
        Prefetch("process_steps", queryset=ProcessStep.objects.select_related("agency").order_by("order")),
        "implementing_agencies",
    )
    procedure = Procedure.objects.filter(code=code, is_published=True, current__isnull=False).first()
    if procedure is None:
        return None
    procedure.current = version_qs.get(pk=procedure.current_id)
    return procedure


def facets() -> dict:
    return {
        "sectors": list(sectors_in_use()),
        "levels": [("tinh", "Cấp tỉnh"), ("xa", "Cấp xã"), ("bo", "Cấp bộ")],
        "online_levels": list(ProcedureVersion.OnlineLevel.choices),
    }
