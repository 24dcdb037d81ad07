"""The billing worklist: a scrub started from the page runs as a job with progress; held
lines grouped by reason in plain words, released in bulk after a fix (scrubbed again);
CSV export of the list; a GET of the claim-file form's address is not a blank 405."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peerpath.access.models import AccessLogEntry
from peerpath.audit.models import ChangeRecord
from peerpath.billing.models import ClaimLine, LineHold, LineStatus
from peerpath.billing.services import lines_release, lines_scrub
from peerpath.jobs.models import Job, JobStatus
from peerpath.jobs.progress import Recorder
from peerpath.jobs.worker import work_off
from tests.access.factories import StaffUserFactory
from tests.billing.conftest import TODAY, ready_person

NOT_COVERED = "transportation"
RULE = "NOTE.NOT_COVERED_ACTIVITY"


@pytest.fixture(autouse=True)
def no_second_factor():
    with override_settings(PEERPATH_REQUIRE_2FA=False):
        yield


def client_for(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def _held_world(agency, payer, n_held=3):
    r = ready_person(agency, payer)
    ok = r.note()
    held = [r.note(date=dt.date(2026, 4, 7 + i), activity=NOT_COVERED) for i in range(n_held)]
    biller = StaffUserFactory(role="billing", agency=agency, credential="")
    return r, ok, held, biller


# ---------------------------------------------------------------- scrub as a job


@pytest.fixture
def committed_world(transactional_db):
    """A billing world committed as it goes (the worker reads what the page started),
    emptied after the test as the browser tests do (signed notes and the access log refuse
    the DELETEs of a plain flush on SQLite)."""
    from tests.billing.conftest import billing_agency, contract
    from tests.billing.flush import flush_database
    from tests.factories import PayerFactory

    agency = billing_agency()
    payer = PayerFactory(name="Briar Ridge Health Partners", payer_id="BRHP1")
    contract(agency, payer)
    yield agency, payer
    flush_database()


def test_billing_staff_scrub_from_the_page_and_the_worker_runs_it(committed_world):
    agency, payer = committed_world
    _r, ok, held, biller = _held_world(agency, payer)
    client = client_for(biller)
    response = client.post("/billing/scrub/")
    job = Job.objects.get(kind="billing.scrub")
    assert response.status_code == 302 and response["Location"] == f"/billing/?job={job.pk}"
    assert job.target == f"agency:{agency.pk}" and job.started_by == biller.user
    assert job.status == JobStatus.QUEUED

    assert work_off() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.failure
    assert job.result_summary == "Scrub finished: 4 new lines; 1 ready to bill, 3 held."
    assert job.result_url == "/billing/?status=held"
    assert (job.step, job.done, job.total) == ("Writing claim lines", 4, 4)
    assert ClaimLine.objects.get(note=ok).status == LineStatus.READY
    assert {x.status for x in ClaimLine.objects.filter(note__in=held)} == {LineStatus.HELD}


def test_an_htmx_scrub_gets_the_progress_box_in_place_and_a_second_press_the_same_job(
    committed_world,
):
    agency, payer = committed_world
    _r, _ok, _held, biller = _held_world(agency, payer, n_held=1)
    client = client_for(biller)
    first = client.post("/billing/scrub/", HTTP_HX_REQUEST="true")
    assert first.status_code == 200 and 'class="pp-job"' in first.content.decode()
    job = Job.objects.get(kind="billing.scrub")
    assert f'hx-get="/jobs/{job.pk}/progress/"' in first.content.decode()
    client.post("/billing/scrub/", HTTP_HX_REQUEST="true")
    assert Job.objects.filter(kind="billing.scrub").count() == 1
    assert work_off() == 1


@pytest.mark.django_db
def test_the_page_shows_the_scrub_running_then_its_result(world):
    agency, payer = world
    _held_world(agency, payer, n_held=1)
    biller = StaffUserFactory(role="billing", agency=agency, credential="")
    client = client_for(biller)
    page = client.get("/billing/").content.decode()
    assert 'action="/billing/scrub/"' in page and ">Scrub</button>" in page
    job = Job.objects.create(
        kind="billing.scrub", target=f"agency:{agency.pk}", label="Claim scrub",
        agency=agency, started_by=biller.user, status=JobStatus.RUNNING,
        started_at=timezone.now(), step="Checking 2 notes against the policy",
    )  # fmt: skip
    # A running scrub of the agency shows on the page even without ?job=.
    running = client.get("/billing/").content.decode()
    assert f'hx-get="/jobs/{job.pk}/progress/"' in running and "Checking 2 notes" in running
    job.status, job.result_summary = JobStatus.SUCCEEDED, "Scrub finished: 2 new lines."
    job.save()
    done = client.get(f"/billing/?job={job.pk}").content.decode()
    assert "Scrub finished: 2 new lines." in done and f"/jobs/{job.pk}/progress/" not in done


@pytest.mark.django_db
def test_the_scrub_reports_its_steps(world):
    agency, payer = world
    _held_world(agency, payer)
    rec = Recorder()
    lines_scrub(actor=None, agency=agency, today=TODAY, progress=rec)
    assert rec.steps == [
        "Finding signed notes and lines not yet billed",
        "Checking 4 notes against the policy",
        "Writing claim lines",
    ]
    assert rec.snapshot.done == rec.snapshot.total == 4


@pytest.mark.django_db
def test_auditors_and_peers_cannot_scrub_or_release(world):
    agency, payer = world
    _r, _ok, held, _biller = _held_world(agency, payer)
    lines_scrub(actor=None, agency=agency, today=TODAY)
    auditor = client_for(StaffUserFactory(role="auditor", agency=agency, credential=""))
    assert ">Scrub</button>" not in auditor.get("/billing/").content.decode()
    assert auditor.post("/billing/scrub/").status_code == 403
    ids = list(ClaimLine.objects.filter(note__in=held).values_list("pk", flat=True))
    refused = auditor.post("/billing/lines/release/", {"line": ids, "note": "x"})
    assert refused.status_code == 403
    peer = client_for(StaffUserFactory(role="cpss", agency=agency))
    assert peer.post("/billing/scrub/").status_code == 403
    assert not Job.objects.exists()
    assert not LineHold.objects.filter(released_at__isnull=False).exists()


# ---------------------------------------------------------------- held lines by reason


@pytest.mark.django_db
def test_held_lines_are_grouped_by_reason_in_plain_words(world):
    agency, payer = world
    _r, _ok, _held, biller = _held_world(agency, payer)
    lines_scrub(actor=None, agency=agency, today=TODAY)
    response = client_for(biller).get("/billing/?status=held")
    groups = response.context["groups"]
    assert [(g.rule_id, g.lines) for g in groups] == [(RULE, 3)]
    assert groups[0].title and groups[0].title != RULE and groups[0].fix
    assert groups[0].charge == sum(x.charge for x in ClaimLine.objects.filter(status="held"))
    page = response.content.decode()
    assert "Held lines by reason" in page and groups[0].title in page
    chosen = client_for(biller).get(f"/billing/?status=held&rule={RULE}").content.decode()
    assert "Release all 3 and scrub again" in chosen


NPI_RULE = "BILLING.RENDERING_NPI"


@pytest.mark.django_db
def test_bulk_release_by_reason_scrubs_every_line_again(world):
    agency, payer = world
    fixed, unfixed = ready_person(agency, payer), ready_person(agency, payer)
    for r in (fixed, unfixed):
        r.cpss.npi = ""
        r.cpss.save()
    held = [
        fixed.note(),
        fixed.note(date=dt.date(2026, 4, 7)),
        unfixed.note(date=dt.date(2026, 4, 8)),
    ]
    biller = StaffUserFactory(role="billing", agency=agency, credential="")
    lines_scrub(actor=None, agency=agency, today=TODAY)
    assert {x.status for x in ClaimLine.objects.all()} == {LineStatus.HELD}
    # The fix: one peer specialist's NPI is entered; the other's is not yet.
    fixed.cpss.npi = "1234567893"
    fixed.cpss.save()
    client = client_for(biller)
    response = client.post("/billing/lines/release/", {"rule": NPI_RULE, "note": "NPI entered"})
    assert response.status_code == 302
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said == [
        "3 lines released and scrubbed again: 2 ready to bill, 1 still held (see their reasons)."
    ]
    statuses = {x.note_id: x.status for x in ClaimLine.objects.filter(note__in=held)}
    assert statuses == {
        held[0].pk: LineStatus.READY,
        held[1].pk: LineStatus.READY,
        held[2].pk: LineStatus.HELD,
    }
    released = LineHold.objects.filter(released_at__isnull=False)
    assert released.count() == 3
    assert {h.released_by for h in released} == {biller.user}
    assert {h.release_note for h in released} == {"NPI entered"}
    # Held again with a fresh reason, and the history names who released each line.
    again = ClaimLine.objects.get(note=held[2]).holds.filter(released_at__isnull=True)
    assert [h.rule_id for h in again] == [NPI_RULE]
    assert ChangeRecord.objects.filter(action="billing.release").count() == 3


@pytest.mark.django_db
def test_bulk_release_of_ticked_lines_and_refusals(world):
    agency, payer = world
    _r, ok, held, biller = _held_world(agency, payer)
    lines_scrub(actor=None, agency=agency, today=TODAY)
    client = client_for(biller)
    ids = list(ClaimLine.objects.filter(note__in=held[:2]).values_list("pk", flat=True))
    page = client.get("/billing/?status=held").content.decode()
    assert f'name="line" value="{ids[0]}" form="bulk-release"' in page
    # No note: nothing released, and the page says why.
    response = client.post("/billing/lines/release/", {"line": ids, "note": " "})
    assert "Say what was fixed" in str(next(iter(get_messages(response.wsgi_request))))
    assert not LineHold.objects.filter(released_at__isnull=False).exists()
    # A ready line among the ticked: refused, nothing released.
    ready = ClaimLine.objects.get(note=ok).pk
    with pytest.raises(Exception, match="not held lines"):
        lines_release(actor=biller.user, agency=agency, line_ids=[*ids, ready], note="x")
    assert not LineHold.objects.filter(released_at__isnull=False).exists()
    client.post("/billing/lines/release/", {"line": ids, "note": "checked"})
    assert LineHold.objects.filter(released_at__isnull=False).count() == 2
    assert ClaimLine.objects.get(note=held[2]).holds.get().released_at is None


@pytest.mark.django_db
def test_another_agencys_lines_are_not_released(world):
    agency, payer = world
    _r, _ok, held, _biller = _held_world(agency, payer)
    lines_scrub(actor=None, agency=agency, today=TODAY)
    stranger = client_for(StaffUserFactory(role="billing"))
    ids = list(ClaimLine.objects.filter(note__in=held).values_list("pk", flat=True))
    stranger.post("/billing/lines/release/", {"line": ids, "note": "x"})
    stranger.post("/billing/lines/release/", {"rule": RULE, "note": "x"})
    assert not LineHold.objects.filter(released_at__isnull=False).exists()


# ---------------------------------------------------------------- export


@pytest.mark.django_db
def test_the_list_downloads_as_csv_with_its_filters_and_the_export_is_logged(world):
    agency, payer = world
    _r, _ok, held, biller = _held_world(agency, payer)
    lines_scrub(actor=None, agency=agency, today=TODAY)
    client = client_for(biller)
    page = client.get("/billing/?status=held").content.decode()
    assert 'href="/billing/lines.csv?status=held"' in page
    response = client.get("/billing/lines.csv?status=held")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {int(r["line_id"]) for r in rows} == set(
        ClaimLine.objects.filter(note__in=held).values_list("pk", flat=True)
    )
    assert all(RULE in r["held_for"] for r in rows)
    assert rows[0]["charge"].replace(".", "").isdigit()  # a plain number for spreadsheets
    assert dt.date.fromisoformat(rows[0]["date_of_service"])
    everything = client.get("/billing/lines.csv")
    assert len(b"".join(everything.streaming_content).decode().strip().splitlines()) == 5
    assert AccessLogEntry.objects.filter(action="export", record_type="billing.ClaimLine").count()
    peer = client_for(StaffUserFactory(role="cpss", agency=agency))
    assert peer.get("/billing/lines.csv").status_code == 403


# ---------------------------------------------------------------- the claim-file address


@pytest.mark.django_db
def test_a_get_of_the_claim_file_form_address_leads_to_the_form(world):
    agency, _payer = world
    biller = StaffUserFactory(role="billing", agency=agency, credential="")
    response = client_for(biller).get("/billing/batches/new/", follow=True)
    assert response.redirect_chain == [("/billing/batches/", 302)]
    assert "choose a payer below" in response.content.decode()


# ---------------------------------------------------------------- queries


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return ctx.captured_queries


@pytest.mark.django_db
def test_the_list_reads_no_distinct_and_a_fixed_number_of_queries_by_reason(world):
    agency, payer = world
    r, _ok, _held, biller = _held_world(agency, payer, n_held=1)
    lines_scrub(actor=None, agency=agency, today=TODAY)
    client = client_for(biller)
    url = f"/billing/?status=held&rule={RULE}"
    client.get(url)
    few = len(_queries(client, url))
    for i in range(10):
        other = ready_person(agency, payer, cpss=r.cpss)
        other.note(date=dt.date(2026, 4, 9), activity=NOT_COVERED)
        other.note(date=dt.date(2026, 4, 10 + i % 3))
    lines_scrub(actor=None, agency=agency, today=TODAY)
    queries = _queries(client, url)
    assert len(queries) == few
    lines_sql = [
        q["sql"]
        for q in queries
        if q["sql"].startswith('SELECT COUNT(*) AS "__count" FROM "billing_claimline"')
        or q["sql"].startswith('SELECT "billing_claimline"')
    ]
    bad = [sql for sql in lines_sql if "DISTINCT" in sql]
    assert lines_sql and not bad, bad


@pytest.mark.django_db
def test_the_list_counts_its_lines_once_by_status_and_pages_them_right(world, monkeypatch):
    """No second count over every line: the counts by status give the list's size (a count
    over the claim lines of a large agency was a third of the screen's time)."""
    import peerpath.billing.views as billing_views

    monkeypatch.setattr(billing_views, "PAGE_SIZE", 2)
    agency, payer = world
    _held_world(agency, payer, n_held=3)  # one ready line, three held
    lines_scrub(actor=None, agency=agency, today=TODAY)
    client = client_for(StaffUserFactory(role="billing", agency=agency, credential=""))
    client.get("/billing/")
    for url, size, pages in (("/billing/", 4, 2), ("/billing/?status=held", 3, 2),
                             ("/billing/?status=ready", 1, 1)):  # fmt: skip
        queries = _queries(client, url)
        counts = [q["sql"] for q in queries if q["sql"].startswith("SELECT COUNT(*)")]
        assert counts == [], url
        page = client.get(url + ("&" if "?" in url else "?") + "page=2")
        assert page.context["page"].paginator.count == size
        assert page.context["page"].paginator.num_pages == pages
        assert len(page.context["page"].object_list) == (size - 2 if pages == 2 else size)
    # Filtered by reason, the list is counted as it is (the counts are by status only).
    page = client.get(f"/billing/?status=held&rule={RULE}")
    assert page.context["page"].paginator.count == 3
