"""Admin: the PAKN rules (versioned deadlines) are edited here; ratings, petitions and votes are read-only records
(every change goes through ``services``)."""

from django.contrib import admin

from .models import Petition, PetitionEvent, PetitionRules, PetitionVote, Rating


@admin.register(PetitionRules)
class PetitionRulesAdmin(admin.ModelAdmin):
    list_display = ("effective_from", "refuse_days", "supplement_days", "answer_days", "publish_days", "note")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = ("dossier", "value", "channel", "at")
    list_filter = ("value", "channel")
    search_fields = ("dossier__code",)


class PetitionEventInline(admin.TabularInline):
    model = PetitionEvent
    extra = 0
    can_delete = False
    fields = ("at", "action", "actor_name", "from_state", "to_state", "due_at", "on_time", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Petition)
class PetitionAdmin(ReadOnlyAdmin):
    list_display = ("code", "subject", "classification", "state", "received_at", "answer_due_at", "agency")
    list_filter = ("state", "classification")
    search_fields = ("code", "subject", "search_text")
    inlines = [PetitionEventInline]


@admin.register(PetitionVote)
class PetitionVoteAdmin(ReadOnlyAdmin):
    list_display = ("petition", "value", "voter_key", "at")
