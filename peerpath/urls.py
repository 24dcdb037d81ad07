from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path


def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


admin.site.site_header = "PeerPath administration"
admin.site.site_title = "PeerPath"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health", health, name="health"),
    path("", home, name="home"),
]
