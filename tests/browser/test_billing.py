"""Billing in the browser: the clerk scrubs from the page and watches the job's progress box
end with its result, then opens the held lines by reason; the new pages pass axe at desktop
and phone width with no console errors or CSP violations (screenshots saved)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from playwright.sync_api import Page, expect

from peerpath.jobs.models import Job
from peerpath.jobs.worker import work_off
from tests.browser import records
from tests.browser.kit import page_problems, sign_in, staff_user
from tests.factories import NoteFactory


def _signed_note(peer: records.Peer, person, intervention, day: int, **kw) -> None:  # type: ignore[no-untyped-def]
    NoteFactory(
        person=person,
        staff=peer.staff,
        date=records.days(day),
        start_time=dt.time(9),
        end_time=dt.time(9, 45),
        goal=intervention.goal,
        intervention=intervention,
        status="signed",
        signed_by=peer.staff,
        signed_credential="CPSS",
        signed_at=timezone.now(),
        **kw,
    )


def test_billing_scrubs_from_the_page_and_watches_the_progress(page: Page):
    peer = records.peer()
    person, intervention = records.ready_person(peer)
    _signed_note(peer, person, intervention, -3)
    _signed_note(peer, person, intervention, -4, activity="transportation")
    clerk = staff_user("billing", agency=peer.agency, first_name="Kim", last_name="Okafor")
    sign_in(page, clerk)
    page.goto("/billing/")
    page.get_by_role("button", name="Scrub").click()
    box = page.locator("#scrub-progress .pp-job")
    expect(box).to_be_visible()
    expect(box).to_contain_text("Waiting to start")
    assert Job.objects.filter(kind="billing.scrub").count() == 1
    work_off()  # the worker takes the job; the box, polling, shows how it ended
    expect(box).to_contain_text("Scrub finished", timeout=15_000)
    box.get_by_role("link", name="See the result").click()
    expect(page.get_by_role("heading", name="Held lines by reason")).to_be_visible()
    problems = page_problems(page, "billing-held-by-reason")
    assert problems == [], "\n".join(problems)


def _denied_world():  # type: ignore[no-untyped-def]
    """Two people's claims sent and answered: one denied in full, one line denied."""
    from peerpath.billing.models import LinePayment
    from peerpath.billing.remittance import post_remittance
    from peerpath.billing.services import batch_create
    from peerpath.billing.x12.remit_builder import LineOutcome, build_835_from_837
    from tests.billing.conftest import contract

    peer = records.peer()
    agency = peer.agency
    agency.address, agency.city, agency.state = "410 Foster St", "Durham", "NC"
    agency.postal_code, agency.phone = "27701-2813", "919-555-0100"
    agency.save()
    contract(agency, peer.payer)
    first, first_plan = records.ready_person(peer)
    second, second_plan = records.ready_person(peer, "Riley", "Chen")
    _signed_note(peer, first, first_plan, -10)
    _signed_note(peer, second, second_plan, -10)
    clerk = staff_user("billing", agency=peer.agency, first_name="Kim", last_name="Okafor")
    batch = batch_create(actor=clerk.user, agency=peer.agency, payer=peer.payer)
    assert batch is not None and batch.claim_count == 2, "both notes should be billable"
    outcomes = {c.patient_control_number: LineOutcome.deny("16") for c in batch.claims.all()}
    posted = post_remittance(
        actor=clerk.user,
        text=build_835_from_837(batch.file_text, outcomes, paid_on=records.days(-2)),
        agency=peer.agency,
    )
    refusals = {r.line.person_id: r for r in LinePayment.objects.select_related("line")}
    return clerk, posted, refusals[first.pk], refusals[second.pk]


def test_billing_corrects_and_resubmits_one_denial_and_writes_off_another(page: Page):
    from peerpath.billing.models import ClaimBatch, DenialAction

    clerk, posted, first, second = _denied_world()
    sign_in(page, clerk)
    problems: list[str] = []
    page.goto(f"/billing/remittances/{posted.pk}/")
    expect(page.locator("main h2").first).to_contain_text("$0.00")
    problems += page_problems(page, "billing-remittance")
    page.goto("/billing/denials/")
    problems += page_problems(page, "billing-denial-queue")
    page.get_by_role("link", name="Jordan Ellis").click()
    expect(page.get_by_role("heading", name="What to do")).to_be_visible()
    problems += page_problems(page, "billing-denial")
    page.get_by_label("What was corrected").fill("Diagnosis confirmed with the clinician")
    page.get_by_role("button", name="Write the replacement claim").click()
    expect(page.locator("main")).to_contain_text("Replacement claim written in claim file")
    expect(page.locator("main")).to_contain_text("Corrected and resubmitted")
    replacement = ClaimBatch.objects.order_by("-pk").first()
    assert replacement is not None and replacement.claims.get().frequency == "7"

    page.goto(f"/billing/denials/{second.pk}/")
    page.get_by_label("Why", exact=True).select_option("not_covered")
    page.get_by_role("button", name="Write off").click()
    expect(page.locator("main")).to_contain_text("written off")
    assert DenialAction.objects.get(refusal=second).kind == "written_off"
    assert DenialAction.objects.get(refusal=first).kind == "corrected"
    assert problems == [], "\n".join(problems)
