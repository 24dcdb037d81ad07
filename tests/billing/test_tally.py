"""The billing screen's counts kept per agency (LineTally): after each kind of write they
equal a fresh count; the screen shows them to staff who see the whole agency, in a fixed
number of queries and without counting the lines; anyone else gets a fresh count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from peerpath.access.scope import people_visible_to, whole_agency_of
from peerpath.billing.denials import denial_resubmit
from peerpath.billing.models import ClaimLine, LinePayment, LineStatus, LineTally
from peerpath.billing.remittance import post_remittance
from peerpath.billing.selectors import held_groups, status_counts
from peerpath.billing.services import batch_create, line_release, lines_release, lines_scrub
from peerpath.billing.tally import tallied
from peerpath.billing.x12.remit import format_835
from peerpath.billing.x12.remit_builder import LineOutcome, remittance_from_837
from peerpath.people.models import Person
from tests.access.factories import StaffUserFactory
from tests.billing.conftest import TODAY, billing_agency, contract, ready_person
from tests.billing.test_reversals import reversal_of, second_file
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

NOT_COVERED = "NOTE.NOT_COVERED_ACTIVITY"


def assert_fresh(agency) -> None:
    """The agency's tally is what counting its lines now gives."""
    people = Person.objects.filter(agency=agency)
    fresh = (status_counts(people, outsider=False), held_groups(people, outsider=False))
    assert tallied(agency.pk) == fresh


def test_the_counts_stay_a_fresh_count_after_every_kind_of_write(world):
    agency, payer = world
    biller = StaffUserFactory(role="billing", agency=agency, credential="").user
    people = [ready_person(agency, payer) for _ in range(3)]
    for r in people:
        r.note()
    held = [
        people[0].note(date=dt.date(2026, 4, 7), activity="transportation"),
        people[1].note(date=dt.date(2026, 4, 7), activity="transportation"),
    ]
    assert tallied(agency.pk) is None  # nothing counted before the first scrub

    lines_scrub(actor=biller, agency=agency, today=TODAY)
    assert_fresh(agency)
    counts, groups = tallied(agency.pk)
    assert (counts["ready"], counts["held"]) == (3, 2)
    assert [(g.rule_id, g.lines) for g in groups] == [(NOT_COVERED, 2)]

    # A release without a fix holds the line again (a fresh hold); then both by reason.
    line_release(
        actor=biller, line=ClaimLine.objects.get(note=held[0]), note="Checked the activity"
    )
    assert_fresh(agency)
    ids = list(ClaimLine.objects.filter(status=LineStatus.HELD).values_list("pk", flat=True))
    lines_release(
        actor=biller, agency=agency, line_ids=ids, note="Asked again", rule_id=NOT_COVERED
    )
    assert_fresh(agency)

    batch = batch_create(actor=biller, agency=agency, payer=payer, today=TODAY)
    assert batch is not None
    assert_fresh(agency)
    assert tallied(agency.pk)[0]["submitted"] == 3

    pcn = sorted(batch.claims.values_list("patient_control_number", flat=True))
    first = remittance_from_837(
        batch.file_text,
        {pcn[0]: LineOutcome.deny("16"), pcn[1]: LineOutcome.pay(), pcn[2]: None},
    )
    post_remittance(actor=biller, text=format_835(first), agency=agency)
    assert_fresh(agency)
    assert (tallied(agency.pk)[0]["denied"], tallied(agency.pk)[0]["paid"]) == (1, 1)

    # The payer takes its payment back: the line is submitted again.
    paid = next(c for c in first.claims if c.patient_control_number == pcn[1])
    post_remittance(
        actor=biller, text=second_file(first, (reversal_of(paid),), "RECOUP1"), agency=agency
    )
    assert_fresh(agency)
    assert tallied(agency.pk)[0]["paid"] == 0

    # The denied claim is voided (a correction: new current lines, the old ones not).
    refusal = LinePayment.objects.get(outcome="denied")
    denial_resubmit(actor=biller, refusal=refusal, frequency="8", note="Billed in error")
    assert_fresh(agency)
    assert tallied(agency.pk)[0]["void"] == 1

    # Another agency's scrub leaves this agency's counts as they are, and counts its own.
    other = billing_agency()
    contract(other, payer)
    ready_person(other, payer).note()
    before = tallied(agency.pk)
    lines_scrub(actor=None, agency=other, today=TODAY)
    assert tallied(agency.pk) == before
    assert_fresh(other)
    assert tallied(other.pk)[0]["ready"] == 1


