"""A small, clean NC agency to bill: people whose signed notes pass every rule."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from peerpath.organizations.models import Agency, Payer
from peerpath.people.models import Person
from peerpath.plans.models import Intervention
from peerpath.services.models import GroupAttendance, ServiceNote
from peerpath.staff.models import StaffMember
from tests.factories import (
    AgencyFactory,
    AssessmentFactory,
    AuthorizationFactory,
    CaseloadFactory,
    CertificationFactory,
    ContractFactory,
    CrisisPlanFactory,
    DiagnosisFactory,
    GroupSessionFactory,
    InterventionFactory,
    NoteFactory,
    PayerFactory,
    PlanFactory,
    RateFactory,
    ServiceOrderFactory,
    StaffFactory,
)

DAY = dt.date(2026, 4, 6)  # a Monday, under the nc-8g-2025 pack
TODAY = dt.date(2026, 5, 1)


@dataclass
class Ready:
    person: Person
    cpss: StaffMember
    intervention: Intervention

    def note(self, **kw: object) -> ServiceNote:
        values: dict[str, object] = dict(
            person=self.person,
            staff=self.cpss,
            date=DAY,
            goal=self.intervention.goal,
            intervention=self.intervention,
            setting="home",
            status="signed",
            signed_by=self.cpss,
            signed_at=dt.datetime(2026, 4, 6, 21, tzinfo=dt.UTC),
            signed_credential="CPSS",
        )
        values.update(kw)
        return NoteFactory(**values)


def billing_agency() -> Agency:
    return AgencyFactory(
        address="410 Foster St", city="Durham", postal_code="27701-2813", phone="919-555-0100"
    )


def contract(agency: Agency, payer: Payer) -> None:
    c = ContractFactory(agency=agency, payer=payer)
    RateFactory(contract=c, modifiers="", rate_per_unit=Decimal("11.97"))
    RateFactory(contract=c, modifiers="HQ", rate_per_unit=Decimal("2.88"))


def ready_person(agency: Agency, payer: Payer, *, cpss: StaffMember | None = None) -> Ready:
    """A person with everything a clean note needs under NC 8G, and their peer specialist."""
    plan = PlanFactory(
        person__agency=agency,
        person__payer=payer,
        person__address="12 Elm St",
        person__city="Durham",
        person__state="NC",
        person__postal_code="27701",
        person__sex="F",
    )
    intervention = InterventionFactory(goal__plan=plan)
    person = plan.person
    CrisisPlanFactory(plan=plan)
    DiagnosisFactory(person=person)
    AssessmentFactory(person=person)
    ServiceOrderFactory(person=person)
    AuthorizationFactory(person=person)
    if cpss is None:
        cpss = StaffFactory(agency=agency)
        CertificationFactory(staff=cpss)
    CaseloadFactory(person=person, staff=cpss)
    return Ready(person, cpss, intervention)


def group_notes(people: list[Ready], **kw: object) -> list[ServiceNote]:
    """One group session led by the first person's peer specialist, a note for each."""
    lead = people[0].cpss
    session = GroupSessionFactory(agency=lead.agency, date=DAY, **kw)
    session.facilitators.add(lead)
    notes = []
    for r in people:
        GroupAttendance.objects.create(session=session, person=r.person)
        notes.append(
            r.note(
                staff=lead,
                kind="group",
                group_session=session,
                start_time=session.start_time,
                end_time=session.end_time,
                setting="office",
                activity="skills_group",
            )
        )
    return notes


@pytest.fixture
def world(db):  # type: ignore[no-untyped-def]
    agency = billing_agency()
    payer = PayerFactory(name="Briar Ridge Health Partners", payer_id="BRHP1")
    contract(agency, payer)
    return agency, payer
