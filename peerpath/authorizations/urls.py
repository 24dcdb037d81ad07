from django.urls import path

from . import views

urlpatterns = [
    path("requests/", views.queue, name="um-queue"),
    path("requests/<int:authorization_id>/", views.review, name="um-request"),
]
