"""The demo PKI over HTTP: its CRLs (the certificates' CRL distribution points) and its RFC 3161 time-stamp service.

Wire with ``path("ky-so/", include("tinhso.signing.urls"))`` (the default ``CRL_URL`` is ``…/ky-so/crl/``). Only in
demo mode: a real installation relies on its CA's and TSA's own services.
"""

from asn1crypto import tsp
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from . import pki, services
from .conf import get_settings

CRL_NAMES = ("root-ca", "issuing-ca")
MAX_REQUEST = 16 * 1024


def _demo_ca() -> pki.DemoCA:
    conf = get_settings()
    ca = pki.DemoCA(conf)
    if not conf.demo or not ca.exists():
        raise Http404("Không có PKI minh họa.")
    return ca


@require_GET
def crl(request, name: str):
    if name not in CRL_NAMES:
        raise Http404("Không có danh sách thu hồi này.")
    ca = _demo_ca()
    der = ca.crl_ders()[CRL_NAMES.index(name)]
    response = HttpResponse(der, content_type="application/pkix-crl")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@csrf_exempt
@require_POST
def timestamp(request):
    if request.content_type != "application/timestamp-query" or len(request.body) > MAX_REQUEST:
        return HttpResponseBadRequest("Cần một yêu cầu application/timestamp-query (RFC 3161).")
    _demo_ca()
    try:
        query = tsp.TimeStampReq.load(request.body)
        query.native  # noqa: B018 - parse fully now, so a malformed request is refused here
    except (ValueError, TypeError):
        return HttpResponseBadRequest("Yêu cầu cấp dấu thời gian không đúng cấu trúc RFC 3161.")
    reply = services.demo_timestamper().respond(query)
    return HttpResponse(reply.dump(), content_type="application/timestamp-reply")
