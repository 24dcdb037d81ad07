import threading

import pytest
from django.db import DatabaseError, connection, connections, models, transaction
from django.test import RequestFactory

from peerpath.access.models import (
    GENESIS_HASH,
    AccessLogEntry,
    AccessLogHead,
    AccessLogImmutableError,
    chain_hash,
)
from peerpath.access.services import (
    log_access,
    logged_person_read,
    person_access_history,
    verify_chain,
)
from peerpath.cli import main as cli_main
from tests.access.conftest import log_triggers_dropped
from tests.access.factories import StaffUserFactory
from tests.factories import PersonFactory, UserFactory

TABLE = AccessLogEntry._meta.db_table


def views(user, n, person_id=None):
    return [
        log_access(
            user=user, action="view", record_type="people.Person", record_id=i, person_id=person_id
        )
        for i in range(n)
    ]


@pytest.fixture
def cpss(db):
    return StaffUserFactory(role="cpss").user


def raw(sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_entries_form_a_chain_from_64_zeros_that_verifies(cpss):
    first, second, third = views(cpss, 3)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    assert third.id == second.id + 1 == first.id + 2
    assert len(first.hash) == 64
    assert verify_chain().ok
    result = verify_chain()
    assert (result.checked, result.first_broken_id, result.reason) == (3, None, "")


def test_an_empty_log_verifies(db):
    assert verify_chain().ok and verify_chain().checked == 0


def test_hash_covers_every_field_as_canonical_json(cpss):
    entry = views(cpss, 1, person_id=7)[0]
    stored = AccessLogEntry.objects.get(pk=entry.pk)
    fields = stored.hashed_fields()
    assert set(fields) == {
        "id", "at", "user_id", "username", "role", "action", "record_type", "record_id",
        "person_id", "ip", "user_agent", "reason",
    }  # fmt: skip
    assert fields["at"].endswith("+00:00")
    assert stored.hash == chain_hash(stored.prev_hash, fields) == entry.hash


def test_entry_records_who_where_and_how(cpss):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="Mozilla/5.0 " + "x" * 400
    )
    entry = log_access(
        user=cpss, action="export", record_type="people.Person", record_id=5, person_id=5,
        request=request, reason="  monthly report  ",
    )  # fmt: skip
    entry = AccessLogEntry.objects.get(pk=entry.pk)
    assert (entry.username, entry.role, entry.action) == (cpss.username, "cpss", "export")
    assert entry.user_id == cpss.pk and entry.person_id == 5 and entry.record_id == "5"
    assert entry.ip == "10.1.2.3" and len(entry.user_agent) == 200
    assert entry.reason == "monthly report" and entry.at.tzinfo is not None


def test_roles_of_superusers_anonymous_and_unassigned_users(db):
    from django.contrib.auth.models import AnonymousUser

    admin = UserFactory(is_superuser=True)
    plain = UserFactory()
    roles = [
        log_access(user=u, action="sign_in", record_type="", record_id=None).role
        for u in (admin, AnonymousUser(), None, plain)
    ]
    assert roles == ["admin", "anonymous", "anonymous", "no_role"]


def test_failed_sign_in_names_the_account_tried(db):
    entry = log_access(
        user=None, action="sign_in_failed", record_type="", record_id=None, username="jdoe"
    )
    assert entry.username == "jdoe" and entry.user_id is None


def test_unknown_action_is_refused(cpss):
    with pytest.raises(ValueError):
        log_access(user=cpss, action="peek", record_type="people.Person", record_id=1)
    assert not AccessLogEntry.objects.exists()


def test_a_changed_entry_breaks_the_chain_at_that_entry(cpss):
    entries = views(cpss, 4)
    with log_triggers_dropped():
        raw(f"UPDATE {TABLE} SET reason = %s WHERE id = %s", ["covering tracks", entries[1].id])
    result = verify_chain()
    assert not result.ok
    assert result.first_broken_id == entries[1].id
    assert result.reason == "hash mismatch"
    assert result.checked == 1


def test_a_changed_and_rehashed_entry_breaks_the_next_link(cpss):
    entries = views(cpss, 4)
    forged = AccessLogEntry.objects.get(pk=entries[1].pk)
    forged.username = "somebody-else"
    with log_triggers_dropped():
        raw(
            f"UPDATE {TABLE} SET username = %s, hash = %s WHERE id = %s",
            [forged.username, forged.compute_hash(), forged.id],
        )
    result = verify_chain()
    assert result.first_broken_id == entries[2].id
    assert result.reason == f"prev_hash does not match entry {entries[1].id}"


def test_a_deleted_entry_is_found(cpss):
    entries = views(cpss, 4)
    with log_triggers_dropped():
        raw(f"DELETE FROM {TABLE} WHERE id = %s", [entries[1].id])
    result = verify_chain()
    assert result.first_broken_id == entries[2].id
    assert result.reason.startswith(f"prev_hash does not match entry {entries[0].id}")
    assert "missing" in result.reason


