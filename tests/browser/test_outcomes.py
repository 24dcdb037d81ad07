"""Recovery measures in the browser: a peer specialist records a BARC-10 with the person on a
phone-sized screen, from the measure due on their day page, and the person's chart of
measures shows the new point. The new pages are checked with axe at desktop and phone width."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from peerpath.outcomes.models import Administration
from peerpath.outcomes.services import administration_enter
from tests.browser import records
from tests.browser.kit import PHONE, check_page, sign_in

ANSWERS = ["Agree", "Somewhat agree", "Strongly agree", "Agree", "Somewhat disagree",
           "Somewhat agree", "Agree", "Strongly agree", "Somewhat agree", "Agree"]  # fmt: skip
TOTAL = 47  # 5 + 4 + 6 + 5 + 3 + 4 + 5 + 6 + 4 + 5


def test_a_peer_records_a_barc10_on_a_phone_from_the_day_page_and_the_chart_shows_it(page: Page):
    peer = records.peer()
    person, _ = records.ready_person(peer)  # admitted 60 days ago: the admission BARC-10 is due
    page.set_viewport_size({"width": PHONE, "height": 812})
    sign_in(page, peer.staff)
    expect(page).to_have_url(re.compile(r"/day/$"))
    due = page.locator("#measures-h + ul .pp-card", has_text=person.display_name)
    expect(due).to_contain_text("BARC-10: At admission")
    due.get_by_role("link", name=re.compile("Record the BARC-10")).click()

    expect(
        page.get_by_role("heading", name=re.compile("Recovery strengths check-in"))
    ).to_be_visible()
    check_page(page, "outcomes-start")
    page.get_by_role("button", name="Start the BARC-10").click()

    for n, answer in enumerate(ANSWERS, start=1):
        expect(page.locator(".pp-measure__progress")).to_contain_text(f"question {n} of 10")
        if n == 1:
            check_page(page, "outcomes-question")
        # The person taps an answer: it is saved at once and the next question comes up.
        page.locator(".pp-measure__option label", has_text=re.compile(f"^{answer}$")).click()
        if n < 10:
            expect(page.locator(".pp-measure__progress")).to_contain_text(f"question {n + 1} of 10")
            saved = Administration.objects.get(person=person).answers.filter(item=n)
            assert saved.exists()

    expect(page.get_by_role("heading", name="Check the answers")).to_be_visible()
    check_page(page, "outcomes-finish")
    page.get_by_role("button", name="Finish").click()

    expect(page).to_have_url(re.compile(rf"/people/{person.pk}/measures/$"))
    expect(page.get_by_text("Thank you. The BARC-10 is saved.")).to_be_visible()
    row = page.locator("#barc-table tbody tr").first
    expect(row).to_contain_text(str(TOTAL))
    expect(row).to_contain_text("Yes")
    chart = page.locator("figure.pp-figure img")
    expect(chart).to_be_visible()
    svg = page.request.get(chart.get_attribute("src") or "")
    assert svg.ok and svg.headers["content-type"] == "image/svg+xml"
    assert f"{TOTAL}" in svg.text()  # the point's label
    page.wait_for_function(
        "() => { const i = document.querySelector('figure.pp-figure img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    record = Administration.objects.get(person=person)
    assert (record.status, record.total, record.staff) == ("completed", TOTAL, peer.staff)
    check_page(page, "outcomes-person")
    # Nothing is due any more on the day page.
    page.goto("/day/")
    expect(page.locator("#measures-h")).to_have_count(0)
    page.goto(f"/people/{person.pk}/measures/print/")
    check_page(page, "outcomes-print")


def test_the_program_view_reads_well_at_both_widths(page: Page):
    team = records.team()
    for person, low, high in ((team.moving, "3", "5"), (team.late, "4", "4")):
        for when, value in ((-200, low), (-20, high)):
            administration_enter(
                actor=team.first.user, person=person, instrument="BARC-10",
                on=records.days(when), answers=dict.fromkeys(range(1, 11), value),
            )  # fmt: skip
    sign_in(page, team.supervisor)
    page.get_by_role("link", name="Outcomes").first.click()
    expect(page.get_by_role("heading", name=re.compile("Recovery outcomes"))).to_be_visible()
    expect(page.locator("#overall")).to_contain_text("fewer than 11")
    check_page(page, "outcomes-program")
