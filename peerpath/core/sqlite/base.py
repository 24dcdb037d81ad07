"""SQLite for PeerPath's embedded default: Django's backend, with writers taking turns.

SQLite lets one writer at a time. Django's own backend, with `transaction_mode` IMMEDIATE,
takes the write lock when a transaction starts, and a writer that finds it taken polls
(SQLite's busy handler sleeps up to 100 ms between tries). Under load that is unfair: a
writer can lose every race to newcomers and wait seconds, then fail with "database is
locked". Here every write transaction first takes an exclusive `flock` on a lock file beside
the database: waiters sleep in the kernel and are woken the moment the lock is free, so the
write lock passes from writer to writer without polling, across threads and processes (web
workers and the job worker alike). The busy timeout still guards statements outside
transactions: a write statement outside a transaction (autocommit) takes the same lock for
its one statement.
"""

from __future__ import annotations

import fcntl
import os
from typing import Any

from django.db.backends.sqlite3 import base

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")


def _is_write(query: str) -> bool:
    return query.lstrip()[:7].upper().startswith(_WRITES)


class _Cursor(base.SQLiteCursorWrapper):
    """Takes the writer lock around a write statement run outside a transaction."""

    wrapper: DatabaseWrapper | None = None

    def _alone(self, query: str) -> bool:
        w = self.wrapper
        return w is not None and w.autocommit and not w._writer_held and _is_write(query)

    def execute(self, query: str, params: Any = None) -> Any:
        if not self._alone(query):
            return super().execute(query, params)
        assert self.wrapper is not None
        self.wrapper._take_writer_lock()
        try:
            return super().execute(query, params)
        finally:
            self.wrapper._release_writer_lock()

    def executemany(self, query: str, param_list: Any) -> Any:
        if not self._alone(query):
            return super().executemany(query, param_list)
        assert self.wrapper is not None
        self.wrapper._take_writer_lock()
        try:
            return super().executemany(query, param_list)
        finally:
            self.wrapper._release_writer_lock()


class DatabaseWrapper(base.DatabaseWrapper):
    _writer_fd: int | None = None
    _writer_held: bool = False

    def _lock_path(self) -> str | None:
        name = str(self.settings_dict["NAME"])
        if self.is_in_memory_db() or not name:
            return None
        return name + "-writer.lock"

    def _take_writer_lock(self) -> None:
        path = self._lock_path()
        if path is None or self._writer_held:
            return
        if self._writer_fd is None:
            self._writer_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._writer_fd, fcntl.LOCK_EX)
        self._writer_held = True

    def _release_writer_lock(self) -> None:
        if self._writer_held and self._writer_fd is not None:
            fcntl.flock(self._writer_fd, fcntl.LOCK_UN)
        self._writer_held = False

    def create_cursor(self, name: str | None = None) -> Any:
        cursor = self.connection.cursor(factory=_Cursor)
        cursor.wrapper = self
        return cursor

    def _start_transaction_under_autocommit(self) -> None:
        self._take_writer_lock()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_writer_lock()
            raise

    def _commit(self) -> Any:
        try:
            return super()._commit()  # type: ignore[misc]
        finally:
            self._release_writer_lock()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]
        finally:
            self._release_writer_lock()

    def _close(self) -> Any:
        try:
            return super()._close()  # type: ignore[misc]
        finally:
            self._release_writer_lock()
            if self._writer_fd is not None:
                os.close(self._writer_fd)
                self._writer_fd = None
