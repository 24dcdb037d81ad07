"""FHIR R4: every resource made for the demo agency parses with fhir.resources R4B and
passes our value-set checks; Part 2 items go out only under consent, labelled."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fhir.resources.R4B.bundle import Bundle

from peerpath.api import fhir
from peerpath.authorizations.models import Authorization
from peerpath.demo.generator import generate
from peerpath.demo.living import bill_the_demo
from peerpath.organizations.models import Agency
from peerpath.outcomes.services import administration_enter
from peerpath.people.models import Person
from tests.consent.factories import ConsentFactory
from tests.factories import (
    AuthorizationFactory,
    DiagnosisFactory,
    InterventionFactory,
    NoteFactory,
    PersonFactory,
    StaffFactory,
)

from .conftest import paid_claim


@pytest.mark.django_db
def test_every_resource_of_the_demo_agency_parses_and_passes_the_value_set_checks():
    generate(people=14, months=3, seed=5)
    # Billed and answered as the demo command does: remittances posted, so EOBs go out.
    bill_the_demo(today=dt.date.today())
    agency = Agency.objects.get()
    # Some people consent to Part 2 disclosure to their payer, so labelled items are checked.
    for person in Person.objects.order_by("pk")[:5]:
        ConsentFactory(person=person, recipient_payer=person.payer)
    kinds: set[str] = set()
    checked = 0
    for person in Person.objects.select_related("payer", "agency"):
        export = fhir.person_resources(person)
        for resource in export.resources:
            fhir.parse(resource)
            assert fhir.value_set_problems(resource) == [], resource["resourceType"]
            kinds.add(resource["resourceType"])
            checked += 1
        Bundle.model_validate(fhir.bundle(export.resources))
    for auth in Authorization.objects.select_related("person__agency", "person__payer", "payer"):
        Bundle.model_validate(fhir.pas_request_bundle(auth))
    assert {"Patient", "Coverage", "Condition", "CarePlan", "Goal", "Encounter", "Claim"} <= kinds
    assert {"ClaimResponse", "ExplanationOfBenefit", "QuestionnaireResponse"} <= kinds
    lines = fhir.agency_ndjson(agency)
    assert sum(len(v) for v in lines.values()) == checked
    for kind, rows in lines.items():
        for row in rows:
            assert fhir.parse(json.loads(row)).get_resource_type() == kind


def test_the_value_set_checks_can_fail():
    bad = {"resourceType": "Patient", "gender": "femalex"}
    fhir.parse(bad)  # the library itself does not check code bindings
    assert fhir.value_set_problems(bad) == ["Patient.gender: 'femalex' is not in its value set"]
    condition = {
        "resourceType": "Condition",
        "subject": {"reference": "urn:uuid:x"},
        "code": {"coding": [{"system": fhir.ICD10, "code": "F99.99"}]},
    }
    assert fhir.value_set_problems(condition)
    eob = {
        "resourceType": "ExplanationOfBenefit",
        "status": "active",
        "outcome": "done",
        "item": [
            {
                "adjudication": [
                    {
                        "category": {"coding": [{"system": fhir.ADJUDICATION, "code": "tip"}]},
                        "reason": {"coding": [{"system": fhir.CARC, "code": "not a carc"}]},
                        "amount": {"value": 1.0, "currency": "EUR"},
                    }
                ]
            }
        ],
    }
    assert len(fhir.value_set_problems(eob)) == 4
    answered = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "questionnaire": "urn:peerpath:questionnaire:barc-10",
        "item": [
            {
                "linkId": "11",
                "answer": [
                    {"valueCoding": {"system": "urn:peerpath:instrument:barc-10", "code": "9"}}
                ],
            }
        ],
    }
    assert len(fhir.value_set_problems(answered)) == 2
    unknown = answered | {"questionnaire": "urn:peerpath:questionnaire:phq-99"}
    assert fhir.value_set_problems(unknown) != []


@pytest.fixture
def sud_person(db):
    person = PersonFactory()
    DiagnosisFactory(person=person)  # F33.1, not Part 2
    DiagnosisFactory(person=person, code="F11.20", category="SUD", is_primary=False,
                     description="Opioid dependence", start=dt.date(2026, 1, 1))  # fmt: skip
    intervention = InterventionFactory(goal__plan__person=person)
    staff = StaffFactory(agency=person.agency)
    NoteFactory(
        person=person, staff=staff, goal=intervention.goal, intervention=intervention,
        status="signed", signed_by=staff, signed_credential="CPSS",
        signed_at=dt.datetime(2026, 4, 6, 12, tzinfo=dt.UTC),
    )  # fmt: skip
    AuthorizationFactory(person=person)
    # A remittance of a claim for the note, and a recovery measure.
    note = person.notes.get()
    paid_claim(note, paid="12.50")
    administration_enter(
        actor=None, person=person, instrument="BARC-10", on=dt.date(2026, 4, 7),
        answers={i: "4" for i in range(1, 11)},
    )  # fmt: skip
    return person


def _sud_items(resources):
    return [
        r
        for r in resources
        if "meta" in r
        or r["resourceType"] == "Consent"
        or any(c.get("code", "").startswith("F11") for c in r.get("code", {}).get("coding", []))
    ]


def test_without_part2_consent_no_sud_item_is_exported(sud_person):
    export = fhir.person_resources(sud_person)
    kinds = [r["resourceType"] for r in export.resources]
    assert _sud_items(export.resources) == []
    # The MH diagnosis, the patient, coverage and the authorization still go.
    assert kinds.count("Condition") == 1 and "Patient" in kinds and "Claim" in kinds
    # The plan, the note, its remittance and the recovery measure: held back too.
    assert "CarePlan" not in kinds and "Encounter" not in kinds
    assert "ExplanationOfBenefit" not in kinds and "QuestionnaireResponse" not in kinds
    assert export.part2_withheld == 5 and not export.part2_included
    assert "Part 2" not in json.dumps(export.resources) and "42CFR" not in json.dumps(
        export.resources
    )


def test_with_consent_part2_items_go_with_security_labels(sud_person):
    ConsentFactory(person=sud_person)
    export = fhir.person_resources(sud_person)
    labelled = [r for r in export.resources if "meta" in r]
    assert {r["resourceType"] for r in labelled} >= {
        "Condition",
        "CarePlan",
        "Encounter",
        "Consent",
        "ExplanationOfBenefit",
        "QuestionnaireResponse",
    }
    for r in labelled:
        codes = {s["code"] for s in r["meta"]["security"]}
        assert "42CFRPart2" in codes
        fhir.parse(r)
        assert fhir.value_set_problems(r) == []
    assert export.part2_included and export.part2_withheld == 0
