"""Đánh giá, phản ánh, kiến nghị: the applicant's rating of a finished dossier, and citizens' feedback and petitions
(phản ánh, kiến nghị — PAKN) with the deadlines of the QĐ 766 index (domain notes §4, group 6 "Mức độ hài lòng").

- ``Rating``: one per dossier (a unique constraint, so two requests at once still record one), once the agency has
  given its final answer on the dossier (``RATEABLE_STATUSES``).
- ``Petition``: a PAKN about a procedure (TTHC) or about a civil servant's conduct (hành vi CBCC), received at the
  province's PAKN desk, assigned to the competent agency, answered and published. Its deadlines (refuse ≤ 2 working
  days, first supplement request ≤ 5, answer ≤ 15, publish ≤ 2 after the answer) come from the ``PetitionRules``
  version in force at receipt, are computed with the working-day calendar and stored; every transition records
  whether it met its deadline (``PetitionEvent.on_time`` and the ``*_on_time`` fields).
- ``PetitionVote``: the citizen's like / dislike of a published answer, one per account (or per submitter).
"""

import secrets
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tinhso.catalog.models import Procedure
from tinhso.core.models import Agency
from tinhso.onestop.models import Dossier, Status

#: A dossier can be rated once the agency gave its final answer: the result is ready (9) or handed over (10), or the
#: dossier was refused at reception (3, form 03) or stopped (8, form 05) — both are decisions the applicant may judge.
#: Not while it is handled, and not after the applicant withdrew it (7: the agency decided nothing).
RATEABLE_STATUSES = (Status.DONE, Status.RETURNED, Status.REFUSED, Status.STOPPED)


class Rating(models.Model):
    class Value(models.TextChoices):
        SATISFIED = "satisfied", _("Hài lòng")
        NEUTRAL = "neutral", _("Bình thường")
        DISSATISFIED = "dissatisfied", _("Không hài lòng")

    class Channel(models.TextChoices):
        ACCOUNT = "account", _("Tài khoản người nộp")
        LOOKUP = "lookup", _("Trang tra cứu hồ sơ")
        KIOSK = "kiosk", _("Màn hình đánh giá tại quầy")

    dossier = models.OneToOneField(Dossier, verbose_name=_("hồ sơ"), on_delete=models.CASCADE,
                                   related_name="rating")
    value = models.CharField(_("mức độ hài lòng"), max_length=12, choices=Value.choices)
    comment = models.TextField(_("góp ý"), blank=True, max_length=1000)
    channel = models.CharField(_("đánh giá qua"), max_length=10, choices=Channel.choices)
    at = models.DateTimeField(_("đánh giá lúc"), db_index=True)
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("tài khoản đánh giá"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("cán bộ mở màn hình đánh giá"), null=True,
                                  blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("đánh giá hồ sơ")
        verbose_name_plural = _("đánh giá hồ sơ")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.dossier} — {self.get_value_display()}"


def default_rules_note() -> str:
    return "QĐ 766/QĐ-TTg, chỉ số 5.2 (cách tính của Cổng DVCQG)"