def test_entries_removed_from_the_end_are_found(cpss):
    entries = views(cpss, 3)
    with log_triggers_dropped():
        raw(f"DELETE FROM {TABLE} WHERE id = %s", [entries[2].id])
    result = verify_chain()
    assert not result.ok and result.first_broken_id == entries[2].id
    assert "head records entry" in result.reason


def test_model_refuses_to_change_or_delete_an_entry(cpss):
    entry = views(cpss, 1)[0]
    entry.reason = "edited"
    with pytest.raises(AccessLogImmutableError):
        entry.save()
    with pytest.raises(AccessLogImmutableError):
        entry.delete()
    with pytest.raises(AccessLogImmutableError):
        AccessLogEntry.objects.filter(pk=entry.pk).update(reason="edited")
    with pytest.raises(AccessLogImmutableError):
        AccessLogEntry.objects.all().delete()


def test_model_refuses_an_entry_written_around_log_access(cpss):
    with pytest.raises(AccessLogImmutableError):
        AccessLogEntry.objects.create(id=99, at=views(cpss, 1)[0].at, action="view", role="x")


def test_database_refuses_update_and_delete_through_the_orm(cpss):
    entry = views(cpss, 2)[0]
    plain = models.QuerySet(model=AccessLogEntry)  # no model or queryset guard
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        plain.filter(pk=entry.pk).update(reason="edited")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        plain.filter(pk=entry.pk).delete()
    assert AccessLogEntry.objects.get(pk=entry.pk).reason == ""
    assert verify_chain().ok


def test_database_refuses_update_and_delete_through_raw_sql(cpss):
    views(cpss, 2)
    with pytest.raises(DatabaseError, match="append-only"):
        raw(f"UPDATE {TABLE} SET reason = 'edited'")
    with pytest.raises(DatabaseError, match="append-only"):
        raw(f"DELETE FROM {TABLE}")
    assert AccessLogEntry.objects.count() == 2 and verify_chain().ok


def test_person_access_history_lists_that_persons_entries_newest_first(cpss):
    person, other = PersonFactory(), PersonFactory()
    a = views(cpss, 1, person_id=person.pk)[0]
    views(cpss, 1, person_id=other.pk)
    b = views(cpss, 1, person_id=person.pk)[0]
    assert list(person_access_history(person.pk)) == [b, a]


def test_a_person_read_is_logged_once_per_request(cpss):
    person = PersonFactory()
    request = RequestFactory().get("/people/1/", REMOTE_ADDR="192.0.2.9")
    request.user = cpss
    first = logged_person_read(request, person, "people.Person")
    again = logged_person_read(request, person, "people.Person")
    note = logged_person_read(request, person, "services.ServiceNote", record_id=42)
    assert first == again and note != first
    assert AccessLogEntry.objects.count() == 2
    assert (first.action, first.person_id, first.record_id) == ("view", person.pk, str(person.pk))
    assert (note.record_type, note.record_id, note.ip) == (
        "services.ServiceNote",
        "42",
        "192.0.2.9",
    )


def test_cli_verify_says_ok_and_exits_0(cpss, capsys):
    views(cpss, 3)
    assert cli_main(["accesslog", "verify"]) == 0
    assert capsys.readouterr().out.strip() == "OK: 3 entries, chain intact"


def test_cli_verify_names_the_broken_entry_and_exits_1(cpss, capsys):
    entries = views(cpss, 3)
    with log_triggers_dropped():
        raw(f"UPDATE {TABLE} SET record_id = '999' WHERE id = %s", [entries[1].id])
    assert cli_main(["accesslog", "verify"]) == 1
    assert capsys.readouterr().out.strip() == f"BROKEN at entry {entries[1].id}: hash mismatch"


def test_verify_reads_in_batches(cpss):
    views(cpss, 7)
    assert verify_chain(batch=2).checked == 7


def test_a_lost_head_row_is_rebuilt_from_the_last_entry(cpss):
    last = views(cpss, 2)[-1]
    AccessLogHead.objects.all().delete()
    entry = views(cpss, 1)[0]
    assert entry.prev_hash == last.hash and entry.id == last.id + 1
    assert verify_chain().ok


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite serializes writers; row locks need PG"
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_chain():
    users = [UserFactory(), UserFactory(), UserFactory(), UserFactory()]
    per_thread = 25
    start = threading.Barrier(len(users))
    errors: list[BaseException] = []

    def append(user):
        try:
            start.wait()
            for i in range(per_thread):
                log_access(user=user, action="view", record_type="people.Person", record_id=i)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    result = verify_chain()
    assert result.ok, result
    assert result.checked == len(users) * per_thread
    ids = list(AccessLogEntry.objects.order_by("id").values_list("id", flat=True))
    assert ids == list(range(1, len(users) * per_thread + 1))
    assert AccessLogEntry.objects.values("prev_hash").distinct().count() == len(ids)
