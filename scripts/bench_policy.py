"""Time the policy engine on a demo agency: python scripts/bench_policy.py [PEOPLE]

Builds a demo agency of PEOPLE people (default 160) in a fresh SQLite file, then prints:
- checking one person's whole record with a draft note laid over it (the live check while
  a note is written: the extract from the database, then the pack's rules on the live
  engine, SQLite), median and 95th percentile over 50 people, after a warm-up;
- the whole agency: the extract of every table, and evaluating every pack over it.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    people = int(sys.argv[1]) if len(sys.argv) > 1 else 160
    with tempfile.TemporaryDirectory(prefix="peerpath-bench-") as tmp:
        os.environ["PEERPATH_DATA_DIR"] = tmp
        os.environ.pop("DATABASE_URL", None)
        os.environ.setdefault("PEERPATH_DEBUG", "1")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerpath.settings")
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        import django

        django.setup()
        from django.core.management import call_command

        from peerpath.demo.generator import generate
        from peerpath.policy.checks import check_person, run_packs
        from peerpath.policy.extract import extract
        from peerpath.services.models import ServiceNote

        call_command("migrate", verbosity=0)
        began = time.perf_counter()
        generate(people=people)
        print(f"demo agency of {people} people built in {time.perf_counter() - began:.1f} s")

        notes = list(
            ServiceNote.objects.filter(status="signed", kind="individual")
            .order_by("pk")
            .values("person_id", "staff_id", "date", "goal_id", "intervention_id", "goal__plan_id")[
                :: max(1, people // 50)
            ][:50]
        )
        as_of = max(n["date"] for n in notes)

        def one(n: dict[str, object]) -> float:
            draft = {
                "person_id": n["person_id"],
                "staff_id": n["staff_id"],
                "date": n["date"],
                "start_min": 17 * 60,
                "end_min": 17 * 60 + 45,
                "modality": "in_person",
                "setting": "community",
                "kind": "individual",
                "activity": "peer_mentoring",
                "goal_id": n["goal_id"],
                "intervention_id": n["intervention_id"],
                "goal_plan_id": n["goal__plan_id"],
                "status": "draft",
            }
            t0 = time.perf_counter()
            check_person(int(str(n["person_id"])), as_of=as_of, draft=draft)
            return (time.perf_counter() - t0) * 1000

        for n in notes[:3]:
            one(n)  # warm-up: compiles each rule's SQL once per process
        times = sorted(one(n) for n in notes)
        p95 = times[int(len(times) * 0.95) - 1]
        print(
            f"one person's record + a draft note: median {statistics.median(times):.0f} ms, "
            f"p95 {p95:.0f} ms over {len(times)} people"
        )

        t0 = time.perf_counter()
        data = extract()
        t1 = time.perf_counter()
        findings = run_packs(data, as_of=as_of)
        t2 = time.perf_counter()
        run_packs(data, as_of=as_of)
        t3 = time.perf_counter()
        rows = sum(t.num_rows for t in data.values())
        print(
            f"whole agency: extract {t1 - t0:.2f} s ({rows:,} rows), "
            f"evaluate every pack {t2 - t1:.2f} s the first time (compiling each rule's SQL), "
            f"{t3 - t2:.2f} s again; {len(findings)} findings"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
