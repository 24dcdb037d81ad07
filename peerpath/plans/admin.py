from django.contrib import admin

from .models import CrisisPlan, Goal, Intervention, Objective, Plan, PlanSignature


class GoalInline(admin.StackedInline):
    model = Goal
    extra = 0
    show_change_link = True


class SignatureInline(admin.TabularInline):
    model = PlanSignature
    extra = 0


class CrisisPlanInline(admin.StackedInline):
    model = CrisisPlan
    extra = 0


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("person", "version", "status", "start", "review_due")
    list_filter = ("status",)
    raw_id_fields = ("person", "previous", "episode")
    inlines = [GoalInline, CrisisPlanInline, SignatureInline]


class ObjectiveInline(admin.TabularInline):
    model = Objective
    extra = 0


class InterventionInline(admin.TabularInline):
    model = Intervention
    extra = 0


@admin.register(Goal)
class GoalAdmin(admin.ModelAdmin):
    list_display = ("plan", "order", "own_words", "whole_health_factor", "status")
    inlines = [ObjectiveInline, InterventionInline]
    raw_id_fields = ("plan",)
