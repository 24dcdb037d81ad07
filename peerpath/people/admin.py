from django.contrib import admin

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


class DiagnosisInline(admin.TabularInline):
    model = Diagnosis
    extra = 0
    readonly_fields = ("description", "category")


class EpisodeInline(admin.TabularInline):
    model = Episode
    extra = 0


class EnrollmentInline(admin.TabularInline):
    model = ProgramEnrollment
    extra = 0


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("last_name", "first_name", "medicaid_id", "payer", "agency")
    list_filter = ("payer", "agency")
    search_fields = ("last_name", "first_name", "medicaid_id")
    inlines = [EpisodeInline, DiagnosisInline, EnrollmentInline]


@admin.register(Diagnosis)
class DiagnosisAdmin(admin.ModelAdmin):
    list_display = ("person", "code", "description", "category", "is_primary", "start", "end")
    list_filter = ("category",)
    readonly_fields = ("description", "category")
    raw_id_fields = ("person",)


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ("person", "date", "author_name", "author_credential", "medical_necessity")
    raw_id_fields = ("person",)


@admin.register(ServiceOrder)
class ServiceOrderAdmin(admin.ModelAdmin):
    list_display = ("person", "signed_on", "signed_by", "credential")
    raw_id_fields = ("person",)


@admin.register(OtherService)
class OtherServiceAdmin(admin.ModelAdmin):
    list_display = ("person", "category", "date", "start_time", "end_time", "provider_name")
    list_filter = ("category",)
    raw_id_fields = ("person",)


@admin.register(Discharge)
class DischargeAdmin(admin.ModelAdmin):
    list_display = ("episode", "date", "reason")


admin.site.register(Episode)
admin.site.register(ProgramEnrollment)
admin.site.register(FamilyRelationship)
