"""Back office: the versioned scoring rules of the QĐ 766 indicators (saved through ``services.save_rule``) and the
change feed's progress (read-only)."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tinhso.core.errors import DomainError
from tinhso.core.services import record

from . import services
from .indicators import INDICATORS
from .models import FeedState, IndicatorRule


@admin.register(IndicatorRule)
class IndicatorRuleAdmin(admin.ModelAdmin):
    list_display = ("indicator", "effective_from", "max_points", "threshold_percent", "confirmed", "note")
    list_filter = ("confirmed", "indicator")
    ordering = ("indicator", "-effective_from")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "indicator":
            from django import forms

            return forms.ChoiceField(label=_("chỉ tiêu"), choices=[(i.id, f"{i.id} — {i.name}") for i in INDICATORS])
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class Checked(form):
            def clean(self):
                data = super().clean()
                try:
                    services.validate_rule(IndicatorRule(pk=self.instance.pk, **data))
                except DomainError as exc:
                    raise ValidationError(exc.message) from exc
                return data

        return Checked

    def save_model(self, request, obj, form, change):
        services.save_rule(request.user, obj)

    def delete_model(self, request, obj):
        record("admin.deleted", actor=request.user, obj=obj, summary=str(obj)[:200])
        super().delete_model(request, obj)


@admin.register(FeedState)
class FeedStateAdmin(admin.ModelAdmin):
    list_display = ("last_event_id", "refreshed_at", "rebuilt_at")
    readonly_fields = ("last_event_id", "gaps", "refreshed_at", "rebuilt_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
