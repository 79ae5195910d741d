import pytest

from tinhso.catalog.models import Procedure

from .factories import make_procedure


@pytest.fixture
def procedures(db):
    make_procedure()
    make_procedure(code="1.099002", name="Đăng ký khai sinh", field="Hộ tịch",
                   channels="Trực tiếpKhông có thông tinMiễn phí")
    make_procedure(code="2.099003", name="Cấp phép hoạt động đo đạc", level="Cấp tỉnh", field="Đo đạc",
                   channels="Trực tiếp10 Ngày làm việc1,500,000 VNĐ(Cấp mới)Dịch vụ bưu chính10 Ngày làm việc"
                            "1,500,000 VNĐ(Cấp mới)")
    return Procedure.objects.all()


def test_search_ignores_diacritics_and_case(client, procedures):
    for q in ["giay phep xay dung", "GIẤY PHÉP XÂY DỰNG", "Giay Phép xay", "1.099001"]:
        r = client.get("/api/procedures", {"q": q})
        assert r.status_code == 200
        codes = [item["code"] for item in r.json()["items"]]
        assert codes == ["1.099001"], q


def test_search_handles_d_with_stroke(client, procedures):
    r = client.get("/api/procedures", {"q": "dang ky khai sinh"})
    assert [i["code"] for i in r.json()["items"]] == ["1.099002"]
    r = client.get("/api/procedures", {"q": "đo đạc"})
    assert [i["code"] for i in r.json()["items"]] == ["2.099003"]


def test_filters_by_level_and_online(client, procedures):
    r = client.get("/api/procedures", {"level": "tinh"})
    assert [i["code"] for i in r.json()["items"]] == ["2.099003"]
    r = client.get("/api/procedures", {"online": "partial"})
    assert [i["code"] for i in r.json()["items"]] == ["1.099001"]
    assert client.get("/api/procedures", {"q": "khong co thu tuc nao nhu vay"}).json()["count"] == 0


def test_procedure_detail_gives_times_and_fees_as_numbers(client, procedures):
    r = client.get("/api/procedures/2.099003")
    assert r.status_code == 200
    body = r.json()
    channels = {c["kind"]: c for c in body["channels"]}
    assert set(channels) == {"direct", "postal"}
    assert channels["direct"]["processing_time"] == {
        "value": 10.0, "unit": "working_day", "unit_label": "ngày làm việc", "text": "10 ngày làm việc"}
    assert [f["amount"] for f in channels["postal"]["fees"]] == [1_500_000]
    assert body["levels"] == ["Cấp tỉnh"]


def test_missing_time_is_null_not_invented(client, procedures):
    body = client.get("/api/procedures/1.099002").json()
    direct = body["channels"][0]
    assert direct["processing_time"]["value"] is None
    assert direct["free"] is True


def test_unknown_procedure_is_a_json_404(client, procedures):
    r = client.get("/api/procedures/9.999999")
    assert r.status_code == 404
    assert r.json()["code"] == "procedure_not_found"


def test_openapi_is_served(client, db):
    r = client.get("/api/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert "/api/procedures" in paths and "/api/procedures/{code}" in paths
    assert client.get("/api/docs").status_code == 200


def test_catalogue_pages_render_in_vietnamese(client, procedures):
    r = client.get("/thu-tuc/", {"q": "giay phep xay dung"})
    html = r.content.decode()
    assert r.status_code == 200 and "Cấp giấy phép xây dựng mới" in html and "Tìm thấy 1 thủ tục" in html
    r = client.get("/thu-tuc/2.099003/")
    html = r.content.decode()
    assert "1.500.000 đồng" in html and "10 ngày làm việc" in html and "Dịch vụ bưu chính" in html
    assert client.get("/thu-tuc/9.999999/").status_code == 404
    r = client.get("/thu-tuc/", {"q": "giay"}, HTTP_HX_REQUEST="true")
    assert "<html" not in r.content.decode() and "Cấp giấy phép" in r.content.decode()
