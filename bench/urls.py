"""The platform's URLs plus a bare Django JSON view: the baseline every HTTP benchmark measures in the same run."""

from django.http import JsonResponse
from django.urls import include, path


def bare(request):
    return JsonResponse({"ok": True})


urlpatterns = [path("_bench/bare", bare), path("", include("tinhso.urls"))]
