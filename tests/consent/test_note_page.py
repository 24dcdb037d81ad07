"""The note page (/notes/<id>/) follows the chart's rule for payer staff: a Part 2 note is a
disclosure, shown only under the person's consent active on the day it is opened, recorded in
the accounting and carrying the redisclosure notice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from peerpath.consent.models import Disclosure
from peerpath.consent.services import REDISCLOSURE_NOTICE, consent_revoke
from tests.access.factories import StaffUserFactory
from tests.consent.factories import ConsentFactory, SignedNoteFactory, SudDiagnosisFactory
from tests.factories import NoteFactory

pytestmark = pytest.mark.django_db
NOTICE = REDISCLOSURE_NOTICE[:60].encode()


@pytest.fixture
def part2_note(settings):
    settings.PEERPATH_REQUIRE_2FA = False
    sud = SudDiagnosisFactory()
    note = SignedNoteFactory(
        person=sud.person, date=dt.date(2026, 4, 6), response="Went to my meeting again."
    )
    auditor = StaffUserFactory(role="auditor", agency=None, payer=sud.person.payer)
    client = Client()
    client.force_login(auditor.user)
    return note, auditor, client


def test_a_payer_auditor_cannot_open_a_part2_note_after_consent_is_revoked(part2_note):
    note, auditor, client = part2_note
    consent = ConsentFactory(person=note.person)
    consent_revoke(
        actor=auditor.user, consent=consent, on=timezone.localdate() - dt.timedelta(days=1)
    )
    response = client.get(f"/notes/{note.pk}/")
    assert response.status_code == 404
    assert b"Went to my meeting" not in response.content
    assert not Disclosure.objects.filter(person=note.person, part2_included=True).exists()


def test_with_consent_the_note_shows_with_the_notice_and_is_accounted(part2_note):
    note, _, client = part2_note
    consent = ConsentFactory(person=note.person)
    response = client.get(f"/notes/{note.pk}/")
    assert response.status_code == 200
    assert b"Went to my meeting" in response.content
    assert NOTICE in response.content
    disclosure = Disclosure.objects.get(person=note.person)
    assert disclosure.consent == consent and disclosure.part2_included
    assert disclosure.notice_included and disclosure.purpose == "operations"
    assert disclosure.records == [{"type": "services.ServiceNote", "id": note.pk}]


def test_agency_staff_see_the_note_without_a_disclosure(part2_note):
    note, _, _ = part2_note
    supervisor = StaffUserFactory(role="auditor", agency=note.person.agency)
    client = Client()
    client.force_login(supervisor.user)
    response = client.get(f"/notes/{note.pk}/")
    assert response.status_code == 200 and NOTICE not in response.content
    assert not Disclosure.objects.exists()


def test_payer_staff_never_open_a_draft(part2_note):
    note, _, client = part2_note
    ConsentFactory(person=note.person)
    draft = NoteFactory(person=note.person, staff=note.staff, date=dt.date(2026, 1, 5))
    assert client.get(f"/notes/{draft.pk}/").status_code == 404
