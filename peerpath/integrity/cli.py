"""`peerpath audit ...`: program-integrity audits over an extract folder (docs/audit.md)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path


def cmd_schema(args: argparse.Namespace) -> int:
    from .formats import describe

    print(describe(args.tier))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .extract import ExtractError, read_extract

    try:
        extract = read_extract(Path(args.input))
    except ExtractError as exc:
        print(f"Refused: {exc}", file=sys.stderr)
        return 2
    for name in extract.names:
        print(f"{name}: {extract.rows[name]} rows")
    print(f"A {extract.tier}-tier extract; every file fits its format.")
    return 0


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def cmd_generate(args: argparse.Namespace) -> int:
    from rich.console import Console

    from .generate import generate

    console = Console(stderr=True)
    with console.status("Generating") as status:
        counts = generate(
            Path(args.out),
            lines=args.lines,
            seed=args.seed,
            planted=args.planted,
            fmt=args.format,
            progress=lambda words: status.update(words),
        )
    for name, n in counts.items():
        print(f"{name}: {n} rows")
    print(f"Planted defects are listed in {Path(args.out) / '_expected.parquet'}.")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from .extract import ExtractError
    from .run import AuditError, run_audit

    console = Console(stderr=True)
    try:
        with console.status("Starting") as status:
            result = run_audit(
                Path(args.input),
                Path(args.out),
                pack=args.pack,
                engine=args.engine,
                as_of=args.as_of,
                since=args.since,
                spark_url=args.spark_url or "",
                say=lambda words: status.update(words),
                memory_limit=args.memory_limit,
            )
    except (ExtractError, AuditError) as exc:
        print(f"Refused: {exc}. Nothing was written.", file=sys.stderr)
        return 2
    s = result.summary
    print(
        f"Audited {s['period'][0]} to {s['period'][1]} on {s['engine']}: {s['findings']} findings, "
        f"${s['dollars_at_stake']:,.2f} at stake."
    )
    for rule_id, n in s["findings_by_rule"].items():
        print(f"  {rule_id:<36} {n}")
    if s["not_assessable"]:
        print(
            f"{s['not_assessable']} rule/pack pairs are not assessable with this extract "
            "(see not_assessable.parquet)."
        )
    files = ["findings.parquet", "not_assessable.parquet"]
    if result.outliers is not None:
        files.append("outliers.parquet")
    print(f"Results in {args.out} ({', '.join([*files, 'summary.json'])}).")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from .extract import ExtractError
    from .sample import build_frame, draw, write_sample

    try:
        frame = build_frame(Path(args.input), args.frame)
        bounds = [float(b) for b in args.bounds.split(",")] if args.bounds else None
        sample, design = draw(
            frame,
            size=args.size,
            seed=args.seed,
            strata=args.strata,
            bounds=bounds,
            allocation=args.allocation,
        )
    except (ExtractError, ValueError) as exc:
        print(f"Refused: {exc}. Nothing was written.", file=sys.stderr)
        return 2
    write_sample(Path(args.out), sample, design, args.frame)
    print(
        f"{design['method'].capitalize()}: {design['sample_size']} of {design['frame_size']} "
        f"{args.frame} (${design['frame_paid']:,.2f} paid), seed {args.seed}."
    )
    for st in design["strata"]:
        print(
            f"  stratum {st['stratum']}: paid ${st['paid_from']:,.2f}-${st['paid_to']:,.2f}, "
            f"{st['sample_size']} of {st['frame_size']}"
        )
    print(
        f"Reviewers fill in {Path(args.out) / 'reviews.csv'}: "
        "allowed, partly allowed (with the amount), not allowed."
    )
    return 0


def cmd_estimate(args: argparse.Namespace) -> int:
    import json

    from .sample import ReviewError, estimate_from_reviews

    try:
        result, design = estimate_from_reviews(
            Path(args.sample), Path(args.reviews), confidence=args.confidence
        )
    except (ReviewError, ValueError, FileNotFoundError) as exc:
        print(f"Refused: {exc}", file=sys.stderr)
        return 2
    out = {"design": design, "estimate": result.as_dict()}
    if args.out:
        Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    pct = round(args.confidence * 100)
    print(
        f"Sample of {result.sample_size} from a frame of {result.frame_size} "
        f"(seed {design['seed']})."
    )
    print(f"  Point estimate of the overpayment   ${result.point:,.2f}")
    print(f"  Standard error                      ${result.standard_error:,.2f}")
    print(f"  {pct}% two-sided interval             ${result.lower:,.2f} to ${result.upper:,.2f}")
    print(f"  Lower limit (the amount demanded)   ${result.lower:,.2f}  (t = {result.t:.4f})")
    if result.lower <= 0:
        print("  The lower limit is not above zero: no overpayment is shown at this confidence.")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from peerpath.cli import _django

    _django()
    from .export import export_records

    counts = export_records(Path(args.out))
    for name, n in counts.items():
        print(f"{name}: {n} rows")
    print(f"Records-tier extract written to {args.out}; audit it with `peerpath audit run`.")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .report import build_report, write_report

    try:
        text = build_report(
            Path(args.run),
            sample_dir=Path(args.sample) if args.sample else None,
            reviews=Path(args.reviews) if args.reviews else None,
        )
    except (FileNotFoundError, ValueError) as exc:
        print(f"Refused: {exc}", file=sys.stderr)
        return 2
    for out in args.out:
        write_report(text, Path(out))
        print(f"Report written to {out}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = sub.add_parser("audit", help="program-integrity audits over claims or records extracts")
    asub = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    p = asub.add_parser("schema", help="print the extract formats (claims and records tiers)")
    p.add_argument("--tier", choices=["claims", "records"], help="only this tier")
    p.set_defaults(func=cmd_schema)
    p = asub.add_parser("validate", help="check an extract folder against the formats")
    p.add_argument("--input", required=True, help="the extract folder")
    p.set_defaults(func=cmd_validate)
    p = asub.add_parser("export", help="export the database's records tier as Parquet")
    p.add_argument("--out", required=True, help="folder to write")
    p.set_defaults(func=cmd_export)
    p = asub.add_parser("generate", help="write a synthetic claims extract with planted defects")
    p.add_argument("--out", required=True, help="folder to write")
    p.add_argument("--lines", type=int, default=100_000, help="claim lines (default 100000)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--planted", type=int, default=1, help="copies of each planted case")
    p.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    p.set_defaults(func=cmd_generate)
    p = asub.add_parser("run", help="run the policy rules over an extract")
    p.add_argument("--input", required=True, help="the extract folder")
    p.add_argument("--out", required=True, help="folder for findings.parquet and the rest")
    p.add_argument("--pack", default="auto", help="auto (by state and date) or a pack id")
    p.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb")
    p.add_argument("--spark-url", help="Spark master URL (default: local mode)")
    p.add_argument("--as-of", type=_date, help="judge as of this date (default: last service)")
    p.add_argument("--since", type=_date, help="first date audited (default: first service)")
    p.add_argument(
        "--memory-limit",
        help="DuckDB's memory, spilling to disk beyond it (default $PEERPATH_AUDIT_MEMORY or 2GB)",
    )
    p.set_defaults(func=cmd_run)
    p = asub.add_parser("sample", help="draw a seeded random sample of paid lines for review")
    p.add_argument("--input", required=True, help="the claims extract folder")
    p.add_argument(
        "--out", required=True, help="folder for sample.parquet, sample.json, reviews.csv"
    )
    p.add_argument("--size", type=int, required=True, help="items to sample")
    p.add_argument("--seed", type=int, required=True, help="random seed (recorded)")
    p.add_argument("--frame", choices=["lines", "beneficiary-months"], default="lines")
    p.add_argument("--strata", type=int, default=1, help="equal-count strata by paid amount")
    p.add_argument("--bounds", help="or stratum bounds in dollars, e.g. 50,200")
    p.add_argument("--allocation", choices=["proportional", "equal"], default="proportional")
    p.set_defaults(func=cmd_sample)
    p = asub.add_parser("estimate", help="extrapolate the overpayment from reviewed items")
    p.add_argument("--sample", required=True, help="the sample folder")
    p.add_argument("--reviews", required=True, help="the reviewers' CSV")
    p.add_argument("--confidence", type=float, default=0.90, help="two-sided (default 0.90)")
    p.add_argument("--out", help="write the estimate as JSON here")
    p.set_defaults(func=cmd_estimate)
    p = asub.add_parser("report", help="HTML or PDF report of a run (and sample, estimate)")
    p.add_argument("--run", required=True, help="the run's output folder")
    p.add_argument("--sample", help="the sample folder")
    p.add_argument("--reviews", help="the reviewers' CSV (for the estimate)")
    p.add_argument("--out", required=True, action="append", help="report.html or report.pdf")
    p.set_defaults(func=cmd_report)
