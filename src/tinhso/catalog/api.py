"""Catalogue API: search procedures and read one, with channels, processing times and fees as numbers."""

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from tinhso.core.errors import NotFound

from . import queries
from .models import Procedure, ProcedureVersion

router = Router(tags=["Thủ tục hành chính"])


class ProcedureSummary(Schema):
    code: str
    name: str
    sector: str | None
    levels: list[str]
    online_level: str
    url: str

    @staticmethod
    def from_procedure(p: Procedure) -> "ProcedureSummary":
        v = p.current
        return ProcedureSummary(
            code=p.code, name=v.name, sector=v.sector.name if v.sector_id else None, levels=v.levels,
            online_level=v.online_level, url=f"/thu-tuc/{p.code}/",
        )


class TimeOut(Schema):
    value: float | None = Field(description="Số lượng; null khi danh mục không ghi thời hạn")
    unit: str | None = Field(description="working_day | working_hour | day | hour | month")
    unit_label: str | None
    text: str


class FeeOut(Schema):
    amount: int | None = Field(description="Số tiền, đồng (VND); null khi không tính bằng đồng")
    currency: str
    original_amount: float | None = Field(description="Số tiền theo đơn vị gốc (ví dụ USD)")
    text: str


class ChannelOut(Schema):
    kind: str = Field(description="direct | online | postal")
    kind_label: str
    processing_time: TimeOut
    free: bool
    fee_note: str = Field(description="Ghi chú kèm “Miễn phí”, ví dụ phí do HĐND tỉnh quy định")
    fees: list[FeeOut]
    description: str


class ComponentOut(Schema):
    group: str
    name: str
    template_name: str
    originals: int
    copies: int
    mandatory: bool


class StepOut(Schema):
    order: int
    name: str
    role: str
    agency: str | None
    share_percent: float


class ProcedureDetail(Schema):
    code: str
    version: int
    name: str
    decision_number: str
    kind: str
    sector: str | None
    levels: list[str]
    online_level: str
    deadline_mode: str
    subjects: str
    competent_agency: str
    implementing_agency: str
    implementing_agencies: list[dict]
    receiving_address: str
    channels: list[ChannelOut]
    components: list[ComponentOut]
    conditions: str
    results: list[dict]
    legal_basis: list[dict]
    steps: list[str]
    process: list[StepOut]
    source_url: str


def detail_out(p: Procedure) -> ProcedureDetail:
    v: ProcedureVersion = p.current
    return ProcedureDetail(
        code=p.code, version=v.number, name=v.name, decision_number=v.decision_number, kind=v.kind,
        sector=v.sector.name if v.sector_id else None, levels=v.levels, online_level=v.online_level,
        deadline_mode=v.deadline_mode, subjects=v.subjects, competent_agency=v.competent_agency_text,
        implementing_agency=v.implementing_agency_text,
        implementing_agencies=[{"code": a.code, "name": a.name} for a in v.implementing_agencies.all()],
        receiving_address=v.receiving_address,
        channels=[
            ChannelOut(
                kind=c.kind, kind_label=c.get_kind_display(),
                processing_time=TimeOut(
                    value=float(c.time_value) if c.time_value is not None else None,
                    unit=c.time_unit or None, unit_label=c.get_time_unit_display() if c.time_unit else None,
                    text=c.time_display,
                ),
                free=c.free, fee_note=c.fee_note,
                fees=[FeeOut(amount=f.amount, currency=f.currency, text=f.text,
                             original_amount=float(f.original_amount) if f.original_amount is not None else None)
                      for f in c.fees.all()],
                description=c.description,
            )
            for c in v.channels.all()
        ],
        components=[
            ComponentOut(group=c.group, name=c.name, template_name=c.template_name, originals=c.originals,
                         copies=c.copies, mandatory=c.mandatory)
            for c in v.components.all()
        ],
        conditions=v.conditions, results=v.results, legal_basis=v.legal_basis, steps=v.steps,
        process=[
            StepOut(order=s.order, name=s.name, role=s.role, agency=s.agency.name if s.agency_id else None,
                    share_percent=float(s.share_percent))
            for s in v.process_steps.all()
        ],
        source_url=v.source_url,
    )


@router.get("", response=list[ProcedureSummary], summary="Tìm thủ tục (không phân biệt dấu, hoa thường)")
@paginate(LimitOffsetPagination)
def list_procedures(request: HttpRequest, q: str = "", sector: int | None = None, level: str | None = None,
                    agency: str | None = None, online: str | None = None):
    procedures = queries.search(q[:200], sector=sector, level=level, agency=agency, online=online)
    return [ProcedureSummary.from_procedure(p) for p in procedures]


@router.get("/{code}", response=ProcedureDetail, summary="Một thủ tục với thời hạn và phí theo từng cách nộp")
def get_procedure(request: HttpRequest, code: str):
    procedure = queries.procedure_detail(code)
    if procedure is None:
        raise NotFound("procedure_not_found", f"Không tìm thấy thủ tục mã {code}.")
    return detail_out(procedure)
