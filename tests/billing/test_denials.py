"""Denials as work: the queue by age and amount; correct and resubmit (a replacement claim,
frequency 7, REF*F8 with the payer's claim number, valid for pyx12), void (8), write off
with a reason, appeal with a letter citing the policy and the record; the status trail."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.template.loader import render_to_string
from django.test import Client, override_settings

from peerpath.billing.denial_models import DenialAction
from peerpath.billing.denials import appeal_context, denial_queue, denial_write_off
from peerpath.billing.models import Claim, ClaimBatch, ClaimLine, LinePayment, LineStatus
from peerpath.billing.remittance import post_remittance
from peerpath.billing.services import BillingError, batch_create
from peerpath.billing.x12.claim837 import segments, validate_837
from peerpath.billing.x12.remit_builder import ClaimOutcome, LineOutcome, build_835_from_837
from peerpath.people.models import Person
from tests.access.factories import StaffUserFactory
from tests.billing.conftest import TODAY, ready_person
from tests.billing.x12_support import pyx12_problems

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_second_factor():
    with override_settings(PEERPATH_REQUIRE_2FA=False):
        yield


def client_for(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


@pytest.fixture
def denied(world):
    """Three people's claims sent and answered: the first denied in full (CARC 16), the
    second's line denied (CARC 197), the third paid in part (CARC 45 is pricing, so 96)."""
    agency, payer = world
    biller = StaffUserFactory(role="billing", agency=agency, credential="")
    people = [ready_person(agency, payer) for _ in range(3)]
    for r in people:
        r.note()
    batch = batch_create(actor=biller.user, agency=agency, payer=payer, today=TODAY)
    assert batch is not None
    pcn = {c.person_id: c.patient_control_number for c in batch.claims.all()}
    outcomes = {
        pcn[people[0].person.pk]: LineOutcome.deny("16", remarks=("M51",)),
        pcn[people[1].person.pk]: ClaimOutcome(lines={1: LineOutcome.deny("197")}),
        pcn[people[2].person.pk]: LineOutcome.part(Decimal("20.00"), reason="96"),
    }
    text = build_835_from_837(batch.file_text, outcomes, paid_on=dt.date(2026, 4, 25))
    post_remittance(actor=biller.user, text=text, agency=agency)
    refusals = {r.line.person_id: r for r in LinePayment.objects.filter(outcome__in=REFUSED)}
    return agency, payer, biller, [refusals[r.person.pk] for r in people]


REFUSED = ("denied", "partly_paid")


def test_the_queue_lists_refusals_by_age_or_amount_with_where_each_stands(denied):
    agency, _payer, biller, refusals = denied
    people = Person.objects.filter(agency=agency)
    by_age = list(denial_queue(people))
    assert set(by_age) == set(refusals)
    by_amount = list(denial_queue(people, order="amount"))
    unpaid = [r.charge - r.paid for r in by_amount]
    assert unpaid == sorted(unpaid, reverse=True)
    page = client_for(biller).get("/billing/denials/?order=amount").content.decode()
    assert "Denials to work" in page and "Not worked yet" in page
    assert f'href="/billing/denials/{refusals[0].pk}/"' in page
    assert "Days since payment" in page


def test_correct_and_resubmit_writes_a_replacement_claim_that_pyx12_accepts(denied):
    _agency, _payer, biller, refusals = denied
    refusal = refusals[0]
    original = refusal.claim_payment.claim
    client = client_for(biller)
    page = client.get(f"/billing/denials/{refusal.pk}/").content.decode()
    assert "Correct and resubmit" in page and "Write off" in page and "Appeal" in page
    response = client.post(
        f"/billing/denials/{refusal.pk}/act/",
        {"action": "correct", "note": "Diagnosis confirmed with the clinician"},
    )
    assert response.status_code == 302
    batch = ClaimBatch.objects.order_by("-pk").first()
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said[0].startswith(f"Replacement claim written in claim file {batch.file_name}")
    new = batch.claims.get()
    assert (new.frequency, new.original) == ("7", original)
    assert new.original_reference == original.payer_claim_number != ""
    assert ["REF", "F8", original.payer_claim_number] in segments(batch.file_text)
    assert validate_837(batch.file_text).valid
    assert pyx12_problems(batch.file_text) == []
    # The refusal is settled, with a trail naming who did what and which file carried it.
    action = DenialAction.objects.get(refusal=refusal)
    assert (action.kind, action.batch, action.actor) == ("corrected", batch, biller.user)
    assert refusal not in denial_queue(Person.objects.all())
    assert refusal in denial_queue(Person.objects.all(), state="settled")
    detail = client.get(f"/billing/denials/{refusal.pk}/").content.decode()
    assert "Corrected and resubmitted" in detail and batch.file_name in detail
    assert "Write the replacement claim" not in detail  # settled: no more actions
    line = ClaimLine.objects.get(claim=new)
    assert line.status == LineStatus.SUBMITTED and line.is_current
    original.refresh_from_db()
    assert original.status == "replaced"


