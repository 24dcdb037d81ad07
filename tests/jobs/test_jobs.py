"""Background jobs: queued in the database, run by the worker, one at a time per target,
progress on the page and in the terminal, failures in plain words."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.db import IntegrityError, transaction
from django.test import Client, override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from peerpath.jobs.cli import run_in_terminal
from peerpath.jobs.kinds import UnknownJobKind
from peerpath.jobs.models import Job, JobStatus
from peerpath.jobs.progress import NO_PROGRESS, Recorder, Snapshot
from peerpath.jobs.services import (
    GENERAL_FAILURE,
    LOST_FAILURE,
    JobAlreadyRunning,
    job_run,
    job_start,
    job_state,
)
from peerpath.jobs.worker import work_off
from tests.access.factories import StaffUserFactory
from tests.jobs import kinds  # noqa: F401  (registers the test job kinds)

HTMX = {"HTTP_HX_REQUEST": "true"}


def start(kind="tests.count", target="t:1", **kw):
    kw.setdefault("params", {"to": 7} if kind == "tests.count" else {})
    return job_start(kind=kind, target=target, label="seven things", actor=None, **kw)


# ---------------------------------------------------------------- the progress API


def test_the_null_reporter_is_the_default_and_costs_nothing():
    assert list(NO_PROGRESS.track([1, 2, 3], "anything")) == [1, 2, 3]
    NO_PROGRESS.step("x", 3)
    NO_PROGRESS.advance()


def test_a_reporter_counts_each_step_and_never_passes_its_total():
    rec = Recorder()
    rec.step("Reading   the\nfile", 2)
    rec.advance(5)
    list(rec.track(["a", "b", "c"], "Checking"))
    assert rec.steps == ["Reading the file", "Checking"]
    assert rec.snapshots[1] == Snapshot("Reading the file", 2, 2)
    assert rec.snapshot == Snapshot("Checking", 3, 3)
    assert rec.snapshot.percent == 100
    assert Snapshot("Uncounted").percent is None


# ---------------------------------------------------------------- queue and worker


@pytest.mark.django_db(transaction=True)
def test_a_job_is_queued_in_the_database_and_run_by_the_worker():
    job = start()
    task = DBTaskResult.objects.get(id=job.task_id)
    assert task.status == "READY" and task.task_path == "peerpath.jobs.tasks.run_job"
    assert job.status == JobStatus.QUEUED

    assert work_off() == 1

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.result_summary == "Counted 7 items."
    assert job.result == {"counted": 7}
    assert (job.step, job.done, job.total) == ("Counting the items", 7, 7)
    assert job.runner.startswith("worker")
    assert job.started_at and job.finished_at
    assert DBTaskResult.objects.get(id=job.task_id).status == "SUCCESSFUL"


@pytest.mark.django_db(transaction=True)
def test_progress_is_seen_from_outside_while_the_job_holds_its_transaction():
    job = start("tests.peek", "peek")
    work_off()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.failure
    assert job.result["seen"] == ["Halfway there", 5]


# ---------------------------------------------------------------- once per target


@pytest.mark.django_db(transaction=True)
def test_the_same_job_for_the_same_target_is_refused_while_one_is_waiting_or_running():
    first = start()
    with pytest.raises(JobAlreadyRunning) as refused:
        start()
    assert refused.value.job == first
    assert "already waiting to start" in str(refused.value)
    other = start(target="t:2")  # another target is another job
    assert other.pk != first.pk
    Job.objects.filter(pk=first.pk).update(status=JobStatus.RUNNING, beat_at=timezone.now())
    with pytest.raises(JobAlreadyRunning, match="already running"):
        start()
    Job.objects.filter(pk=first.pk).update(status=JobStatus.SUCCEEDED)
    again = start()  # finished: it may run again
    assert again.status == JobStatus.QUEUED
    assert DBTaskResult.objects.count() == 3  # the refused starts queued nothing


@pytest.mark.django_db
def test_the_database_itself_refuses_a_second_active_job_for_a_target():
    Job.objects.create(kind="tests.count", target="t:1", label="a")
    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.create(kind="tests.count", target="t:1", label="b", status="running")
    Job.objects.create(kind="tests.count", target="t:1", label="c", status="failed")


@pytest.mark.django_db
def test_a_job_lost_with_its_worker_is_marked_and_may_be_started_again():
    lost = start()
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    Job.objects.filter(pk=lost.pk).update(
        status=JobStatus.RUNNING, started_at=long_ago, beat_at=long_ago
    )
    again = start()
    lost.refresh_from_db()
    assert lost.status == JobStatus.FAILED and lost.failure == LOST_FAILURE
    assert again.status == JobStatus.QUEUED


@pytest.mark.django_db
def test_an_unknown_kind_is_refused_before_anything_is_written():
    with pytest.raises(UnknownJobKind, match=r"No job kind 'tests\.nothing'"):
        start("tests.nothing")
    assert not Job.objects.exists()


# ---------------------------------------------------------------- failures in plain words


@pytest.mark.django_db(transaction=True)
def test_an_unexpected_error_fails_the_job_in_plain_words_with_no_detail(caplog):
    job = start("tests.crash", params={"detail": "Jane Q. Sample 123456789A"})
    work_off()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.failure == GENERAL_FAILURE.format(id=job.pk)
    assert "Jane" not in job.failure and "Traceback" not in job.failure
    assert DBTaskResult.objects.get(id=job.task_id).traceback == ""  # not kept there either
    # The traceback goes to the server log, through the PHI filter.
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"Job {job.pk} (tests.crash) failed" in logged


@pytest.mark.django_db
def test_a_refusal_keeps_its_message_and_each_problem():
    job = job_run(start("tests.refuse"))
    assert job.status == JobStatus.FAILED
    assert job.failure == "Nothing was posted: the file has 2 problems."
    assert job.problems == ["segment 3: bad", "seg 9"]


@pytest.mark.django_db
def test_a_kind_explains_its_own_errors():
    job = job_run(start("tests.explained"))
    assert job.failure == "The printer is jammed; nothing was printed."


@pytest.mark.django_db
def test_an_uploaded_input_is_emptied_when_the_job_ends():
    job = job_run(start("tests.refuse", input_text="ISA*00*..."))
    assert job.input_text == ""


# ---------------------------------------------------------------- the page


@pytest.fixture
def billing(db):
    return StaffUserFactory(role="billing")


def test_the_progress_box_polls_while_the_job_runs_and_stops_when_it_ends(billing):
    client = Client()
    client.force_login(billing.user)
    job = start(agency=billing.agency)
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, step="Counting the items", done=3, total=7,
        started_at=timezone.now(), beat_at=timezone.now(),
    )  # fmt: skip
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert f'hx-get="/jobs/{job.pk}/progress/"' in page and 'hx-trigger="every 1s"' in page
    assert 'max="7" value="3"' in page
    assert "Counting the items: 3 of 7" in page
    assert "style=" not in page.split("<main")[1] and "<script>" not in page

    poll = client.get(f"/jobs/{job.pk}/progress/", **HTMX)
    assert poll.status_code == 200 and "HX-Trigger" not in poll

    Job.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    job_run(job)
    done = client.get(f"/jobs/{job.pk}/progress/", **HTMX)
    assert done.status_code == 286  # htmx stops polling
    assert json.loads(done["HX-Trigger"])["peerpath:job-finished"]["status"] == "succeeded"
    body = done.content.decode()
    assert "Finished. Counted 7 items." in body and 'href="/jobs/"' in body
    assert "<progress" not in body
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    # The ended job's box no longer polls (the navigation's own htmx is not the box's).
    assert "hx-trigger" not in page.split("<main")[1]


def test_a_failure_shows_its_plain_words_and_problems_on_the_page(billing):
    client = Client()
    client.force_login(billing.user)
    job = job_run(start("tests.refuse", agency=billing.agency))
    Job.objects.filter(pk=job.pk).update(started_by=billing.user)
    body = client.get(f"/jobs/{job.pk}/progress/", **HTMX).content.decode()
    assert 'role="alert"' in body
    assert "Nothing was posted: the file has 2 problems." in body
    assert "<li>segment 3: bad</li>" in body


@override_settings(PEERPATH_REQUIRE_2FA=False)  # the second factor has its own tests
def test_jobs_are_seen_by_their_starter_and_their_agency_s_roles_only(billing):
    mine = start(agency=billing.agency)
    cpss = StaffUserFactory(role="cpss", agency=billing.agency)
    outsider = StaffUserFactory(role="billing")  # another agency
    admin = StaffUserFactory(role="admin", agency=billing.agency)
    crash = start("tests.crash", target="c", agency=billing.agency, params={"detail": ""})
    for user, job, status in [
        (billing, mine, 200),  # tests.count: billing and admin see the agency's
        (admin, mine, 200),
        (cpss, mine, 404),
        (outsider, mine, 404),
        (billing, crash, 404),  # tests.crash: admin only
        (admin, crash, 200),
    ]:
        client = Client()
        client.force_login(user.user)
        got = client.get(f"/jobs/{job.pk}/progress/").status_code
        assert got == status, (user.role, job.kind)
    Job.objects.filter(pk=crash.pk).update(started_by=cpss.user)
    client = Client()
    client.force_login(cpss.user)
    assert client.get(f"/jobs/{crash.pk}/").status_code == 200  # the starter always sees it
    listing = client.get("/jobs/").content.decode()
    assert f'href="/jobs/{crash.pk}/"' in listing and f'href="/jobs/{mine.pk}/"' not in listing


def test_a_job_waiting_long_says_the_worker_may_not_be_running(billing):
    client = Client()
    client.force_login(billing.user)
    job = start(agency=billing.agency)
    assert "has not taken it yet" not in client.get(f"/jobs/{job.pk}/").content.decode()
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(minutes=5))
    assert "has not taken it yet" in client.get(f"/jobs/{job.pk}/").content.decode()


# ---------------------------------------------------------------- the command line


@pytest.mark.django_db
def test_the_command_line_runs_a_job_with_a_progress_bar_and_prints_the_outcome():
    out, bar = io.StringIO(), io.StringIO()
    job = run_in_terminal(
        kind="tests.count", target="cli", label="seven", params={"to": 7},
        out=out, progress_out=bar,
    )  # fmt: skip
    assert job is not None and job.status == JobStatus.SUCCEEDED
    assert job.runner == "command line" and job.started_by_label.startswith("command line")
    assert out.getvalue() == "Counting: Counted 7 items.\n"
    assert "Counting the items" in bar.getvalue() and "7/7" in bar.getvalue()
    # Refused while the same job runs elsewhere (say, from the page).
    start(target="cli")
    out = io.StringIO()
    again = run_in_terminal(kind="tests.count", target="cli", label="x", params={"to": 1}, out=out)
    assert again is None
    assert out.getvalue().startswith("Not started: seven things is already waiting")


@pytest.mark.django_db
def test_job_state_reads_a_running_job_s_live_progress():
    job = start()
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, beat_at=timezone.now())
    job.refresh_from_db()
    assert job_state(job).snapshot == Snapshot("", 0, None)
