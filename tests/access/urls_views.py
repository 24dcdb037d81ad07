"""Declared views, to check that declarations are enforced."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path

from peerpath.access.permissions import declare
from peerpath.access.services import logged_person_read
from peerpath.people.models import Person
from peerpath.urls import urlpatterns as project_urls


@declare("write_note", person_param="person_id")
def person_page(request: HttpRequest, person_id: int) -> HttpResponse:
    person = get_object_or_404(Person, pk=person_id)
    logged_person_read(request, person, "people.Person")
    logged_person_read(request, person, "people.Person")  # a second call logs nothing more
    return HttpResponse(person.display_name)


@declare("export_records")
def audit_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("audit")


@declare("authenticated")
def my_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("mine")


@declare(roles={"um_reviewer"})  # the old way: still enforced, but the tests refuse it
def old_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("old")


urlpatterns = [
    *project_urls,
    path("t/people/<int:person_id>/", person_page, name="t-person"),
    path("t/audit/", audit_page, name="t-audit"),
    path("t/me/", my_page, name="t-me"),
    path("t/old/", old_page, name="t-old"),
]
