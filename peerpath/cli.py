"""The `peerpath` command.

peerpath demo        set up the database, load the demo agency, serve the app
peerpath generate    load a demo agency into the current database
peerpath serve       serve the app (gunicorn, and the job worker)
peerpath worker      run background jobs
peerpath manage ...  any Django management command (migrate, createsuperuser, ...)
peerpath policy ...  policy packs and rules (list, show, diff, check)
peerpath billing ... claims (scrub, batch, validate FILE, post-835 FILE)
peerpath jobs ...    background jobs (list, show ID --follow)
peerpath audit ...   program-integrity audits over extracts (schema, run, sample, estimate)
peerpath token ...   personal access tokens for the REST API (create, list, revoke)
peerpath records ... an agency's records: export, import (--dry-run), fhir (bulk NDJSON)
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

DEMO_PASSWORD = "peer-support-demo"


def _django(debug: bool = False) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerpath.settings")
    if debug:
        os.environ.setdefault("PEERPATH_DEBUG", "1")
    import django

    django.setup()


def cmd_manage(args: argparse.Namespace) -> int:
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["peerpath manage", *args.rest])
    return 0


def _generate(seed: int, people: int, end: dt.date | None, months: int) -> None:
    from peerpath.demo.generator import generate

    report = generate(seed=seed, people=people, end=end, months=months)
    print(report.summary())
    from peerpath.demo.living import bill_the_demo, open_reviews

    today = report.end + dt.timedelta(days=1)
    print(bill_the_demo(today=today, seed=seed).summary())
    print(f"{open_reviews(today=today, seed=seed)} notes wait for their supervisor's review.")
    from peerpath.core.dbstats import refresh_statistics

    refresh_statistics()


def cmd_generate(args: argparse.Namespace) -> int:
    _django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    _generate(args.seed, args.people, args.end, args.months)
    return 0


def _demo_logins() -> list[tuple[str, str]]:
    """Give the demo's first user of each role a known password; return (username, role)."""
    from django.contrib.auth import get_user_model

    from peerpath.staff.models import Role, StaffMember

    user_model = get_user_model()
    admin, _ = user_model.objects.get_or_create(
        username="admin", defaults={"is_staff": True, "is_superuser": True}
    )
    admin.set_password(DEMO_PASSWORD)
    admin.save()
    logins = [("admin", "site administrator (Django admin)")]
    for role in Role:
        staff = (
            StaffMember.objects.filter(role=role, user__isnull=False)
            .select_related("user")
            .order_by("pk")
            .first()
        )
        if staff is None or staff.user is None:
            continue
        staff.user.set_password(DEMO_PASSWORD)
        staff.user.save()
        logins.append((staff.user.get_username(), str(role.label)))
    return logins


def _reset_database() -> bool:
    """Start the demo over. Signed notes and the access log refuse deletion, by design, so
    the SQLite file is removed rather than emptied; other databases are left to their owner."""
    from django.db import connection

    if connection.vendor != "sqlite":
        print(
            "--reset only removes the embedded SQLite database; drop and recreate "
            f"your {connection.vendor} database yourself.",
            file=sys.stderr,
        )
        return False
    name = str(connection.settings_dict["NAME"])
    connection.close()
    for suffix in ("", "-wal", "-shm"):
        Path(name + suffix).unlink(missing_ok=True)
    return True


