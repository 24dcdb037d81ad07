"""A peer asks for a continued stay from the chart; the payer's reviewer denies it with a
reason and downloads the notice; an auditor drills from a rule to the note and exports a
sample. Pages checked with axe at desktop and phone width."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from peerpath.authorizations.models import Authorization
from tests.browser import records
from tests.browser.kit import Actions, check_page, sign_in, staff_user

REASON = "No signed note in the last 90 days shows progress toward the plan's goals."


def test_a_peer_asks_to_continue_and_the_reviewer_denies_with_a_notice(page: Page):
    peer = records.peer()
    person, _ = records.ready_person(peer)
    reviewer = staff_user("um_reviewer", agency=None, payer=peer.payer, hire_date=None)
    sign_in(page, peer.staff)
    act = Actions(page)
    page.goto(f"/people/{person.pk}/")
    act.click(page.get_by_role("link", name="Ask for an authorization"))
    heading = page.get_by_role("heading", name=re.compile("Ask .* for an authorization"))
    expect(heading).to_be_visible()
    # The form starts a continued stay the day after the current approval ends.
    expect(page.get_by_role("radio", name=re.compile("To continue"))).to_be_checked()
    act.click(page.get_by_role("button", name="Check the request"))
    stay = page.locator("tr", has_text="Continued stay backed by documented progress")
    expect(stay).to_contain_text("Not met")
    check_page(page, "authorization-request")
    act.click(page.get_by_role("button", name="Send the request"))
    sent = page.get_by_text(re.compile(r"^Request sent to Blue Ridge Health Partners"))
    expect(sent).to_be_visible()
    assert act.count <= 4, act.log
    request = Authorization.objects.get(person=person, status="requested")
    assert request.kind == "concurrent" and request.requested_by == peer.staff

    # Leave the page first: a late htmx answer would set the session cookie again.
    page.goto("about:blank")
    page.context.clear_cookies()
    sign_in(page, reviewer)  # the reviewer lands on the queue
    expect(page.get_by_role("heading", name="Requests to review")).to_be_visible()
    page.get_by_role("link", name=person.display_name).click()
    evidence = page.locator(".pp-um-criteria tr", has_text="Continued stay backed")
    expect(evidence).to_contain_text("Not met")
    expect(page.locator(".pp-um-criteria")).to_contain_text("Attached: CCA of")
    Actions(page).check(page.get_by_role("radio", name="Deny"))
    page.get_by_label("Reason").fill(REASON)
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text(re.compile(r"^Denied: request of"))).to_be_visible()
    link = page.get_by_role("link", name="Download the notice of decision (PDF)")
    pdf = page.request.get(link.get_attribute("href") or "")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    request.refresh_from_db()
    assert (request.status, request.reason) == ("denied", REASON)


def test_an_auditor_drills_from_a_rule_to_a_note_and_exports_a_sample(page: Page):
    peer = records.peer()
    person, _ = records.ready_person(peer)
    note = records.signed_note_without_goal(peer, person)
    auditor = staff_user("auditor", agency=peer.agency)
    sign_in(page, auditor)
    expect(page.get_by_role("heading", name="Audit workspace")).to_be_visible()
    expect(page.get_by_role("heading", name="Findings by rule over time")).to_be_visible()
    page.get_by_text("The numbers, month by month").click()
    expect(page.locator("img.pp-trend")).to_be_visible()
    check_page(page, "audit-workspace")
    page.get_by_role("link", name=re.compile("Note tied to a goal")).first.click()
    check_page(page, "audit-rule")
    page.get_by_role("link", name=f"Note {note.pk}").click()
    expect(page).to_have_url(re.compile(rf"/notes/{note.pk}/$"))
    page.goto("/audit/sample/?size=5&seed=11")
    expect(page.get_by_role("link", name=f"Note {note.pk}")).to_be_visible()
    check_page(page, "audit-sample")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the worksheet (CSV)").click()
    text = Path(download.value.path()).read_text()
    assert "note_number" in text and str(note.pk) in text
