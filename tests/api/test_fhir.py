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
from peerpath.organizations.models import Agency
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


@pytest.mark.django_db
def test_every_resource_of_the_demo_agency_parses_and_passes_the_value_set_checks():
    generate(people=14, months=3, seed=5)
    agency = Agency.objects.get()
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
    assert "ClaimResponse" in kinds
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
    # The plan and the note fall within the SUD diagnosis's span: held back too.
    assert "CarePlan" not in kinds and "Encounter" not in kinds
    assert export.part2_withheld == 3 and not export.part2_included
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
    }
    for r in labelled:
        codes = {s["code"] for s in r["meta"]["security"]}
        assert "42CFRPart2" in codes
        fhir.parse(r)
        assert fhir.value_set_problems(r) == []
    assert export.part2_included and export.part2_withheld == 0
