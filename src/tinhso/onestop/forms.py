"""The printable forms of TT 03/2025/TT-VPCP (Phụ lục I), rendered to PDF with WeasyPrint from Django templates.

=====  ===========================================================  ============================  ===========
Mẫu    Tên                                                           Function                      Số …/
=====  ===========================================================  ============================  ===========
01     Giấy tiếp nhận hồ sơ và hẹn trả kết quả                       :func:`receipt_slip`          TTPVHCC
02     Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ                       :func:`supplement_request`    PBS
03     Phiếu từ chối tiếp nhận giải quyết hồ sơ                      :func:`refusal`               PTC
04     Phiếu xin lỗi và đề nghị gia hạn thời gian giải quyết         :func:`apology`               PXL
05     Thông báo dừng giải quyết hồ sơ                               :func:`stop_notice`           TB-<cơ quan>
06     Phiếu kiểm soát quá trình giải quyết hồ sơ                    :func:`control_slip`          PKS
07     Sổ theo dõi hồ sơ                                             :func:`tracking_book`         STD
=====  ===========================================================  ============================  ===========

Forms 01–06 are A5 portrait, the book A4 landscape [C for TT 01/2018; TT 03/2025 keeps the forms electronic]. Every
date and time is printed in Vietnam's time zone, whatever time zone is active for the request, in the words the
forms use ("09 giờ 05 phút, ngày 06 tháng 10 năm 2025"). The data come from the dossier and its immutable event log
only, so a form printed again later shows the same facts.

The document number (``Số: …``) has no registry of its own yet: by default it is the day's sequence number of the
dossier code; a caller that keeps a yearly number series (NĐ 30/2020 Điều 15) passes ``number=``.
"""

import io
import logging
import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.http import urlencode

from tinhso.core.errors import DomainError
from tinhso.core.models import Agency, Membership, Role

from .models import Dossier, DossierEvent, DossierItem, DossierStep, OneStopRules, Status, SupplementRequest

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
# WeasyPrint reports every layout step at INFO; keep one rendered form from writing a dozen log lines, unless the
# logging settings chose a level for that logger.
if logging.getLogger("weasyprint.progress").level == logging.NOTSET:
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
#: Events that move the dossier from one unit or person to another: one row each on the control slip (form 06).
HANDOVER_ACTIONS = ("accepted", "forwarded", "sent_back", "decided", "returned")
HANDOVER_LABELS = {
    "accepted": "Tiếp nhận, chuyển xử lý",
    "forwarded": "Chuyển bước tiếp theo",
    "sent_back": "Trả lại bước trước",
    "decided": "Phê duyệt kết quả",
    "returned": "Trả kết quả",
}
STEP_RESULTS = dict(DossierStep.Result.choices)
DOTS = "…………"


# --- formatting ---------------------------------------------------------------------------------------------------

def local(moment: datetime | None) -> datetime | None:
    """``moment`` in Vietnam's time zone (the forms never depend on the request's active time zone)."""
    return moment.astimezone(VIETNAM) if moment is not None else None


def format_date(moment: datetime | None) -> str:
    """``ngày 06 tháng 10 năm 2025``."""
    moment = local(moment)
    return f"ngày {moment:%d} tháng {moment:%m} năm {moment:%Y}" if moment else DOTS


def format_time(moment: datetime | None) -> str:
    """``09 giờ 05 phút``."""
    moment = local(moment)
    return f"{moment:%H} giờ {moment:%M} phút" if moment else DOTS


def format_moment(moment: datetime | None) -> str:
    """``09 giờ 05 phút, ngày 06 tháng 10 năm 2025``."""
    return f"{format_time(moment)}, {format_date(moment)}" if moment else DOTS


def format_short(moment: datetime | None) -> str:
    """``09 giờ 05 phút, ngày 06/10/2025``: the same instant, for table cells."""
    moment = local(moment)
    return f"{moment:%H} giờ {moment:%M} phút, ngày {moment:%d/%m/%Y}" if moment else ""


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _place(agency: Agency) -> str:
    """The place name of the date line: the province ("Lạng Sơn, ngày …")."""
    unit = agency.unit.province if agency.unit_id else None
    name = unit.name if unit else ""
    return re.sub(r"^(tỉnh|thành phố)\s+", "", name, flags=re.IGNORECASE) or name


