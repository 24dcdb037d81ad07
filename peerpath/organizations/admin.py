from django.contrib import admin

from .models import Agency, ContractRate, Payer, PayerContract, Site


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "state", "npi")
    inlines = [SiteInline]


@admin.register(Payer)
class PayerAdmin(admin.ModelAdmin):
    list_display = ("name", "payer_id", "state", "kind")
    list_filter = ("state", "kind")


class RateInline(admin.TabularInline):
    model = ContractRate
    extra = 0


@admin.register(PayerContract)
class PayerContractAdmin(admin.ModelAdmin):
    list_display = ("number", "agency", "payer", "start", "end", "pack_override")
    inlines = [RateInline]


admin.site.register(Site)
