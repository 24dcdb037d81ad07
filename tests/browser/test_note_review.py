"""Signing with a finding and the supervisor's review, in the browser: a note that overlaps
another is signed only with a confirmed reason and lands in the supervisor's queue; the
supervisor returns a note with a comment, and the peer specialist corrects it and signs the
correction. The new pages pass axe at desktop and phone width."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone
from playwright.sync_api import Page, expect

from peerpath.services.models import NoteReview, ServiceNote
from tests.access.factories import SupervisionFactory
from tests.browser import records
from tests.browser.kit import Actions, page_problems, sign_in, staff_user
from tests.browser.test_peer_notes import write_note
from tests.factories import NoteFactory

REASON = "Two short visits this morning; I checked both times with Jordan."
COMMENT = "Say what Jordan said in their own words, not a summary."


def _team():
    peer = records.peer()
    person, intervention = records.ready_person(peer)
    supervisor = staff_user(
        "supervisor", agency=peer.agency, first_name="Quinn", last_name="Adams", credential="QP"
    )
    SupervisionFactory(supervisor=supervisor, staff=peer.staff, start=records.days(-400))
    return peer, person, intervention, supervisor


def _signed(peer, person, intervention, start=dt.time(10), end=dt.time(10, 45)):
    return NoteFactory(
        person=person, staff=peer.staff, date=records.days(0), start_time=start, end_time=end,
        goal=intervention.goal, intervention=intervention, status="signed",
        signed_by=peer.staff, signed_credential="CPSS", signed_at=timezone.now(),
    )  # fmt: skip


def test_a_note_with_an_overlap_is_signed_with_a_reason_and_lands_in_the_queue(page: Page):
    peer, person, intervention, supervisor = _team()
    first = _signed(peer, person, intervention)
    sign_in(page, peer.staff)
    act = Actions(page)
    write_note(page, act, person.display_name, "10:30", "11:00")  # overlaps 10:00-10:45
    finding = page.locator('#findings [data-rule="UNITS.SAME_PERSON_OVERLAP"]')
    expect(finding).to_contain_text("One contact at a time for a person")
    expect(page.locator("#findings")).not_to_contain_text("Nothing in this note would stop")
    # The rule id and the source are one click away, not in the way.
    expect(finding.locator("code")).not_to_be_visible()
    finding.locator("summary").click()
    expect(finding.locator("code")).to_have_text("UNITS.SAME_PERSON_OVERLAP")

    # One click and no word: not signed; the page asks for a confirmed reason.
    act.click(page.get_by_role("button", name="Save and sign"))
    box = page.locator("#sign-reason-box")
    expect(box).to_be_visible()
    assert ServiceNote.objects.count() == 1
    problems = page_problems(page, "sign-with-finding")
    act.check(page.get_by_label("I have read the finding and sign the note with it"))
    act.type(page.get_by_label("Why you sign it anyway"), REASON)
    act.click(page.get_by_role("button", name="Sign with this reason"))
    expect(page).to_have_url(re.compile(r"/notes/\d+/$"))
    expect(page.get_by_text("in your supervisor's review queue")).to_be_visible()
    note = ServiceNote.objects.exclude(pk=first.pk).get()
    assert note.status == "signed"
    review = NoteReview.objects.get(note=note)
    assert (review.why, review.peer_reason, review.status) == ("finding", REASON, "open")
    # Writing the note (eight actions, as for a compliant one), the refused click, the box,
    # the reason and signing with it.
    assert act.count <= 12, str(act)

    # The supervisor finds it in the queue, with the finding and the reason.
    # Leave the page first: a late htmx answer would set the session cookie again.
    page.goto("about:blank")
    page.context.clear_cookies()
    sign_in(page, supervisor)
    expect(page.locator("#finding-total")).not_to_have_text("…")  # the board has loaded
    page.get_by_role("link", name="Reviews").click()
    row = page.locator("tr", has_text=person.display_name)
    expect(row).to_contain_text("One contact at a time for a person")
    expect(row).to_contain_text(REASON)
    problems += page_problems(page, "review-queue")
    row.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Supervisor review")).to_be_visible()
    expect(page.get_by_text(REASON)).to_be_visible()
    problems += page_problems(page, "note-under-review")
    assert not problems, "Accessibility problems:\n" + "\n".join(problems)


def test_a_supervisor_returns_a_note_and_the_peer_corrects_and_signs_it(page: Page):
    peer, person, intervention, supervisor = _team()
    note = _signed(peer, person, intervention)
    NoteReview.objects.create(note=note, why="sample", opened_at=timezone.now())
    sign_in(page, supervisor)
    expect(page).to_have_url(re.compile(r"/team/$"))
    expect(page.locator("#finding-total")).not_to_have_text("…")  # the board has loaded
    page.goto("/inbox/")
    expect(page.get_by_role("heading", name=re.compile("Notes to review"))).to_be_visible()
    problems = page_problems(page, "inbox-supervisor")
    page.get_by_role("link", name=re.compile(person.display_name)).first.click()
    page.get_by_label(f"Comment for {peer.staff.full_name}").fill(COMMENT)
    page.get_by_role("button", name="Return for correction").click()
    expect(page).to_have_url(re.compile(r"/reviews/$"))
    expect(page.get_by_text(f"returned to {peer.staff.full_name}")).to_be_visible()
    expect(page.get_by_text("No notes are waiting for your review.")).to_be_visible()

    # Leave the page first: a late htmx answer would set the session cookie again.
    page.goto("about:blank")
    page.context.clear_cookies()
    sign_in(page, peer.staff)
    expect(page).to_have_url(re.compile(r"/day/$"))
    returned = page.locator("section[aria-labelledby='returned-h']")
    expect(returned).to_contain_text(COMMENT)
    problems += page_problems(page, "day-with-returned-note")
    act = Actions(page)
    act.click(returned.get_by_role("link", name=re.compile(person.display_name)))
    act.click(page.get_by_role("link", name="Correct the note"))
    reason = page.get_by_label("Why does this note need correcting?")
    expect(reason).to_have_value(re.compile(re.escape(COMMENT)))
    act.click(page.get_by_role("button", name=re.compile("Start", re.I)))
    expect(page.locator("#returned")).to_contain_text(COMMENT)
    response = page.get_by_label("How did they respond, in their words?")
    response.fill("")
    act.type(response, '"I can do the next call on my own," Jordan said.')
    expect(page.locator("#findings")).to_contain_text("Nothing in this note would stop")
    act.click(page.get_by_role("button", name="Save and sign"))
    expect(page).to_have_url(re.compile(r"/notes/\d+/$"))
    expect(page.get_by_text("Note signed.")).to_be_visible()
    amendment = ServiceNote.objects.get(amends=note)
    assert amendment.status == "signed" and "on my own" in amendment.response
    review = NoteReview.objects.get(note=note)
    assert review.status == "resolved" and review.corrected_by == amendment
    page.goto("/inbox/")
    expect(page.get_by_text("Returned for correction")).to_have_count(0)
    problems += page_problems(page, "inbox-peer")
    assert act.count <= 6, str(act)
    assert not problems, "Accessibility problems:\n" + "\n".join(problems)
