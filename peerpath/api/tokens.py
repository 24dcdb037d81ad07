"""Making, checking and revoking personal access tokens (see models.py).

A token reads `pp_<prefix>_<secret>`: the prefix (8 characters) names it in lists, the
secret (43 characters, 32 random bytes) is what proves it. Only sha256(whole token) is kept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from peerpath.access.capabilities import _BY_NAME, Cap, capabilities_of
from peerpath.access.scope import is_signed_in
from peerpath.core.services import Actor, save_record

from .models import PersonalAccessToken

PREFIX = "pp_"
DEFAULT_DAYS = 90
MAX_DAYS = 365

User = AbstractBaseUser | AnonymousUser | None


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _caps(names: Iterable[str]) -> list[Cap]:
    """The capabilities named, in registry order; a ValidationError naming any unknown."""
    wanted = [str(n).strip() for n in names if str(n).strip()]
    unknown = sorted({n for n in wanted if n not in _BY_NAME})
    if unknown:
        raise ValidationError({"capabilities": f"Unknown capability: {', '.join(unknown)}."})
    chosen = set(wanted)
    return [c for c in Cap if c.value in chosen]


@transaction.atomic
def token_create(
    *,
    actor: Actor,
    owner: AbstractBaseUser,
    name: str,
    capabilities: Iterable[str],
    days: int = DEFAULT_DAYS,
    now: dt.datetime | None = None,
) -> tuple[PersonalAccessToken, str]:
    """A new token for `owner` carrying `capabilities` (each one the owner has), valid for
    `days` days. Returns the record and the token itself, which is shown once and never
    stored. Only the owner makes their own tokens."""
    if actor is None or getattr(actor, "pk", None) != owner.pk:
        raise PermissionDenied("Only the owner makes their own tokens.")
    if not is_signed_in(owner):
        raise PermissionDenied("This account cannot have tokens.")
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": "Say what the token is for."})
    caps = _caps(capabilities)
    if not caps:
        raise ValidationError({"capabilities": "Choose at least one capability."})
    mine = capabilities_of(owner)
    beyond = [c.value for c in caps if c not in mine]
    if beyond:
        raise ValidationError({"capabilities": f"Your role does not have: {', '.join(beyond)}."})
    if not 1 <= int(days) <= MAX_DAYS:
        raise ValidationError({"days": f"A token lasts from 1 to {MAX_DAYS} days."})
    at = now or timezone.now()
    while True:
        prefix = secrets.token_hex(4)
        if not PersonalAccessToken.objects.filter(prefix=prefix).exists():
            break
    raw = f"{PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = PersonalAccessToken(
        user=owner,  # type: ignore[misc]
        name=name[:100],
        prefix=prefix,
        key_hash=_digest(raw),
        capabilities=[c.value for c in caps],
        created_at=at,
        expires_at=at + dt.timedelta(days=int(days)),
    )
    save_record(token, actor=actor, exclude=["user"])
    return token, raw


@transaction.atomic
def token_revoke(
    *, actor: Actor, token: PersonalAccessToken, now: dt.datetime | None = None
) -> PersonalAccessToken:
    """Revoke the token from now on (its owner, or an administrator of the admin site)."""
    is_owner = actor is not None and getattr(actor, "pk", None) == token.user_id
    if not is_owner and not getattr(actor, "is_superuser", False):
        raise PermissionDenied("Only the owner revokes a token.")
    token = PersonalAccessToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = now or timezone.now()
        save_record(token, actor=actor, action="revoke", exclude=["user"])
    return token


def token_for(raw: str, *, now: dt.datetime | None = None) -> PersonalAccessToken | None:
    """The usable token this string is, or None (unknown, malformed, expired, revoked, or its
    owner can no longer sign in). Marks when it was last used (at most once a minute)."""
    raw = (raw or "").strip()
    if not raw.startswith(PREFIX) or len(raw) > 200:
        return None
    token = (
        PersonalAccessToken.objects.select_related("user", "user__staff")
        .filter(key_hash=_digest(raw))
        .first()
    )
    at = now or timezone.now()
    if token is None or not token.usable_at(at) or not is_signed_in(token.user):
        return None
    if token.last_used_at is None or at - token.last_used_at > dt.timedelta(minutes=1):
        PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=at)
        token.last_used_at = at
    return token


def token_capabilities(token: PersonalAccessToken) -> frozenset[Cap]:
    """What the token may do now: what it carries and its owner still has."""
    carried = {_BY_NAME[n] for n in token.capabilities if n in _BY_NAME}
    return frozenset(carried) & capabilities_of(token.user)
