"""The sectors (lĩnh vực) documents are classified in, after the departments of a province since the 2025
reorganisation, and the legal normative types a province receives but never issues (Luật, Pháp lệnh, Nghị định,
Thông tư: their notation carries the year, ``65/2018/NĐ-CP``, and is the issuer's)."""

from django.db import migrations

SECTORS = [
    "Tổng hợp, hành chính",
    "Nội vụ",
    "Lao động, người có công và xã hội",
    "Tài chính, ngân sách",
    "Kế hoạch và đầu tư",
    "Công thương",
    "Nông nghiệp",
    "Đất đai",
    "Tài nguyên và môi trường",
    "Xây dựng, quy hoạch",
    "Giao thông vận tải",
    "Khoa học, công nghệ và chuyển đổi số",
    "Giáo dục và đào tạo",
    "Y tế",
    "Văn hóa, thể thao và du lịch",
    "Tư pháp",
    "Quốc phòng, an ninh, trật tự",
    "Dân tộc, tôn giáo",
    "Thanh tra, tiếp công dân",
]
LEGAL_TYPES = ["Luật", "Pháp lệnh", "Nghị định", "Thông tư"]


def seed(apps, schema_editor):
    Sector = apps.get_model("documents", "Sector")
    DocumentType = apps.get_model("documents", "DocumentType")
    for order, name in enumerate(SECTORS, start=1):
        Sector.objects.update_or_create(name=name, defaults={"order": order})
    for order, name in enumerate(LEGAL_TYPES, start=201):
        DocumentType.objects.update_or_create(name=name, defaults={"abbreviation": None, "kind": "legal",
                                                                   "order": order})


def unseed(apps, schema_editor):
    apps.get_model("documents", "Sector").objects.filter(name__in=SECTORS, documents__isnull=True).delete()
    apps.get_model("documents", "DocumentType").objects.filter(
        name__in=LEGAL_TYPES, documents__isnull=True, registries__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("documents", "0003_classification")]

    operations = [migrations.RunPython(seed, unseed)]
