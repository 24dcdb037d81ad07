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
