"""`peerpath billing ...`: scrub signed notes, write an 837P for a payer, validate a file.

peerpath billing scrub [--agency ID] [--payer BRHP1] [--through 2026-09-30]
peerpath billing batch --payer BRHP1 [--through 2026-09-30] [--out FILE] [--test]
peerpath billing validate FILE
peerpath billing post-835 FILE [--agency ID]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import TextIO

from peerpath.core import formatting as fmt


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def _scope(args: argparse.Namespace, out: TextIO) -> tuple[object, object] | None:
    from peerpath.organizations.models import Agency, Payer

    agencies = Agency.objects.order_by("pk")
    if args.agency is not None:
        agencies = agencies.filter(pk=args.agency)
    if agencies.count() != 1:
        print(
            "Name the agency with --agency ID: "
            + (", ".join(f"{a.pk} {a.name}" for a in Agency.objects.order_by("pk")) or "none"),
            file=out,
        )
        return None
    payer = None
    if getattr(args, "payer", None):
        payer = Payer.objects.filter(payer_id=args.payer).first()
        if payer is None:
            known = ", ".join(Payer.objects.order_by("payer_id").values_list("payer_id", flat=True))
            print(f"No payer with payer ID '{args.payer}'. Known: {known or 'none'}", file=out)
            return None
    return agencies.get(), payer


def cmd_scrub(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from peerpath.cli import _django

    _django()
    from .services import lines_scrub

    out = out or sys.stdout
    scope = _scope(args, out)
    if scope is None:
        return 2
    agency, payer = scope
    result = lines_scrub(
        actor=None,
        agency=agency,  # type: ignore[arg-type]
        payer=payer,  # type: ignore[arg-type]
        through=args.through,
    )
    print(result.summary(), file=out)
    return 0


def cmd_batch(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from peerpath.cli import _django

    _django()
    from .services import BillingError, batch_create
    from .x12.claim837 import Claim837Error

    out = out or sys.stdout
    scope = _scope(args, out)
    if scope is None:
        return 2
    agency, payer = scope
    try:
        batch = batch_create(
            actor=None,
            agency=agency,  # type: ignore[arg-type]
            payer=payer,  # type: ignore[arg-type]
            through=args.through,
            usage="T" if args.test else "P",
        )
    except Claim837Error as exc:
        print("No file written:", file=out)
        for problem in exc.problems:
            print(f"  - {problem}", file=out)
        return 1
    except BillingError as exc:
        print(f"No file written: {' '.join(exc.messages)}", file=out)
        return 1
    if batch is None:
        print("Nothing ready to bill.", file=out)
        return 0
    target = Path(args.out) if args.out else Path(batch.file_name)
    target.write_text(batch.file_text, encoding="ascii")
    print(
        f"{target}: {batch.claim_count} claims, {batch.line_count} lines, "
        f"{fmt.money(batch.total_charge)} (ISA13 {batch.isa_control:09d})",
        file=out,
    )
    return 0


def cmd_validate(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Validate with pyx12's Python API (not its command, which exits 1 even on success)."""
    from .x12.claim837 import validate_837

    out = out or sys.stdout
    path = Path(args.file)
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"Cannot read {path}: {exc}", file=out)
        return 2
    check = validate_837(text)
    if check.valid:
        print(f"{path}: valid 837P (005010X222A1)", file=out)
        return 0
    print(f"{path}: {len(check.errors)} problem(s)", file=out)
    for error in check.errors:
        print(f"  - {error}", file=out)
    return 1


def cmd_post_835(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Post an 835 remittance: all or nothing; each problem is printed with its segment."""
    from peerpath.cli import _django

    _django()
    from .remittance import post_remittance
    from .x12.tokens import X12Error

    out = out or sys.stdout
    path = Path(args.file)
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"Cannot read {path}: {exc}", file=out)
        return 2
    scope = _scope(args, out)
    if scope is None:
        return 2
    agency, _ = scope
    try:
        posted = post_remittance(
            actor=None,
            text=text,
            file_name=path.name,
            agency=agency,  # type: ignore[arg-type]
        )
    except X12Error as exc:
        print(f"{path}: nothing posted, {len(exc.problems)} problem(s)", file=out)
        for problem in exc.problems:
            print(f"  - {problem}", file=out)
        return 1
    print(
        f"{path}: posted {posted.claim_count} claims and {posted.line_count} lines "
        f"(remittance file #{posted.pk})",
        file=out,
    )
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    billing = sub.add_parser(
        "billing", help="claims: scrub notes, write and validate 837P files, post 835s"
    )
    bsub = billing.add_subparsers(dest="billing_command", required=True, metavar="ACTION")

    def scope(p: argparse.ArgumentParser) -> None:
        p.add_argument("--agency", type=int, help="agency id (needed when there are several)")
        p.add_argument("--through", type=_date, help="bill services up to this date")

    p = bsub.add_parser("scrub", help="make claim lines from signed notes; hold what fails")
    scope(p)
    p.add_argument("--payer", help="payer ID, e.g. BRHP1 (default: every payer)")
    p.set_defaults(func=lambda a: cmd_scrub(a))

    p = bsub.add_parser("batch", help="scrub, then write one 837P of the payer's ready lines")
    scope(p)
    p.add_argument("--payer", required=True, help="payer ID, e.g. BRHP1")
    p.add_argument("--out", help="file to write (default: the batch's file name)")
    p.add_argument("--test", action="store_true", help="mark the interchange as a test (ISA15 T)")
    p.set_defaults(func=lambda a: cmd_batch(a))

    p = bsub.add_parser("validate", help="validate an 837P file with pyx12")
    p.add_argument("file")
    p.set_defaults(func=lambda a: cmd_validate(a))

    p = bsub.add_parser(
        "post-835", help="post an 835 remittance (all or nothing; problems name their segment)"
    )
    p.add_argument("file")
    p.add_argument("--agency", type=int, help="agency id (needed when there are several)")
    p.set_defaults(func=lambda a: cmd_post_835(a))
