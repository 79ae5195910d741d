"""The procedure catalogue (danh mục thủ tục hành chính) and each procedure's process template.

A ``Procedure`` is the identity (national code); its content lives in immutable ``ProcedureVersion`` rows. A change
creates a new version and moves ``Procedure.current``; dossiers keep the version they were received under.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tinhso.core.models import Agency, Role
from tinhso.core.text import fold

PROCEDURE_CODE_RE = r"^\d\.\d{6}$"


class Sector(models.Model):
    """A field (lĩnh vực) of procedures, e.g. "Hộ tịch", "Hoạt động xây dựng"."""

    name = models.CharField(_("tên lĩnh vực"), max_length=200, unique=True)
    name_folded = models.CharField(max_length=200, editable=False, db_index=True)

    class Meta:
        verbose_name = _("lĩnh vực")
        verbose_name_plural = _("lĩnh vực")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name_folded = fold(self.name)
        super().save(*args, **kwargs)


class Procedure(models.Model):
    code = models.CharField(
        _("mã thủ tục"), max_length=20, unique=True,
        validators=[RegexValidator(PROCEDURE_CODE_RE, _("Mã thủ tục có dạng 1.001234."))],
    )
    current = models.ForeignKey(
        "ProcedureVersion", verbose_name=_("phiên bản hiện hành"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    is_published = models.BooleanField(_("công khai"), default=True)
    search_text = models.TextField(editable=False, blank=True, help_text="Tên, mã và lĩnh vực, không dấu, chữ thường.")
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        verbose_name = _("thủ tục hành chính")
        verbose_name_plural = _("thủ tục hành chính")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.current.name if self.current_id else ''}".strip()


class ProcedureVersion(models.Model):
    class OnlineLevel(models.TextChoices):
        FULL = "full", _("Toàn trình")
        PARTIAL = "partial", _("Một phần")
        NONE = "none", _("Không cung cấp trực tuyến")

    class DeadlineMode(models.TextChoices):
        HOURS = "hours", _("Theo giờ hành chính")
        DAYS = "days", _("Theo ngày (Bộ luật Dân sự Điều 147–148)")

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("phiên bản số"))
    effective_from = models.DateTimeField(_("áp dụng từ"))
    content_hash = models.CharField(max_length=64, editable=False)

    name = models.CharField(_("tên thủ tục"), max_length=1000)
    decision_number = models.CharField(_("quyết định công bố"), max_length=200, blank=True)
    kind = models.CharField(_("loại thủ tục"), max_length=200, blank=True)
    sector = models.ForeignKey(Sector, verbose_name=_("lĩnh vực"), null=True, blank=True, on_delete=models.PROTECT)
    level_ministry = models.BooleanField(_("cấp bộ"), default=False)
    level_province = models.BooleanField(_("cấp tỉnh"), default=False)
    level_commune = models.BooleanField(_("cấp xã"), default=False)
    subjects = models.TextField(_("đối tượng thực hiện"), blank=True)
    competent_agency_text = models.TextField(_("cơ quan có thẩm quyền"), blank=True)
    implementing_agency_text = models.TextField(_("cơ quan thực hiện"), blank=True)
    coordinating_agency_text = models.TextField(_("cơ quan phối hợp"), blank=True)
    receiving_address = models.TextField(_("địa chỉ tiếp nhận"), blank=True)
    implementing_agencies = models.ManyToManyField(
        Agency, verbose_name=_("cơ quan thực hiện trong tỉnh"), blank=True, related_name="procedure_versions"
    )
    legal_basis = models.JSONField(_("căn cứ pháp lý"), default=list, blank=True)
    conditions = models.TextField(_("yêu cầu, điều kiện"), blank=True)
    results = models.JSONField(_("kết quả"), default=list, blank=True)
    steps = models.JSONField(_("trình tự thực hiện"), default=list, blank=True)
    source_url = models.URLField(_("nguồn"), max_length=500, blank=True)
    online_level = models.CharField(
        _("mức độ trực tuyến"), max_length=10, choices=OnlineLevel.choices, default=OnlineLevel.NONE
    )
    deadline_mode = models.CharField(
        _("cách tính hạn"), max_length=10, choices=DeadlineMode.choices, default=DeadlineMode.HOURS
    )
    use_cutoff = models.BooleanField(
        _("áp dụng giờ chốt buổi chiều"), default=True,
        help_text=_("Chế độ tính theo ngày: hồ sơ nhận sau giờ chốt được coi như nhận vào ngày làm việc tiếp theo."),
    )

    class Meta:
        verbose_name = _("phiên bản thủ tục")
        verbose_name_plural = _("phiên bản thủ tục")
        ordering = ["procedure_id", "-number"]
        constraints = [models.UniqueConstraint(fields=["procedure", "number"], name="procedure_version_unique")]

    def __str__(self) -> str:
        return f"{self.procedure.code} v{self.number}"

    @property
    def levels(self) -> list[str]:
        return [label for flag, label in ((self.level_ministry, "Cấp bộ"), (self.level_province, "Cấp tỉnh"),
                                          (self.level_commune, "Cấp xã")) if flag]

    def channel(self, kind: str) -> "Channel | None":
        return next((c for c in self.channels.all() if c.kind == kind), None)

    def clean_process(self) -> None:
        """A process template's shares must add up to 100 %."""
        steps = list(self.process_steps.all())
        if steps and sum((s.share_percent for s in steps), Decimal(0)) != Decimal(100):
            raise ValidationError(_("Tổng tỷ lệ thời gian của các bước phải bằng 100%."), code="process_shares")


