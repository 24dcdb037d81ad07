"""Anchors: the access log's chain head, written outside the database, so a rewritten log is
found even when every hash in it was recomputed.

The hash chain (`peerpath.access.models`) shows a change to any entry, unless whoever changed
it also recomputed every hash after it, which anyone who can write to the database can do.
An anchor is a line appended to a file that database access does not reach (another disk, a
write-once bucket, a copy mailed off the machine): the last entry's id and hash at a moment,
with an HMAC under a key kept in the environment (PEERPATH_ACCESSLOG_KEY, not in the
database), so an anchor cannot be forged without the key either. `verify_anchors` checks
that each anchored entry still exists with the hash the anchor recorded: a rewrite before
the last anchor shows even when the chain itself is consistent.

`peerpath accesslog anchor` appends one (run it on a schedule, e.g. hourly from cron);
`peerpath accesslog verify` checks the chain and every anchor. See docs/deploy.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from .models import AccessLogEntry, AccessLogHead
from .services import verify_chain


def anchor_file() -> Path:
    return Path(settings.PEERPATH_ACCESSLOG_ANCHORS)


def _key() -> bytes:
    key = settings.PEERPATH_ACCESSLOG_KEY
    if not key:
        raise ImproperlyConfigured(
            "PEERPATH_ACCESSLOG_KEY is not set: anchors are signed with it (keep it outside "
            "the database, as you keep the secret key)."
        )
    return key.encode()


def _mac(last_id: int, last_hash: str, at: str) -> str:
    message = f"peerpath-accesslog-anchor:{last_id}:{last_hash}:{at}".encode()
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Anchor:
    at: str
    last_id: int
    last_hash: str
    mac: str

    def line(self) -> str:
        return json.dumps(
            {"at": self.at, "last_id": self.last_id, "last_hash": self.last_hash, "mac": self.mac},
            sort_keys=True,
        )


class AnchorError(Exception):
    """The chain is broken, so its head is not worth anchoring."""


def write_anchor(path: Path | None = None) -> Anchor:
    """Check the chain, then append its head to the anchor file (created if missing)."""
    result = verify_chain()
    if not result.ok:
        raise AnchorError(
            f"the access log's chain is broken at entry {result.first_broken_id}: "
            f"{result.reason}; not anchoring a broken chain"
        )
    head = AccessLogHead.objects.filter(pk=1).first()
    last_id, last_hash = (head.last_id, head.last_hash) if head else (0, "")
    at = timezone.now().isoformat(timespec="seconds")
    anchor = Anchor(at, last_id, last_hash, _mac(last_id, last_hash, at))
    target = path or anchor_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("a", encoding="utf-8") as f:
        f.write(anchor.line() + "\n")
    return anchor


@dataclass(frozen=True)
class AnchorCheck:
    ok: bool
    checked: int
    problem: str = ""


def verify_anchors(path: Path | None = None) -> AnchorCheck:
    """Check every anchor: signed with the key, and its entry still in the log with the hash
    it had when anchored. No anchor file is not an error (nothing to check against)."""
    target = path or anchor_file()
    if not target.exists():
        return AnchorCheck(True, 0)
    checked = 0
    for number, raw in enumerate(target.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
            anchor = Anchor(
                str(data["at"]), int(data["last_id"]), str(data["last_hash"]), str(data["mac"])
            )
        except (ValueError, KeyError, TypeError):
            return AnchorCheck(False, checked, f"anchor line {number} cannot be read")
        if not hmac.compare_digest(anchor.mac, _mac(anchor.last_id, anchor.last_hash, anchor.at)):
            return AnchorCheck(
                False, checked, f"anchor line {number} is not signed with this key (forged?)"
            )
        if anchor.last_id:
            entry = AccessLogEntry.objects.filter(id=anchor.last_id).only("hash").first()
            if entry is None:
                return AnchorCheck(
                    False,
                    checked,
                    f"entry {anchor.last_id}, anchored at {anchor.at}, is no longer in the log",
                )
            if entry.hash != anchor.last_hash:
                return AnchorCheck(
                    False,
                    checked,
                    f"entry {anchor.last_id} no longer has the hash anchored at {anchor.at}: "
                    "the log was rewritten up to it",
                )
        checked += 1
    return AnchorCheck(True, checked)
