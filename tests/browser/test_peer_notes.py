"""A peer specialist's main job in the browser: from the day page, write a note that checks
itself, and sign it; a signed note stays as it was signed."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import Page, expect

from peerpath.people.models import OtherService
from peerpath.services.models import ServiceNote
from tests.browser import records
from tests.browser.kit import Actions, sign_in

NARRATIVE = {
    "What did you do together?": "We practiced what to say when calling a landlord.",
    "How does it help their goal?": "Calling landlords is the next step to their own place.",
    "How did they respond, in their words?": '"I was nervous but I did it," after two calls.',
    "Next steps": "Visit the apartment on Elm Street together on Friday.",
}
MAX_ACTIONS = 10  # issue 5: a compliant individual note from the day page


def write_note(page: Page, act: Actions, person_name: str, start: str, end: str) -> None:
    """From the day page: open the person's note, pick the plan step, say when, and type
    what happened. The date, how and where are left as the form offers them."""
    card = page.locator(".pp-card", has_text=person_name)
    act.click(card.get_by_role("link", name="Write a note"))
    expect(page.get_by_role("heading", name=re.compile("Write a note"))).to_be_visible()
    act.check(page.get_by_role("radio", name=re.compile("Peer mentoring")))
    act.fill(page.get_by_label("Start time"), start)
    act.fill(page.get_by_label("End time"), end)
    for label, text in NARRATIVE.items():
        act.type(page.get_by_label(label), text)


def test_peer_writes_and_signs_a_compliant_note_from_the_day_page_in_ten_actions(page: Page):
    peer = records.peer()
    person, intervention = records.ready_person(peer)
    sign_in(page, peer.staff)
    expect(page).to_have_url(re.compile(r"/day/$"))  # a peer specialist starts on their day
    expect(page.get_by_role("heading", name=re.compile("My day"))).to_be_visible()

    act = Actions(page)
    write_note(page, act, person.display_name, "10:00", "10:45")
    findings = page.locator("#findings")
    expect(findings).to_contain_text("Nothing in this note would stop it being paid")
    act.click(page.get_by_role("button", name="Save and sign"))

    expect(page).to_have_url(re.compile(r"/notes/\d+/$"))
    expect(page.get_by_text("Note signed.")).to_be_visible()
    expect(page.locator(".pp-note")).to_contain_text("I was nervous but I did it")
    assert act.count <= MAX_ACTIONS, str(act)

    note = ServiceNote.objects.get(person=person)
    assert note.status == "signed" and note.signed_by == peer.staff
    assert note.intervention == intervention and note.date == records.days(0)
    assert (note.start_time, note.end_time) == (dt.time(10), dt.time(10, 45))
    assert note.purpose == NARRATIVE["How does it help their goal?"]
    # Back on the day page, the note is among today's signed notes.
    page.get_by_role("link", name="My day").first.click()
    expect(page.locator("#today-h + ul")).to_contain_text(person.display_name)


def test_the_note_shows_an_overlap_with_another_service_and_its_source_before_it_is_saved(
    page: Page,
):
    peer = records.peer()
    person, _ = records.ready_person(peer)
    OtherService.objects.create(
        person=person,
        category="THERAPY",
        provider_name="Riverside Counseling",
        date=records.days(0),
        start_time=dt.time(10, 30),
        end_time=dt.time(11, 30),
    )
    sign_in(page, peer.staff)
    write_note(page, Actions(page), person.display_name, "10:00", "10:45")

    finding = page.locator('#findings [data-rule="CONCURRENCY.OTHER_SERVICE"]')
    expect(finding).to_be_visible()
    expect(finding).to_contain_text("Not at the same time as another service")
    expect(finding).to_contain_text("overlaps THERAPY")
    finding.locator("summary").click()  # the rule and its source, one click away
    expect(finding.locator(".pp-why__list")).to_contain_text(re.compile(r"Source.+"))
    expect(page.locator("#findings")).not_to_contain_text("Nothing in this note would stop")
    assert not ServiceNote.objects.exists()  # nothing was saved to show it

    # Moved to before the therapy session, the finding goes away.
    page.get_by_label("Start time").fill("09:15")
    page.get_by_label("End time").fill("10:00")
    expect(finding).to_have_count(0)
    expect(page.locator("#findings")).to_contain_text("Nothing in this note would stop it")


def test_a_signed_note_cannot_be_changed_in_the_pages_or_by_posting_to_its_address(page: Page):
    peer = records.peer()
    person, intervention = records.ready_person(peer)
    sign_in(page, peer.staff)
    write_note(page, Actions(page), person.display_name, "10:00", "10:45")
    page.get_by_role("button", name="Save and sign").click()
    expect(page.get_by_text("Note signed.")).to_be_visible()
    note = ServiceNote.objects.get(person=person)
    signed = ServiceNote.objects.filter(pk=note.pk).values().get()

    # The note's page offers an amendment, never an edit.
    main = page.locator("main")
    expect(main.get_by_role("link", name="Amend")).to_be_visible()
    expect(main.get_by_role("link", name=re.compile("Finish|Edit"))).to_have_count(0)
    expect(main.locator("form")).to_have_count(0)

    # Opening the edit address leads back to the note, with a word about amending.
    page.goto(f"/notes/{note.pk}/edit/")
    expect(page).to_have_url(re.compile(rf"/notes/{note.pk}/$"))
    expect(page.get_by_text("This note is signed. To correct it, amend it.")).to_be_visible()
    expect(page.locator("main textarea")).to_have_count(0)

    # Posting a changed note to the edit address, with the session and a valid CSRF token,
    # is refused and changes nothing.
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        f"/notes/{note.pk}/edit/",
        form={
            "csrfmiddlewaretoken": token,
            "intervention": str(intervention.pk),
            "date": records.days(0).isoformat(),
            "start_time": "09:00",
            "end_time": "11:00",
            "modality": "in_person",
            "setting": "community",
            "intervention_text": "Changed after signing.",
            "purpose": "",
            "response": "Changed after signing.",
            "next_steps": "",
            "action": "sign",
        },
        max_redirects=0,
    )
    assert response.status == 403
    assert ServiceNote.objects.filter(pk=note.pk).values().get() == signed
    assert ServiceNote.objects.count() == 1
