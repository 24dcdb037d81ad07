"""Time billing on a demo agency:
python scripts/bench_billing.py [LINES] [--post-lines N] [--validate]

Builds a demo agency with about LINES signed notes (default 100,000) in a fresh SQLite
file, then prints the time to:
- scrub every signed note into a claim line (the policy engine over every table, plus what
  a claim needs), with how many lines are ready and held;
- write the 837P of each payer from the ready lines (claims, lines, the file, its checks);
- post one 835 of about N lines (default 10,000: whole claims of the largest file; about
  one line in twenty denied, one in twenty paid in part) as a background job (the page's
  billing.post_835, run here) with its progress, with the rate in lines per second;
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
    post_lines = 10_000
    if "--post-lines" in sys.argv:
        post_lines = int(sys.argv[sys.argv.index("--post-lines") + 1])
        args = [a for a in args if a != str(post_lines)]
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

        from peerpath.billing.jobs import POST_835, agency_target
        from peerpath.billing.models import RemittanceFile
        from peerpath.billing.x12.remit_builder import (
            ClaimOutcome,
            LineOutcome,
            build_835_from_837,
        )
        from peerpath.jobs.progress import Recorder
        from peerpath.jobs.services import job_run, job_start

        # One 835 of about POST_LINES lines (whole claims of the largest file), posted as the
        # page posts it: a background job (billing.post_835) run here, with its progress.
        biggest = max(written, key=lambda b: b.line_count, default=None)
        if biggest is None:
            print("835 posting: nothing was billed")
        else:
            outcomes: dict[str, ClaimOutcome | LineOutcome | None] = {}
            answered = 0
            for i, claim in enumerate(biggest.claims.order_by("pk").prefetch_related("lines")):
                if answered >= post_lines:
                    outcomes[claim.patient_control_number] = None  # not in this 835
                    continue
                claim_lines = sorted(claim.lines.all(), key=lambda x: x.line_number or 0)
                answers = {}
                for k, line in enumerate(claim_lines, start=1):
                    if (i + k) % 20 == 0:
                        answers[k] = LineOutcome.deny("197")
                    elif (i + k) % 20 == 1 and line.charge > 1:
                        answers[k] = LineOutcome.part((line.charge / 2).quantize(Decimal("0.01")))
                outcomes[claim.patient_control_number] = ClaimOutcome(lines=answers)
                answered += len(claim_lines)
            text = build_835_from_837(
                biggest.file_text, outcomes, trace_number="BENCH1", control_number=1
            )
            if answered < post_lines:
                print(
                    f"(the largest claim file has {answered:,} lines, fewer than {post_lines:,}: "
                    f"give more LINES for a full-size 835)"
                )
            job = job_start(
                kind=POST_835,
                target=agency_target(agency),
                label="Posting the benchmark 835",
                actor=None,
                agency=agency,
                params={"agency_id": agency.pk, "file_name": "bench.835"},
                input_text=text,
                queue=False,
            )
            recorder = Recorder()
            t0 = time.perf_counter()
            job = job_run(job, progress=recorder)
            post = time.perf_counter() - t0
            if job.status != "succeeded":
                print(f"835 posting FAILED: {job.failure} {job.problems[:5]}")
                return 1
            posted = RemittanceFile.objects.get()
            print(
                f"835 posting (a job, {len(recorder.snapshots)} progress updates over "
                f"{len(recorder.steps)} steps): {post:.1f} s for {posted.line_count:,} lines in "
                f"{posted.claim_count:,} claims, a {len(text) / 1e6:.1f} MB file "
                f"({posted.line_count / max(post, 1e-9):,.0f} lines per second)"
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
