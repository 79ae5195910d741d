"""The public statistics (no sign-in, charts, CSV/JSON), the scoreboard and dashboard for leaders (scoped by their
agency), the drill-down, the API mirrors and the ``tinhso scoreboard`` command."""

import csv
import io
import json
import re
from datetime import date

import pytest
from django.core.management import call_command
from django.test import Client

from tinhso.reporting import services
from tinhso.reporting.models import FeedState, IndicatorRule

from .test_indicators import march_dossiers

MARCH = {"ky": "thang", "nam": 2026, "thang": 3}
API_MARCH = {"period": "month", "year": 2026, "month": 3}


@pytest.fixture
def data(province):
    march_dossiers(province)
    return province


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_public_statistics_page_without_sign_in(data):
    response = Client().get("/thong-ke/", MARCH)
    assert response.status_code == 200
    html = response.content.decode()
    # Charts are server-rendered SVG with a title and a description, and the same figures in tables.
    assert html.count('<svg class="chart" role="img"') == 4
    assert "Tỷ lệ hồ sơ đúng hạn, trong hạn theo cơ quan — Tháng 3/2026" in html
    assert "<desc" in html and "Sở Tư pháp: 66,67%" in html  # D1, D3, D7, D8 of 6
    assert "Phường Lương Văn Tri" in html and "Không xác định xã, phường" in html
    # No person and no dossier code is shown on the public page.
    assert "Người nộp thử nghiệm" not in html and "H37-2603" not in html
    # The figures came from the event log on first view (no command was run).
    assert FeedState.objects.get().last_event_id > 0


@pytest.mark.django_db
def test_public_downloads_csv_and_json(data):
    client = Client()
    response = client.get("/thong-ke/du-lieu.csv", MARCH)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="thong-ke-ho-so-20260301-20260331.csv"' in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    header, province = rows[0], rows[1]
    assert header[:4] == ["Phạm vi", "Mã", "Tên", "Hồ sơ tiếp nhận"]
    assert province[:8] == ["tinh", "", "Toàn tỉnh", "8", "5", "3", "3", "62.50"]
    department = next(r for r in rows if r[1] == data.department.code)
    assert department[3:6] == ["6", "4", "2"]
    body = json.loads(client.get("/thong-ke/du-lieu.json", MARCH).content)
    assert body["period"] == {"from": "2026-03-01", "to": "2026-03-31", "label": "Tháng 3/2026"}
    assert body["rows"][0]["received"] == 8 and body["rows"][0]["satisfaction_rate"] == "50.00"
    bad = client.get("/thong-ke/du-lieu.json", {"ky": "thang", "nam": 2026, "thang": 13})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_period"


@pytest.mark.django_db
def test_bad_period_shows_a_message_not_an_error(data):
    response = Client().get("/thong-ke/", {"tu_ngay": "31/02/2026"})
    assert response.status_code == 200
    assert "Ngày phải có dạng dd/mm/yyyy" in response.content.decode()


@pytest.mark.django_db
def test_scoreboard_is_for_leaders_only(data):
    assert Client().get("/thong-ke/chi-so-766/").status_code == 302  # sign in first
    specialist = signed_in(data.specialist)
    response = specialist.get("/thong-ke/chi-so-766/")
    assert response.status_code == 403 and "lãnh đạo" in response.content.decode()
    api = specialist.get("/api/reporting/scoreboard", API_MARCH)
    assert api.status_code == 403 and api.json()["code"] == "scoreboard_forbidden"
    assert Client().get("/api/reporting/scoreboard", API_MARCH).json()["code"] == "not_authenticated"


@pytest.mark.django_db
def test_province_leader_sees_the_province_with_drilldown(data):
    client = signed_in(data.leader)
    html = client.get("/thong-ke/chi-so-766/", MARCH).content.decode()
    assert "Toàn tỉnh · Tháng 3/2026" in html
    assert "51,72 điểm / 78 điểm có dữ liệu" in html
    assert "công thức chưa xác nhận" in html and "không có dữ liệu" in html
    assert "3 mục bị trừ điểm" in html  # 2.1: D2, D4, D6
    drill = client.get("/thong-ke/chi-so-766/2.1/", MARCH).content.decode()
    assert "Yêu cầu bổ sung 2 lần khi đang xử lý: tính là quá hạn" in drill
    assert "Chưa kết thúc, đã quá hạn 27/03/2026 17:00" in drill
    assert "Kết thúc 09/03/2026 09:00, sau hạn 06/03/2026 17:00" in drill
    procedures = client.get("/thong-ke/chi-so-766/PUBLIC_CONTENT_FULL/", MARCH).content.decode()
    assert "Thiếu đối tượng thực hiện" in procedures and data.p_partial.code in procedures
    assert client.get("/thong-ke/chi-so-766/KHONG_CO/", MARCH).status_code == 404
    dashboard = client.get("/thong-ke/lanh-dao/", MARCH).content.decode()
    assert dashboard.count('<svg class="chart" role="img"') == 3
    assert "Xu hướng theo tháng" in dashboard and "Sở Tư pháp" in dashboard


