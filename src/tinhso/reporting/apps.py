from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "tinhso.reporting"
    label = "reporting"
    verbose_name = _("Thống kê, chỉ số phục vụ (QĐ 766/QĐ-TTg)")
