"""When measures are due: the policy engine's relation over the pack's schedule."""

from __future__ import annotations

import datetime as dt

import pytest

from peerpath.outcomes.models import Administration
from peerpath.policy.api import measures_due, next_occasion
from peerpath.policy.models import ParameterOverride
from tests.factories import ContractFactory

from .conftest import days, today

EVERY_90 = {"admission": True, "admission_within_days": 30, "every_days": 90, "discharge": True}
SAMHSA = {"admission": True, "admission_within_days": 7, "at_months": [6], "discharge": True}
D = dt.date


def test_admission_measure_is_due_within_the_window_of_admission() -> None:
    found = next_occasion(EVERY_90, admitted=D(2026, 1, 10), discharged=None, done=[])
    assert found is not None
    assert (found.occasion, found.due) == ("admission", D(2026, 2, 9))


def test_next_measure_is_90_days_after_the_last_one() -> None:
    found = next_occasion(
        EVERY_90, admitted=D(2026, 1, 10), discharged=None, done=[D(2026, 1, 12), D(2026, 4, 1)]
    )
    assert found is not None
    assert (found.occasion, found.due) == ("follow_up", D(2026, 6, 30))


def test_samhsa_style_asks_at_six_months_then_nothing_until_discharge() -> None:
    found = next_occasion(SAMHSA, admitted=D(2026, 1, 10), discharged=None, done=[D(2026, 1, 11)])
    assert found is not None
    assert (found.occasion, found.due) == ("follow_up", D(2026, 7, 10))
    assert (
        next_occasion(
            SAMHSA, admitted=D(2026, 1, 10), discharged=None, done=[D(2026, 1, 11), D(2026, 7, 8)]
        )
        is None
    )


def test_discharge_measure_is_due_on_the_discharge_day_unless_one_was_taken_near_it() -> None:
    found = next_occasion(
        EVERY_90, admitted=D(2026, 1, 10), discharged=D(2026, 5, 1), done=[D(2026, 1, 12)]
    )
    assert found is not None and found.occasion == "discharge"
    assert (
        next_occasion(
            EVERY_90, admitted=D(2026, 1, 10), discharged=D(2026, 5, 1), done=[D(2026, 4, 25)]
        )
        is None
    )


@pytest.mark.django_db
def test_a_person_admitted_four_months_ago_without_measures_is_overdue_for_the_barc10(team) -> None:
    person = team["person"]
    (due,) = measures_due([person], on=today())
    assert due.instrument == "BARC-10"
    assert due.occasion.occasion == "admission"
    assert due.occasion.due == today() - days(90)
    assert due.citation.confidence == "assumed"


@pytest.mark.django_db
def test_a_refusal_with_a_reason_closes_the_occasion(team) -> None:
    person = team["person"]
    Administration.objects.create(
        person=person, instrument="BARC-10", date=today() - days(119), status="refused",
        reason="Did not want to today",
    )  # fmt: skip
    (due,) = measures_due([person], on=today())
    assert due.occasion.occasion == "follow_up"
    assert due.occasion.due == today() - days(29)


@pytest.mark.django_db
def test_an_agency_sets_its_own_schedule_through_a_contract_override(team) -> None:
    person = team["person"]
    Administration.objects.create(
        person=person, instrument="BARC-10", date=today() - days(118), status="completed"
    )
    contract = ContractFactory(agency=person.agency, payer=person.payer, start=today() - days(900))
    ParameterOverride.objects.create(
        contract=contract, key="outcomes.schedule", value=SAMHSA, start=today() - days(900),
        source="Grant terms", section="GPRA schedule", confidence="official",
    )  # fmt: skip
    found = measures_due([person], on=today(), soon_days=400)
    assert [m.occasion.what for m in found] == ["6 months after admission"]


@pytest.mark.django_db
def test_measures_due_appear_on_the_supervisors_board(team) -> None:
    from .conftest import client_for

    page = client_for(team["qp"]).get("/team/").content.decode()
    assert "Outcome measures" in page
    assert "BARC-10: At admission" in page
