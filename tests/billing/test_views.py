"""The billing screen: who sees what, held reasons with citation and fix, release, claim
files, and a fixed number of queries whatever the number of lines."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from peerpath.access.models import AccessLogEntry
from peerpath.billing.models import ClaimBatch, ClaimLine, LineStatus
from peerpath.billing.services import lines_scrub
from tests.access.factories import StaffUserFactory
from tests.billing.conftest import TODAY, ready_person
from tests.factories import DiagnosisFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_second_factor")]


@pytest.fixture
def no_second_factor():
    with override_settings(PEERPATH_REQUIRE_2FA=False):
        yield


def client_for(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


@pytest.fixture
def scrubbed(world):
    agency, payer = world
    r = ready_person(agency, payer)
    ok = r.note()
    held = r.note(date=dt.date(2026, 4, 7), activity="transportation")
    lines_scrub(actor=None, agency=agency, today=TODAY)
    biller = StaffUserFactory(role="billing", agency=agency, credential="")
    return agency, payer, r, ok, held, biller


def test_billing_staff_see_held_reasons_with_citation_and_fix(scrubbed):
    _agency, _payer, _r, ok, held, biller = scrubbed
    response = client_for(biller).get("/billing/?status=held")
    assert response.status_code == 200
    page = response.content.decode()
    assert "NOTE.NOT_COVERED_ACTIVITY" in page and "activity transportation" in page
    assert "How to fix it" in page and "Source:" in page
    assert "Release and scrub again" in page
    assert [x.note for x in response.context["page"]] == [held]
    everything = client_for(biller).get("/billing/").context["page"]
    assert {x.note for x in everything} == {ok, held}


def test_auditors_read_but_do_not_release_and_peers_do_not_see_billing(scrubbed):
    agency, _, _r, _, held, _ = scrubbed
    auditor = StaffUserFactory(role="auditor", agency=agency, credential="")
    client = client_for(auditor)
    page = client.get("/billing/?status=held").content.decode()
    assert "NOT_COVERED_ACTIVITY" in page and "Release and scrub again" not in page
    line = ClaimLine.objects.get(note=held)
    assert client.post(f"/billing/lines/{line.pk}/release/", {"note": "x"}).status_code == 403
    peer = StaffUserFactory(role="cpss", agency=agency)
    assert client_for(peer).get("/billing/").status_code == 403


def test_release_scrubs_again_and_says_so(scrubbed):
    _, _, r, _, _, biller = scrubbed
    r.cpss.npi = ""
    r.cpss.save()
    note = r.note(date=dt.date(2026, 4, 8))
    lines_scrub(actor=None, agency=r.person.agency, today=TODAY)
    line = ClaimLine.objects.get(note=note)
    assert line.status == LineStatus.HELD
    r.cpss.npi = "1234567893"
    r.cpss.save()
    client = client_for(biller)
    response = client.post(f"/billing/lines/{line.pk}/release/", {"note": "NPI added"})
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.status == LineStatus.READY
    assert line.holds.get().released_by == biller.user


def test_a_line_of_another_agency_cannot_be_released(scrubbed):
    _, _, _, _, held, _ = scrubbed
    stranger = StaffUserFactory(role="billing")  # another agency
    line = ClaimLine.objects.get(note=held)
    response = client_for(stranger).post(f"/billing/lines/{line.pk}/release/", {"note": "x"})
    assert response.status_code == 404
    line.refresh_from_db()
    assert line.status == LineStatus.HELD


def test_payer_auditors_do_not_see_lines_held_for_part2_consent(world):
    agency, payer = world
    r = ready_person(agency, payer)
    DiagnosisFactory(person=r.person, code="F11.20", category="SUD", is_primary=False)
    r.note()
    lines_scrub(actor=None, agency=agency, today=TODAY)
    outsider = StaffUserFactory(role="auditor", agency=None, payer=payer, hire_date=None)
    response = client_for(outsider).get("/billing/")
    assert list(response.context["page"]) == []
    assert "F11.20" not in response.content.decode()
    insider = StaffUserFactory(role="billing", agency=agency, credential="")
    assert "PART2_CONSENT" in client_for(insider).get("/billing/").content.decode()


def test_writing_a_claim_file_and_downloading_it(scrubbed):
    _agency, payer, _, ok, _, biller = scrubbed
    client = client_for(biller)
    response = client.post("/billing/batches/new/", {"payer": payer.pk})
    assert response.status_code == 302
    batch = ClaimBatch.objects.get()
    assert ClaimLine.objects.get(note=ok).claim.batch == batch
    listing = client.get("/billing/batches/").content.decode()
    assert batch.file_name in listing
    before = AccessLogEntry.objects.count()
    download = client.get(f"/billing/batches/{batch.pk}/file/")
    assert download.status_code == 200 and download.content.decode().startswith("ISA*00*")
    assert AccessLogEntry.objects.filter(action="export").count() == 1
    assert AccessLogEntry.objects.count() == before + 1
    stranger = StaffUserFactory(role="billing")
    assert client_for(stranger).get(f"/billing/batches/{batch.pk}/file/").status_code == 404


def test_a_bad_payer_or_date_is_named_and_nothing_is_written(scrubbed):
    _, _, _, _, _, biller = scrubbed
    client = client_for(biller)
    response = client.post("/billing/batches/new/", {"payer": "999999"}, follow=True)
    assert "Payer: choose one" in response.content.decode()
    response = client.post(
        "/billing/batches/new/", {"payer": "1", "through": "30/09/2026"}, follow=True
    )
    assert "Through: give a date" in response.content.decode()
    assert not ClaimBatch.objects.exists()


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_list_issues_a_fixed_number_of_queries_whatever_the_size(scrubbed):
    agency, payer, r, _, _, biller = scrubbed
    client = client_for(biller)
    client.get("/billing/")  # the first request of a session does one-time work
    few = _queries(client, "/billing/")
    few_held = _queries(client, "/billing/?status=held")
    for _i in range(25):
        other = ready_person(agency, payer, cpss=r.cpss)
        other.note(date=dt.date(2026, 4, 9), start_time=dt.time(9), end_time=dt.time(9, 30))
        other.note(date=dt.date(2026, 4, 10), activity="recreation")
    lines_scrub(actor=None, agency=agency, today=TODAY)
    assert ClaimLine.objects.count() == 52
    assert _queries(client, "/billing/") == few
    assert _queries(client, "/billing/?status=held") == few_held
