"""Two batches for the same notes at the same time, on PostgreSQL: each line is billed once.

Each thread has its own database connection (Django keeps one per thread), so the two
batches really run as two transactions side by side."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from peerpath.billing.models import ClaimLine, LineStatus
from peerpath.billing.services import batch_create
from peerpath.billing.x12.claim837 import validate_837
from peerpath.services.models import ServiceNote
from tests.billing.conftest import TODAY, billing_agency, contract, ready_person
from tests.factories import PayerFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _together(n: int, work) -> list[object]:
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # reported below, in the test's own thread
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    return results


def test_two_batches_at_once_bill_each_note_once():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL): SQLite runs one writer at a time")
    agency = billing_agency()
    payer = PayerFactory(name="Briar Ridge Health Partners", payer_id="BRHP1")
    contract(agency, payer)
    actor = UserFactory(username="biller")
    first = ready_person(agency, payer)
    for i in range(6):
        r = ready_person(agency, payer, cpss=first.cpss)
        for day in (6, 7, 8):
            r.note(
                date=dt.date(2026, 4, day), start_time=dt.time(9 + i), end_time=dt.time(9 + i, 45)
            )
    notes = set(ServiceNote.objects.filter(status="signed").values_list("pk", flat=True))

    results = _together(
        2, lambda i: batch_create(actor=actor, agency=agency, payer=payer, today=TODAY)
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    batches = [b for b in results if b is not None]
    assert batches, "neither batch billed anything"
    billed = [line.note_id for b in batches for line in ClaimLine.objects.filter(claim__batch=b)]
    assert sorted(billed) == sorted(notes)  # every note, each exactly once
    assert ClaimLine.objects.filter(is_current=True).count() == len(notes)
    assert set(ClaimLine.objects.values_list("status", flat=True)) == {LineStatus.SUBMITTED}
    for b in batches:
        assert validate_837(b.file_text).valid

    # And again, one after the other: nothing left to bill.
    again = _together(
        2, lambda i: batch_create(actor=actor, agency=agency, payer=payer, today=TODAY)
    )
    assert again == [None, None]
