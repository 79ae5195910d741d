"""The electronic one-stop-shop: dossiers (hồ sơ TTHC), their steps, pauses, attachments and immutable history.

The current state of a dossier (``status``, ``current_step``, deadlines) is a projection of its ``DossierEvent`` log,
kept consistent by ``services.py``, which refuses illegal transitions. Rules that the law leaves open (the dossier
code format, what happens to the clock on a supplement) are versioned settings (``OneStopRules``): a dossier keeps the
version in force when it was received.
"""

import secrets
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tinhso.catalog.models import Channel, Component, ProcedureVersion
from tinhso.core.models import AdministrativeUnit, Agency, Role, StoredFileFields


class Status(models.IntegerChoices):
    """The national portal's status codes (DVCQG synchronisation list)."""

    NEW = 1, _("Mới đăng ký")
    ACCEPTED = 2, _("Được tiếp nhận")
    REFUSED = 3, _("Không được tiếp nhận")
    PROCESSING = 4, _("Đang xử lý")
    SUPPLEMENT = 5, _("Yêu cầu bổ sung giấy tờ")
    FINANCIAL = 6, _("Yêu cầu thực hiện nghĩa vụ tài chính")
    WITHDRAWN = 7, _("Công dân yêu cầu rút hồ sơ")
    STOPPED = 8, _("Dừng xử lý")
    DONE = 9, _("Đã xử lý xong")
    RETURNED = 10, _("Đã trả kết quả")


#: Statuses in which nothing more happens to a dossier.
FINAL_STATUSES = (Status.REFUSED, Status.WITHDRAWN, Status.STOPPED, Status.RETURNED)
#: Statuses in which the dossier's clock runs (the dossier was accepted and is not paused or finished).
RUNNING_STATUSES = (Status.ACCEPTED, Status.PROCESSING)
#: Statuses in which somebody still has work to do: every work box but "Tất cả" holds only these (a partial index
#: keeps them apart from the year's finished dossiers).
ACTIVE_STATUSES = (Status.NEW, Status.ACCEPTED, Status.PROCESSING, Status.SUPPLEMENT, Status.FINANCIAL, Status.DONE)


def default_code_template() -> str:
    return "{agency}-{yymmdd}-{seq:04d}"


