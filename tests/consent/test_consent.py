import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from peerpath.audit.models import ChangeRecord
from peerpath.consent import services
from peerpath.consent.models import Consent, ImmutableRecordError
from tests.consent.factories import ConsentFactory
from tests.factories import PayerFactory, PersonFactory

D = dt.date


def record_consent(actor, person, **kw):
    fields = dict(
        actor=actor,
        person=person,
        recipient_payer=person.payer,
        purposes=["payment"],
        effective=D(2026, 1, 1),
        signed_on=D(2026, 1, 1),
    )
    fields.update(kw)
    return services.consent_record(**fields)


def payment_consent_on(person, day):
    return services.active_consent(person, payer=person.payer, purpose="payment", on=day)


def test_recorded_consent_counts_for_its_payer_and_purpose_and_leaves_history(actor):
    person = PersonFactory()
    consent = record_consent(actor, person, expires=D(2026, 12, 31))
    assert payment_consent_on(person, D(2026, 6, 1)) == consent
    assert ChangeRecord.objects.filter(record_type="consent.Consent", action="create").exists()


def test_consent_does_not_count_before_it_takes_effect(db):
    consent = ConsentFactory(effective=D(2026, 2, 1), signed_on=D(2026, 1, 20))
    assert payment_consent_on(consent.person, D(2026, 1, 31)) is None
    assert payment_consent_on(consent.person, D(2026, 2, 1)) == consent


def test_consent_still_counts_on_the_day_it_expires_but_not_after(db):
    consent = ConsentFactory(expires=D(2026, 6, 30))
    assert payment_consent_on(consent.person, D(2026, 6, 30)) == consent
    assert payment_consent_on(consent.person, D(2026, 7, 1)) is None


def test_revoked_consent_no_longer_counts_from_the_day_of_revocation(actor):
    consent = ConsentFactory()
    services.consent_revoke(actor=actor, consent=consent, on=D(2026, 5, 10))
    assert payment_consent_on(consent.person, D(2026, 5, 9)) == consent
    assert payment_consent_on(consent.person, D(2026, 5, 10)) is None
    assert ChangeRecord.objects.filter(record_type="consent.Consent", action="revoke").exists()


def test_consent_cannot_be_revoked_twice(actor):
    consent = ConsentFactory(revoked_on=D(2026, 5, 10))
    with pytest.raises(ValidationError) as err:
        services.consent_revoke(actor=actor, consent=consent, on=D(2026, 6, 1))
    assert "revoked_on" in err.value.message_dict


def test_consent_for_another_payer_does_not_count(db):
    consent = ConsentFactory(recipient_payer=PayerFactory())
    assert payment_consent_on(consent.person, D(2026, 6, 1)) is None


def test_consent_for_other_purposes_does_not_count(db):
    consent = ConsentFactory(purposes=["treatment"])
    assert payment_consent_on(consent.person, D(2026, 6, 1)) is None


def test_consent_to_a_named_recipient_matches_by_name(db):
    consent = ConsentFactory(recipient_payer=None, recipient_name="Dr. Ana Ortiz, Wake Clinic")
    match = services.active_consent(
        consent.person,
        recipient_name="dr. ana ortiz, wake clinic",
        purpose="treatment",
        on=D(2026, 6, 1),
    )
    assert match == consent
    other = services.active_consent(
        consent.person, recipient_name="Wake Clinic", purpose="treatment", on=D(2026, 6, 1)
    )
    assert other is None


def test_purpose_other_requires_purpose_other(actor):
    person = PersonFactory()
    with pytest.raises(ValidationError) as err:
        record_consent(actor, person, purposes=["other"])
    assert "purpose_other" in err.value.message_dict
    consent = record_consent(
        actor, person, purposes=["other"], purpose_other="Housing application with the PHA"
    )
    assert consent.purposes == ["other"]


def test_unknown_purpose_is_refused(actor):
    with pytest.raises(ValidationError) as err:
        record_consent(actor, PersonFactory(), purposes=["marketing"])
    assert "purposes" in err.value.message_dict


def test_expires_before_effective_is_refused_naming_expires(actor):
    with pytest.raises(ValidationError) as err:
        record_consent(actor, PersonFactory(), expires=D(2025, 12, 31))
    assert "expires" in err.value.message_dict
    assert not Consent.objects.exists()


def test_consent_needs_a_recipient(actor):
    with pytest.raises(ValidationError) as err:
        record_consent(actor, PersonFactory(), recipient_payer=None)
    assert "recipient_name" in err.value.message_dict


def test_recorded_consent_cannot_be_changed_or_deleted(db):
    consent = ConsentFactory()
    consent.purposes = ["payment", "other"]
    with pytest.raises(ImmutableRecordError):
        consent.save()
    with pytest.raises(ImmutableRecordError):
        consent.delete()


def test_active_consent_needs_a_recipient(db):
    consent = ConsentFactory()
    with pytest.raises(ValueError):
        services.active_consent(consent.person, purpose="payment", on=D(2026, 6, 1))
