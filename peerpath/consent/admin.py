"""Consents and disclosures are shown read-only: consents are recorded and revoked through
`peerpath.consent.services`, and disclosures are an append-only accounting. Counseling notes
are not registered at all: they are read only through `counseling_note_read`."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Consent, Disclosure


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = (
        "person",
        "recipient_name",
        "recipient_payer",
        "effective",
        "expires",
        "revoked_on",
        "covers_counseling_notes",
    )
    list_filter = ("covers_counseling_notes",)
    raw_id_fields = ("person",)


@admin.register(Disclosure)
class DisclosureAdmin(ReadOnlyAdmin):
    list_display = ("at", "person", "recipient_name", "purpose", "part2_included", "consent")
    list_filter = ("purpose", "part2_included")
    raw_id_fields = ("person", "consent")
    date_hierarchy = "at"
