"""The tokens page as a peer specialist uses it: make a token (shown once), use it against
the API, revoke it; axe at desktop and phone width."""

from __future__ import annotations

from django.test import Client
from playwright.sync_api import Page, expect

from tests.browser import records
from tests.browser.kit import check_page, sign_in


def test_peer_makes_uses_and_revokes_a_token(page: Page):
    peer = records.peer()
    person, _ = records.ready_person(peer)
    sign_in(page, peer.staff)
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="Personal access tokens")).to_be_visible()
    check_page(page, "api-tokens")
    page.get_by_label("What is it for?").fill("Notes on my phone")
    # USWDS checkboxes are styled labels over a hidden input: click the label, as people do.
    page.locator("label[for=cap-read_note]").click()
    page.locator("label[for=cap-read_person]").click()
    page.get_by_role("button", name="Make the token").click()
    raw = page.locator("#new-token").inner_text()
    assert raw.startswith("pp_")
    check_page(page, "api-tokens-made")
    answer = Client().get(f"/api/people/{person.pk}", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert answer.status_code == 200
    page.get_by_role("button", name="Revoke").click()
    expect(page.locator("main")).to_contain_text("Revoked")
    answer = Client().get(f"/api/people/{person.pk}", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert answer.status_code == 401
