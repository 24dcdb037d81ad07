from django.urls import path

from . import views

urlpatterns = [
    path("team/", views.board, name="team-board"),
    path("team/findings/", views.findings, name="team-findings"),
    path("team/chart.svg", views.chart, name="team-chart"),
    path("team/people/<int:person_id>/reassign/", views.reassign, name="team-reassign"),
    path("team/people/<int:person_id>/contact/", views.contact_new, name="team-contact"),
    path("team/people/<int:person_id>/evaluation/", views.evaluation_new, name="team-evaluation"),
]
