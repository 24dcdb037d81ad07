"""`peerpath accesslog ...`: check the PHI access log."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO


def cmd_verify(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from peerpath.cli import _django

    _django()
    from .services import verify_chain

    out = out or sys.stdout
    result = verify_chain()
    if result.ok:
        print(f"OK: {result.checked} entries, chain intact", file=out)
        return 0
    where = result.first_broken_id if result.first_broken_id is not None else "head"
    print(f"BROKEN at entry {where}: {result.reason}", file=out)
    return 1


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    log = sub.add_parser("accesslog", help="the PHI access log (verify its hash chain)")
    lsub = log.add_subparsers(dest="accesslog_command", required=True, metavar="ACTION")
    p = lsub.add_parser("verify", help="recompute every entry's hash and check the chain")
    p.set_defaults(func=lambda a: cmd_verify(a))
