"""The chart: the person banner on every page about the person (from the policy engine's
answers), past notes opened and printed from the chart, writing a note and starting a group
from it, and switching people from the header's search, scoped and logged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peerpath.access.models import AccessLogEntry
from peerpath.consent.models import Consent
from peerpath.policy.api import authorization_units, pack_in_force
from peerpath.schedule.models import Appointment
from tests.access.factories import StaffUserFactory
from tests.factories import (
    AuthorizationFactory,
    CaseloadFactory,
    CrisisPlanFactory,
    DiagnosisFactory,
    InterventionFactory,
    NoteFactory,
    PersonFactory,
)
from tests.people.test_views import client_for

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


@pytest.fixture
def world():
    today = timezone.localdate()
    intervention = InterventionFactory(
        goal__plan__start=today - 60 * DAY, goal__plan__review_due=today - 3 * DAY
    )
    person = intervention.goal.plan.person
    person.pronouns = "she/her"
    person.preferred_name = "Robin"
    person.save()
    cpss = StaffUserFactory(role="cpss", agency=person.agency)
    CaseloadFactory(staff=cpss, person=person, start=dt.date(2020, 1, 1))
    DiagnosisFactory(person=person, code="F11.20", category="SUD", is_primary=False)
    auth = AuthorizationFactory(
        person=person, start=today - 30 * DAY, end=today + 10 * DAY, units_approved=40
    )
    note = NoteFactory(
        person=person,
        staff=cpss,
        date=today - 2 * DAY,
        goal=intervention.goal,
        intervention=intervention,
        response="Made two calls and felt proud.",
        status="signed",
        signed_by=cpss,
        signed_at=timezone.now(),
    )
    return person, cpss, auth, note


def test_the_banner_says_who_and_what_needs_care_from_the_engines_answers(world):
    person, cpss, auth, note = world
    today = timezone.localdate()
    client = client_for(cpss)
    page = client.get(f"/people/{person.pk}/").content.decode()
    banner = page[page.index('class="pp-banner"') : page.index("</section>")]
    assert "Robin" in banner and "(she/her)" in banner
    assert f"age {person.age_on(today)}" in banner and person.medicaid_id in banner
    assert person.payer.name in banner
    pack = pack_in_force(person.pk, today)
    assert pack is not None and f"policy {pack.id}" in banner
    left = authorization_units([auth.pk], on=today)[auth.pk].left
    assert f"{left} (authorized to" in banner  # units left, as the engine counts them
    assert "review by" in banner and "overdue" in banner
    assert "Part 2: no consent on file" in banner  # an SUD diagnosis, no consent
    assert "Authorization ends in 10 days" in banner and "No crisis plan yet" in banner
    # The same banner heads the other pages about the person, and a note's page.
    for url in (
        f"/people/{person.pk}/notes/new/",
        f"/notes/{note.pk}/",
        f"/people/{person.pk}/plan/",
    ):
        other = client.get(url)
        assert other.status_code == 200, url
        assert 'class="pp-banner"' in other.content.decode(), url


def test_the_banner_follows_consents_and_missed_appointments(world):
    person, cpss, _, _ = world
    today = timezone.localdate()
    CrisisPlanFactory(plan=person.plans.get())
    Consent.objects.create(
        person=person,
        recipient_payer=person.payer,
        purposes=["payment"],
        effective=today - 100 * DAY,
        signed_on=today - 100 * DAY,
    )
    for days in (3, 5):
        Appointment.objects.create(
            agency=person.agency, staff=cpss, person=person, date=today - days * DAY,
            start_time=dt.time(10), end_time=dt.time(11), status="no_show",
        )  # fmt: skip
    page = client_for(cpss).get(f"/people/{person.pk}/").content.decode()
    assert f"Part 2 consent: {person.payer.name} (payment)" in page
    assert "No crisis plan yet" not in page
    assert "2 missed or cancelled appointments in 30 days" in page
    assert "2 no-shows" in page  # and counted on the chart


@override_settings(PEERPATH_REQUIRE_2FA=False)
def test_payer_staff_see_no_substance_use_flags_and_strangers_no_banner(world):
    person, _, _, _ = world
    reviewer = StaffUserFactory(role="um_reviewer", agency=None, payer=person.payer, hire_date=None)
    AuthorizationFactory(person=person, status="requested", units_approved=None, decided_at=None)
    page = client_for(reviewer).get(f"/people/{person.pk}/").content.decode()
    assert 'class="pp-banner"' in page and "Part 2" not in page.split("</section>")[0]
    stranger = StaffUserFactory(role="cpss", agency=person.agency)
    page = client_for(stranger).get(f"/people/{person.pk}/")
    assert page.status_code == 404 and b"pp-banner" not in page.content


def test_past_notes_open_and_print_from_the_chart_and_the_chart_starts_work(world):
    person, cpss, _, note = world
    client = client_for(cpss)
    page = client.get(f"/people/{person.pk}/").content.decode()
    assert f'href="/notes/{note.pk}/"' in page and f'href="/notes/{note.pk}/print/"' in page
    assert f"/people/{person.pk}/notes/new/" in page and "Write a note" in page
    assert 'href="/groups/new/"' in page and "Start a group" in page
    assert f"/schedule/new/?person={person.pk}" in page
    pdf = client.get(f"/notes/{note.pk}/print/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert AccessLogEntry.objects.filter(
        action="print", record_type="services.ServiceNote", record_id=str(note.pk)
    ).exists()
    billing = StaffUserFactory(role="billing", agency=person.agency)
    page = client_for(billing).get(f"/people/{person.pk}/").content.decode()
    assert "Write a note" not in page and "Start a group" not in page
    stranger = StaffUserFactory(role="cpss", agency=person.agency)
    assert client_for(stranger).get(f"/notes/{note.pk}/print/").status_code == 404


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_chart_with_its_banner_in_a_fixed_number_of_queries(world):
    person, cpss, _, _ = world
    today = timezone.localdate()
    client = client_for(cpss)
    client.get("/people/")  # the first request of a session does one-time work
    few = _queries(client, f"/people/{person.pk}/")
    for i in range(25):
        NoteFactory(person=person, staff=cpss, date=today - (i + 3) * DAY)
        Appointment.objects.create(
            agency=person.agency, staff=cpss, person=person, date=today + (i - 5) * DAY,
            start_time=dt.time(9), end_time=dt.time(10),
            status="scheduled" if i >= 5 else "cancelled", reason="moved",
        )  # fmt: skip
    DiagnosisFactory(person=person)
    AuthorizationFactory(person=person, start=today + 11 * DAY, end=today + 190 * DAY)
    assert _queries(client, f"/people/{person.pk}/") == few


def test_switching_people_from_the_header_search_is_scoped_and_logged(world):
    person, cpss, _, _ = world
    CaseloadFactory(staff=cpss, person=PersonFactory(agency=person.agency, last_name="Quist"))
    not_mine = PersonFactory(agency=person.agency, last_name="Quintero")
    client = client_for(cpss)
    home = client.get("/day/").content.decode()
    assert 'id="pp-switch-q"' in home and 'hx-get="/people/switch/"' in home
    found = client.get("/people/switch/", {"q": "qui"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Quist" in found and "Quintero" not in found  # only one's own caseload
    by_id = client.get(
        "/people/switch/", {"q": person.medicaid_id[:6]}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert f"/people/{person.pk}/" in by_id
    assert AccessLogEntry.objects.filter(action="search", reason="switch person").count() == 2
    nothing = client.get("/people/switch/", {"q": "zzzz"}, HTTP_HX_REQUEST="true")
    assert b"No one you may see matches" in nothing.content
    assert not_mine.last_name not in nothing.content.decode()
    plain = client.get("/people/switch/", {"q": "qui"})  # without JavaScript: the list
    assert plain.status_code == 302 and plain["Location"] == "/people/?q=qui"
