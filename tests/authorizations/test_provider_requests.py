"""A provider asks the payer from the chart; the engine checks the request first; the
reviewer sees the attached evidence against each criterion, decides, moves to the next
request, and the decision's notice carries the reason and the cited appeal rights."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from peerpath.access.models import AccessLogEntry
from peerpath.authorizations.models import Authorization
from peerpath.authorizations.pdf import NOTICE_TEMPLATE, notice_context
from peerpath.authorizations.selectors import notice
from peerpath.authorizations.services import RequestDraft, authorization_send
from peerpath.plans.pdf import layout
from peerpath.policy.api import check_request
from tests.access.factories import StaffUserFactory
from tests.factories import (
    AssessmentFactory,
    AuthorizationFactory,
    CaseloadFactory,
    DiagnosisFactory,
    GoalFactory,
    NoteFactory,
    PersonFactory,
    ServiceOrderFactory,
)
from tests.plans.test_views import text_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_2fa")]
UTC = dt.UTC
NOW = dt.datetime(2026, 8, 3, 14, 0, tzinfo=UTC)
TODAY = dt.date(2026, 8, 3)


@pytest.fixture
def no_2fa(settings):
    settings.PEERPATH_REQUIRE_2FA = False


def client_for(staff):
    client = Client()
    client.force_login(staff.user)
    return client


def full_record(person):
    DiagnosisFactory(person=person)
    AssessmentFactory(person=person)
    ServiceOrderFactory(person=person)
    GoalFactory(plan__person=person, plan__start=dt.date(2026, 3, 2))


@pytest.fixture
def peer_desk():
    """A peer with a person on their caseload whose record is complete and whose first
    authorization ends soon; the payer's reviewer."""
    person = PersonFactory()
    full_record(person)
    peer = StaffUserFactory(role="cpss", agency=person.agency, hire_date=dt.date(2025, 1, 6))
    CaseloadFactory(staff=peer, person=person)
    first = AuthorizationFactory(
        person=person, start=dt.date(2026, 3, 2), end=dt.date(2026, 8, 28), units_approved=200
    )
    reviewer = StaffUserFactory(role="um_reviewer", agency=None, payer=person.payer, hire_date=None)
    return {"person": person, "peer": peer, "first": first, "reviewer": reviewer}


def form(**kw):
    data = {
        "kind": "initial",
        "urgency": "standard",
        "start": "2026-08-10",
        "end": "2027-02-05",
        "units_requested": "120",
        "provider_note": "",
    }
    data.update(kw)
    return data


@time_machine.travel(NOW, tick=False)
def test_the_form_starts_a_continued_stay_the_day_after_the_approval_ends(peer_desk):
    person = peer_desk["person"]
    response = client_for(peer_desk["peer"]).get(f"/people/{person.pk}/authorizations/request/")
    assert response.status_code == 200
    initial = response.context["form"].initial
    assert initial["kind"] == "concurrent" and initial["start"] == dt.date(2026, 8, 29)
    assert initial["units_requested"] == 200
    chart = client_for(peer_desk["peer"]).get(f"/people/{person.pk}/").content.decode()
    assert "Ask for an authorization" in chart


@time_machine.travel(NOW, tick=False)
def test_check_then_send_attaches_the_evidence_and_reaches_the_reviewer(peer_desk):
    person, peer = peer_desk["person"], peer_desk["peer"]
    client = client_for(peer)
    url = f"/people/{person.pk}/authorizations/request/"
    checked = client.post(url, {**form(), "action": "check"})
    assert checked.status_code == 200
    check = checked.context["check"]
    assert check.pack_id == "nc-8g-2025" and check.ready
    assert not Authorization.objects.filter(status="requested").exists()  # a check writes nothing
    sent = client.post(url, {**form(), "action": "send"})
    assert sent.status_code == 302 and sent["Location"] == f"/people/{person.pk}/"
    auth = Authorization.objects.get(status="requested")
    assert auth.requested_by == peer and auth.payer == person.payer
    assert auth.assessment == person.assessments.get()
    assert auth.service_order == person.service_orders.get()
    assert auth.plan == person.plans.get()
    assert auth.requested_at == NOW and auth.kind == "initial"
    # The reviewer's queue and page show it, with the attached evidence beside criteria.
    reviewer = client_for(peer_desk["reviewer"])
    assert [r.authorization for r in reviewer.get("/requests/").context["rows"]] == [auth]
    page = reviewer.get(f"/requests/{auth.pk}/")
    body = page.content.decode()
    assert "Attached: CCA of Feb 20, 2026 by Dana Lee, LCSW (shows medical necessity)" in body
    assert "Attached: Service order for H0038 signed Feb 25, 2026 by Pat Chen, MD" in body
    rows = {r.criterion.rule_id: r.attached for r in page.context["rows"]}
    assert rows["ENTRANCE.SERVICE_ORDER"] and rows["ENTRANCE.CCA_BEFORE_SERVICE"]
    assert f"Sent by {peer.full_name}" in body


