from django.urls import path

from . import views

urlpatterns = [
    path("billing/", views.lines, name="billing-lines"),
    path("billing/scrub/", views.scrub_start, name="billing-scrub"),
    path("billing/lines.csv", views.lines_csv, name="billing-lines-csv"),
    path("billing/lines/release/", views.lines_release_view, name="billing-release-many"),
    path("billing/lines/<int:line_id>/release/", views.line_release_view, name="billing-release"),
    path("billing/batches/", views.batches, name="billing-batches"),
    path("billing/batches/new/", views.batch_new, name="billing-batch-new"),
    path("billing/batches/<int:batch_id>/file/", views.batch_file, name="billing-batch-file"),
]
