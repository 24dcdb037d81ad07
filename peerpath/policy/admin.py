from django.contrib import admin

from .models import ParameterOverride


@admin.register(ParameterOverride)
class ParameterOverrideAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("key", "value", "contract", "start", "end", "source", "confidence")
    list_filter = ("key", "confidence")
