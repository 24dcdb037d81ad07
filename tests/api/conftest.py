"""A small agency for API tests: a peer specialist with one person on the caseload (with a
plan, a draft note and a pending authorization request), someone else of the agency, and
someone of another agency; one user of every role."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from peerpath.access.capabilities import ROLE_CAPABILITIES, Cap
from peerpath.api.tokens import token_create
from peerpath.people.models import Person
from peerpath.plans.models import Intervention
from peerpath.services.models import ServiceNote
from peerpath.services.services import group_session_create
from peerpath.staff.models import StaffMember
from tests.access.factories import StaffUserFactory, SupervisionFactory
from tests.factories import (
    AssessmentFactory,
    AuthorizationFactory,
    CaseloadFactory,
    DiagnosisFactory,
    EpisodeFactory,
    InterventionFactory,
    NoteFactory,
    PersonFactory,
    ServiceOrderFactory,
)

START = dt.date(2020, 1, 1)


@dataclass
class World:
    staff: dict[str, StaffMember]
    mine: Person
    theirs: Person
    elsewhere: Person
    intervention: Intervention
    note: ServiceNote
    auth_id: int
    group_id: int = 0

    def token(self, role: str, caps: Any = None, days: int = 30) -> str:
        user = self.staff[role].user
        wanted = ROLE_CAPABILITIES[role] if caps is None else caps
        _, raw = token_create(
            actor=user, owner=user, name=f"test {role}", capabilities=[str(c) for c in wanted],
            days=days,
        )  # fmt: skip
        return raw


def call(method: str, url: str, token: str | None, body: Any = None) -> Any:
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    if method == "GET":
        return client.get(url, **headers)
    return client.generic(
        method, url, data=__import__("json").dumps(body or {}),
        content_type="application/json", **headers,
    )  # fmt: skip


@pytest.fixture
def world(db) -> World:
    cpss = StaffUserFactory(role="cpss")
    agency = cpss.agency
    mine = CaseloadFactory(staff=cpss, person__agency=agency, start=START).person
    DiagnosisFactory(person=mine)
    # What a request for authorization needs on file (the engine checks it before sending).
    EpisodeFactory(person=mine, start=dt.date(2026, 3, 2))
    AssessmentFactory(person=mine)
    ServiceOrderFactory(person=mine)
    theirs = PersonFactory(agency=agency, payer=mine.payer)
    elsewhere = PersonFactory()
    staff = {"cpss": cpss}
    staff["supervisor"] = SupervisionFactory(
        staff=cpss, supervisor__agency=agency, start=START
    ).supervisor
    mhp = StaffUserFactory(role="mhp", agency=agency, credential="LPC")
    SupervisionFactory(staff=cpss, supervisor=mhp, start=START)
    staff["mhp"] = mhp
    for role in ("billing", "auditor", "admin"):
        staff[role] = StaffUserFactory(role=role, agency=agency)
    staff["um_reviewer"] = StaffUserFactory(
        role="um_reviewer", agency=None, payer=mine.payer, hire_date=None
    )
    intervention = InterventionFactory(goal__plan__person=mine)
    for person in (theirs, elsewhere):
        InterventionFactory(goal__plan__person=person)
    auth = AuthorizationFactory(
        person=mine, status="requested", units_approved=None, decided_at=None, number=""
    )
    note = NoteFactory(
        person=mine, staff=cpss, goal=intervention.goal, intervention=intervention,
        intervention_text="We practised the call to the landlord together.",
        response="Alex made the call and set a viewing for Friday.",
    )  # fmt: skip
    assert set(staff) == set(ROLE_CAPABILITIES)
    group = group_session_create(
        actor=cpss.user, agency=agency, topic="Budgeting skills",
        date=dt.date.today() - dt.timedelta(days=1), start_time=dt.time(14),
        end_time=dt.time(15), facilitators=[cpss],
    )  # fmt: skip
    return World(staff, mine, theirs, elsewhere, intervention, note, auth.pk, group.pk)


def note_body(world: World) -> dict[str, Any]:
    return {
        "date": (dt.date.today() - dt.timedelta(days=1)).isoformat(),
        "start_time": "10:00:00",
        "end_time": "10:45:00",
        "intervention_id": world.intervention.pk,
        "intervention_text": "Practised a call to a landlord.",
        "response": "Made the call.",
    }


def sample_request(world: World, method: str, path: str) -> tuple[str, Any]:
    """A URL (for the world's person in scope) and a valid body for an operation."""
    url = "/api" + path
    url = url.replace("{person_id}", str(world.mine.pk))
    url = url.replace("{note_id}", str(world.note.pk))
    url = url.replace("{authorization_id}", str(world.auth_id))
    url = url.replace("{session_id}", str(world.group_id))
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    body: Any = None
    if method != "GET":
        if path == "/groups":
            body = {"topic": "Job search", "date": yesterday, "start_time": "10:00:00",
                    "end_time": "11:00:00"}  # fmt: skip
        elif path.endswith("/attendees"):
            body = {"person_ids": [world.mine.pk]}
        elif path.endswith("/outcomes"):
            body = {"instrument": "BARC-10", "date": yesterday,
                    "answers": {str(i): "4" for i in range(1, 11)}}  # fmt: skip
        elif path == "/authorizations/pas":
            body = pas_bundle(world.mine)
        elif path.endswith("/notes") or path.endswith("/notes/check"):
            body = note_body(world)
        elif path.endswith("/authorizations"):
            body = {"units_requested": 120, "start": "2027-01-04", "end": "2027-06-30"}
        elif path.endswith("/sign"):
            body = {"sign_reason": "The person asked to meet at the library; supervisor knows."}
        elif path.endswith("/decision"):
            body = {"status": "approved", "units_approved": 100, "number": "PA1"}
        else:
            body = {}
    return url, body


def pas_bundle(person: Person, **item: Any) -> dict[str, Any]:
    """A Da Vinci PAS-shaped request for `person` as another system would send it."""
    line = {
        "sequence": 1,
        "productOrService": {
            "coding": [{"system": "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
                        "code": "H0038"}]
        },
        "servicedPeriod": {"start": "2027-01-04", "end": "2027-06-30"},
        "quantity": {"value": 120},
    } | item  # fmt: skip
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "fullUrl": "urn:uuid:claim-1",
                "resource": {
                    "resourceType": "Claim",
                    "status": "active",
                    "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type",
                                         "code": "professional"}]},
                    "use": "preauthorization",
                    "patient": {"reference": "urn:uuid:patient-1"},
                    "created": "2026-12-01T10:00:00Z",
                    "insurer": {"display": person.payer.name},
                    "provider": {"display": person.agency.name},
                    "priority": {"coding": [{"code": "normal"}]},
                    "insurance": [{"sequence": 1, "focal": True,
                                   "coverage": {"reference": "urn:uuid:coverage-1"}}],
                    "item": [line],
                },
            },
            {
                "fullUrl": "urn:uuid:patient-1",
                "resource": {
                    "resourceType": "Patient",
                    "identifier": [{"system": "urn:peerpath:medicaid-id",
                                    "value": person.medicaid_id}],
                },
            },
        ],
    }  # fmt: skip


