"""The Django admin as a read path of people's information: logged once per request, for
administrators of the person's agency only; and error pages that echo nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.urls import path

import peerpath.urls
from peerpath.access.admin_mixins import PHIAdminMixin, PHIInlineMixin
from peerpath.access.models import AccessLogEntry
from peerpath.access.services import log_access
from peerpath.demo.generator import generate
from peerpath.people.models import FamilyRelationship, Person
from peerpath.staff.models import Evaluation, StaffMember
from tests.access.factories import StaffUserFactory
from tests.factories import GroupSessionFactory, PersonFactory, StaffFactory, UserFactory

PHI_MODELS = {
    "people.Person": "pk",
    "people.Episode": "person",
    "people.Discharge": "episode__person",
    "people.Diagnosis": "person",
    "people.Assessment": "person",
    "people.ServiceOrder": "person",
    "people.OtherService": "person",
    "people.ProgramEnrollment": "person",
    "people.FamilyRelationship": "person",
    "plans.Plan": "person",
    "plans.Goal": "plan__person",
    "staff.CaseloadAssignment": "person",
    "staff.SupervisorContact": "person",
    "staff.Evaluation": "person",
    "authorizations.Authorization": "person",
    "services.ServiceNote": "person",
    "services.GroupSession": None,
    "outcomes.Administration": "person",
}

pytestmark = pytest.mark.usefixtures("no_second_factor")


@pytest.fixture
def no_second_factor():
    with override_settings(PEERPATH_REQUIRE_2FA=False):
        yield


def admin_of(agency) -> Any:
    staff = StaffUserFactory(role="admin", agency=agency, credential="")
    staff.user.is_staff = True
    staff.user.save()
    return staff.user


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(label: str, *parts: object) -> str:
    app, model = label.lower().split(".")
    return "/".join([f"/admin/{app}/{model}", *(str(p) for p in parts)]) + "/"


def new_entries(since: int) -> list[AccessLogEntry]:
    return list(AccessLogEntry.objects.filter(id__gt=since).order_by("id"))


def last_id() -> int:
    last = AccessLogEntry.objects.order_by("-id").first()
    return last.id if last else 0


def form_data(response: HttpResponse) -> dict[str, Any]:
    """The admin change form of `response` as it would be posted back unchanged."""
    data: dict[str, Any] = {"_save": "Save"}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[management[name].html_name] = management[name].value()
        forms.extend(inline.formset.forms)
    for form in forms:
        for name in form.fields:
            bound = form[name]
            value = bound.value()
            if isinstance(value, bool):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(value, list):
                data[bound.html_name] = [str(v) for v in value]
            else:
                data[bound.html_name] = "" if value is None else str(value)
    return data


# ------------------------------------------------------------------ every PHI model, logged


@pytest.fixture
def demo(db):
    generate(seed=7, people=60)
    staff = StaffMember.objects.get(role="admin")
    person = Person.objects.order_by("pk").first()
    mhp = StaffMember.objects.filter(role__in=["mhp", "supervisor"]).first()
    FamilyRelationship.objects.create(person=person, staff=mhp, relationship="cousin")
    Evaluation.objects.create(evaluator=mhp, person=person, date=dt.date(2026, 6, 1))
    return staff.user


def test_every_phi_model_is_registered_with_the_mixin():
    for label in PHI_MODELS:
        model_admin = admin.site._registry[apps.get_model(label)]
        assert isinstance(model_admin, PHIAdminMixin), label
        assert model_admin.person_field == PHI_MODELS[label], label
        for inline in model_admin.inlines:
            assert issubclass(inline, PHIInlineMixin), (label, inline)


def test_each_phi_page_writes_exactly_one_entry_naming_record_and_person(demo):
    client = client_for(demo)
    for label, person_field in PHI_MODELS.items():
        model = apps.get_model(label)
        obj = model.objects.order_by("pk").first()
        assert obj is not None, label
        since = last_id()
        response = client.get(url(label, obj.pk, "change"))
        assert response.status_code == 200, label
        [entry] = new_entries(since)
        if person_field is None:
            want_person = None
        elif person_field == "pk":
            want_person = obj.pk
        else:
            want_person = model.objects.filter(pk=obj.pk).values_list(person_field, flat=True)[0]
        assert (entry.action, entry.record_type, entry.record_id, entry.person_id) == (
            "view",
            label,
            str(obj.pk),
            want_person,
        ), label
        assert entry.user_id == demo.pk

        since = last_id()
        response = client.get(url(label), {"q": "Smith"})
        assert response.status_code == 200, label
        [entry] = new_entries(since)
        assert (entry.action, entry.record_type, entry.record_id, entry.person_id) == (
            "search",
            label,
            "",
            None,
        ), label
        assert entry.reason == "list"


# ------------------------------------------------------------------ with small records


@pytest.fixture
def world(db):
    person = PersonFactory(first_name="Jordan", last_name="Whitfield")
    other = PersonFactory(first_name="Casey", last_name="Elsewhere")  # another agency
    return person, other, admin_of(person.agency)


def test_list_and_search_log_one_search_entry_without_the_terms(world):
    _person, _other, user = world
    client = client_for(user)
    since = last_id()
    response = client.get("/admin/people/person/", {"q": "Whitfield"})
    assert response.status_code == 200
    assert "Jordan" in response.content.decode()
    [entry] = new_entries(since)
    assert (entry.action, entry.record_id, entry.reason) == ("search", "", "list")
    logged = " ".join(str(v) for v in entry.hashed_fields().values())
    assert "Whitfield" not in logged


def test_search_by_medicaid_id_keeps_the_id_out_of_the_log(world):
    person, _other, user = world
    since = last_id()
    client_for(user).get("/admin/people/person/", {"q": person.medicaid_id})
    [entry] = new_entries(since)
    assert person.medicaid_id not in " ".join(str(v) for v in entry.hashed_fields().values())


def test_a_saved_change_is_one_change_entry_and_a_refused_one_a_view(world):
    person, _other, user = world
    client = client_for(user)
    page = client.get(f"/admin/people/person/{person.pk}/change/")
    data = form_data(page)

    since = last_id()
    data["medicaid_id"] = "12"  # not an NC Medicaid ID
    response = client.post(f"/admin/people/person/{person.pk}/change/", data)
    assert response.status_code == 200 and response.context["errors"]
    [entry] = new_entries(since)
    assert (entry.action, entry.person_id) == ("view", person.pk)

    since = last_id()
    data["medicaid_id"] = person.medicaid_id
    data["phone"] = "919-555-0199"
    response = client.post(f"/admin/people/person/{person.pk}/change/", data)
    assert response.status_code == 302
    [entry] = new_entries(since)
    assert (entry.action, entry.record_type, entry.record_id, entry.person_id) == (
        "change",
        "people.Person",
        str(person.pk),
        person.pk,
    )
    person.refresh_from_db()
    assert person.phone == "919-555-0199"


def test_history_page_is_a_view(world):
    person, _other, user = world
    since = last_id()
    assert client_for(user).get(f"/admin/people/person/{person.pk}/history/").status_code == 200
    [entry] = new_entries(since)
    assert (entry.action, entry.person_id) == ("view", person.pk)


def test_an_administrator_sees_only_their_agency(world):
    _person, other, user = world
    client = client_for(user)
    assert "/admin/people/person/" in client.get("/admin/").content.decode()
    listing = client.get("/admin/people/person/").content.decode()
    assert "Whitfield" in listing and "Elsewhere" not in listing
    since = last_id()
    response = client.get(f"/admin/people/person/{other.pk}/change/")
    assert response.status_code == 404
    assert new_entries(since) == []


def test_a_superuser_sees_every_agency(world):
    _person, other, _user = world
    root = UserFactory(is_staff=True, is_superuser=True)
    client = client_for(root)
    listing = client.get("/admin/people/person/").content.decode()
    assert "Whitfield" in listing and "Elsewhere" in listing
    assert client.get(f"/admin/people/person/{other.pk}/change/").status_code == 200


@pytest.mark.parametrize("role", ["cpss", "supervisor", "mhp", "billing", "auditor"])
def test_other_staff_users_get_no_phi_admin(world, role):
    person, _other, _user = world
    staff = StaffUserFactory(role=role, agency=person.agency, credential="QP")
    staff.user.is_staff = True
    staff.user.save()
    client = client_for(staff.user)
    request = RequestFactory().get("/admin/")
    request.user = staff.user
    since = last_id()
    for label in PHI_MODELS:
        model_admin = admin.site._registry[apps.get_model(label)]
        assert not model_admin.has_view_permission(request), label
        assert not model_admin.has_change_permission(request), label
        assert not model_admin.has_add_permission(request), label
        assert not model_admin.has_delete_permission(request), label
        assert not model_admin.get_queryset(request).exists(), label
        assert client.get(url(label)).status_code == 403, label
    assert client.get(f"/admin/people/person/{person.pk}/change/").status_code in (403, 404)
    index = client.get("/admin/").content.decode()
    assert "/admin/people/person/" not in index
    assert new_entries(since) == []


def test_an_administrator_whose_employment_ended_gets_none(world):
    _person, _other, user = world
    user.staff.end_date = dt.date(2020, 1, 1)
    user.staff.save()
    assert client_for(user).get("/admin/people/person/").status_code == 403


def test_administrators_may_not_delete_without_the_django_permission(world):
    person, _other, user = world
    request = RequestFactory().get("/admin/")
    request.user = user
    model_admin = admin.site._registry[Person]
    assert model_admin.has_view_permission(request) and model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request, person)
    request.user = UserFactory(is_staff=True, is_superuser=True)
    assert model_admin.has_delete_permission(request, person)


def test_choices_of_people_come_from_the_administrators_agency(world):
    person, other, user = world
    session = GroupSessionFactory(agency=person.agency)
    session.facilitators.add(StaffFactory(agency=person.agency))
    client = client_for(user)
    page = client.get(f"/admin/services/groupsession/{session.pk}/change/")
    data = form_data(page)
    data.update(
        {
            "groupattendance_set-TOTAL_FORMS": "1",
            "groupattendance_set-0-person": str(other.pk),
            "groupattendance_set-0-session": str(session.pk),
        }
    )
    response = client.post(f"/admin/services/groupsession/{session.pk}/change/", data)
    assert response.status_code == 200  # refused: that person is not of this agency
    [errors] = [e for e in response.context["inline_admin_formsets"][0].formset.errors if e]
    assert list(errors) == ["person"]
    assert not session.attendees.exists()

    data["groupattendance_set-0-person"] = str(person.pk)
    response = client.post(f"/admin/services/groupsession/{session.pk}/change/", data)
    assert response.status_code == 302
    assert list(session.attendees.all()) == [person]


def test_person_page_shows_the_access_history_escaped(world):
    person, _other, user = world
    log_access(
        user=user,
        action="export",
        record_type="people.Person",
        record_id=person.pk,
        person_id=person.pk,
        reason="<script>alert(1)</script> monthly report",
    )
    content = client_for(user).get(f"/admin/people/person/{person.pk}/change/").content.decode()
    assert "Who accessed this record" in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt; monthly report" in content
    assert "<script>alert(1)" not in content
    assert "Exported" in content and "Viewed" in content  # this very request is listed too


def test_access_history_shows_the_last_fifty(world):
    person, _other, user = world
    for _ in range(60):
        log_access(user=user, action="view", record_type="x.Y", record_id=1, person_id=person.pk)
    model_admin = admin.site._registry[Person]
    table = model_admin.access_history(person)
    assert table.count("<tr>") == 51  # header and fifty rows


# ------------------------------------------------------------------ error pages


def boom(request: HttpRequest, person_id: int) -> HttpResponse:
    raise RuntimeError(f"person {person_id} 123456789Z broke")


urlpatterns = [path("boom/<int:person_id>/", boom), *peerpath.urls.urlpatterns]


@override_settings(DEBUG=False)
def test_404_pages_echo_no_ids(world):
    _person, other, user = world
    for client in (Client(), client_for(user)):
        for missing in (
            "/admin/people/person/999999/change/",
            f"/admin/people/person/{other.pk}/change/",
            "/no/such/page/424242/",
            "/people/738291/nothing-here/",
        ):
            response = client.get(missing)
            if response.status_code == 302:  # not signed in: the admin asks to sign in
                continue
            assert response.status_code == 404, missing
            body = response.content.decode()
            assert "find that page" in body
            for part in missing.strip("/").split("/"):
                if part.isdigit() and len(part) >= 4:
                    assert part not in body, (missing, part)
            assert missing not in body


@override_settings(DEBUG=False)
def test_403_page_says_plainly_and_echoes_nothing(world):
    person, _other, _user = world
    staff = StaffUserFactory(role="billing", agency=person.agency)
    staff.user.is_staff = True
    staff.user.save()
    response = client_for(staff.user).get("/admin/people/person/", {"q": "Whitfield"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "isn't available to you" in body
    assert "Whitfield" not in body and "/admin/people" not in body


@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_500_page_says_plainly_and_echoes_nothing(world):
    person, _other, user = world
    client = client_for(user)
    client.raise_request_exception = False
    response = client.get(f"/boom/{person.pk}/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body
    for leak in ("123456789Z", "RuntimeError", "broke", f"/boom/{person.pk}"):
        assert leak not in body