class PetitionRules(models.Model):
    """Versioned deadlines and repeat detection of PAKN. A petition keeps the version in force at receipt (``rules``).

    Deadlines in working days (the QĐ 766 index as the national portal computes it [C]): refusing ≤ 2 after receipt,
    the first request for more information ≤ 5 after receipt, the answer ≤ 15 after receipt (the time waiting for the
    citizen's information does not count), publishing the answer ≤ 2 after the answer. Counted like dossiers in the
    "days" mode: the day of receipt is not counted, a receipt after the cut-off or on a day off counts from the next
    working day, the deadline is the end of office hours of the last day.
    """

    effective_from = models.DateField(_("áp dụng từ ngày"), unique=True)
    refuse_days = models.PositiveSmallIntegerField(_("từ chối tiếp nhận trong (ngày làm việc)"), default=2)
    supplement_days = models.PositiveSmallIntegerField(_("yêu cầu bổ sung lần đầu trong (ngày làm việc)"), default=5)
    answer_days = models.PositiveSmallIntegerField(_("trả lời trong (ngày làm việc)"), default=15)
    publish_days = models.PositiveSmallIntegerField(_("công khai câu trả lời trong (ngày làm việc)"), default=2)
    repeat_window_days = models.PositiveIntegerField(
        _("phản ánh lặp lại: xét trong (ngày)"), default=365,
        help_text=_("Một phản ánh cùng người gửi, cùng nội dung trong khoảng này được liên kết với phản ánh trước."))
    repeat_similarity = models.DecimalField(
        _("ngưỡng giống nhau của nội dung"), max_digits=3, decimal_places=2, default=0.5,
        help_text=_("0–1: tỷ lệ từ chung (sau khi bỏ dấu) từ đó hai phản ánh được coi là cùng nội dung."))
    note = models.CharField(_("căn cứ, ghi chú"), max_length=300, default=default_rules_note, blank=True)

    class Meta:
        verbose_name = _("quy tắc xử lý phản ánh, kiến nghị")
        verbose_name_plural = _("quy tắc xử lý phản ánh, kiến nghị")
        ordering = ["effective_from"]

    def __str__(self) -> str:
        return f"Quy tắc PAKN từ {self.effective_from:%d/%m/%Y}"

    @classmethod
    def in_force(cls, day: date) -> "PetitionRules":
        rules = cls.objects.filter(effective_from__lte=day).order_by("-effective_from").first()
        return rules or cls(effective_from=date(1900, 1, 1))

    def snapshot(self) -> dict:
        return {"id": self.pk, "effective_from": self.effective_from.isoformat(), "refuse_days": self.refuse_days,
                "supplement_days": self.supplement_days, "answer_days": self.answer_days,
                "publish_days": self.publish_days, "repeat_window_days": self.repeat_window_days,
                "repeat_similarity": float(self.repeat_similarity)}


