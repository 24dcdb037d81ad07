"""No lost edits: a draft's edit form carries the revision it started from, and the service
refuses to save over a revision it has not seen.

The revision is a short digest of every stored field of the record (`revision(obj)`), so
any save by anyone in between (a colleague, the same person in another tab, an import)
changes it; no column or migration is needed, and a record saved back to identical values
is not a conflict because nothing would be lost. Services take `base=` (the revision the
form was opened at; None skips the check, for callers that are not forms) and call
`refuse_stale` on the row they have locked with select_for_update, so two saves cannot both
pass the check.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from .services import snapshot


def revision(obj: models.Model) -> str:
    """A digest of the record's stored values (16 hex digits)."""
    values = json.dumps(snapshot(obj), sort_keys=True, default=str)
    return hashlib.sha256(values.encode()).hexdigest()[:16]


class StaleEditError(ValidationError):
    """Someone saved the record after this edit began. `current` holds the stored values
    (by field name) so the page can show both versions; `revision` is the stored revision,
    to save over it knowingly."""

    def __init__(self, message: str, *, current: dict[str, Any], revision: str) -> None:
        super().__init__({"__all__": [message]})
        self.current = current
        self.revision = revision


def refuse_stale(obj: models.Model, base: str | None, what: str) -> None:
    """Raise StaleEditError when `obj` (as stored, locked by the caller) is no longer at
    revision `base`."""
    if base is None:
        return
    now = revision(obj)
    if base != now:
        raise StaleEditError(
            f"Someone else saved this {what} after you opened it, so your changes were not "
            "saved and nothing was overwritten. Their version and yours are both shown: "
            "copy what you need, then save again.",
            current=snapshot(obj),
            revision=now,
        )
