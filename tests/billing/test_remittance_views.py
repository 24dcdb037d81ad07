"""The billing pages: who may post and read, what they show, a refusal that names where the
file broke, and a bounded number of queries however much has been posted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from peerpath.billing.models import ClaimLine, LinePayment, RemittanceFile
from peerpath.billing.remittance import post_remittance
from peerpath.billing.x12.remit_builder import ClaimOutcome, LineOutcome, build_835_from_837
from peerpath.core import formatting as fmt
from peerpath.jobs.models import Job
from peerpath.jobs.services import job_run
from tests.access.factories import StaffUserFactory
from tests.billing.remit_factories import LineSpec, sent_claims
from tests.factories import AuthorizationFactory, EpisodeFactory, PayerFactory, PersonFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_second_factor")]
D = dt.date


@pytest.fixture
def no_second_factor():
    with override_settings(PEERPATH_REQUIRE_2FA=False):
        yield


def client_for(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


@pytest.fixture
def agency_claims():
    billing = StaffUserFactory(role="billing")
    agency = billing.agency
    payer = PayerFactory(name="Blue Ridge Health Partners")
    people = [PersonFactory(agency=agency, payer=payer) for _ in range(2)]
    _, text = sent_claims(
        agency,
        payer,
        [
            (people[0], [LineSpec(D(2026, 4, 6), 4), LineSpec(D(2026, 4, 8), 6)]),
            (people[1], [LineSpec(D(2026, 4, 7), 4)]),
        ],
    )
    return billing, people, text


OUTCOMES = {
    "PP501-1": ClaimOutcome(lines={2: LineOutcome.deny("197", remarks=("N54",))}),
    "PP501-2": LineOutcome.deny("B7"),
}


def upload(client: Client, text: str):
    return client.post(
        "/billing/remittances/", {"file": SimpleUploadedFile("era.835", text.encode())}
    )


def post_as_job(client: Client, text: str):
    """Upload from the page, then run the job it started (as the worker would)."""
    response = upload(client, text)
    job = Job.objects.order_by("-pk").first()
    assert job is not None and job.kind == "billing.post_835"
    assert response.status_code == 302
    assert response["Location"] == f"/billing/remittances/?job={job.pk}"
    job_run(job)
    job.refresh_from_db()
    return job


def test_billing_staff_post_an_835_from_the_page_as_a_job(agency_claims):
    billing, _, text = agency_claims
    client = client_for(billing)
    job = post_as_job(client, build_835_from_837(text, OUTCOMES))
    assert job.status == "succeeded", job.failure
    assert job.result_summary == "Posted: 2 claims and 3 lines."
    posted = RemittanceFile.objects.get()
    assert job.result_url == f"/billing/remittances/{posted.pk}/"
    assert not job.input_text  # the file is not kept on the job once it ended
    page = client.get(f"/billing/remittances/?job={job.pk}").content.decode()
    assert "Posted: 2 claims and 3 lines." in page
    assert "Blue Ridge Health Partners" in page


def test_the_statement_reads_summary_first_then_claims(agency_claims):
    billing, people, text = agency_claims
    client = client_for(billing)
    posted = post_remittance(actor=billing.user, text=build_835_from_837(text, OUTCOMES))
    listing = client.get("/billing/remittances/").content.decode()
    assert "0 paid, 1 denied, 1 paid in part" in listing
    page = client.get(f"/billing/remittances/{posted.pk}/").content.decode()
    payment = posted.payments.get()
    summary_at = page.index("Paid by")
    assert summary_at < page.index(people[0].display_name)  # the summary comes first
    assert f"{payment.get_method_display()} {payment.trace_number}" in page
    assert "2: 0 paid in full, 1 denied, 1 paid in part" in page
    assert fmt.money(payment.amount) in page
    denied = LinePayment.objects.filter(outcome="denied").first()
    assert f'href="/billing/denials/{denied.pk}/"' in page
    stranger = client_for(StaffUserFactory(role="billing"))
    assert stranger.get(f"/billing/remittances/{posted.pk}/").status_code == 404


def test_a_broken_file_posts_nothing_and_the_job_says_which_segment(agency_claims):
    billing, _, text = agency_claims
    cut = "\n".join(build_835_from_837(text).splitlines()[:15]) + "\n"
    job = post_as_job(client_for(billing), cut)
    assert job.status == "failed"
    assert job.failure.startswith("Nothing was posted: ")
    assert any("segment 15 (" in p and "cut short" in p for p in job.problems)
    assert RemittanceFile.objects.count() == 0
    assert set(ClaimLine.objects.values_list("status", flat=True)) == {"submitted"}


def test_a_duplicate_835_leads_with_the_sentence_that_matters(agency_claims):
    billing, _, text = agency_claims
    client = client_for(billing)
    remit = build_835_from_837(text, OUTCOMES)
    assert post_as_job(client, remit).status == "succeeded"
    again = post_as_job(client, remit)
    assert again.status == "failed"
    assert again.failure.startswith("Nothing was posted: This file was already posted on ")
    page = client.get(f"/billing/remittances/?job={again.pk}").content.decode()
    # The sentence comes before the list of every other problem, not buried in it.
    assert page.index("This file was already posted") < page.index("not awaiting payment")


def test_a_file_that_is_not_text_is_refused_by_name(agency_claims):
    billing, _, _ = agency_claims
    response = client_for(billing).post(
        "/billing/remittances/", {"file": SimpleUploadedFile("era.835", b"\xff\xfe\x00")}
    )
    assert response.status_code == 400
    assert b"file: an X12 file is plain ASCII text" in response.content


def test_auditors_read_but_do_not_post(agency_claims):
    billing, _, text = agency_claims
    auditor = StaffUserFactory(role="auditor", agency=billing.agency)
    client = client_for(auditor)
    page = client.get("/billing/remittances/")
    assert page.status_code == 200 and b"Post an 835" not in page.content
    assert upload(client, build_835_from_837(text)).status_code == 403
    assert RemittanceFile.objects.count() == 0 and not Job.objects.exists()


@pytest.mark.parametrize("role", ["cpss", "supervisor", "um_reviewer"])
def test_other_roles_see_no_billing_pages(agency_claims, role):
    billing, _, _ = agency_claims
    other = StaffUserFactory(role=role, agency=billing.agency)
    client = client_for(other)
    for url in ("/billing/remittances/", "/billing/denials/", "/billing/reports/",
                "/billing/reports/clean-claims.png"):  # fmt: skip
        assert client.get(url).status_code == 403, url


def test_denials_list_names_the_reason_and_the_rule_that_would_have_caught_it(agency_claims):
    billing, people, text = agency_claims
    post_remittance(actor=billing.user, text=build_835_from_837(text, OUTCOMES))
    page = client_for(billing).get("/billing/denials/").content.decode()
    assert "CARC 197" in page and "AUTH.NOTE_COVERED" in page
    assert "Inside an approved authorization" in page  # the rule's title
    assert "CARC B7" in page and "CREDENTIAL.CURRENT" in page
    assert people[1].display_name in page


def test_another_agencys_billing_staff_see_none_of_it(agency_claims):
    billing, people, text = agency_claims
    post_remittance(actor=billing.user, text=build_835_from_837(text, OUTCOMES))
    outsider = client_for(StaffUserFactory(role="billing"))
    assert people[0].display_name not in outsider.get("/billing/denials/").content.decode()
    assert b"No remittances posted yet." in outsider.get("/billing/remittances/").content


def test_reports_show_aging_rates_and_units(agency_claims):
    billing, people, text = agency_claims
    AuthorizationFactory(
        person=people[0], start=D(2026, 4, 1), end=D(2026, 6, 30), units_approved=5,
        status="approved",
    )  # fmt: skip
    client = client_for(billing)
    before = client.get("/billing/reports/?on=2026-04-20").content.decode()
    assert "$167.58" in before  # all three lines await payment: 14 units at 11.97
    post_remittance(actor=billing.user, text=build_835_from_837(text, OUTCOMES))
    page = client.get("/billing/reports/?on=2026-04-20").content.decode()
    assert "Nothing is awaiting payment." in page
    assert "66.7%" in page  # two of three lines refused by Blue Ridge
    assert "Mar 2025" in page  # the month the payment was made
    assert "-1 (over)" in page  # two 45-minute notes: 6 units used of 5 approved
    chart = client.get("/billing/reports/clean-claims.png")
    assert chart.status_code == 200 and chart["Content-Type"] == "image/png"
    assert chart.content.startswith(b"\x89PNG")


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_pages_issue_a_fixed_number_of_queries_however_much_is_posted(agency_claims):
    billing, people, text = agency_claims
    client = client_for(billing)
    post_remittance(actor=billing.user, text=build_835_from_837(text, OUTCOMES))
    # Non-empty lists from the start: an empty list page skips its queries.
    AuthorizationFactory(person=people[0], start=D(2026, 4, 1), end=D(2026, 6, 30),
                         status="approved", units_approved=40)  # fmt: skip
    urls = ["/billing/remittances/", "/billing/denials/", "/billing/reports/?on=2026-04-20"]
    client.get(urls[0])
    few = {url: _queries(client, url) for url in urls}
    payer = people[0].payer
    for n in range(2, 7):
        person = PersonFactory(agency=billing.agency, payer=payer)
        EpisodeFactory(person=person, start=D(2026, 1, 5))
        AuthorizationFactory(person=person, start=D(2026, 4, 1), end=D(2026, 6, 30),
                             status="approved", units_approved=40)  # fmt: skip
        _, more = sent_claims(
            billing.agency, payer, [(person, [LineSpec(D(2026, 4, 6), 4)] * 3)],
            isa_control=500 + n * 10,
        )  # fmt: skip
        post_remittance(
            actor=billing.user,
            text=build_835_from_837(
                more, {f"PP{500 + n * 10}-1": ClaimOutcome(lines={2: LineOutcome.deny("119")})},
                trace_number=f"T{n}", control_number=n,
            ),
        )  # fmt: skip
    assert LinePayment.objects.count() == 3 + 15
    many = {url: _queries(client, url) for url in urls}
    assert many == few


def test_partial_payment_amounts_show_as_money(agency_claims):
    billing, _, text = agency_claims
    post_remittance(
        actor=billing.user,
        text=build_835_from_837(text, {"PP501-2": LineOutcome.part(Decimal("10"), reason="151")}),
    )
    page = client_for(billing).get("/billing/denials/").content.decode()
    assert "$37.88" in page and "CARC 151" in page


def test_a_reason_with_different_remarks_is_listed_once_per_combination(agency_claims):
    from peerpath.billing.reports import denial_reasons
    from peerpath.people.models import Person

    billing, _, text = agency_claims
    outcomes = {
        "PP501-1": ClaimOutcome(
            lines={
                1: LineOutcome.deny("96", remarks=("N95",)),
                2: LineOutcome.deny("96"),
            }
        ),
    }
    post_remittance(actor=billing.user, text=build_835_from_837(text, outcomes))
    rows = denial_reasons(Person.objects.filter(agency=billing.agency))
    found = {(r.reason, r.remarks): r.rules[0].id for r in rows}
    assert found == {
        ("96", ()): "NOTE.NOT_COVERED_ACTIVITY",
        ("96", ("N95",)): "CREDENTIAL.CURRENT",
    }
