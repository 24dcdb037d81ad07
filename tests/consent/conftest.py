from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from peerpath.people.models import Diagnosis, Person
from peerpath.plans.models import Plan
from peerpath.services.models import ServiceNote
from tests.consent.factories import SignedNoteFactory, SudDiagnosisFactory
from tests.factories import CrisisPlanFactory, DiagnosisFactory, GoalFactory, PlanFactory


@dataclass
class Record:
    """A person with depression (since 2025) and opioid dependence (since 2026-03-01)."""

    person: Person
    mh: Diagnosis
    sud: Diagnosis
    old_plan: Plan  # 2025, before the SUD diagnosis
    plan: Plan  # current, during it
    early_note: ServiceNote  # 2026-02-02, before it
    note: ServiceNote  # 2026-04-06, during it


@pytest.fixture
def record(db) -> Record:  # type: ignore[no-untyped-def]
    mh = DiagnosisFactory()  # F33.1 from 2025-01-01
    person = mh.person
    sud = SudDiagnosisFactory(person=person)
    old_plan = PlanFactory(
        person=person,
        version=1,
        status="superseded",
        start=dt.date(2025, 1, 6),
        review_due=dt.date(2026, 1, 5),
    )
    GoalFactory(plan=old_plan, own_words="Get back to my job at the bakery.")
    plan = PlanFactory(person=person, version=2, previous=old_plan)
    GoalFactory(plan=plan, own_words="Stay clean for my daughter's graduation.")
    CrisisPlanFactory(plan=plan)
    early_note = SignedNoteFactory(person=person, date=dt.date(2026, 2, 2))
    note = SignedNoteFactory(person=person, staff=early_note.staff, date=dt.date(2026, 4, 6))
    return Record(person, mh, sud, old_plan, plan, early_note, note)
