"""Anchors: the chain head kept outside the database, signed with a key from the
environment, so a log rewritten with every hash recomputed is still found out."""

from __future__ import annotations

import json

import pytest
from django.db import connection, transaction

from peerpath.access.anchors import verify_anchors, write_anchor
from peerpath.access.models import AccessLogEntry, AccessLogHead, chain_hash
from peerpath.access.services import log_access, verify_chain
from peerpath.cli import main as cli_main
from tests.access.conftest import log_triggers_dropped
from tests.access.factories import StaffUserFactory

TABLE = AccessLogEntry._meta.db_table


@pytest.fixture
def anchors(settings, tmp_path):
    settings.PEERPATH_ACCESSLOG_ANCHORS = str(tmp_path / "anchors.jsonl")
    settings.PEERPATH_ACCESSLOG_KEY = "a-key-kept-outside-the-database"
    return tmp_path / "anchors.jsonl"


@pytest.fixture
def entries(db):
    user = StaffUserFactory(role="cpss").user
    return [
        log_access(user=user, action="view", record_type="people.Person", record_id=i)
        for i in range(4)
    ]


def rewrite_with_hashes_recomputed(entry_id: int, record_id: str) -> None:
    """What someone with database access could do: change an entry, then recompute every
    hash from it on, and the head, so the chain is consistent again."""
    with log_triggers_dropped(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET record_id = %s WHERE id = %s", [record_id, entry_id])
        prev = AccessLogEntry.objects.get(id=entry_id - 1).hash if entry_id > 1 else "0" * 64
        for entry in AccessLogEntry.objects.filter(id__gte=entry_id).order_by("id"):
            new = chain_hash(prev, entry.hashed_fields())
            cursor.execute(
                f"UPDATE {TABLE} SET prev_hash = %s, hash = %s WHERE id = %s", [prev, new, entry.id]
            )
            prev = new
        AccessLogHead.objects.filter(pk=1).update(last_hash=prev)


def test_a_rewrite_with_every_hash_recomputed_passes_the_chain_but_not_the_anchor(anchors, entries):
    write_anchor()
    rewrite_with_hashes_recomputed(entries[1].id, "999")
    assert verify_chain().ok  # the chain alone cannot tell
    check = verify_anchors()
    assert not check.ok and "rewritten" in check.problem


def test_cli_anchor_then_verify(anchors, entries, capsys):
    assert cli_main(["accesslog", "anchor"]) == 0
    line = json.loads(anchors.read_text().splitlines()[-1])
    assert line["last_id"] == entries[-1].id
    assert cli_main(["accesslog", "verify"]) == 0
    assert "1 anchors match" in capsys.readouterr().out
    rewrite_with_hashes_recomputed(entries[0].id, "1000")
    assert cli_main(["accesslog", "verify"]) == 1
    assert "BROKEN" in capsys.readouterr().out


def test_an_anchor_forged_without_the_key_is_refused(anchors, entries, settings):
    write_anchor()
    settings.PEERPATH_ACCESSLOG_KEY = "someone-elses-key"
    check = verify_anchors()
    assert not check.ok and "not signed with this key" in check.problem


def test_removed_entries_are_found_by_the_anchor(anchors, entries):
    write_anchor()
    with log_triggers_dropped(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [entries[-1].id])
    AccessLogHead.objects.filter(pk=1).update(last_id=entries[-2].id, last_hash=entries[-2].hash)
    assert verify_chain().ok
    assert "no longer in the log" in verify_anchors().problem
