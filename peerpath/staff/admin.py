from django.contrib import admin

from peerpath.access.admin_mixins import PHIAdminMixin

from .models import (
    CaseloadAssignment,
    Certification,
    Evaluation,
    StaffMember,
    SupervisionAssignment,
    SupervisorContact,
    Training,
)


class CertificationInline(admin.TabularInline):
    model = Certification
    extra = 0


class TrainingInline(admin.TabularInline):
    model = Training
    extra = 0


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
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


admin.site.register(SupervisionAssignment)
admin.site.register(Certification)
admin.site.register(Training)
