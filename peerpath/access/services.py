"""Writes to the PHI access log, its verification, and break-glass access.

`log_access` is the only way to add to the log. Appends take a row lock on the one-row
`AccessLogHead` inside their transaction, so concurrent writers queue up and the chain never
forks (PostgreSQL: SELECT ... FOR UPDATE; SQLite serializes writers by itself). If the
caller is inside a larger transaction, the lock is held until that transaction ends: keep
such transactions short.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from peerpath.core.services import save_record
from peerpath.people.models import Person

from .models import (
    GENESIS_HASH,
    AccessAction,
    AccessLogEntry,
    AccessLogHead,
    BreakGlassGrant,
    reason_problem,
)
from .scope import User, can_break_glass, employed_on, is_signed_in, role_of, staff_of

PERSON_RECORD = "people.Person"
_READS_LOGGED = "_peerpath_person_reads"


def _text(value: object, limit: int | None = None) -> str:
    """Plain text for a log field: no NUL characters (PostgreSQL refuses them), cut to size."""
    text = "" if value is None else str(value).replace("\x00", "")
    return text[:limit] if limit is not None else text


def _client_ip(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    raw = str(request.META.get("REMOTE_ADDR", "") or "").strip()
    try:
        return ipaddress.ip_address(raw).compressed
    except ValueError:
        return ""


def _log_role(user: User) -> str:
    role = role_of(user)
    if role is not None:
        return role
    return "no_role" if is_signed_in(user) else "anonymous"


def _locked_head() -> AccessLogHead:
    """The head row, locked for this transaction (created on first use, continuing from
    the last entry if the log already has entries)."""
    head = AccessLogHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        last = AccessLogEntry.objects.order_by("-id").first()
        AccessLogHead.objects.get_or_create(
            pk=1,
            defaults={
                "last_id": last.id if last else 0,
                "last_hash": last.hash if last else GENESIS_HASH,
            },
        )
        head = AccessLogHead.objects.select_for_update().get(pk=1)
    return head


def log_access(
    *,
    user: User,
    action: str,
    record_type: str,
    record_id: int | str | None,
    person_id: int | None = None,
    reason: str = "",
    request: HttpRequest | None = None,
    username: str = "",
) -> AccessLogEntry:
    """Append one entry to the access log and return it.

    `username` is only used when there is no signed-in user (a failed sign-in names the
    account that was tried)."""
    if action not in AccessAction.values:
        raise ValueError(f"Unknown access-log action {action!r}.")
    signed_in = is_signed_in(user)
    record_id_text = _text(record_id)
    if len(record_id_text) > 64 or len(record_type) > 100:
        raise ValueError("record_type or record_id is too long for the access log.")
    with transaction.atomic():
        head = _locked_head()
        entry = AccessLogEntry(
            id=head.last_id + 1,
            at=timezone.now(),
            user_id=user.pk if signed_in and user is not None else None,
            username=_text(
                user.get_username() if signed_in and user is not None else username, 150
            ),
            role=_log_role(user),
            action=action,
            record_type=_text(record_type),
            record_id=record_id_text,
            person_id=int(person_id) if person_id is not None else None,
            ip=_client_ip(request),
            user_agent=_text(request.META.get("HTTP_USER_AGENT", "") if request else "", 200),
            reason=_text(reason).strip(),
            prev_hash=head.last_hash,
        )
        entry.hash = entry.compute_hash()
        entry.save()
        head.last_id, head.last_hash = entry.id, entry.hash
        head.save(update_fields=["last_id", "last_hash"])
    return entry


def logged_person_read(
    request: HttpRequest,
    person: Person,
    what: str = PERSON_RECORD,
    *,
    record_id: int | str | None = None,
) -> AccessLogEntry:
    """Log that this request shows `person`'s information: `what` is the record type shown
    (e.g. "people.Person", "services.ServiceNote") and `record_id` its id (the person's by
    default). Views call it once per request; a repeated call for the same record in the
    same request returns the first entry instead of writing another."""
    key = (what, str(record_id if record_id is not None else person.pk))
    seen: dict[tuple[str, str], AccessLogEntry] = request.__dict__.setdefault(_READS_LOGGED, {})
    if key in seen:
        return seen[key]
    entry = log_access(
        user=getattr(request, "user", None),
        action=AccessAction.VIEW,
        record_type=what,
        record_id=key[1],
        person_id=person.pk,
        request=request,
    )
    seen[key] = entry
    return entry


def person_access_history(person_id: int) -> QuerySet[AccessLogEntry]:
    """Everyone who accessed this person's information, newest first. For the person's
    record page: show it to supervisors and administrators only (views enforce that)."""
    return AccessLogEntry.objects.filter(person_id=person_id).order_by("-id")


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_broken_id: int | None
    reason: str


def _entries_after(last_id: int, batch: int) -> Iterator[AccessLogEntry]:
    """Entries with id > last_id, in id order, `batch` at a time (constant memory)."""
    while True:
        chunk = list(AccessLogEntry.objects.filter(id__gt=last_id).order_by("id")[:batch])
        yield from chunk
        if len(chunk) < batch:
            return
        last_id = chunk[-1].id


def verify_chain(*, batch: int = 1000) -> VerifyResult:
    """Recompute every entry's hash and check each links to the one before, in id order.

    Then check the log ends where the head says, so entries removed from the end show too.
    Stops at, and names, the first broken entry."""
    checked = 0
    prev_id = 0
    prev_hash = GENESIS_HASH
    while True:
        for entry in _entries_after(prev_id, batch):
            if entry.compute_hash() != entry.hash:
                return VerifyResult(False, checked, entry.id, "hash mismatch")
            if entry.prev_hash != prev_hash:
                if prev_id == 0:
                    why = "prev_hash does not match the start of the log"
                else:
                    why = f"prev_hash does not match entry {prev_id}"
                if entry.id != prev_id + 1:
                    why += f" (entries {prev_id + 1}..{entry.id - 1} are missing)"
                return VerifyResult(False, checked, entry.id, why)
            if entry.id != prev_id + 1:
                why = f"entry ids jump from {prev_id} to {entry.id}"
                return VerifyResult(False, checked, entry.id, why)
            checked += 1
            prev_id, prev_hash = entry.id, entry.hash
        head = AccessLogHead.objects.filter(pk=1).first()
        if head is None:
            if prev_id == 0:
                return VerifyResult(True, 0, None, "")
            return VerifyResult(False, checked, None, "the log's head record is missing")
        if head.last_id > prev_id and AccessLogEntry.objects.filter(id__gt=prev_id).exists():
            continue  # appended while we were reading: verify those too
        if head.last_id != prev_id:
            return VerifyResult(
                False,
                checked,
                min(head.last_id, prev_id) + 1,
                f"the log ends at entry {prev_id} but its head records entry {head.last_id}",
            )
        if head.last_hash != prev_hash:
            return VerifyResult(
                False, checked - 1, prev_id, "hash does not match the one the head records"
            )
        return VerifyResult(True, checked, None, "")


def break_glass(
    *, user: User, person: Person, reason: str, request: HttpRequest | None = None
) -> BreakGlassGrant:
    """Emergency access to a person outside the user's caseload, for a limited time
    (settings.PEERPATH_BREAK_GLASS_HOURS, 4 by default), with a reason, logged."""
    staff = staff_of(user)
    if not can_break_glass(user) or staff is None or staff.user is None:
        raise PermissionDenied("Only peer specialists, supervisors and MHPs may break the glass.")
    if not employed_on(staff, timezone.localdate()) or staff.agency_id != person.agency_id:
        raise PermissionDenied("You can break the glass only for people your agency serves.")
    problem = reason_problem(reason)
    if problem:
        raise ValidationError({"reason": problem})
    hours = float(getattr(settings, "PEERPATH_BREAK_GLASS_HOURS", 4))
    with transaction.atomic():
        entry = log_access(
            user=user,
            action=AccessAction.BREAK_GLASS,
            record_type=PERSON_RECORD,
            record_id=person.pk,
            person_id=person.pk,
            reason=reason,
            request=request,
        )
        grant = BreakGlassGrant(
            user=staff.user,
            person=person,
            reason=reason.strip(),
            granted_at=entry.at,
            expires_at=entry.at + dt.timedelta(hours=hours),
            log_entry=entry,
        )
        save_record(grant, actor=user, action="break_glass", reason=grant.reason)
    return grant
