"""Starting, running and reading background jobs.

    job = job_start(kind="billing.scrub", target=f"agency:{agency.pk}", label="Claim scrub",
                    actor=request.user, agency=agency, params={"agency_id": agency.pk})

`job_start` records the job and queues it for the worker (`peerpath worker`, through
django-tasks' database backend), or refuses with `JobAlreadyRunning` when the same kind of
job is already waiting or running for the same target: the database's unique index on
active jobs decides, so two people pressing the button at once get one job.
`job_run` runs a job in this process (the worker calls it; so does the command line, which
shows a progress bar while it runs). `job_state` is what a page shows.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from .kinds import REGISTRY, JobFailed, JobRun, Outcome, get_kind
from .live import STALE_SECONDS, JobReporter, Live, clear_live, read_live, store_for_run
from .models import ACTIVE, Job, JobStatus
from .progress import Progress, Snapshot, Tee

logger = logging.getLogger(__name__)

Actor = AbstractBaseUser | AnonymousUser | None

QUEUED_HINT_SECONDS = 60
GENERAL_FAILURE = (
    "Something went wrong and the job stopped. Nothing it was doing was saved, so it is "
    "safe to start it again. If it stops again, tell your administrator (job {id}): the "
    "details are in the server's log."
)
STOPPED_FAILURE = (
    "The job was stopped before it finished (its worker was shut down). Nothing it was "
    "doing was saved; start it again."
)
LOST_FAILURE = (
    "The job stopped without finishing (its worker stopped or the server restarted). "
    "Whatever it was doing was not saved; start it again."
)


class JobAlreadyRunning(Exception):
    """The same job is already waiting or running for this target."""

    def __init__(self, job: Job) -> None:
        super().__init__(
            f"{job.label} is already {'running' if job.status == 'running' else 'waiting to start'}"
            f" (started by {job.started_by_label or 'someone'}): it was not started again."
        )
        self.job = job


def _user(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) and actor.pk else None


def _last_sign_of_life(job: Job) -> dt.datetime | None:
    live = read_live(job)
    beats = [t for t in (job.beat_at, job.started_at, live.beat if live else None) if t]
    return max(beats) if beats else None


def _is_lost(job: Job, now: dt.datetime) -> bool:
    if job.status != JobStatus.RUNNING:
        return False
    last = _last_sign_of_life(job)
    return last is None or (now - last).total_seconds() > STALE_SECONDS


def reap_lost(kind: str | None = None, target: str | None = None) -> int:
    """Mark running jobs that stopped giving signs of life as failed; return how many."""
    now = timezone.now()
    running = Job.objects.filter(status=JobStatus.RUNNING)
    if kind is not None:
        running = running.filter(kind=kind)
    if target is not None:
        running = running.filter(target=target)
    lost = [j.pk for j in running if _is_lost(j, now)]
    if not lost:
        return 0
    return Job.objects.filter(pk__in=lost, status=JobStatus.RUNNING).update(
        status=JobStatus.FAILED, failure=LOST_FAILURE, finished_at=now, input_text=""
    )


def _json_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    data = dict(params or {})
    try:
        json.dumps(data)
    except TypeError as exc:
        raise ValidationError(
            {"params": f"Job parameters must be plain values (ids, text): {exc}"}
        ) from None
    return data


def job_start(
    *,
    kind: str,
    target: str,
    label: str,
    actor: Actor,
    agency: Any = None,
    params: Mapping[str, Any] | None = None,
    input_text: str = "",
    queue: bool = True,
    runner_label: str = "",
) -> Job:
    """Record a job and (with `queue`) hand it to the worker. Raises `JobAlreadyRunning`
    when a job of this kind is already waiting or running for `target`."""
    get_kind(kind)  # refuse unknown kinds before writing anything
    if not target or len(target) > 200:
        raise ValidationError({"target": "A job needs a target of at most 200 characters."})
    user = _user(actor)
    reap_lost(kind, target)
    job = Job(
        kind=kind,
        target=target,
        label=label[:200],
        agency=agency,
        started_by=user,
        started_by_label=(runner_label or (user.get_username() if user else "system"))[:150],
        params=_json_params(params),
        input_text=input_text,
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                job.save()
        except IntegrityError:
            existing = Job.objects.filter(kind=kind, target=target, status__in=ACTIVE).first()
            if existing is None:  # finished in between: the caller may simply try again
                raise JobAlreadyRunning(job) from None
            raise JobAlreadyRunning(existing) from None
        if queue:
            from .tasks import run_job

            result = run_job.enqueue(job.pk)
            job.task_id = str(result.id)
            job.save(update_fields=["task_id"])
    return job


def _failure(kind_explain: Any, error: BaseException, job: Job) -> JobFailed:
    if isinstance(error, JobFailed):
        return error
    if isinstance(error, KeyboardInterrupt | SystemExit):
        return JobFailed(STOPPED_FAILURE)
    if kind_explain is not None:
        try:
            explained = kind_explain(error)
        except Exception:
            explained = None
        if explained is not None:
            return explained
    if isinstance(error, ValidationError):
        return JobFailed(" ".join(error.messages))
    return JobFailed(GENERAL_FAILURE.format(id=job.pk))


def job_run(job: Job, *, progress: Progress | None = None, runner: str = "") -> Job:
    """Run a queued job now, in this process, and return it finished (succeeded or failed).

    `progress` is an extra reporter (the command line's bar). A job that is not waiting
    (already taken by another worker, or finished) is returned as it is."""
    taken = Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING,
        started_at=timezone.now(),
        beat_at=timezone.now(),
        runner=runner[:100],
    )
    job.refresh_from_db()
    if not taken:
        return job
    kind = REGISTRY.get(job.kind)
    reporter = JobReporter(job, store_for_run())
    reporter.start_beating()
    run = JobRun(job=job, progress=Tee(reporter, progress) if progress else reporter)
    outcome: Outcome | None = None
    failed: JobFailed | None = None
    interrupted: BaseException | None = None
    try:
        if kind is None:
            raise JobFailed(f"This version of PeerPath has no job of kind {job.kind!r}.")
        outcome = kind.func(run, **job.params)
        if not isinstance(outcome, Outcome):
            raise TypeError(f"Job kind {job.kind} returned {type(outcome).__name__}, not Outcome")
    except BaseException as error:  # a job never takes its worker down with it
        failed = _failure(kind.explain if kind else None, error, job)
        if failed.message == GENERAL_FAILURE.format(id=job.pk):
            # Unexpected: the traceback goes to the server's log (PHI filtered), not the page.
            logger.exception("Job %s (%s) failed", job.pk, job.kind)
        if isinstance(error, KeyboardInterrupt | SystemExit):
            interrupted = error
    finally:
        reporter.stop()
    _finish(job, reporter, outcome=outcome, failed=failed)
    if interrupted is not None:
        raise interrupted
    return job


def _finish(
    job: Job, reporter: JobReporter, *, outcome: Outcome | None, failed: JobFailed | None
) -> None:
    snap = reporter.snapshot
    job.status = JobStatus.FAILED if failed else JobStatus.SUCCEEDED
    job.finished_at = timezone.now()
    job.step, job.done, job.total = snap.step, snap.done, snap.total
    if outcome is not None and not failed:
        if snap.total is not None:
            job.done = snap.total
        job.result_summary = outcome.summary
        job.result_url = outcome.url[:300]
        job.result = dict(outcome.data)
    if failed is not None:
        job.failure = failed.message
        job.problems = failed.problems
    job.input_text = ""
    job.save(
        update_fields=[
            "status", "finished_at", "step", "done", "total", "result_summary", "result_url",
            "result", "failure", "problems", "input_text",
        ]
    )  # fmt: skip
    clear_live(job)


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class JobState:
    """What a page or the command line shows of a job."""

    job: Job
    snapshot: Snapshot
    waiting_long: bool

    @property
    def finished(self) -> bool:
        return self.job.is_finished

    @property
    def succeeded(self) -> bool:
        return self.job.status == JobStatus.SUCCEEDED

    @property
    def failed(self) -> bool:
        return self.job.status == JobStatus.FAILED

    @property
    def title(self) -> str:
        kind = REGISTRY.get(self.job.kind)
        return kind.title if kind else self.job.kind


def job_state(job: Job) -> JobState:
    live: Live | None = read_live(job)
    snapshot = live.snapshot if live else Snapshot(job.step, job.done, job.total)
    if job.status == JobStatus.SUCCEEDED and snapshot.total is None:
        snapshot = Snapshot(snapshot.step, 1, 1)
    now = timezone.now()
    waiting_long = (
        job.status == JobStatus.QUEUED
        and (now - job.created_at).total_seconds() > QUEUED_HINT_SECONDS
    )
    if _is_lost(job, now):
        reap_lost(job.kind, job.target)
        job.refresh_from_db()
    return JobState(job, snapshot, waiting_long)


def jobs_visible_to(user: Actor) -> QuerySet[Job]:
    """The jobs a user may see: those they started, and their agency's jobs of kinds their
    role may see (a site superuser sees every job)."""
    from peerpath.access.scope import is_signed_in, role_of, staff_of

    if not is_signed_in(user) or user is None:
        return Job.objects.none()
    if getattr(user, "is_superuser", False):
        return Job.objects.all()
    role = role_of(user)
    staff = staff_of(user)
    mine = Q(started_by_id=user.pk)
    kinds = [k.name for k in REGISTRY.values() if role in k.roles]
    if staff is not None and staff.agency_id is not None and kinds:
        return Job.objects.filter(mine | Q(agency_id=staff.agency_id, kind__in=kinds))
    return Job.objects.filter(mine)
