"""Back office for the one-stop-shop: rules, notification templates; dossiers read-only (services change them)."""

from django.contrib import admin

from tinhso.core.admin import AuditedAdmin

from .models import Dossier, DossierEvent, NotificationTemplate, OneStopRules, OutboundMessage, PersonalDocument


@admin.register(OneStopRules)
class OneStopRulesAdmin(AuditedAdmin):
    list_display = ("effective_from", "code_template", "supplement_clock", "supplement_wait_days", "note")


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(AuditedAdmin):
    list_display = ("kind", "subject", "is_active")
    list_filter = ("is_active",)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DossierEventInline(admin.TabularInline):
    model = DossierEvent
    extra = 0
    fields = ("at", "action", "actor_name", "actor_role", "agency", "from_status", "to_status", "note")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Dossier)
class DossierAdmin(ReadOnlyAdmin):
    list_display = ("code", "status", "applicant_name", "receiving_agency", "received_at", "due_at")
    list_filter = ("status", "receiving_agency")
    search_fields = ("code", "applicant_name")
    date_hierarchy = "received_at"
    inlines = [DossierEventInline]


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "channel", "kind", "recipient", "state", "error")
    list_filter = ("channel", "state", "kind")
    search_fields = ("recipient", "subject")


@admin.register(PersonalDocument)
class PersonalDocumentAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "owner", "title", "kind", "source_dossier_code", "hidden_at")
    list_filter = ("kind",)
    search_fields = ("title", "source_dossier_code", "owner__username")
    raw_id_fields = ("owner", "source_dossier", "source_attachment", "component")
