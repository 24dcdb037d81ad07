from __future__ import annotations

from typing import Any

from django.contrib import admin

from peerpath.access.admin_mixins import PHIAdminMixin

from .models import Claim, ClaimBatch, ClaimLine, LineHold
from .tally import tally_refresh


class RecountsMixin:
    """An edit in the admin changes lines outside the billing services: count the agency's
    lines for the billing screen afresh, as the services do."""

    def _agency_id(self, obj: Any) -> int:
        line = obj.line if isinstance(obj, LineHold) else obj
        return int(line.person.agency_id)

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        tally_refresh(self._agency_id(obj))

    def delete_model(self, request: Any, obj: Any) -> None:
        agency_id = self._agency_id(obj)
        super().delete_model(request, obj)  # type: ignore[misc]
        tally_refresh(agency_id)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        agencies = {self._agency_id(obj) for obj in queryset}
        super().delete_queryset(request, queryset)  # type: ignore[misc]
        for agency_id in sorted(agencies):
            tally_refresh(agency_id)


@admin.register(ClaimBatch)
class ClaimBatchAdmin(PHIAdminMixin, admin.ModelAdmin):
    # A file holds many people's claims; the admin lists files, never their text.
    person_field = None
    agency_field = "agency"
    list_display = (
        "isa_control",
        "payer",
        "claim_count",
        "line_count",
        "total_charge",
        "created_at",
    )
    list_filter = ("payer",)
    exclude = ("file_text",)
    readonly_fields = ("isa_control", "gs_control", "st_control", "created_by", "created_at")


@admin.register(Claim)
class ClaimAdmin(PHIAdminMixin, admin.ModelAdmin):
    list_display = (
        "patient_control_number",
        "person",
        "payer",
        "frequency",
        "total_charge",
        "status",
    )
    list_filter = ("status", "frequency", "payer")
    search_fields = ("patient_control_number", "payer_claim_number")
    raw_id_fields = ("person", "batch", "original")


@admin.register(ClaimLine)
class ClaimLineAdmin(RecountsMixin, PHIAdminMixin, admin.ModelAdmin):
    list_display = ("note", "person", "service_date", "procedure_code", "units", "charge", "status")
    list_filter = ("status", "payer")
    raw_id_fields = ("note", "person", "claim")


@admin.register(LineHold)
class LineHoldAdmin(RecountsMixin, PHIAdminMixin, admin.ModelAdmin):
    person_field = "line__person"
    list_display = ("line", "rule_id", "created_at", "released_at")
    list_filter = ("rule_id",)
    raw_id_fields = ("line",)
