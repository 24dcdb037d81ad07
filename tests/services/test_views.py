"""The peer specialist's day and the note that checks itself, through the browser."""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peerpath.access.models import AccessLogEntry
from peerpath.people.models import OtherService
from peerpath.services.models import ServiceNote
from tests.access.factories import StaffUserFactory, SupervisionFactory
from tests.factories import (
    AssessmentFactory,
    AuthorizationFactory,
    CaseloadFactory,
    CertificationFactory,
    CrisisPlanFactory,
    DiagnosisFactory,
    InterventionFactory,
    NoteFactory,
    PersonFactory,
    PlanFactory,
    ServiceOrderFactory,
)

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 4, 6)  # inside the factories' plan and authorization spans


def ready_person():
    """A person with everything a clean note needs under NC 8G, on the caseload of a peer
    specialist who can sign in (as tests/policy/test_checks.py builds it)."""
    intervention = InterventionFactory()
    plan = intervention.goal.plan
    person = plan.person
    CrisisPlanFactory(plan=plan)
    DiagnosisFactory(person=person)
    AssessmentFactory(person=person)
    ServiceOrderFactory(person=person)
    AuthorizationFactory(person=person)
    cpss = StaffUserFactory(role="cpss", agency=person.agency)
    CaseloadFactory(person=person, staff=cpss)
    CertificationFactory(staff=cpss)
    return person, cpss, intervention


def client_for(staff):
    client = Client()
    client.force_login(staff.user)
    return client


def note_post(intervention, **changes):
    """What a peer specialist fills in: the plan step, times and the four narrative parts
    (the date, modality and setting are left as the form offers them, except the date here,
    which is fixed for the tests)."""
    data = {
        "intervention": intervention.pk,
        "date": DAY.isoformat(),
        "start_time": "10:00",
        "end_time": "10:45",
        "modality": "in_person",
        "setting": "home",
        "intervention_text": "We practiced what to say when calling a landlord.",
        "purpose": "Calling landlords is the next step to her own apartment.",
        "response": '"I was nervous but I did it," she said after two calls.',
        "next_steps": "Visit the apartment on Elm Street together on Friday.",
    }
    data.update(changes)
    return data


# ---- the day --------------------------------------------------------------------------------


def _busy_person(cpss, today, n=0):
    """Someone on the caseload whose authorization ends soon, with no crisis plan, plus an
    old draft about them."""
    person = PersonFactory(agency=cpss.agency)
    CaseloadFactory(person=person, staff=cpss, start=dt.date(2020, 1, 1))
    PlanFactory(person=person, start=today - dt.timedelta(days=200), review_due=today)
    AuthorizationFactory(
        person=person,
        start=today - dt.timedelta(days=170),
        end=today + dt.timedelta(days=5),
        units_approved=10,
    )
    NoteFactory(
        person=person,
        staff=cpss,
        date=today - dt.timedelta(days=3),
        status="signed",
        signed_by=cpss,
        signed_at=timezone.now(),
    )
    NoteFactory(person=person, staff=cpss, date=today - dt.timedelta(days=4 + n))
    return person


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_day_shows_caseload_needs_and_old_drafts_in_a_fixed_number_of_queries():
    person, cpss, _ = ready_person()
    today = timezone.localdate()
    busy = _busy_person(cpss, today)
    client = client_for(cpss)
    assert client.get("/").url == "/day/"  # a peer specialist's home is their day
    client.get("/day/")  # the first page of a session does one-time work
    few, response = _queries(client, "/day/")
    page = response.content.decode()
    assert person.display_name in page and busy.display_name in page
    assert "Authorization ends in 5 days" in page
    assert "7 units left" in page  # 10 approved; the signed 45 minutes used 3
    assert "Plan review due" in page and "No crisis plan yet" in page
    assert "pp-card--stale" in page and "Finish and sign" in page
    assert f"/people/{busy.pk}/notes/new/" in page and f"/people/{busy.pk}/" in page
    for i in range(15):
        _busy_person(cpss, today, n=i)
    more, response = _queries(client, "/day/")
    assert more == few
    assert response.content.decode().count("Write a note") == 17


@override_settings(PEERPATH_REQUIRE_2FA=False)  # the second factor is tested in tests/accounts
def test_supervisor_sees_a_team_members_day_but_not_someone_elses():
    person, cpss, _ = ready_person()
    qp = SupervisionFactory(staff=cpss, supervisor__agency=person.agency).supervisor
    stranger = StaffUserFactory(role="cpss", agency=person.agency)
    client = client_for(qp)
    page = client.get(f"/day/?staff={cpss.pk}")
    assert page.status_code == 200 and person.display_name in page.content.decode()
    assert "Write a note" not in page.content.decode()
    assert client.get(f"/day/?staff={stranger.pk}").status_code == 404


# ---- writing and signing ------------------------------------------------------------------


