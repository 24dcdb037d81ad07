from django.urls import path

from . import views

urlpatterns = [
    path("signin/", views.SignInView.as_view(), name="signin"),
    path("signin/verify/", views.verify, name="signin-verify"),
    path("signin/setup/", views.setup, name="signin-setup"),
    path("signout/", views.signout, name="signout"),
]
