from django.urls import path

from . import denial_views
from . import remittance_views as views

urlpatterns = [
    path("billing/remittances/", views.remittances, name="billing-remittances"),
    path(
        "billing/remittances/<int:file_id>/",
        views.remittance_detail,
        name="billing-remittance",
    ),
    path("billing/denials/", denial_views.denials, name="billing-denials"),
    path("billing/denials.csv", denial_views.denials_csv, name="billing-denials-csv"),
    path("billing/denials/<int:refusal_id>/", denial_views.denial_detail, name="billing-denial"),
    path(
        "billing/denials/<int:refusal_id>/act/", denial_views.denial_act, name="billing-denial-act"
    ),
    path(
        "billing/denials/<int:refusal_id>/appeal/<int:action_id>.pdf",
        denial_views.appeal_letter,
        name="billing-appeal-letter",
    ),
    path("billing/reports/", views.billing_reports, name="billing-reports"),
    path("billing/glance/", views.billing_glance, name="billing-glance"),
    path(
        "billing/reports/clean-claims.png",
        views.clean_claim_chart_png,
        name="billing-clean-claims-chart",
    ),
]
