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
