"""The UM reviewer's queue and request page: scope, decisions, the CMS-0057-F clock."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from peerpath.access.models import AccessLogEntry
from peerpath.authorizations.models import Authorization
from peerpath.authorizations.selectors import review_queue
from tests.access.factories import StaffUserFactory
from tests.factories import (
    AssessmentFactory,
    AuthorizationFactory,
    DiagnosisFactory,
    GoalFactory,
    PersonFactory,
    ServiceOrderFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_2fa")]
UTC = dt.UTC
# Received on/after 2026-01-01: the nc-8g-2025 pack's CMS-0057-F timeframes apply.
RECEIVED = dt.datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
NOW = dt.datetime(2026, 3, 3, 14, 0, tzinfo=UTC)


@pytest.fixture
def no_2fa(settings):
    settings.PEERPATH_REQUIRE_2FA = False


def pending(person, **kw):
    fields = dict(
        person=person,
        status="requested",
        units_approved=None,
        decided_at=None,
        number="",
        requested_at=RECEIVED,
        units_requested=96,
        start=dt.date(2026, 3, 9),
        end=dt.date(2026, 9, 4),
    )
    fields.update(kw)
    return AuthorizationFactory(**fields)


def reviewer_of(payer):
    return StaffUserFactory(role="um_reviewer", agency=None, payer=payer, hire_date=None)


def client_for(staff):
    client = Client()
    client.force_login(staff.user)
    return client


@pytest.fixture
def desk():
    """One payer's reviewer with two pending requests (one with a full record) and one
    decided; another payer with its own pending request."""
    person = PersonFactory()
    DiagnosisFactory(person=person)
    AssessmentFactory(person=person)
    ServiceOrderFactory(person=person)
    GoalFactory(plan__person=person, plan__start=dt.date(2026, 3, 2))
    standard = pending(person, kind="concurrent")
    other = PersonFactory(agency=person.agency, payer=person.payer)
    expedited = pending(other, urgency="expedited")
    decided = AuthorizationFactory(person=PersonFactory(payer=person.payer))
    elsewhere = pending(PersonFactory())
    return {
        "reviewer": reviewer_of(person.payer),
        "other_reviewer": reviewer_of(elsewhere.payer),
        "standard": standard,
        "expedited": expedited,
        "decided": decided,
        "elsewhere": elsewhere,
    }


@time_machine.travel(NOW, tick=False)
def test_reviewer_sees_only_their_payers_pending_requests_soonest_due_first(desk):
    response = client_for(desk["reviewer"]).get("/requests/")
    assert response.status_code == 200
    rows = [r.authorization for r in response.context["rows"]]
    # Expedited is due in 72 hours, standard in 7 days: expedited first.
    assert rows == [desk["expedited"], desk["standard"]]
    body = response.content.decode()
    assert desk["elsewhere"].person.medicaid_id not in body
    assert desk["decided"].person.medicaid_id not in body
    assert desk["standard"].person.medicaid_id in body
    assert "Continued stay" in body and "Expedited" in body
    assert AccessLogEntry.objects.filter(action="search", reason="review queue").count() == 1


def test_due_time_is_72_hours_expedited_and_7_days_standard_from_2026(desk):
    with time_machine.travel(NOW, tick=False):
        rows = {r.authorization.pk: r.clock for r in review_queue(desk["reviewer"], now=NOW)}
        page = client_for(desk["reviewer"]).get(f"/requests/{desk['expedited'].pk}/")
    expedited, standard = rows[desk["expedited"].pk], rows[desk["standard"].pk]
    assert expedited.due == RECEIVED + dt.timedelta(hours=72)
    assert standard.due == RECEIVED + dt.timedelta(days=7)
    assert expedited.left == dt.timedelta(hours=48) and not expedited.overdue
    assert "72 hours (expedited)" in page.content.decode()
    assert "(CMS-0057-F), Prior authorization decision timeframes" in page.content.decode()
    # Four days on, the expedited request is late and the standard one is not.
    later = NOW + dt.timedelta(days=3)
    with time_machine.travel(later, tick=False):
        response = client_for(desk["reviewer"]).get("/requests/")
    clocks = {r.authorization.pk: r.clock for r in response.context["rows"]}
    assert clocks[desk["expedited"].pk].overdue
    assert clocks[desk["expedited"].pk].left_text == "overdue by 1 day 0 h"
    assert not clocks[desk["standard"].pk].overdue
    assert "overdue by 1 day 0 h" in response.content.decode()


@time_machine.travel(dt.datetime(2025, 6, 3, 12, tzinfo=UTC), tick=False)
def test_no_federal_timeframe_before_2026(desk):
    old = pending(
        desk["standard"].person,
        requested_at=dt.datetime(2025, 6, 2, 12, tzinfo=UTC),
        start=dt.date(2025, 6, 9),
        end=dt.date(2025, 12, 5),
    )
    clocks = {r.authorization.pk: r.clock for r in review_queue(desk["reviewer"], now=NOW)}
    assert clocks[old.pk].due is None and clocks[old.pk].pack_id == "nc-8g-2025"
    # Requests without a timeframe come after those with one.
    assert [r.authorization for r in review_queue(desk["reviewer"], now=NOW)][-1] == old


@time_machine.travel(NOW, tick=False)
def test_request_page_shows_record_criteria_and_logs_the_read(desk):
    auth = desk["standard"]
    response = client_for(desk["reviewer"]).get(f"/requests/{auth.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "F33.1" in body  # diagnosis
    assert "Needs skills to manage symptoms" in body  # CCA needs area, labelled by the pack
    assert "Pat Chen" in body  # service order
    assert "I want to get my own apartment" in body  # plan goal
    review = response.context["review"]
    assert review.determination.pack_id == "nc-8g-2025" and review.criteria
    assert {c.status for c in review.criteria} <= {"met", "not met", "missing"}
    assert review.criteria[0].citation.short() in body
    entries = AccessLogEntry.objects.filter(person_id=auth.person_id, action="view")
    assert entries.count() == 1
    assert entries.get().record_type == "authorizations.Authorization"


@time_machine.travel(NOW, tick=False)
def test_denying_without_a_reason_is_refused_and_nothing_changes(desk):
    auth = desk["expedited"]  # no record: criteria missing, so a reason is suggested
    client = client_for(desk["reviewer"])
    response = client.post(f"/requests/{auth.pk}/", {"decision": "denied", "reason": "  "})
    assert response.status_code == 400
    assert "Reason: Give the specific reason for the denial." in response.content.decode()
    auth.refresh_from_db()
    assert auth.status == "requested" and auth.reviewer is None and auth.decided_at is None
    # The not-met criteria are offered as the starting point of a reason.
    suggested = client.get(f"/requests/{auth.pk}/").context["form"].initial["reason"]
    assert "missing" in suggested and "Source:" in suggested


@time_machine.travel(NOW, tick=False)
def test_deny_one_approve_another_and_both_show_in_the_record(desk):
    client = client_for(desk["reviewer"])
    reason = "No CCA on file showing medical necessity (8G section 3.2.1)."
    denied = client.post(
        f"/requests/{desk['expedited'].pk}/", {"decision": "denied", "reason": reason}
    )
    assert denied.status_code == 302
    approved = client.post(
        f"/requests/{desk['standard'].pk}/",
        {"decision": "approved", "units_approved": "96", "number": "PA-2026-0042"},
    )
    assert approved.status_code == 302
    one, two = (Authorization.objects.get(pk=desk[k].pk) for k in ("expedited", "standard"))
    reviewer = desk["reviewer"]
    assert (one.status, one.reason, one.units_approved) == ("denied", reason, None)
    assert (two.status, two.units_approved, two.number) == ("approved", 96, "PA-2026-0042")
    assert two.reason == ""  # the suggested denial text is not kept on an approval
    assert one.reviewer == reviewer and two.decided_at == NOW
    page = client.get(f"/requests/{one.pk}/").content.decode()
    assert "Denied" in page and reason in page and "cannot be decided again" in page
    chart_reader = StaffUserFactory(role="billing", agency=two.person.agency)
    chart = client_for(chart_reader).get(f"/people/{two.person_id}/").content.decode()
    assert "Approved" in chart
    # Decided requests leave the queue; a second decision is refused.
    assert list(client.get("/requests/").context["rows"]) == []
    again = client.post(f"/requests/{one.pk}/", {"decision": "approved", "number": "X1"})
    assert again.status_code == 409
    one.refresh_from_db()
    assert one.status == "denied"


@time_machine.travel(NOW, tick=False)
def test_partial_approval_needs_fewer_units_and_a_reason(desk):
    client = client_for(desk["reviewer"])
    url = f"/requests/{desk['standard'].pk}/"
    same = client.post(
        url, {"decision": "partial", "units_approved": "96", "number": "PA1", "reason": "x"}
    )
    assert same.status_code == 400
    assert "Units approved: A partial approval gives fewer" in same.content.decode()
    fewer = client.post(
        url,
        {
            "decision": "partial",
            "units_approved": "48",
            "number": "PA1",
            "reason": "Progress toward plan goals supports 48 units for this period.",
        },
    )
    assert fewer.status_code == 302
    auth = Authorization.objects.get(pk=desk["standard"].pk)
    assert (auth.status, auth.units_approved) == ("partial", 48)


def test_other_roles_are_refused_and_another_payers_reviewer_finds_nothing(desk):
    for role in ("cpss", "supervisor", "billing", "auditor", "admin"):
        staff = StaffUserFactory(role=role, agency=desk["standard"].person.agency)
        client = client_for(staff)
        assert client.get("/requests/").status_code == 403
        assert client.get(f"/requests/{desk['standard'].pk}/").status_code == 403
    other = client_for(desk["other_reviewer"])
    assert other.get(f"/requests/{desk['standard'].pk}/").status_code == 404
    assert (
        other.post(f"/requests/{desk['standard'].pk}/", {"decision": "denied"}).status_code == 404
    )
    assert other.get(f"/requests/{desk['elsewhere'].pk}/").status_code == 200
    assert Client().get("/requests/").status_code == 302


@override_settings(DEBUG=False)
def test_the_queue_issues_a_fixed_number_of_queries_whatever_its_size(desk):
    client = client_for(desk["reviewer"])
    client.get("/requests/")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/requests/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    payer = desk["standard"].payer
    for i in range(15):
        pending(PersonFactory(payer=payer), urgency="expedited" if i % 2 else "standard")
    assert count() == few