@pytest.mark.django_db
def test_agency_leader_is_held_to_their_agency(data):
    client = signed_in(data.director)
    html = client.get("/thong-ke/chi-so-766/", MARCH).content.decode()
    assert "Sở Tư pháp · Tháng 3/2026" in html  # no province view: their own agency by default
    other = client.get("/thong-ke/chi-so-766/", {**MARCH, "co_quan": data.commune_committee.code}).content.decode()
    assert "Bạn chỉ xem được chỉ số của cơ quan mình" in other and "Sở Tư pháp · Tháng 3/2026" in other
    # The drill-down lists only the department's dossiers (D2 and D6 are late; D4 is the commune's).
    drill = client.get("/thong-ke/chi-so-766/2.1/", MARCH).content.decode()
    assert "09/03/2026 09:00" in drill and "Yêu cầu bổ sung 2 lần" not in drill
    api = client.get("/api/reporting/scoreboard", {**API_MARCH, "agency": data.commune_committee.code})
    assert api.status_code == 403 and api.json()["code"] == "scope_forbidden"
    own = client.get("/api/reporting/scoreboard", API_MARCH).json()
    assert own["scope"]["agency"] == data.department.code
    rate = next(i for g in own["groups"] for i in g["indicators"] if i["id"] == "2.1")
    assert (rate["numerator"], rate["denominator"], rate["value"], rate["points"]) == (4, 6, "66.67", "13.33")
    # A commune chairman may look at their commune (the applicants' commune).
    chairman = signed_in(data.chairman)
    commune = chairman.get("/api/reporting/scoreboard", {**API_MARCH, "commune": data.commune.code}).json()
    assert commune["scope"]["commune"] == data.commune.code


@pytest.mark.django_db
def test_api_scoreboard_drilldown_dashboard_and_public(data):
    client = signed_in(data.leader)
    board = client.get("/api/reporting/scoreboard", API_MARCH).json()
    assert board["period"] == {"from": "2026-03-01", "to": "2026-03-31", "label": "Tháng 3/2026"}
    assert board["points"] == "51.72" and board["max_with_data"] == "78.00" and board["max"] == "100.00"
    by_id = {i["id"]: i for g in board["groups"] for i in g["indicators"]}
    assert by_id["3"]["confirmed"] is False and by_id["3"]["points"] == "8.00"
    assert by_id["DOSSIER_SYNC"]["available"] is False and by_id["DOSSIER_SYNC"]["source"] == "none"
    assert by_id["2.1"]["drilldown"] is True and by_id["3.5"]["drilldown"] is False  # nothing lost
    drill = client.get("/api/reporting/scoreboard/2.1/items", API_MARCH).json()
    assert drill["kind"] == "dossiers" and drill["count"] == 3
    assert {tuple(r["reasons"]) for r in drill["dossiers"]} >= {("Yêu cầu bổ sung 2 lần khi đang xử lý: tính là "
                                                                 "quá hạn",)}
    assert client.get("/api/reporting/scoreboard/2.2/items", API_MARCH).json()["code"] == "no_drilldown"
    assert client.get("/api/reporting/scoreboard/X/items", API_MARCH).status_code == 400
    dashboard = client.get("/api/reporting/dashboard", {"start": "2026-02-01", "end": "2026-03-31"}).json()
    assert [r["code"] for r in dashboard["trend"]] == ["2026-02-01", "2026-03-01"]
    assert [r["received"] for r in dashboard["trend"]] == [1, 8]
    public = Client().get("/api/reporting/public", API_MARCH).json()
    assert public["province"]["received"] == 8 and public["province"]["on_time_rate"] == "62.50"
    assert {c["name"] for c in public["communes"]} >= {"Phường Lương Văn Tri", "Phường Đông Kinh"}
    bad = Client().get("/api/reporting/public", {"period": "week"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_period"
    unknown = client.get("/api/reporting/scoreboard", {**API_MARCH, "procedure": "9.999999"})
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_procedure"


@pytest.mark.django_db
def test_command_prints_the_same_figures(data, capsys):
    call_command("scoreboard", "--from", "2026-03-01", "--to", "2026-03-31", "--json")
    out = json.loads(capsys.readouterr().out)
    by_id = {i["id"]: i for i in out["indicators"]}
    assert out["from"] == "2026-03-01" and out["points"] == "51.72"
    assert (by_id["2.1"]["value"], by_id["2.1"]["points"], by_id["2.1"]["max"]) == ("62.50", "12.50", "20.00")
    assert by_id["ORIGINAL_RESULT_AVAILABLE"]["formula_id"] == "4.1"
    assert by_id["PUBLISH_ON_TIME"]["value"] is None
    call_command("scoreboard", "--from", "2026-03-01", "--to", "2026-03-31", "--agency", data.department.code)
    text = capsys.readouterr().out
    assert "Sở Tư pháp" in text and re.search(r"2\.1\s+66,67%|2\.1\s+66\.67%", text)
    call_command("scoreboard", "refresh", "--full")
    assert json.loads(capsys.readouterr().out)["dossiers"] == 9


@pytest.mark.django_db
def test_rule_versions_are_validated_and_audited(data):
    from tinhso.core.errors import DomainError
    from tinhso.core.models import AuditEvent

    with pytest.raises(DomainError) as bad:
        services.save_rule(None, IndicatorRule(indicator="2.1", effective_from=date(2026, 1, 1),
                                               threshold_percent=120))
    assert bad.value.code == "invalid_threshold"
    services.save_rule(None, IndicatorRule(indicator="2.1", effective_from=date(2026, 1, 1), max_points=25,
                                           confirmed=True, note="Bộ chỉ số của tỉnh"))
    assert AuditEvent.objects.filter(action="reporting.rule_added").exists()
    board = signed_in(data.leader).get("/api/reporting/scoreboard", API_MARCH).json()
    rate = next(i for g in board["groups"] for i in g["indicators"] if i["id"] == "2.1")
    assert rate["max"] == "25.00" and rate["points"] == "15.63"  # 62.5 % × 25 = 15.625, rounded half up
