"""The electronic receipt (biên lai thu phí, lệ phí điện tử) of a paid payment, as PDF (WeasyPrint, like the
one-stop forms). The facts come from the payment and the dossier only, so a receipt printed again says the same.
A payment through the sandbox provider is printed with "GIAO DỊCH THỬ NGHIỆM — KHÔNG CÓ GIÁ TRỊ THANH TOÁN".
"""

import logging
import re
import unicodedata
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string

from tinhso.core.errors import DomainError
from tinhso.core.templatetags.humanize_vi import format_vnd

from . import providers
from .fees import amount_in_words
from .models import Payment, PaymentState

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
if logging.getLogger("weasyprint.progress").level == logging.NOTSET:
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text or "")


def _when(moment) -> str:
    moment = moment.astimezone(VIETNAM)
    return f"{moment:%H} giờ {moment:%M} phút, ngày {moment:%d/%m/%Y}"


def context(payment: Payment) -> dict:
    if payment.state != PaymentState.PAID:
        raise DomainError("not_paid", "Giao dịch chưa được thanh toán nên chưa có biên lai.")
    dossier = payment.dossier
    agency = dossier.receiving_agency
    parent = agency.parent.name if agency.parent_id else ""
    parent = re.sub(r"^(Ủy|Uỷ) ban nhân dân", "UBND", parent, flags=re.IGNORECASE)
    lines = [line for line in (payment.breakdown or {}).get("lines", []) if line.get("amount")]
    if not lines or sum(line["amount"] for line in lines) != payment.amount:
        lines = [{"label": payment.get_purpose_display(), "amount": payment.amount}]
    try:
        provider_name = providers.get(payment.provider).name
        is_test = providers.get(payment.provider).is_test
    except DomainError:
        provider_name, is_test = payment.provider, payment.provider == "sandbox"
    return {
        "payment": payment, "dossier": dossier, "parent": parent.upper(), "agency": agency.name.upper(),
        "number": payment.receipt_number, "procedure": _nfc(dossier.procedure_version.name),
        "procedure_code": dossier.procedure_version.procedure.code, "purpose": payment.get_purpose_display(),
        "lines": [{"label": _nfc(line.get("label") or payment.get_purpose_display()),
                   "detail": _nfc(line.get("detail", "")), "amount": format_vnd(line["amount"])} for line in lines],
        "total": format_vnd(payment.amount), "words": amount_in_words(payment.amount),
        "paid_at": _when(payment.paid_at), "provider": provider_name, "is_test": is_test,
        "date_line": f"Ngày {payment.paid_at.astimezone(VIETNAM):%d} tháng {payment.paid_at.astimezone(VIETNAM):%m} "
                     f"năm {payment.paid_at.astimezone(VIETNAM):%Y}",
    }


def receipt_pdf(payment: Payment) -> bytes:
    """The receipt as PDF. Only ``data:`` URLs are fetched: rendering never reaches the network or the disk."""
    from weasyprint import HTML, URLFetcher

    html = render_to_string("payments/receipt.html", context(payment))
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=("data",))).write_pdf()
