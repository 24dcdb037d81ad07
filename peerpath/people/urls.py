from django.urls import path

from . import views

urlpatterns = [
    path("people/", views.people, name="people"),
    path("people/switch/", views.person_switch, name="person-switch"),
    path("people/<int:person_id>/", views.chart, name="person-chart"),
    path(
        "people/<int:person_id>/emergency-access/",
        views.emergency_access,
        name="person-emergency-access",
    ),
]
