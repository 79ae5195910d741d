from decimal import Decimal

import pytest
from django.core.management import call_command

from tinhso.catalog.models import Procedure
from tinhso.core.models import AdministrativeUnit, Agency, AuditEvent, Membership, Role, User


@pytest.mark.django_db
def test_demo_loads_a_province_and_a_second_run_changes_nothing(capsys):
    call_command("demo")
    assert "Đã nạp tỉnh minh họa Lạng Sơn" in capsys.readouterr().out
    counts = {model: model.objects.count() for model in (AdministrativeUnit, Agency, User, Membership, Procedure)}
    audit = AuditEvent.objects.count()

    call_command("demo")
    assert "không có gì thay đổi" in capsys.readouterr().out
    assert {model: model.objects.count() for model in counts} == counts
    assert AuditEvent.objects.count() == audit

    assert AdministrativeUnit.objects.filter(level="province", valid_to__isnull=True).count() == 34
    lang_son = AdministrativeUnit.objects.get(level="province", code="20", valid_to__isnull=True)
    assert lang_son.children.count() == 65
    assert set(Membership.objects.values_list("role", flat=True)) == set(Role.values)
    assert set(User.objects.values_list("kind", flat=True)) == set(User.Kind.values)

    procedures = Procedure.objects.select_related("current")
    assert procedures.count() >= 50
    for procedure in procedures:
        version = procedure.current
        steps = list(version.process_steps.all())
        assert sum((s.share_percent for s in steps), Decimal(0)) == 100, procedure.code
        assert version.implementing_agencies.exists(), procedure.code
        assert all(c.time_value is not None and c.time_unit for c in version.channels.all()), procedure.code
    birth = Procedure.objects.get(code="1.001193").current
    assert birth.deadline_mode == "days" and birth.online_level == "full"


@pytest.mark.django_db
def test_demo_pages_show_the_province(client):
    call_command("demo")
    html = client.get("/").content.decode()
    assert "Cổng dịch vụ công Tỉnh Lạng Sơn" in html and "Hộ tịch" in html
    html = client.get("/thu-tuc/1.001193/").content.decode()
    assert "Ủy ban nhân dân phường Lương Văn Tri" in html and "1 ngày làm việc" in html
    html = client.get("/co-quan/", {"q": "tu phap"}).content.decode()
    assert "Sở Tư pháp" in html and "000.00.03.H37" in html


@pytest.mark.django_db
def test_demo_accounts_can_sign_in(client):
    call_command("demo")
    r = client.post("/dang-nhap/", {"username": "tiepnhan", "password": "tinhso-demo-2026"})
    assert r.status_code == 302
    html = client.get("/tai-khoan/").content.decode()
    assert "Cán bộ tiếp nhận" in html and "Trung tâm Phục vụ hành chính công tỉnh Lạng Sơn" in html
