"""Printable forms of a dossier for staff (TT 03/2025 forms 01–06), rendered on demand from the history."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse

from tinhso.core.errors import DomainError

from . import forms, queries

#: slug → (label, renderer). Each renderer raises DomainError when the form does not apply to the dossier.
FORMS = {
    "01-giay-tiep-nhan": ("Mẫu 01 — Giấy tiếp nhận hồ sơ và hẹn trả kết quả", forms.receipt_slip),
    "02-phieu-yeu-cau-bo-sung": ("Mẫu 02 — Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ", None),
    "03-phieu-tu-choi": ("Mẫu 03 — Phiếu từ chối tiếp nhận giải quyết hồ sơ", forms.refusal),
    "04-phieu-xin-loi": ("Mẫu 04 — Phiếu xin lỗi và đề nghị gia hạn", forms.apology),
    "05-thong-bao-dung": ("Mẫu 05 — Thông báo dừng giải quyết hồ sơ", forms.stop_notice),
    "06-phieu-kiem-soat": ("Mẫu 06 — Phiếu kiểm soát quá trình giải quyết hồ sơ", forms.control_slip),
}


def available_forms(dossier) -> list[tuple[str, str]]:
    """The forms that apply to this dossier now (slug, label), for the dossier page."""
    actions = {e.action for e in dossier.events.all()}
    applies = {
        "01-giay-tiep-nhan": dossier.received_at is not None,
        "02-phieu-yeu-cau-bo-sung": dossier.supplement_requests.exists(),
        "03-phieu-tu-choi": "refused" in actions or dossier.outcome == "refused",
        "04-phieu-xin-loi": "apologised" in actions,
        "05-thong-bao-dung": "stopped" in actions,
        "06-phieu-kiem-soat": dossier.received_at is not None,
    }
    return [(slug, FORMS[slug][0]) for slug, ok in applies.items() if ok]


@login_required
def dossier_form(request, pk: int, slug: str):
    dossier = queries.dossier_for_staff(request.user, pk)  # 404 unless visible to this staff member
    if slug not in FORMS:
        raise Http404("Không có biểu mẫu này.")
    try:
        if slug == "02-phieu-yeu-cau-bo-sung":
            request_ = dossier.supplement_requests.order_by("-requested_at").first()
            if request_ is None:
                raise Http404("Hồ sơ không có yêu cầu bổ sung.")
            pdf = forms.supplement_request(dossier, request_)
        else:
            pdf = FORMS[slug][1](dossier)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{dossier.code or dossier.pk}-{slug}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
