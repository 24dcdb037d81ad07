"""Job kinds: the long operations that may run as background jobs, registered by name.

A business area defines its kinds in a module named `jobs.py` (found when Django starts):

    from peerpath.jobs.kinds import JobRun, Outcome, job_kind

    @job_kind("billing.scrub", title="Claim scrub", roles={"billing", "admin", "auditor"})
    def scrub(run: JobRun, *, agency_id: int, payer_id: int | None = None) -> Outcome:
        result = lines_scrub(actor=run.actor, agency=..., progress=run.progress)
        return Outcome(summary=result.summary(), url="/billing/")

The function receives the run (its `progress`, `actor`, `job`, `input_text`) and the job's
parameters as keywords (JSON values: ids, dates as text), and returns an `Outcome`. To
fail with a message for the person who started it, raise `JobFailed("plain words")`;
`explain` turns the area's own exceptions into plain words. Any other exception fails the
job with a general message (its traceback goes to the server log, never to a page).
`roles` are the roles that see the agency's jobs of this kind; whoever started a job
always sees it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .progress import NO_PROGRESS, Progress

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from .models import Job

MAX_PROBLEMS = 200


@dataclass(frozen=True)
class Outcome:
    """How a job ended well: a summary in plain words, a link to what it made or changed,
    and any values a page or a test wants (ids, counts)."""

    summary: str
    url: str = ""
    data: dict[str, Any] = field(default_factory=dict)


class JobFailed(Exception):
    """The job cannot finish; `message` says why in plain words, `problems` lists each
    problem (each in plain words: no names or other PHI, no tracebacks)."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems = [str(p) for p in problems][:MAX_PROBLEMS]


class Explain(Protocol):
    def __call__(self, error: BaseException) -> JobFailed | None: ...


@dataclass
class JobRun:
    """What a job function is given: the job, its reporter and who started it."""

    job: Job
    progress: Progress = NO_PROGRESS

    @property
    def actor(self) -> AbstractBaseUser | None:
        return self.job.started_by

    @property
    def input_text(self) -> str:
        return self.job.input_text


JobFunction = Callable[..., Outcome]


@dataclass(frozen=True)
class JobKind:
    name: str
    title: str
    func: JobFunction
    roles: frozenset[str]
    explain: Explain | None = None


REGISTRY: dict[str, JobKind] = {}


class UnknownJobKind(LookupError):
    pass


def job_kind(
    name: str,
    *,
    title: str,
    roles: Iterable[str],
    explain: Explain | None = None,
) -> Callable[[JobFunction], JobFunction]:
    """Register `func` as the job kind `name` (e.g. "billing.scrub")."""

    def register(func: JobFunction) -> JobFunction:
        existing = REGISTRY.get(name)
        if existing is not None and existing.func.__qualname__ != func.__qualname__:
            raise ValueError(f"Job kind {name!r} is already registered by {existing.func}.")
        REGISTRY[name] = JobKind(name, title, func, frozenset(roles), explain)
        return func

    return register


def get_kind(name: str) -> JobKind:
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise UnknownJobKind(f"No job kind {name!r}. Known: {known}") from None
