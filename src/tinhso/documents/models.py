"""Official documents (văn bản đi, văn bản đến) of NĐ 30/2020/NĐ-CP: types, registers (sổ), documents, their files,
assignments (phiếu giải quyết) and their immutable history.

Invariants kept here: a register is one series of one agency for one year (per direction, secret flag and, when set,
document type); a number appears at most once in a register (database constraints); numbers are handed out only by
``services.next_number`` under a row lock. State changes go through ``services.py``.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tinhso.core.models import Agency, StoredFileFields

#: What every number is written with: at least two digits (Điều 15: "số nhỏ hơn 10 phải ghi thêm số 0 phía trước").
NUMBER_WIDTH = 2


def format_number(number: int) -> str:
    """1 → "01", 9 → "09", 10 → "10", 135 → "135"."""
    if number < 1:
        raise ValueError("document numbers start at 1")
    return f"{number:0{NUMBER_WIDTH}d}"


class Direction(models.TextChoices):
    OUTGOING = "out", _("Văn bản đi")
    INCOMING = "in", _("Văn bản đến")


class Urgency(models.IntegerChoices):
    """Mức độ khẩn (Điều 8, Điều 4): urgent documents are registered, presented and forwarded immediately."""

    NORMAL = 0, _("Thường")
    URGENT = 1, _("Khẩn")
    VERY_URGENT = 2, _("Thượng khẩn")
    FLASH = 3, _("Hỏa tốc")


class Secrecy(models.IntegerChoices):
    """Độ mật (Luật Bảo vệ bí mật nhà nước 2018): secret documents have their own number series."""

    NONE = 0, _("Không mật")
    SECRET = 1, _("Mật")
    TOP_SECRET = 2, _("Tối mật")
    ULTRA_SECRET = 3, _("Tuyệt mật")


class DocumentType(models.Model):
    """A type of administrative document (Điều 7) with its abbreviation (Phụ lục III). Công văn has none.

    Abbreviations keep their case: QyĐ (quy định), CTr (chương trình), TTr (tờ trình), TrS (bản trích sao).
    """

    class Kind(models.TextChoices):
        DOCUMENT = "document", _("Văn bản hành chính")
        COPY = "copy", _("Hình thức bản sao")
        LEGAL = "legal", _("Văn bản quy phạm pháp luật (chỉ nhận đến)")

    name = models.CharField(_("tên loại"), max_length=100, unique=True)
    abbreviation = models.CharField(
        _("chữ viết tắt"), max_length=10, null=True, blank=True, unique=True,
        help_text=_("Để trống cho công văn (công văn không có chữ viết tắt tên loại)."),
    )
    kind = models.CharField(_("nhóm"), max_length=10, choices=Kind.choices, default=Kind.DOCUMENT)
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    is_active = models.BooleanField(_("đang dùng"), default=True)

    class Meta:
        verbose_name = _("loại văn bản")
        verbose_name_plural = _("loại văn bản")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.abbreviation})" if self.abbreviation else self.name

    @property
    def is_incoming_only(self) -> bool:
        """Laws, decrees and circulars are received, never issued by the agencies of a province."""
        return self.kind == self.Kind.LEGAL

    @property
    def is_official_letter(self) -> bool:
        """Công văn: its notation is agency-unit (``123/UBND-VP``), not type-agency."""
        return not self.abbreviation

    def clean(self):
        super().clean()
        if self.abbreviation is not None:
            self.abbreviation = self.abbreviation.strip() or None
        if self.abbreviation and any(ch in self.abbreviation for ch in " /-"):
            raise ValidationError({"abbreviation": _("Chữ viết tắt không chứa khoảng trắng, dấu “/” hay “-”.")})


class Sector(models.Model):
    """A field of work (lĩnh vực) a document belongs to, e.g. "Tài chính, ngân sách", "Giáo dục và đào tạo": read by
    the clerk when registering, used to route and count documents; suggested for incoming documents (``classify``)."""

    name = models.CharField(_("tên lĩnh vực"), max_length=100, unique=True)
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    is_active = models.BooleanField(_("đang dùng"), default=True)

    class Meta:
        verbose_name = _("lĩnh vực văn bản")
        verbose_name_plural = _("lĩnh vực văn bản")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Registry(models.Model):
    """A register (sổ đăng ký) and its number series: one agency, one calendar year, one direction.

    Outgoing numbers run from 01 on 1 January to 31 December (Điều 15); incoming arrival numbers likewise (Điều 22).
    Secret documents have their own series (``secret``). A type-specific series (e.g. each type of legal normative
    document, or a series the head of the agency decides) names ``document_type``; without one the register serves
    every type of that direction. A closed register (the year is over and the book printed) gives no more numbers.
    """

    agency = models.ForeignKey(Agency, verbose_name=_("cơ quan"), on_delete=models.PROTECT, related_name="registries")
    year = models.PositiveSmallIntegerField(_("năm"))
    direction = models.CharField(_("loại sổ"), max_length=3, choices=Direction.choices)
    secret = models.BooleanField(_("sổ văn bản mật"), default=False)
    document_type = models.ForeignKey(
        DocumentType, verbose_name=_("dành riêng cho loại văn bản"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="registries",
    )
    last_number = models.PositiveIntegerField(_("số đã cấp cuối cùng"), default=0)
    closed = models.BooleanField(_("đã khóa sổ"), default=False)
    closed_at = models.DateTimeField(_("khóa sổ lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("sổ đăng ký văn bản")
        verbose_name_plural = _("sổ đăng ký văn bản")
        ordering = ["agency__code", "-year", "direction", "secret"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "year", "direction", "secret"], condition=Q(document_type__isnull=True),
                name="registry_general_unique",
            ),
            models.UniqueConstraint(
                fields=["agency", "year", "direction", "secret", "document_type"],
                condition=Q(document_type__isnull=False), name="registry_typed_unique",
            ),
            models.CheckConstraint(condition=Q(year__gte=2000) & Q(year__lte=2999), name="registry_year_range"),
        ]

    def __str__(self) -> str:
        parts = [str(self.get_direction_display()), str(self.year), self.agency.short_name]
        if self.secret:
            parts.append(str(_("mật")))
        if self.document_type_id:
            parts.append(self.document_type.name)
        return "Sổ " + " · ".join(parts)


class Status(models.TextChoices):
    # incoming
    TO_REGISTER = "to_register", _("Chờ vào sổ")
    REGISTERED = "registered", _("Đã vào sổ, chờ phân công")
    ASSIGNED = "assigned", _("Đã phân công, chờ giao chuyên viên")
    IN_PROGRESS = "in_progress", _("Đang giải quyết")
    ANSWERED = "answered", _("Đã có văn bản trả lời")
    CLOSED = "closed", _("Đã giải quyết xong")
    RETURNED = "returned", _("Trả lại nơi gửi")
    # outgoing
    DRAFT = "draft", _("Dự thảo")
    PENDING_APPROVAL = "pending_approval", _("Chờ duyệt")
    APPROVED = "approved", _("Đã duyệt, chờ ký")
    SIGNED = "signed", _("Đã ký, chờ phát hành")
    ISSUED = "issued", _("Đã phát hành")


INCOMING_STATUSES = (Status.TO_REGISTER, Status.REGISTERED, Status.ASSIGNED, Status.IN_PROGRESS, Status.ANSWERED,
                     Status.CLOSED, Status.RETURNED)
OUTGOING_STATUSES = (Status.DRAFT, Status.PENDING_APPROVAL, Status.APPROVED, Status.SIGNED, Status.ISSUED)
#: Incoming documents still being handled (their deadline counts).
OPEN_INCOMING = (Status.REGISTERED, Status.ASSIGNED, Status.IN_PROGRESS)


class Document(models.Model):
    """One official document, outgoing (issued by ``agency``) or incoming (received by ``agency``).

    Outgoing: ``number``/``notation`` are given by the system at issue time (``services.issue``), ``unit`` is the
    drafting unit (used by công văn: ``123/UBND-VP``). Incoming: ``number``/``notation`` are the sender's, the
    arrival number comes from the incoming register; ``sender_*`` name the issuing agency.
    """

    direction = models.CharField(_("loại"), max_length=3, choices=Direction.choices)
    status = models.CharField(_("trạng thái"), max_length=20, choices=Status.choices, db_index=True)
    agency = models.ForeignKey(Agency, verbose_name=_("cơ quan"), on_delete=models.PROTECT, related_name="documents")
    unit = models.ForeignKey(
        Agency, verbose_name=_("đơn vị soạn thảo"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
    )
    registry = models.ForeignKey(
        Registry, verbose_name=_("sổ"), null=True, blank=True, on_delete=models.PROTECT, related_name="documents",
    )
    document_type = models.ForeignKey(
        DocumentType, verbose_name=_("loại văn bản"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="documents",
    )
    sector = models.ForeignKey(
        Sector, verbose_name=_("lĩnh vực"), null=True, blank=True, on_delete=models.PROTECT, related_name="documents",
    )
    number = models.PositiveIntegerField(_("số"), null=True, blank=True)
    notation = models.CharField(_("số, ký hiệu"), max_length=60, blank=True, db_index=True,
                                help_text=_("Ví dụ 05/QĐ-UBND, 123/UBND-VP."))
    arrival_number = models.PositiveIntegerField(_("số đến"), null=True, blank=True)
    received_at = models.DateTimeField(_("ngày đến"), null=True, blank=True)
    subject = models.CharField(_("trích yếu"), max_length=500)
    sender_name = models.CharField(_("cơ quan ban hành"), max_length=250, blank=True)
    sender_code = models.CharField(_("mã định danh cơ quan ban hành"), max_length=13, blank=True)
    sender_agency = models.ForeignKey(
        Agency, verbose_name=_("cơ quan ban hành (trên hệ thống)"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    issued_date = models.DateField(_("ngày ban hành"), null=True, blank=True)
    issued_at = models.DateTimeField(_("phát hành lúc"), null=True, blank=True)
    urgency = models.PositiveSmallIntegerField(_("độ khẩn"), choices=Urgency.choices, default=Urgency.NORMAL)
    secrecy = models.PositiveSmallIntegerField(_("độ mật"), choices=Secrecy.choices, default=Secrecy.NONE)
    signer_name = models.CharField(_("người ký"), max_length=100, blank=True)
    signer_position = models.CharField(_("chức vụ người ký"), max_length=100, blank=True)
    digitally_signed = models.BooleanField(_("đã ký số"), default=False)
    due_date = models.DateField(_("hạn giải quyết"), null=True, blank=True, db_index=True)
    copies = models.PositiveSmallIntegerField(_("số lượng bản"), default=1)
    note = models.CharField(_("ghi chú"), max_length=500, blank=True)
    reply_to = models.ForeignKey(
        "self", verbose_name=_("trả lời văn bản đến"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="replies",
    )
    source = models.ForeignKey(
        "self", verbose_name=_("văn bản đi gốc (gửi trên hệ thống)"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="deliveries_received",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người tạo"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)
    closed_at = models.DateTimeField(_("kết thúc lúc"), null=True, blank=True)
    search_text = models.TextField(editable=False, blank=True)

    class Meta:
        verbose_name = _("văn bản")
        verbose_name_plural = _("văn bản")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["registry", "number"], condition=Q(direction="out", number__isnull=False),
                name="document_outgoing_number_unique",
            ),
            models.UniqueConstraint(
                fields=["registry", "arrival_number"], condition=Q(arrival_number__isnull=False),
                name="document_arrival_number_unique",
            ),
            models.UniqueConstraint(
                fields=["source", "agency"], condition=Q(source__isnull=False), name="document_delivered_once",
            ),
        ]
        indexes = [
            models.Index(fields=["agency", "direction", "status"], name="document_agency_dir_status"),
            # Lists and search show the newest first: read backwards, a search for common words stops at the limit
            # (per agency: ``queries.search`` asks each agency of the caller's scope for its newest matches).
            models.Index(fields=["created_at", "id"], name="document_created_id"),
            models.Index(fields=["agency", "created_at", "id"], name="document_agency_created"),
        ]

    def __str__(self) -> str:
        if self.notation:
            return self.notation
        return f"{self.get_direction_display()} #{self.pk}"

    @property
    def is_outgoing(self) -> bool:
        return self.direction == Direction.OUTGOING

    @property
    def is_incoming(self) -> bool:
        return self.direction == Direction.INCOMING

    @property
    def code_notation(self) -> str:
        """The ký hiệu without the number: "05/QĐ-UBND" → "QĐ-UBND"."""
        return self.notation.split("/", 1)[1] if "/" in self.notation else self.notation

    @property
    def type_name(self) -> str:
        return self.document_type.name if self.document_type_id else ""

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return bool(self.due_date and self.status in OPEN_INCOMING and self.due_date < today)


def document_file_path(instance: "DocumentFile", filename: str) -> str:
    return f"documents/{instance.document_id}/{instance.sha256[:2]}/{instance.sha256}"


class DocumentFile(StoredFileFields):
    """A stored file of a document (Django storage API), with its SHA-256 and the text read from it for search."""

    class Kind(models.TextChoices):
        BODY = "body", _("Văn bản")
        ATTACHMENT = "attachment", _("Tài liệu kèm theo")
        SIGNED = "signed", _("Bản đã ký số")
        EDXML = "edxml", _("Gói tin edXML")

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(_("loại tệp"), max_length=12, choices=Kind.choices, default=Kind.BODY)
    file = models.FileField(_("tệp"), upload_to=document_file_path, max_length=300)
    text = models.TextField(_("nội dung trích xuất"), blank=True)

    class Meta:
        verbose_name = _("tệp văn bản")
        verbose_name_plural = _("tệp văn bản")
        ordering = ["document_id", "uploaded_at", "id"]


class Assignment(models.Model):
    """One line of the leader's instruction on an incoming document (phiếu giải quyết văn bản đến): the lead unit or
    person, the co-operating ones, those informed; the deadline; who in the lead unit handles it; whether done."""

    class Role(models.TextChoices):
        LEAD = "lead", _("Chủ trì")
        COOPERATE = "cooperate", _("Phối hợp")
        INFORM = "inform", _("Để biết")

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="assignments")
    role = models.CharField(_("vai trò"), max_length=10, choices=Role.choices)
    agency = models.ForeignKey(Agency, verbose_name=_("đơn vị"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("cá nhân"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="document_assignments")
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("chuyên viên giải quyết"), null=True,
                                blank=True, on_delete=models.PROTECT, related_name="document_handling")
    deadline = models.DateField(_("thời hạn"), null=True, blank=True)
    note = models.CharField(_("ý kiến chỉ đạo"), max_length=1000, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    assigned_at = models.DateTimeField(_("phân công lúc"), default=timezone.now)
    done = models.BooleanField(_("đã xong"), default=False)
    done_at = models.DateTimeField(_("xong lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("phân công xử lý văn bản")
        verbose_name_plural = _("phân công xử lý văn bản")
        ordering = ["document_id", "role", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(agency__isnull=False, user__isnull=True) | Q(agency__isnull=True, user__isnull=False)),
                name="assignment_agency_xor_user",
            ),
            models.UniqueConstraint(fields=["document"], condition=Q(role="lead"), name="assignment_one_lead"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.assignee}"

    @property
    def assignee(self):
        return self.agency if self.agency_id else self.user


class Delivery(models.Model):
    """Where an issued outgoing document went (nơi nhận): an agency on this platform (straight into its incoming
    documents), or an outside agency (an edXML package, sent by the exchange later)."""

    class Channel(models.TextChoices):
        PLATFORM = "platform", _("Trên hệ thống")
        EDXML = "edxml", _("Gói tin edXML (liên thông)")

    class State(models.TextChoices):
        DELIVERED = "delivered", _("Đã chuyển đến hộp văn bản đến")
        PACKAGED = "packaged", _("Đã đóng gói edXML, chờ gửi")

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("kênh"), max_length=10, choices=Channel.choices)
    state = models.CharField(_("tình trạng"), max_length=10, choices=State.choices)
    recipient_agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recipient_code = models.CharField(_("mã định danh nơi nhận"), max_length=13, blank=True)
    recipient_name = models.CharField(_("nơi nhận"), max_length=250)
    incoming = models.ForeignKey(Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    package = models.ForeignKey(DocumentFile, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    delivered_at = models.DateTimeField(_("ngày chuyển"), default=timezone.now)
    delivered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    class Meta:
        verbose_name = _("nơi nhận văn bản")
        verbose_name_plural = _("nơi nhận văn bản")
        ordering = ["document_id", "id"]

    def __str__(self) -> str:
        return self.recipient_name


class ClerkOffice(models.Model):
    """The unit whose clerks keep an agency's registers (Văn thư cơ quan), when it is not the agency itself: the
    clerks of "Văn phòng UBND tỉnh" register and issue the documents of the provincial People's Committee.

    Without a row, a direct sub-agency whose name starts with "Văn phòng" is taken (see ``permissions``)."""

    agency = models.OneToOneField(Agency, verbose_name=_("cơ quan"), on_delete=models.CASCADE, related_name="+")
    office = models.ForeignKey(Agency, verbose_name=_("đơn vị văn thư"), on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("văn thư cơ quan")
        verbose_name_plural = _("văn thư cơ quan")

    def __str__(self) -> str:
        return f"{self.agency.short_name} ← {self.office.short_name}"


class DocumentEvent(models.Model):
    """One change of a document, never edited or deleted: who (name, role and agency kept as they were), when, what,
    from which status to which, the note."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(db_index=True)
    action = models.CharField(max_length=40)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_name = models.CharField(max_length=200, blank=True)
    actor_role = models.CharField(max_length=20, blank=True)
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("lịch sử văn bản")
        verbose_name_plural = _("lịch sử văn bản")
        ordering = ["document_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("Lịch sử văn bản không được sửa.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Lịch sử văn bản không được xóa.")


class Classifier(models.Model):
    """The learned model that suggests the type and the sector of an incoming document from its text (``classify``):
    one per agency, trained on that agency's registered documents, and one for the whole province (no agency), used
    when the agency's own is missing or too small. Retrained in the background after every
    ``TINHSO["CLASSIFY_RETRAIN_EVERY"]`` newly confirmed documents, or by ``tinhso documents train``.

    ``params`` is the model itself (compressed); ``type_accuracy``/``sector_accuracy`` are measured at training by
    cross-validation on the same documents (each document predicted by a model that did not see it)."""

    agency = models.ForeignKey(Agency, verbose_name=_("cơ quan"), null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+", help_text=_("Để trống: mô hình chung của tỉnh."))
    version = models.PositiveIntegerField(_("phiên bản"), default=0, help_text=_("0: chưa huấn luyện."))
    trained_at = models.DateTimeField(_("huấn luyện lúc"), null=True, blank=True)
    sample_count = models.PositiveIntegerField(_("số văn bản huấn luyện"), default=0)
    type_samples = models.PositiveIntegerField(_("số văn bản có loại"), default=0)
    sector_samples = models.PositiveIntegerField(_("số văn bản có lĩnh vực"), default=0)
    type_accuracy = models.FloatField(_("độ chính xác loại (kiểm định chéo)"), null=True, blank=True)
    sector_accuracy = models.FloatField(_("độ chính xác lĩnh vực (kiểm định chéo)"), null=True, blank=True)
    evaluation = models.JSONField(_("kết quả kiểm định"), default=dict, blank=True)
    params = models.BinaryField(editable=False, blank=True, default=bytes)
    confirmed_since = models.PositiveIntegerField(_("văn bản mới xác nhận từ lần huấn luyện trước"), default=0)
    retrain_queued = models.BooleanField(_("đã xếp lịch huấn luyện lại"), default=False)

    class Meta:
        verbose_name = _("mô hình phân loại văn bản")
        verbose_name_plural = _("mô hình phân loại văn bản")
        constraints = [
            # One row per agency and one province-wide row (agency NULL counts as 0 here).
            models.UniqueConstraint(Coalesce("agency", Value(0)), name="classifier_one_per_scope"),
        ]

    def __str__(self) -> str:
        scope = self.agency.short_name if self.agency_id else str(_("toàn tỉnh"))
        return f"Mô hình phân loại {scope} v{self.version}"


class ClassificationRecord(models.Model):
    """What the classifier suggested for one registered incoming document, whether it was pre-filled in the form
    (confidence at or above the threshold) and whether the clerk kept it: the measured acceptance."""

    document = models.OneToOneField(Document, on_delete=models.CASCADE, related_name="classification")
    classifier_version = models.PositiveIntegerField(default=0)
    scope = models.CharField(max_length=10, blank=True, help_text=_("agency hoặc province"))
    suggested_type = models.ForeignKey(DocumentType, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+")
    type_confidence = models.FloatField(null=True, blank=True)
    type_prefilled = models.BooleanField(default=False)
    type_accepted = models.BooleanField(null=True, blank=True)
    suggested_sector = models.ForeignKey(Sector, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sector_confidence = models.FloatField(null=True, blank=True)
    sector_prefilled = models.BooleanField(default=False)
    sector_accepted = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("gợi ý phân loại văn bản")
        verbose_name_plural = _("gợi ý phân loại văn bản")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Gợi ý phân loại văn bản #{self.document_id}"
