import datetime as dt

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from peerpath.access.models import AccessLogEntry
from tests.access.factories import StaffUserFactory, SupervisionFactory
from tests.factories import (
    AuthorizationFactory,
    CaseloadFactory,
    DiagnosisFactory,
    InterventionFactory,
    NoteFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-demo-passphrase"


def client_for(staff):
    staff.user.set_password(PASSWORD)
    staff.user.save()
    client = Client()
    client.force_login(staff.user)
    return client


@pytest.fixture
def site():
    intervention = InterventionFactory()
    person = intervention.goal.plan.person
    cpss = StaffUserFactory(role="cpss", agency=person.agency)
    CaseloadFactory(staff=cpss, person=person, start=dt.date(2020, 1, 1))
    DiagnosisFactory(person=person, code="F11.20", category="SUD", is_primary=False)
    AuthorizationFactory(person=person)
    NoteFactory(
        person=person,
        staff=cpss,
        goal=intervention.goal,
        intervention=intervention,
        response="Made two calls and felt proud.",
    )
    stranger = PersonFactory(agency=person.agency)
    return person, cpss, stranger


def test_peer_specialist_opens_a_person_on_their_caseload_and_it_is_logged_once(site):
    person, cpss, _ = site
    response = client_for(cpss).get(f"/people/{person.pk}/")
    assert response.status_code == 200
    assert b"I want to get my own apartment" in response.content
    assert b"42 CFR Part 2" in response.content
    entries = AccessLogEntry.objects.filter(person_id=person.pk, action="view")
    assert entries.count() == 1 and entries.get().username == cpss.user.username


def test_guessing_the_id_of_someone_else_finds_nothing_and_reveals_nothing(site):
    _, cpss, stranger = site
    response = client_for(cpss).get(f"/people/{stranger.pk}/")
    assert response.status_code == 404
    assert stranger.last_name.encode() not in response.content
    assert not AccessLogEntry.objects.filter(person_id=stranger.pk, action="view").exists()


def test_break_glass_asks_for_a_reason_then_opens_the_record_and_logs_why(site):
    _, cpss, stranger = site
    client = client_for(cpss)
    short = client.post(f"/people/{stranger.pk}/emergency-access/", {"reason": "need it"})
    assert short.status_code == 200 and b"usa-error-message" in short.content
    reason = "Person called the warm line in crisis; their peer is out sick today"
    opened = client.post(f"/people/{stranger.pk}/emergency-access/", {"reason": reason})
    assert opened.status_code == 302 and opened["Location"] == f"/people/{stranger.pk}/"
    assert AccessLogEntry.objects.get(person_id=stranger.pk, action="break_glass").reason == reason
    assert client.get(f"/people/{stranger.pk}/").status_code == 200


def test_billing_sees_the_chart_without_note_narratives(site):
    person, cpss, _ = site
    billing = StaffUserFactory(role="billing", agency=person.agency)
    response = client_for(billing).get(f"/people/{person.pk}/")
    assert response.status_code == 200
    assert b"Made two calls" not in response.content
    assert client_for(cpss).get(f"/people/{person.pk}/").content.count(b"Made two calls") == 1


@override_settings(PEERPATH_REQUIRE_2FA=False)  # the second factor is tested in tests/accounts
def test_supervisor_sees_who_opened_the_record_and_the_peer_does_not(site):
    person, cpss, _ = site
    qp = SupervisionFactory(
        staff=cpss, supervisor__agency=person.agency, start=dt.date(2020, 1, 1)
    ).supervisor
    client_for(cpss).get(f"/people/{person.pk}/")
    page = client_for(qp).get(f"/people/{person.pk}/")
    assert b"Who opened this record" in page.content
    assert cpss.user.username.encode() in page.content
    assert b"Who opened this record" not in client_for(cpss).get(f"/people/{person.pk}/").content


def test_um_reviewer_of_another_payer_cannot_open_the_chart(site):
    person, _, _ = site
    reviewer = StaffUserFactory(role="um_reviewer", agency=None, hire_date=None)
    assert client_for(reviewer).get(f"/people/{person.pk}/").status_code == 404


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_chart_and_list_issue_a_fixed_number_of_queries_whatever_the_size(site):
    person, cpss, _ = site
    client = client_for(cpss)
    client.get("/people/")  # the first request of a session does one-time work
    few_chart = _queries(client, f"/people/{person.pk}/")
    few_list = _queries(client, "/people/")
    for i in range(30):
        NoteFactory(person=person, staff=cpss, date=dt.date(2026, 4, 7) + dt.timedelta(i))
        other = PersonFactory(agency=person.agency)
        CaseloadFactory(staff=cpss, person=other, start=dt.date(2020, 1, 1))
    AuthorizationFactory(person=person, start=dt.date(2026, 9, 1), end=dt.date(2027, 2, 27))
    assert _queries(client, f"/people/{person.pk}/") == few_chart
    assert _queries(client, "/people/") == few_list
