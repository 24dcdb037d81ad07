"""Each main page passes axe (no serious or critical violations) at desktop width and at
375 px, a phone; each is saved as a screenshot in var/test-artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone
from playwright.sync_api import Page, expect

from peerpath.people.models import OtherService
from tests.browser import records
from tests.browser.kit import page_problems, sign_in, staff_user
from tests.factories import NoteFactory


def test_peer_specialist_pages_pass_axe_at_desktop_and_phone_width(page: Page):
    peer = records.peer()
    person, intervention = records.ready_person(peer)
    busy = records.person_needing_attention(peer)
    records.ready_person(peer, first_name="Avery", last_name="Quinn")
    NoteFactory(
        person=person,
        staff=peer.staff,
        date=records.days(0),
        start_time=dt.time(9),
        end_time=dt.time(9, 45),
        goal=intervention.goal,
        intervention=intervention,
        purpose="Practising calls makes the apartment search less frightening.",
        response='"Two calls done, and I am still standing," Jordan said.',
        next_steps="Call two more landlords on Thursday.",
        status="signed",
        signed_by=peer.staff,
        signed_credential="CPSS",
        signed_at=timezone.now(),
    )
    NoteFactory(person=busy, staff=peer.staff, date=records.days(-4))  # an old draft
    OtherService.objects.create(
        person=person,
        category="THERAPY",
        date=records.days(0),
        start_time=dt.time(14),
        end_time=dt.time(15),
    )
    problems: list[str] = []

    page.goto("/signin/")
    problems += page_problems(page, "signin")
    sign_in(page, peer.staff)
    expect(page.get_by_role("heading", name=re.compile("My day"))).to_be_visible()
    problems += page_problems(page, "day")

    page.goto("/people/")
    expect(page.locator("main")).to_contain_text(person.display_name)
    problems += page_problems(page, "people")

    page.goto(f"/people/{person.pk}/")
    expect(page.get_by_role("heading", name=person.display_name)).to_be_visible()
    problems += page_problems(page, "chart")

    # The note form with the live findings showing (an overlap with another service).
    page.goto(f"/people/{person.pk}/notes/new/")
    page.get_by_label("Start time").fill("14:30")
    page.get_by_label("End time").fill("15:15")
    expect(page.locator('#findings [data-rule="CONCURRENCY.OTHER_SERVICE"]')).to_be_visible()
    problems += page_problems(page, "note-form")

    page.locator(".pp-crumb").get_by_role("link", name="My day").click()
    page.locator("#today-h + ul").get_by_role("link", name=person.display_name).click()
    expect(page.get_by_role("heading", name=re.compile("Note with"))).to_be_visible()
    problems += page_problems(page, "note")

    page.get_by_role("link", name="Amend").click()
    expect(page.get_by_label("Why does this note need correcting?")).to_be_visible()
    problems += page_problems(page, "note-amend")

    # The person's plan, and its version in force.
    page.goto(f"/people/{person.pk}/plan/")
    expect(page.locator("main h1")).to_be_visible()
    problems += page_problems(page, "plan")
    plan = person.plans.get()
    page.goto(f"/people/{person.pk}/plan/v{plan.version}/")
    expect(page.locator("main")).to_contain_text(intervention.goal.own_words)
    problems += page_problems(page, "plan-version")

    assert not problems, "Accessibility problems:\n" + "\n".join(problems)


def test_second_sign_in_step_passes_axe_at_desktop_and_phone_width(page: Page):
    supervisor = staff_user("supervisor", first_name="Quinn", credential="QP")
    problems: list[str] = []
    sign_in(page, supervisor, on_code_page=lambda p: problems.extend(page_problems(p, "code")))
    assert not problems, "Accessibility problems:\n" + "\n".join(problems)


def test_reviewer_pages_pass_axe_at_desktop_and_phone_width(page: Page):
    desk = records.um_desk()
    sign_in(page, desk.reviewer)
    problems: list[str] = []

    page.goto("/requests/")
    expect(page.locator("table.pp-um-queue tbody tr")).to_have_count(2)
    problems += page_problems(page, "um-queue")

    page.goto(f"/requests/{desk.initial.pk}/")
    expect(page.get_by_role("heading", name=re.compile("Initial request"))).to_be_visible()
    problems += page_problems(page, "um-request")

    assert not problems, "Accessibility problems:\n" + "\n".join(problems)


def test_group_pages_pass_axe_at_desktop_and_phone_width(page: Page):
    peer = records.peer()
    attendees = records.people_for_a_group(peer, [("Jordan", "Ellis"), ("Avery", "Quinn")])
    records.ready_person(peer, first_name="Riley", last_name="Park")  # left to check in
    sign_in(page, peer.staff)
    problems: list[str] = []

    page.goto("/groups/new/")
    expect(page.get_by_role("heading", name="Start a group session")).to_be_visible()
    problems += page_problems(page, "group-new")

    page.get_by_label("Topic").fill("Managing stress")
    page.get_by_label("Start time").fill("09:00")
    page.get_by_label("End time").fill("10:30")
    page.get_by_role("button", name="Start the session").click()
    who = page.get_by_role("group", name="Who is here?")
    for person, _ in attendees:
        who.locator("label", has_text=person.display_name).click()
    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_text("Checked in 2 people.")).to_be_visible()
    # The notes form with each attendee's live findings showing.
    page.get_by_label("What did the group do together?").fill("We practiced breathing tools.")
    for person, _ in attendees:
        page.get_by_label(f"How did {person.display_name} respond, in their words?").fill(
            '"That helped," they said.'
        )
    page.get_by_label(f"Next steps for {attendees[-1][0].display_name}").press("Tab")
    for person, _ in attendees:
        expect(page.locator(f"#findings-p{person.pk}")).to_contain_text("would stop it being")
    problems += page_problems(page, "group-session")

    assert not problems, "Accessibility problems:\n" + "\n".join(problems)


def test_supervisor_board_passes_axe_at_desktop_and_phone_width(page: Page):
    team = records.team()
    sign_in(page, team.supervisor)
    expect(page).to_have_url(re.compile(r"/team/$"))
    # Once the findings by rule have loaded in, and with a form open in place.
    expect(page.locator("#finding-total")).not_to_have_text("…")
    page.goto(f"/team/?peer={team.first.pk}")
    expect(page.locator("#finding-total")).not_to_have_text("…")
    page.get_by_role("button", name=f"Reassign {team.moving.display_name}").click()
    expect(page.get_by_label("New peer specialist")).to_be_visible()
    problems = page_problems(page, "board")
    assert not problems, "Accessibility problems:\n" + "\n".join(problems)


def test_billing_pages_pass_axe_at_desktop_and_phone_width(page: Page):
    """The billing screen with a held line (no contract rate yet: its reason, citation and
    fix show), the claim files, remittances, denials and reports."""
    from peerpath.billing.services import lines_scrub

    peer = records.peer()
    person, intervention = records.ready_person(peer)
    NoteFactory(
        person=person,
        staff=peer.staff,
        date=records.days(-3),
        start_time=dt.time(9),
        end_time=dt.time(9, 45),
        goal=intervention.goal,
        intervention=intervention,
        status="signed",
        signed_by=peer.staff,
        signed_credential="CPSS",
        signed_at=timezone.now(),
    )
    clerk = staff_user("billing", agency=peer.agency, first_name="Kim", last_name="Okafor")
    lines_scrub(actor=clerk.user, agency=peer.agency)
    problems: list[str] = []
    sign_in(page, clerk)
    for name, url in (
        ("billing-lines", "/billing/?status=held"),
        ("billing-batches", "/billing/batches/"),
        ("billing-remittances", "/billing/remittances/"),
        ("billing-denials", "/billing/denials/"),
        ("billing-reports", "/billing/reports/"),
    ):
        page.goto(url)
        expect(page.locator("main h1")).to_be_visible()
        if name in ("billing-lines", "billing-remittances"):
            # The charts load after the page (htmx): wait for them, and open their numbers.
            expect(page.locator("#glance-heading")).to_be_visible()
            for summary in page.locator(".pp-glance__numbers summary").all():
                summary.click()
            expect(page.locator(".pp-glance img.pp-chart")).to_have_count(3)
            expect(page.locator(".pp-glance")).to_contain_text("Nothing is awaiting payment.")
        problems += page_problems(page, name)
    assert problems == [], "\n".join(problems)
