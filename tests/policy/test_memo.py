"""A request that only reads asks the engine each question once; anything else computes
afresh (peerpath.policy.memo, peerpath.policy.middleware)."""

import datetime as dt

import pytest

from peerpath.policy import api, memo
from peerpath.policy import extract as extract_module
from tests.factories import AuthorizationFactory, NoteFactory, PersonFactory

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 5, 1)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, ...]]:
    seen: list[tuple[int, ...]] = []
    real = extract_module.people_tables

    def counting(person_ids):  # type: ignore[no-untyped-def]
        seen.append(tuple(person_ids))
        return real(person_ids)

    monkeypatch.setattr(extract_module, "people_tables", counting)
    return seen


def test_within_a_reading_request_the_pack_is_found_once(reads):
    person = PersonFactory()
    with memo.active():
        first = api.pack_in_force(person.pk, DAY)
        second = api.packs_in_force([person.pk], DAY)[person.pk]
        assert len(reads) == 1
        # Another day is another question.
        api.pack_in_force(person.pk, DAY + dt.timedelta(days=1))
        assert len(reads) == 2
    assert first == second


def test_outside_a_request_every_call_computes(reads):
    person = PersonFactory()
    api.pack_in_force(person.pk, DAY)
    api.pack_in_force(person.pk, DAY)
    assert len(reads) == 2


def test_a_caller_changing_its_answer_does_not_change_the_next(reads):
    person = PersonFactory()
    auth = AuthorizationFactory(person=person, start=DAY, end=DAY + dt.timedelta(days=90))
    NoteFactory(person=person, date=DAY + dt.timedelta(days=2))
    with memo.active():
        answer = api.authorization_units([auth.pk], on=DAY + dt.timedelta(days=10))
        used = answer[auth.pk].used
        answer.clear()
        again = api.authorization_units((a for a in [auth.pk]), on=DAY + dt.timedelta(days=10))
    assert again[auth.pk].used == used


def test_only_get_and_head_requests_remember(client, django_user_model):
    from django.http import HttpResponse
    from django.test import RequestFactory

    from peerpath.policy.middleware import PolicyMemoMiddleware

    seen: list[bool] = []

    def view(request):  # type: ignore[no-untyped-def]
        seen.append(memo._MEMORY.get() is not None)
        return HttpResponse("")

    middleware = PolicyMemoMiddleware(view)
    factory = RequestFactory()
    middleware(factory.get("/"))
    middleware(factory.head("/"))
    middleware(factory.post("/"))
    assert seen == [True, True, False]
    assert memo._MEMORY.get() is None


def test_the_people_tables_are_read_once_per_reading_request_whatever_the_order():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    one, two = PersonFactory(), PersonFactory()
    with memo.active():
        with CaptureQueriesContext(connection) as first:
            tables = extract_module.people_tables([two.pk, one.pk])
        with CaptureQueriesContext(connection) as again:
            same = extract_module.people_tables([one.pk, two.pk, one.pk])
        assert len(first.captured_queries) == 3 and len(again.captured_queries) == 0
        assert same["people"].equals(tables["people"])
        same.clear()  # a caller's own copy
        assert extract_module.people_tables([one.pk, two.pk])["people"].num_rows == 2
    with CaptureQueriesContext(connection) as outside:
        extract_module.people_tables([one.pk, two.pk])
    assert len(outside.captured_queries) == 3
