from django.contrib import admin

from peerpath.access.admin_mixins import PHIAdminMixin, PHIInlineMixin

from .models import CrisisPlan, Goal, Intervention, Objective, Plan, PlanSignature


class GoalInline(PHIInlineMixin, admin.StackedInline):
    model = Goal
    extra = 0
    show_change_link = True


class SignatureInline(PHIInlineMixin, admin.TabularInline):
    model = PlanSignature
    extra = 0


class CrisisPlanInline(PHIInlineMixin, admin.StackedInline):
    model = CrisisPlan
    extra = 0


@admin.register(Plan)
class PlanAdmin(PHIAdminMixin, admin.ModelAdmin):
    list_display = ("person", "version", "status", "start", "review_due")
    list_filter = ("status",)
    raw_id_fields = ("person", "previous", "episode")
    inlines = [GoalInline, CrisisPlanInline, SignatureInline]


class ObjectiveInline(PHIInlineMixin, admin.TabularInline):
    model = Objective
    extra = 0


class InterventionInline(PHIInlineMixin, admin.TabularInline):
    model = Intervention
    extra = 0


@admin.register(Goal)
class GoalAdmin(PHIAdminMixin, admin.ModelAdmin):
    person_field = "plan__person"
    list_display = ("plan", "order", "own_words", "whole_health_factor", "status")
    inlines = [ObjectiveInline, InterventionInline]
    raw_id_fields = ("plan",)
