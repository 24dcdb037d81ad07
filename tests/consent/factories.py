"""Factories for consent tests: an SUD diagnosis, a signed note, a consent, a counseling note."""

from __future__ import annotations

import datetime as dt

import factory

from peerpath.consent.models import Consent, CounselingNote
from tests.factories import DiagnosisFactory, NoteFactory, PersonFactory, UserFactory


class SudDiagnosisFactory(DiagnosisFactory):
    code = "F11.20"
    description = "Opioid dependence, uncomplicated"
    category = "SUD"
    is_primary = False
    start = dt.date(2026, 3, 1)


class SignedNoteFactory(NoteFactory):
    status = "signed"
    signed_by = factory.SelfAttribute("staff")
    signed_credential = "CPSS"
    signed_at = factory.LazyAttribute(
        lambda o: dt.datetime.combine(o.date, dt.time(18), tzinfo=dt.UTC)
    )


class ConsentFactory(factory.django.DjangoModelFactory):
    """A treatment/payment/operations consent to the person's own payer, from 2026-01-01."""

    class Meta:
        model = Consent

    person = factory.SubFactory(PersonFactory)
    recipient_payer = factory.SelfAttribute("person.payer")
    purposes = factory.LazyFunction(lambda: ["treatment", "payment", "operations"])
    effective = dt.date(2026, 1, 1)
    signed_on = dt.date(2026, 1, 1)


class CounselingNoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CounselingNote

    person = factory.SubFactory(PersonFactory)
    author = factory.SubFactory(UserFactory)
    date = dt.date(2026, 4, 8)
    text = "Talked through the cravings after the funeral; relapse-prevention plan revised."
