from django.contrib import admin

from peerpath.access.admin_mixins import PHIAdminMixin

from .models import Authorization


@admin.register(Authorization)
class AuthorizationAdmin(PHIAdminMixin, admin.ModelAdmin):
    list_display = (
        "person",
        "number",
        "kind",
        "status",
        "units_requested",
        "units_approved",
        "start",
        "end",
    )
    list_filter = ("status", "kind", "payer")
    search_fields = ("number",)
    raw_id_fields = ("person",)
