"""Public catalogue pages (mobile-first). Thin: read the query string, call queries, render."""

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from . import queries


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def procedure_list(request):
    q = request.GET.get("q", "")[:200]
    filters = {
        "sector": _int_or_none(request.GET.get("linh-vuc")),
        "level": request.GET.get("cap") or None,
        "agency": request.GET.get("co-quan") or None,
        "online": request.GET.get("truc-tuyen") or None,
    }
    procedures = queries.search(q, **filters)
    page = Paginator(procedures, settings.TINHSO["PAGE_SIZE"]).get_page(request.GET.get("trang"))
    context = {"q": q, "page": page, "filters": filters, **queries.facets()}
    template = "catalog/_results.html" if request.htmx else "catalog/list.html"
    return render(request, template, context)


def procedure_detail(request, code: str):
    procedure = queries.procedure_detail(code)
    if procedure is None:
        raise Http404("Không tìm thấy thủ tục.")
    return render(request, "catalog/detail.html", {"procedure": procedure, "version": procedure.current})
