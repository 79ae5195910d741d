"""The public lookup by dossier code and a second factor (page and API): the right factor shows the public view
only, a wrong one the same "not found" as an unknown code, and too many tries are refused."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from tinhso.onestop import queries_public, services
from tinhso.onestop.models import Dossier

from .conftest import pdf

NOT_FOUND = "Không tìm thấy hồ sơ."


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.TINHSO = {**settings.TINHSO, "UPLOAD_MAX_FILES": 60}  # 33 mandatory components in 1.001193
    cache.clear()


@pytest.fixture
def accepted(people, desk):
    citizen = people["congdan"]
    dossier = services.create_dossier(citizen, procedure_code="1.001193", channel_kind="online",
                                      receiving_agency=desk, delivery=Dossier.Delivery.ELECTRONIC)
    for item in dossier.items.filter(mandatory=True):
        services.add_attachment(citizen, dossier, pdf("giay-chung-sinh.pdf"), item=item)
    services.submit(citizen, dossier)
    dossier = services.accept(people["tiepnhan.lvt"], dossier, note="Ghi chú nội bộ của cán bộ")
    services.assign(people["chutich.lvt"], dossier, people["congchuc.lvt"])  # a non-public event
    return Dossier.objects.get(pk=dossier.pk)


def lookup(client, code, factor, **extra):
    return client.get(reverse("onestop:lookup"), {"ma": code, "khoa": factor}, **extra)


def test_the_right_factor_shows_the_public_view_only(client, accepted):
    for factor in (accepted.lookup_secret, accepted.lookup_secret.lower(), "5678"):  # phone 0912345678
        response = lookup(client, accepted.code, factor)
        body = response.content.decode()
        assert response.status_code == 200, factor
        assert accepted.code in body and "Thủ tục đăng ký khai sinh" in body and "Được tiếp nhận" in body
        assert "Trung tâm Phục vụ hành chính công phường Lương Văn Tri" in body
        assert "Hoàng V. M." in body and "Hoàng Văn Minh" not in body
        assert "Tiếp nhận hồ sơ, hẹn ngày trả kết quả" in body
        assert accepted.received_at.astimezone(client_tz()).strftime("%d/%m/%Y") in body
    # Never: staff names, internal notes, non-public events, files, personal data
    for secret in ("Hoàng Thị Thảo", "Lương Văn Tùng", "Vy Văn Bình", "Ghi chú nội bộ", "Phân công",
                   "giay-chung-sinh.pdf", "0912345678", "020195001234", "/ho-so-cua-toi/"):
        assert secret not in body, secret


def client_tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Ho_Chi_Minh")


def test_wrong_or_missing_factor_gives_the_same_answer(client, accepted):
    answers = set()
    for code, factor in ((accepted.code, "ZZZZZZ"), (accepted.code, ""), (accepted.code, "0000"),
                         ("000.01.31.H37-000101-9999", accepted.lookup_secret), ("", accepted.lookup_secret),
                         (accepted.code, accepted.lookup_secret[:4]), (accepted.code, "\x00" * 8)):
        response = lookup(client, code, factor)
        body = response.content.decode()
        assert response.status_code == 404 and NOT_FOUND in body
        assert "Thủ tục đăng ký khai sinh" not in body
        result = body.split('id="lookup-result"')[1].split("</main>")[0]
        answers.add(result.replace(code, "").replace(factor, ""))
    assert len(answers) == 1


def test_empty_form_is_just_the_form(client, demo):
    response = client.get(reverse("onestop:lookup"))
    body = response.content.decode()
    assert response.status_code == 200 and 'name="ma"' in body and 'name="khoa"' in body and NOT_FOUND not in body


def test_second_factor_rules():
    no_phone = Dossier(lookup_secret="ABCDEF", applicant_phone="")
    assert queries_public._factor_matches(None, "") is False
    assert queries_public._factor_matches(no_phone, "") is False
    assert queries_public._factor_matches(no_phone, "----") is False
    assert queries_public._factor_matches(no_phone, "abcdef") is True
    assert queries_public._factor_matches(no_phone, " ab cdef ") is True
    with_phone = Dossier(lookup_secret="ABCDEF", applicant_phone="+84 912 345 678")
    assert queries_public._factor_matches(with_phone, "5678") is True
    assert queries_public._factor_matches(with_phone, "678") is False
    assert queries_public._factor_matches(with_phone, "45678") is False


def test_masked_names():
    assert queries_public.mask_name("Hoàng Văn Minh") == "Hoàng V. M."
    assert queries_public.mask_name("  Minh ") == "M."
    assert queries_public.mask_name("") == ""


def test_the_lookup_is_rate_limited(client, accepted, settings):
    settings.TINHSO = {**settings.TINHSO, "LOOKUP_RATE": "3/m"}
    for _ in range(3):
        assert lookup(client, accepted.code, "WRONG1").status_code == 404
    response = lookup(client, accepted.code, accepted.lookup_secret)
    assert response.status_code == 429 and "quá nhiều lần" in response.content.decode()
    assert "Thủ tục đăng ký khai sinh" not in response.content.decode()
    api = client.get(f"/api/public/dossiers/{accepted.code}", {"khoa": accepted.lookup_secret})
    assert api.status_code == 429 and api.json()["code"] == "rate_limited"
    # Another address has its own budget; opening the empty form does not count
    assert client.get(reverse("onestop:lookup")).status_code == 200
    assert lookup(client, accepted.code, accepted.lookup_secret, REMOTE_ADDR="10.0.0.9").status_code == 200
    cache.clear()
    assert lookup(client, accepted.code, accepted.lookup_secret).status_code == 200


def test_public_api_json(client, accepted):
    response = client.get(f"/api/public/dossiers/{accepted.code}", {"khoa": accepted.lookup_secret})
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"code", "procedure_name", "receiving_agency", "applicant", "status", "status_label",
                         "received_at", "due_at", "finished_at", "returned_at", "events"}
    assert data["code"] == accepted.code and data["status"] == 2 and data["status_label"] == "Được tiếp nhận"
    assert data["applicant"] == "Hoàng V. M." and data["finished_at"] is None and data["due_at"]
    assert [e["action"] for e in data["events"]] == ["submitted", "accepted"]
    assert set(data["events"][0]) == {"at", "action", "label", "status", "status_label"}
    assert "Ghi chú nội bộ" not in response.content.decode() and "Hoàng Thị Thảo" not in response.content.decode()

    for code, factor in ((accepted.code, "WRONG1"), ("KHONG-CO", accepted.lookup_secret), (accepted.code, "")):
        response = client.get(f"/api/public/dossiers/{code}", {"khoa": factor})
        assert response.status_code == 404 and response.json()["code"] == "dossier_not_found"
