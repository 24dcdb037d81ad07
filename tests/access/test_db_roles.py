"""PostgreSQL: the application's role (docs/deploy.md) cannot TRUNCATE the access log or the
accounting of disclosures, nor disable or drop their triggers; and TRUNCATE is refused by a
trigger even for the owner. Runs when the tests run on PostgreSQL."""

from __future__ import annotations

import os

import pytest
from django.db import DatabaseError, connection, transaction

from peerpath.access.dbroles import app_role_sql
from peerpath.access.models import AccessLogEntry
from peerpath.access.services import log_access
from peerpath.cli import main as cli_main
from tests.access.factories import StaffUserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="TRUNCATE and roles are PostgreSQL's"
    ),
]
APPEND_ONLY = ["access_accesslogentry", "consent_disclosure"]


def refused(sql: str) -> str:
    with pytest.raises(DatabaseError) as caught, transaction.atomic(), connection.cursor() as c:
        c.execute(sql)
    return str(caught.value)


@pytest.fixture
def as_app_role():
    role = f"peerpath_app_test_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
        for sql in app_role_sql(app_role=role, owner_role=owner):
            cursor.execute(sql)
        cursor.execute(f"SET ROLE {role}")
    try:
        yield role
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


def test_the_app_role_cannot_truncate_or_switch_off_the_guards(as_app_role):
    user = StaffUserFactory(role="cpss").user
    entry = log_access(user=user, action="view", record_type="people.Person", record_id=1)
    assert AccessLogEntry.objects.filter(pk=entry.pk).exists()  # it still works
    for table in APPEND_ONLY:
        assert "permission denied" in refused(f"TRUNCATE {table} CASCADE")
        assert "must be owner" in refused(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
        assert "permission denied" in refused(f"DELETE FROM {table}")
    assert "must be owner" in refused("DROP TRIGGER access_log_guard ON access_accesslogentry")
    assert "permission denied" in refused("UPDATE access_accesslogentry SET reason = 'x'")


def test_truncate_is_refused_by_a_trigger_even_for_the_owner(db):
    with connection.cursor() as cursor:  # as a production connection is (see test_settings)
        cursor.execute("SET LOCAL peerpath.allow_truncate = 'off'")
    messages = {table: refused(f"TRUNCATE {table} CASCADE") for table in APPEND_ONLY}
    assert "append-only" in messages["access_accesslogentry"]
    assert "cannot be deleted" in messages["consent_disclosure"]


def test_the_cli_prints_the_app_role_sql(capsys):
    assert cli_main(["accesslog", "app-role", "peerpath_app"]) == 0
    out = capsys.readouterr().out
    assert "REVOKE TRUNCATE" in out and "peerpath_app" in out
    assert cli_main(["accesslog", "app-role", "bad; DROP"]) == 2
