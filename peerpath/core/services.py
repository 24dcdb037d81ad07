"""The one path every write takes: validate the whole record, save it, write its history.

App service modules call `save_record` inside `transaction.atomic()`, so a failure anywhere
leaves nothing half-written.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import models

from peerpath.audit.models import ChangeRecord

Actor = AbstractBaseUser | AnonymousUser | None
M = TypeVar("M", bound=models.Model)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: models.Model) -> dict[str, Any]:
    """Field values of a record, by attribute name (foreign keys as ids)."""
    return {f.attname: _plain(getattr(obj, f.attname)) for f in obj._meta.concrete_fields}


def record_change(
    *,
    actor: Actor,
    obj: models.Model,
    action: str,
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> ChangeRecord:
    user = actor if isinstance(actor, User) and actor.pk else None
    label = user.get_username() if user is not None else "system"
    return ChangeRecord.objects.create(
        actor=user,
        actor_label=label,
        action=action,
        record_type=obj._meta.label,
        record_id=str(obj.pk),
        changes=changes or {},
        reason=reason,
    )


def save_record(
    obj: M,
    *,
    actor: Actor,
    action: str | None = None,
    reason: str = "",
    exclude: list[str] | None = None,
) -> M:
    """Validate (raising ValidationError that names each bad field), save, record history.

    On update, only the fields that changed are written to the history.
    """
    obj.full_clean(exclude=exclude)
    before: dict[str, Any] = {}
    creating = obj._state.adding
    if not creating:
        old = type(obj)._default_manager.filter(pk=obj.pk).first()
        before = snapshot(old) if old is not None else {}
    obj.save()
    after = snapshot(obj)
    if creating:
        diff = {k: v for k, v in after.items() if v not in (None, "", [], {})}
    else:
        diff = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    record_change(
        actor=actor,
        obj=obj,
        action=action or ("create" if creating else "update"),
        changes=diff,
        reason=reason,
    )
    person_id = person_of(obj)
    if person_id is not None:
        # A change to a person's information is also an access to it (HIPAA audit controls).
        from peerpath.access.services import log_access

        log_access(
            user=actor,
            action="change",
            record_type=obj._meta.label,
            record_id=obj.pk,
            person_id=person_id,
            reason=reason,
        )
    return obj


# Records of access itself, which write their own, more specific log entry.
_LOGS_ITSELF = {"access.BreakGlassGrant", "consent.Disclosure"}


def person_of(obj: models.Model) -> int | None:
    """The person a record is about, if any: the person, or the person of its plan."""
    if obj._meta.label in _LOGS_ITSELF:
        return None
    if obj._meta.label == "people.Person":
        return int(obj.pk)
    for path in ("person_id", "plan.person_id", "goal.plan.person_id", "episode.person_id"):
        value: Any = obj
        for part in path.split("."):
            value = getattr(value, part, None)
            if value is None:
                break
        if isinstance(value, int):
            return value
    return None
