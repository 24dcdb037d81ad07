"""A program supervisor's main job in the browser: from the team board, move a person to
another peer specialist (confirming when that caseload would be over the limit), and clear an
overdue face-to-face contact by recording it."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from peerpath.staff.models import CaseloadAssignment, SupervisorContact
from tests.browser import records
from tests.browser.kit import Actions, page_problems, sign_in

REASON = "Alex works the evenings Jordan is free."
SUMMARY = "Met at the center; talked about the housing search and the new group."


def test_supervisor_reassigns_a_person_confirming_a_caseload_over_the_limit(page: Page):
    team = records.team()
    person, new_peer = team.moving, team.full
    assert sign_in(page, team.supervisor)  # a supervisor gives the authenticator's code
    expect(page).to_have_url(re.compile(r"/team/$"))  # and starts on the team's board
    expect(page.get_by_role("heading", name="Who supports whom")).to_be_visible()

    # The worklist is filtered to the first peer specialist: their people are listed.
    expect(page.locator("#finding-total")).not_to_have_text("…")  # the board has loaded
    act = Actions(page)
    act.select(page.get_by_label("Peer specialist"), str(team.first.pk))
    act.click(page.get_by_role("button", name="Filter"))
    expect(page).to_have_url(re.compile(rf"peer={team.first.pk}"))
    problems = page_problems(page, "board-filtered")
    act.click(page.get_by_role("button", name=f"Reassign {person.display_name}"))
    form = page.get_by_role("form", name=f"Reassign {person.display_name}")
    expect(form).to_contain_text(f"supported by {team.first.full_name}")
    expect(form.get_by_label("Start date")).to_have_value(records.days(0).isoformat())
    act.select(form.get_by_label("New peer specialist"), str(new_peer.pk))
    act.type(form.get_by_label("Reason (optional)"), REASON)
    act.click(form.get_by_role("button", name="Save reassignment"))

    # The new caseload would be 13, over the NC limit of 12: the form asks again, with the
    # source of the limit, and nothing is changed yet.
    warning = form.get_by_role("alert")
    expect(warning).to_contain_text(f"{new_peer.full_name} would support 13 people")
    expect(warning).to_contain_text("over the limit of 12")
    assert CaseloadAssignment.objects.get(person=person).staff == team.first
    act.click(form.get_by_role("button", name="Reassign anyway"))

    today = records.days(0)
    expect(page).to_have_url(re.compile(r"/team/$"))
    expect(
        page.get_by_text(
            f"{person.display_name} moves to {new_peer.full_name} from {today:%b %-d, %Y}."
        )
    ).to_be_visible()
    page.goto(f"/team/?peer={new_peer.pk}")
    moved = page.locator("details.pp-load", has_text=new_peer.full_name)
    expect(moved.get_by_role("link", name=person.display_name)).to_be_visible()
    left = page.locator("details.pp-load", has_text=team.first.full_name)
    expect(left.get_by_role("link", name=person.display_name)).to_have_count(0)
    assert act.count <= 7, str(act)
    assert not problems, "Accessibility problems:\n" + "\n".join(problems)

    old, new = CaseloadAssignment.objects.filter(person=person).order_by("start")
    assert (old.staff, old.end) == (team.first, records.days(-1))
    assert (new.staff, new.start, new.end) == (new_peer, today, None)


def test_supervisor_records_an_overdue_face_to_face_contact_and_it_leaves_the_board(page: Page):
    team = records.team()
    late = team.late
    sign_in(page, team.supervisor)
    expect(page).to_have_url(re.compile(r"/team/$"))
    expect(page.locator("#finding-total")).not_to_have_text("…")  # the board has loaded
    act = Actions(page)
    # Only the contacts: the chip filters the worklist to that kind.
    act.click(page.locator(".pp-chips a[data-kind='contact']"))
    expect(page).to_have_url(re.compile(r"kind=contact"))
    contacts = page.locator("section[aria-labelledby='due-h']")
    expect(contacts.locator("li[data-kind]").first).to_be_visible()
    for other in contacts.locator("li[data-kind]").all():
        expect(other).to_have_attribute("data-kind", "contact")
    item = contacts.locator("li", has_text=late.display_name)
    expect(item).to_contain_text("10 days overdue")  # the last one 70 days ago; NC: 60
    expect(contacts.locator("li", has_text=team.moving.display_name)).to_have_count(0)
    act.click(item.get_by_role("button", name=f"Record contact with {late.display_name}"))
    form = page.get_by_role("form", name=f"Record a contact with {late.display_name}")
    expect(form.get_by_label("Date of contact")).to_be_visible()
    act.fill(form.get_by_label("Date of contact"), records.days(0).isoformat())
    act.check(form.get_by_role("radio", name="Face to face"))
    expect(form.get_by_role("radio", name="Phone")).not_to_be_checked()
    expect(form.get_by_role("radio", name="Video")).not_to_be_checked()
    act.type(form.get_by_label("Summary"), SUMMARY)
    act.click(form.get_by_role("button", name="Save contact"))

    expect(page).to_have_url(re.compile(r"/team/$"))
    expect(
        page.get_by_text(f"Face-to-face contact with {late.display_name} recorded.")
    ).to_be_visible()
    due = page.locator("section[aria-labelledby='due-h']")
    expect(due.get_by_role("link", name=late.display_name)).to_have_count(0)
    assert act.count <= 6, str(act)

    contact = SupervisorContact.objects.get(person=late, date=records.days(0))
    assert (contact.supervisor, contact.kind, contact.summary) == (
        team.supervisor,
        "face_to_face",
        SUMMARY,
    )
