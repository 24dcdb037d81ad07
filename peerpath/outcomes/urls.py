from django.urls import path

from . import views

urlpatterns = [
    path("people/<int:person_id>/measures/", views.person_measures, name="person-measures"),
    path("people/<int:person_id>/measures/new/", views.measure_new, name="measure-new"),
    path("people/<int:person_id>/measures/paper/", views.measure_paper, name="measure-paper"),
    path(
        "people/<int:person_id>/measures/<int:aid>/q/<int:item>/",
        views.measure_question,
        name="measure-question",
    ),
    path(
        "people/<int:person_id>/measures/<int:aid>/finish/",
        views.measure_finish,
        name="measure-finish",
    ),
    path(
        "people/<int:person_id>/measures/chart/<str:code>.svg",
        views.person_chart,
        name="person-measures-chart",
    ),
    path(
        "people/<int:person_id>/measures/print/", views.person_print, name="person-measures-print"
    ),
    path(
        "people/<int:person_id>/measures/fhir.json", views.person_fhir, name="person-measures-fhir"
    ),
    path(
        "people/<int:person_id>/measures/measures.csv", views.person_csv, name="person-measures-csv"
    ),
    path("outcomes/", views.program, name="outcomes-program"),
    path("outcomes/export.csv", views.program_csv, name="outcomes-program-csv"),
]
