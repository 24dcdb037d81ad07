"""`peerpath token ...`: personal access tokens from the command line (for an operator with
the server's shell; the token acts as the user named)."""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO


def _user(username: str) -> Any:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise SystemExit(f"No user called {username!r}.")
    return user


def cmd_create(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from peerpath.cli import _django

    _django()
    from django.core.exceptions import ValidationError

    from peerpath.access.capabilities import capabilities_of

    from .tokens import token_create

    out = out or sys.stdout
    user = _user(args.user)
    caps = args.cap or sorted(c.value for c in capabilities_of(user))
    try:
        token, raw = token_create(
            actor=user, owner=user, name=args.name, capabilities=caps, days=args.days
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            print(f"{field}: {' '.join(messages)}", file=sys.stderr)
        return 1
    print(
        f"Token {token.prefix} for {user.get_username()}, expires {token.expires_at:%Y-%m-%d}",
        file=sys.stderr,
    )
    print(f"Capabilities: {', '.join(token.capabilities)}", file=sys.stderr)
    print(raw, file=out)
    return 0


def cmd_list(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from peerpath.cli import _django

    _django()
    from django.utils import timezone

    from .models import PersonalAccessToken

    out = out or sys.stdout
    now = timezone.now()
    for t in PersonalAccessToken.objects.filter(user=_user(args.user)):
        print(
            f"{t.prefix}  {t.state_at(now):8}  expires {t.expires_at:%Y-%m-%d}  {t.name}  "
            f"[{', '.join(t.capabilities)}]",
            file=out,
        )
    return 0


def cmd_revoke(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from peerpath.cli import _django

    _django()
    from .models import PersonalAccessToken
    from .tokens import token_revoke

    out = out or sys.stdout
    token = PersonalAccessToken.objects.select_related("user").filter(prefix=args.prefix).first()
    if token is None:
        print(f"No token {args.prefix}.", file=sys.stderr)
        return 1
    token_revoke(actor=token.user, token=token)
    print(f"Token {token.prefix} revoked.", file=out)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tok = sub.add_parser("token", help="personal access tokens for the REST API")
    tsub = tok.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    p = tsub.add_parser("create", help="make a token for a user (printed once)")
    p.add_argument("--user", required=True)
    p.add_argument("--name", required=True, help="what the token is for")
    p.add_argument(
        "--cap", action="append", help="a capability to carry (repeat; default: all the user's)"
    )
    p.add_argument("--days", type=int, default=90)
    p.set_defaults(func=lambda a: cmd_create(a))
    p = tsub.add_parser("list", help="a user's tokens")
    p.add_argument("--user", required=True)
    p.set_defaults(func=lambda a: cmd_list(a))
    p = tsub.add_parser("revoke", help="revoke a token by its prefix")
    p.add_argument("prefix")
    p.set_defaults(func=lambda a: cmd_revoke(a))


def cmd_records_export(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from peerpath.cli import _django

    _django()
    import json

    from peerpath.organizations.models import Agency

    from .records import export_agency

    agency = Agency.objects.filter(pk=args.agency).first()
    if agency is None:
        print(f"No agency {args.agency}.", file=sys.stderr)
        return 1
    doc = export_agency(agency)
    if getattr(args, "format", "json") == "csv":
        import csv
        import io
        from pathlib import Path

        from .records_csv import csv_from_document, write_csv_files

        if not args.out:
            print("--format csv needs --out (a folder, or a file ending in .zip).", file=sys.stderr)
            return 1
        files = csv_from_document(doc)
        write_csv_files(files, Path(args.out))
        for name, text in files.items():
            rows = len(list(csv.reader(io.StringIO(text, newline="")))) - 1
            print(f"{name}: {rows} row(s)", file=out or sys.stdout)
        return 0
    print(json.dumps(doc, indent=1), file=out or sys.stdout)
    return 0


def cmd_records_import(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from peerpath.cli import _django

    _django()
    from pathlib import Path

    from peerpath.jobs.cli import run_in_terminal

    path = Path(args.file)
    if not path.exists():
        print(f"No file or folder {path.name}.", file=sys.stderr)
        return 1
    if path.is_dir() or path.suffix.lower() == ".zip":
        import json

        from .records_csv import CSV_FORMAT, CsvFolderError, read_csv_files

        try:
            files = read_csv_files(path)
        except CsvFolderError as exc:
            print(f"Nothing was imported: {exc}", file=sys.stderr)
            return 1
        text = json.dumps({"format": CSV_FORMAT, "files": files})
    else:
        text = path.read_text(encoding="utf-8")
    job = run_in_terminal(
        kind="records.import",
        target="records.import",
        label=f"{'Dry run of ' if args.dry_run else ''}{Path(args.file).name}",
        params={"dry_run": bool(args.dry_run)},
        input_text=text,
        out=out,
    )
    return 0 if job is not None and job.status == "succeeded" else 1


def cmd_records_fhir(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from peerpath.cli import _django

    _django()
    from pathlib import Path

    from peerpath.organizations.models import Agency

    from .fhir import agency_ndjson

    agency = Agency.objects.filter(pk=args.agency).first()
    if agency is None:
        print(f"No agency {args.agency}.", file=sys.stderr)
        return 1
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    for kind, lines in sorted(agency_ndjson(agency, purpose=args.purpose).items()):
        (folder / f"{kind}.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{kind}.ndjson: {len(lines)} resources", file=out or sys.stdout)
    return 0


def register_records(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rec = sub.add_parser("records", help="export and import an agency's records (JSON or CSV)")
    rsub = rec.add_subparsers(dest="records_command", required=True, metavar="ACTION")
    p = rsub.add_parser("export", help="an agency's records as JSON on standard output, or CSV")
    p.add_argument("--agency", type=int, required=True)
    p.add_argument("--format", choices=["json", "csv"], default="json")
    p.add_argument("--out", help="for CSV: a folder for the files, or a file ending in .zip")
    p.set_defaults(func=lambda a: cmd_records_export(a))
    p = rsub.add_parser("fhir", help="the agency as FHIR R4 bulk NDJSON, one file per type")
    p.add_argument("--agency", type=int, required=True)
    p.add_argument("--out", required=True, help="folder for the .ndjson files")
    p.add_argument("--purpose", default="payment", choices=["treatment", "payment", "operations"])
    p.set_defaults(func=lambda a: cmd_records_fhir(a))
    p = rsub.add_parser(
        "import", help="import a records document (JSON), or a folder or zip of CSV files, "
        "all or nothing, as a job",
    )  # fmt: skip
    p.add_argument("file", help="a .json file, a folder of .csv files, or a .zip of them")
    p.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
    p.set_defaults(func=lambda a: cmd_records_import(a))
