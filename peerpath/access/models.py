"""Who looked at what: the PHI access log (append-only, hash-chained) and break-glass grants.

HIPAA audit controls (45 CFR 164.312(b)) ask that activity on ePHI is recorded and can be
examined. Each log entry carries the SHA-256 of the previous entry's hash and its own
fields, so an edit, a deletion or a reordering anywhere in the log shows up when the chain
is verified (`peerpath accesslog verify`). Database triggers refuse UPDATE and DELETE on the
log table; the model and its queryset refuse them too, with a clear error.

Write entries only through `peerpath.access.services.log_access`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

GENESIS_HASH = "0" * 64
MIN_REASON_CHARS = 15


class AccessLogImmutableError(Exception):
    """Raised on any attempt to change or delete an access-log entry."""


class AccessAction(models.TextChoices):
    VIEW = "view", "Viewed"
    SEARCH = "search", "Searched"
    EXPORT = "export", "Exported"
    PRINT = "print", "Printed"
    CHANGE = "change", "Changed"
    BREAK_GLASS = "break_glass", "Broke the glass (emergency access)"
    DISCLOSE = "disclose", "Disclosed outside the agency"
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Failed sign-in"
    SIGN_OUT = "sign_out", "Signed out"


class AccessLogQuerySet(models.QuerySet["AccessLogEntry"]):
    """Refuses bulk changes before they reach the database (whose triggers refuse them too)."""

    def update(self, **kwargs: Any) -> int:
        raise AccessLogImmutableError("The access log is append-only: entries cannot change.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AccessLogImmutableError("The access log is append-only: entries cannot be deleted.")


class AccessLogEntry(models.Model):
    """One access to protected health information (or a sign-in), in a hash chain.

    `id` is assigned by `log_access` under a lock on `AccessLogHead`, so ids run 1, 2, 3 ...
    without gaps, and the id is part of what the hash covers.
    """

    id = models.BigIntegerField(primary_key=True, editable=False)
    at = models.DateTimeField(editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        help_text="Empty for anonymous requests and system jobs.",
    )
    username = models.CharField(max_length=150, blank=True, editable=False)
    role = models.CharField(max_length=20, editable=False)
    action = models.CharField(max_length=20, choices=AccessAction.choices, editable=False)
    record_type = models.CharField(max_length=100, blank=True, editable=False)
    record_id = models.CharField(max_length=64, blank=True, editable=False)
    person_id = models.BigIntegerField(
        null=True,
        blank=True,
        db_index=True,
        editable=False,
        help_text="The person served whose information was accessed (not a foreign key: "
        "the log outlives the record).",
    )
    ip = models.CharField("IP address", max_length=45, blank=True, editable=False)
    user_agent = models.CharField(max_length=200, blank=True, editable=False)
    reason = models.TextField(blank=True, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = "access log entry"
        verbose_name_plural = "access log"
        indexes = [models.Index(fields=["user", "at"]), models.Index(fields=["at"])]

    def __str__(self) -> str:
        return f"#{self.id} {self.at:%Y-%m-%d %H:%M} {self.username or '-'} {self.action}"

    def hashed_fields(self) -> dict[str, Any]:
        """Every field but `prev_hash` and `hash`, as plain JSON values."""
        data: dict[str, Any] = {}
        for field in self._meta.concrete_fields:
            if field.attname in ("prev_hash", "hash"):
                continue
            value = getattr(self, field.attname)
            if field.attname == "at":
                value = canonical_time(value)
            data[field.attname] = value
        return data

    def compute_hash(self) -> str:
        return chain_hash(self.prev_hash, self.hashed_fields())

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AccessLogImmutableError("The access log is append-only: entries cannot change.")
        if not self.hash or self.hash != self.compute_hash():
            raise AccessLogImmutableError(
                "Write access-log entries through peerpath.access.services.log_access."
            )
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AccessLogImmutableError("The access log is append-only: entries cannot be deleted.")


def canonical_time(value: Any) -> str:
    """An aware datetime as ISO 8601 in UTC with microseconds: the same before and after a
    round trip through SQLite or PostgreSQL."""
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise ValueError("Access-log times must be timezone-aware datetimes.")
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def chain_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """sha256(prev_hash + canonical JSON of the fields), as 64 hex digits."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


class AccessLogHead(models.Model):
    """One row: the id and hash of the last entry. Appends lock it (SELECT ... FOR UPDATE) so
    two writers never chain onto the same entry; `verify_chain` also checks the log still
    ends where the head says (nothing removed from the end)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    last_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = "access log head"
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="access_head_one_row")]

    def __str__(self) -> str:
        return f"access log head: entry {self.last_id}"


def reason_problem(reason: str) -> str | None:
    """Why a break-glass reason is not acceptable, or None.

    At least 15 letters or digits, at least two words, and not one key held down."""
    text = " ".join((reason or "").split())
    chars = [c for c in text if c.isalnum()]
    words = [w for w in text.split(" ") if any(c.isalpha() for c in w)]
    if len(chars) < MIN_REASON_CHARS or len(words) < 2 or len({c.lower() for c in chars}) < 5:
        return (
            f"Say why you need this record now, in at least {MIN_REASON_CHARS} characters "
            "of real text (for example: 'Crisis call tonight, assigned CPSS is out sick')."
        )
    return None


class BreakGlassGrant(models.Model):
    """Emergency, time-limited access to a person outside the user's caseload. Created only by
    `peerpath.access.services.break_glass`, which logs it with the reason."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass_grants"
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="break_glass_grants"
    )
    reason = models.TextField()
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    log_entry = models.OneToOneField(
        AccessLogEntry, on_delete=models.PROTECT, related_name="break_glass_grant"
    )

    class Meta:
        ordering = ["-granted_at"]
        indexes = [models.Index(fields=["user", "person", "expires_at"])]

    def __str__(self) -> str:
        return f"break-glass #{self.pk} until {self.expires_at:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        problem = reason_problem(self.reason)
        if problem:
            raise ValidationError({"reason": problem})
        if self.granted_at and self.expires_at and self.expires_at <= self.granted_at:
            raise ValidationError({"expires_at": "A grant must expire after it is granted."})
