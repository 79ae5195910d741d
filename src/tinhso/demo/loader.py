"""Loads the demo province (Lạng Sơn) through the apps' own services. Running it twice changes nothing.

What it loads: the 34 provinces and Lạng Sơn's communes with their pre-2025 history (``core/fixtures``), the
province's agencies (``data/agencies.json``), demo staff for every role and two applicants, and about sixty real
procedures of the national catalogue re-expressed in the repo's own format (``data/procedures.json``), each mapped to
the agencies that handle it in the province and given a process template.
"""

import json
import os
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from tinhso.catalog import services as catalog_services
from tinhso.catalog.models import Procedure
from tinhso.catalog.parsing import procedure_from_dict
from tinhso.core import services as core_services
from tinhso.core.models import AdministrativeUnit, Agency, CalendarRuleVersion, Role, User
from tinhso.core.units import load_fixture

DATA = Path(__file__).resolve().parent / "data"
UNITS_FIXTURE = Path(__file__).resolve().parents[1] / "core" / "fixtures" / "units-lang-son.json"
PROVINCE_CODE = "000.00.00.H37"
DEFAULT_PASSWORD = "tinhso-demo-2026"


def demo_password() -> str:
    return os.environ.get("TINHSO_DEMO_PASSWORD", DEFAULT_PASSWORD)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    kind: str = User.Kind.STAFF
    agency: str = ""
    role: str = ""
    title: str = ""
    identity_number: str = ""
    tax_code: str = ""
    phone: str = ""
    superuser: bool = False


ACCOUNTS = [
    DemoAccount("quantri", "Nguyễn Văn Quản", agency=PROVINCE_CODE, role=Role.ADMINISTRATOR,
                title="Quản trị hệ thống", superuser=True),
    DemoAccount("tiepnhan", "Lường Thị Hoa", agency="000.00.20.H37", role=Role.RECEIVING_OFFICER,
                title="Công chức tiếp nhận"),
    DemoAccount("chuyenvien.stp", "Hoàng Văn Nam", agency="000.01.03.H37", role=Role.SPECIALIST, title="Chuyên viên"),
    DemoAccount("truongphong.stp", "Vi Thị Lan", agency="000.01.03.H37", role=Role.DEPARTMENT_HEAD,
                title="Trưởng phòng"),
    DemoAccount("giamdoc.stp", "Nông Đức Thắng", agency="000.00.03.H37", role=Role.AGENCY_LEADER, title="Giám đốc"),
    DemoAccount("chuyenvien.sxd", "Lý Văn Sơn", agency="000.01.07.H37", role=Role.SPECIALIST, title="Chuyên viên"),
    DemoAccount("truongphong.sxd", "Mã Thị Thu", agency="000.01.07.H37", role=Role.DEPARTMENT_HEAD,
                title="Trưởng phòng"),
    DemoAccount("giamdoc.sxd", "Hà Quang Minh", agency="000.00.07.H37", role=Role.AGENCY_LEADER, title="Giám đốc"),
    DemoAccount("chuyenvien.stc", "Đinh Thị Mai", agency="000.01.04.H37", role=Role.SPECIALIST, title="Chuyên viên"),
    DemoAccount("truongphong.stc", "La Văn Hùng", agency="000.01.04.H37", role=Role.DEPARTMENT_HEAD,
                title="Trưởng phòng"),
    DemoAccount("giamdoc.stc", "Chu Thị Hạnh", agency="000.00.04.H37", role=Role.AGENCY_LEADER, title="Giám đốc"),
    DemoAccount("vanthu", "Tô Thị Huyền", agency="000.00.01.H37", role=Role.CLERK, title="Văn thư"),
    DemoAccount("vanthu.stc", "Hoàng Thị Ngân", agency="000.00.04.H37", role=Role.CLERK, title="Văn thư"),
    DemoAccount("vanthu.lvt", "Lộc Thị Thơm", agency="000.00.31.H37", role=Role.CLERK, title="Văn thư"),
    DemoAccount("tiepnhan.lvt", "Hoàng Thị Thảo", agency="000.01.31.H37", role=Role.RECEIVING_OFFICER,
                title="Công chức tiếp nhận"),
    DemoAccount("congchuc.lvt", "Lương Văn Tùng", agency="000.00.31.H37", role=Role.SPECIALIST,
                title="Công chức Tư pháp – Hộ tịch"),
    DemoAccount("chutich.lvt", "Vy Văn Bình", agency="000.00.31.H37", role=Role.AGENCY_LEADER, title="Chủ tịch"),
    DemoAccount("congdan", "Hoàng Văn Minh", kind=User.Kind.CITIZEN, identity_number="020195001234",
                phone="0912345678"),
    DemoAccount("doanhnghiep", "Công ty TNHH Xây dựng Kỳ Lừa", kind=User.Kind.BUSINESS, tax_code="4900123456",
                phone="02053812999"),
]

