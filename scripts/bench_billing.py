"""Time billing on a demo agency: python scripts/bench_billing.py [LINES] [--validate]

Builds a demo agency with about LINES signed notes (default 100,000) in a fresh SQLite
file, then prints the time to:
- scrub every signed note into a claim line (the policy engine over every table, plus what
  a claim needs), with how many lines are ready and held;
- write the 837P of each payer from the ready lines (claims, lines, the file, its checks);
- post an 835 answering each file (about one line in twenty denied, one in twenty paid in
  part), as the posting job does, with the rate in lines per second;
- with --validate, also validate each file with pyx12 (slow on large files).
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
import time
from pathlib import Path

NOTES_PER_PERSON = 31.6  # signed notes per person in the default six-month demo


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    lines = int(args[0]) if args else 100_000
    validate = "--validate" in sys.argv
    people = max(150, math.ceil(lines / NOTES_PER_PERSON))
    with tempfile.TemporaryDirectory(prefix="peerpath-bench-") as tmp:
        os.environ["PEERPATH_DATA_DIR"] = tmp
        os.environ.pop("DATABASE_URL", None)
        os.environ.setdefault("PEERPATH_DEBUG", "1")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerpath.settings")
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        import django

        django.setup()
        from django.core.management import call_command

        from peerpath.billing.models import ClaimLine
        from peerpath.billing.services import batch_create, lines_scrub
        from peerpath.billing.x12.claim837 import validate_837
        from peerpath.demo.generator import generate
        from peerpath.organizations.models import Agency, Payer
        from peerpath.services.models import ServiceNote

        call_command("migrate", verbosity=0)
        began = time.perf_counter()
        report = generate(people=people)
        signed = ServiceNote.objects.filter(status="signed").count()
        print(
            f"demo agency of {people:,} people ({signed:,} signed notes) built in "
            f"{time.perf_counter() - began:.1f} s"
        )
        agency = Agency.objects.get()

        t0 = time.perf_counter()
        result = lines_scrub(actor=None, agency=agency, today=report.end)
        scrub = time.perf_counter() - t0
        print(f"scrub: {scrub:.1f} s for {result.created:,} lines; {result.summary()}")

        t0 = time.perf_counter()
        written = []
        for payer in Payer.objects.order_by("pk"):
            batch = batch_create(
                actor=None, agency=agency, payer=payer, today=report.end, scrub=False
            )
            if batch is not None:
                written.append(batch)
        write = time.perf_counter() - t0
        billed = sum(b.line_count for b in written)
        size = sum(len(b.file_text) for b in written)
        print(
            f"837P: {write:.1f} s for {billed:,} lines in {sum(b.claim_count for b in written):,} "
            f"claims, {len(written)} files, {size / 1e6:.1f} MB"
        )
        total = ClaimLine.objects.count()
        per = (scrub + write) * 100_000 / max(1, total)
        print(
            f"scrub and write: {scrub + write:.1f} s for {total:,} lines ({per:.1f} s per 100,000)"
        )
        from decimal import Decimal

        from peerpath.billing.remittance import post_remittance
        from peerpath.billing.x12.remit_builder import (
            ClaimOutcome,
            LineOutcome,
            build_835_from_837,
        )

        post = 0.0  # posting only; building the test 835s is not counted
        posted_lines = 0
        for n, b in enumerate(written, start=1):
            outcomes: dict[str, ClaimOutcome | LineOutcome | None] = {}
            for i, claim in enumerate(b.claims.order_by("pk").prefetch_related("lines")):
                lines = sorted(claim.lines.all(), key=lambda x: x.line_number or 0)
                answers = {}
                for k, line in enumerate(lines, start=1):
                    if (i + k) % 20 == 0:
                        answers[k] = LineOutcome.deny("197")
                    elif (i + k) % 20 == 1 and line.charge > 1:
                        answers[k] = LineOutcome.part((line.charge / 2).quantize(Decimal("0.01")))
                outcomes[claim.patient_control_number] = ClaimOutcome(lines=answers)
            text = build_835_from_837(
                b.file_text, outcomes, trace_number=f"BENCH{n}", control_number=n
            )
            t0 = time.perf_counter()
            posted = post_remittance(actor=None, text=text, agency=agency)
            post += time.perf_counter() - t0
            posted_lines += posted.line_count
        print(
            f"835 posting: {post:.1f} s for {posted_lines:,} lines "
            f"({posted_lines / max(post, 1e-9):,.0f} lines per second)"
        )
        if validate:
            for b in written:
                t0 = time.perf_counter()
                check = validate_837(b.file_text)
                print(
                    f"pyx12 on {b.file_name}: {'valid' if check.valid else 'INVALID'} in "
                    f"{time.perf_counter() - t0:.1f} s"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
