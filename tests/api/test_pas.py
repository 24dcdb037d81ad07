"""Da Vinci PAS: a request received as a PAS-shaped Bundle is checked, made through the
service function as from the chart, and answered with a ClaimResponse; a bad Bundle changes
nothing and names the element at fault. A request made on the page exports as a PAS Bundle
that PeerPath itself receives."""

from __future__ import annotations

import datetime as dt

import pytest
from fhir.resources.R4B.bundle import Bundle

from peerpath.api import fhir
from peerpath.authorizations.models import Authorization

from .conftest import call, pas_bundle

URL = "/api/authorizations/pas"


def _claim(bundle):
    return bundle["entry"][0]["resource"]


def test_a_good_bundle_makes_the_request_and_is_answered_with_a_claim_response(world):
    before = Authorization.objects.count()
    bundle = pas_bundle(world.mine)
    _claim(bundle)["supportingInfo"] = [
        {
            "sequence": 1,
            "category": {"coding": [{"code": "freeFormMessage"}]},
            "valueString": "Housing search continues; two viewings booked.",
        }
    ]
    response = call("POST", URL, world.token("cpss"), bundle)
    assert response.status_code == 201, response.content
    answer = response.json()
    Bundle.model_validate(answer)
    first = answer["entry"][0]["resource"]
    assert first["resourceType"] == "ClaimResponse" and first["outcome"] == "queued"
    assert fhir.value_set_problems(first) == []
    assert Authorization.objects.count() == before + 1
    auth = Authorization.objects.latest("pk")
    assert (auth.person_id, auth.units_requested, auth.start, auth.end) == (
        world.mine.pk, 120, dt.date(2027, 1, 4), dt.date(2027, 6, 30),
    )  # fmt: skip
    assert (auth.kind, auth.urgency, auth.status) == ("initial", "standard", "requested")
    assert auth.provider_note.startswith("Housing search")
    assert auth.requested_by_id == world.staff["cpss"].pk
    # The payer decides on the page or the API; the ClaimResponse then says so.
    decision = {"status": "partial", "units_approved": 80, "number": "PA-77",
                "reason": "Eighty units fit the plan's weekly frequency."}  # fmt: skip
    reviewer = world.token("um_reviewer")
    decided = call("POST", f"/api/authorizations/{auth.pk}/decision", reviewer, decision)
    assert decided.status_code == 200, decided.content
    again = call("GET", f"/api/authorizations/{auth.pk}/fhir", world.token("cpss")).json()
    decided = [
        e["resource"] for e in again["entry"] if e["resource"]["resourceType"] == "ClaimResponse"
    ]
    assert decided[0]["outcome"] == "partial" and decided[0]["preAuthRef"] == "PA-77"


def test_a_page_request_exported_as_pas_is_received_back(world):
    """Round trip: PeerPath's own PAS export of a request, received as a new request."""
    auth = Authorization.objects.get(pk=world.auth_id)
    exported = fhir.pas_request_bundle(auth)
    claim = _claim(exported)
    claim["item"][0]["servicedPeriod"] = {"start": "2027-07-01", "end": "2027-09-30"}
    response = call("POST", URL, world.token("cpss"), exported)
    assert response.status_code == 201, response.content
    made = Authorization.objects.latest("pk")
    assert made.pk != auth.pk and made.units_requested == auth.units_requested


def _refused(world, bundle):
    before = Authorization.objects.count()
    response = call("POST", URL, world.token("cpss"), bundle)
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert Authorization.objects.count() == before
    return {e["field"] for e in response.json()["errors"]}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda c: c["item"][0].update(quantity={"value": 0}), "Claim.item[0].quantity.value"),
        (lambda c: c["item"][0].update(quantity={"value": 2.5}), "Claim.item[0].quantity.value"),
        (
            lambda c: c["item"][0]["productOrService"]["coding"][0].update(code="99213x"),
            "Claim.item[0].productOrService",
        ),
        (
            lambda c: c["item"][0]["productOrService"]["coding"][0].update(code="H2014"),
            "Claim.item[0].productOrService",
        ),
        (
            lambda c: c["item"][0].update(
                servicedPeriod={"start": "2027-06-30", "end": "2027-01-04"}
            ),
            "Claim.item[0].servicedPeriod.end",
        ),
        (lambda c: c["item"][0].pop("servicedPeriod"), "Claim.item[0].servicedPeriod.start"),
        (lambda c: c.update(priority={"coding": [{"code": "deferred"}]}), "Claim.priority"),
        (lambda c: c.update(item=[]), "Claim.item"),
        (
            lambda c: c.update(insurer={"identifier": {"value": "NOT-THE-PAYER"}}),
            "Claim.insurer.identifier",
        ),
        # Expedited without saying why: the service refuses, named by the Claim's element.
        (lambda c: c.update(priority={"coding": [{"code": "stat"}]}), "Claim.supportingInfo"),
    ],
)
def test_a_bad_claim_changes_nothing_and_names_the_element(world, change, field):
    bundle = pas_bundle(world.mine)
    change(_claim(bundle))
    assert field in _refused(world, bundle)


def test_an_unknown_or_out_of_scope_patient_is_refused(world):
    bundle = pas_bundle(world.mine)
    bundle["entry"][1]["resource"]["identifier"][0]["value"] = "NOSUCHID1"
    assert _refused(world, bundle) == {"Patient.identifier"}
    # Someone of the agency but not on the caseload: the same answer (nothing revealed).
    assert _refused(world, pas_bundle(world.theirs)) == {"Patient.identifier"}
    assert _refused(world, pas_bundle(world.elsewhere)) == {"Patient.identifier"}


def test_what_is_not_fhir_or_not_a_request_is_refused(world):
    assert _refused(world, {"resourceType": "Patient"}) == {"resourceType"}
    broken = pas_bundle(world.mine)
    _claim(broken)["status"] = 5
    _claim(broken)["created"] = "yesterday"
    fields = _refused(world, broken)
    assert any(f.startswith("Bundle.entry[0]") for f in fields)
    claim_only = pas_bundle(world.mine)
    _claim(claim_only)["use"] = "claim"
    assert _refused(world, claim_only) == {"Bundle.entry"}
    response = call("POST", URL, world.token("cpss"), broken)
    assert world.mine.medicaid_id not in response.content.decode()
