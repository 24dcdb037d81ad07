"""The restore drill: a backup taken while PeerPath runs restores into a new folder, and the
restored copy passes its checks (integrity, row counts, the access log's chain); a copy that
does not match what the backup recorded is reported, and nothing is restored over a
database."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from peerpath.backup import backup, restore
from peerpath.cli import main as cli_main
from tests.factories import PersonFactory

pytestmark = [
    # A real transaction: the backup copies what is committed, as it does in production.
    pytest.mark.django_db(transaction=True),
]
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite drill")


@sqlite_only
def test_a_backup_restores_and_passes_its_checks(tmp_path):
    PersonFactory()
    counts = backup(tmp_path / "nightly.sqlite3")
    assert counts["people_person"] == 1
    assert restore(tmp_path / "nightly.sqlite3", tmp_path / "drill") == []


@sqlite_only
def test_a_copy_that_does_not_match_its_counts_is_reported(tmp_path):
    PersonFactory()
    backup(tmp_path / "b.sqlite3")
    sidecar = tmp_path / "b.sqlite3.counts.json"
    counts = json.loads(sidecar.read_text())
    counts["people_person"] += 1
    sidecar.write_text(json.dumps(counts))
    problems = restore(tmp_path / "b.sqlite3", tmp_path / "drill")
    assert any("people_person" in p for p in problems)


@sqlite_only
def test_restore_never_writes_over_a_folder_in_use(tmp_path, capsys):
    backup(tmp_path / "b.sqlite3")
    (tmp_path / "live").mkdir()
    (tmp_path / "live" / "peerpath.sqlite3").write_text("live data")
    assert cli_main(["restore", str(tmp_path / "b.sqlite3"), "--into", str(tmp_path / "live")]) == 1
    assert "not empty" in capsys.readouterr().err
    assert (tmp_path / "live" / "peerpath.sqlite3").read_text() == "live data"


@pytest.fixture
def empty_database():
    """A new, empty database on the test server, dropped afterwards."""
    import uuid

    import psycopg

    from peerpath.backup import pg_url

    name = f"drill_{uuid.uuid4().hex[:10]}"
    server = pg_url({**connection.settings_dict, "NAME": "postgres"})
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_url({**connection.settings_dict, "NAME": name})
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL drill")
def test_a_postgres_backup_restores_into_a_new_database_and_passes_its_checks(
    tmp_path, empty_database, capsys
):
    PersonFactory()
    counts = backup(tmp_path / "nightly.dump")
    assert counts["people_person"] == 1
    assert json.loads((tmp_path / "nightly.dump.counts.json").read_text()) == counts
    assert cli_main(["restore", str(tmp_path / "nightly.dump"), "--into", empty_database]) == 0
    # Never over a database: the same target, now holding tables, is refused.
    problems = restore(tmp_path / "nightly.dump", empty_database)
    assert problems and "not empty" in problems[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL drill")
def test_a_postgres_copy_that_does_not_match_its_counts_is_reported(tmp_path, empty_database):
    PersonFactory()
    backup(tmp_path / "b.dump")
    sidecar = tmp_path / "b.dump.counts.json"
    counts = json.loads(sidecar.read_text())
    counts["people_person"] += 1
    sidecar.write_text(json.dumps(counts))
    problems = restore(tmp_path / "b.dump", empty_database)
    assert any("people_person" in p for p in problems)
