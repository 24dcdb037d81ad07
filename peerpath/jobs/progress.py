"""Progress for long service functions: what step they are on, how far along, in plain words.

A long function takes a `progress` argument and tells it what it is doing:

    def lines_scrub(*, actor, agency, progress: Progress = NO_PROGRESS) -> ScrubResult:
        progress.step("Reading signed notes")
        ...
        for note in progress.track(notes, "Checking notes against the policy"):
            ...
        progress.step("Writing claim lines", total=len(rows))
        for chunk in chunks:
            write(chunk)
            progress.advance(len(chunk))

`NO_PROGRESS` (the default) does nothing, so calling the function from a test or a shell
costs nothing extra. A background job passes a reporter that stores the progress for the
page's progress bar; the command line passes one that draws a rich progress bar. Steps are
plain words for the person waiting ("Writing claim lines"), never record contents: they are
shown on pages and kept with the job.

This module is pure Python (no Django), so the policy engine can report progress too.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sized
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

MAX_STEP_CHARS = 200


@dataclass(frozen=True)
class Snapshot:
    """Where a piece of work stands: the step in plain words, and `done` of `total` units
    of that step (`total` None when the step cannot be counted)."""

    step: str = ""
    done: int = 0
    total: int | None = None

    @property
    def fraction(self) -> float | None:
        """0.0 to 1.0, or None when the step has no total."""
        if not self.total:
            return None
        return min(1.0, max(0.0, self.done / self.total))

    @property
    def percent(self) -> int | None:
        fraction = self.fraction
        return None if fraction is None else int(fraction * 100)


class Progress:
    """The progress API, and the null reporter: every method does nothing.

    Subclasses (reporters) override `step` and `advance`; `track` is built on them."""

    def step(self, words: str, total: int | None = None) -> None:
        """Start a new step, described in plain words, of `total` units (None: uncounted)."""

    def advance(self, n: int = 1) -> None:
        """`n` more units of the current step are done."""

    def track(self, items: Iterable[T], words: str, total: int | None = None) -> Iterator[T]:
        """Yield `items`, counting each one as a unit of a new step."""
        if total is None and isinstance(items, Sized):
            total = len(items)
        self.step(words, total)
        for item in items:
            yield item
            self.advance()


NO_PROGRESS = Progress()
"""The default reporter: nothing is reported, nothing is slowed down."""


class Reporter(Progress):
    """Keeps the current snapshot and hands it to `emit`, at most once every `interval`
    seconds (and always when a step starts, so short steps are still seen, and on `flush`).

    Subclasses implement `emit`; it must not raise (a progress report never stops work)."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.snapshot = Snapshot()
        self._last_emit = 0.0
        self._dirty = False

    def emit(self, snapshot: Snapshot) -> None:
        raise NotImplementedError

    def step(self, words: str, total: int | None = None) -> None:
        words = " ".join(str(words).split())[:MAX_STEP_CHARS]
        self.snapshot = Snapshot(words, 0, total if total is None else max(0, int(total)))
        self._send(force=True)

    def advance(self, n: int = 1) -> None:
        s = self.snapshot
        done = s.done + n
        if s.total is not None:
            done = min(done, s.total)
        self.snapshot = Snapshot(s.step, done, s.total)
        self._dirty = True
        if time.monotonic() - self._last_emit >= self.interval:
            self._send()

    def flush(self) -> None:
        """Report the latest snapshot now, if it has not been reported."""
        if self._dirty:
            self._send(force=True)

    def _send(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_emit < self.interval:
            return
        self._last_emit = now
        self._dirty = False
        self.emit(self.snapshot)


class Tee(Progress):
    """Reports to several reporters at once (a job's record and a terminal's bar)."""

    def __init__(self, *reporters: Progress) -> None:
        self.reporters = reporters

    def step(self, words: str, total: int | None = None) -> None:
        for r in self.reporters:
            r.step(words, total)

    def advance(self, n: int = 1) -> None:
        for r in self.reporters:
            r.advance(n)


class Recorder(Reporter):
    """Remembers every snapshot it is given (for tests and for checking a function's steps)."""

    def __init__(self) -> None:
        super().__init__(interval=0.0)
        self.snapshots: list[Snapshot] = []

    def emit(self, snapshot: Snapshot) -> None:
        self.snapshots.append(snapshot)

    @property
    def steps(self) -> list[str]:
        seen: list[str] = []
        for s in self.snapshots:
            if not seen or seen[-1] != s.step:
                seen.append(s.step)
        return seen
