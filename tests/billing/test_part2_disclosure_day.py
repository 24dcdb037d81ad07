"""An 837P discloses what it carries on the day it is written: a substance-use (Part 2)
diagnosis goes out only under a consent that counts on that day, whatever the service date."""

from __future__ import annotations

import datetime as dt

import pytest

from peerpath.billing.models import ClaimLine, LineStatus
from peerpath.billing.services import BillingError, batch_create, lines_scrub
from peerpath.billing.x12.claim837 import segments
from peerpath.consent.models import Disclosure
from peerpath.consent.services import consent_record, consent_revoke
from tests.billing.conftest import DAY, TODAY, ready_person
from tests.factories import DiagnosisFactory

pytestmark = pytest.mark.django_db
REVOKED = dt.date(2026, 4, 20)  # after the service (DAY), before the file (TODAY)


def sud_person_with_consent(actor, agency, payer):
    r = ready_person(agency, payer)
    DiagnosisFactory(person=r.person, code="F11.20", category="SUD", is_primary=False)
    consent = consent_record(
        actor=actor,
        person=r.person,
        purposes=["payment"],
        recipient_payer=payer,
        effective=dt.date(2026, 1, 1),
        signed_on=dt.date(2026, 1, 1),
    )
    return r, consent


def test_a_file_written_after_revocation_does_not_send_the_sud_diagnosis(actor, world):
    agency, payer = world
    r, consent = sud_person_with_consent(actor, agency, payer)
    note = r.note()
    assert DAY < REVOKED < TODAY
    consent_revoke(actor=actor, consent=consent, on=REVOKED)
    batch = batch_create(actor=actor, agency=agency, payer=payer, today=TODAY)
    line = ClaimLine.objects.get(note=note)
    assert "F11.20" not in line.diagnosis_codes
    assert batch is None or "F1120" not in batch.file_text
    assert line.status == LineStatus.HELD
    assert "BILLING.PART2_CONSENT" in line.holds.values_list("rule_id", flat=True)
    assert not Disclosure.objects.filter(part2_included=True).exists()


def test_lines_scrubbed_before_revocation_are_refused_when_the_file_is_written(actor, world):
    agency, payer = world
    r, consent = sud_person_with_consent(actor, agency, payer)
    note = r.note()
    lines_scrub(actor=actor, agency=agency, today=dt.date(2026, 4, 10))
    assert "F11.20" in ClaimLine.objects.get(note=note).diagnosis_codes
    consent_revoke(actor=actor, consent=consent, on=REVOKED)
    with pytest.raises(BillingError, match="consent active on 2026-05-01"):
        batch_create(actor=actor, agency=agency, payer=payer, today=TODAY, scrub=False)
    assert ClaimLine.objects.get(note=note).status == LineStatus.READY
    assert not Disclosure.objects.exists()


def test_a_consent_signed_after_the_service_lets_the_code_go_out(actor, world):
    agency, payer = world
    r = ready_person(agency, payer)
    DiagnosisFactory(person=r.person, code="F11.20", category="SUD", is_primary=False)
    r.note()
    consent_record(
        actor=actor,
        person=r.person,
        purposes=["payment"],
        recipient_payer=payer,
        effective=dt.date(2026, 4, 25),
        signed_on=dt.date(2026, 4, 25),
    )
    batch = batch_create(actor=actor, agency=agency, payer=payer, today=TODAY)
    assert batch is not None and "F1120" in batch.file_text
    assert ["HI", "ABK:F331", "ABF:F1120"] in segments(batch.file_text)
