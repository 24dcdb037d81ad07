"""Time the policy engine on a demo agency: python scripts/bench_policy.py [PEOPLE]

Builds a demo agency of PEOPLE people (default 5,000) in a fresh SQLite file, then prints,
side by side:

- the agency check BEFORE and AFTER, on the same data, extract and evaluate timed apart:
  - extract before: each table's rows turned into Python values one by one (a dict per row,
    as the first version read the database); after: the engine's extract, read by column
    (`peerpath.policy.extract`, COPY on PostgreSQL);
  - evaluate before: every pack in force run over the whole data, findings made into Python
    objects and filtered to the agency in Python; after: one run whose scope (the agency) is
    applied inside the SQL, findings left as an Arrow table;
- the live check while a note is written (`check_note`: the person's record read from the
  database with the draft laid over it, the rules on the live engine), median and 95th
  percentile over 50 people after a warm-up. Target: median under 50 ms.

Figures, not assertions: run it on a quiet machine.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> int:
    people = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with tempfile.TemporaryDirectory(prefix="peerpath-bench-") as tmp:
        os.environ["PEERPATH_DATA_DIR"] = tmp
        os.environ.pop("DATABASE_URL", None)
        # Production settings (debug off: Django keeps no log of every query), with a
        # throwaway key for this temporary database.
        os.environ.setdefault("PEERPATH_DEBUG", "0")
        os.environ.setdefault("PEERPATH_SECRET_KEY", secrets.token_urlsafe(50))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerpath.settings")
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        import django

        django.setup()
        from django.core.management import call_command

        from peerpath.demo.generator import generate
        from peerpath.organizations.models import Agency
        from peerpath.policy import extract as extract_module
        from peerpath.policy.checks import check_note
        from peerpath.policy.engine import EVALUATOR, Scope
        from peerpath.policy.parameters import load_packs
        from peerpath.services.models import ServiceNote

        call_command("migrate", verbosity=0)
        report, took = _timed(lambda: generate(people=people))
        print(f"demo agency of {people:,} people built in {took:.1f} s")
        as_of: dt.date = report.end
        agency_ids = list(Agency.objects.values_list("pk", flat=True))

        # ---- extract: value by value (before) and by column (after) ------------------------
        columnar = extract_module._columns

        def value_by_value(rows: Any, schema: Any) -> Any:
            # A Python dict per row and a Python value per cell, as the first extract did,
            # then the same typed columns.
            records = [dict(zip(schema.names, r, strict=True)) for r in rows]
            return columnar([tuple(rec[n] for n in schema.names) for rec in records], schema)

        extract_module._columns = value_by_value  # type: ignore[assignment]
        try:
            before_data, extract_before = _timed(extract_module.extract)
        finally:
            extract_module._columns = columnar
        data, extract_after = _timed(extract_module.extract)
        rows = sum(t.num_rows for t in data.values())
        assert sum(t.num_rows for t in before_data.values()) == rows

        # ---- evaluate: whole packs then Python filter (before); scope in SQL (after) -------
        packs = load_packs()
        EVALUATOR.run(data, as_of=as_of, scope=Scope(agencies=agency_ids))  # compile once

        def evaluate_before() -> int:
            kept = 0
            people_of_agency = {
                pid
                for pid, aid in zip(
                    data["people"].column("person_id").to_pylist(),
                    data["people"].column("agency_id").to_pylist(),
                    strict=True,
                )
                if aid in agency_ids
            }
            for pack_id in packs:
                found = EVALUATOR.run(data, as_of=as_of, scope=Scope(packs=[pack_id])).objects()
                kept += sum(
                    1 for f in found if f.person_id is None or f.person_id in people_of_agency
                )
            return kept

        def evaluate_after() -> int:
            return len(EVALUATOR.run(data, as_of=as_of, scope=Scope(agencies=agency_ids)))

        n_before, eval_before = _timed(evaluate_before)
        n_after, eval_after = _timed(evaluate_after)

        print(f"\nagency check on {rows:,} rows ({people:,} people)")
        print(f"{'':24}{'before':>12}{'after':>12}")
        print(f"{'extract':24}{extract_before:>11.2f}s{extract_after:>11.2f}s")
        print(f"{'evaluate':24}{eval_before:>11.2f}s{eval_after:>11.2f}s")
        print(
            f"{'total':24}{extract_before + eval_before:>11.2f}s"
            f"{extract_after + eval_after:>11.2f}s"
        )
        print(f"{'findings':24}{n_before:>12,}{n_after:>12,}")

        # ---- the live check while a note is written -----------------------------------------
        # It runs in a web worker, not beside a batch run's tables: drop those first (their
        # millions of objects would slow every garbage collection the check triggers).
        before_data = data = {}
        gc.collect()
        notes = list(
            ServiceNote.objects.filter(status="signed", kind="individual")
            .order_by("pk")
            .values("person_id", "staff_id", "date", "goal_id", "intervention_id", "goal__plan_id")
        )
        step = max(1, len(notes) // 50)
        sample = notes[::step][:50]

        def one(n: dict[str, Any]) -> float:
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
            _, took = _timed(lambda: check_note(draft, as_of=as_of))
            return took * 1000

        for n in sample[:3]:
            one(n)  # warm-up: compiles each rule's SQL once per process
        times = sorted(one(n) for n in sample)
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        median = statistics.median(times)
        verdict = "within" if median < 50 else "OVER"
        print(
            f"\nlive check (a draft note over one person's record): median {median:.0f} ms, "
            f"p95 {p95:.0f} ms over {len(times)} people ({verdict} the 50 ms target)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
