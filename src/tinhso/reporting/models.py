"""Thống kê, chỉ số phục vụ (QĐ 766/QĐ-TTg): derived data kept up to date from the one-stop shop's event log.

- ``DossierFact``: one row per received dossier, what the scoreboard needs to know about it (period keys, scope
  keys, and one boolean per counter). Recomputed whenever the dossier's events say it changed.
- ``Aggregate``: additive counters per (cube, grain, day or month, agency, commune, procedure), kept up to date by
  adding the difference between a dossier's new fact and its old one. Four cubes answer the four scopes of the
  scoreboard: the province (no dimension), an agency (agency × procedure), a commune (commune × procedure) and a
  procedure; each at two grains, the day and the month, so that any date range is a few month rows plus the days at
  its ends.
- ``FeedState``: the change feed's watermark (the last ``DossierEvent`` id applied) and the ids skipped on the way
  (they may belong to transactions that had not committed yet).
- ``IndicatorRule``: a versioned scoring rule (maximum points, threshold, confirmed or not) that overrides the
  built-in one from its effective date (``indicators.py``).

Dimension columns are plain integers, not foreign keys: these tables are derived data, rebuilt at will, and bulk
loaded without touching the tables they summarise. ``0`` in a dimension means "all" (or "unknown commune" in the
commune cube).
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

#: The counters of a fact (each a boolean or, for ``duration_min``, an integer) and of an aggregate (their sums).
COUNTERS = (
    "received", "online", "finished", "on_time", "decided", "duration_min", "e_result", "digitised",
    "digitised_full", "reused", "store", "has_fee", "paid_online", "tt_eligible", "toan_trinh", "rated", "rated_ok",
    "disliked",
)


class DossierFact(models.Model):
    """What the scoreboard knows about one received dossier (``received`` is always true: a counter of one)."""

    dossier_id = models.BigIntegerField(primary_key=True)
    received_at = models.DateTimeField()
    received_day = models.DateField(help_text="Ngày tiếp nhận theo giờ Việt Nam: khóa kỳ báo cáo.")
    agency_id = models.IntegerField(help_text="Cơ quan chủ trì giải quyết.")
    commune_id = models.IntegerField(default=0, help_text="Xã/phường của người nộp; 0 nếu không xác định.")
    procedure_id = models.IntegerField()
    status = models.PositiveSmallIntegerField()
    end_at = models.DateTimeField(null=True, blank=True, help_text="Kết thúc xử lý: xử lý xong, dừng, rút, hoặc trả.")
    kpi_due = models.DateTimeField(null=True, blank=True,
                                   help_text="Hẹn trả ban đầu cộng thời gian tạm dừng (bổ sung, nghĩa vụ tài chính).")
    paused_since = models.DateTimeField(null=True, blank=True, help_text="Đang tạm dừng từ lúc này (chưa kết thúc).")
    twice = models.BooleanField(default=False, help_text="Yêu cầu bổ sung quá một lần: tính là quá hạn.")

    received = models.BooleanField(default=True)
    online = models.BooleanField(default=False)
    finished = models.BooleanField(default=False)
    on_time = models.BooleanField(default=False, help_text="Đã kết thúc, đúng hoặc trước hạn.")
    decided = models.BooleanField(default=False, help_text="Đã xử lý xong hoặc đã trả kết quả (trạng thái 9, 10).")
    duration_min = models.IntegerField(default=0,
                                       help_text="Thời gian giải quyết (phút làm việc) của hồ sơ đã xử lý xong.")
    e_result = models.BooleanField(default=False)
    digitised = models.BooleanField(default=False)
    digitised_full = models.BooleanField(default=False)
    reused = models.BooleanField(default=False)
    store = models.BooleanField(default=False)
    has_fee = models.BooleanField(default=False)
    paid_online = models.BooleanField(default=False)
    tt_eligible = models.BooleanField(default=False)
    toan_trinh = models.BooleanField(default=False)
    rated = models.BooleanField(default=False, help_text="Người nộp đã đánh giá.")
    rated_ok = models.BooleanField(default=False, help_text="Đánh giá không phải “không hài lòng”.")
    disliked = models.BooleanField(default=False, help_text="Đánh giá không hài lòng, hoặc có phản ánh về hồ sơ.")

    class Meta:
        verbose_name = _("dữ kiện hồ sơ (thống kê)")
        verbose_name_plural = _("dữ kiện hồ sơ (thống kê)")
        indexes = [
            models.Index(fields=["received_day", "agency_id"], name="fact_day_agency"),
            models.Index(fields=["agency_id", "received_day"], name="fact_agency_day"),
            models.Index(fields=["commune_id", "received_day"], name="fact_commune_day"),
            models.Index(fields=["procedure_id", "received_day"], name="fact_procedure_day"),
            # Dossiers still in progress are few: the scoreboard classifies them live through this index, which
            # holds what it needs (an index-only scan on PostgreSQL; SQLite ignores INCLUDE).
            models.Index(fields=["received_day"], condition=Q(finished=False), name="fact_open_day",
                         include=["twice", "kpi_due", "paused_since", "agency_id", "commune_id", "procedure_id"]),
        ]

    def __str__(self) -> str:
        return f"Hồ sơ #{self.dossier_id}"


class Aggregate(models.Model):
    class Cube(models.IntegerChoices):
        PROVINCE = 0, _("Toàn tỉnh")
        AGENCY = 1, _("Cơ quan × thủ tục")
        COMMUNE = 2, _("Xã × thủ tục")
        PROCEDURE = 3, _("Thủ tục")

    class Grain(models.TextChoices):
        DAY = "D", _("Ngày")
        MONTH = "M", _("Tháng")

    cube = models.PositiveSmallIntegerField(choices=Cube.choices)
    grain = models.CharField(max_length=1, choices=Grain.choices)
    start = models.DateField(help_text="Ngày, hoặc ngày đầu tháng.")
    agency_id = models.IntegerField(default=0)
    commune_id = models.IntegerField(default=0)
    procedure_id = models.IntegerField(default=0)

    received = models.BigIntegerField(default=0)
    online = models.BigIntegerField(default=0)
    finished = models.BigIntegerField(default=0)
    on_time = models.BigIntegerField(default=0)
    decided = models.BigIntegerField(default=0)
    duration_min = models.BigIntegerField(default=0)
    e_result = models.BigIntegerField(default=0)
    digitised = models.BigIntegerField(default=0)
    digitised_full = models.BigIntegerField(default=0)
    reused = models.BigIntegerField(default=0)
    store = models.BigIntegerField(default=0)
    has_fee = models.BigIntegerField(default=0)
    paid_online = models.BigIntegerField(default=0)
    tt_eligible = models.BigIntegerField(default=0)
    toan_trinh = models.BigIntegerField(default=0)
    rated = models.BigIntegerField(default=0)
    rated_ok = models.BigIntegerField(default=0)
    disliked = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("số liệu tổng hợp")
        verbose_name_plural = _("số liệu tổng hợp")
        constraints = [
            models.UniqueConstraint(fields=["cube", "grain", "start", "agency_id", "commune_id", "procedure_id"],
                                    name="aggregate_key"),
        ]
        indexes = [
            models.Index(fields=["cube", "grain", "agency_id", "start"], name="aggregate_agency"),
            models.Index(fields=["cube", "grain", "commune_id", "start"], name="aggregate_commune"),
            models.Index(fields=["cube", "grain", "procedure_id", "start"], name="aggregate_procedure"),
        ]

    def __str__(self) -> str:
        return f"{self.cube}/{self.grain} {self.start} a{self.agency_id} c{self.commune_id} p{self.procedure_id}"


class FeedState(models.Model):
    """The single row (pk 1) of the change feed's progress. Locked while a refresh runs: refreshes never overlap."""

    last_event_id = models.BigIntegerField(default=0)
    gaps = models.JSONField(default=list, blank=True,
                            help_text="Mã sự kiện bị bỏ qua [id, lần đầu thấy (ISO)]: xem lại ở lần sau.")
    refreshed_at = models.DateTimeField(null=True, blank=True)
    feedback_checked_at = models.DateTimeField(null=True, blank=True,
                                               help_text="Phản ánh, kiến nghị thay đổi sau lúc này được xem lại.")
    rebuilt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("tiến độ cập nhật số liệu")
        verbose_name_plural = _("tiến độ cập nhật số liệu")

    def __str__(self) -> str:
        return f"Đã cập nhật đến sự kiện #{self.last_event_id}"


