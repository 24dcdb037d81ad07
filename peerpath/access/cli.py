"""`peerpath accesslog ...`: check the PHI access log."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO


def cmd_verify(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from peerpath.cli import _django

    _django()
    from .anchors import verify_anchors
    from .services import verify_chain

    out = out or sys.stdout
    result = verify_chain()
    if not result.ok:
        where = result.first_broken_id if result.first_broken_id is not None else "head"
        print(f"BROKEN at entry {where}: {result.reason}", file=out)
        return 1
    anchors = verify_anchors()
    if not anchors.ok:
        print(f"BROKEN: {anchors.problem}", file=out)
        return 1
    matched = f"; {anchors.checked} anchors match" if anchors.checked else ""
    print(f"OK: {result.checked} entries, chain intact{matched}", file=out)
    return 0


def cmd_anchor(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from peerpath.cli import _django

    _django()
    from .anchors import AnchorError, anchor_file, write_anchor

    out = out or sys.stdout
    try:
        anchor = write_anchor()
    except AnchorError as exc:
        print(f"Not anchored: {exc}", file=out)
        return 1
    print(f"Anchored entry {anchor.last_id} in {anchor_file()}:", file=out)
    print(anchor.line(), file=out)
    return 0


def cmd_app_role(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from .dbroles import app_role_sql

    out = out or sys.stdout
    try:
        statements = app_role_sql(app_role=args.app_role, owner_role=args.owner_role)
    except ValueError as exc:
        print(f"Refused: {exc}", file=out)
        return 2
    print("-- Run as the owner (or a superuser) after `peerpath migrate`:", file=out)
    for sql in statements:
        print(sql + ";", file=out)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    log = sub.add_parser("accesslog", help="the PHI access log (verify its hash chain)")
    lsub = log.add_subparsers(dest="accesslog_command", required=True, metavar="ACTION")
    p = lsub.add_parser(
        "verify", help="recompute every entry's hash, check the chain and every anchor"
    )
    p.set_defaults(func=lambda a: cmd_verify(a))
    p = lsub.add_parser(
        "anchor", help="append the chain's head, signed, to the anchor file (run on a schedule)"
    )
    p.set_defaults(func=lambda a: cmd_anchor(a))
    p = lsub.add_parser(
        "app-role",
        help="print the SQL for PostgreSQL's application role (no TRUNCATE, no triggers)",
    )
    p.add_argument("app_role", help="the application's role, e.g. peerpath_app")
    p.add_argument("--owner-role", default="peerpath_owner", help="the role that owns tables")
    p.set_defaults(func=lambda a: cmd_app_role(a))
