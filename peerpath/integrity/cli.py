"""`peerpath audit ...`: program-integrity audits over an extract folder (docs/audit.md)."""

from __future__ import annotations

import argparse
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
    for name, table in extract.tables.items():
        print(f"{name}: {table.num_rows} rows")
    print(f"A {extract.tier}-tier extract; every file fits its format.")
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
