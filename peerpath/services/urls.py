from django.urls import path

from . import group_views, print_views, review_views, views

urlpatterns = [
    path("day/", views.my_day, name="my-day"),
    path("people/<int:person_id>/notes/new/", views.note_new, name="note-new"),
    path("people/<int:person_id>/notes/check/", views.note_check, name="note-check"),
    path("notes/<int:note_id>/", views.note_detail, name="note-detail"),
    path("notes/<int:note_id>/print/", print_views.note_pdf, name="note-pdf"),
    path("notes/<int:note_id>/edit/", views.note_edit, name="note-edit"),
    path("notes/<int:note_id>/amend/", views.note_amend_view, name="note-amend"),
    path("notes/<int:note_id>/discard/", review_views.discard, name="note-discard"),
    path("notes/<int:note_id>/review/", review_views.decide, name="note-review"),
    path("reviews/", review_views.queue, name="review-queue"),
    path("inbox/", review_views.inbox, name="inbox"),
    path("inbox/count/", review_views.inbox_badge, name="inbox-count"),
    path("groups/new/", group_views.group_new, name="group-new"),
    path("groups/<int:session_id>/", group_views.group_detail, name="group-detail"),
    path("groups/<int:session_id>/check-in/", group_views.group_check_in, name="group-check-in"),
    path("groups/<int:session_id>/check/", group_views.group_check, name="group-check"),
]
