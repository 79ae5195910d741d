"""Admin: security events (read only, with filters), locks (delete one to lift it), authenticators (delete one to
make its owner enrol again, e.g. after losing the phone)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from tinhso.core.errors import DomainError

from . import services
from .models import LoginLock, SecurityEvent, TOTPDevice


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "kind", "username", "user", "ip", "path")
    list_filter = ("kind", ("at", admin.DateFieldListFilter))
    search_fields = ("username", "ip", "user__username", "user__full_name")
    date_hierarchy = "at"
    list_select_related = ("user",)
    readonly_fields = ("at", "kind", "user", "username", "ip", "user_agent", "path", "data")


@admin.register(LoginLock)
class LoginLockAdmin(admin.ModelAdmin):
    list_display = ("scope", "key", "until", "failures", "created_at")
    list_filter = ("scope",)
    search_fields = ("key",)
    readonly_fields = ("scope", "key", "until", "failures", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(admin.ModelAdmin):
    list_display = ("user", "confirmed_at", "created_at")
    search_fields = ("user__username", "user__full_name")
    readonly_fields = ("user", "created_at", "confirmed_at")
    exclude = ("secret", "last_step")
    actions = ["reset"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # through the "reset" action, which checks scope and records the event

    @admin.action(description=_("Hủy xác thực hai lớp (người dùng phải thiết lập lại khi đăng nhập)"),
                  permissions=["view"])
    def reset(self, request, queryset):
        done = 0
        for device in queryset.select_related("user"):
            try:
                services.reset_totp(request.user, device.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{device.user}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, _("Đã hủy xác thực hai lớp của %(n)d tài khoản.") % {"n": done})
