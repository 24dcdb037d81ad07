"""Time the load benchmark's pages one at a time: where a page's own cost lies.

    python scripts/bench_pages.py --data-dir DIR [--runs 10] [--profile PAGE]
    DATABASE_URL=postgres://... python scripts/bench_pages.py [--runs 10]

Uses an existing demo agency (the SQLite file in DIR, as `scripts/bench_load.py --data-dir`
leaves it, or the PostgreSQL database DATABASE_URL names), production settings with debug
off, and Django's test client signed in as the demo's first peer specialist, supervisor and
billing specialist. For each page of the mixed day (`scripts/locustfile.py`) it prints the
median and 95th percentile of single requests, the median CPU time of this process (the
steadier figure on a shared machine; the database's own work is in it, SQLite running in
the process, PostgreSQL's is not) and the queries one request runs. Twenty
users on two cores share the machine, so a page's single-user time times the users' rate
is what the load benchmark's percentiles grow from. `--profile PAGE` (a label below, such
as `chart`) prints the functions that take the time in one request (PROFILE_SORT=tottime
sorts by own time, PROFILE_N=100 prints more lines).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PERSON = re.compile(r'href="/people/(\d+)/"')
INTERVENTION = re.compile(r'name="intervention" value="(\d+)"')


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--profile", default="")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL") and not args.data_dir:
        raise SystemExit("give --data-dir (SQLite) or DATABASE_URL (PostgreSQL)")
    os.environ.update(
        PEERPATH_DATA_DIR=str(args.data_dir or ROOT),
        PEERPATH_DEBUG="0",
        PEERPATH_SECRET_KEY=os.environ.get("PEERPATH_SECRET_KEY") or secrets.token_urlsafe(64),
        PEERPATH_REQUIRE_2FA="0",
        PEERPATH_HTTPS="0",
        PEERPATH_ALLOWED_HOSTS="testserver",
        DJANGO_SETTINGS_MODULE="peerpath.settings",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from peerpath.staff.models import Role, StaffMember
    from peerpath.staff.selectors import forget_boards

    def client_for(role: str) -> Client:
        staff = (
            StaffMember.objects.filter(role=role, user__isnull=False, agency__isnull=False)
            .select_related("user")
            .order_by("pk")
            .first()
        )
        if staff is None or staff.user is None:
            raise SystemExit(f"the demo has no {role} with a login")
        client = Client()
        client.force_login(staff.user)
        return client

    peer = client_for(Role.CPSS)
    day = peer.get("/day/").content.decode()
    people = PERSON.findall(day)
    if not people:
        raise SystemExit("the peer specialist's day lists nobody")
    person = people[0]
    form = peer.get(f"/people/{person}/notes/new/").content.decode()
    found = INTERVENTION.findall(form)
    note = {
        "intervention": found[0] if found else "",
        "date": "2026-09-29",
        "start_time": "10:00",
        "end_time": "10:50",
        "modality": "in_person",
        "setting": "home",
        "intervention_text": "We practiced calling a landlord.",
        "response": "She said she felt ready.",
    }
    pages = {
        "day": (peer, "get", "/day/", None),
        "chart": (peer, "get", f"/people/{person}/", None),
        "note form": (peer, "get", f"/people/{person}/notes/new/", None),
        "live check": (peer, "post", f"/people/{person}/notes/check/", note),
        "board": (client_for(Role.SUPERVISOR), "get", "/team/", None),
        # The same board computed afresh, as after any recorded change (a kept board is
        # reused until then: peerpath.staff.selectors.board_for).
        "board, new": (client_for(Role.SUPERVISOR), "get", "/team/", None),
        "billing": (client_for(Role.BILLING), "get", "/billing/", None),
    }
    database = connection.vendor
    print(f"{database}, {args.runs} runs per page after one warm-up, debug off")
    every: list[float] = []
    for label, (client, method, path, data) in pages.items():

        def ask(client: Client = client, method: str = method, path: str = path,
                data: dict[str, str] | None = data, label: str = label) -> int:  # fmt: skip
            if method == "post":
                return client.post(path, data, headers={"HX-Request": "true"}).status_code
            if label.endswith(", new"):
                forget_boards()
            return client.get(path).status_code

        status = ask()
        if status != 200:
            raise SystemExit(f"{label} ({path}) answered {status}")
        queries: list[str] = []

        def count(execute, sql, params, many, context, queries=queries):  # type: ignore[no-untyped-def]
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            ask()
        times, cpu = [], []
        for _ in range(args.runs):
            t, c = time.perf_counter(), time.process_time()
            ask()
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
        every += times
        print(
            f"  {label:<12} {path:<30} median {statistics.median(times):7.1f} ms  "
            f"p95 {_percentile(times, 0.95):7.1f} ms  cpu {statistics.median(cpu):6.1f} ms  "
            f"({len(queries)} queries)"
        )
        if label == args.profile:
            import cProfile
            import pstats

            with cProfile.Profile() as prof:
                ask()
            stats = pstats.Stats(prof).sort_stats(os.environ.get("PROFILE_SORT", "cumulative"))
            stats.print_stats(int(os.environ.get("PROFILE_N", "40")))
    print(
        f"  {'all pages':<47} median {statistics.median(every):7.1f} ms  "
        f"p95 {_percentile(every, 0.95):7.1f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
