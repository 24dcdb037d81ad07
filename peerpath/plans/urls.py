from django.urls import path

from . import views

V = "people/<int:person_id>/plan/v<int:version>/"

urlpatterns = [
    path("people/<int:person_id>/plan/", views.plan_home, name="plan-home"),
    path("people/<int:person_id>/plan/start/", views.plan_start_view, name="plan-start"),
    path(V, views.plan_version, name="plan-version"),
    path(V + "details/", views.plan_details, name="plan-details"),
    path(V + "goals/", views.plan_goals, name="plan-goals"),
    path(V + "goal-parts/", views.plan_goal_parts, name="plan-goal-parts"),
    path(V + "crisis/", views.plan_crisis, name="plan-crisis"),
    path(V + "crisis/contacts/", views.plan_crisis_contacts, name="plan-crisis-contacts"),
    path(V + "sign/", views.plan_sign_view, name="plan-sign"),
    path(V + "reopen/", views.plan_reopen_view, name="plan-reopen"),
    path(V + "my-plan.pdf", views.plan_pdf_view, name="plan-pdf"),
    path(V + "my-crisis-plan.pdf", views.crisis_plan_pdf_view, name="plan-crisis-pdf"),
]
