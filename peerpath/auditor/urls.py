from django.urls import path

from . import views

urlpatterns = [
    path("audit/", views.home, name="auditor-home"),
    path("audit/rules/<str:rule_id>/", views.rule, name="auditor-rule"),
    path("audit/sample/", views.sample, name="auditor-sample"),
    path("audit/findings.<str:fmt>", views.export, name="auditor-export"),
]
