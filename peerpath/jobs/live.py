"""Where a running job's progress goes while the job's own work holds its transaction.

The operations that run as jobs are all or nothing: each runs in one database transaction.
Progress written through that transaction would be seen by nobody until the end. So a
running job reports through a side channel that commits on its own:

- PostgreSQL (`PEERPATH_JOB_PROGRESS=database`, the default there): a second database
  connection, in autocommit, updates the job's row (step, done, total, beat_at). Pages on
  any server see it.
- SQLite (`files`, the default there): SQLite lets one writer at a time, and the job's
  transaction is that writer, so progress goes to a small JSON file per job in
  `PEERPATH_JOBS_DIR` (default `<data dir>/jobs`), replaced atomically. The web server and
  the worker share the machine (the database file is on it), so both see the folder.

Besides progress, the runner writes a heartbeat every `BEAT_SECONDS`: a running job whose
last sign of life is older than `STALE_SECONDS` was lost with its worker (killed, machine
restarted) and may be started again.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from .models import Job
from .progress import Reporter, Snapshot

logger = logging.getLogger(__name__)

BEAT_SECONDS = 15.0
STALE_SECONDS = 120.0


@dataclass(frozen=True)
class Live:
    snapshot: Snapshot
    beat: dt.datetime | None


def progress_mode() -> str:
    mode = getattr(settings, "PEERPATH_JOB_PROGRESS", "")
    if mode in ("files", "database"):
        return str(mode)
    return "files" if connections[DEFAULT_DB_ALIAS].vendor == "sqlite" else "database"


def jobs_dir() -> Path:
    configured = getattr(settings, "PEERPATH_JOBS_DIR", None)
    return Path(configured) if configured else Path(settings.DATA_DIR) / "jobs"


class LiveStore:
    """Stores nothing (used when no side channel can be had)."""

    def write(self, job: Job, snapshot: Snapshot) -> None:
        pass

    def beat(self, job: Job) -> None:
        pass

    def close(self) -> None:
        pass


class FileStore(LiveStore):
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or jobs_dir()
        self._last = Snapshot()

    def path(self, job: Job) -> Path:
        return self.folder / f"{job.live_key}.json"

    def write(self, job: Job, snapshot: Snapshot) -> None:
        self._last = snapshot
        data = {
            "step": snapshot.step,
            "done": snapshot.done,
            "total": snapshot.total,
            "beat": timezone.now().isoformat(),
        }
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".live-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f)
            os.replace(tmp, self.path(job))
        except OSError:
            logger.warning("Could not write the progress of job %s", job.pk, exc_info=True)

    def beat(self, job: Job) -> None:
        self.write(job, self._last)

    def read(self, job: Job) -> Live | None:
        try:
            data = json.loads(self.path(job).read_text(encoding="utf-8"))
            total = data.get("total")
            snapshot = Snapshot(
                str(data.get("step", "")),
                int(data.get("done", 0)),
                None if total is None else int(total),
            )
            beat = dt.datetime.fromisoformat(data["beat"]) if data.get("beat") else None
        except (OSError, ValueError, TypeError, KeyError):
            return None
        return Live(snapshot, beat)

    def clear(self, job: Job) -> None:
        self.path(job).unlink(missing_ok=True)


class DatabaseStore(LiveStore):
    """A connection of its own (autocommit), so updates are seen at once by every page."""

    def __init__(self) -> None:
        self._conn: BaseDatabaseWrapper | None = None
        self._broken = False

    def _execute(self, sql: str, params: list[Any]) -> None:
        if self._broken:
            return
        try:
            if self._conn is None:
                self._conn = connections.create_connection(DEFAULT_DB_ALIAS)
                self._conn.inc_thread_sharing()  # the heartbeat thread writes through it too
                with self._conn.cursor() as cursor:
                    if self._conn.vendor == "postgresql":
                        # Never wait long on a row lock: progress is not worth a stall.
                        cursor.execute("SET lock_timeout = '2s'")
            with self._conn.cursor() as cursor:
                cursor.execute(sql, params)
        except Exception:
            self._broken = True
            logger.warning("Progress of a job could not be recorded; the job goes on.")

    def write(self, job: Job, snapshot: Snapshot) -> None:
        table = Job._meta.db_table
        self._execute(
            f"UPDATE {table} SET step = %s, done = %s, total = %s, beat_at = %s "
            "WHERE id = %s AND status = 'running'",
            [snapshot.step, snapshot.done, snapshot.total, timezone.now(), job.pk],
        )

    def beat(self, job: Job) -> None:
        table = Job._meta.db_table
        self._execute(
            f"UPDATE {table} SET beat_at = %s WHERE id = %s AND status = 'running'",
            [timezone.now(), job.pk],
        )

    def close(self) -> None:
        if self._conn is not None:
            self._conn.dec_thread_sharing()
            self._conn.close()
            self._conn = None


def store_for_run() -> LiveStore:
    if progress_mode() == "files":
        return FileStore()
    if transaction.get_connection().in_atomic_block:
        # The job's row is not committed yet: another connection cannot see it.
        return LiveStore()
    return DatabaseStore()


def read_live(job: Job) -> Live | None:
    """The freshest progress of a running job that is not on its row (SQLite), or None."""
    if job.status != "running" or progress_mode() != "files":
        return None
    return FileStore().read(job)


def clear_live(job: Job) -> None:
    if progress_mode() == "files":
        FileStore().clear(job)


class JobReporter(Reporter):
    """Sends a job's progress to its live store, and beats while the job runs."""

    def __init__(self, job: Job, store: LiveStore, interval: float = 0.5) -> None:
        super().__init__(interval=interval)
        self.job = job
        self.store = store
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def emit(self, snapshot: Snapshot) -> None:
        with self._lock:
            self.store.write(self.job, snapshot)

    def start_beating(self, every: float = BEAT_SECONDS) -> None:
        def beat() -> None:
            while not self._stop.wait(every):
                with self._lock:
                    self.store.beat(self.job)

        self._thread = threading.Thread(target=beat, name=f"job-{self.job.pk}-beat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            self.store.close()