def clean_item_name(name: str) -> str:
    """A component's name without the list dash the catalogue keeps, in NFC (the catalogue has decomposed marks)."""
    return unicodedata.normalize("NFC", re.sub(r"^[\s\-–+•*]+", "", name).strip())


# --- shared pieces ------------------------------------------------------------------------------------------------

def site_url() -> str:
    return getattr(settings, "TINHSO", {}).get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")


def lookup_url(dossier: Dossier) -> str:
    """The public lookup page for this dossier, with its code and the secret printed on the receipt."""
    return f"{site_url()}/tra-cuu/?{urlencode({'ma': dossier.code or '', 'khoa': dossier.lookup_secret})}"


def qr_data_uri(text: str) -> str:
    """A QR code (error correction M) as a PNG data URI: pure Python, nothing fetched from outside."""
    return segno.make(text, error="m", micro=False).png_data_uri(scale=4, border=2)


def _number(dossier: Dossier, number: str | None) -> str:
    if number:
        return number
    if dossier.code and "-" in dossier.code:
        return dossier.code.rsplit("-", 1)[1]
    return DOTS


def _header(agency: Agency, number: str, suffix: str, moment: datetime | None) -> dict:
    """The two header columns: the parent body (Ủy ban nhân dân written UBND, as NĐ 30/2020 allows for it) and the
    issuing agency with the number; the national motto with the place and date."""
    parent = agency.parent.name if agency.parent_id else ""
    parent = re.sub(r"^(Ủy|Uỷ) ban nhân dân", "UBND", parent, flags=re.IGNORECASE)
    place = _place(agency)
    return {
        "parent": parent.upper(),
        "agency": agency.name.upper(),
        "number": f"Số: {number}/{suffix}",
        "place_date": f"{place}, {format_date(moment)}" if place else format_date(moment).capitalize(),
    }


def _title_of(user_id: int | None, agency: Agency | None, role: str) -> str:
    """The signer's title: the membership's title at that agency, else the role's name."""
    if user_id and agency is not None:
        membership = (Membership.objects.filter(user_id=user_id, agency=agency, is_active=True)
                      .exclude(title="").order_by("id").first())
        if membership is not None:
            return membership.title
    if role in Role.values:
        return str(Role(role).label)
    return ""


def _signer(event: DossierEvent | None, fallback_title: str, agency: Agency | None = None) -> dict:
    if event is None or (event.actor_id is None and event.actor_name in ("", "hệ thống")):
        return {"title": fallback_title, "name": ""}
    title = _title_of(event.actor_id, agency or event.agency, event.actor_role) or fallback_title
    return {"title": title, "name": event.actor_name}


def _last_event(dossier: Dossier, *actions: str) -> DossierEvent | None:
    return (dossier.events.filter(action__in=actions).select_related("agency", "actor")
            .order_by("-at", "-id").first())


def _applicant(dossier: Dossier) -> dict:
    return {
        "name": dossier.applicant_name,
        "id_number": dossier.applicant_id_number,
        "address": dossier.applicant_address,
        "phone": dossier.applicant_phone,
        "email": dossier.applicant_email,
    }


def _base_context(dossier: Dossier) -> dict:
    return {
        "dossier": dossier,
        "code": dossier.code or "",
        "procedure": unicodedata.normalize("NFC", dossier.procedure_version.name),
        "procedure_code": dossier.procedure_version.procedure.code,
        "applicant": _applicant(dossier),
        "received": format_moment(dossier.received_at),
        "received_date": format_date(dossier.received_at),
    }


def render_pdf(template: str, context: dict) -> bytes:
    """Render a form template to PDF. Only ``data:`` URLs are fetched: a form never reaches the network or disk."""
    from weasyprint import HTML, URLFetcher

    html = render_to_string(template, context)
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=("data",))).write_pdf()


# --- 01 Giấy tiếp nhận hồ sơ và hẹn trả kết quả ------------------------------------------------------------------

