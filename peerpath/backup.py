"""`peerpath backup` and `peerpath restore`: a copy of the database taken while PeerPath
runs, and the restore drill that proves a copy is good (docs/deploy.md, section 4).

SQLite: SQLite's online backup (a consistent copy while others write), then an integrity
check of the copy. PostgreSQL: pg_dump in its custom format (pg_restore reads it), taken in
an exported snapshot in which the row counts are recorded too, so counts and copy agree
while others write.
`restore` puts a copy into a new, empty place (an SQLite copy into a new data folder, a
PostgreSQL dump into a new, empty database named by its URL; never over the live one) and
checks it there: the row counts recorded when the copy was taken, integrity (SQLite), and
the access log's hash chain (`peerpath accesslog verify` on the restored copy).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

# Tables whose row counts are recorded with a backup and checked after a restore.
COUNTED = (
    "people_person",
    "services_servicenote",
    "plans_plan",
    "billing_claim",
    "consent_disclosure",
    "access_accesslogentry",
    "audit_changerecord",
)


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in COUNTED}


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".counts.json")


def backup(target: Path) -> dict[str, int]:
    """Copy the database to `target`; returns the row counts of the copy (SQLite)."""
    from django.db import connection

    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        raise FileExistsError(f"{target} exists; choose a new file name for each backup")
    if connection.vendor == "postgresql":
        return _backup_postgres(target, pg_url(connection.settings_dict))
    connection.ensure_connection()
    live = connection.connection
    with sqlite3.connect(target) as copy:
        live.backup(copy)
        problem = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if problem != "ok":
            raise RuntimeError(f"the copy failed its integrity check: {problem}")
        counts = _counts(copy)
    copy.close()
    _sidecar(target).write_text(json.dumps(counts, indent=2))
    return counts


def pg_url(settings: Mapping[str, Any]) -> str:
    """A libpq URL for a Django PostgreSQL database's settings."""
    user = quote(str(settings.get("USER") or ""), safe="")
    password = quote(str(settings.get("PASSWORD") or ""), safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings.get("HOST") or "localhost"
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"postgresql://{auth}{host}{port}/{quote(str(settings['NAME']), safe='')}"


def _pg_counts(cursor: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for table in COUNTED:
        cursor.execute(f"SELECT count(*) FROM {table}")
        out[table] = int(cursor.fetchone()[0])
    return out


def _backup_postgres(target: Path, url: str) -> dict[str, int]:
    """pg_dump inside an exported snapshot, the row counts read in the same snapshot."""
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        row = conn.execute("SELECT pg_export_snapshot()").fetchone()
        assert row is not None
        with conn.cursor() as cursor:
            counts = _pg_counts(cursor)
        dump = subprocess.run(
            ["pg_dump", "--format=custom", f"--snapshot={row[0]}", f"--file={target}", url],
            capture_output=True,
            text=True,
        )
        conn.rollback()
    if dump.returncode != 0:
        target.unlink(missing_ok=True)
        raise RuntimeError(f"pg_dump failed: {dump.stderr.strip()[-300:]}")
    _sidecar(target).write_text(json.dumps(counts, indent=2))
    return counts


def _compare(source: Path, counts: dict[str, int]) -> list[str]:
    recorded = _sidecar(source)
    if not recorded.exists():
        return [f"no row counts recorded next to the backup ({recorded.name})"]
    problems = []
    for table, n in json.loads(recorded.read_text()).items():
        if counts.get(table) != n:
            problems.append(f"{table}: {counts.get(table)} rows, the backup recorded {n}")
    return problems


def _verify_chain(env: dict[str, str], place: str) -> list[str]:
    # The chain only: anchors taken after the backup name entries the copy cannot have
    # (check those against the live log with `peerpath accesslog verify`).
    env["PEERPATH_ACCESSLOG_ANCHORS"] = str(Path(place) / "no-anchors.jsonl")
    if not env.get("PEERPATH_SECRET_KEY"):
        env["PEERPATH_DEBUG"] = "1"
    verify = subprocess.run(
        [sys.executable, "-m", "peerpath.cli", "accesslog", "verify"],
        env=env,
        capture_output=True,
        text=True,
    )
    if verify.returncode != 0:
        return ["access log: " + (verify.stdout or verify.stderr).strip()[-300:]]
    return []


def restore_postgres(source: Path, url: str) -> list[str]:
    """Restore a pg_dump backup into the empty database at `url` and check it: the row
    counts recorded with the backup and the access log's chain. Returns the problems found
    (empty: the copy is good). A database that holds any table is refused."""
    import psycopg

    try:
        with psycopg.connect(url) as conn:
            row = conn.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            ).fetchone()
    except psycopg.Error as exc:
        return [f"cannot open the target database: {str(exc).strip()[:200]}"]
    if row is None or row[0]:
        return ["the target database is not empty: restore into a new database, never over one"]
    loaded = subprocess.run(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            f"--dbname={url}",
            str(source),
        ],
        capture_output=True,
        text=True,
    )
    if loaded.returncode != 0:
        return [f"pg_restore failed: {loaded.stderr.strip()[-300:]}"]
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        problems = _compare(source, _pg_counts(cursor))
    env = dict(os.environ, DATABASE_URL=url)
    return problems + _verify_chain(env, str(source.parent))


def restore(source: Path, data_dir: Path | str) -> list[str]:
    """Restore a backup and check it: an SQLite copy into the empty folder `data_dir`, a
    PostgreSQL dump into the empty database `data_dir` names (a postgres:// URL). Returns
    the problems found (empty: the copy is good)."""
    if str(data_dir).startswith(("postgres://", "postgresql://")):
        return restore_postgres(source, str(data_dir))
    data_dir = Path(data_dir)
    if data_dir.exists() and any(data_dir.iterdir()):
        return [f"{data_dir} is not empty: restore into a new folder, never over a database"]
    data_dir.mkdir(parents=True, exist_ok=True)
    restored = data_dir / "peerpath.sqlite3"
    shutil.copyfile(source, restored)
    problems: list[str] = []
    with sqlite3.connect(restored) as conn:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            problems.append(f"integrity check: {check}")
        counts = _counts(conn)
    conn.close()
    problems += _compare(source, counts)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PEERPATH_DATA_DIR"] = str(data_dir)
    return problems + _verify_chain(env, str(data_dir))
