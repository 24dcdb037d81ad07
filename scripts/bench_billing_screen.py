"""Time the billing screen at scale: python scripts/bench_billing_screen.py [PEOPLE] [--runs N]

    DATABASE_URL=postgres://USER@HOST:5432/bench_NAME python scripts/bench_billing_screen.py 5000

Creates the database DATABASE_URL names (it must not exist yet; it is dropped at the end,
unless --keep), builds a demo agency of PEOPLE people (default 5,000), scrubs every signed
note into a claim line, writes the 837P of the first payer and posts an 835 answering its
first claims (so the screen has held, ready, submitted, paid and denied lines), then asks
for the billing screen (`/billing/`, all lines, held, ready, a later page, and the held list
filtered by its largest reason) as the billing specialist with Django's test client, with
debug off, and prints the median and 95th percentile per page and over all, with the
queries each page ran, the CPU time this process spent per request (Python: the view, the
template, Django; the database server's time is not in it) and the load average before and
after (on a shared machine the wall times follow the load; the CPU times much less).
Without DATABASE_URL it uses a temporary SQLite file.

After building, the tables are vacuumed and analyzed (as autovacuum soon would): right after a
bulk load PostgreSQL has no statistics and plans as if the tables were empty. --reuse times a
database built by an earlier run with --keep (migrating it first), without building again,
and leaves it in place.
"""

from __future__ import annotations