def received_items(dossier: Dossier) -> list[DossierItem]:
    """The components on the receipt: those with files (online); on paper, the mandatory ones and any with files."""
    items = list(dossier.items.select_related("component").prefetch_related("attachments"))
    with_files = [i for i in items if i.attachments.all()]
    if dossier.is_online:
        return with_files or [i for i in items if i.mandatory]
    return [i for i in items if i.mandatory or i.attachments.all()]


def receipt_slip(dossier: Dossier, *, number: str | None = None) -> bytes:
    """Mẫu 01: the receipt and appointment slip, with a QR code to the public lookup page and the lookup secret."""
    if dossier.received_at is None or not dossier.code:
        raise DomainError("not_received", "Hồ sơ chưa được tiếp nhận nên chưa có giấy tiếp nhận và hẹn trả kết quả.")
    agency = dossier.receiving_agency
    accepted = _last_event(dossier, "accepted")
    items = []
    for index, item in enumerate(received_items(dossier), start=1):
        component = item.component
        items.append({
            "index": index,
            "name": clean_item_name(item.name),
            "originals": component.originals if component and component.originals else "",
            "copies": component.copies if component and component.copies else "",
            "digitised": item.digitised or bool(item.attachments.all()),
        })
    delivery = dossier.get_delivery_display()
    if dossier.delivery == Dossier.Delivery.POST and dossier.delivery_address:
        delivery = f"{delivery}: {dossier.delivery_address}"
    elif dossier.delivery == Dossier.Delivery.DESK:
        delivery = f"{delivery} — {agency.name}" + (f", {agency.address}" if agency.address else "")
    url = lookup_url(dossier)
    context = {
        **_base_context(dossier),
        "header": _header(agency, _number(dossier, number), agency.short_name or "TTPVHCC", dossier.received_at),
        "receiving_agency": agency,
        "items": items,
        "sets": f"{dossier.sets:02d}",
        "time_limit": dossier.channel.time_display,
        "channel": dossier.channel.get_kind_display(),
        "due": format_moment(dossier.due_at),
        "delivery": delivery,
        "officer": _signer(accepted, "Người tiếp nhận hồ sơ", agency),
        "qr": qr_data_uri(url),
        "lookup_url": url,
        "lookup_page": f"{site_url()}/tra-cuu/",
        "lookup_secret": dossier.lookup_secret,
    }
    return render_pdf("onestop/forms/01_receipt.html", context)


# --- 02 Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ ------------------------------------------------------------------

def supplement_request(dossier: Dossier, request: SupplementRequest, *, number: str | None = None) -> bytes:
    """Mẫu 02: every item to complete, numbered, the reason, the deadline and whom to contact."""
    # the event is written just after the request (same transaction): the first one at or after its time
    event = (dossier.events.filter(action="supplement_requested", at__gte=request.requested_at)
             .select_related("agency").order_by("at", "id").first())
    if request.stage == SupplementRequest.Stage.RECEPTION:
        agency = dossier.receiving_agency
    else:
        agency = event.agency if event and event.agency else dossier.handling_agency
    officer = request.requested_by
    if request.stage == SupplementRequest.Stage.RECEPTION:
        clock_note = "Hồ sơ được tiếp nhận và tính thời hạn giải quyết khi đã bổ sung, hoàn thiện đầy đủ."
    elif (dossier.rules or {}).get("supplement_clock") == OneStopRules.SupplementClock.RESTART:
        clock_note = "Thời hạn giải quyết được tính lại từ đầu sau khi nhận đủ hồ sơ bổ sung, hoàn thiện."
    else:
        clock_note = "Thời gian chờ bổ sung, hoàn thiện hồ sơ không tính vào thời hạn giải quyết."
    contact_phone = (officer.phone if officer else "") or agency.phone or dossier.receiving_agency.phone
    context = {
        **_base_context(dossier),
        "header": _header(agency, _number(dossier, number), "PBS", request.requested_at),
        "agency": agency,
        "stage": request.get_stage_display(),
        "submitted": format_moment(dossier.submitted_at),
        "items": [{"index": i, "text": text} for i, text in enumerate(request.items, start=1)],
        "reason": request.reason,
        "clock_note": clock_note,
        "requested": format_moment(request.requested_at),
        "wait_until": format_moment(request.wait_until) if request.wait_until else "",
        "contact": {"name": str(officer) if officer else "", "phone": contact_phone},
        "signer": {"title": _title_of(officer.pk if officer else None, agency, event.actor_role if event else "")
                   or "Người hướng dẫn", "name": str(officer) if officer else ""},
    }
    return render_pdf("onestop/forms/02_supplement.html", context)


