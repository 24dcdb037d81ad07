"""`peerpath backup` and `peerpath restore`: a copy of the database taken while PeerPath
runs, and the restore drill that proves a copy is good (docs/deploy.md, section 4).

SQLite: SQLite's online backup (a consistent copy while others write), then an integrity
check of the copy. PostgreSQL: pg_dump in its custom format (pg_restore reads it).
`restore` puts an SQLite copy into a new, empty data folder (never over the live one) and
checks it there: integrity, the row counts recorded when the copy was taken, and the access
log's hash chain (`peerpath accesslog verify` on the restored copy).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

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
    if connection.vendor == "postgresql":
        url = os.environ.get("DATABASE_URL", "")
        subprocess.run(["pg_dump", "--format=custom", f"--file={target}", url], check=True)
        return {}
    if target.exists():
        raise FileExistsError(f"{target} exists; choose a new file name for each backup")
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


def restore(source: Path, data_dir: Path) -> list[str]:
    """Restore an SQLite backup into the empty folder `data_dir` and check it. Returns the
    problems found (empty: the copy is good)."""
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
    recorded = _sidecar(source)
    if recorded.exists():
        expected = json.loads(recorded.read_text())
        for table, n in expected.items():
            if counts.get(table) != n:
                problems.append(f"{table}: {counts.get(table)} rows, the backup recorded {n}")
    else:
        problems.append(f"no row counts recorded next to the backup ({recorded.name})")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PEERPATH_DATA_DIR"] = str(data_dir)
    # The chain only: anchors taken after the backup name entries the copy cannot have
    # (check those against the live log with `peerpath accesslog verify`).
    env["PEERPATH_ACCESSLOG_ANCHORS"] = str(data_dir / "no-anchors.jsonl")
    if not env.get("PEERPATH_SECRET_KEY"):
        env["PEERPATH_DEBUG"] = "1"
    verify = subprocess.run(
        [sys.executable, "-m", "peerpath.cli", "accesslog", "verify"],
        env=env,
        capture_output=True,
        text=True,
    )
    if verify.returncode != 0:
        problems.append("access log: " + (verify.stdout or verify.stderr).strip()[-300:])
    return problems
