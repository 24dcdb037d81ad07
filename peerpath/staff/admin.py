from django.contrib import admin

from peerpath.access.admin_mixins import PHIAdminMixin, PHIInlineMixin

from .models import (
    CaseloadAssignment,
    Certification,
    Evaluation,
    StaffMember,
    SupervisionAssignment,
    SupervisorContact,
    Training,
)


class CertificationInline(PHIInlineMixin, admin.TabularInline):
    model = Certification
    extra = 0


class TrainingInline(PHIInlineMixin, admin.TabularInline):
    model = Training
    extra = 0


@admin.register(StaffMember)
class StaffMemberAdmin(PHIAdminMixin, admin.ModelAdmin):
    # Staff records are not a person's health information, but an agency's administrator
    # sees and edits only their own agency's staff (and cannot move one elsewhere), with
    # the same change history and access log as every other admin page.
    person_field = None
    agency_field = "agency"
    list_display = ("last_name", "first_name", "role", "credential", "agency", "site", "hire_date")
    list_filter = ("role", "agency", "site")
    search_fields = ("last_name", "first_name", "npi")
    inlines = [CertificationInline, TrainingInline]


@admin.register(CaseloadAssignment)
class CaseloadAssignmentAdmin(PHIAdminMixin, admin.ModelAdmin):
    list_display = ("staff", "person", "start", "end")
    list_filter = ("staff",)
    raw_id_fields = ("person",)


@admin.register(SupervisorContact)
class SupervisorContactAdmin(PHIAdminMixin, admin.ModelAdmin):
    list_display = ("person", "supervisor", "date", "kind")
    raw_id_fields = ("person",)


@admin.register(Evaluation)
class EvaluationAdmin(PHIAdminMixin, admin.ModelAdmin):
    list_display = ("person", "evaluator", "date")
    raw_id_fields = ("person",)


@admin.register(SupervisionAssignment)
class SupervisionAssignmentAdmin(PHIAdminMixin, admin.ModelAdmin):
    list_display = ("supervisor", "staff", "start", "end")
    person_field = None
    agency_field = "staff__agency"


@admin.register(Certification)
class CertificationAdmin(PHIAdminMixin, admin.ModelAdmin):
    list_display = ("staff", "start", "end")
    person_field = None
    agency_field = "staff__agency"


@admin.register(Training)
class TrainingAdmin(PHIAdminMixin, admin.ModelAdmin):
    list_display = ("staff", "topic", "hours", "completed_on")
    person_field = None
    agency_field = "staff__agency"