# --- 03 Phiếu từ chối tiếp nhận giải quyết hồ sơ ------------------------------------------------------------------

def refusal(dossier: Dossier, reason: str | None = None, *, number: str | None = None) -> bytes:
    """Mẫu 03: refusal to receive (status 3), or to handle after appraisal (a decision "refused", Điều 19.8)."""
    event = _last_event(dossier, "refused")
    if event is None:
        decided = _last_event(dossier, "decided")
        if decided is not None and decided.data.get("outcome") == Dossier.Outcome.REFUSED:
            event = decided
    if reason is None:
        reason = event.note if event else ""
    agency = (event.agency if event and event.agency else None) or dossier.receiving_agency
    context = {
        **_base_context(dossier),
        "header": _header(agency, _number(dossier, number), "PTC", event.at if event else None),
        "agency": agency,
        "after_appraisal": bool(event and event.action == "decided"),
        "submitted": format_moment(dossier.submitted_at or dossier.created_at),
        "reason": reason,
        "signer": _signer(event, "Người tiếp nhận hồ sơ", agency),
    }
    return render_pdf("onestop/forms/03_refusal.html", context)


# --- 04 Phiếu xin lỗi và đề nghị gia hạn thời gian giải quyết ----------------------------------------------------

def apology(dossier: Dossier, *, number: str | None = None) -> bytes:
    """Mẫu 04: the apology with the reason for the delay, the original and the new appointment."""
    event = _last_event(dossier, "apologised")
    if event is None:
        raise DomainError("no_apology", "Hồ sơ chưa có văn bản xin lỗi và hẹn lại ngày trả kết quả.")
    agency = event.agency or dossier.handling_agency
    context = {
        **_base_context(dossier),
        "header": _header(agency, _number(dossier, number), "PXL", event.at),
        "agency": agency,
        "receiving_agency": dossier.receiving_agency,
        "original_due": format_moment(_parse(event.data.get("original_due")) or dossier.original_due_at),
        "new_due": format_moment(_parse(event.data.get("new_due")) or dossier.due_at),
        "reason": event.note,
        "signer": _signer(event, "Thủ trưởng cơ quan", agency),
    }
    return render_pdf("onestop/forms/04_apology.html", context)


# --- 05 Thông báo dừng giải quyết hồ sơ ---------------------------------------------------------------------------

def stop_notice(dossier: Dossier, *, number: str | None = None) -> bytes:
    """Mẫu 05: the notice that the handling of the dossier stopped, with the reason (TT 03/2025 Điều 7)."""
    event = _last_event(dossier, "stopped")
    if event is None:
        raise DomainError("not_stopped", "Hồ sơ không bị dừng giải quyết.")
    agency = dossier.receiving_agency
    context = {
        **_base_context(dossier),
        "header": _header(agency, _number(dossier, number), f"TB-{agency.short_name or 'TTPVHCC'}", event.at),
        "agency": agency,
        "handling_agency": dossier.handling_agency,
        "submitted": format_moment(dossier.submitted_at or dossier.created_at),
        "stopped": format_moment(event.at),
        "reason": event.note,
        "by_system": event.actor_id is None,
        "signer": _signer(event, "Bộ phận tiếp nhận và trả kết quả", agency),
    }
    return render_pdf("onestop/forms/05_stop.html", context)


# --- 06 Phiếu kiểm soát quá trình giải quyết hồ sơ ---------------------------------------------------------------

