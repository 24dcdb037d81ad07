#!/usr/bin/env python3
"""Set up PeerPath in ./.venv and run it. Needs only Python 3.11.

    python3 dev.py demo    install, create the SQLite database, load the demo agency, serve it
    python3 dev.py test    install, then lint, type-check, and run the whole test suite on
                           SQLite and (when a server answers) PostgreSQL

Environment: DATABASE_URL picks the database for `demo`; PEERPATH_TEST_POSTGRES_URL the
PostgreSQL server for tests (default postgres://postgres@127.0.0.1:5432/test; the tests create
and drop their own database on it). With CI=true, or --require-postgres, a missing PostgreSQL
server fails the test run instead of being skipped.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
STAMP = VENV / ".peerpath-installed"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/test"


def run(*cmd: str | Path, env: dict[str, str] | None = None) -> int:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.call([str(c) for c in cmd], cwd=ROOT, env=env)


def setup() -> None:
    """Create the virtualenv and install pinned requirements, once per change of them."""
    if sys.version_info[:2] != (3, 11):
        sys.exit(f"PeerPath needs Python 3.11; this is {sys.version.split()[0]}.")
    wanted = hashlib.sha256(
        (ROOT / "requirements.txt").read_bytes() + (ROOT / "pyproject.toml").read_bytes()
    ).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print(f"Creating {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    pip = [BIN / "python", "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    if run(*pip, "-r", ROOT / "requirements.txt") or run(*pip, "--no-deps", "-e", ROOT):
        sys.exit("Installing the requirements failed (see above).")
    STAMP.write_text(wanted)


def postgres_reachable(url: str) -> bool:
    probe = (
        "import sys, psycopg\n"
        "try:\n    psycopg.connect(sys.argv[1], connect_timeout=3).close()\n"
        "except Exception as exc:\n    print(f'  ({type(exc).__name__})'); sys.exit(1)\n"
    )
    return subprocess.call([str(BIN / "python"), "-c", probe, url], cwd=ROOT) == 0


def test(args: list[str]) -> int:
    require_pg = "--require-postgres" in args or os.environ.get("CI", "").lower() == "true"
    pytest_args = [a for a in args if a != "--require-postgres"]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PEERPATH_TESTING"] = "1"
    steps = [
        ("ruff", [BIN / "ruff", "check", "."]),
        ("mypy", [BIN / "mypy", "peerpath"]),
        ("migrations", [BIN / "python", "manage.py", "makemigrations", "--check", "--dry-run"]),
    ]
    for name, cmd in steps:
        if run(*cmd, env=env):
            print(f"FAILED: {name}")
            return 1
    # Two workers: the machines this runs on have two cores.
    pytest = [BIN / "python", "-m", "pytest", "-p", "no:cacheprovider", "-n", "2", *pytest_args]
    print("\n== Tests on SQLite ==", flush=True)
    if run(*pytest, env=env):
        return 1
    pg_url = os.environ.get("PEERPATH_TEST_POSTGRES_URL", DEFAULT_PG)
    print("\n== Tests on PostgreSQL ==", flush=True)
    if not postgres_reachable(pg_url):
        if require_pg:
            print("FAILED: PostgreSQL is required here (CI) but no server answered.")
            return 1
        print("PostgreSQL run NOT done: no server answered. The SQLite run above passed.")
        return 0
    return run(*pytest, env={**env, "DATABASE_URL": pg_url})


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in {"demo", "test", "setup"}:
        print(__doc__)
        return 2
    command, rest = sys.argv[1], sys.argv[2:]
    setup()
    if command == "setup":
        return 0
    if command == "test":
        return test(rest)
    os.environ["PEERPATH_DEBUG"] = "1"
    return run(BIN / "peerpath", "demo", *rest)


if __name__ == "__main__":
    sys.exit(main())