#: Which demo agency handles a procedure of a field, by level. Commune procedures go to every demo commune.
FIELD_AGENCIES = {
    "Hộ tịch": ("000.00.03.H37", "000.01.03.H37"),
    "Chứng thực": ("000.00.03.H37", "000.01.03.H37"),
    "Công chứng": ("000.00.03.H37", "000.02.03.H37"),
    "Luật sư": ("000.00.03.H37", "000.02.03.H37"),
    "Trợ giúp pháp lý": ("000.00.03.H37", "000.02.03.H37"),
    "Đấu giá tài sản": ("000.00.03.H37", "000.02.03.H37"),
    "Nuôi con nuôi": ("000.00.03.H37", "000.01.03.H37"),
    "Quốc tịch": ("000.00.03.H37", "000.01.03.H37"),
    "Hòa giải ở cơ sở": ("000.00.03.H37", "000.01.03.H37"),
    "Hoạt động xây dựng": ("000.00.07.H37", "000.01.07.H37"),
    "Kiến trúc": ("000.00.07.H37", "000.01.07.H37"),
    "Nhà ở và công sở": ("000.00.07.H37", "000.02.07.H37"),
    "Kinh doanh bất động sản": ("000.00.07.H37", "000.02.07.H37"),
    "Đường bộ": ("000.00.07.H37", "000.01.07.H37"),
}
DEFAULT_FIELD_AGENCIES = ("000.00.04.H37", "000.01.04.H37")  # business registration and the rest: Sở Tài chính
PROVINCE_CENTRE = "000.00.20.H37"
#: Civil status and certification count whole working days with the 15:00 cut-off (Luật Hộ tịch, NĐ 23/2015).
DAYS_MODE_FIELDS = {"Hộ tịch", "Chứng thực"}
ONLINE_FULL = {"1.001193", "2.001583", "2.001199", "2.001610", "2.002043", "1.004837"}


#: The papers a citizen really uploads for the most common procedures (the catalogue mixes notes into its list).
DEMO_MANDATORY = {
    "1.001193": ("Tờ khai đăng ký khai sinh", "Giấy chứng sinh"),
    "1.000894": ("Tờ khai đăng ký kết hôn",),
    "1.000656": ("Tờ khai",),
    "2.001583": ("Giấy đề nghị đăng ký doanh nghiệp", "Điều lệ công ty"),
}


def _mandatory_orders(code: str, components) -> list[int]:
    """The first component matching each curated name; else the first two unconditional components."""
    components = list(components)
    wanted = DEMO_MANDATORY.get(code)
    if wanted:
        orders = []
        for prefix in wanted:
            match = next((c for c in components if c.name.lstrip("-+•* ").lower().startswith(prefix.lower())), None)
            if match is not None:
                orders.append(match.order)
        if orders:
            return orders
    return [c.order for c in components if c.mandatory][:2]


@dataclass
class DemoSummary:
    counts: dict = field(default_factory=dict)

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n


def load_agencies(summary: DemoSummary) -> None:
    spec = json.loads((DATA / "agencies.json").read_text("utf-8"))
    for item in spec["agencies"]:
        if Agency.objects.filter(code=item["code"]).exists():
            continue
        unit = None
        if item.get("unit"):
            level = AdministrativeUnit.Level.PROVINCE if len(item["unit"]) == 2 else AdministrativeUnit.Level.COMMUNE
            unit = AdministrativeUnit.objects.filter(code=item["unit"], level=level, valid_to__isnull=True).first()
        parent = Agency.objects.get(code=item["parent"]) if item.get("parent") else None
        core_services.save_agency(None, Agency(
            code=item["code"], name=item["name"], short_name=item["short_name"], kind=item["kind"], parent=parent,
            unit=unit, address=item.get("address", ""), phone=item.get("phone", ""), email=item.get("email", ""),
            office_hours_text=item.get("office_hours", ""), valid_from=date(2025, 7, 1),
        ))
        summary.add("agencies")


