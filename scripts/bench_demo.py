"""Time the demo generator: python scripts/bench_demo.py [PEOPLE] [--validate | --no-validate]

Writes into a fresh SQLite file in a temporary directory (migrated first, not timed) and
prints people per second. Default: 10,000 people, validated with full_clean() only up to
2,000 people (the generator's own default).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    people = int(args[0]) if args else 10_000
    validate = True if "--validate" in sys.argv else False if "--no-validate" in sys.argv else None
    with tempfile.TemporaryDirectory(prefix="peerpath-bench-") as tmp:
        os.environ["PEERPATH_DATA_DIR"] = tmp
        os.environ.pop("DATABASE_URL", None)
        os.environ.setdefault("PEERPATH_DEBUG", "1")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerpath.settings")
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        import django

        django.setup()
        from django.core.management import call_command

        from peerpath.core import codes
        from peerpath.demo.generator import generate

        call_command("migrate", verbosity=0)
        codes.icd10_description("F33.1")  # load the ICD-10-CM table outside the timing
        began = time.perf_counter()
        report = generate(people=people, validate=validate)
        seconds = time.perf_counter() - began
        size = Path(tmp, "peerpath.sqlite3").stat().st_size / 1e6
        notes = report.counts.get("services.ServiceNote", 0)
        print(
            f"{people:,} people, {notes:,} notes, {sum(report.counts.values()):,} rows, "
            f"{len(report.defects):,} planted defects in {seconds:.1f} s: "
            f"{people / seconds:,.0f} people/s ({size:,.0f} MB of SQLite)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
