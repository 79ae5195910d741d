"""A small province built for the scoreboard's tests: two agencies that handle dossiers, a commune with its desk,
three procedures (toàn trình with a fee, một phần, not online), leaders, and dossiers written straight into the
one-stop shop's tables — each with an event, since the scoreboard follows the event log."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import pytest

from tinhso.catalog.models import Channel, Component, Fee, Procedure, ProcedureVersion
from tinhso.core.models import AdministrativeUnit, Agency, Membership, Role, User
from tinhso.core.workcalendar import TZ
from tinhso.onestop.models import Dossier, DossierEvent, DossierItem, Pause, Status


def at(day: str, hm: str = "09:00") -> datetime:
    """``at("2026-03-02", "09:00")``: a moment in Vietnam time."""
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=TZ)


@dataclass
class Province:
    province_unit: AdministrativeUnit
    commune: AdministrativeUnit
    commune2: AdministrativeUnit
    root: Agency
    department: Agency
    division: Agency
    commune_committee: Agency
    commune_desk: Agency
    centre: Agency
    p_full: Procedure
    p_partial: Procedure
    p_none: Procedure
    leader: User
    director: User
    chairman: User
    specialist: User


def _procedure(code: str, name: str, level: str, agencies, *, fee: int | None = None, subjects: str = "Công dân",
               online: bool = True) -> Procedure:
    procedure = Procedure.objects.create(code=code, search_text=name.lower())
    version = ProcedureVersion.objects.create(
        procedure=procedure, number=1, effective_from=at("2025-07-01", "00:00"), content_hash=code, name=name,
        steps=[{"text": "Nộp hồ sơ"}, {"text": "Giải quyết"}], subjects=subjects,
        implementing_agency_text="Cơ quan thực hiện", online_level=level, level_province=True)
    version.implementing_agencies.set(agencies)
    kinds = [Channel.Kind.DIRECT, Channel.Kind.POSTAL] + ([Channel.Kind.ONLINE] if online else [])
    for order, kind in enumerate(kinds):
        channel = Channel.objects.create(version=version, order=order, kind=kind, time_value=Decimal(3),
                                         time_unit=Channel.Unit.WORKING_DAY)
        if fee:
            Fee.objects.create(channel=channel, amount=fee)
    Component.objects.create(version=version, order=1, name="Tờ khai")
    procedure.current = version
    procedure.save(update_fields=["current"])
    return procedure


def _staff(username: str, agency: Agency, role: str) -> User:
    user = User.objects.create_user(username=username, password="mat-khau-thu-nghiem", kind=User.Kind.STAFF,
                                    full_name=username)
    Membership.objects.create(user=user, agency=agency, role=role)
    return user


def build_province() -> Province:
    unit = AdministrativeUnit.objects.create(code="20", name="Tỉnh Lạng Sơn", division_type="tỉnh",
                                             level=AdministrativeUnit.Level.PROVINCE)
    commune = AdministrativeUnit.objects.create(code="05983", name="Phường Lương Văn Tri", division_type="phường",
                                                level=AdministrativeUnit.Level.COMMUNE, parent=unit)
    commune2 = AdministrativeUnit.objects.create(code="05977", name="Phường Đông Kinh", division_type="phường",
                                                 level=AdministrativeUnit.Level.COMMUNE, parent=unit)
    root = Agency.objects.create(code="000.00.00.H37", name="Ủy ban nhân dân tỉnh Lạng Sơn", short_name="UBND",
                                 kind=Agency.Kind.PROVINCIAL_COMMITTEE, unit=unit)
    department = Agency.objects.create(code="000.00.03.H37", name="Sở Tư pháp", short_name="STP",
                                       kind=Agency.Kind.DEPARTMENT, parent=root, unit=unit)
    division = Agency.objects.create(code="000.01.03.H37", name="Phòng Hành chính tư pháp", short_name="HCTP",
                                     kind=Agency.Kind.DIVISION, parent=department, unit=unit)
    centre = Agency.objects.create(code="000.00.20.H37", name="Trung tâm Phục vụ hành chính công tỉnh",
                                   short_name="TTPVHCC", kind=Agency.Kind.SERVICE_CENTRE, parent=root, unit=unit)
    committee = Agency.objects.create(code="000.00.31.H37", name="Ủy ban nhân dân phường Lương Văn Tri",
                                      short_name="UBND", kind=Agency.Kind.COMMUNE_COMMITTEE, parent=root,
                                      unit=commune)
    desk = Agency.objects.create(code="000.01.31.H37", name="Trung tâm PVHCC phường Lương Văn Tri", short_name="TT",
                                 kind=Agency.Kind.COMMUNE_SERVICE_CENTRE, parent=committee, unit=commune)
    p_full = _procedure("1.000001", "Cấp bản sao trích lục hộ tịch", ProcedureVersion.OnlineLevel.FULL,
                        [department], fee=8000)
    p_partial = _procedure("1.000002", "Đăng ký khai sinh", ProcedureVersion.OnlineLevel.PARTIAL, [committee],
                           subjects="")
    p_none = _procedure("1.000003", "Cấp phiếu lý lịch tư pháp", ProcedureVersion.OnlineLevel.NONE, [department],
                        online=False)
    return Province(
        province_unit=unit, commune=commune, commune2=commune2, root=root, department=department, division=division,
        commune_committee=committee, commune_desk=desk, centre=centre, p_full=p_full, p_partial=p_partial,
        p_none=p_none, leader=_staff("lanhdao.tinh", root, Role.AGENCY_LEADER),
        director=_staff("giamdoc.stp", department, Role.AGENCY_LEADER),
        chairman=_staff("chutich.lvt", committee, Role.AGENCY_LEADER),
        specialist=_staff("chuyenvien.stp", division, Role.SPECIALIST),
    )


@pytest.fixture
def province(db) -> Province:
    return build_province()


def make_dossier(pv: Province, procedure: Procedure, *, channel: str = Channel.Kind.DIRECT, received: datetime | None,
                 due: datetime | None = None, status: int = Status.PROCESSING, finished: datetime | None = None,
                 returned: datetime | None = None, supplements: int = 0, fee: int | None = None,
                 paid_online: int = 0, electronic_result: bool = False, result_in_store: bool = False,
                 items: list[dict] | None = None, pauses: list[tuple] | None = None, unit=None,
                 handling: Agency | None = None, receiving: Agency | None = None, code: str = "",
                 draft: bool = False) -> Dossier:
    """A dossier in the one-stop shop's tables, with its items and pauses and one event (the change feed)."""
    version = procedure.current
    handling = handling or version.implementing_agencies.order_by("code").first()
    receiving = receiving or (pv.commune_desk if handling == pv.commune_committee else pv.centre)
    dossier = Dossier.objects.create(
        code=code or None, status=status, procedure_version=version, channel=version.channels.get(kind=channel),
        receiving_agency=receiving, handling_agency=handling, applicant_name="Người nộp thử nghiệm",
        applicant_unit=unit, created_at=received or at("2026-03-01"), submitted_at=received, received_at=received,
        due_at=due, original_due_at=due, finished_at=finished, returned_at=returned, supplement_count=supplements,
        fee_amount=fee, paid_online=paid_online, electronic_result=electronic_result,
        result_in_store=result_in_store, is_draft=draft,
    )
    for order, flags in enumerate(items or [], start=1):
        DossierItem.objects.create(dossier=dossier, order=order, name=f"Giấy tờ {order}", **flags)
    for reason, start, end in pauses or []:
        Pause.objects.create(dossier=dossier, reason=reason, started_at=start, ended_at=end)
    touch(dossier)
    return dossier


def touch(dossier: Dossier, action: str = "test_changed") -> DossierEvent:
    """Log a change of the dossier, as every service of the one-stop shop does."""
    return DossierEvent.objects.create(dossier=dossier, at=dossier.received_at or at("2026-03-01"), action=action,
                                       to_status=dossier.status)
