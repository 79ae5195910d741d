"""State changes of the catalogue: importing procedures and configuring them for the province.

Importing is idempotent: a record whose content has not changed is left alone; a changed one becomes a new
``ProcedureVersion`` (dossiers received under the old version keep it). What the province configured on the previous
version (online level, deadline mode, implementing agencies, process template) carries over to the new one.
"""

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from tinhso.core import permissions
from tinhso.core.errors import DomainError
from tinhso.core.models import Agency, Role, User
from tinhso.core.services import record
from tinhso.core.text import fold

from .models import Channel, Component, Fee, Procedure, ProcedureVersion, ProcessStep, Sector
from .parsing import (
    CHANNEL_ONLINE,
    LEVEL_COMMUNE,
    LEVEL_MINISTRY,
    LEVEL_PROVINCE,
    ParsedProcedure,
    assume_time_unit,
    is_conditional,
    iter_catalogue,
    parse_rate,
    parse_record,
)

CREATED, UPDATED, UNCHANGED, FAILED = "created", "updated", "unchanged", "failed"

#: Keys of a national catalogue record; any other key is reported (the record still imports).
KNOWN_FIELDS = frozenset({
    "ma_thu_tuc", "ten_thu_tuc", "so_quyet_dinh", "cap_thuc_hien", "loai_thu_tuc", "linh_vuc", "doi_tuong_thuc_hien",
    "co_quan_co_tham_quyen", "co_quan_thuc_hien", "co_quan_phoi_hop", "co_quan_duoc_uy_quyen", "dia_chi_tiep_nhan",
    "trinh_tu_thuc_hien", "cach_thuc_thuc_hien", "thanh_phan_ho_so", "can_cu_phap_ly", "yeu_cau_dieu_kien",
    "ket_qua_xu_ly", "thu_tuc_lien_quan", "raw_text", "detail_url", "formality_id", "_source_path",
})


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    failures: list[dict] = field(default_factory=list)   # records not imported, with the reason
    warnings: list[dict] = field(default_factory=list)   # fields not understood; the record was imported
    parse: dict = field(default_factory=dict)            # parse_rate() of the records as written
    parse_with_assumed_unit: dict | None = None          # the same after assume_time_unit(), when asked

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + self.failed

    def counts(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged, "failed": self.failed}

    def as_json(self) -> dict:
        return {**self.counts(), "parse": self.parse, "parse_with_assumed_unit": self.parse_with_assumed_unit,
                "failures": self.failures, "warnings": self.warnings}


