"""Jobs from the command line: `peerpath worker`, `peerpath jobs ...`, and the helper that
other commands use to run a job with a rich progress bar.

peerpath worker [--batch]         run queued jobs (django-tasks' database worker)
peerpath jobs list                the latest jobs
peerpath jobs show ID [--follow]  one job; --follow draws its bar until it ends

A command that runs a long operation calls `run_in_terminal(...)`: the job is recorded like
one started from a page (so the page shows it running, and a second start for the same
target is refused), runs in this process, and draws its progress on standard error (data
the command prints stays on standard output).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TextIO

from .progress import Progress

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress as RichBar
    from rich.progress import TaskID

    from .models import Job
    from .services import JobState


class RichReporter(Progress):
    """A rich progress bar per step: description, bar, done of total, time taken."""

    def __init__(self, console: Console) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import Progress as RichBar

        self.bar: RichBar = RichBar(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        self.task: TaskID | None = None

    def __enter__(self) -> RichReporter:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._close_step(finished=exc[0] is None)
        self.bar.stop()

    def _close_step(self, finished: bool = True) -> None:
        if self.task is None:
            return
        task = self.bar.tasks[-1]
        if finished:
            total = task.total if task.total is not None else max(task.completed, 1)
            self.bar.update(self.task, total=total, completed=total)
        self.bar.stop_task(self.task)

    def step(self, words: str, total: int | None = None) -> None:
        self._close_step()
        self.task = self.bar.add_task(words, total=total)

    def advance(self, n: int = 1) -> None:
        if self.task is not None:
            self.bar.advance(self.task, n)


def _console(out: TextIO | None = None) -> Console:
    from rich.console import Console

    return Console(file=out or sys.stderr, highlight=False)


def report(state: JobState, out: TextIO) -> None:
    """Print how a job ended, in the words the page uses."""
    job = state.job
    if state.succeeded:
        print(f"{state.title}: {job.result_summary}", file=out)
    elif state.failed:
        print(f"{state.title} did not finish: {job.failure}", file=out)
        for problem in job.problems:
            print(f"  - {problem}", file=out)
    else:
        print(f"{state.title} is {job.get_status_display().lower()} (job {job.pk}).", file=out)


def run_in_terminal(
    *,
    kind: str,
    target: str,
    label: str,
    agency: Any = None,
    params: Mapping[str, Any] | None = None,
    input_text: str = "",
    out: TextIO | None = None,
    progress_out: TextIO | None = None,
    queue: bool = False,
) -> Job | None:
    """Record the job and run it here with a progress bar (or, with `queue`, hand it to the
    worker and follow it). Prints the outcome on `out`; returns the finished job, or None
    when the same job is already running (the message says so)."""
    import getpass

    from .services import JobAlreadyRunning, job_run, job_start, job_state

    out = out or sys.stdout
    try:
        job = job_start(
            kind=kind,
            target=target,
            label=label,
            actor=None,
            agency=agency,
            params=params,
            input_text=input_text,
            queue=queue,
            runner_label=f"command line ({getpass.getuser()})",
        )
    except JobAlreadyRunning as already:
        print(f"Not started: {already}", file=out)
        return None
    if queue:
        follow(job, out=out, progress_out=progress_out)
    else:
        with RichReporter(_console(progress_out)) as bar:
            job = job_run(job, progress=bar, runner="command line")
    report(job_state(job), out)
    return job


def follow(job: Job, *, out: TextIO, progress_out: TextIO | None = None, poll: float = 0.5) -> Job:
    """Draw the progress of a job running elsewhere until it ends."""
    from .services import job_state

    with RichReporter(_console(progress_out)) as bar:
        step = None
        done = 0
        while True:
            job.refresh_from_db()
            state = job_state(job)
            snap = state.snapshot
            if state.finished:
                break
            if job.status == "running" and snap.step != step:
                step, done = snap.step, 0
                bar.step(snap.step or "Starting", snap.total)
            if snap.done > done:
                bar.advance(snap.done - done)
                done = snap.done
            time.sleep(poll)
    return job


# ---------------------------------------------------------------- commands


def cmd_worker(args: argparse.Namespace) -> int:
    from peerpath.cli import _django

    _django()
    from django.core.management import call_command

    from .services import reap_lost

    lost = reap_lost()
    if lost:
        print(f"{lost} job(s) left running by a stopped worker were marked as not finished.")
    if not args.batch:
        print(
            f"PeerPath job worker: running queued jobs (checking every {args.interval:g} s). "
            "Stop with Ctrl-C.",
            flush=True,
        )
    call_command(
        "db_worker",
        batch=args.batch,
        interval=args.interval,
        reload=False,
        startup_delay=False,
        verbosity=0 if args.quiet else 1,
    )
    return 0


def cmd_list(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from peerpath.cli import _django

    _django()
    from .models import Job
    from .services import job_state

    out = out or sys.stdout
    jobs = list(Job.objects.order_by("-pk")[: args.limit])
    if not jobs:
        print("No jobs yet.", file=out)
    for job in jobs:
        state = job_state(job)
        snap = state.snapshot
        where = f" {snap.percent}%" if not state.finished and snap.percent is not None else ""
        print(
            f"{job.pk:>6}  {job.created_at:%Y-%m-%d %H:%M}  {job.get_status_display():<16}"
            f"{where:>5}  {state.title}: {job.label}  ({job.started_by_label})",
            file=out,
        )
    return 0


def cmd_show(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from peerpath.cli import _django

    _django()
    from .models import Job
    from .services import job_state

    out = out or sys.stdout
    job = Job.objects.filter(pk=args.id).first()
    if job is None:
        print(f"No job {args.id}.", file=out)
        return 2
    if args.follow and job.is_active:
        job = follow(job, out=out)
    state = job_state(job)
    print(f"Job {job.pk}: {state.title}: {job.label}", file=out)
    print(f"  started by {job.started_by_label} at {job.created_at:%Y-%m-%d %H:%M:%S}", file=out)
    if not state.finished:
        snap = state.snapshot
        count = f" ({snap.done} of {snap.total})" if snap.total else ""
        print(f"  {job.get_status_display()}: {snap.step or 'waiting'}{count}", file=out)
    report(state, out)
    return 0 if not state.failed else 1


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("worker", help="run background jobs (scrubs, claim files, 835 posting)")
    p.add_argument("--batch", action="store_true", help="run what is queued, then stop")
    p.add_argument(
        "--interval", type=float, default=1.0, help="seconds between looks at the queue (1)"
    )
    p.add_argument("--quiet", action="store_true", help="print nothing per job")
    p.set_defaults(func=cmd_worker)

    jobs = sub.add_parser("jobs", help="background jobs: list, show, follow")
    jsub = jobs.add_subparsers(dest="jobs_command", required=True, metavar="ACTION")
    p = jsub.add_parser("list", help="the latest jobs")
    p.add_argument("--limit", type=int, default=20)
    p.set_defaults(func=lambda a: cmd_list(a))
    p = jsub.add_parser("show", help="one job (with --follow: its progress until it ends)")
    p.add_argument("id", type=int)
    p.add_argument("--follow", action="store_true")
    p.set_defaults(func=lambda a: cmd_show(a))
