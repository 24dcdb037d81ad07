"""People served and their clinical record in the Django admin: administrators only, their
agency's records only, and every page logged (see `peerpath.access.admin_mixins`)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.safestring import SafeString

from peerpath.access.admin_mixins import PHIAdminMixin, PHIInlineMixin, access_history_table

from .models import (
    Assessment,
    Diagnosis,
    Discharge,
    Episode,
    FamilyRelationship,
    OtherService,
    Person,
    ProgramEnrollment,
    ServiceOrder,
)


class DiagnosisInline(PHIInlineMixin, admin.TabularInline):
    model = Diagnosis
    extra = 0
    readonly_fields = ("description", "category")


class EpisodeInline(PHIInlineMixin, admin.TabularInline):
    model = Episode
    extra = 0


class EnrollmentInline(PHIInlineMixin, admin.TabularInline):
    model = ProgramEnrollment
    extra = 0


@admin.register(Person)
class PersonAdmin(PHIAdminMixin, admin.ModelAdmin):
    person_field = "pk"
    list_display = ("last_name", "first_name", "medicaid_id", "payer", "agency")
    list_filter = ("payer", "agency")
    search_fields = ("last_name", "first_name", "medicaid_id")
    readonly_fields = ("access_history",)
    inlines = [EpisodeInline, DiagnosisInline, EnrollmentInline]

    @admin.display(description="Who accessed this record")
    def access_history(self, obj: Person) -> SafeString | str:
        return access_history_table(obj.pk)


@admin.register(Diagnosis)
class DiagnosisAdmin(PHIAdminMixin, admin.ModelAdmin):
    list_display = ("person", "code", "description", "category", "is_primary", "start", "end")
    list_filter = ("category",)
    readonly_fields = ("description", "category")
    raw_id_fields = ("person",)


@admin.register(Assessment)
class AssessmentAdmin(PHIAdminMixin, admin.ModelAdmin):
    list_display = ("person", "date", "author_name", "author_credential", "medical_necessity")
    raw_id_fields = ("person",)


@admin.register(ServiceOrder)
class ServiceOrderAdmin(PHIAdminMixin, admin.ModelAdmin):
    list_display = ("person", "signed_on", "signed_by", "credential")
    raw_id_fields = ("person",)


@admin.register(OtherService)
class OtherServiceAdmin(PHIAdminMixin, admin.ModelAdmin):
    list_display = ("person", "category", "date", "start_time", "end_time", "provider_name")
    list_filter = ("category",)
    raw_id_fields = ("person",)


@admin.register(Discharge)
class DischargeAdmin(PHIAdminMixin, admin.ModelAdmin):
    person_field = "episode__person"
    list_display = ("episode", "date", "reason")
    raw_id_fields = ("episode",)


@admin.register(Episode)
class EpisodeAdmin(PHIAdminMixin, admin.ModelAdmin):
    list_display = ("person", "start", "end", "referral_source")
    raw_id_fields = ("person",)


@admin.register(ProgramEnrollment)
class ProgramEnrollmentAdmin(PHIAdminMixin, admin.ModelAdmin):
    list_display = ("person", "program", "provider_name", "start", "end")
    list_filter = ("program",)
    raw_id_fields = ("person",)


@admin.register(FamilyRelationship)
class FamilyRelationshipAdmin(PHIAdminMixin, admin.ModelAdmin):
    list_display = ("person", "staff", "relationship")
    raw_id_fields = ("person",)