CAP = Cap


def paid_claim(note: ServiceNote, *, diagnosis: str = "F33.1", paid: str = "20.00") -> Any:
    """A claim for the note, sent and answered by a posted 835 (rows as the billing
    services leave them): the claim line, the claim, and the remittance of it."""
    from decimal import Decimal

    from peerpath.billing.models import Claim, ClaimBatch, ClaimLine
    from peerpath.billing.remittance_models import (
        ClaimPayment,
        LinePayment,
        Payment,
        RemittanceFile,
    )

    person = note.person
    batch = ClaimBatch.objects.create(agency=person.agency, payer=person.payer, isa_control=note.pk)
    claim = Claim.objects.create(
        batch=batch, person=person, payer=person.payer, patient_control_number=f"PC{note.pk}",
        diagnosis_codes=[diagnosis], total_charge=Decimal("25.00"),
        first_service_date=note.date, last_service_date=note.date, status="paid",
    )  # fmt: skip
    line = ClaimLine.objects.create(
        note=note, person=person, payer=person.payer, claim=claim, line_number=1,
        service_date=note.date, procedure_code="H0038", modifiers=["HQ"], units=2,
        charge=Decimal("25.00"), diagnosis_codes=[diagnosis], status="paid",
        paid_amount=Decimal(paid),
    )  # fmt: skip
    file = RemittanceFile.objects.create(
        agency=person.agency, file_text="ISA*...", file_sha256=f"{note.pk:064d}",
        isa_control="1", sender_id="PAYER",
    )  # fmt: skip
    payment = Payment.objects.create(
        file=file, agency=person.agency, payer=person.payer, trace_number=f"T{note.pk}",
        payer_identifier="1234567890", st_control="0001", amount=Decimal(paid), method="ACH",
        paid_on=note.date + dt.timedelta(days=14),
    )  # fmt: skip
    cp = ClaimPayment.objects.create(
        payment=payment, claim=claim, status_code="1", charge=Decimal("25.00"),
        paid=Decimal(paid), payer_claim_number=f"PCN{note.pk}",
    )  # fmt: skip
    LinePayment.objects.create(
        claim_payment=cp, line=line, charge=Decimal("25.00"), paid=Decimal(paid),
        units_paid=Decimal("2"), allowed=Decimal("25.00"),
        outcome="paid" if Decimal(paid) >= 25 else "partly_paid",
        denial_reason="" if Decimal(paid) >= 25 else "45",
    )  # fmt: skip
    return claim
