"""Back-office configuration: document types, clerk offices, registers (read-only counters) and the history."""

from django.contrib import admin

from .models import ClerkOffice, Document, DocumentEvent, DocumentType, Registry


@admin.register(DocumentType)
class DocumentTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "abbreviation", "kind", "order", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "abbreviation")


@admin.register(ClerkOffice)
class ClerkOfficeAdmin(admin.ModelAdmin):
    list_display = ("agency", "office")
    autocomplete_fields = ("agency", "office")


@admin.register(Registry)
class RegistryAdmin(admin.ModelAdmin):
    """Registers are opened by the services; their counters are never edited by hand (numbers would repeat)."""

    list_display = ("agency", "year", "direction", "secret", "document_type", "last_number", "closed")
    list_filter = ("year", "direction", "secret", "closed")
    readonly_fields = ("agency", "year", "direction", "secret", "document_type", "last_number", "closed",
                       "closed_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = DocumentEvent
    extra = 0
    can_delete = False
    readonly_fields = ("at", "action", "actor_name", "actor_role", "agency", "from_status", "to_status", "note")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    """Read-only: every change goes through the services (numbering, history, audit)."""

    list_display = ("notation", "direction", "agency", "subject", "status", "issued_date", "received_at")
    list_filter = ("direction", "status", "urgency", "secrecy")
    search_fields = ("notation", "subject", "sender_name")
    inlines = [EventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
