from django.urls import path

from . import views

urlpatterns = [
    path("day/", views.my_day, name="my-day"),
    path("people/<int:person_id>/notes/new/", views.note_new, name="note-new"),
    path("people/<int:person_id>/notes/check/", views.note_check, name="note-check"),
    path("notes/<int:note_id>/", views.note_detail, name="note-detail"),
    path("notes/<int:note_id>/edit/", views.note_edit, name="note-edit"),
    path("notes/<int:note_id>/amend/", views.note_amend_view, name="note-amend"),
]
