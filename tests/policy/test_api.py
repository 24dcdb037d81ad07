"""The engine's public face: the pack, figures and units that screens and billing show."""

import datetime as dt

import pytest

from peerpath.organizations.models import PayerContract
from peerpath.policy import api
from peerpath.policy.models import ParameterOverride
from tests.factories import (
    AuthorizationFactory,
    NoteFactory,
    PayerFactory,
    PersonFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 5, 1)


def test_person_is_judged_by_their_payer_state_pack():
    person = PersonFactory()
    chosen = api.pack_in_force(person.pk, DAY)
    assert chosen is not None
    assert chosen.id == "nc-8g-2025"
    assert chosen.contract is None


def test_contract_that_names_a_pack_decides_the_pack():
    person = PersonFactory()
    PayerContract.objects.create(
        agency=person.agency,
        payer=person.payer,
        number="K-9",
        start=dt.date(2025, 1, 1),
        pack_override="sc-pss-2003",
    )
    chosen = api.pack_in_force(person.pk, DAY)
    assert chosen is not None
    assert (chosen.id, chosen.contract) == ("sc-pss-2003", "K-9")


def test_contract_figure_override_is_what_the_figure_says_and_cites():
    person = PersonFactory()
    contract = PayerContract.objects.create(
        agency=person.agency, payer=person.payer, number="K-2", start=dt.date(2025, 1, 1)
    )
    ParameterOverride.objects.create(
        contract=contract,
        key="ratios.group_max",
        value=8,
        start=dt.date(2026, 1, 1),
        source="Contract K-2 amendment 1",
        section="Exhibit C",
        confidence="official",
    )
    shown = api.figure(person.pk, "ratios.group_max", DAY)
    assert shown is not None
    assert shown.value == 8
    assert "K-2" in shown.citation.source
    before = api.figure(person.pk, "ratios.group_max", dt.date(2025, 6, 1))
    assert before is not None and before.value != 8


def test_no_pack_in_force_before_any_pack_starts():
    person = PersonFactory(payer=PayerFactory(state="NC"))
    assert api.pack_in_force(person.pk, dt.date(2001, 1, 1)) is None
    assert api.figure(person.pk, "ratios.group_max", dt.date(2001, 1, 1)) is None


def test_units_follow_the_pack_rounding_rule():
    person = PersonFactory()
    assert api.units_for_minutes(person.pk, DAY, 45) == 3
    assert api.units_for_minutes(person.pk, DAY, 7) == 0
    assert api.units_for_minutes(person.pk, DAY, 8) == 1


def signed(person):  # type: ignore[no-untyped-def]
    staff = StaffFactory(agency=person.agency)
    return dict(
        staff=staff,
        status="signed",
        signed_by=staff,
        signed_at=dt.datetime(2026, 4, 7, 21, tzinfo=dt.UTC),
        signed_credential="CPSS",
    )


def test_authorization_units_count_signed_notes_inside_its_dates_only():
    person = PersonFactory()
    auth = AuthorizationFactory(person=person, units_approved=20)
    NoteFactory(person=person, date=dt.date(2026, 4, 6), **signed(person))  # 45 min: 3 units
    NoteFactory(person=person, date=dt.date(2026, 4, 7))  # a draft: not used
    NoteFactory(person=person, date=dt.date(2026, 2, 1), **signed(person))  # before its start
    units = api.authorization_units([auth.pk], on=DAY)[auth.pk]
    assert (units.used, units.left) == (3, 17)
