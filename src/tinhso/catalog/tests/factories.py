"""Raw catalogue records in the national format, written for tests (shaped like the real data, not copied)."""

from tinhso.catalog.parsing import parse_record
from tinhso.catalog.services import save_parsed

HEADER = "Hình thức nộpThời gianPhí, lệ phíMô tả"


def raw_record(code="1.099001", name="Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ", level="Cấp xã",
               field="Hoạt động xây dựng", channels=None, **extra) -> dict:
    channels = channels or (
        "Trực tiếp15 Ngày làm việc75,000 VNĐ(Nhà ở riêng lẻ)"
        "Trực tuyến15 Ngày làm việc75,000 VNĐ(Nhà ở riêng lẻ)"
    )
    record = {
        "ma_thu_tuc": code,
        "ten_thu_tuc": name,
        "so_quyet_dinh": "1234/QĐ-BXD",
        "cap_thuc_hien": level,
        "loai_thu_tuc": "TTHC được luật giao quy định chi tiết",
        "linh_vuc": field,
        "doi_tuong_thuc_hien": "Công dân Việt Nam",
        "co_quan_co_tham_quyen": "Ủy ban nhân dân cấp xã",
        "co_quan_thuc_hien": "Ủy ban nhân dân cấp xã",
        "co_quan_phoi_hop": "",
        "dia_chi_tiep_nhan": "",
        "co_quan_duoc_uy_quyen": "",
        "thu_tuc_lien_quan": "Không có thông tin",
        "trinh_tu_thuc_hien": "Bước 1: Nộp hồ sơ.\nBước 2: Nhận kết quả.",
        "cach_thuc_thuc_hien": HEADER + channels,
        "thanh_phan_ho_so": "Tên giấy tờMẫu đơn, tờ khaiSố lượngĐơn đề nghị cấp giấy phép xây dựng.1 bản chính"
                            "Bản vẽ thiết kế xây dựng.0 bản chính,2 bản sao",
        "can_cu_phap_ly": "Tên văn bản pháp lýMã văn bảnLuật 50/2014/QH1350/2014/QH13",
        "yeu_cau_dieu_kien": "Không có thông tin",
        "ket_qua_xu_ly": "Giấy phép xây dựngMã: KQ.G13.000001Từ khóaKhông có thông tinMô tảKhông có thông tin",
        "raw_text": "",
        "detail_url": f"https://dichvucong.gov.vn/thu-tuc-hanh-chinh/{code}",
    }
    record.update(extra)
    return record


def make_procedure(**kwargs):
    """Parse and store one procedure through the importer's own path; returns the ``Procedure``."""
    from tinhso.catalog.models import Procedure

    parsed = parse_record(raw_record(**kwargs))
    save_parsed(parsed)
    return Procedure.objects.get(code=parsed.code)
