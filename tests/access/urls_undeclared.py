"""The project's URLs plus one view nobody declared."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from peerpath.urls import urlpatterns as project_urls


def forgotten(request: HttpRequest) -> HttpResponse:
    return HttpResponse("who may see this?")


urlpatterns = [*project_urls, path("forgotten/<int:person_id>/", forgotten, name="forgotten")]
