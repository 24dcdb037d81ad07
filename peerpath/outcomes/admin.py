from django.contrib import admin
from django.http import HttpRequest

from peerpath.access.admin_mixins import PHIAdminMixin, PHIInlineMixin

from .models import Administration, Answer


class AnswerInline(PHIInlineMixin, admin.TabularInline):
    model = Answer
    extra = 0
    fields = ("item", "value", "not_applicable")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Administration)
class AdministrationAdmin(PHIAdminMixin, admin.ModelAdmin):
    """Outcome measures, to look up; they are recorded and scored only through the outcome
    pages (peerpath.outcomes.services), so here they are read-only."""

    list_display = ("date", "person", "instrument", "occasion", "status", "total", "staff")
    list_filter = ("instrument", "status", "occasion", "mode")
    raw_id_fields = ("person", "staff")
    date_hierarchy = "date"
    inlines = [AnswerInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
