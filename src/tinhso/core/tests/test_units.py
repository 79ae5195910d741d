"""Tests of the administrative-unit import (``core/units.py``), the ``import-units`` command, the demo fixture and
the address resolution built on the imported data (``queries.find_unit``/``current_successors``, ``/api/units``).

The national tests read the statistics office's files from ``../shared/data/admin-units`` (relative to the
repository root) and are skipped when that folder is absent. Facts used below, from those files:

* old "Phường Trúc Bạch" (00004, Quận Ba Đình) went whole into the new "Phường Ba Đình", which reuses code 00004;
* old "Xã Kỳ Lợi" (18796, Thị xã Kỳ Anh, Hà Tĩnh) was split: its whole area into "Phường Vũng Áng" (18823), part
  of its population into "Phường Hoành Sơn" (18832) and "Phường Sông Trí" (18754);
* old "Phường Ngọc Hà" (00016) was split between the new "Phường Ba Đình" (00004) and "Phường Ngọc Hà" (00008);
* the island district "Huyện Bạch Long Vĩ" (318) became "Đặc khu Bạch Long Vĩ" (11948).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tinhso.core import queries
from tinhso.core.models import REFORM_DATE_2025, AdministrativeUnit, AuditEvent, UnitSuccession
from tinhso.core.testing import shared_data
from tinhso.core.units import (
    DEMO_FIXTURE,
    FIXTURE_FORMAT,
    ImportReport,
    import_gso_dir,
    load_fixture,
    read_ward_mapping,
)

WRITTEN_ON = date(2024, 5, 1)
Level = AdministrativeUnit.Level


def _require_shared_data() -> Path:
    return shared_data("admin-units", "old-to-new-ward-mapping-2025-07.csv").parent


def _current(level: str):
    return AdministrativeUnit.objects.filter(level=level, valid_to__isnull=True)


def _ended_by_reform(level: str):
    return AdministrativeUnit.objects.filter(level=level, valid_to=REFORM_DATE_2025)


def _codes(units) -> list[str]:
    return [u.code for u in units]


def _delete_all_units() -> None:
    UnitSuccession.objects.all().delete()
    for level in (Level.COMMUNE, Level.DISTRICT, Level.PROVINCE):  # children first: parent is PROTECT
        AdministrativeUnit.objects.filter(level=level).delete()
    _erase_audit_log()


def _erase_audit_log() -> None:
    """The class fixture committed its import's audit record; later tests expect an empty log. The log is
    append-only (the model refuses, PostgreSQL's trigger refuses DELETE): erase it as the database owner can, with
    the chain head, so the next record starts a new chain. Only this fixture commits audit rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE core_auditevent, core_auditchainhead")
        else:
            cursor.execute("DELETE FROM core_auditevent")
            cursor.execute("DELETE FROM core_auditchainhead")


# ---------------------------------------------------------------------------------------------------------------
# The full national import (done once for the class, removed afterwards)
# ---------------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="class")
def national(django_db_setup, django_db_blocker) -> ImportReport:
    source = _require_shared_data()
    with django_db_blocker.unblock():
        report = import_gso_dir(source)
        yield report
        _delete_all_units()


@pytest.mark.django_db
@pytest.mark.usefixtures("national")
class TestNationalImport:
    def test_counts_after_the_reform(self, national: ImportReport):
        assert _current(Level.PROVINCE).count() == 34
        assert _current(Level.COMMUNE).count() == 3321
        assert not _current(Level.DISTRICT).exists()
        assert not AdministrativeUnit.objects.filter(valid_to__isnull=True).exclude(
            valid_from=REFORM_DATE_2025).exists()
        # every current commune hangs directly under a current province
        assert not _current(Level.COMMUNE).exclude(parent__level=Level.PROVINCE,
                                                   parent__valid_to__isnull=True).exists()
        assert set(_current(Level.COMMUNE).values_list("division_type", flat=True)) == {"xã", "phường", "đặc khu"}
        assert set(_current(Level.PROVINCE).values_list("division_type", flat=True)) == {
            "tỉnh", "thành phố trung ương"}

    def test_counts_before_the_reform(self, national: ImportReport):
        assert _ended_by_reform(Level.PROVINCE).count() == 63
        assert _ended_by_reform(Level.DISTRICT).count() == 696
        assert _ended_by_reform(Level.COMMUNE).count() == 10051
        assert not AdministrativeUnit.objects.filter(valid_to=REFORM_DATE_2025, valid_from__isnull=False).exists()
        assert set(_ended_by_reform(Level.DISTRICT).values_list("division_type", flat=True)) == {
            "huyện", "quận", "thị xã", "thành phố"}
        assert set(_ended_by_reform(Level.COMMUNE).values_list("division_type", flat=True)) == {
            "xã", "phường", "thị trấn"}
        # the GSO export writes "Thị Xã …"/"Thành Phố …" for some districts; names are stored with the usual casing
        names = list(_ended_by_reform(Level.DISTRICT).values_list("name", flat=True))
        assert "Thị xã Sơn Tây" in names
        assert not [n for n in names if n.startswith(("Thị Xã", "Thành Phố"))]

    def test_report_and_speed(self, national: ImportReport):
        assert national.by_kind["units"]["created"] == 34 + 3321 + 63 + 696 + 10051
        assert national.updated == 0 and national.unchanged == 0
        assert national.seconds < 30, "a national import must take well under a minute"
        # 11 mapping rows name old communes created in early 2025 (absent from the January 2025 list), one row
        # names a coastal area with no code; all reported with their code, none raised.
        assert national.failed == 12
        unknown = {f.code for f in national.failures if "không có trong danh mục trước sắp xếp" in f.reason}
        assert {"03980", "26929", "27076"} <= unknown
        assert any(f.code == "14698" and "không có mã xã cũ" in f.reason for f in national.failures)
        event = AuditEvent.objects.filter(action="units.imported").latest("id")
        assert event.actor is None and event.actor_label == "hệ thống"
        assert event.data["created"] == national.created and event.data["failed"] == 12

    def test_province_successions(self, national: ImportReport):
        successions = UnitSuccession.objects.filter(predecessor__level=Level.PROVINCE)
        assert successions.count() == 63  # every old province went whole into exactly one new province
        assert not successions.filter(whole=False).exists()
        # Lạng Sơn continues under its name and code: two rows, linked
        old = AdministrativeUnit.objects.get(level=Level.PROVINCE, code="20", valid_to=REFORM_DATE_2025)
        new = AdministrativeUnit.objects.get(level=Level.PROVINCE, code="20", valid_to__isnull=True)
        assert old.pk != new.pk and old.name == new.name == "Tỉnh Lạng Sơn"
        assert queries.current_successors(old) == [new]
        # old Bắc Giang (24) and old Bắc Ninh (27) merged into the new Bắc Ninh (24)
        for code in ("24", "27"):
            old = AdministrativeUnit.objects.get(level=Level.PROVINCE, code=code, valid_to=REFORM_DATE_2025)
            assert [(u.code, u.name) for u in queries.current_successors(old)] == [("24", "Tỉnh Bắc Ninh")]

    def test_district_successions(self, national: ImportReport):
        assert not UnitSuccession.objects.filter(predecessor__level=Level.DISTRICT).exclude(
            successor__level=Level.COMMUNE).exists()
        island = queries.find_unit("318", level=Level.DISTRICT, on=WRITTEN_ON)
        assert island.name == "Huyện Bạch Long Vĩ"
        assert [(u.code, u.name) for u in queries.current_successors(island)] == [("11948", "Đặc khu Bạch Long Vĩ")]
        city = queries.find_unit("178", level=Level.DISTRICT, on=WRITTEN_ON)
        assert city.name == "Thành phố Lạng Sơn"
        assert sorted(_codes(queries.current_successors(city))) == ["05977", "05983", "05986", "06187"]
        assert not city.successions.filter(whole=True).exists()

    def test_second_run_changes_nothing(self, national: ImportReport):
        units_before = AdministrativeUnit.objects.count()
        successions_before = UnitSuccession.objects.count()
        again = import_gso_dir(_require_shared_data())
        assert again.created == 0 and again.updated == 0
        assert again.unchanged == national.created
        assert again.failed == national.failed
        assert AdministrativeUnit.objects.count() == units_before
        assert UnitSuccession.objects.count() == successions_before
        assert AuditEvent.objects.filter(action="units.imported").count() == 2

    def test_code_reused_by_the_reform_resolves_to_todays_ward(self, national: ImportReport):
        written = queries.find_unit("00004", level=Level.COMMUNE, on=WRITTEN_ON)
        assert (written.name, written.valid_to) == ("Phường Trúc Bạch", REFORM_DATE_2025)
        assert written.parent.name == "Quận Ba Đình" and written.parent.parent.name == "Thành phố Hà Nội"
        today = queries.find_unit("00004", level=Level.COMMUNE)
        assert (today.name, today.valid_from, today.parent.code) == ("Phường Ba Đình", REFORM_DATE_2025, "01")
        assert queries.resolve_address_unit("00004", WRITTEN_ON) == [today]

    def test_split_commune_resolves_to_all_successors_whole_first(self, national: ImportReport):
        resolved = queries.resolve_address_unit("18796", WRITTEN_ON)  # Xã Kỳ Lợi
        assert [(u.code, u.name) for u in resolved] == [
            ("18823", "Phường Vũng Áng"),  # "Nhập toàn bộ diện tích": whole, first
            ("18832", "Phường Hoành Sơn"),  # "Nhập một phần dân số"
            ("18754", "Phường Sông Trí"),  # "Nhập một phần dân số"
        ]
        assert all(u.valid_to is None and u.level == Level.COMMUNE for u in resolved)
        # an old ward split in two parts, neither whole
        assert sorted(_codes(queries.resolve_address_unit("00016", WRITTEN_ON))) == ["00004", "00008"]

    def test_api_resolve_returns_the_current_commune(self, national: ImportReport):
        response = Client().get("/api/units/resolve", {"code": "00004", "written_on": "2024-05-01"})
        assert response.status_code == 200
        body = response.json()
        assert body["written"]["name"] == "Phường Trúc Bạch"
        assert body["written"]["parent_code"] == "001"
        assert body["written"]["valid_to"] == "2025-07-01"
        assert [(u["code"], u["name"], u["parent_code"], u["valid_from"]) for u in body["current"]] == [
            ("00004", "Phường Ba Đình", "01", "2025-07-01")]

    def test_api_resolve_unknown_code_is_404(self, national: ImportReport):
        response = Client().get("/api/units/resolve", {"code": "99999", "written_on": "2024-05-01"})
        assert response.status_code == 404
        body = response.json()
        assert body["code"] == "unit_not_found"
        assert "99999" in body["message"] and "01/05/2024" in body["message"]

    def test_search_units_by_province_finds_pre_reform_communes(self, national: ImportReport):
        found = queries.search_units("truc bach", on=WRITTEN_ON, level=Level.COMMUNE, province="01")
        assert [(u.code, u.name) for u in found] == [("00004", "Phường Trúc Bạch")]


# ---------------------------------------------------------------------------------------------------------------
# Small files in the GSO shape: readers' robustness, unknown codes, the command
# ---------------------------------------------------------------------------------------------------------------

MAPPING_HEADER = (
    "Đơn vị hành chính từ ngày 01/7/2025,,,Đơn vị hành chính trước ngày 01/7/2025,,,,,\n"
    '"Tỉnh, thành phố",Tên Xã mới,Mã Xã mới,Tên Xã cũ,Mã Xã cũ,Ghi chú,Quận/huyện,Tỉnh cũ,\n'
)
HN, BA_DINH = "Thành phố Hà Nội (01)", "Quận Ba Đình (001)"


def _write_gso_dir(folder: Path, mapping_rows: list[str]) -> Path:
    """Three tiny files in the statistics office's shapes (with a BOM, stray spaces and a multi-line cell)."""
    folder.mkdir(exist_ok=True)
    new = [{"name": " Thành phố Hà Nội ", "code": 1, "division_type": "thành phố trung ương", "wards": [
        {"name": "Phường Ba Đình", "code": 4, "division_type": "phường"},
        {"name": "Phường  Ngọc Hà", "code": 8, "division_type": "phường"},
    ]}]
    (folder / "nested-divisions-test.json").write_text(json.dumps(new, ensure_ascii=False), encoding="utf-8-sig")
    (folder / "pre-reform-wards-test.csv").write_text(
        "Tỉnh Thành Phố,Mã TP,Quận Huyện,Mã QH,Phường Xã,Mã PX,Cấp,Tên Tiếng Anh\n"
        "Thành phố Hà Nội,01,Quận Ba Đình,001,Phường Trúc Bạch,00004,Phường,\n"
        "Thành phố Hà Nội,01,Quận Ba Đình,001, Phường Quán Thánh ,00013,Phường,\n"
        "Thành phố Hà Nội, 1 ,Quận Ba Đình,001,Phường Ngọc Hà,16,Phường,\n",
        encoding="utf-8-sig",
    )
    (folder / "old-to-new-ward-mapping-test.csv").write_text(
        MAPPING_HEADER + "THÀNH PHỐ HÀ NỘI  ,,,,,,,,\n" + "".join(row + "\n" for row in mapping_rows),
        encoding="utf-8-sig",
    )
    return folder


VALID_ROWS = [
    f"{HN},Phường Ba Đình,00004,Phường Trúc Bạch,00004,Nhập toàn bộ,{BA_DINH},{HN},",
    f"{HN},Phường Ba Đình,00004,Phường Quán Thánh,00013,Nhập toàn bộ,{BA_DINH},{HN},",
    f'{HN},Phường Ba Đình,00004,Phường Ngọc Hà,00016,"Nhập một phần\n",{BA_DINH},{HN},',
    f'{HN},"Phường Ngọc Hà\n",00008,Phường Ngọc Hà,00016,Nhập một  phần,{BA_DINH},{HN},',
]
UNKNOWN_ROW = f"{HN},Phường Ba Đình,00004,Phường Không Có,99999,Nhập toàn bộ,{BA_DINH},{HN},"
MALFORMED_ROW = f"{HN},Phường Ba Đình,0000X,Phường Quán Thánh,00013,Nhập toàn bộ,{BA_DINH},{HN},"


@pytest.mark.django_db
def test_unknown_code_in_mapping_is_reported_and_valid_rows_still_import(tmp_path: Path):
    folder = _write_gso_dir(tmp_path / "gso", VALID_ROWS[:2] + [UNKNOWN_ROW, MALFORMED_ROW] + VALID_ROWS[2:])
    report = import_gso_dir(folder)

    assert [(f.code, f.line) for f in report.failures] == [("99999", 6), ("0000X", 7)]
    assert report.failures[0].reason.startswith("Mã xã cũ 99999 không có trong danh mục trước sắp xếp")
    assert report.failures[0].source == "old-to-new-ward-mapping-test.csv"
    assert "0000X" in report.failures[1].reason
    # 1 + 2 current units, 1 + 1 + 3 past ones; 4 commune rows, 2 derived district rows, 1 province row
    assert report.by_kind == {"units": {"created": 8, "updated": 0, "unchanged": 0},
                              "successions": {"created": 7, "updated": 0, "unchanged": 0}}
    ba_dinh = queries.find_unit("00004")
    assert ba_dinh.parent.name == "Thành phố Hà Nội"  # stray spaces trimmed
    assert queries.find_unit("00008").name == "Phường Ngọc Hà"
    assert queries.find_unit("00013", on=WRITTEN_ON).name == "Phường Quán Thánh"
    assert sorted(s.predecessor.code for s in ba_dinh.precursions.filter(predecessor__level=Level.COMMUNE)) == [
        "00004", "00013", "00016"]
    assert queries.resolve_address_unit("00004", WRITTEN_ON) == [ba_dinh]
    assert [(u.code, s.whole) for u, s in (
        (s.successor, s) for s in UnitSuccession.objects.filter(predecessor__code="00016").order_by("successor__code")
    )] == [("00004", False), ("00008", False)]
    assert UnitSuccession.objects.get(predecessor__level=Level.DISTRICT, successor__code="00004").whole is False


@pytest.mark.django_db
def test_changed_source_updates_in_place(tmp_path: Path):
    folder = _write_gso_dir(tmp_path / "gso", VALID_ROWS)
    first = import_gso_dir(folder)
    ngoc_ha = queries.find_unit("00008")
    path = folder / "nested-divisions-test.json"
    path.write_text(path.read_text(encoding="utf-8-sig").replace("Phường  Ngọc Hà", "Phường Ngọc Khánh"),
                    encoding="utf-8")
    second = import_gso_dir(folder)
    assert second.by_kind["units"] == {"created": 0, "updated": 1, "unchanged": first.by_kind["units"]["created"] - 1}
    renamed = queries.find_unit("00008")
    assert renamed.pk == ngoc_ha.pk  # same row, so references to it stay valid
    assert (renamed.name, renamed.name_folded) == ("Phường Ngọc Khánh", "phuong ngoc khanh")
    assert second.warnings and "Phường Ngọc Hà" in second.warnings[0].reason  # the mapping still says Ngọc Hà


def test_mapping_reader_skips_headers_and_separators(tmp_path: Path):
    folder = _write_gso_dir(tmp_path / "gso", VALID_ROWS + ["Tỉnh Bắc Ninh (24),,,,,,,,", ",,,,,,,,"])
    report = ImportReport()
    records = list(read_ward_mapping(folder / "old-to-new-ward-mapping-test.csv", report))
    assert [(r["old"], r["new"], r["whole"]) for r in records] == [
        ("00004", "00004", True), ("00013", "00004", True), ("00016", "00004", False), ("00016", "00008", False)]
    assert records[2]["note"] == "Nhập một phần"  # the line break inside the cell is gone
    assert not report.failures and not report.warnings


@pytest.mark.django_db
def test_command_writes_report_and_exits_zero_despite_failed_rows(tmp_path: Path, capsys):
    folder = _write_gso_dir(tmp_path / "gso", VALID_ROWS + [UNKNOWN_ROW])
    report_path = tmp_path / "report.json"
    call_command("import_units", gso_dir=folder, report=report_path)  # raises on a non-zero exit
    out = capsys.readouterr()
    assert "Đơn vị hành chính: 8 mới" in out.out
    assert "99999" in out.err
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["failed"] == 1 and report["failures"][0]["code"] == "99999"
    assert report["failures"][0]["reason"].startswith("Mã xã cũ 99999 không có trong danh mục trước sắp xếp")

    call_command("import_units", gso_dir=folder)
    assert "Đơn vị hành chính: 0 mới, 0 cập nhật, 8 không đổi." in capsys.readouterr().out


@pytest.mark.django_db
def test_command_fails_only_when_a_file_cannot_be_read(tmp_path: Path):
    with pytest.raises(CommandError, match="Không tìm thấy thư mục"):
        call_command("import_units", gso_dir=tmp_path / "missing")
    folder = _write_gso_dir(tmp_path / "gso", VALID_ROWS)
    (folder / "nested-divisions-test.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="Không đọc được tệp"):
        call_command("import_units", gso_dir=folder)
    (folder / "nested-divisions-test.json").unlink()
    (folder / "pre-reform-wards-test.csv").write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_units", gso_dir=folder)
    with pytest.raises(CommandError, match="tinhso-units/1"):
        bad = tmp_path / "bad.json"
        bad.write_text('{"format": "other"}', encoding="utf-8")
        call_command("import_units", fixture=bad)
    assert not AdministrativeUnit.objects.exists()


@pytest.mark.django_db
def test_command_limited_to_one_province():
    source = _require_shared_data()
    call_command("import_units", gso_dir=source, province=["20"])
    assert _codes(_current(Level.PROVINCE)) == ["20"]
    assert _current(Level.COMMUNE).count() == 65
    assert _codes(_ended_by_reform(Level.PROVINCE)) == ["20"]
    assert _ended_by_reform(Level.DISTRICT).count() == 11
    assert _ended_by_reform(Level.COMMUNE).count() == 194
    event = AuditEvent.objects.get(action="units.imported")
    assert event.data["failed"] == 0 and event.data["provinces"] == ["20"]


# ---------------------------------------------------------------------------------------------------------------
# Our fixture
# ---------------------------------------------------------------------------------------------------------------

def test_demo_fixture_is_compact_and_in_our_format():
    content = json.loads(DEMO_FIXTURE.read_text(encoding="utf-8"))
    assert DEMO_FIXTURE.stat().st_size < 300 * 1024
    assert content["format"] == FIXTURE_FORMAT and content["demo_province"] == "20"
    assert len(content["provinces"]) == 34
    assert {c["province"] for c in content["communes"]} == {"20"}
    assert set(content["provinces"][0]) == {"code", "name", "type"}


@pytest.mark.django_db
def test_demo_fixture_loads_lang_son():
    content = json.loads(DEMO_FIXTURE.read_text(encoding="utf-8"))
    report = load_fixture(DEMO_FIXTURE)
    assert report.failed == 0
    assert _current(Level.PROVINCE).count() == 34
    lang_son = AdministrativeUnit.objects.get(level=Level.PROVINCE, code="20", valid_to__isnull=True)
    communes = lang_son.children.filter(valid_to__isnull=True)
    assert communes.count() == len(content["communes"]) == 65
    assert communes.filter(code="05977", name="Phường Đông Kinh").exists()
    assert _current(Level.COMMUNE).count() == 65  # only the demo province in detail
    old = AdministrativeUnit.objects.get(level=Level.PROVINCE, code="20", valid_to=REFORM_DATE_2025)
    assert old.children.count() == 11
    assert queries.current_successors(old) == [lang_son]
    # old Phường Vĩnh Trại (05977) → new Phường Đông Kinh (05977), same code
    assert [u.name for u in queries.resolve_address_unit("05977", WRITTEN_ON)] == ["Phường Đông Kinh"]
    # old Xã Bính Xá (06622) was split between Xã Đình Lập and Xã Kiên Mộc
    assert sorted(_codes(queries.resolve_address_unit("06622", WRITTEN_ON))) == ["06613", "06625"]

    again = load_fixture(DEMO_FIXTURE)
    assert (again.created, again.updated, again.failed) == (0, 0, 0)
    assert again.unchanged == report.created
