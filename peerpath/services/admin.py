from django.contrib import admin
from django.http import HttpRequest

from peerpath.access.admin_mixins import PHIAdminMixin, PHIInlineMixin

from .models import GroupAttendance, GroupSession, NoteStatus, ServiceNote


@admin.register(ServiceNote)
class ServiceNoteAdmin(PHIAdminMixin, admin.ModelAdmin):
    list_display = (
        "date",
        "start_time",
        "end_time",
        "person",
        "staff",
        "kind",
        "modality",
        "status",
    )
    list_filter = ("status", "kind", "modality", "staff")
    raw_id_fields = ("person", "goal", "intervention", "group_session", "amends")
    date_hierarchy = "date"
    # Signing happens only through the note page, by the signed-in peer specialist: here a
    # note is never marked signed, given a signer, or made an amendment. A note added here
    # is a draft.
    readonly_fields = (
        "status",
        "signed_by",
        "signed_credential",
        "signed_at",
        "amends",
        "amendment_reason",
    )

    def has_change_permission(self, request: HttpRequest, obj: ServiceNote | None = None) -> bool:
        # Signed notes are read-only here as everywhere; amendments go through the service.
        if obj is not None and obj.status != NoteStatus.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: ServiceNote | None = None) -> bool:
        if obj is not None and obj.status != NoteStatus.DRAFT:
            return False
        return super().has_delete_permission(request, obj)


class AttendanceInline(PHIInlineMixin, admin.TabularInline):
    model = GroupAttendance
    extra = 0
    raw_id_fields = ("person",)


@admin.register(GroupSession)
class GroupSessionAdmin(PHIAdminMixin, admin.ModelAdmin):
    # A group holds several people: its access-log entries name no one person.
    person_field = None
    agency_field = "agency"
    list_display = ("date", "topic", "start_time", "end_time", "site")
    inlines = [AttendanceInline]
