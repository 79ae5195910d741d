from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    name = "tinhso.security"
    label = "security"
    verbose_name = _("Bảo mật: xác thực hai lớp, khóa đăng nhập, sự kiện bảo mật")

    def ready(self):
        from . import receivers  # noqa: F401
