"""Load benchmark: 20 people doing a mixed day against the production server.

    python scripts/bench_load.py [--people 300] [--users 20] [--seconds 60] [--port 8102]
                                 [--data-dir DIR] [--reuse]

Builds a demo agency (SQLite in DIR, kept there for the next run, or the PostgreSQL database
DATABASE_URL names, which should be empty; `--reuse` uses the agency a run left there),
starts `peerpath serve` (gunicorn, production settings, no debug), runs locust headless with
scripts/locustfile.py (peer specialists: day, chart, note form and its live check;
supervisors: the team board; billing: the worklist), and prints the median and 95th-
percentile response times and the errors, per page and overall. The figures in
docs/deploy.md come from this script.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _env(data_dir: Path) -> dict[str, str]:
    # The server's size may be chosen (PEERPATH_WEB_WORKERS, PEERPATH_WEB_THREADS), and the
    # keeping of boards between requests (PEERPATH_BOARD_CACHE_SECONDS=0: every board
    # computed, as when changes are recorded all the time); other settings of the calling
    # shell are left out.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PEERPATH_")
        or k.startswith("PEERPATH_WEB_")
        or k == "PEERPATH_BOARD_CACHE_SECONDS"
    }
    env.update(
        PEERPATH_DATA_DIR=str(data_dir),
        PEERPATH_SECRET_KEY=secrets.token_urlsafe(64),
        PEERPATH_REQUIRE_2FA="0",
        PEERPATH_ALLOWED_HOSTS="127.0.0.1,localhost",
    )
    return env


def _accounts(env: dict[str, str]) -> dict[str, str]:
    probe = (
        "import django; django.setup()\n"
        "from peerpath.cli import _demo_logins\n"
        "from peerpath.staff.models import StaffMember\n"
        "_demo_logins()\n"
        "for role in ('cpss', 'supervisor', 'billing'):\n"
        "    s = StaffMember.objects.filter(role=role, user__isnull=False, agency__isnull=False)"
        ".order_by('pk').first()\n"
        "    print(role, s.user.username)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "peerpath.settings"},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(line.split() for line in out.strip().splitlines())


def _wait(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"The server did not answer at {url}.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--port", type=int, default=8102)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="PostgreSQL: use the demo agency already in DATABASE_URL's database",
    )
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="peerpath-load-"))
    env = _env(data_dir)
    peerpath = str(BIN / "peerpath")
    postgres = bool(os.environ.get("DATABASE_URL"))
    if (postgres and not args.reuse) or (
        not postgres and not (data_dir / "peerpath.sqlite3").exists()
    ):
        print(f"Building a demo agency of {args.people} people ...", flush=True)
        subprocess.run(
            [peerpath, "generate", "--people", str(args.people)], cwd=ROOT, env=env, check=True
        )
    accounts = _accounts(env)
    database = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    server = subprocess.Popen(
        [peerpath, "serve", "--port", str(args.port), "--no-worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        host = f"http://127.0.0.1:{args.port}"
        _wait(f"{host}/health")
        stats = data_dir / "locust"
        times = data_dir / "locust_times.csv"
        subprocess.run(
            [
                str(BIN / "locust"),
                "-f",
                str(ROOT / "scripts" / "locustfile.py"),
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(args.users),
                "--run-time",
                f"{args.seconds}s",
                "--host",
                host,
                "--csv",
                str(stats),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env={
                **env,
                "PEERPATH_BENCH_CPSS": accounts["cpss"],
                "PEERPATH_BENCH_SUPERVISOR": accounts["supervisor"],
                "PEERPATH_BENCH_BILLING": accounts["billing"],
                "PEERPATH_BENCH_TIMES": str(times),
            },
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    with open(f"{stats}_stats.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    load = os.getloadavg()[0]
    print(
        f"\n{args.users} users, {args.seconds} s, {args.people} people, {database}, "
        f"{os.cpu_count()} cores (load average {load:.1f} at the end)"
    )
    print(f"{'page':<44} {'requests':>8} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7}")
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "ALL"
        print(
            f"{name[:44]:<44} {row['Request Count']:>8} {row['Failure Count']:>6} "
            f"{row['50%']:>7} {row['95%']:>7}"
        )
    total = next(r for r in rows if r["Name"] == "Aggregated")
    # The mixed day is the pages after signing in: each simulated user signs in once
    # (an Argon2 check, slow on purpose), which the table above shows on its own rows.
    with open(times, newline="") as f:
        day = [(float(ms), int(err)) for name, ms, err in csv.reader(f) if "/signin/" not in name]
    if day:
        ordered = sorted(ms for ms, _ in day)

        def pct(q: float) -> float:
            return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]

        print(
            f"{'mixed day without sign-in':<44} {len(day):>8} {sum(e for _, e in day):>6} "
            f"{pct(0.5):>7.0f} {pct(0.95):>7.0f}"
        )
    return 0 if total["Failure Count"] == "0" else 1


if __name__ == "__main__":
    sys.exit(main())
