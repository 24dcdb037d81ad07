"""Plans in the admin: a plan once signed (active, superseded, ended) is read-only here with
its goals, steps, interventions, crisis plan and signatures, since signed notes show its goals
as they were; signatures and status change only through the plan pages' services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.forms import ModelChoiceField
from django.http import HttpRequest

from peerpath.access.admin_mixins import PHIAdminMixin, PHIInlineMixin

from .models import CrisisPlan, Goal, Intervention, Objective, Plan, PlanSignature, PlanStatus


def _signed(obj: Any) -> bool:
    """The plan of `obj` (a plan or a goal) is no longer a draft."""
    plan = obj if isinstance(obj, Plan) else getattr(obj, "plan", None)
    return plan is not None and plan.status != PlanStatus.DRAFT


class DraftOnlyInline(PHIInlineMixin):
    """An inline that changes only while its plan is a draft."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _signed(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _signed(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _signed(obj) and super().has_delete_permission(request, obj)


class GoalInline(DraftOnlyInline, admin.StackedInline):
    model = Goal
    extra = 0
    show_change_link = True


class SignatureInline(PHIInlineMixin, admin.TabularInline):
    """Signatures are given on the plan page by the people who sign; read-only here."""

    model = PlanSignature
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CrisisPlanInline(DraftOnlyInline, admin.StackedInline):
    model = CrisisPlan
    extra = 0


@admin.register(Plan)
class PlanAdmin(PHIAdminMixin, admin.ModelAdmin):
    list_display = ("person", "version", "status", "start", "review_due")
    list_filter = ("status",)
    raw_id_fields = ("person", "previous", "episode")
    readonly_fields = ("status",)
    inlines = [GoalInline, CrisisPlanInline, SignatureInline]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _signed(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _signed(obj) and super().has_delete_permission(request, obj)


class ObjectiveInline(DraftOnlyInline, admin.TabularInline):
    model = Objective
    extra = 0


class InterventionInline(DraftOnlyInline, admin.TabularInline):
    model = Intervention
    extra = 0


@admin.register(Goal)
class GoalAdmin(PHIAdminMixin, admin.ModelAdmin):
    person_field = "plan__person"
    list_display = ("plan", "order", "own_words", "whole_health_factor", "status")
    inlines = [ObjectiveInline, InterventionInline]
    raw_id_fields = ("plan",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _signed(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not _signed(obj) and super().has_delete_permission(request, obj)

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        if db_field.name == "plan":
            # A goal is added only to a draft plan (of the administrator's agency).
            plans = self.admin_site._registry[Plan].get_queryset(request)
            kwargs["queryset"] = plans.filter(status=PlanStatus.DRAFT)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
