"""Signing in through the browser, with the second factor for the roles that need one (the
sign_in helper that every browser test uses)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.access.factories import SupervisionFactory
from tests.browser import records
from tests.browser.kit import sign_in, staff_user


def test_supervisor_signs_in_with_the_code_from_their_app_and_sees_a_team_members_day(
    page: Page,
):
    peer = records.peer()
    person, _ = records.ready_person(peer)
    qp = staff_user("supervisor", agency=peer.agency, first_name="Quinn", credential="QP")
    SupervisionFactory(supervisor=qp, staff=peer.staff, start=records.days(-90))

    page.goto("/day/")
    expect(page).to_have_url(re.compile(r"/signin/"))  # signed out: the sign-in page
    code_page: list[Page] = []
    assert sign_in(page, qp, on_code_page=code_page.append)  # the password, then the code
    assert code_page, "the second step was not asked for"
    page.get_by_role("link", name="My day").first.click()
    team = page.get_by_role("navigation", name="Your team")
    team.get_by_role("link", name=peer.staff.full_name).click()
    heading = page.get_by_role("heading", name=re.compile(f"{peer.staff.full_name}'s day"))
    expect(heading).to_be_visible()
    expect(page.locator("main")).to_contain_text(person.display_name)
    expect(page.get_by_role("link", name="Write a note")).to_have_count(0)