import math
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def _admin_url(url: str) -> tuple[str, str]:
    """(the same server's `postgres` database URL, the benchmark database's name)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith("bench"):
        raise SystemExit(f"refusing to create and drop {name!r}: name it bench_something")
    return urlunsplit(parts._replace(path="/postgres")), name


def _create_or_drop(url: str, *, create: bool) -> None:
    import psycopg

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')
        else:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))
    return ordered[k]


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    people = int(args[0]) if args else 5_000
    runs = 20
    if "--runs" in sys.argv:
        runs = int(sys.argv[sys.argv.index("--runs") + 1])
        args = [a for a in args if a != str(runs)]
    keep = "--keep" in sys.argv
    reuse = "--reuse" in sys.argv
    url = os.environ.get("DATABASE_URL", "")
    tmp = tempfile.TemporaryDirectory(prefix="peerpath-bench-")
    os.environ.update(
        PEERPATH_DATA_DIR=tmp.name,
        PEERPATH_DEBUG="0",
        PEERPATH_SECRET_KEY=secrets.token_urlsafe(64),
        PEERPATH_REQUIRE_2FA="0",
        PEERPATH_HTTPS="0",
        PEERPATH_ALLOWED_HOSTS="testserver",
        DJANGO_SETTINGS_MODULE="peerpath.settings",
    )
    if reuse and not url:
        raise SystemExit("--reuse needs DATABASE_URL")
    if url and not reuse:
        _create_or_drop(url, create=True)
    try:
        _run(people, runs, "PostgreSQL" if url else "SQLite", "--profile" in sys.argv, reuse)
    finally:
        if url and not keep and not reuse:  # a reused database is left as it was found
            from django.db import connections

            connections.close_all()
            _create_or_drop(url, create=False)
        tmp.cleanup()
    return 0


def _run(people: int, runs: int, engine: str, profile: bool, reuse: bool) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from peerpath.billing.models import ClaimLine, LineStatus
    from peerpath.billing.selectors import held_groups
    from peerpath.organizations.models import Agency
    from peerpath.people.models import Person
    from peerpath.staff.models import Role, StaffMember

    call_command("migrate", verbosity=0)
    if not reuse:
        _build(people, engine)
    agency = Agency.objects.get()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("billing_claimline", "billing_linehold", "billing_claim",
                          "people_person", "billing_linepayment"):  # fmt: skip
                cursor.execute(f"VACUUM ANALYZE {table}")
    counts = dict(
        ClaimLine.objects.filter(is_current=True)
        .values_list("status")
        .annotate(n=django.db.models.Count("pk"))
    )
    print(f"{engine}: {Person.objects.count():,} people, {ClaimLine.objects.count():,} claim lines")
    print("current lines by status: " + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())))

    staff = (
        StaffMember.objects.filter(role=Role.BILLING, user__isnull=False, agency=agency)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if staff is None or staff.user is None:
        raise SystemExit("the demo has no billing specialist with a login")
    groups = held_groups(Person.objects.filter(agency=agency), outsider=False)
    pages = {
        "/billing/": "all lines",
        f"/billing/?status={LineStatus.HELD}": "held",
        f"/billing/?status={LineStatus.READY}": "ready",
        "/billing/?page=40": "all lines, page 40",
    }
    if groups:
        pages[f"/billing/?status=held&rule={groups[0].rule_id}"] = f"held for {groups[0].rule_id}"
    client = Client()
    client.force_login(staff.user)
    every: list[float] = []
    every_cpu: list[float] = []
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"billing screen as {staff.get_role_display()}, {runs} runs per page after one warm-up:")
    for path, label in pages.items():
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        queries: list[str] = []

        def count(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            client.get(path)
        times, cpu = [], []
        for _ in range(runs):
            t, c = time.perf_counter(), time.process_time()
            response = client.get(path)
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
            assert response.status_code == 200
        every += times
        every_cpu += cpu
        print(
            f"  {label:<38} median {statistics.median(times):6.1f} ms  "
            f"p95 {_percentile(times, 0.95):6.1f} ms  "
            f"(this process's CPU {statistics.median(cpu):5.1f} ms; {len(queries)} queries)"
        )
    if profile:
        import cProfile
        import pstats

        with cProfile.Profile() as prof:
            client.get("/billing/")
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    print(
        f"  {'over all pages':<38} median {statistics.median(every):6.1f} ms  "
        f"p95 {_percentile(every, 0.95):6.1f} ms  "
        f"(this process's CPU {statistics.median(every_cpu):5.1f} ms)"
    )
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))


def _build(people: int, engine: str) -> None:
    from peerpath.billing.models import ClaimLine
    from peerpath.billing.remittance import post_remittance
    from peerpath.billing.services import batch_create, lines_scrub
    from peerpath.billing.x12.remit_builder import ClaimOutcome, LineOutcome, build_835_from_837
    from peerpath.demo.generator import generate
    from peerpath.organizations.models import Agency, Payer

    t0 = time.perf_counter()
    report = generate(people=people)
    agency = Agency.objects.get()
    result = lines_scrub(actor=None, agency=agency, today=report.end)
    payer = Payer.objects.order_by("pk").first()
    if payer is None:
        raise SystemExit("the demo has no payer")
    batch = batch_create(actor=None, agency=agency, payer=payer, today=report.end, scrub=False)
    posted = 0
    if batch is not None:
        outcomes: dict[str, ClaimOutcome | LineOutcome | None] = {}
        for claim in batch.claims.order_by("pk").prefetch_related("lines"):
            if posted >= 3_000:
                outcomes[claim.patient_control_number] = None  # not answered yet
                continue
            lines = sorted(claim.lines.all(), key=lambda x: x.line_number or 0)
            answers = {k: LineOutcome.deny("197") for k in range(1, len(lines) + 1) if k % 9 == 0}
            outcomes[claim.patient_control_number] = ClaimOutcome(lines=answers)
            posted += len(lines)
        text = build_835_from_837(batch.file_text, outcomes, trace_number="SCREEN1")
        post_remittance(actor=None, text=text, agency=agency)
    print(
        f"{engine}: demo of {people:,} people, {ClaimLine.objects.count():,} claim lines "
        f"({result.held:,} held; {batch.line_count if batch else 0:,} billed, {posted:,} "
        f"answered) built in {time.perf_counter() - t0:.0f} s"
    )


if __name__ == "__main__":
    sys.exit(main())