@pytest.fixture
def no_second_factor():
    with override_settings(PEERPATH_REQUIRE_2FA=False):
        yield


def _get(user, url):
    client = Client()
    client.force_login(user)
    client.get(url)  # the first request of a session does one-time work
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return response, [q["sql"] for q in ctx.captured_queries]


@pytest.mark.usefixtures("no_second_factor")
def test_the_screen_reads_the_counts_for_the_whole_agency_and_counts_for_anyone_else(world):
    agency, payer = world
    r = ready_person(agency, payer)
    r.note()
    r.note(date=dt.date(2026, 4, 7), activity="transportation")
    lines_scrub(actor=None, agency=agency, today=TODAY)
    biller = StaffUserFactory(role="billing", agency=agency, credential="").user
    payer_auditor = StaffUserFactory(role="auditor", agency=None, payer=payer).user

    response, queries = _get(biller, "/billing/")
    assert response.context["counts"]["held"] == 1
    assert [g.lines for g in response.context["groups"]] == [1]
    # Neither the counts by status nor the held lines by reason are counted over the lines.
    assert not [q for q in queries if "COUNT(" in q.upper()]
    few = len(queries)
    response, queries = _get(biller, f"/billing/?status=held&rule={NOT_COVERED}")
    assert response.context["page"].paginator.count == 1
    assert not [q for q in queries if "COUNT(" in q.upper()]

    # The screen shows the tally as kept (here altered by hand, to tell it from a count).
    LineTally.objects.filter(pk=agency.pk).update(by_status={"held": 7, "ready": 1})
    response, queries = _get(biller, "/billing/")
    assert response.context["counts"]["held"] == 7 and len(queries) == few
    # A payer's auditor sees the payer's members, not an agency: counted, as before.
    response, queries = _get(payer_auditor, "/billing/")
    assert response.context["counts"]["held"] == 1
    assert [q for q in queries if "COUNT(" in q.upper()]


def test_whole_agency_of_names_an_agency_only_when_the_user_sees_exactly_its_people(world):
    agency, payer = world
    for _ in range(2):
        PersonFactory(agency=agency, payer=payer)
    PersonFactory(payer=payer)  # another agency's
    everyone = set(Person.objects.filter(agency=agency))
    whole = [
        StaffUserFactory(role=role, agency=agency, credential="").user
        for role in ("billing", "auditor", "admin")
    ]
    for user in whole:
        assert whole_agency_of(user) == agency.pk
        assert set(people_visible_to(user)) == everyone
    ended = StaffUserFactory(
        role="billing", agency=agency, credential="", end_date=dt.date(2020, 1, 1)
    )
    others = [
        ended.user,
        StaffUserFactory(role="cpss", agency=agency).user,
        StaffUserFactory(role="supervisor", agency=agency, credential="QP").user,
        StaffUserFactory(role="auditor", agency=None, payer=payer).user,
    ]
    for user in others:
        assert whole_agency_of(user) is None


@pytest.mark.usefixtures("no_second_factor")
def test_an_edit_in_the_admin_counts_the_agency_afresh(world):
    from tests.access.test_admin_phi import admin_of, client_for, form_data

    agency, payer = world
    r = ready_person(agency, payer)
    r.note(activity="transportation")
    lines_scrub(actor=None, agency=agency, today=TODAY)
    assert tallied(agency.pk)[0]["held"] == 1
    line = ClaimLine.objects.get()
    client = client_for(admin_of(agency))
    url = f"/admin/billing/claimline/{line.pk}/change/"
    data = form_data(client.get(url))
    data.update(status=LineStatus.VOID, created_at_0="2026-05-01", created_at_1="09:00:00")
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert_fresh(agency)
    assert (tallied(agency.pk)[0]["held"], tallied(agency.pk)[0]["void"]) == (0, 1)
