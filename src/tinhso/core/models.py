"""Platform data shared by every domain: administrative units, agencies, people and roles, calendar rules, audit.

Invariants are enforced here (validators, constraints, ``clean``); state changes go through ``services.py``.
"""

import re
from datetime import date

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .text import fold

# ---------------------------------------------------------------------------------------------------------------
# Administrative units
# ---------------------------------------------------------------------------------------------------------------

#: The two-level local government (provinces and communes, no district) took office on this day (NQ 202/2025/QH15).
REFORM_DATE_2025 = date(2025, 7, 1)


class AdministrativeUnit(models.Model):
    """A province, (pre-2025) district or commune-level unit with the statistics office's code.

    A unit is valid on ``d`` when ``valid_from <= d < valid_to`` (open ends allowed). Codes were reused by the 2025
    reform (the new "Phường Ba Đình" has the code 00004 of the old "Phường Trúc Bạch"), so a code alone does not name
    a unit: (level, code) is unique among current units and among the units that ended on the same day.
    """

    class Level(models.TextChoices):
        PROVINCE = "province", _("Cấp tỉnh")
        DISTRICT = "district", _("Cấp huyện")
        COMMUNE = "commune", _("Cấp xã")

    code = models.CharField(
        _("mã"), max_length=10, help_text=_("Mã của cơ quan thống kê: tỉnh 2 chữ số, huyện 3, xã 5.")
    )
    name = models.CharField(_("tên"), max_length=200)
    division_type = models.CharField(
        _("loại đơn vị"), max_length=40, help_text=_("tỉnh, thành phố trung ương, huyện, quận, xã, phường, đặc khu…")
    )
    level = models.CharField(_("cấp"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("đơn vị cấp trên"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    valid_from = models.DateField(_("hiệu lực từ"), null=True, blank=True, help_text=_("Để trống nếu không rõ."))
    valid_to = models.DateField(_("hết hiệu lực từ"), null=True, blank=True, help_text=_("Để trống nếu còn hiệu lực."))
    name_folded = models.CharField(max_length=200, editable=False, db_index=True)

    class Meta:
        verbose_name = _("đơn vị hành chính")
        verbose_name_plural = _("đơn vị hành chính")
        ordering = ["level", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["level", "code"], condition=Q(valid_to__isnull=True), name="unit_current_code_unique"
            ),
            models.UniqueConstraint(
                fields=["level", "code", "valid_to"], condition=Q(valid_to__isnull=False), name="unit_past_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name_folded = fold(self.name)
        super().save(*args, **kwargs)

    def is_valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day < self.valid_to)

    @property
    def province(self) -> "AdministrativeUnit":
        unit = self
        while unit.parent_id is not None:
            unit = unit.parent
        return unit


class UnitSuccession(models.Model):
    """The official old → new mapping: ``predecessor`` became (all or part of) ``successor`` on ``effective_date``."""

    predecessor = models.ForeignKey(
        AdministrativeUnit, verbose_name=_("đơn vị cũ"), on_delete=models.CASCADE, related_name="successions"
    )
    successor = models.ForeignKey(
        AdministrativeUnit, verbose_name=_("đơn vị mới"), on_delete=models.CASCADE, related_name="precursions"
    )
    effective_date = models.DateField(_("ngày hiệu lực"), default=REFORM_DATE_2025)
    whole = models.BooleanField(_("nhập toàn bộ"), default=True, help_text=_("Sai nếu chỉ một phần diện tích/dân số."))
    note = models.CharField(_("ghi chú"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("sắp xếp đơn vị hành chính")
        verbose_name_plural = _("sắp xếp đơn vị hành chính")
        constraints = [models.UniqueConstraint(fields=["predecessor", "successor"], name="succession_unique")]

    def __str__(self) -> str:
        return f"{self.predecessor} → {self.successor}"


# ---------------------------------------------------------------------------------------------------------------
# Agencies
# ---------------------------------------------------------------------------------------------------------------

#: QĐ 20/2020/QĐ-TTg electronic identifier: ``V1V2V3.Z1Z2.Y1Y2.MX1X2`` — level 4, 3, 2 groups, then the level-1 unit.
AGENCY_CODE_PATTERN = r"^(?P<g4>\d{3})\.(?P<g3>\d{2})\.(?P<g2>\d{2})\.(?P<g1>[A-Z]\d{2})$"
_AGENCY_CODE_RE = re.compile(AGENCY_CODE_PATTERN)


def agency_code_level(code: str) -> int:
    """The level (1–4) encoded by an agency identifier; raises ``ValidationError`` when malformed.

    ``000.00.00.H37`` is level 1 (the provincial People's Committee), ``000.00.12.H37`` level 2 (a department),
    ``000.05.12.H37`` level 3 and ``001.05.12.H37`` level 4. Lower groups may only be set when the upper ones are.
    """
    match = _AGENCY_CODE_RE.match(code or "")
    if not match:
        raise ValidationError(
            _("Mã định danh “%(code)s” không đúng dạng NNN.NN.NN.Xnn (ví dụ 000.00.00.H37)."),
            code="agency_code_format",
            params={"code": code},
        )
    g4, g3, g2 = match["g4"], match["g3"], match["g2"]
    if g2 == "00" and (g3 != "00" or g4 != "000"):
        raise ValidationError(
            _("Mã định danh “%(code)s”: nhóm cấp 3, cấp 4 chỉ có khi nhóm cấp 2 khác 00."),
            code="agency_code_structure",
            params={"code": code},
        )
    if g3 == "00" and g4 != "000":
        raise ValidationError(
            _("Mã định danh “%(code)s”: nhóm cấp 4 chỉ có khi nhóm cấp 3 khác 00."),
            code="agency_code_structure",
            params={"code": code},
        )
    if g2 == "00":
        return 1
    if g3 == "00":
        return 2
    if g4 == "000":
        return 3
    return 4


def validate_agency_code(code: str) -> None:
    agency_code_level(code)


class Agency(models.Model):
    """A state body or unit (cơ quan, đơn vị) in the province's tree: UBND tỉnh → sở/ban/ngành → phòng; UBND xã; …"""

    class Kind(models.TextChoices):
        PROVINCIAL_COMMITTEE = "ubnd_tinh", _("Ủy ban nhân dân tỉnh/thành phố")
        DEPARTMENT = "so_nganh", _("Sở, ban, ngành")
        DIVISION = "phong", _("Phòng, đơn vị thuộc sở")
        COMMUNE_COMMITTEE = "ubnd_xa", _("Ủy ban nhân dân xã/phường/đặc khu")
        SERVICE_CENTRE = "ttpvhcc", _("Trung tâm Phục vụ hành chính công tỉnh")
        COMMUNE_SERVICE_CENTRE = "ttpvhcc_xa", _("Trung tâm Phục vụ hành chính công cấp xã (bộ phận một cửa)")
        OTHER = "khac", _("Khác")

    ONE_STOP_KINDS = (Kind.SERVICE_CENTRE, Kind.COMMUNE_SERVICE_CENTRE)

    code = models.CharField(
        _("mã định danh"), max_length=13, unique=True, validators=[validate_agency_code],
        help_text=_("Mã định danh điện tử theo QĐ 20/2020/QĐ-TTg, dạng NNN.NN.NN.Xnn."),
    )
    name = models.CharField(_("tên đầy đủ"), max_length=250)
    short_name = models.CharField(
        _("tên viết tắt"), max_length=30, help_text=_("Dùng trong ký hiệu văn bản, ví dụ UBND, STP, VP.")
    )
    kind = models.CharField(_("loại"), max_length=12, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("cơ quan cấp trên"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    unit = models.ForeignKey(
        AdministrativeUnit, verbose_name=_("địa bàn phục vụ"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="agencies",
    )
    address = models.CharField(_("địa chỉ"), max_length=300, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=30, blank=True)
    email = models.EmailField(_("thư điện tử"), blank=True)
    website = models.URLField(_("trang thông tin"), blank=True)
    office_hours_text = models.CharField(
        _("giờ làm việc (hiển thị)"), max_length=200, blank=True,
        help_text=_("Văn bản cho công dân; giờ tính hạn nằm ở lịch làm việc của cơ quan."),
    )
    is_active = models.BooleanField(_("đang hoạt động"), default=True)
    valid_from = models.DateField(_("hoạt động từ"), null=True, blank=True)
    valid_to = models.DateField(_("ngừng hoạt động từ"), null=True, blank=True)
    name_folded = models.CharField(max_length=250, editable=False, db_index=True)

    class Meta:
        verbose_name = _("cơ quan, đơn vị")
        verbose_name_plural = _("cơ quan, đơn vị")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name_folded = fold(self.name)
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        level = agency_code_level(self.code)
        if self.parent_id:
            parent = self.parent
            parent_level = agency_code_level(parent.code)
            if parent.code.split(".")[3] != self.code.split(".")[3]:
                raise ValidationError(
                    {"code": _("Mã định danh phải cùng nhóm cấp 1 (%(g1)s) với cơ quan cấp trên.")
                     % {"g1": parent.code.split(".")[3]}}
                )
            if level <= parent_level:
                raise ValidationError({"code": _("Mã định danh phải ở cấp thấp hơn cơ quan cấp trên.")})
            ancestor = parent
            while ancestor is not None:
                if ancestor.pk == self.pk:
                    raise ValidationError({"parent": _("Cơ quan cấp trên tạo thành vòng lặp.")})
                ancestor = ancestor.parent

    @property
    def is_one_stop(self) -> bool:
        return self.kind in self.ONE_STOP_KINDS

    def ancestors(self) -> list["Agency"]:
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


# ---------------------------------------------------------------------------------------------------------------
# People and roles
# ---------------------------------------------------------------------------------------------------------------

IDENTITY_NUMBER_RE = re.compile(r"^\d{12}$")
TAX_CODE_RE = re.compile(r"^\d{10}(-\d{3})?$")


class User(AbstractUser):
    """Every account. Staff work for agencies through ``Membership``; citizens and businesses file dossiers."""

    class Kind(models.TextChoices):
        STAFF = "staff", _("Cán bộ, công chức")
        CITIZEN = "citizen", _("Công dân")
        BUSINESS = "business", _("Tổ chức, doanh nghiệp")

    kind = models.CharField(_("loại tài khoản"), max_length=10, choices=Kind.choices, default=Kind.STAFF)
    full_name = models.CharField(_("họ và tên / tên tổ chức"), max_length=200, blank=True)
    identity_number = models.CharField(
        _("số định danh cá nhân"), max_length=12, blank=True,
        validators=[RegexValidator(IDENTITY_NUMBER_RE, _("Số định danh cá nhân gồm đúng 12 chữ số."))],
    )
    tax_code = models.CharField(
        _("mã số thuế"), max_length=14, blank=True,
        validators=[RegexValidator(TAX_CODE_RE, _("Mã số thuế gồm 10 chữ số, hoặc 10 chữ số, dấu gạch và 3 chữ số."))],
    )
    phone = models.CharField(_("số điện thoại"), max_length=15, blank=True)
    address = models.CharField(_("địa chỉ"), max_length=300, blank=True)
    unit = models.ForeignKey(
        AdministrativeUnit, verbose_name=_("xã/phường nơi ở"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = UserManager()

    class Meta:
        verbose_name = _("tài khoản")
        verbose_name_plural = _("tài khoản")
        constraints = [
            models.UniqueConstraint(
                fields=["identity_number"], condition=~Q(identity_number=""), name="user_identity_number_unique"
            ),
            models.UniqueConstraint(fields=["tax_code"], condition=~Q(tax_code=""), name="user_tax_code_unique"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    def clean(self):
        super().clean()
        if self.kind == self.Kind.CITIZEN and not self.identity_number:
            raise ValidationError({"identity_number": _("Tài khoản công dân cần số định danh cá nhân.")})
        if self.kind == self.Kind.BUSINESS and not self.tax_code:
            raise ValidationError({"tax_code": _("Tài khoản tổ chức, doanh nghiệp cần mã số thuế.")})

    @property
    def is_applicant(self) -> bool:
        return self.kind in (self.Kind.CITIZEN, self.Kind.BUSINESS)


class Role(models.TextChoices):
    RECEIVING_OFFICER = "receiving_officer", _("Cán bộ tiếp nhận")
    SPECIALIST = "specialist", _("Chuyên viên")
    DEPARTMENT_HEAD = "department_head", _("Lãnh đạo phòng")
    AGENCY_LEADER = "agency_leader", _("Lãnh đạo cơ quan")
    CLERK = "clerk", _("Văn thư")
    ADMINISTRATOR = "administrator", _("Quản trị hệ thống")


class Membership(models.Model):
    """A staff account's role in one agency. A person may hold several roles, in several agencies."""

    user = models.ForeignKey(User, verbose_name=_("tài khoản"), on_delete=models.CASCADE, related_name="memberships")
    agency = models.ForeignKey(Agency, verbose_name=_("cơ quan"), on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("vai trò"), max_length=20, choices=Role.choices)
    title = models.CharField(_("chức danh"), max_length=100, blank=True)
    is_active = models.BooleanField(_("đang hiệu lực"), default=True)

    class Meta:
        verbose_name = _("phân công vai trò")
        verbose_name_plural = _("phân công vai trò")
        constraints = [models.UniqueConstraint(fields=["user", "agency", "role"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.agency.short_name}"


# ---------------------------------------------------------------------------------------------------------------
# Working-day calendar (versioned rules + overrides); the arithmetic lives in workcalendar.py
# ---------------------------------------------------------------------------------------------------------------

def default_shifts() -> list[list[str]]:
    return [["07:30", "11:30"], ["13:00", "17:00"]]


class CalendarRuleVersion(models.Model):
    """Weekly days off, office hours and the afternoon cut-off in force from ``effective_from``.

    ``agency`` empty: the province's default. An agency's own versions replace the default for that agency.
    """

    agency = models.ForeignKey(
        Agency, verbose_name=_("cơ quan"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="calendar_versions", help_text=_("Để trống: áp dụng chung toàn tỉnh."),
    )
    effective_from = models.DateField(_("áp dụng từ ngày"))
    weekly_days_off = models.CharField(
        _("ngày nghỉ hằng tuần"), max_length=20, default="5,6",
        help_text=_("Số thứ tự trong tuần, cách nhau bởi dấu phẩy: 0 = thứ Hai … 5 = thứ Bảy, 6 = Chủ nhật."),
        validators=[RegexValidator(r"^([0-6](,[0-6])*)?$", _("Chỉ gồm các số 0–6 cách nhau bởi dấu phẩy."))],
    )
    shifts = models.JSONField(
        _("ca làm việc"), default=default_shifts, help_text=_('Ví dụ [["07:30","11:30"],["13:00","17:00"]].')
    )
    cutoff = models.TimeField(
        _("giờ chốt buổi chiều"), null=True, blank=True, default="15:00",
        help_text=_("Hồ sơ nhận sau giờ này (chế độ tính theo ngày) được coi như nhận vào ngày làm việc tiếp theo."),
    )
    note = models.CharField(_("căn cứ, ghi chú"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("quy tắc lịch làm việc")
        verbose_name_plural = _("quy tắc lịch làm việc")
        ordering = ["agency_id", "effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "effective_from"], name="calendar_version_unique"),
            models.UniqueConstraint(
                fields=["effective_from"], condition=Q(agency__isnull=True), name="calendar_version_default_unique"
            ),
        ]

    def __str__(self) -> str:
        scope = self.agency.short_name if self.agency_id else _("Toàn tỉnh")
        return f"{scope} — {self.effective_from:%d/%m/%Y}"

    def days_off(self) -> frozenset[int]:
        return frozenset(int(x) for x in self.weekly_days_off.split(",") if x != "")


class CalendarOverride(models.Model):
    """An announced exception: an extra day off, or a working day on a usual day off (e.g. a worked Saturday)."""

    class Kind(models.TextChoices):
        DAY_OFF = "day_off", _("Ngày nghỉ")
        WORKING_DAY = "working_day", _("Ngày làm việc")

    agency = models.ForeignKey(
        Agency, verbose_name=_("cơ quan"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="calendar_overrides", help_text=_("Để trống: áp dụng chung toàn tỉnh."),
    )
    day = models.DateField(_("ngày"))
    kind = models.CharField(_("loại"), max_length=12, choices=Kind.choices)
    reason = models.CharField(_("căn cứ"), max_length=300)

    class Meta:
        verbose_name = _("ngày nghỉ/làm bù điều chỉnh")
        verbose_name_plural = _("ngày nghỉ/làm bù điều chỉnh")
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "day"], name="calendar_override_unique"),
            models.UniqueConstraint(
                fields=["day"], condition=Q(agency__isnull=True), name="calendar_override_default_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y} — {self.get_kind_display()}"


# ---------------------------------------------------------------------------------------------------------------
# Audit
# ---------------------------------------------------------------------------------------------------------------

#: ``prev_hash`` of the first row of the audit chain.
AUDIT_GENESIS_HASH = "0" * 64


class AuditLogImmutable(ValidationError):
    """Raised on any attempt to change or delete an audit record through the ORM."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditLogImmutable(_("Nhật ký kiểm toán chỉ được ghi thêm, không được sửa."), code="audit_immutable")

    def delete(self):
        raise AuditLogImmutable(_("Nhật ký kiểm toán chỉ được ghi thêm, không được xóa."), code="audit_immutable")

    delete.queryset_only = True


class AuditEvent(models.Model):
    """One state change: who, in which role and agency, when, what, from where. Written by services; never edited.

    The log is append-only and hash-chained (``core/audit.py``): ``seq`` numbers the rows 1, 2, 3… without gaps,
    ``prev_hash`` is the previous row's ``hash`` and ``hash`` is the SHA-256 of this row's content with ``seq`` and
    ``prev_hash``. ``tinhso audit verify`` recomputes the chain. Users and agencies named in the log cannot be
    deleted (deactivate them instead): the row would otherwise change.
    """

    seq = models.PositiveBigIntegerField(_("số thứ tự"), unique=True, editable=False)
    at = models.DateTimeField(_("thời điểm"), default=timezone.now, editable=False, db_index=True)
    actor = models.ForeignKey(
        User, verbose_name=_("người thực hiện"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(_("người thực hiện (lưu lại)"), max_length=200, blank=True)
    agency = models.ForeignKey(
        Agency, verbose_name=_("cơ quan"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("hành động"), max_length=80, db_index=True)
    object_type = models.CharField(_("loại đối tượng"), max_length=80, blank=True)
    object_id = models.CharField(_("mã đối tượng"), max_length=80, blank=True, db_index=True)
    summary = models.CharField(_("tóm tắt"), max_length=500, blank=True)
    data = models.JSONField(_("dữ liệu"), default=dict, blank=True)
    ip = models.CharField(_("địa chỉ IP"), max_length=45, blank=True)
    user_agent = models.CharField(_("trình duyệt"), max_length=300, blank=True)
    prev_hash = models.CharField(_("mã băm bản ghi trước"), max_length=64, editable=False)
    hash = models.CharField(_("mã băm"), max_length=64, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("nhật ký thao tác")
        verbose_name_plural = _("nhật ký thao tác")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M} {self.actor_label} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditLogImmutable(_("Nhật ký kiểm toán chỉ được ghi thêm, không được sửa."), code="audit_immutable")
        if not self.hash:
            raise AuditLogImmutable(_("Bản ghi nhật ký chỉ được ghi qua core.services.record()."),
                                    code="audit_unchained")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogImmutable(_("Nhật ký kiểm toán chỉ được ghi thêm, không được xóa."), code="audit_immutable")


class AuditChainHead(models.Model):
    """The last link of the audit chain: one row (id 1) with the ``seq`` and ``hash`` of the newest audit record.

    Every append locks this row (``SELECT … FOR UPDATE``), so appends are serialised and ``seq`` has no gaps; the
    verifier compares the newest row with it, so a deleted tail of the log shows too.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    seq = models.PositiveBigIntegerField(_("số thứ tự bản ghi cuối"), default=0)
    hash = models.CharField(_("mã băm bản ghi cuối"), max_length=64, default=AUDIT_GENESIS_HASH)

    class Meta:
        verbose_name = _("đầu chuỗi nhật ký")
        verbose_name_plural = _("đầu chuỗi nhật ký")

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:16]}…"


# ---------------------------------------------------------------------------------------------------------------
# Stored files
# ---------------------------------------------------------------------------------------------------------------

class StoredFileFields(models.Model):
    """What every stored upload records besides its file: the name shown, the checked type, size and SHA-256, who
    uploaded it and when. Concrete models add the ``file`` field (with their own storage path) and their owner."""

    name = models.CharField(_("tên tệp"), max_length=255)
    content_type = models.CharField(_("kiểu nội dung"), max_length=100)
    size = models.PositiveBigIntegerField(_("dung lượng (byte)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("tải lên lúc"), default=timezone.now)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name