def new_petition_secret() -> str:
    """The second factor given to the submitter to follow the petition: 6 characters, no look-alikes."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(6))


class Petition(models.Model):
    class About(models.TextChoices):
        PROCEDURE = "procedure", _("Về quy định, thủ tục hành chính")
        STAFF = "staff", _("Về hành vi, thái độ của cán bộ, công chức")

    class Classification(models.TextChoices):
        TTHC = "tthc", _("PAKN về quy định, TTHC")
        STAFF = "staff", _("PAKN về hành vi CBCC")

    class State(models.TextChoices):
        RECEIVED = "received", _("Đã tiếp nhận")
        SUPPLEMENT = "supplement", _("Chờ người gửi bổ sung thông tin")
        ASSIGNED = "assigned", _("Đang xử lý tại cơ quan có thẩm quyền")
        ANSWERED = "answered", _("Đã trả lời, chờ công khai")
        PUBLISHED = "published", _("Đã công khai câu trả lời")
        REFUSED = "refused", _("Từ chối tiếp nhận")

    code = models.CharField(_("mã phản ánh"), max_length=20, unique=True, null=True, blank=True)
    secret = models.CharField(_("mã tra cứu"), max_length=8, default=new_petition_secret)
    state = models.CharField(_("trạng thái"), max_length=12, choices=State.choices, default=State.RECEIVED,
                             db_index=True)

    # Who
    submitter = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("tài khoản người gửi"), null=True,
                                  blank=True, on_delete=models.SET_NULL, related_name="petitions")
    submitter_name = models.CharField(_("họ và tên người gửi"), max_length=200)
    submitter_phone = models.CharField(_("điện thoại"), max_length=15, blank=True)
    submitter_email = models.EmailField(_("thư điện tử"), blank=True)
    submitter_key = models.CharField(max_length=80, db_index=True, editable=False,
                                     help_text="Tài khoản, số điện thoại hoặc thư điện tử đã chuẩn hóa: nhận ra "
                                               "người gửi khi xét phản ánh lặp lại.")
    # What
    subject = models.CharField(_("tiêu đề"), max_length=200)
    text = models.TextField(_("nội dung"), max_length=5000)
    about = models.CharField(_("phản ánh về"), max_length=10, choices=About.choices)
    classification = models.CharField(_("phân loại"), max_length=6, choices=Classification.choices)
    field = models.CharField(_("lĩnh vực"), max_length=200, blank=True)
    procedure = models.ForeignKey(Procedure, verbose_name=_("thủ tục hành chính"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    dossier = models.ForeignKey(Dossier, verbose_name=_("hồ sơ liên quan"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="petitions")
    staff_name = models.CharField(_("cán bộ bị phản ánh"), max_length=200, blank=True)
    concerned_agency = models.ForeignKey(Agency, verbose_name=_("cơ quan bị phản ánh"), null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="+")
    # Where
    receiving_agency = models.ForeignKey(Agency, verbose_name=_("nơi tiếp nhận"), on_delete=models.PROTECT,
                                         related_name="+")
    agency = models.ForeignKey(Agency, verbose_name=_("cơ quan có thẩm quyền xử lý"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    # Repeats
    repeat_of = models.ForeignKey("self", verbose_name=_("phản ánh lặp lại của"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="repeats")
    # Times and deadlines (stored: computed with the working-day calendar at receipt / at the answer)
    received_at = models.DateTimeField(_("tiếp nhận lúc"), db_index=True)
    rules = models.JSONField(_("quy tắc áp dụng"), default=dict, blank=True)
    refuse_due_at = models.DateTimeField(_("hạn từ chối tiếp nhận"))
    supplement_due_at = models.DateTimeField(_("hạn yêu cầu bổ sung lần đầu"))
    answer_due_at = models.DateTimeField(_("hạn trả lời"))
    publish_due_at = models.DateTimeField(_("hạn công khai"), null=True, blank=True)
    next_due_at = models.DateTimeField(_("hạn tiếp theo"), null=True, blank=True, db_index=True)
    assigned_at = models.DateTimeField(_("chuyển xử lý lúc"), null=True, blank=True)
    supplement_requested_at = models.DateTimeField(_("yêu cầu bổ sung lúc"), null=True, blank=True)
    supplement_request = models.TextField(_("nội dung cần bổ sung"), blank=True)
    supplemented_at = models.DateTimeField(_("bổ sung lúc"), null=True, blank=True)
    refused_at = models.DateTimeField(_("từ chối lúc"), null=True, blank=True)
    refusal_reason = models.TextField(_("lý do từ chối"), blank=True)
    answered_at = models.DateTimeField(_("trả lời lúc"), null=True, blank=True)
    answer = models.TextField(_("nội dung trả lời"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("người trả lời"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(_("công khai lúc"), null=True, blank=True, db_index=True)
    # Verdicts (None: the step did not happen, or is not judged)
    refused_on_time = models.BooleanField(_("từ chối đúng hạn"), null=True, blank=True)
    supplement_on_time = models.BooleanField(_("yêu cầu bổ sung đúng hạn"), null=True, blank=True)
    answered_on_time = models.BooleanField(_("trả lời đúng hạn"), null=True, blank=True)
    published_on_time = models.BooleanField(_("công khai đúng hạn"), null=True, blank=True)

    fingerprint = models.CharField(max_length=64, db_index=True, editable=False)
    client_token = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False,
                                    help_text="Mã của lần gửi (biểu mẫu, API): gửi lại cùng mã không tạo bản thứ hai.")
    search_text = models.TextField(editable=False, blank=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("phản ánh, kiến nghị")
        verbose_name_plural = _("phản ánh, kiến nghị")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="petition_text_not_empty"),
            models.CheckConstraint(
                condition=Q(about="procedure") | Q(concerned_agency__isnull=False),
                name="petition_staff_needs_agency"),
        ]
        indexes = [
            models.Index(fields=["receiving_agency", "state", "next_due_at"], name="petition_recv_state_due"),
            models.Index(fields=["agency", "state", "next_due_at"], name="petition_agency_state_due"),
        ]

    def __str__(self) -> str:
        return self.code or f"PAKN #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state in (self.State.RECEIVED, self.State.SUPPLEMENT, self.State.ASSIGNED, self.State.ANSWERED)


class PetitionEvent(models.Model):
    """An immutable record of one transition of a petition, with its deadline and whether it was met."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(db_index=True)
    action = models.CharField(max_length=30)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_name = models.CharField(max_length=200, blank=True)
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12)
    due_at = models.DateTimeField(null=True, blank=True)
    on_time = models.BooleanField(null=True, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["petition_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M} {self.action}"


class PetitionVote(models.Model):
    class Value(models.TextChoices):
        LIKE = "like", _("Hài lòng với câu trả lời")
        DISLIKE = "dislike", _("Không hài lòng với câu trả lời")

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="votes")
    value = models.CharField(max_length=8, choices=Value.choices)
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    voter_key = models.CharField(max_length=40, help_text="user:<id> hoặc submitter (người gửi không có tài khoản).")
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("ý kiến về câu trả lời")
        verbose_name_plural = _("ý kiến về câu trả lời")
        ordering = ["petition_id", "at"]
        constraints = [models.UniqueConstraint(fields=["petition", "voter_key"], name="petition_vote_once")]

    def __str__(self) -> str:
        return f"{self.petition} {self.value}"