class OneStopRules(models.Model):
    """Versioned one-stop rules. A dossier records the version in force at receipt (``Dossier.rules``).

    - ``code_template``: the dossier code. Default TT 01/2018 Điều 19 ``<agency id>-<YYMMDD>-<NNNN>`` [C]; TT 03/2025
      khoản 1–2 is unconfirmed [M]. Fields: ``{agency}`` (QĐ 20 identifier), ``{agency_reversed}`` (groups in
      QĐ 20 order, level 1 first, as TT 04/2025 writes it), ``{yymmdd}``, ``{seq}`` (with a format such as ``:04d``).
    - ``supplement_clock``: a supplement during processing ``pause``s the clock (the portal's KPI rule) or
      ``restart``s the time limit from zero when the complete dossier arrives (NĐ 61/2018 Điều 19.4) [S].
    - ``supplement_wait_days`` / ``supplement_reminder_days``: working days the applicant has to supplement before
      the dossier is stopped (2025 decrees: 15 [S]) and after which a reminder goes out.
    """

    class SupplementClock(models.TextChoices):
        PAUSE = "pause", _("Tạm dừng đồng hồ, tiếp tục khi bổ sung")
        RESTART = "restart", _("Tính lại thời hạn từ đầu khi nhận đủ hồ sơ")

    effective_from = models.DateField(_("áp dụng từ ngày"), unique=True)
    code_template = models.CharField(_("mẫu mã hồ sơ"), max_length=100, default=default_code_template)
    supplement_clock = models.CharField(
        _("đồng hồ khi yêu cầu bổ sung"), max_length=10, choices=SupplementClock.choices,
        default=SupplementClock.PAUSE,
    )
    supplement_wait_days = models.PositiveIntegerField(_("số ngày làm việc chờ bổ sung"), default=15)
    supplement_reminder_days = models.PositiveIntegerField(_("nhắc bổ sung sau (ngày làm việc)"), default=10)
    due_soon_hours = models.PositiveIntegerField(_("cảnh báo sắp đến hạn (giờ làm việc)"), default=8)
    note = models.CharField(_("căn cứ, ghi chú"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("quy tắc một cửa")
        verbose_name_plural = _("quy tắc một cửa")
        ordering = ["effective_from"]

    def __str__(self) -> str:
        return f"Quy tắc một cửa từ {self.effective_from:%d/%m/%Y}"

    @classmethod
    def in_force(cls, day: date) -> "OneStopRules":
        rules = cls.objects.filter(effective_from__lte=day).order_by("-effective_from").first()
        return rules or cls(effective_from=date(1900, 1, 1))

    def snapshot(self) -> dict:
        return {"id": self.pk, "effective_from": self.effective_from.isoformat(), "code_template": self.code_template,
                "supplement_clock": self.supplement_clock, "supplement_wait_days": self.supplement_wait_days,
                "supplement_reminder_days": self.supplement_reminder_days, "due_soon_hours": self.due_soon_hours}


class DossierSequence(models.Model):
    """The day's last dossier number of a receiving agency; incremented under a row lock."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "day"], name="dossier_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.day:%d/%m/%Y} #{self.last}"


def new_lookup_secret() -> str:
    """The second factor printed on the receipt for the public lookup: 6 characters, no look-alikes."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(6))


class PaymentState(models.TextChoices):
    NONE = "", _("Không phải nộp / chưa yêu cầu")
    REQUESTED = "requested", _("Chờ thanh toán")
    PAID = "paid", _("Đã thanh toán")
    WAIVED = "waived", _("Miễn, không thu")


class PaidOnline(models.IntegerChoices):
    """``DuocThanhToanTrucTuyen`` of the national portal."""

    NO = 0, _("Không")
    NATIONAL = 1, _("Qua Cổng Dịch vụ công quốc gia")
    LOCAL = 2, _("Qua cổng thanh toán của bộ, địa phương")


class Dossier(models.Model):
    class Delivery(models.TextChoices):
        DESK = "desk", _("Nhận tại Bộ phận Một cửa")
        POST = "post", _("Nhận qua dịch vụ bưu chính")
        ELECTRONIC = "electronic", _("Nhận bản điện tử trên tài khoản")

    class Outcome(models.TextChoices):
        NONE = "", _("Chưa có")
        APPROVED = "approved", _("Giải quyết")
        REFUSED = "refused", _("Từ chối giải quyết")

    code = models.CharField(_("mã hồ sơ"), max_length=40, unique=True, null=True, blank=True)
    status = models.PositiveSmallIntegerField(_("trạng thái"), choices=Status.choices, default=Status.NEW,
                                              db_index=True)
    is_draft = models.BooleanField(_("bản nháp"), default=False, db_index=True)
    procedure_version = models.ForeignKey(ProcedureVersion, verbose_name=_("thủ tục"), on_delete=models.PROTECT,
                                          related_name="dossiers")
    channel = models.ForeignKey(Channel, verbose_name=_("cách thức nộp"), on_delete=models.PROTECT,
                                related_name="dossiers")
    receiving_agency = models.ForeignKey(Agency, verbose_name=_("nơi tiếp nhận"), on_delete=models.PROTECT,
                                         related_name="received_dossiers")
    handling_agency = models.ForeignKey(Agency, verbose_name=_("cơ quan chủ trì giải quyết"), on_delete=models.PROTECT,
                                        related_name="handled_dossiers")

    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("tài khoản người nộp"), null=True,
                                  blank=True, on_delete=models.PROTECT, related_name="dossiers")
    applicant_name = models.CharField(_("người nộp / tổ chức"), max_length=200)
    applicant_id_number = models.CharField(_("số định danh / mã số thuế"), max_length=14, blank=True)
    applicant_phone = models.CharField(_("điện thoại"), max_length=15, blank=True)
    applicant_email = models.EmailField(_("thư điện tử"), blank=True)
    applicant_address = models.CharField(_("địa chỉ"), max_length=300, blank=True)
    applicant_unit = models.ForeignKey(AdministrativeUnit, verbose_name=_("xã/phường"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+")
    delivery = models.CharField(_("hình thức nhận kết quả"), max_length=12, choices=Delivery.choices,
                                default=Delivery.DESK)
    delivery_address = models.CharField(_("địa chỉ nhận kết quả qua bưu chính"), max_length=300, blank=True)
    sets = models.PositiveSmallIntegerField(_("số bộ hồ sơ"), default=1)

    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)
    submitted_at = models.DateTimeField(_("nộp lúc"), null=True, blank=True)
    received_at = models.DateTimeField(_("tiếp nhận lúc"), null=True, blank=True, db_index=True)
    due_at = models.DateTimeField(_("hẹn trả"), null=True, blank=True, db_index=True)
    original_due_at = models.DateTimeField(_("hẹn trả ban đầu"), null=True, blank=True)
    finished_at = models.DateTimeField(_("xử lý xong lúc"), null=True, blank=True)
    returned_at = models.DateTimeField(_("trả kết quả lúc"), null=True, blank=True)
    outcome = models.CharField(_("kết quả giải quyết"), max_length=10, choices=Outcome.choices, blank=True,
                               default=Outcome.NONE)
    supplement_count = models.PositiveSmallIntegerField(_("số lần yêu cầu bổ sung khi xử lý"), default=0)
    apology_issued = models.BooleanField(_("đã gửi văn bản xin lỗi, gia hạn"), default=False)
    amount_due = models.PositiveBigIntegerField(_("nghĩa vụ tài chính (đồng)"), null=True, blank=True)
    # Fees and online payment (the portal's DanhSachPhiLePhi / DuocThanhToanTrucTuyen), kept by the payments app
    # through services: the dossier's payment state is the one every view shows.
    fee_amount = models.PositiveBigIntegerField(_("phí, lệ phí (đồng)"), null=True, blank=True)
    payment_state = models.CharField(_("thanh toán"), max_length=10, choices=PaymentState.choices, blank=True,
                                     default=PaymentState.NONE)
    paid_online = models.PositiveSmallIntegerField(_("thanh toán trực tuyến"), choices=PaidOnline.choices,
                                                   default=PaidOnline.NO)
    paid_at = models.DateTimeField(_("thanh toán lúc"), null=True, blank=True)
    # Digitisation flags of the QĐ 766 index (result side; the component side is on DossierItem).
    electronic_result = models.BooleanField(_("có kết quả điện tử"), default=False)
    result_in_store = models.BooleanField(_("kết quả đã đưa vào kho dữ liệu cá nhân"), default=False)
    tracking_number = models.CharField(_("số vận đơn bưu chính"), max_length=40, blank=True)
    recipient_name = models.CharField(_("người nhận kết quả"), max_length=200, blank=True)
    current_step = models.ForeignKey("DossierStep", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    lookup_secret = models.CharField(_("mã tra cứu"), max_length=8, default=new_lookup_secret)
    rules = models.JSONField(_("quy tắc áp dụng"), default=dict, blank=True)
    revision = models.PositiveIntegerField(default=0, help_text="Tăng mỗi lần thay đổi; chống hai người cùng sửa.")
    client_key = models.CharField(
        _("khóa chống gửi trùng"), max_length=64, blank=True, default="",
        help_text="Idempotency-Key của ứng dụng đã nộp hồ sơ: gửi lại cùng khóa trả về hồ sơ đã tạo, không tạo thêm.")

    class Meta:
        verbose_name = _("hồ sơ")
        verbose_name_plural = _("hồ sơ")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["receiving_agency", "status", "due_at"], name="dossier_recv_status_due"),
            models.Index(fields=["handling_agency", "status", "due_at"], name="dossier_handl_status_due"),
            models.Index(fields=["applicant", "-created_at"], name="dossier_applicant_created"),
            models.Index(fields=["status", "due_at"], condition=Q(status__in=ACTIVE_STATUSES), name="dossier_active"),
            models.Index(fields=["-created_at", "-id"], name="dossier_created"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["applicant", "client_key"], condition=~Q(client_key=""),
                                    name="dossier_client_key_unique"),
        ]

    def __str__(self) -> str:
        return self.code or f"Hồ sơ #{self.pk}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def is_online(self) -> bool:
        return self.channel.kind == Channel.Kind.ONLINE


class DossierStep(models.Model):
    """One step of the dossier's process, instantiated from the procedure's template (or added for liên thông)."""

    class Result(models.TextChoices):
        EARLY = "early", _("Trước hạn")
        ON_TIME = "on_time", _("Đúng hạn")
        LATE = "late", _("Quá hạn")

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveIntegerField(_("thứ tự"))
    name = models.CharField(_("bước"), max_length=200)
    role = models.CharField(_("vai trò"), max_length=20, choices=Role.choices)
    agency = models.ForeignKey(Agency, verbose_name=_("cơ quan"), on_delete=models.PROTECT, related_name="+")
    share_percent = models.DecimalField(_("tỷ lệ thời hạn (%)"), max_digits=5, decimal_places=2)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người xử lý"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="assigned_steps")
    started_at = models.DateTimeField(_("bắt đầu"), null=True, blank=True)
    due_at = models.DateTimeField(_("hạn bước"), null=True, blank=True)
    finished_at = models.DateTimeField(_("hoàn thành"), null=True, blank=True)
    result = models.CharField(_("kết quả"), max_length=10, choices=Result.choices, blank=True)

    class Meta:
        verbose_name = _("bước xử lý")
        verbose_name_plural = _("bước xử lý")
        ordering = ["dossier_id", "order"]
        constraints = [models.UniqueConstraint(fields=["dossier", "order"], name="dossier_step_unique")]
        indexes = [models.Index(fields=["agency", "role", "finished_at"], name="step_agency_role_open")]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"


class DossierItem(models.Model):
    """A component of the dossier (from the procedure's list), with its files and whether it was digitised."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="items")
    component = models.ForeignKey(Component, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveIntegerField()
    name = models.TextField(_("thành phần"))
    mandatory = models.BooleanField(_("bắt buộc"), default=True)
    digitised = models.BooleanField(_("đã số hóa"), default=False)
    reused = models.BooleanField(_("sử dụng lại dữ liệu đã số hóa"), default=False)
    from_store = models.BooleanField(_("lấy từ kho dữ liệu cá nhân"), default=False)

    class Meta:
        ordering = ["dossier_id", "order"]

    def __str__(self) -> str:
        return self.name[:80]


def attachment_path(instance: "Attachment", filename: str) -> str:
    return f"dossiers/{instance.dossier_id}/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(StoredFileFields):
    """A stored file (Django storage API). Downloads go through permission-checked views only."""

    class Kind(models.TextChoices):
        INPUT = "input", _("Thành phần hồ sơ")
        SUPPLEMENT = "supplement", _("Bổ sung")
        RESULT = "result", _("Kết quả giải quyết")
        FORM = "form", _("Biểu mẫu")
        OTHER = "other", _("Khác")

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="attachments")
    item = models.ForeignKey(DossierItem, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="attachments")
    kind = models.CharField(_("loại"), max_length=12, choices=Kind.choices, default=Kind.INPUT)
    file = models.FileField(_("tệp"), upload_to=attachment_path, max_length=300)
    # Set when the file was taken from the applicant's personal document store instead of being uploaded: the
    # attachment then points at the store's stored file (same path, same SHA-256), nothing is copied.
    store_document = models.ForeignKey("PersonalDocument", verbose_name=_("lấy từ kho dữ liệu cá nhân"), null=True,
                                       blank=True, on_delete=models.SET_NULL, related_name="attachments")

    class Meta:
        verbose_name = _("tệp đính kèm")
        verbose_name_plural = _("tệp đính kèm")
        ordering = ["dossier_id", "uploaded_at", "id"]


def store_path(instance: "PersonalDocument", filename: str) -> str:
    return f"store/{instance.owner_id}/{instance.sha256[:2]}/{instance.sha256}"


class PersonalDocument(StoredFileFields):
    """The applicant's personal document store (kho dữ liệu cá nhân): digitised components of their dossiers and the
    electronic results issued to them, reusable in a later dossier without uploading again.

    An entry points at the stored file of the attachment it came from (same storage path and SHA-256: nothing is
    copied); ``services`` never deletes a stored file that an entry or another attachment still uses. Entries outlive
    their dossier (``source_dossier`` is only a link) and are never deleted: the owner may hide them (``hidden_at``).
    """

    class Kind(models.TextChoices):
        DIGITISED = "digitised", _("Giấy tờ đã số hóa")
        RESULT = "result", _("Kết quả giải quyết điện tử")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("chủ sở hữu"), on_delete=models.CASCADE,
                              related_name="personal_documents")
    title = models.CharField(_("tên giấy tờ"), max_length=500)
    kind = models.CharField(_("loại"), max_length=10, choices=Kind.choices)
    component = models.ForeignKey(Component, verbose_name=_("thành phần hồ sơ (danh mục)"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    component_name = models.TextField(_("thành phần hồ sơ"), blank=True)
    procedure_code = models.CharField(_("mã thủ tục"), max_length=20, blank=True)
    procedure_name = models.TextField(_("thủ tục"), blank=True)
    source_dossier = models.ForeignKey(Dossier, verbose_name=_("hồ sơ nguồn"), null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="store_documents")
    source_dossier_code = models.CharField(_("mã hồ sơ nguồn"), max_length=40, blank=True)
    source_attachment = models.ForeignKey(Attachment, null=True, blank=True, on_delete=models.SET_NULL,
                                          related_name="+")
    file = models.FileField(_("tệp"), upload_to=store_path, max_length=300)
    issued_on = models.DateField(_("ngày cấp"), null=True, blank=True)
    valid_until = models.DateField(_("có giá trị đến"), null=True, blank=True)
    created_at = models.DateTimeField(_("đưa vào kho lúc"), default=timezone.now)
    hidden_at = models.DateTimeField(_("chủ sở hữu đã ẩn lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("giấy tờ trong kho dữ liệu cá nhân")
        verbose_name_plural = _("kho dữ liệu cá nhân")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "hidden_at", "-created_at"], name="personal_doc_owner"),
            models.Index(fields=["owner", "sha256"], name="personal_doc_owner_sha"),
        ]

    def __str__(self) -> str:
        return self.title[:80]

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class Pause(models.Model):
    """An interval in which the dossier's clock is stopped (supplement, financial obligation)."""

    class Reason(models.TextChoices):
        SUPPLEMENT = "supplement", _("Chờ bổ sung")
        FINANCIAL = "financial", _("Chờ thực hiện nghĩa vụ tài chính")

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="pauses")
    reason = models.CharField(max_length=12, choices=Reason.choices)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["dossier_id", "started_at"]
        constraints = [
            models.UniqueConstraint(fields=["dossier"], condition=Q(ended_at__isnull=True), name="one_open_pause"),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} {self.started_at:%d/%m/%Y %H:%M}"