@time_machine.travel(NOW, tick=False)
def test_a_request_without_a_cca_is_refused_naming_it_and_nothing_is_written(peer_desk):
    person = PersonFactory(agency=peer_desk["person"].agency)
    DiagnosisFactory(person=person)
    ServiceOrderFactory(person=person)
    CaseloadFactory(staff=peer_desk["peer"], person=person)
    url = f"/people/{person.pk}/authorizations/request/"
    client = client_for(peer_desk["peer"])
    checked = client.post(url, {**form(), "action": "check"})
    missing = [c.rule_id for c in checked.context["check"].missing]
    assert "ENTRANCE.CCA_BEFORE_SERVICE" in missing
    assert "cannot be sent yet" in checked.content.decode()
    sent = client.post(url, {**form(), "action": "send"})
    assert sent.status_code == 400
    assert "Add these records before sending the request" in sent.content.decode()
    assert "no assessments on file" in sent.content.decode()
    assert not person.authorizations.exists()


@time_machine.travel(NOW, tick=False)
def test_continued_stay_needs_recent_signed_notes_and_attaches_them(peer_desk):
    person, peer = peer_desk["person"], peer_desk["peer"]
    start, end = dt.date(2026, 8, 29), dt.date(2027, 2, 26)
    # No signed note in the look-back period: the criterion is not met (sending is allowed,
    # the reviewer decides).
    before = check_request(person.pk, kind="concurrent", start=start, end=end, requested_on=TODAY)
    stay = {c.rule_id: c for c in before.criteria}["CONTINUED_STAY.PROGRESS_DOCUMENTED"]
    assert stay.status == "not met" and "no signed note" in stay.evidence
    assert before.ready
    signed = [
        NoteFactory(
            person=person,
            staff=peer,
            date=d,
            status="signed",
            signed_by=peer,
            signed_at=dt.datetime(d.year, d.month, d.day, 20, tzinfo=UTC),
            signed_credential="CPSS",
        )
        for d in (dt.date(2026, 7, 7), dt.date(2026, 7, 21))
    ]
    NoteFactory(person=person, staff=peer, date=dt.date(2026, 7, 28))  # a draft: not progress
    after = check_request(person.pk, kind="concurrent", start=start, end=end, requested_on=TODAY)
    assert {c.rule_id: c for c in after.criteria}[
        "CONTINUED_STAY.PROGRESS_DOCUMENTED"
    ].status == "met"
    draft = RequestDraft("concurrent", "standard", 200, start, end)
    auth = authorization_send(
        actor=peer.user, person=person, requester=peer, draft=draft, now=timezone.now()
    )
    assert set(auth.progress_notes.all()) == set(signed)
    page = client_for(peer_desk["reviewer"]).get(f"/requests/{auth.pk}/").content.decode()
    assert "Attached: 2 signed notes from Jul 7, 2026 to Jul 21, 2026" in page


@time_machine.travel(NOW, tick=False)
def test_expedited_needs_a_reason_and_a_second_overlapping_request_is_refused(peer_desk):
    person, peer = peer_desk["person"], peer_desk["peer"]
    start, end = dt.date(2026, 8, 29), dt.date(2027, 2, 26)
    with pytest.raises(ValidationError) as err:
        authorization_send(
            actor=peer.user,
            person=person,
            requester=peer,
            draft=RequestDraft("initial", "expedited", 50, start, end),
            now=timezone.now(),
        )
    assert "provider_note" in err.value.message_dict
    authorization_send(
        actor=peer.user,
        person=person,
        requester=peer,
        draft=RequestDraft("initial", "standard", 50, start, end),
        now=timezone.now(),
    )
    with pytest.raises(ValidationError) as err:
        authorization_send(
            actor=peer.user,
            person=person,
            requester=peer,
            draft=RequestDraft("initial", "standard", 50, start + dt.timedelta(days=7), end),
            now=timezone.now(),
        )
    assert "already waiting for the payer's decision" in str(err.value)
    assert person.authorizations.filter(status="requested").count() == 1