def control_slip_rows(dossier: Dossier) -> list[dict]:
    """One row per hand-over, from the event log: who gave and who received (unit, person), when, and the result
    of the step that was handed over (Trước hạn / Đúng hạn / Quá hạn).

    The receiving person is whoever acted next on the receiving step (else its assignee). The result is the one the
    event recorded (``data["result"]``) if any, else the step's own result when this event finished the step for the
    last time; an earlier run of a step that was sent back has no recorded result.
    """
    events = list(dossier.events.filter(action__in=HANDOVER_ACTIONS)
                  .select_related("agency", "from_step__agency", "from_step__assignee",
                                  "to_step__agency", "to_step__assignee")
                  .order_by("at", "id"))
    last_finish = {}
    for event in events:
        if event.from_step_id:
            last_finish[event.from_step_id] = event.pk
    rows = []
    for index, event in enumerate(events):
        giver_step, to_step = event.from_step, event.to_step
        giver_agency = event.agency or (giver_step.agency if giver_step else None)
        if event.action == "returned" or to_step is None or to_step.pk == event.from_step_id:
            receiver_agency = "Tổ chức, cá nhân nộp hồ sơ"
            receiver_person = dossier.recipient_name or dossier.applicant_name
            receiver_step = ""
        else:
            receiver_agency = to_step.agency.name
            later = next((e for e in events[index + 1:] if e.from_step_id == to_step.pk), None)
            receiver_person = later.actor_name if later else (str(to_step.assignee) if to_step.assignee else "")
            receiver_step = to_step.name
        result = event.data.get("result", "")
        if not result and giver_step is not None and last_finish.get(giver_step.pk) == event.pk:
            result = giver_step.result
        note = event.note
        if event.action == "sent_back" and note:
            note = f"Trả lại: {note}"
        rows.append({
            "index": len(rows) + 1,
            "action": event.action,
            "action_label": HANDOVER_LABELS[event.action],
            "at": event.at,
            "time": format_short(event.at),
            "giver_agency": giver_agency.name if giver_agency else "",
            "giver_person": event.actor_name,
            "giver_step": giver_step.name if giver_step else "",
            "receiver_agency": receiver_agency,
            "receiver_person": receiver_person,
            "receiver_step": receiver_step,
            "result": result,
            "result_label": STEP_RESULTS.get(result, ""),
            "note": note,
        })
    return rows


def control_slip(dossier: Dossier, *, number: str | None = None) -> bytes:
    """Mẫu 06: the processing control slip, "recorded automatically by the system"."""
    agency = dossier.receiving_agency
    steps = list(dossier.steps.select_related("agency"))
    lead = dossier.handling_agency
    cooperating = {s.agency_id: s.agency.name for s in steps if s.agency_id not in (lead.pk, agency.pk)}
    for consultation in dossier.consultations.select_related("agency"):
        cooperating.setdefault(consultation.agency_id, consultation.agency.name)
    context = {
        **_base_context(dossier),
        "header": _header(agency, _number(dossier, number), "PKS", dossier.received_at),
        "agency": agency,
        "lead": lead,
        "cooperating": list(cooperating.values()),
        "due": format_moment(dossier.due_at),
        "original_due": format_moment(dossier.original_due_at) if dossier.original_due_at != dossier.due_at else "",
        "rows": control_slip_rows(dossier),
    }
    return render_pdf("onestop/forms/06_control.html", context)


# --- 07 Sổ theo dõi hồ sơ -----------------------------------------------------------------------------------------

BOOK_COLUMNS = (
    ("STT", 6),
    ("Mã hồ sơ", 26),
    ("Tên thủ tục hành chính", 48),
    ("Tên cá nhân, tổ chức", 26),
    ("Địa chỉ, số điện thoại", 32),
    ("Cơ quan chủ trì giải quyết", 30),
    ("Ngày, giờ nhận hồ sơ", 18),
    ("Ngày, giờ hẹn trả kết quả", 18),
    ("Ngày, giờ trả kết quả", 18),
    ("Hình thức nhận kết quả", 24),
    ("Ký nhận", 22),
    ("Ghi chú", 22),
)


