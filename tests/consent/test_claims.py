import datetime as dt

from peerpath.consent import services
from tests.consent.factories import ConsentFactory
from tests.factories import PayerFactory, PersonFactory

ON = dt.date(2026, 6, 1)


def claim_codes(person, payer=None):
    return services.part2_filter_claim_diagnoses(
        person=person, payer=payer or person.payer, on=ON, codes=["F33.1", "F11.20"]
    )


def test_claim_leaves_off_sud_diagnosis_without_consent_and_keeps_depression(db):
    person = PersonFactory()
    allowed, withheld, reason = claim_codes(person)
    assert allowed == ["F33.1"]
    assert withheld == ["F11.20"]
    assert "no active consent" in reason and person.payer.name in reason


def test_claim_carries_sud_diagnosis_with_a_payment_consent_for_that_payer(db):
    consent = ConsentFactory()
    assert claim_codes(consent.person) == (["F33.1", "F11.20"], [], "")


def test_claim_consent_must_be_for_payment_and_that_payer(db):
    treatment_only = ConsentFactory(purposes=["treatment"])
    assert claim_codes(treatment_only.person)[1] == ["F11.20"]
    other_payer = ConsentFactory(recipient_payer=PayerFactory())
    assert claim_codes(other_payer.person)[1] == ["F11.20"]


def test_claim_without_sud_codes_needs_no_consent(db):
    person = PersonFactory()
    result = services.part2_filter_claim_diagnoses(
        person=person, payer=person.payer, on=ON, codes=["F33.1", "F17.210"]
    )
    assert result == (["F33.1", "F17.210"], [], "")
