from django.urls import path

from . import views

urlpatterns = [
    path("schedule/", views.schedule_day, name="schedule-day"),
    path("schedule/week/", views.schedule_week, name="schedule-week"),
    path("schedule/new/", views.appointment_new, name="appointment-new"),
    path("schedule/groups/new/", views.series_new, name="series-new"),
    path(
        "schedule/<int:appointment_id>/record/",
        views.appointment_record_view,
        name="appointment-record",
    ),
]