class SupplementRequest(models.Model):
    """Form 02: every missing or wrong item, listed at once, with the reason."""

    class Stage(models.TextChoices):
        RECEPTION = "reception", _("Khi tiếp nhận")
        PROCESSING = "processing", _("Trong quá trình giải quyết")

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="supplement_requests")
    stage = models.CharField(max_length=12, choices=Stage.choices)
    items = models.JSONField(_("nội dung cần bổ sung"), default=list)
    reason = models.TextField(_("lý do"), blank=True)
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    wait_until = models.DateTimeField(_("hạn bổ sung"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    provided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["dossier_id", "requested_at"]

    def __str__(self) -> str:
        return f"Yêu cầu bổ sung {self.requested_at:%d/%m/%Y}"


class Consultation(models.Model):
    """A request for another agency's opinion (xin ý kiến), with its own deadline."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="consultations")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="consultations")
    question = models.TextField(_("nội dung xin ý kiến"))
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    due_at = models.DateTimeField(_("hạn trả lời"))
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(_("ý kiến"), blank=True)

    class Meta:
        ordering = ["dossier_id", "requested_at"]

    def __str__(self) -> str:
        return f"Xin ý kiến {self.agency_id} {self.requested_at:%d/%m/%Y}"


class DossierEvent(models.Model):
    """An immutable record of one transition: actor, role, agency, time, from/to status and step, note, files."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(db_index=True)
    action = models.CharField(max_length=40)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_name = models.CharField(max_length=200, blank=True)
    actor_role = models.CharField(max_length=20, blank=True)
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    from_status = models.PositiveSmallIntegerField(null=True, blank=True, choices=Status.choices)
    to_status = models.PositiveSmallIntegerField(null=True, blank=True, choices=Status.choices)
    from_step = models.ForeignKey(DossierStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    to_step = models.ForeignKey(DossierStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)
    public = models.BooleanField(default=True, help_text="Hiện trên trang tra cứu công khai.")
    attachments = models.ManyToManyField(Attachment, blank=True, related_name="events")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["dossier_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M} {self.action}"


class NotificationTemplate(models.Model):
    """An editable message (Django template syntax; context: ``dossier``, ``extra``, ``site_url``).

    Without a row for a kind, the file ``onestop/notifications/<kind>.txt`` is used (first line: the subject).
    """

    kind = models.CharField(_("loại thông báo"), max_length=40, unique=True)
    subject = models.CharField(_("tiêu đề"), max_length=200)
    body = models.TextField(_("nội dung"))
    sms = models.CharField(_("tin nhắn SMS"), max_length=320, blank=True)
    is_active = models.BooleanField(_("đang dùng"), default=True)

    class Meta:
        verbose_name = _("mẫu thông báo")
        verbose_name_plural = _("mẫu thông báo")

    def __str__(self) -> str:
        return self.kind


class OutboundMessage(models.Model):
    """Every e-mail and SMS the platform tried to send, with its result: nothing fails silently."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Thư điện tử")
        SMS = "sms", _("Tin nhắn SMS")

    class State(models.TextChoices):
        SENT = "sent", _("Đã gửi")
        FAILED = "failed", _("Gửi lỗi")
        SKIPPED = "skipped", _("Không gửi (không có địa chỉ)")

    dossier = models.ForeignKey(Dossier, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages")
    kind = models.CharField(max_length=40)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    recipient = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    state = models.CharField(max_length=8, choices=State.choices)
    error = models.TextField(blank=True)
    provider_reference = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("thông báo đã gửi")
        verbose_name_plural = _("thông báo đã gửi")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.channel} {self.kind} → {self.recipient}"
