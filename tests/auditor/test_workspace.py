"""The auditor's workspace: findings counted by rule, provider, peer, payer and month from
the engine; a rule's findings lead to the note; a seeded sample is reproducible; exports
parse; every page is logged; only auditors and administrators get in, each in scope."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pyarrow.parquet as pq
import pytest
import time_machine
from django.test import Client

from peerpath.access.models import AccessLogEntry
from tests.access.factories import StaffUserFactory
from tests.factories import NoteFactory, PayerFactory, PersonFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_2fa")]
NOW = dt.datetime(2026, 6, 15, 15, tzinfo=dt.UTC)


@pytest.fixture
def no_2fa(settings):
    settings.PEERPATH_REQUIRE_2FA = False


def client_for(staff):
    client = Client()
    client.force_login(staff.user)
    return client


def signed_note(person, day):
    note = NoteFactory(person=person, date=day)
    note.status = "signed"
    note.signed_by = note.staff
    note.signed_credential = "CPSS"
    note.signed_at = dt.datetime(day.year, day.month, day.day, 20, tzinfo=dt.UTC)
    note.save()
    return note


@pytest.fixture
def books():
    """Two people of one agency (two payers) with signed notes that name no plan goal (a
    finding the engine denies), and a person of another agency."""
    one = PersonFactory()
    two = PersonFactory(agency=one.agency)
    notes = [signed_note(one, dt.date(2026, 4, d)) for d in (6, 8, 13, 15, 20, 22)]
    notes += [signed_note(two, dt.date(2026, 5, d)) for d in (4, 6)]
    other = PersonFactory()
    signed_note(other, dt.date(2026, 5, 5))
    auditor = StaffUserFactory(role="auditor", agency=one.agency)
    return {"one": one, "two": two, "notes": notes, "other": other, "auditor": auditor}


@time_machine.travel(NOW, tick=False)
def test_the_auditor_lands_on_the_workspace_with_findings_by_rule_month_and_payer(books):
    client = client_for(books["auditor"])
    assert client.get("/")["Location"] == "/audit/"
    page = client.get("/audit/")
    assert page.status_code == 200
    s = page.context["summary"]
    assert s.end == dt.date(2026, 6, 14) and s.start == dt.date(2025, 7, 1)
    by_rule = {c.key: c for c in s.by_rule}
    assert by_rule["NOTE.PLAN_GOAL"].total == 8 and by_rule["NOTE.PLAN_GOAL"].deny == 8
    assert {c.label for c in s.by_payer} >= {books["one"].payer.name, books["two"].payer.name}
    assert {c.label: c.total for c in s.by_month if c.key in ("2026-04", "2026-05")}
    months = {c.key for c in s.by_month}
    assert {"2026-04", "2026-05"} <= months
    # Nothing about the other agency's person.
    assert all(c.label != books["other"].agency.name for c in s.by_provider)
    assert AccessLogEntry.objects.filter(reason="audit workspace").count() == 1
    # A drill-down to the rule lists each note, newest first, leading to the note's page.
    rule = client.get("/audit/rules/NOTE.PLAN_GOAL/")
    assert rule.status_code == 200
    rows = rule.context["rows"]
    assert [r.note_id for r in rows][:1] == [books["notes"][-1].pk]
    assert f'href="/notes/{books["notes"][0].pk}/"' in rule.content.decode()
    assert client.get("/audit/rules/NO.SUCH_RULE/").status_code == 404


@time_machine.travel(NOW, tick=False)
def test_a_seeded_sample_is_reproducible_and_its_worksheet_downloads(books):
    client = client_for(books["auditor"])
    first = client.get("/audit/sample/?size=4&seed=7").context["rows"]
    again = client.get("/audit/sample/?size=4&seed=7").context["rows"]
    assert [r.note.pk for r in first] == [r.note.pk for r in again]
    assert len(first) == 4 and all(r.findings >= 1 for r in first)
    assert {r.note.person_id for r in first} <= {books["one"].pk, books["two"].pk}
    everything = client.get("/audit/sample/?size=200&seed=7").context["rows"]
    assert len(everything) == 8  # the agency's signed notes, no more
    sheet = client.get("/audit/sample/?size=4&seed=7&format=csv")
    rows = list(csv.DictReader(io.StringIO(sheet.content.decode())))
    assert [int(r["note_number"]) for r in rows] == [r.note.pk for r in first]
    assert rows[0]["documentation_supports_service"] == ""
    assert AccessLogEntry.objects.filter(action="export", reason__contains="seed 7").exists()


@time_machine.travel(NOW, tick=False)
def test_findings_export_as_csv_and_parquet(books):
    client = client_for(books["auditor"])
    text = client.get("/audit/findings.csv").content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sum(r["rule_id"] == "NOTE.PLAN_GOAL" for r in rows) == 8
    table = pq.read_table(io.BytesIO(client.get("/audit/findings.parquet").content))
    assert table.num_rows == len(rows) and "cite_source" in table.column_names
    assert client.get("/audit/findings.xlsx").status_code == 404


@time_machine.travel(NOW, tick=False)
def test_a_payers_auditor_sees_the_payers_members_and_a_peer_is_refused(books):
    payer_auditor = StaffUserFactory(
        role="auditor", agency=None, payer=books["two"].payer, hire_date=None
    )
    s = client_for(payer_auditor).get("/audit/").context["summary"]
    assert {c.key: c.total for c in s.by_rule}["NOTE.PLAN_GOAL"] == 2
    peer = StaffUserFactory(role="cpss", agency=books["one"].agency)
    assert client_for(peer).get("/audit/").status_code == 403
    stranger = StaffUserFactory(role="auditor", agency=None, payer=PayerFactory())
    assert client_for(stranger).get("/audit/").context["summary"].total == 0
