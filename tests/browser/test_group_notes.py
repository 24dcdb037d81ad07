"""A peer specialist's group in the browser: from the day page, start a group session, check
people in, write what the group did once and each person's own part, watch each note check
itself, and sign every note with one action."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import Page, expect

from peerpath.people.models import OtherService
from peerpath.services.models import GroupSession, ServiceNote
from tests.browser import records
from tests.browser.kit import Actions, sign_in

SHARED = "We practiced three breathing tools and talked about what helps on hard days."
RESPONSES = {
    "Jordan": '"The counting one works for me," Jordan said.',
    "Avery": '"I will try the long breath on the bus," Avery said.',
}


def max_actions(attendees: int) -> int:
    """Issue 5: start the session (1), its topic and times and "Start the session" (4),
    tick each person and "Check in" (n + 1), the shared part, each response and
    "Sign all notes" (n + 2)."""
    return 8 + 2 * attendees


def test_peer_starts_a_group_from_the_day_page_checks_people_in_and_signs_every_note(
    page: Page,
):
    peer = records.peer()
    attendees = records.people_for_a_group(peer, [("Jordan", "Ellis"), ("Avery", "Quinn")])
    sign_in(page, peer.staff)
    expect(page).to_have_url(re.compile(r"/day/$"))

    act = Actions(page)
    act.click(page.get_by_role("button", name="Start a group session"))
    expect(page.get_by_role("heading", name="Start a group session")).to_be_visible()
    # The date, the kind of group, how and where it met and who leads it start filled in.
    expect(page.get_by_label("Date")).to_have_value(records.days(0).isoformat())
    expect(page.get_by_label("What kind of group")).to_have_value("skills_group")
    expect(page.get_by_role("radio", name="In person")).to_be_checked()
    expect(page.get_by_role("checkbox", name=peer.staff.full_name)).to_be_checked()
    act.type(page.get_by_label("Topic"), "Managing stress")
    act.fill(page.get_by_label("Start time"), "09:00")
    act.fill(page.get_by_label("End time"), "10:30")
    act.click(page.get_by_role("button", name="Start the session"))

    expect(page).to_have_url(re.compile(r"/groups/\d+/$"))
    expect(page.get_by_text("Group started. Check people in as they arrive.")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Managing stress"))).to_be_visible()
    who = page.get_by_role("group", name="Who is here?")
    for person, _ in attendees:
        act.check(who.get_by_role("checkbox", name=person.display_name))
    act.click(page.get_by_role("button", name="Check in"))
    expect(page.get_by_text("Checked in 2 people.")).to_be_visible()

    act.type(page.get_by_label("What did the group do together?"), SHARED)
    for person, intervention in attendees:
        name = person.display_name
        # Each person's plan step is chosen from their own plan, preselected.
        goals = page.get_by_role("radiogroup", name=f"Which of {name}'s goals did the group serve?")
        expect(goals.get_by_role("radio")).to_have_count(1)
        expect(goals.locator(f'input[value="{intervention.pk}"]')).to_be_checked()
        act.type(
            page.get_by_label(f"How did {name} respond, in their words?"),
            RESPONSES[person.first_name],
        )
        expect(page.get_by_label(f"Next steps for {name}")).to_be_visible()
    # Each note checks itself as it is written, before anything is saved.
    for person, _ in attendees:
        expect(page.locator(f"#findings-p{person.pk}")).to_contain_text(
            f"Nothing in {person.display_name}'s note would stop it being paid."
        )
    expect(page.locator("#group-findings [data-rule]")).to_have_count(0)
    assert not ServiceNote.objects.exists()
    act.click(page.get_by_role("button", name="Sign all notes"))

    expect(page.get_by_text("Signed 2 notes.")).to_be_visible()
    expect(page.get_by_role("button", name="Sign all notes")).to_have_count(0)
    for person, _ in attendees:
        expect(page.get_by_role("link", name=f"Open {person.display_name}'s note")).to_be_visible()
    assert act.count <= max_actions(len(attendees)), str(act)

    session = GroupSession.objects.get()
    assert session.topic == "Managing stress" and session.date == records.days(0)
    assert (session.start_time, session.end_time) == (dt.time(9), dt.time(10, 30))
    assert set(session.attendees.all()) == {person for person, _ in attendees}
    notes = ServiceNote.objects.filter(group_session=session)
    assert notes.count() == len(attendees) == ServiceNote.objects.count()
    for person, intervention in attendees:
        note = notes.get(person=person)
        assert (note.status, note.kind, note.signed_by) == ("signed", "group", peer.staff)
        assert note.intervention == intervention and note.date == records.days(0)
        assert note.response == RESPONSES[person.first_name]
    # Back on the day page, the group is among the peer's groups.
    page.locator(".pp-crumb").get_by_role("link", name="My day").click()
    expect(page.get_by_role("link", name="Managing stress")).to_be_visible()


def test_a_finding_on_one_attendees_note_shows_beside_their_part_before_anything_is_saved(
    page: Page,
):
    peer = records.peer()
    (ready, _), (blocked, _) = records.people_for_a_group(
        peer, [("Jordan", "Ellis"), ("Avery", "Quinn")]
    )
    OtherService.objects.create(  # therapy at the same time as the group
        person=blocked,
        category="THERAPY",
        provider_name="Riverside Counseling",
        date=records.days(0),
        start_time=dt.time(9, 30),
        end_time=dt.time(10, 30),
    )
    sign_in(page, peer.staff)
    page.goto("/groups/new/")
    page.get_by_label("Topic").fill("Building my support network")
    page.get_by_label("Start time").fill("09:00")
    page.get_by_label("End time").fill("10:00")
    page.get_by_role("button", name="Start the session").click()
    who = page.get_by_role("group", name="Who is here?")
    for person in (ready, blocked):
        Actions(page).check(who.get_by_role("checkbox", name=person.display_name))
    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_text("Checked in 2 people.")).to_be_visible()
    page.get_by_label("What did the group do together?").fill(SHARED)
    page.get_by_label(f"How did {ready.display_name} respond, in their words?").fill("Good.")
    page.get_by_label(f"How did {blocked.display_name} respond, in their words?").fill("Good.")
    page.get_by_label(f"Next steps for {blocked.display_name}").press("Tab")  # a change event

    mine = page.locator(f"#findings-p{blocked.pk}")
    finding = mine.locator('[data-rule="CONCURRENCY.OTHER_SERVICE"]')
    expect(finding).to_be_visible()
    expect(finding).to_contain_text("overlaps THERAPY")
    expect(mine).not_to_contain_text("would stop it being paid.")
    expect(page.locator(f"#findings-p{ready.pk}")).to_contain_text(
        f"Nothing in {ready.display_name}'s note would stop it being paid."
    )
    assert not ServiceNote.objects.exists()