def test_peer_writes_and_signs_a_compliant_note_in_ten_fields_or_fewer():
    person, cpss, intervention = ready_person()
    client = client_for(cpss)
    form = client.get(f"/people/{person.pk}/notes/new/")
    assert form.status_code == 200
    assert b"I want to get my own apartment" in form.content  # the goal, in their words
    assert b"What did you do together?" in form.content
    data = note_post(intervention)
    check = client.post(f"/people/{person.pk}/notes/check/", data)
    assert b"Nothing in this note would stop it being paid" in check.content
    data["action"] = "sign"
    assert len(data) <= 10 + 1  # ten fields, and the one button
    response = client.post(f"/people/{person.pk}/notes/new/", data)
    note = ServiceNote.objects.get(person=person)
    assert response.status_code == 302 and response["Location"] == f"/notes/{note.pk}/"
    assert note.status == "signed" and note.signed_by == cpss and note.goal == intervention.goal
    page = client.get(f"/notes/{note.pk}/")
    assert b"I was nervous but I did it" in page.content and b"Amend" in page.content
    assert (
        AccessLogEntry.objects.filter(
            record_type="services.ServiceNote", record_id=str(note.pk), action="view"
        ).count()
        == 1
    )


def test_save_draft_then_finish_and_sign_it():
    person, cpss, intervention = ready_person()
    client = client_for(cpss)
    client.post(
        f"/people/{person.pk}/notes/new/", note_post(intervention, response="", action="save")
    )
    note = ServiceNote.objects.get(person=person)
    assert note.status == "draft"
    refused = client.post(
        f"/notes/{note.pk}/edit/", note_post(intervention, response="", action="sign")
    )
    assert refused.status_code == 200 and b"Needed before signing" in refused.content
    signed = client.post(f"/notes/{note.pk}/edit/", note_post(intervention, action="sign"))
    assert signed.status_code == 302
    note.refresh_from_db()
    assert note.status == "signed"


def test_check_shows_the_overlap_with_another_service_and_its_citation():
    person, cpss, intervention = ready_person()
    OtherService.objects.create(
        person=person,
        category="THERAPY",
        date=DAY,
        start_time=dt.time(10, 30),
        end_time=dt.time(11, 30),
    )
    response = client_for(cpss).post(f"/people/{person.pk}/notes/check/", note_post(intervention))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-rule="CONCURRENCY.OTHER_SERVICE"' in page and "usa-alert--error" in page
    assert "THERAPY" in page and "<dt>Source</dt>" in page
    assert "Nothing in this note would stop it being paid" not in page
    assert not ServiceNote.objects.exists()


def test_a_signed_note_cannot_be_edited_by_posting_to_it():
    person, cpss, intervention = ready_person()
    client = client_for(cpss)
    client.post(f"/people/{person.pk}/notes/new/", note_post(intervention, action="sign"))
    note = ServiceNote.objects.get(person=person)
    before = note.response
    response = client.post(
        f"/notes/{note.pk}/edit/", note_post(intervention, response="Changed later", action="sign")
    )
    assert response.status_code == 403
    note.refresh_from_db()
    assert note.response == before and note.status == "signed"
    assert ServiceNote.objects.count() == 1


def test_amend_with_a_reason_and_the_original_is_amended_once_the_amendment_is_signed():
    person, cpss, intervention = ready_person()
    client = client_for(cpss)
    client.post(f"/people/{person.pk}/notes/new/", note_post(intervention, action="sign"))
    original = ServiceNote.objects.get(person=person)
    no_reason = client.post(f"/notes/{original.pk}/amend/", {"reason": ""})
    assert no_reason.status_code == 200 and b"usa-error-message" in no_reason.content
    assert ServiceNote.objects.count() == 1
    started = client.post(
        f"/notes/{original.pk}/amend/", {"reason": "Wrong end time: we met 45 minutes"}
    )
    amendment = ServiceNote.objects.get(amends=original)
    assert started["Location"] == f"/notes/{amendment.pk}/edit/"
    assert client.get(started["Location"]).status_code == 200
    client.post(
        f"/notes/{amendment.pk}/edit/", note_post(intervention, end_time="10:40", action="sign")
    )
    original.refresh_from_db()
    amendment.refresh_from_db()
    assert amendment.status == "signed" and amendment.end_time == dt.time(10, 40)
    assert original.status == "amended" and original.end_time == dt.time(10, 45)


def test_peer_cannot_open_or_write_notes_for_someone_off_their_caseload():
    _person, cpss, _intervention = ready_person()
    other, other_cpss, other_intervention = ready_person()
    theirs = NoteFactory(person=other, staff=other_cpss, date=DAY)
    client = client_for(cpss)
    assert client.get(f"/people/{other.pk}/notes/new/").status_code == 404
    assert (
        client.post(
            f"/people/{other.pk}/notes/new/", note_post(other_intervention, action="save")
        ).status_code
        == 404
    )
    assert (
        client.post(f"/people/{other.pk}/notes/check/", note_post(other_intervention)).status_code
        == 404
    )
    assert client.get(f"/notes/{theirs.pk}/").status_code == 404
    assert (
        client.post(f"/notes/{theirs.pk}/edit/", note_post(other_intervention)).status_code == 404
    )
    assert ServiceNote.objects.count() == 1


def test_bad_input_names_the_field_and_writes_nothing():
    person, cpss, intervention = ready_person()
    client = client_for(cpss)
    data = note_post(intervention, start_time="11:00", end_time="10:00", action="sign")
    del data["intervention"]
    response = client.post(f"/people/{person.pk}/notes/new/", data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was saved" in page
    assert "End time</a>: The end time must be after the start time." in page
    assert "Which goal, and what you did for it</a>: Choose the goal" in page
    assert not ServiceNote.objects.exists()
