from django.urls import path

from . import remittance_views as views

urlpatterns = [
    path("billing/remittances/", views.remittances, name="billing-remittances"),
    path("billing/denials/", views.denials, name="billing-denials"),
    path("billing/reports/", views.billing_reports, name="billing-reports"),
    path(
        "billing/reports/clean-claims.png",
        views.clean_claim_chart_png,
        name="billing-clean-claims-chart",
    ),
]