def test_someone_not_on_the_caseload_cannot_ask(peer_desk):
    stranger = StaffUserFactory(role="cpss", agency=peer_desk["person"].agency)
    url = f"/people/{peer_desk['person'].pk}/authorizations/request/"
    assert client_for(stranger).get(url).status_code == 404
    billing = StaffUserFactory(role="billing", agency=peer_desk["person"].agency)
    assert client_for(billing).get(url).status_code == 403


@time_machine.travel(NOW, tick=False)
def test_deny_moves_to_the_next_request_and_the_notice_has_reason_and_appeal_rights(peer_desk):
    person, peer = peer_desk["person"], peer_desk["peer"]
    other = PersonFactory(agency=person.agency, payer=person.payer)
    full_record(other)
    CaseloadFactory(staff=peer, person=other)
    start, end = dt.date(2026, 8, 29), dt.date(2027, 2, 26)
    first = authorization_send(
        actor=peer.user,
        person=person,
        requester=peer,
        draft=RequestDraft("concurrent", "standard", 200, start, end),
        now=timezone.now(),
    )
    second = authorization_send(
        actor=peer.user,
        person=other,
        requester=peer,
        draft=RequestDraft("initial", "standard", 96, start, end),
        now=timezone.now() + dt.timedelta(hours=1),
    )
    reviewer = client_for(peer_desk["reviewer"])
    reason = "No signed note shows progress toward the plan's goals in the last 90 days."
    decided = reviewer.post(f"/requests/{first.pk}/", {"decision": "denied", "reason": reason})
    assert decided.status_code == 302
    assert decided["Location"] == f"/requests/{second.pk}/?decided={first.pk}"
    nxt = reviewer.get(decided["Location"]).content.decode()
    assert f"/requests/{first.pk}/notice.pdf" in nxt and "Download the notice" in nxt
    pdf = reviewer.get(f"/requests/{first.pk}/notice.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert AccessLogEntry.objects.filter(
        record_type="authorizations.Notice", record_id=str(first.pk)
    ).exists()
    first.refresh_from_db()
    n = notice(first)
    assert n.adverse and n.appeal_by == TODAY + dt.timedelta(days=60)
    assert n.appeal["request_days"].citation.section == "438.402(c)(2)(ii)"
    text = " ".join(text_of(layout(NOTICE_TEMPLATE, notice_context(n, printed=NOW))).split())
    assert "Your request for peer support services was denied" in text
    assert reason in text
    assert "within 60 days of the date of this notice, that is by October 2, 2026" in text
    assert "fast (expedited) appeal: we decide it within 72 hours" in text
    assert "within 10 days of this notice (by August 13, 2026)" in text  # continued stay
    assert "State Fair Hearing within 120 days" in text
    assert "438.402(c)(2)(ii)" in text
    # The provider opens the same notice from the chart.
    chart = client_for(peer).get(f"/people/{person.pk}/").content.decode()
    notice_url = f"/people/{person.pk}/authorizations/{first.pk}/notice.pdf"
    assert notice_url in chart
    assert client_for(peer).get(notice_url)["Content-Type"] == "application/pdf"
    # A pending request has no notice yet: back to its page.
    pending = reviewer.get(f"/requests/{second.pk}/notice.pdf")
    assert pending.status_code == 302 and pending["Location"] == f"/requests/{second.pk}/"


@time_machine.travel(NOW, tick=False)
def test_an_approval_notice_has_the_number_and_no_appeal_section(peer_desk):
    first = peer_desk["first"]
    text = " ".join(
        text_of(layout(NOTICE_TEMPLATE, notice_context(notice(first), printed=NOW))).split()
    )
    assert "Your peer support services are approved" in text
    assert first.number in text and "appeal" not in text.lower()
