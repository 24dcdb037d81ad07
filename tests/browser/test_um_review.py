"""A utilization-management reviewer's main job in the browser: decide the requests in the
queue, denying one with a specific reason and approving another."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from peerpath.authorizations.models import Authorization
from tests.browser import records
from tests.browser.kit import Actions, sign_in

DENIAL = (
    "Not met: no service order for peer support, signed by a physician or licensed clinician "
    "on or before the first day of service, is on file. Send the signed order to request again."
)


def test_reviewer_denies_one_request_with_a_specific_reason_and_approves_another(page: Page):
    desk = records.um_desk()
    sign_in(page, desk.reviewer)
    act = Actions(page)
    act.click(page.get_by_role("link", name="Requests"))
    expect(page.get_by_role("heading", name="Requests to review")).to_be_visible()
    queue = page.locator("table.pp-um-queue tbody tr")
    expect(queue).to_have_count(2)

    # Deny the initial request: a denial without a reason is refused, and nothing is decided.
    act.click(page.get_by_role("link", name=desk.initial.person.display_name))
    expect(page.get_by_role("heading", name=re.compile("Initial request"))).to_be_visible()
    criteria = page.locator(".pp-um-criteria")
    expect(criteria.locator("tr", has_text="ENTRANCE.SERVICE_ORDER").first).to_contain_text(
        "Missing"
    )
    # The reason starts from the criteria not met, each with its source.
    reason = page.get_by_label("Reason")
    expect(reason).to_have_value(re.compile(r"Service order.*\(missing\).*Source: ", re.S))
    act.check(page.get_by_role("radio", name="Deny"))
    act.fill(reason, "")
    act.click(page.get_by_role("button", name="Record the decision"))
    expect(page.get_by_text("Give the specific reason for the denial.").first).to_be_visible()
    desk.initial.refresh_from_db()
    assert desk.initial.status == "requested"

    act.check(page.get_by_role("radio", name="Deny"))
    act.fill(page.get_by_label("Reason"), DENIAL)
    act.click(page.get_by_role("button", name="Record the decision"))
    # The reviewer moves on to the next request; the decided one's notice is a click away.
    expect(page.get_by_text(re.compile(r"^Denied: request of"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Continued stay request"))).to_be_visible()
    notice = page.get_by_role("link", name="Download the notice of decision (PDF)")
    expect(notice).to_have_attribute("href", f"/requests/{desk.initial.pk}/notice.pdf")
    pdf = page.request.get(notice.get_attribute("href") or "")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    # Approve the continued-stay request with the payer's number.
    act.check(page.get_by_role("radio", name="Approve", exact=True))
    act.fill(page.get_by_label("Authorization number"), "PA-2026-0042")
    act.click(page.get_by_role("button", name="Record the decision"))
    expect(page.get_by_text(re.compile(r"^Approved: request of"))).to_be_visible()
    # No request is left: back on the queue, which says so.
    expect(page.get_by_text("No requests are waiting for a decision.")).to_be_visible()

    denied = Authorization.objects.get(pk=desk.initial.pk)
    approved = Authorization.objects.get(pk=desk.continued.pk)
    assert (denied.status, denied.reason, denied.units_approved) == ("denied", DENIAL, None)
    assert denied.reviewer == desk.reviewer and denied.decided_at is not None
    assert (approved.status, approved.units_approved, approved.number) == (
        "approved",
        96,
        "PA-2026-0042",
    )
    page.goto(f"/requests/{approved.pk}/")
    expect(page.get_by_role("region", name="Approved")).to_contain_text("96 of 96")
    expect(page.get_by_role("region", name="Approved")).to_contain_text("cannot be decided again")
