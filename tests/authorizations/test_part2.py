"""A payer's reviewer sees substance-use records only under the person's consent."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from peerpath.consent.models import Consent, Disclosure
from tests.authorizations.test_views import NOW, client_for, pending, reviewer_of
from tests.factories import DiagnosisFactory, PersonFactory

pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def no_2fa(settings):
    settings.PEERPATH_REQUIRE_2FA = False


@pytest.fixture
def request_with_sud():
    person = PersonFactory()
    DiagnosisFactory(person=person, code="F33.1", category="MH")
    DiagnosisFactory(
        person=person,
        code="F11.20",
        category="SUD",
        is_primary=False,
        description="Opioid dependence, uncomplicated",
    )
    return pending(person), reviewer_of(person.payer)


@time_machine.travel(NOW, tick=False)
def test_without_consent_the_reviewer_sees_no_sud_diagnosis_and_is_told_why(request_with_sud):
    auth, reviewer = request_with_sud
    body = client_for(reviewer).get(f"/requests/{auth.pk}/").content.decode()
    assert "F33.1" in body
    assert "F11.20" not in body and "Opioid" not in body
    assert "42 CFR Part 2" in body and "no active consent" in body
    assert not Disclosure.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_with_a_payment_consent_it_is_shown_with_the_notice_and_accounted(request_with_sud):
    auth, reviewer = request_with_sud
    Consent.objects.create(
        person=auth.person,
        recipient_payer=auth.payer,
        recipient_name=auth.payer.name,
        purposes=["payment"],
        effective=dt.date(2026, 1, 1),
        signed_by_person=True,
        signed_on=dt.date(2026, 1, 1),
    )
    body = client_for(reviewer).get(f"/requests/{auth.pk}/").content.decode()
    assert "F11.20" in body
    disclosure = Disclosure.objects.get(person=auth.person)
    assert disclosure.part2_included and disclosure.recipient_payer == auth.payer


@time_machine.travel(NOW, tick=False)
def test_the_reviewer_cannot_see_sud_records_through_the_chart_either(request_with_sud):
    auth, reviewer = request_with_sud
    body = client_for(reviewer).get(f"/people/{auth.person_id}/").content.decode()
    assert "F33.1" in body and "F11.20" not in body and "42 CFR Part 2" in body