def cmd_demo(args: argparse.Namespace) -> int:
    if not args.require_2fa:
        # The local demo skips the second factor so anyone can look around; production
        # keeps it on (PEERPATH_REQUIRE_2FA defaults to 1).
        os.environ.setdefault("PEERPATH_REQUIRE_2FA", "0")
    _django(debug=True)
    from django.core.management import call_command

    from peerpath.organizations.models import Agency

    if args.reset and not _reset_database():
        return 2
    call_command("migrate", verbosity=0)
    if not Agency.objects.exists():
        _generate(args.seed, args.people, args.end, args.months)
    else:
        print("Demo data already loaded (use --reset to rebuild it).")
    logins = _demo_logins()
    address = f"http://{args.host}:{args.port}/"
    print()
    print(f"PeerPath is running at {address}  (admin: {address}admin/)")
    print(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
    if not args.require_2fa:
        print("  (two-step sign-in is off in this demo; --require-2fa turns it on)")
    for username, role in logins:
        print(f"  {username:<24} {role}")
    sys.stdout.flush()
    if args.no_serve:
        return 0
    return _serve(args)


def _serve(args: argparse.Namespace) -> int:
    from peerpath.server import serve, threads_per_worker, workers_for

    workers = args.workers or workers_for()
    threads = args.threads or threads_per_worker()
    jobs = "" if args.no_worker else ", and the job worker"
    print(
        f"Serving with gunicorn: {workers} worker processes x {threads} threads{jobs}. "
        "Stop with Ctrl-C.",
        flush=True,
    )
    return serve(
        args.host, args.port, workers=workers, threads=threads, with_worker=not args.no_worker
    )


def cmd_serve(args: argparse.Namespace) -> int:
    _django()
    print(f"PeerPath is running at http://{args.host}:{args.port}/", flush=True)
    return _serve(args)


def cmd_backup(args: argparse.Namespace) -> int:
    _django()
    from peerpath.backup import backup

    try:
        counts = backup(args.file)
    except (OSError, RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"Backup failed: {exc}", file=sys.stderr)
        return 1
    print(f"Backed up to {args.file}")
    for table, n in counts.items():
        print(f"  {table:<28} {n:>10,}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from peerpath.backup import restore

    problems = restore(args.file, args.into)
    if problems:
        print("The restored copy is NOT good:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(f"Restored into {args.into} and checked: integrity, row counts, access-log chain.")
    return 0


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="peerpath", description="PeerPath: Medicaid Peer Support Services, run correctly."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def demo_sizes(p: argparse.ArgumentParser) -> None:
        p.add_argument("--seed", type=int, default=7, help="generator seed (default 7)")
        p.add_argument("--people", type=int, default=160, help="people served (default 160)")
        p.add_argument(
            "--end",
            type=_date,
            default=None,
            help="last day of demo service (default: yesterday, so today has work to do)",
        )
        p.add_argument("--months", type=int, default=6, help="months of notes (default 6)")

    def server(p: argparse.ArgumentParser) -> None:
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)
        p.add_argument("--workers", type=int, help="web worker processes (default: 2 x cores + 1)")
        p.add_argument("--threads", type=int, help="threads per web worker (default 2)")
        p.add_argument(
            "--no-worker",
            action="store_true",
            help="do not start the job worker (run `peerpath worker` yourself)",
        )

    p = sub.add_parser("demo", help="set up the database, load the demo agency and serve it")
    demo_sizes(p)
    server(p)
    p.add_argument("--reset", action="store_true", help="wipe the database and reload the demo")
    p.add_argument("--no-serve", action="store_true", help="set up and print logins, don't serve")
    p.add_argument(
        "--require-2fa",
        action="store_true",
        help="ask administrators and supervisors for a second factor, as in production",
    )
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("generate", help="load a demo agency into the (empty) database")
    demo_sizes(p)
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("serve", help="serve the app (set PEERPATH_SECRET_KEY in production)")
    server(p)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("backup", help="copy the database while it runs (docs/deploy.md)")
    p.add_argument("file", type=Path, help="the new backup file")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser(
        "restore",
        help="restore a backup into a new folder (SQLite) or a new, empty database "
        "(PostgreSQL) and check it (the drill)",
    )
    p.add_argument("file", type=Path, help="the backup file")
    p.add_argument(
        "--into",
        required=True,
        help="a new, empty data folder (SQLite), or a postgres:// URL of a new, empty database",
    )
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("manage", help="run a Django management command", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_manage)

    for register in _extensions():
        register(sub)
    return parser


def _extensions() -> list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]]:
    """Sub-command groups that live with their business area."""
    from peerpath.access.cli import register as accesslog
    from peerpath.api.cli import register as api
    from peerpath.api.cli import register_records as records
    from peerpath.billing.cli import register as billing
    from peerpath.integrity.cli import register as audit
    from peerpath.jobs.cli import register as jobs
    from peerpath.policy.cli import register as policy

    return [policy, accesslog, billing, jobs, audit, api, records]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
