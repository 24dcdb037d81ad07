"""Job kinds for the jobs framework's own tests (registered when this module is imported)."""

from __future__ import annotations

from django.db import connections, transaction

from peerpath.jobs.kinds import JobFailed, JobRun, Outcome, job_kind
from peerpath.jobs.live import FileStore, progress_mode
from peerpath.jobs.models import Job


class PaperJam(Exception):
    pass


@job_kind("tests.count", title="Counting", roles={"billing", "admin"})
def count(run: JobRun, *, to: int) -> Outcome:
    for _ in run.progress.track(range(to), "Counting the items"):
        pass
    return Outcome(summary=f"Counted {to} items.", url="/jobs/", data={"counted": to})


@job_kind("tests.crash", title="Crashing", roles={"admin"})
def crash(run: JobRun, *, detail: str) -> Outcome:
    run.progress.step("Reading the file")
    raise RuntimeError(f"internal detail: {detail}")


@job_kind("tests.refuse", title="Refusing", roles={"admin"})
def refuse(run: JobRun) -> Outcome:
    raise JobFailed("Nothing was posted: the file has 2 problems.", ["segment 3: bad", "seg 9"])


def _explain(error: BaseException) -> JobFailed | None:
    if isinstance(error, PaperJam):
        return JobFailed("The printer is jammed; nothing was printed.")
    return None


@job_kind("tests.explained", title="Printing", roles={"admin"}, explain=_explain)
def explained(run: JobRun) -> Outcome:
    raise PaperJam("tray 2")


@job_kind("tests.peek", title="Peeking", roles={"admin"})
def peek(run: JobRun) -> Outcome:
    """Report progress inside an open transaction, then look at it from another connection
    (as a page would while the job runs)."""
    with transaction.atomic():
        Job.objects.filter(pk=run.job.pk).exists()
        run.progress.step("Halfway there", 10)
        run.progress.advance(5)
        run.progress.flush()  # type: ignore[attr-defined]
        if progress_mode() == "files":
            live = FileStore().read(run.job)
            seen = (live.snapshot.step, live.snapshot.done) if live else None
        else:
            other = connections.create_connection("default")
            try:
                with other.cursor() as cursor:
                    cursor.execute("SELECT step, done FROM jobs_job WHERE id = %s", [run.job.pk])
                    row = cursor.fetchone()
                seen = (row[0], row[1]) if row else None
            finally:
                other.close()
    return Outcome(summary="Peeked.", data={"seen": list(seen) if seen else None})
