"""Back office: fee rules (edited by IT staff, validated); payments, callbacks and the sandbox ledger read-only
(their states change only through ``services.py`` and the providers)."""

import json

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from tinhso.core.admin import AuditedAdmin
from tinhso.core.services import record

from . import fees
from .models import FeeRule, Payment, PaymentCallback, SandboxTransaction


class FeeRuleForm(forms.ModelForm):
    class Meta:
        model = FeeRule
        fields = ("fee", "rule", "is_active", "note")

    def clean_rule(self):
        rule = self.cleaned_data["rule"]
        try:
            return fees.validate_rule(rule)
        except fees.RuleError as exc:
            raise forms.ValidationError(str(exc)) from exc


@admin.register(FeeRule)
class FeeRuleAdmin(AuditedAdmin):
    form = FeeRuleForm
    list_display = ("fee", "kind", "is_active", "updated_at", "note")
    list_filter = ("is_active",)
    raw_id_fields = ("fee",)
    readonly_fields = ("fee_text", "parsed", "updated_at")
    search_fields = ("fee__channel__version__procedure__code", "fee__text", "note")
    actions = ["reparse"]

    @admin.display(description=_("cách tính"))
    def kind(self, obj):
        return fees.KIND_LABELS.get(obj.rule.get("kind"), "?")

    @admin.display(description=_("nguyên văn trong danh mục"))
    def fee_text(self, obj):
        return f"{obj.fee.amount or ''} {obj.fee.currency} — {obj.fee.text}" if obj.fee_id else ""

    @admin.display(description=_("quy tắc đọc được từ nguyên văn"))
    def parsed(self, obj):
        if not obj.fee_id:
            return ""
        return json.dumps(fees.rule_from_text(obj.fee.amount, obj.fee.text, obj.fee.currency), ensure_ascii=False)

    @admin.action(description=_("Thay quy tắc bằng quy tắc đọc từ nguyên văn danh mục"))
    def reparse(self, request, queryset):
        for rule in queryset.select_related("fee"):
            rule.rule = fees.rule_from_text(rule.fee.amount, rule.fee.text, rule.fee.currency)
            rule.save(update_fields=["rule", "updated_at"])
            record("admin.changed", actor=request.user, obj=rule, summary=f"Đọc lại quy tắc: {rule}"[:200])
        messages.success(request, _("Đã đọc lại quy tắc từ nguyên văn danh mục."))


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CallbackInline(admin.TabularInline):
    model = PaymentCallback
    extra = 0
    fields = ("received_at", "channel", "outcome", "code", "message", "signature_valid", "ip")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("order_ref", "dossier", "purpose", "amount", "provider", "state", "created_at", "paid_at",
                    "provider_txn")
    list_filter = ("state", "purpose", "provider")
    search_fields = ("order_ref", "provider_txn", "dossier__code", "receipt_number")
    date_hierarchy = "created_at"
    inlines = [CallbackInline]


@admin.register(PaymentCallback)
class PaymentCallbackAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "provider", "channel", "order_ref", "outcome", "code", "signature_valid", "ip")
    list_filter = ("outcome", "channel", "code", "provider")
    search_fields = ("order_ref", "provider_txn", "code")
    date_hierarchy = "received_at"


@admin.register(SandboxTransaction)
class SandboxTransactionAdmin(ReadOnlyAdmin):
    list_display = ("txn_no", "order_ref", "amount", "response_code", "created_at", "ipn_status")
    list_filter = ("response_code", "ipn_status")
    search_fields = ("txn_no", "order_ref")
