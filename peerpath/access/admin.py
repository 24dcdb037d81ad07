from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AccessLogEntry, BreakGlassGrant


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "at", "username", "role", "action", "record_type", "person_id")
    list_filter = ("action", "role")
    search_fields = ("username", "record_id")


@admin.register(BreakGlassGrant)
class BreakGlassGrantAdmin(ReadOnlyAdmin):
    list_display = ("granted_at", "user", "person", "expires_at")
    raw_id_fields = ("user", "person", "log_entry")
