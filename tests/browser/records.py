"""Records for browser tests, dated around today (the browser shows today's date and the
note form starts from it), built with the factories in tests/factories.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from peerpath.authorizations.models import Authorization
from peerpath.organizations.models import Agency, Payer
from peerpath.people.models import Person
from peerpath.plans.models import Intervention
from peerpath.services.models import NoteStatus, ServiceNote
from peerpath.staff.models import ContactKind, StaffMember, SupervisorContact, Training
from tests.access.factories import StaffUserFactory, SupervisionFactory
from tests.browser.kit import staff_user
from tests.factories import (
    AgencyFactory,
    AssessmentFactory,
    AuthorizationFactory,
    CaseloadFactory,
    CertificationFactory,
    CrisisPlanFactory,
    DiagnosisFactory,
    EpisodeFactory,
    GoalFactory,
    InterventionFactory,
    NoteFactory,
    PayerFactory,
    PersonFactory,
    PlanFactory,
    ServiceOrderFactory,
)


def days(n: int) -> dt.date:
    """Today (in the agency's time zone) plus n days."""
    return timezone.localdate() + dt.timedelta(days=n)


# The NC packs' required trainings (training.requirements), each done on time after a hire
# 700 days ago, and continuing education in each year since: (topic, hours, day).
TRAININGS = [
    *((t, 3, -690) for t in ("pss_policy", "crisis_plan", "pcp_elements", "documentation")),
    ("motivational_interviewing", 13, -650),
    ("person_centered_thinking", 12, -640),
    ("crisis_response", 6, -630),
    ("continuing_education", 10, -400),
    ("continuing_education", 10, -100),
]


@dataclass
class Peer:
    """A certified peer specialist who can sign in, with the people on their caseload."""

    staff: StaffMember
    agency: Agency
    payer: Payer


def peer(**fields: object) -> Peer:
    agency = AgencyFactory(name="Hope Street Peer Center")
    payer = PayerFactory(name="Blue Ridge Health Partners")
    staff = staff_user(
        "cpss", agency=agency, first_name="Sam", last_name="Rivera", hire_date=days(-700), **fields
    )
    CertificationFactory(staff=staff, start=days(-400), end=days(400))
    for topic, hours, on in TRAININGS:
        Training.objects.create(staff=staff, topic=topic, hours=hours, completed_on=days(on))
    return Peer(staff=staff, agency=agency, payer=payer)


def ready_person(
    of: Peer, first_name: str = "Jordan", last_name: str = "Ellis"
) -> tuple[Person, Intervention]:
    """Someone on the peer's caseload with everything a clean note needs under the NC pack in
    force today: diagnosis, assessment, service order, a current plan with a goal, an
    intervention and a crisis plan, and a current authorization."""
    person = PersonFactory(
        agency=of.agency, payer=of.payer, first_name=first_name, last_name=last_name
    )
    plan = PlanFactory(person=person, start=days(-60), review_due=days(300))
    goal = GoalFactory(plan=plan, own_words="I want to get my own apartment by spring.")
    intervention = InterventionFactory(goal=goal)
    CrisisPlanFactory(plan=plan, updated_on=days(-60))
    EpisodeFactory(person=person, start=days(-60))
    DiagnosisFactory(person=person, start=days(-400))
    AssessmentFactory(person=person, date=days(-70))
    ServiceOrderFactory(person=person, signed_on=days(-65))
    AuthorizationFactory(
        person=person,
        start=days(-60),
        end=days(120),
        requested_at=timezone.now() - dt.timedelta(days=64),
        decided_at=timezone.now() - dt.timedelta(days=62),
    )
    CaseloadFactory(person=person, staff=of.staff, start=days(-60))
    return person, intervention


def person_needing_attention(of: Peer) -> Person:
    """Someone whose plan review is close, with no crisis plan and few units left."""
    person = PersonFactory(agency=of.agency, payer=of.payer, first_name="Riley", last_name="Park")
    plan = PlanFactory(person=person, start=days(-200), review_due=days(10))
    InterventionFactory(
        goal__plan=plan,
        goal__own_words="I want to feel less alone on weekends.",
        activity="building_community",
        description="Find a weekend group together; go along the first time.",
    )
    AuthorizationFactory(person=person, start=days(-150), end=days(6), units_approved=20)
    CaseloadFactory(person=person, staff=of.staff, start=days(-200))
    return person


@dataclass
class Desk:
    """A UM reviewer of one payer, with requests waiting for a decision."""

    reviewer: StaffMember
    payer: Payer
    initial: Authorization
    continued: Authorization


def um_desk() -> Desk:
    """A reviewer with two pending requests received yesterday: an initial request whose
    service order is missing, and a continued-stay request with a full record."""
    payer = PayerFactory(name="Blue Ridge Health Partners")
    agency = AgencyFactory(name="Hope Street Peer Center")
    reviewer = staff_user(
        "um_reviewer",
        agency=None,
        payer=payer,
        hire_date=None,
        first_name="Morgan",
        last_name="Lee",
        credential="RN",
    )
    received = timezone.now() - dt.timedelta(days=1)
    requests = []
    for first, kind in (("Casey", "initial"), ("Devon", "concurrent")):
        person = PersonFactory(agency=agency, payer=payer, first_name=first, last_name="Brooks")
        DiagnosisFactory(person=person, start=days(-400))
        AssessmentFactory(person=person, date=days(-10))
        if kind == "concurrent":
            ServiceOrderFactory(person=person, signed_on=days(-5))
        GoalFactory(plan__person=person, plan__start=days(-5), plan__review_due=days(360))
        requests.append(
            AuthorizationFactory(
                person=person,
                kind=kind,
                status="requested",
                number="",
                units_requested=96,
                units_approved=None,
                requested_at=received,
                decided_at=None,
                start=days(3),
                end=days(180),
            )
        )
    return Desk(reviewer=reviewer, payer=payer, initial=requests[0], continued=requests[1])


def people_for_a_group(of: Peer, names: list[tuple[str, str]]) -> list[tuple[Person, Intervention]]:
    """People on the peer's caseload, each ready for a clean note (see ready_person), who
    can be checked in to one of the peer's groups."""
    return [ready_person(of, first_name=first, last_name=last) for first, last in names]


@dataclass
class Team:
    """A program supervisor (QP, who signs in with an authenticator app) and the two peer
    specialists they supervise: `first` supports `moving` and `late`; `full` already
    supports as many people as the NC pack allows one peer specialist (12)."""

    supervisor: StaffMember
    first: StaffMember
    full: StaffMember
    moving: Person
    late: Person


def _supported(peer_staff: StaffMember, payer: Payer, first_name: str, last_name: str) -> Person:
    """Someone on the caseload for 300 days, seen 10 days ago (a signed note)."""
    person = PersonFactory(
        agency=peer_staff.agency, payer=payer, first_name=first_name, last_name=last_name
    )
    CaseloadFactory(staff=peer_staff, person=person, start=days(-300))
    NoteFactory(
        person=person,
        staff=peer_staff,
        date=days(-10),
        status=NoteStatus.SIGNED,
        signed_by=peer_staff,
        signed_at=timezone.now() - dt.timedelta(days=10),
    )
    return person


def team() -> Team:
    """A supervisor's team with one person overdue for the supervisor's face-to-face
    contact (the last one 70 days ago; the NC pack asks for one every 60 days), one met
    recently, and a peer specialist whose caseload is full."""
    agency = AgencyFactory(name="Hope Street Peer Center")
    payer = PayerFactory(name="Blue Ridge Health Partners", state=agency.state)
    supervisor = staff_user(
        "supervisor", agency=agency, first_name="Quinn", last_name="Adams", credential="QP"
    )
    peers = []
    for first, last in (("Sam", "Rivera"), ("Alex", "Moreno")):
        staff = StaffUserFactory(
            role="cpss", agency=agency, first_name=first, last_name=last, hire_date=days(-3000)
        )
        SupervisionFactory(supervisor=supervisor, staff=staff, start=days(-400))
        CertificationFactory(staff=staff, start=days(-400), end=days(700))
        peers.append(staff)
    first, full = peers
    moving = _supported(first, payer, "Jordan", "Ellis")
    late = _supported(first, payer, "Riley", "Park")
    for who, met in ((moving, -5), (late, -70)):
        SupervisorContact.objects.create(
            supervisor=supervisor, person=who, date=days(met), kind=ContactKind.FACE_TO_FACE
        )
    for n in range(12):
        other = _supported(full, payer, f"Person{n + 1:02d}", "Cole")
        SupervisorContact.objects.create(
            supervisor=supervisor, person=other, date=days(-5), kind=ContactKind.FACE_TO_FACE
        )
    return Team(supervisor=supervisor, first=first, full=full, moving=moving, late=late)


def signed_note_without_goal(of: Peer, person: Person) -> ServiceNote:
    """A note the peer signed three days ago that names no goal of the plan (a finding
    the engine denies: NOTE.PLAN_GOAL)."""
    day = days(-3)
    return NoteFactory(
        person=person,
        staff=of.staff,
        date=day,
        status=NoteStatus.SIGNED,
        signed_by=of.staff,
        signed_credential="CPSS",
        signed_at=timezone.now() - dt.timedelta(days=2),
    )