class Channel(models.Model):
    """A submission channel with its own processing time and fees.

    A procedure may list the same channel more than once, one row per case ("30 ngày; trường hợp cần kiểm tra thực
    tế: 40 ngày"): each row is kept, in catalogue order, with its description naming the case.
    """

    class Kind(models.TextChoices):
        DIRECT = "direct", _("Trực tiếp")
        ONLINE = "online", _("Trực tuyến")
        POSTAL = "postal", _("Dịch vụ bưu chính")

    class Unit(models.TextChoices):
        WORKING_DAY = "working_day", _("ngày làm việc")
        WORKING_HOUR = "working_hour", _("giờ làm việc")
        DAY = "day", _("ngày")
        HOUR = "hour", _("giờ")
        MONTH = "month", _("tháng")
        WEEK = "week", _("tuần")
        YEAR = "year", _("năm")
        MINUTE = "minute", _("phút")

    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="channels")
    order = models.PositiveIntegerField(_("thứ tự"), default=0)
    kind = models.CharField(_("hình thức nộp"), max_length=10, choices=Kind.choices)
    time_value = models.DecimalField(
        _("thời hạn giải quyết"), max_digits=8, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    time_unit = models.CharField(_("đơn vị thời hạn"), max_length=15, choices=Unit.choices, blank=True)
    time_text = models.CharField(_("thời hạn (nguyên văn)"), max_length=200, blank=True)
    free = models.BooleanField(_("miễn phí"), default=False)
    fee_note = models.TextField(
        _("ghi chú về phí"), blank=True,
        help_text=_("Ví dụ “Miễn phí” kèm “theo quy định của Hội đồng nhân dân cấp tỉnh”: phí có thể vẫn phải nộp."),
    )
    description = models.TextField(_("mô tả"), blank=True)

    class Meta:
        verbose_name = _("cách thức thực hiện")
        verbose_name_plural = _("cách thức thực hiện")
        ordering = ["version_id", "order"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.time_display}"

    @property
    def time_display(self) -> str:
        if self.time_value is None:
            return self.time_text or "Chưa có thông tin"
        value = self.time_value.normalize()
        number = f"{value:f}".replace(".", ",")
        return f"{number} {self.get_time_unit_display()}" if self.time_unit else number


class Fee(models.Model):
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="fees")
    amount = models.PositiveBigIntegerField(
        _("số tiền (đồng)"), null=True, blank=True, help_text=_("Để trống khi phí không tính bằng đồng.")
    )
    currency = models.CharField(_("đơn vị tiền"), max_length=3, default="VND")
    original_amount = models.DecimalField(
        _("số tiền theo đơn vị gốc"), max_digits=16, decimal_places=2, null=True, blank=True,
        help_text=_("Ví dụ phí tính bằng USD."),
    )
    text = models.TextField(_("diễn giải"), blank=True)

    class Meta:
        verbose_name = _("phí, lệ phí")
        verbose_name_plural = _("phí, lệ phí")
        ordering = ["id"]

    def __str__(self) -> str:
        if self.amount is not None:
            return f"{self.amount:,} đồng".replace(",", ".")
        if self.original_amount is not None:
            return f"{self.original_amount} {self.currency}"
        return self.text[:60]


class Component(models.Model):
    """A document the applicant brings or uploads (thành phần hồ sơ)."""

    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="components")
    order = models.PositiveIntegerField(_("thứ tự"))
    group = models.CharField(_("nhóm"), max_length=500, blank=True)
    name = models.TextField(_("tên giấy tờ"))
    template_name = models.CharField(_("mẫu đơn, tờ khai"), max_length=500, blank=True)
    template_file = models.FileField(_("tệp mẫu"), upload_to="procedure-templates/", blank=True)
    originals = models.PositiveIntegerField(_("số bản chính"), default=0)
    copies = models.PositiveIntegerField(_("số bản sao"), default=0)
    mandatory = models.BooleanField(_("bắt buộc"), default=True)

    class Meta:
        verbose_name = _("thành phần hồ sơ")
        verbose_name_plural = _("thành phần hồ sơ")
        ordering = ["version_id", "order"]

    def __str__(self) -> str:
        return self.name[:80]

    @property
    def count_display(self) -> str:
        parts = []
        if self.originals:
            parts.append(f"{self.originals} bản chính")
        if self.copies:
            parts.append(f"{self.copies} bản sao")
        return ", ".join(parts)


class ProcessStep(models.Model):
    """One step of the process template: who acts, where, and what share of the time limit it gets."""

    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="process_steps")
    order = models.PositiveIntegerField(_("thứ tự"))
    name = models.CharField(_("tên bước"), max_length=200)
    role = models.CharField(_("vai trò thực hiện"), max_length=20, choices=Role.choices)
    agency = models.ForeignKey(
        Agency, verbose_name=_("cơ quan thực hiện"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text=_("Để trống: cơ quan tiếp nhận hồ sơ."),
    )
    share_percent = models.DecimalField(
        _("tỷ lệ thời hạn (%)"), max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )

    class Meta:
        verbose_name = _("bước quy trình")
        verbose_name_plural = _("quy trình xử lý")
        ordering = ["version_id", "order"]
        constraints = [models.UniqueConstraint(fields=["version", "order"], name="process_step_unique")]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"
