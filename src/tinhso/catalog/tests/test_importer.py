"""The importer on the real national catalogue and on hand-made bad input."""

import gzip
import json

import pytest
from django.core.management import call_command

from tinhso.catalog.models import Channel, Procedure, ProcedureVersion
from tinhso.catalog.parsing import iter_catalogue
from tinhso.catalog.services import StepSpec, configure_procedure, import_catalogue, import_records
from tinhso.core.models import AuditEvent, Role
from tinhso.core.testing import shared_data

from .factories import raw_record

#: Measured on the 1,763 records (see docs/catalogue-import.md); a regression below these fails.
STRICT_SHARE_BOTH = 0.70
ASSUMED_SHARE_BOTH = 0.86


@pytest.mark.django_db
def test_real_catalogue_imports_idempotently_with_the_stated_parse_rate(tmp_path):
    path = shared_data("tthc-catalogue", "procedures.jsonl.gz")
    first = import_catalogue(path)
    assert first.total == 1763
    assert first.failed == 1 and first.failures[0]["code"] == "1.002544"  # the record holds another procedure's page
    assert first.created == 1762 and Procedure.objects.count() == 1762
    assert first.parse["records"] == 1763 and first.parse["share_both"] >= STRICT_SHARE_BOTH
    assert all(f["message"] for f in first.failures + first.warnings)

    # Spot checks against the catalogue as published
    permit = Procedure.objects.get(code="1.013225").current
    times = {(c.kind, c.time_value, c.time_unit) for c in permit.channels.all()}
    assert ("direct", 15, "day") in times and ("online", 20, "day") in times
    assert permit.level_commune and not permit.level_province
    customs = Procedure.objects.get(code="1.000005").current
    assert [f.amount for c in customs.channels.all() for f in c.fees.all()] == [20_000]

    second = import_catalogue(path)
    assert (second.created, second.updated, second.unchanged, second.failed) == (0, 0, 1762, 1)
    assert ProcedureVersion.objects.count() == 1762
    assert AuditEvent.objects.filter(action="catalog.imported").count() == 2  # the second run only failed one


@pytest.mark.django_db
def test_assumed_unit_option_reports_the_rate_after_assuming(tmp_path):
    path = shared_data("tthc-catalogue", "procedures.jsonl.gz")
    records = [item for item in iter_catalogue(path)][:400]
    report = import_records(records, assume_unit="working_day")
    assert report.parse_with_assumed_unit["channels_assumed"] > 0
    assert report.parse_with_assumed_unit["share_both"] > report.parse["share_both"]
    assert any(w["problem"] == "time_unit_assumed" for w in report.warnings)
    assert not Channel.objects.filter(time_value__isnull=False, time_unit="").exists()


def _write_jsonl(path, lines):
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for line in lines:
            f.write(line + "\n")


@pytest.mark.django_db
def test_bad_records_are_reported_and_good_ones_still_import(tmp_path):
    good = raw_record()
    bad_code = raw_record(code="1.23")
    no_name = raw_record(code="1.099009", ten_thu_tuc="")
    unknown_field = raw_record(code="1.099010", truong_la="?")
    negative = raw_record(code="1.099011", cach_thuc_thuc_hien="Hình thức nộpThời gianPhí, lệ phíMô tả"
                                                                  "Trực tiếp-5 Ngày làm việcMiễn phí")
    path = tmp_path / "catalogue.jsonl.gz"
    _write_jsonl(path, [json.dumps(good, ensure_ascii=False), "{not json", json.dumps(bad_code),
                        json.dumps(no_name, ensure_ascii=False), json.dumps(unknown_field, ensure_ascii=False),
                        json.dumps(negative, ensure_ascii=False)])
    report_file = tmp_path / "report.json"
    call_command("import_procedures", str(path), "--report", str(report_file), "--no-progress")
    report = json.loads(report_file.read_text("utf-8"))
    assert report["created"] == 2  # the good record and the one with an unknown field
    assert report["failed"] == 4
    by_line = {f["line"]: f for f in report["failures"]}
    assert by_line[2]["problem"] == "record_invalid" and by_line[2]["code"] is None
    assert by_line[3]["code"] == "1.23"
    assert by_line[4]["code"] == "1.099009"
    assert any(w["code"] == "1.099010" and w["problem"] == "field_unknown" and w["field"] == "truong_la"
               for w in report["warnings"])
    assert "âm" in by_line[6]["message"] and by_line[6]["code"] == "1.099011"
    assert set(Procedure.objects.values_list("code", flat=True)) == {"1.099001", "1.099010"}


@pytest.mark.django_db
def test_a_changed_record_becomes_a_new_version_and_keeps_the_province_configuration(tmp_path):
    import_records([(1, raw_record(), None)])
    configure_procedure(None, "1.099001", online_level=ProcedureVersion.OnlineLevel.FULL, steps=[
        StepSpec("Tiếp nhận", Role.RECEIVING_OFFICER, 10), StepSpec("Thẩm định", Role.SPECIALIST, 90)])
    v1 = Procedure.objects.get(code="1.099001").current
    changed = raw_record(cach_thuc_thuc_hien="Hình thức nộpThời gianPhí, lệ phíMô tả"
                                             "Trực tiếp12 Ngày làm việc75,000 VNĐTrực tuyến12 Ngày làm việc75,000 VNĐ")
    report = import_records([(1, changed, None)])
    assert report.updated == 1
    procedure = Procedure.objects.get(code="1.099001")
    v2 = procedure.current
    assert (v1.number, v2.number) == (1, 2) and v1.pk != v2.pk
    assert {c.time_value for c in v1.channels.all()} == {15}  # the old version is untouched
    assert {c.time_value for c in v2.channels.all()} == {12}
    assert v2.online_level == ProcedureVersion.OnlineLevel.FULL
    assert [(s.name, s.share_percent) for s in v2.process_steps.all()] == [("Tiếp nhận", 10), ("Thẩm định", 90)]


@pytest.mark.django_db
def test_process_shares_must_add_up_to_100():
    import_records([(1, raw_record(), None)])
    from tinhso.core.errors import DomainError

    with pytest.raises(DomainError) as exc:
        configure_procedure(None, "1.099001", steps=[StepSpec("Tiếp nhận", Role.RECEIVING_OFFICER, 10),
                                                     StepSpec("Thẩm định", Role.SPECIALIST, 80)])
    assert exc.value.code == "process_shares" and "90" in exc.value.message