class IndicatorRule(models.Model):
    """One version of an indicator's scoring rule, in force from ``effective_from`` (a period uses the version in
    force on its last day). Without a row, the built-in rule of ``indicators.py`` applies."""

    indicator = models.CharField(_("chỉ tiêu"), max_length=40,
                                 help_text=_("Mã chỉ tiêu hoặc số công thức như trong qd766-metrics.json, ví dụ 2.1."))
    effective_from = models.DateField(_("áp dụng từ ngày"))
    max_points = models.DecimalField(_("điểm tối đa"), max_digits=5, decimal_places=2, null=True, blank=True,
                                     help_text=_("Để trống hoặc 0: chỉ theo dõi, không tính điểm."))
    threshold_percent = models.DecimalField(
        _("ngưỡng đạt điểm tối đa (%)"), max_digits=5, decimal_places=2, null=True, blank=True,
        help_text=_("Tỷ lệ từ ngưỡng trở lên được điểm tối đa; dưới ngưỡng: tỷ lệ × điểm tối đa / ngưỡng. "
                    "Để trống: điểm = tỷ lệ × điểm tối đa."),
    )
    confirmed = models.BooleanField(_("công thức đã được xác nhận"), default=False)
    note = models.CharField(_("căn cứ, ghi chú"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("quy tắc tính điểm chỉ tiêu")
        verbose_name_plural = _("quy tắc tính điểm chỉ tiêu")
        ordering = ["indicator", "effective_from"]
        constraints = [models.UniqueConstraint(fields=["indicator", "effective_from"], name="indicator_rule_unique")]

    def __str__(self) -> str:
        return f"{self.indicator} từ {self.effective_from:%d/%m/%Y}"
