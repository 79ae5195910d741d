"""IT staff's view of the exchange: peers (configuration), the outbox with its dead letters (send again), the inbox
and what was received. Packages and attempts are never edited by hand."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from . import services
from .models import InboxMessage, OutboxAttempt, OutboxMessage, Peer, ReceivedDocument, ReceivedStatus


@admin.register(Peer)
class PeerAdmin(admin.ModelAdmin):
    list_display = ("name", "base_url", "inbound_key_id", "outbound_key_id", "secret_env", "is_active",
                    "last_success_at", "last_failure_at")
    list_filter = ("is_active",)
    search_fields = ("name", "organ_ids", "inbound_key_id")
    readonly_fields = ("created_at", "last_success_at", "last_failure_at", "last_error")


class AttemptInline(admin.TabularInline):
    model = OutboxAttempt
    extra = 0
    can_delete = False
    readonly_fields = ("at", "http_status", "error_code", "error", "duration_ms")

    def has_add_permission(self, request, obj=None):
        return False


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutboxMessage)
class OutboxAdmin(ReadOnly):
    list_display = ("created_at", "kind", "business_type", "status_code", "recipient", "peer", "edxml_id",
                    "state", "attempts", "next_attempt_at", "last_error_code")
    list_filter = ("state", "kind", "peer")
    search_fields = ("edxml_id", "recipient", "uuid")
    exclude = ("body",)
    readonly_fields = ("uuid", "kind", "peer", "recipient", "edxml_id", "business_type", "status_code", "document",
                       "size", "sha256", "description", "state", "attempts", "next_attempt_at", "last_http_status",
                       "last_error_code", "last_error", "created_at", "created_by", "sent_at")
    inlines = [AttemptInline]
    actions = ["send_again"]

    @admin.action(description=_("Gửi lại ngay các gói tin đã ngừng gửi hoặc đang lỗi"))
    def send_again(self, request, queryset):
        count = services.requeue(request.user, list(queryset))
        self.message_user(request, _("%(n)s gói tin sẽ được gửi lại.") % {"n": count}, messages.SUCCESS)


@admin.register(InboxMessage)
class InboxAdmin(ReadOnly):
    list_display = ("received_at", "kind", "business_type", "status_code", "sender", "peer", "edxml_id")
    list_filter = ("kind", "peer")
    search_fields = ("edxml_id", "sender", "uuid")
    exclude = ("body",)


@admin.register(ReceivedDocument)
class ReceivedDocumentAdmin(ReadOnly):
    list_display = ("created_at", "edxml_id", "agency", "sender", "peer", "state")
    list_filter = ("state", "peer")
    search_fields = ("edxml_id", "sender")


@admin.register(ReceivedStatus)
class ReceivedStatusAdmin(ReadOnly):
    list_display = ("received_at", "edxml_id", "reporter", "status_code", "timestamp")
    list_filter = ("status_code",)
    search_fields = ("edxml_id", "reporter")