def _book_dossiers(dossiers: Iterable[Dossier]) -> list[Dossier]:
    if hasattr(dossiers, "select_related") and not dossiers.query.is_sliced:
        dossiers = dossiers.select_related("procedure_version", "handling_agency", "receiving_agency")
    return list(dossiers)


def _book_note(dossier: Dossier) -> str:
    """The status while not returned, and "Quá hạn" when the dossier finished (or is still open) after its due time."""
    parts = [] if dossier.status == Status.RETURNED else [dossier.get_status_display()]
    if dossier.due_at and dossier.status not in (Status.REFUSED, Status.WITHDRAWN, Status.STOPPED):
        end = dossier.finished_at or datetime.now(VIETNAM)
        if end > dossier.due_at:
            parts.append("Quá hạn")
    return "; ".join(parts)


def _book_row(index: int, dossier: Dossier) -> dict:
    contact = ", ".join(p for p in (dossier.applicant_address, dossier.applicant_phone) if p)
    if dossier.returned_at:
        signed = dossier.recipient_name or dossier.tracking_number or ""
    else:
        signed = ""
    return {
        "index": index,
        "code": dossier.code or "",
        "procedure": unicodedata.normalize("NFC", dossier.procedure_version.name),
        "applicant": dossier.applicant_name,
        "contact": contact,
        "lead": dossier.handling_agency.name,
        "received_at": dossier.received_at,
        "due_at": dossier.due_at,
        "returned_at": dossier.returned_at,
        "delivery": dossier.get_delivery_display(),
        "signed": signed,
        "note": _book_note(dossier),
    }


def _cell_moment(moment: datetime | None) -> str:
    moment = local(moment)
    return f"{moment:%H} giờ {moment:%M}, {moment:%d/%m/%Y}" if moment else ""


def tracking_book(dossiers: Iterable[Dossier], *, title: str = "Sổ theo dõi hồ sơ", agency: Agency | None = None,
                  number: str | None = None, printed_at: datetime | None = None) -> bytes:
    """Mẫu 07 as an A4-landscape PDF: one row per dossier, columns of TT 03/2025 Phụ lục I."""
    dossiers = _book_dossiers(dossiers)
    if agency is None:
        agencies = {d.receiving_agency_id: d.receiving_agency for d in dossiers}
        agency = next(iter(agencies.values())) if len(agencies) == 1 else None
    rows = []
    for index, dossier in enumerate(dossiers, start=1):
        row = _book_row(index, dossier)
        row.update(received=_cell_moment(row["received_at"]), due=_cell_moment(row["due_at"]),
                   returned=_cell_moment(row["returned_at"]))
        rows.append(row)
    printed_at = printed_at or datetime.now(VIETNAM)
    total = sum(width for _name, width in BOOK_COLUMNS)
    context = {
        "title": title,
        "header": _header(agency, number or DOTS, "STD", printed_at) if agency else None,
        "columns": [{"name": name, "width": f"{width * 100 / total:.1f}"} for name, width in BOOK_COLUMNS],
        "rows": rows,
        "printed": format_moment(printed_at),
    }
    return render_pdf("onestop/forms/07_book.html", context)


def tracking_book_xlsx(dossiers: Iterable[Dossier]) -> bytes:
    """Mẫu 07 as an Excel workbook: a bold header row, real dates (Vietnam time), set column widths."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Sổ theo dõi hồ sơ"
    sheet.append([name for name, _width in BOOK_COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for index, width in enumerate((w for _name, w in BOOK_COLUMNS), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width

    def naive(moment: datetime | None) -> datetime | None:
        return local(moment).replace(tzinfo=None) if moment else None

    for index, dossier in enumerate(_book_dossiers(dossiers), start=1):
        row = _book_row(index, dossier)
        sheet.append([row["index"], row["code"], row["procedure"], row["applicant"], row["contact"], row["lead"],
                      naive(row["received_at"]), naive(row["due_at"]), naive(row["returned_at"]), row["delivery"],
                      row["signed"], row["note"]])
        for column in (7, 8, 9):
            sheet.cell(row=sheet.max_row, column=column).number_format = "dd/mm/yyyy hh:mm"
        for cell in sheet[sheet.max_row]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
