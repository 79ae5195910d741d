"""The configuration back office (Django admin, in Vietnamese). Saves go through the service layer's audit."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from . import calendars, permissions, services
from .models import (
    AdministrativeUnit,
    Agency,
    AuditEvent,
    CalendarOverride,
    CalendarRuleVersion,
    Membership,
    UnitSuccession,
    User,
)


class AuditedAdmin(admin.ModelAdmin):
    """Records every save and delete made in the back office in the platform's audit log."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        calendars.invalidate()  # the agency tree or calendar rules may have changed
        permissions.invalidate()
        services.record(f"admin.{'changed' if change else 'added'}", actor=request.user, obj=obj,
                        summary=str(obj)[:200], data={"fields": list(form.changed_data)})

    def delete_model(self, request, obj):
        services.record("admin.deleted", actor=request.user, obj=obj, summary=str(obj)[:200])
        super().delete_model(request, obj)


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(AuditedAdmin):
    list_display = ("code", "name", "division_type", "level", "parent", "valid_from", "valid_to")
    list_filter = ("level", "division_type")
    search_fields = ("code", "name", "name_folded")
    raw_id_fields = ("parent",)


@admin.register(UnitSuccession)
class UnitSuccessionAdmin(AuditedAdmin):
    list_display = ("predecessor", "successor", "whole", "effective_date")
    raw_id_fields = ("predecessor", "successor")
    search_fields = ("predecessor__name", "successor__name", "predecessor__code", "successor__code")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("agency",)


@admin.register(Agency)
class AgencyAdmin(AuditedAdmin):
    list_display = ("code", "name", "short_name", "kind", "parent", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name", "short_name", "name_folded")
    autocomplete_fields = ("parent",)
    raw_id_fields = ("unit",)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "full_name", "kind", "email", "is_active")
    list_filter = ("kind", "is_active", "is_staff")
    search_fields = ("username", "full_name", "identity_number", "tax_code", "email")
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Thông tin định danh"), {"fields": ("kind", "full_name", "identity_number", "tax_code", "phone",
                                               "address", "unit")}),
    )
    raw_id_fields = ("unit",)
    inlines = [MembershipInline]


@admin.register(CalendarRuleVersion)
class CalendarRuleVersionAdmin(AuditedAdmin):
    list_display = ("__str__", "weekly_days_off", "shifts", "cutoff", "note")
    list_filter = ("agency",)


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(AuditedAdmin):
    list_display = ("day", "kind", "agency", "reason")
    list_filter = ("kind", "agency")
    date_hierarchy = "day"


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only and hash-chained (``tinhso audit verify`` checks it)."""

    list_display = ("seq", "at", "actor_label", "action", "object_type", "object_id", "summary", "ip")
    list_filter = ("action",)
    search_fields = ("actor_label", "object_id", "summary")
    date_hierarchy = "at"
    ordering = ("-seq",)
    readonly_fields = ("seq", "at", "actor", "actor_label", "agency", "action", "object_type", "object_id",
                       "summary", "data", "ip", "user_agent", "prev_hash", "hash")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
