from django.urls import path

from . import views

urlpatterns = [
    path("requests/", views.queue, name="um-queue"),
    path("requests/<int:authorization_id>/", views.review, name="um-request"),
    path(
        "requests/<int:authorization_id>/notice.pdf",
        views.reviewer_notice,
        name="um-notice",
    ),
    path(
        "people/<int:person_id>/authorizations/request/",
        views.request_new,
        name="authorization-request",
    ),
    path(
        "people/<int:person_id>/authorizations/<int:authorization_id>/notice.pdf",
        views.provider_notice,
        name="authorization-notice",
    ),
]
