import pytest
from django.db import DatabaseError, connection, transaction

from peerpath.consent import services
from peerpath.consent.models import Disclosure, ImmutableRecordError
from tests.factories import PersonFactory


@pytest.fixture
def disclosure(actor):
    person = PersonFactory()
    return services.disclosure_record(
        actor=actor,
        person=person,
        recipient_name=person.payer.name,
        recipient_payer=person.payer,
        purpose="payment",
        records=[{"type": "people.person", "id": person.pk}],
    )


def test_disclosure_cannot_be_changed(disclosure):
    disclosure.recipient_name = "Someone else"
    with pytest.raises(ImmutableRecordError):
        disclosure.save()
    with pytest.raises(ImmutableRecordError):
        Disclosure.objects.filter(pk=disclosure.pk).update(recipient_name="Someone else")


def test_disclosure_cannot_be_deleted(disclosure):
    with pytest.raises(ImmutableRecordError):
        disclosure.delete()
    with pytest.raises(ImmutableRecordError):
        Disclosure.objects.all().delete()
    assert Disclosure.objects.filter(pk=disclosure.pk).exists()


def test_database_refuses_to_rewrite_or_erase_a_disclosure(disclosure):
    with (
        pytest.raises(DatabaseError),
        transaction.atomic(),
        connection.cursor() as c,
    ):
        c.execute("UPDATE consent_disclosure SET recipient_name = 'x'")
    with (
        pytest.raises(DatabaseError),
        transaction.atomic(),
        connection.cursor() as c,
    ):
        c.execute("DELETE FROM consent_disclosure")
    disclosure.refresh_from_db()
    assert disclosure.recipient_name != "x"


def test_part2_disclosure_needs_a_consent_and_the_notice(actor):
    from django.core.exceptions import ValidationError

    person = PersonFactory()
    with pytest.raises(ValidationError) as err:
        services.disclosure_record(
            actor=actor,
            person=person,
            recipient_name="X",
            purpose="payment",
            records=[],
            part2_included=True,
        )
    assert "consent" in err.value.message_dict


def test_accounting_lists_the_persons_disclosures_newest_first(actor, disclosure):
    person = disclosure.person
    later = services.disclosure_record(
        actor=actor, person=person, recipient_name="Wake Clinic", purpose="treatment", records=[]
    )
    services.disclosure_record(
        actor=actor,
        person=PersonFactory(),
        recipient_name="Wake Clinic",
        purpose="treatment",
        records=[],
    )
    assert list(services.accounting_of_disclosures(person)) == [later, disclosure]


def test_many_disclosures_at_once_give_each_person_their_own_accounting(actor):
    import datetime as dt

    from django.core.exceptions import ValidationError

    first, second = PersonFactory(), PersonFactory()
    payer = first.payer
    consent = services.consent_record(
        actor=actor,
        person=first,
        purposes=["payment"],
        recipient_payer=payer,
        effective=dt.date(2026, 1, 1),
        signed_on=dt.date(2026, 1, 1),
    )
    rows = services.disclosures_record(
        actor=actor,
        recipient_name=payer.name,
        recipient_payer=payer,
        purpose="payment",
        notice_included=True,
        items=[
            services.DisclosureItem(first, [{"type": "billing.Claim", "id": 1}], consent),
            services.DisclosureItem(second, [{"type": "billing.Claim", "id": 2}]),
        ],
    )
    assert [list(services.accounting_of_disclosures(p)) for p in (first, second)] == [
        [rows[0]],
        [rows[1]],
    ]
    assert rows[0].part2_included and not rows[1].part2_included
    with pytest.raises(ValidationError):  # Part 2 records never go without the notice
        services.disclosures_record(
            actor=actor,
            recipient_name=payer.name,
            purpose="payment",
            items=[services.DisclosureItem(first, [{"type": "billing.Claim", "id": 3}], consent)],
        )
    assert Disclosure.objects.count() == 2
