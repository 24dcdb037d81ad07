"""Time the program's outcomes view: python scripts/bench_outcomes.py [PEOPLE] [--keep=DIR]

Builds a demo agency of PEOPLE people (default 5,000) in a fresh SQLite file, with its
BARC-10 measures, then prints the time of the program view over the whole agency (what an
administrator or auditor opens: paired change, threshold share, by peer specialist, payer
and dose band, MHSIP percent positive) and of its CSV export. Target: under 300 ms at 5,000.
With --keep=DIR the database is kept in DIR and reused by the next run (no rebuild).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

RUNS = 7


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    people = int(args[0]) if args else 5000
    keep = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--keep=")), "")
    with tempfile.TemporaryDirectory(prefix="peerpath-bench-") as scratch:
        tmp = keep or scratch
        Path(tmp).mkdir(parents=True, exist_ok=True)
        os.environ["PEERPATH_DATA_DIR"] = tmp
        os.environ.pop("DATABASE_URL", None)
        os.environ.setdefault("PEERPATH_DEBUG", "1")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerpath.settings")
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        import django

        django.setup()
        from django.core.management import call_command

        from peerpath.demo.generator import generate
        from peerpath.organizations.models import Agency
        from peerpath.outcomes.exports import program_csv
        from peerpath.outcomes.models import Administration
        from peerpath.outcomes.program import program_view
        from peerpath.people.models import Person

        call_command("migrate", verbosity=0)
        began = time.perf_counter()
        if not Agency.objects.exists():
            generate(people=people)
        measures = Administration.objects.count()
        print(
            f"demo agency of {people:,} people ({measures:,} measures) built in "
            f"{time.perf_counter() - began:.1f} s"
        )
        scope = Person.objects.filter(agency=Agency.objects.get())
        view_times, csv_times = [], []
        for _ in range(RUNS):
            t0 = time.perf_counter()
            view = program_view(scope)
            view_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            program_csv(view)
            csv_times.append(time.perf_counter() - t0)
        change = view.overall.shown
        print(
            f"program view: median {statistics.median(view_times) * 1000:.0f} ms, best "
            f"{min(view_times) * 1000:.0f} ms over {RUNS} runs (target < 300 ms); "
            f"CSV export {statistics.median(csv_times) * 1000:.0f} ms"
        )
        print(
            f"  {view.people_in_scope:,} people, {view.measured:,} measured, "
            f"{view.overall.n_paired:,} paired; change {change['change_signed']} "
            f"({change['low']} to {change['high']}); at threshold {change['share_first']}% -> "
            f"{change['share_latest']}%"
        )
        for g in view.by_dose:
            print(f"  {g.label}: {g.n_paired:,} people, change {g.shown['change_signed']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
