"""The audit's DuckDB connections: a bounded memory, and a folder to spill to beyond it.

DuckDB's own default is 80% of the machine's memory, which a run over tens of millions of
claim lines fills; with a limit, its joins, aggregates, sorts and tables go to disk past
it. The limit covers DuckDB's working memory only: the engine's tables held as Arrow in
Python come on top.

`peerpath audit run --memory-limit 2GB`, or `PEERPATH_AUDIT_MEMORY`, sets it (DuckDB's
units: MB, GB ...); `PEERPATH_AUDIT_TEMP` the folder under which the run spills (default:
the system's temporary folder). The spilled files go with the run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb

DEFAULT_MEMORY_LIMIT = "2GB"
MEMORY_ENV = "PEERPATH_AUDIT_MEMORY"
TEMP_ENV = "PEERPATH_AUDIT_TEMP"


@dataclass(frozen=True)
class Budget:
    """DuckDB's settings for one run's connections."""

    memory_limit: str
    temp_directory: Path | None = None

    def config(self) -> dict[str, str]:
        out = {"memory_limit": self.memory_limit}
        if self.temp_directory is not None:
            out["temp_directory"] = str(self.temp_directory)
        return out

    def connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(config=dict(self.config()))


def memory_limit(given: str | None = None) -> str:
    """The limit asked for, else the environment's, else the default; refused (ValueError)
    when DuckDB does not read it as an amount of memory."""
    limit = given or os.environ.get(MEMORY_ENV) or DEFAULT_MEMORY_LIMIT
    problem = _refusal(limit)
    if problem:
        raise ValueError(
            f"memory limit {limit!r} is not an amount of memory (say 2GB or 500MB): {problem}"
        )
    return limit


@lru_cache(maxsize=16)
def _refusal(limit: str) -> str:
    """DuckDB's words refusing `limit`, or "" (asked once per limit: a connection opened
    to ask takes a twentieth of a second)."""
    try:
        duckdb.connect(config={"memory_limit": limit}).close()
    except duckdb.Error as exc:
        return str(exc).splitlines()[0]
    return ""


@contextmanager
def budget(given: str | None = None) -> Iterator[Budget]:
    """A run's budget, with a temporary folder removed at the end."""
    limit = memory_limit(given)
    base = os.environ.get(TEMP_ENV) or None
    if base:
        Path(base).mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="peerpath-audit-", dir=base))
    try:
        yield Budget(limit, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