def load_accounts(summary: DemoSummary) -> None:
    for spec in ACCOUNTS:
        if User.objects.filter(username=spec.username).exists():
            continue
        if spec.kind == User.Kind.STAFF:
            user = User.objects.create_user(
                username=spec.username, password=demo_password(), kind=spec.kind, full_name=spec.full_name,
                email=f"{spec.username}@demo.langson.gov.vn", is_staff=spec.superuser, is_superuser=spec.superuser,
            )
            core_services.grant_role(None, user, Agency.objects.get(code=spec.agency), spec.role, spec.title)
        else:
            core_services.register_applicant(
                kind=spec.kind, username=spec.username, password=demo_password(), full_name=spec.full_name,
                identity_number=spec.identity_number, tax_code=spec.tax_code, phone=spec.phone,
                email=f"{spec.username}@example.vn",
            )
        summary.add("accounts")


def load_calendar(summary: DemoSummary) -> None:
    if CalendarRuleVersion.objects.filter(agency__isnull=True).exists():
        return
    core_services.add_calendar_version(None, CalendarRuleVersion(
        effective_from=date(2025, 7, 1), weekly_days_off="5,6", shifts=[["07:30", "11:30"], ["13:00", "17:00"]],
        note="Giờ làm việc của cơ quan hành chính nhà nước tỉnh (minh họa); giờ chốt 15:00 cho thủ tục tính theo ngày",
    ))
    summary.add("calendar_versions")


def _process(levels: list[str], field_name: str) -> tuple[list[Agency], list[catalog_services.StepSpec]]:
    """The handling agencies and the process template of a demo procedure."""
    step = catalog_services.StepSpec
    if "commune" in levels and "province" not in levels:
        communes = list(Agency.objects.filter(kind=Agency.Kind.COMMUNE_COMMITTEE).order_by("code"))
        return communes, [
            step("Tiếp nhận hồ sơ", Role.RECEIVING_OFFICER, Decimal(5)),
            step("Thẩm định, đề xuất", Role.SPECIALIST, Decimal(65)),
            step("Phê duyệt, ký kết quả", Role.AGENCY_LEADER, Decimal(25)),
            step("Trả kết quả", Role.RECEIVING_OFFICER, Decimal(5)),
        ]
    dept_code, division_code = FIELD_AGENCIES.get(field_name, DEFAULT_FIELD_AGENCIES)
    dept, division = Agency.objects.get(code=dept_code), Agency.objects.get(code=division_code)
    centre = Agency.objects.get(code=PROVINCE_CENTRE)
    return [dept], [
        step("Tiếp nhận hồ sơ", Role.RECEIVING_OFFICER, Decimal(5), centre),
        step("Thẩm định hồ sơ", Role.SPECIALIST, Decimal(60), division),
        step("Xem xét, trình ký", Role.DEPARTMENT_HEAD, Decimal(15), division),
        step("Phê duyệt", Role.AGENCY_LEADER, Decimal(15), dept),
        step("Trả kết quả", Role.RECEIVING_OFFICER, Decimal(5), centre),
    ]


def load_procedures(summary: DemoSummary) -> None:
    spec = json.loads((DATA / "procedures.json").read_text("utf-8"))
    for item in spec["procedures"]:
        parsed = procedure_from_dict(item)
        outcome = catalog_services.save_parsed(parsed)
        summary.add(f"procedures_{outcome}")
        version = Procedure.objects.get(code=parsed.code).current
        if version.process_steps.exists():
            continue  # configured already (by an earlier run or by the province's administrator)
        agencies, steps = _process(parsed.levels, parsed.field)
        online = None
        if parsed.code in ONLINE_FULL and version.online_level != version.OnlineLevel.NONE:
            online = version.OnlineLevel.FULL
        mode = version.DeadlineMode.DAYS if parsed.field in DAYS_MODE_FIELDS else None
        catalog_services.configure_procedure(None, parsed.code, agencies=agencies, steps=steps, online_level=online,
                                             deadline_mode=mode)
        catalog_services.set_mandatory_components(None, parsed.code,
                                                  _mandatory_orders(parsed.code, version.components.all()))
        summary.add("procedures_configured")


@transaction.atomic
def load_demo() -> DemoSummary:
    summary = DemoSummary()
    units = load_fixture(UNITS_FIXTURE)
    summary.add("units_created", units.created)
    load_calendar(summary)
    load_agencies(summary)
    load_accounts(summary)
    load_procedures(summary)
    return summary
