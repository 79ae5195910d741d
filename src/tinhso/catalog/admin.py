from django.contrib import admin

from tinhso.core.admin import AuditedAdmin

from .models import Channel, Component, Fee, Procedure, ProcedureVersion, ProcessStep, Sector


@admin.register(Sector)
class SectorAdmin(AuditedAdmin):
    search_fields = ("name", "name_folded")


class ChannelInline(admin.TabularInline):
    model = Channel
    extra = 0


class ComponentInline(admin.TabularInline):
    model = Component
    extra = 0


class ProcessStepInline(admin.TabularInline):
    model = ProcessStep
    extra = 0
    autocomplete_fields = ("agency",)


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(AuditedAdmin):
    list_display = ("procedure", "number", "name", "sector", "online_level", "deadline_mode", "effective_from")
    list_filter = ("online_level", "deadline_mode", "level_province", "level_commune", "sector")
    search_fields = ("procedure__code", "name")
    autocomplete_fields = ("sector", "implementing_agencies")
    inlines = [ChannelInline, ComponentInline, ProcessStepInline]


@admin.register(Procedure)
class ProcedureAdmin(AuditedAdmin):
    list_display = ("code", "__str__", "is_published", "updated_at")
    list_filter = ("is_published",)
    search_fields = ("code", "search_text")
    raw_id_fields = ("current",)


@admin.register(Fee)
class FeeAdmin(AuditedAdmin):
    list_display = ("channel", "amount", "text")
    raw_id_fields = ("channel",)
