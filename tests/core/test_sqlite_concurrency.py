"""The embedded SQLite database takes concurrent writers without "database is locked".

Each test runs a small program in a fresh process with PeerPath's own settings (no
DATABASE_URL: the SQLite file in a temporary data folder), so what is tested is the
configuration an agency runs, not the test suite's in-memory database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROGRAM = textwrap.dedent(
    """
    import json, sys, threading, time
    import django
    django.setup()
    from django.db import connection, connections, transaction

    writers, hold = int(sys.argv[1]), float(sys.argv[2])
    with connection.cursor() as c:
        c.execute("CREATE TABLE work (id INTEGER PRIMARY KEY, who INTEGER, at REAL)")
    connection.close()
    errors, waits, reads = [], [], []
    go = threading.Barrier(writers + 1)

    def write(i):
        go.wait()
        start = time.monotonic()
        try:
            with transaction.atomic():
                waits.append(time.monotonic() - start)
                with connection.cursor() as c:
                    c.execute("INSERT INTO work (who, at) VALUES (%s, %s)", [i, time.time()])
                time.sleep(hold)  # the rest of a slow write: a scrub, a batch, a big save
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    def read():
        go.wait()
        time.sleep(hold)
        start = time.monotonic()
        with connection.cursor() as c:
            c.execute("SELECT count(*) FROM work")
        reads.append(time.monotonic() - start)
        connections.close_all()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    threads.append(threading.Thread(target=read))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM work")
        rows = c.fetchone()[0]
        c.execute("PRAGMA journal_mode")
        mode = c.fetchone()[0]
    print(json.dumps({"errors": errors, "rows": rows, "mode": mode,
                      "max_wait": max(waits or [0]), "read": max(reads or [0])}))
    """
)


def run(tmp_path: Path, writers: int, hold: float) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PEERPATH_ENV")}
    env.update(
        DJANGO_SETTINGS_MODULE="peerpath.settings",
        PEERPATH_DATA_DIR=str(tmp_path),
        PEERPATH_DEBUG="0",
        PEERPATH_SECRET_KEY="concurrency-test-" + "x" * 40,
    )
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(writers), str(hold)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_twelve_slow_writers_at_once_all_get_their_turn(tmp_path):
    """Twelve transactions of half a second each start together: six seconds of writing,
    one writer at a time. With SQLite's default five-second busy timeout the last ones
    failed with "database is locked"; now each waits its turn."""
    result = run(tmp_path, writers=12, hold=0.5)
    assert result["errors"] == []
    assert result["rows"] == 12
    assert result["mode"] == "wal"
    assert result["max_wait"] > 5  # the last writer really did wait longer than 5 s
    assert result["read"] < 1  # readers are never blocked by writers (WAL)


def test_many_quick_writers_never_see_a_locked_database(tmp_path):
    result = run(tmp_path, writers=40, hold=0.01)
    assert result["errors"] == []
    assert result["rows"] == 40