def test_void_writes_a_frequency_8_claim_that_pyx12_accepts(denied):
    _agency, _payer, biller, refusals = denied
    refusal = refusals[1]
    client_for(biller).post(
        f"/billing/denials/{refusal.pk}/act/", {"action": "void", "note": "Billed in error"}
    )
    void = Claim.objects.get(frequency="8")
    assert void.original == refusal.claim_payment.claim
    assert pyx12_problems(void.batch.file_text) == []
    assert DenialAction.objects.get(refusal=refusal).kind == "voided"


def test_write_off_needs_a_reason_and_records_the_unpaid_amount(denied):
    _agency, _payer, biller, refusals = denied
    refusal = refusals[2]
    client = client_for(biller)
    response = client.post(f"/billing/denials/{refusal.pk}/act/", {"action": "write_off"})
    assert "Choose why" in str(next(iter(get_messages(response.wsgi_request))))
    assert not DenialAction.objects.exists()
    with pytest.raises(BillingError):
        denial_write_off(actor=biller.user, refusal=refusal, reason_code="other", reason=" ")
    client.post(
        f"/billing/denials/{refusal.pk}/act/",
        {"action": "write_off", "reason_code": "small_balance", "reason": "under policy limit"},
    )
    action = DenialAction.objects.get(refusal=refusal)
    assert action.kind == "written_off"
    assert action.amount == refusal.charge - refusal.paid > 0
    assert action.reason == "Balance too small to pursue: under policy limit"
    # Settled once: a second write-off is refused, naming the first.
    with pytest.raises(BillingError, match="already settled: written off"):
        denial_write_off(actor=biller.user, refusal=refusal, reason_code="other", reason="x")


def test_an_appeal_makes_a_letter_citing_the_policy_and_the_record(denied):
    _agency, _payer, biller, refusals = denied
    refusal = refusals[1]
    client = client_for(biller)
    client.post(
        f"/billing/denials/{refusal.pk}/act/",
        {"action": "appeal", "argument": "The service was authorized and documented."},
    )
    action = DenialAction.objects.get(refusal=refusal, kind="appealed")
    # Still to watch: an appeal waits for the payer.
    assert refusal in denial_queue(Person.objects.all(), state="appealed")
    detail = client.get(f"/billing/denials/{refusal.pk}/").content.decode()
    letter_url = f"/billing/denials/{refusal.pk}/appeal/{action.pk}.pdf"
    assert letter_url in detail and "Appealed" in detail
    response = client.get(letter_url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    html = render_to_string("billing/pdf/appeal.html", appeal_context(action))
    line = refusal.line
    assert "The service was authorized and documented." in html
    assert refusal.claim_payment.payer_claim_number in html
    assert line.authorization_number and line.authorization_number in html
    assert "CO-197" in html and line.person.medicaid_id in html
    # The policy: the pack in force and cited figures (source and section).
    context = appeal_context(action)
    assert context["pack"] is not None and context["pack"].title in html
    assert context["cited"] and all(c.citation in html for c in context["cited"])


def test_others_cannot_act_and_another_agency_cannot_see(denied):
    agency, _payer, _biller, refusals = denied
    refusal = refusals[0]
    auditor = client_for(StaffUserFactory(role="auditor", agency=agency, credential=""))
    assert auditor.get(f"/billing/denials/{refusal.pk}/").status_code == 200
    refused = auditor.post(f"/billing/denials/{refusal.pk}/act/", {"action": "appeal"})
    assert refused.status_code == 403
    stranger = client_for(StaffUserFactory(role="billing"))
    assert stranger.get(f"/billing/denials/{refusal.pk}/").status_code == 404
    assert (
        stranger.post(
            f"/billing/denials/{refusal.pk}/act/", {"action": "appeal", "argument": "x"}
        ).status_code
        == 404
    )
    assert not DenialAction.objects.exists()


def test_the_queue_downloads_as_csv(denied):
    _agency, _payer, biller, refusals = denied
    response = client_for(biller).get("/billing/denials.csv?state=all&order=amount")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {int(r["refusal_id"]) for r in rows} == {r.pk for r in refusals}
    assert {r["where_it_stands"] for r in rows} == {"Not worked yet"}
    assert [Decimal(r["unpaid"]) for r in rows] == sorted(
        (Decimal(r["unpaid"]) for r in rows), reverse=True
    )