def content_hash(parsed: ParsedProcedure) -> str:
    data = asdict(parsed)
    data.pop("problems", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def _copy_local_configuration(previous: ProcedureVersion | None, version: ProcedureVersion) -> None:
    if previous is None:
        return
    version.implementing_agencies.set(previous.implementing_agencies.all())
    ProcessStep.objects.bulk_create(
        ProcessStep(version=version, order=s.order, name=s.name, role=s.role, agency_id=s.agency_id,
                    share_percent=s.share_percent)
        for s in previous.process_steps.all()
    )


def _write_version(procedure: Procedure, parsed: ParsedProcedure, digest: str,
                   previous: ProcedureVersion | None) -> ProcedureVersion:
    sector = None
    if parsed.field:
        sector, _ = Sector.objects.get_or_create(name=parsed.field[:200])
    has_online = any(c.kind == CHANNEL_ONLINE for c in parsed.channels)
    if previous is not None:
        online_level, deadline_mode, use_cutoff = previous.online_level, previous.deadline_mode, previous.use_cutoff
        if not has_online:
            online_level = ProcedureVersion.OnlineLevel.NONE
        elif online_level == ProcedureVersion.OnlineLevel.NONE:
            online_level = ProcedureVersion.OnlineLevel.PARTIAL
    else:
        online_level = ProcedureVersion.OnlineLevel.PARTIAL if has_online else ProcedureVersion.OnlineLevel.NONE
        deadline_mode, use_cutoff = ProcedureVersion.DeadlineMode.HOURS, True
    version = ProcedureVersion.objects.create(
        procedure=procedure,
        number=(previous.number + 1) if previous else 1,
        effective_from=timezone.now(),
        content_hash=digest,
        name=parsed.name[:1000],
        decision_number=parsed.decision_number[:200],
        kind=parsed.kind[:200],
        sector=sector,
        level_ministry=LEVEL_MINISTRY in parsed.levels,
        level_province=LEVEL_PROVINCE in parsed.levels,
        level_commune=LEVEL_COMMUNE in parsed.levels,
        subjects=parsed.subjects,
        competent_agency_text=parsed.competent_agency,
        implementing_agency_text=parsed.implementing_agency,
        coordinating_agency_text=parsed.coordinating_agency,
        receiving_address=parsed.receiving_address,
        legal_basis=[{"title": b.title, "number": b.number} for b in parsed.legal_basis],
        conditions=parsed.conditions,
        results=[{"name": r.name, "code": r.code} for r in parsed.results],
        steps=list(parsed.steps),
        source_url=parsed.source_url[:500],
        online_level=online_level,
        deadline_mode=deadline_mode,
        use_cutoff=use_cutoff,
    )
    for order, parsed_channel in enumerate(parsed.channels, start=1):
        channel = Channel.objects.create(
            version=version,
            order=order,
            kind=parsed_channel.kind,
            time_value=parsed_channel.time_value,
            time_unit=parsed_channel.time_unit or "",
            time_text=parsed_channel.time_text[:200],
            free=parsed_channel.free,
            fee_note=parsed_channel.fee_note,
            description=parsed_channel.description,
        )
        Fee.objects.bulk_create(
            Fee(channel=channel, amount=f.amount, currency=f.currency, original_amount=f.original_amount, text=f.text)
            for f in parsed_channel.fees
        )
    Component.objects.bulk_create(
        Component(version=version, order=i, group=c.group[:500], name=c.name, template_name=c.template[:500],
                  originals=c.originals, copies=c.copies, mandatory=not is_conditional(c.name))
        for i, c in enumerate(parsed.components, start=1)
    )
    _copy_local_configuration(previous, version)
    return version


@transaction.atomic
def save_parsed(parsed: ParsedProcedure) -> str:
    """Store one parsed procedure; returns created / updated / unchanged."""
    digest = content_hash(parsed)
    procedure = _locked_procedure(parsed.code)
    previous = procedure.current if procedure is not None else None
    if previous is not None and previous.content_hash == digest:
        return UNCHANGED
    if procedure is None:
        procedure = Procedure.objects.create(code=parsed.code)
    version = _write_version(procedure, parsed, digest, previous)
    procedure.current = version
    procedure.search_text = fold(" ".join(filter(None, [parsed.code, parsed.name, parsed.field])))
    procedure.save(update_fields=["current", "search_text", "updated_at"])
    return UPDATED if previous is not None else CREATED


def _locked_procedure(code: str) -> Procedure | None:
    return Procedure.objects.select_for_update(of=("self",)).filter(code=code).select_related("current").first()


def _problem_rows(code: str, line: int | None, problems) -> list[dict]:
    return [{"line": line, "code": code, "field": p.field, "problem": p.code, "message": p.message} for p in problems]


def import_records(records: Iterable[tuple[int, dict | None, str | None]], *, actor: User | None = None,
                   progress: Callable[[], None] | None = None, source: str = "",
                   assume_unit: str | None = None) -> ImportReport:
    """Import ``(line, record, error)`` triples (see ``parsing.iter_catalogue``); one transaction per record, so a
    bad record never costs the good ones. Every failure and warning is reported with the record's code.

    ``report.parse`` measures the catalogue as written; with ``assume_unit`` (see ``parsing.assume_time_unit``),
    ``report.parse_with_assumed_unit`` measures it after bare numbers were given that unit.
    """
    if actor is not None:
        permissions.require_role(actor, [Role.ADMINISTRATOR])
    if assume_unit is not None and assume_unit not in Channel.Unit.values:
        raise DomainError("invalid_unit", f"Đơn vị “{assume_unit}” không hợp lệ.", field="assume_unit")
    report = ImportReport()
    parsed_records: list[tuple[int, dict, ParsedProcedure]] = []
    for line, raw, error in records:
        if raw is None:
            report.failed += 1
            report.failures.append({"line": line, "code": None, "field": None, "problem": "record_invalid",
                                    "message": f"Dòng {line}: không đọc được bản ghi ({error})."})
            if progress:
                progress()
            continue
        parsed_records.append((line, raw, parse_record(raw)))
    all_parsed = [parsed for _, _, parsed in parsed_records]
    report.parse = parse_rate(all_parsed)
    if assume_unit is not None:
        assumed = sum(assume_time_unit(parsed, assume_unit) for parsed in all_parsed)
        report.parse_with_assumed_unit = {**parse_rate(all_parsed), "unit": assume_unit, "channels_assumed": assumed}

    for line, raw, parsed in parsed_records:
        if progress:
            progress()
        unknown = sorted(set(raw) - KNOWN_FIELDS)
        report.warnings.extend(_problem_rows(parsed.code, line, [p for p in parsed.problems if p.severity != "error"]))
        report.warnings.extend(
            {"line": line, "code": parsed.code, "field": key, "problem": "field_unknown",
             "message": f"Trường “{key}” không có trong định dạng danh mục; đã bỏ qua."} for key in unknown
        )
        if not parsed.ok:
            report.failed += 1
            report.failures.extend(_problem_rows(parsed.code, line, [p for p in parsed.problems
                                                                      if p.severity == "error"]))
            continue
        try:
            outcome = save_parsed(parsed)
        except (ValidationError, ValueError, DatabaseError) as exc:
            report.failed += 1
            report.failures.append({"line": line, "code": parsed.code, "field": None, "problem": "record_invalid",
                                    "message": f"Không lưu được: {exc}"})
            continue
        setattr(report, outcome, getattr(report, outcome) + 1)
    if report.created or report.updated or report.failed:
        record("catalog.imported", actor=actor, summary=f"Nhập danh mục TTHC {source}".strip(),
               data={**report.counts(), "failures": len(report.failures)})
    return report


def import_catalogue(path: str | Path, **kwargs) -> ImportReport:
    """Import a national catalogue file (``.jsonl`` or ``.jsonl.gz``)."""
    return import_records(iter_catalogue(path), source=str(path), **kwargs)


# --- province configuration -----------------------------------------------------------------------------------

@dataclass
class StepSpec:
    name: str
    role: str
    share_percent: Decimal
    agency: Agency | None = None


@transaction.atomic
def configure_procedure(
    actor: User | None, code: str, *, online_level: str | None = None, deadline_mode: str | None = None,
    use_cutoff: bool | None = None, agencies: Iterable[Agency] | None = None, steps: list[StepSpec] | None = None,
) -> ProcedureVersion:
    """Set the province's configuration (online level, deadline rules, agencies, process template) of a procedure.

    This edits the current version in place, which is right while no dossier uses it; once dossiers exist (the
    one-stop-shop), a configuration change must create a new version instead — that rule lands with the dossiers.
    """
    if actor is not None:
        permissions.require_role(actor, [Role.ADMINISTRATOR])
    procedure = _locked_procedure(code)
    if procedure is None or procedure.current is None:
        raise DomainError("procedure_not_found", f"Không tìm thấy thủ tục mã {code}.")
    version = procedure.current
    if online_level is not None:
        if online_level not in ProcedureVersion.OnlineLevel.values:
            raise DomainError("invalid_online_level", "Mức độ trực tuyến không hợp lệ.", field="online_level")
        version.online_level = online_level
    if deadline_mode is not None:
        if deadline_mode not in ProcedureVersion.DeadlineMode.values:
            raise DomainError("invalid_deadline_mode", "Cách tính hạn không hợp lệ.", field="deadline_mode")
        version.deadline_mode = deadline_mode
    if use_cutoff is not None:
        version.use_cutoff = use_cutoff
    version.save()
    if agencies is not None:
        version.implementing_agencies.set(list(agencies))
    if steps is not None:
        total = sum((Decimal(s.share_percent) for s in steps), Decimal(0))
        if steps and total != Decimal(100):
            raise DomainError("process_shares", f"Tổng tỷ lệ thời gian của các bước là {total}%, phải bằng 100%.",
                              field="steps")
        if any(s.role not in Role.values for s in steps):
            raise DomainError("invalid_role", "Vai trò của bước không hợp lệ.", field="steps")
        version.process_steps.all().delete()
        ProcessStep.objects.bulk_create(
            ProcessStep(version=version, order=i, name=s.name, role=s.role, agency=s.agency,
                        share_percent=Decimal(s.share_percent))
            for i, s in enumerate(steps, start=1)
        )
    record("catalog.configured", actor=actor, obj=version, summary=f"Cấu hình thủ tục {code}",
           data={"online_level": version.online_level, "deadline_mode": version.deadline_mode,
                 "steps": len(steps) if steps is not None else None})
    return version


@transaction.atomic
def set_mandatory_components(actor: User | None, code: str, mandatory_orders: Iterable[int]) -> ProcedureVersion:
    """Say which components of the current version an applicant must provide (the catalogue has no such flag)."""
    if actor is not None:
        permissions.require_role(actor, [Role.ADMINISTRATOR])
    procedure = _locked_procedure(code)
    if procedure is None or procedure.current is None:
        raise DomainError("procedure_not_found", f"Không tìm thấy thủ tục mã {code}.")
    version = procedure.current
    orders = set(mandatory_orders)
    unknown = orders - set(version.components.values_list("order", flat=True))
    if unknown:
        raise DomainError("component_not_found", f"Không có thành phần số {sorted(unknown)}.", field="components")
    version.components.update(mandatory=False)
    version.components.filter(order__in=orders).update(mandatory=True)
    record("catalog.components_configured", actor=actor, obj=version, summary=f"Thành phần bắt buộc của {code}",
           data={"mandatory": sorted(orders)})
    return version
