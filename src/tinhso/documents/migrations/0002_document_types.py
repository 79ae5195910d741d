"""The administrative document types of NĐ 30/2020/NĐ-CP Điều 7 with their abbreviations (Phụ lục III), and the
three forms of copy. Công văn has no type abbreviation; mixed-case abbreviations (QyĐ, CTr, TTr, TrS) are kept."""

from django.db import migrations

TYPES = [
    ("Nghị quyết (cá biệt)", "NQ"),
    ("Quyết định (cá biệt)", "QĐ"),
    ("Chỉ thị", "CT"),
    ("Quy chế", "QC"),
    ("Quy định", "QyĐ"),
    ("Thông cáo", "TC"),
    ("Thông báo", "TB"),
    ("Hướng dẫn", "HD"),
    ("Chương trình", "CTr"),
    ("Kế hoạch", "KH"),
    ("Phương án", "PA"),
    ("Đề án", "ĐA"),
    ("Dự án", "DA"),
    ("Báo cáo", "BC"),
    ("Biên bản", "BB"),
    ("Tờ trình", "TTr"),
    ("Hợp đồng", "HĐ"),
    ("Công văn", None),
    ("Công điện", "CĐ"),
    ("Bản ghi nhớ", "BGN"),
    ("Bản thỏa thuận", "BTT"),
    ("Giấy ủy quyền", "GUQ"),
    ("Giấy mời", "GM"),
    ("Giấy giới thiệu", "GGT"),
    ("Giấy nghỉ phép", "GNP"),
    ("Phiếu gửi", "PG"),
    ("Phiếu chuyển", "PC"),
    ("Phiếu báo", "PB"),
]
COPIES = [
    ("Bản sao y", "SY"),
    ("Bản trích sao", "TrS"),
    ("Bản sao lục", "SL"),
]


def seed(apps, schema_editor):
    DocumentType = apps.get_model("documents", "DocumentType")
    for order, (name, abbreviation) in enumerate(TYPES, start=1):
        DocumentType.objects.update_or_create(
            name=name, defaults={"abbreviation": abbreviation, "kind": "document", "order": order})
    for order, (name, abbreviation) in enumerate(COPIES, start=101):
        DocumentType.objects.update_or_create(
            name=name, defaults={"abbreviation": abbreviation, "kind": "copy", "order": order})


def unseed(apps, schema_editor):
    DocumentType = apps.get_model("documents", "DocumentType")
    DocumentType.objects.filter(name__in=[n for n, _a in TYPES + COPIES], documents__isnull=True,
                                registries__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
