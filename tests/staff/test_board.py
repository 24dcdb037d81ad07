"""The supervisor's board through the browser: who sees it, what it shows, and the two
things done from it (moving a person to another peer specialist; recording the supervisor's
contact or an evaluation, which clears the overdue item)."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peerpath.access.models import AccessLogEntry
from peerpath.audit.models import ChangeRecord
from peerpath.staff.models import CaseloadAssignment, Evaluation, SupervisorContact
from tests.access.factories import StaffUserFactory, SupervisionFactory
from tests.factories import (
    AgencyFactory,
    AuthorizationFactory,
    CaseloadFactory,
    CertificationFactory,
    EpisodeFactory,
    NoteFactory,
    PayerFactory,
    PersonFactory,
    PlanFactory,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("no_second_factor", "fresh_cache"),
]


@pytest.fixture
def no_second_factor(settings):
    settings.PEERPATH_REQUIRE_2FA = False  # the second factor is tested in tests/accounts


@pytest.fixture
def fresh_cache():
    cache.clear()  # the findings summary is cached; ids repeat between tests
    yield
    cache.clear()


def today():
    return timezone.localdate()


def days(n):
    return dt.timedelta(days=n)


def client_for(staff):
    client = Client()
    client.force_login(staff.user)
    return client


def make_team(peers=2, people_each=2, agency=None):
    """A supervisor (QP) with `peers` peer specialists, each with `people_each` people on
    their caseload, every person seen (a signed note) and met face to face recently."""
    agency = agency or AgencyFactory()
    payer = PayerFactory(state=agency.state)
    qp = StaffUserFactory(role="supervisor", credential="QP", agency=agency)
    cpss = []
    for _ in range(peers):
        peer = StaffUserFactory(role="cpss", agency=agency, hire_date=today() - days(3000))
        SupervisionFactory(supervisor=qp, staff=peer, start=today() - days(400))
        CertificationFactory(staff=peer, start=today() - days(400), end=today() + days(700))
        for _ in range(people_each):
            add_person(peer, payer=payer, qp=qp)
        cpss.append(peer)
    return qp, cpss, payer


def add_person(peer, *, payer, qp=None, seen_days_ago=10, met_days_ago=5):
    person = PersonFactory(agency=peer.agency, payer=payer)
    CaseloadFactory(staff=peer, person=person, start=today() - days(300))
    NoteFactory(
        person=person,
        staff=peer,
        date=today() - days(seen_days_ago),
        status="signed",
        signed_by=peer,
        signed_at=timezone.now(),
    )
    if qp is not None and met_days_ago is not None:
        SupervisorContact.objects.create(
            supervisor=qp,
            person=person,
            date=today() - days(met_days_ago),
            kind="face_to_face",
        )
    return person


def section(page: str, heading_id: str) -> str:
    """The page's text from one section heading to the next h2 (or the end)."""
    start = page.index(f'id="{heading_id}"')
    end = page.find("<h2", start)
    return page[start : end if end > 0 else None]


# ---- who sees the board ---------------------------------------------------------------------


def test_a_supervisors_home_is_their_teams_board():
    qp, _, _ = make_team(peers=1, people_each=1)
    client = client_for(qp)
    assert client.get("/").url == "/team/"
    page = client.get("/team/").content.decode()
    assert "Team board" in page and 'href="/team/"' in page  # and the menu links to it


def test_peer_specialists_billing_and_reviewers_may_not_open_the_board():
    _qp, (peer,), payer = make_team(peers=1, people_each=1)
    person = peer.caseload.get().person
    for user in (
        peer,
        StaffUserFactory(role="billing", agency=peer.agency),
        StaffUserFactory(role="um_reviewer", agency=None, payer=payer, hire_date=None),
    ):
        client = client_for(user)
        assert client.get("/team/").status_code == 403
        assert client.get(f"/team/people/{person.pk}/reassign/").status_code == 403
        assert client.get(f"/team/people/{person.pk}/contact/").status_code == 403
        assert 'href="/team/"' not in client.get("/people/").content.decode()


def test_a_supervisor_sees_only_their_own_team():
    qp, _, _ = make_team(peers=1, people_each=2)
    _other_qp, (other_peer,), _ = make_team(peers=1, people_each=1, agency=qp.agency)
    theirs = other_peer.caseload.get().person
    client = client_for(qp)
    page = client.get("/team/").content.decode()
    assert theirs.display_name not in page and other_peer.full_name not in page
    # Another team's person is out of scope: not found, as with any guessed id.
    assert client.get(f"/team/people/{theirs.pk}/reassign/").status_code == 404
    assert client.get(f"/team/people/{theirs.pk}/contact/").status_code == 404
    response = client.post(
        f"/team/people/{theirs.pk}/contact/",
        {"date": today().isoformat(), "kind": "face_to_face", "summary": "Hello"},
    )
    assert response.status_code == 404
    assert not SupervisorContact.objects.filter(person=theirs, supervisor=qp).exists()


def test_an_administrator_picks_which_team_to_look_at():
    qp, (peer,), _ = make_team(peers=1, people_each=1)
    other_qp, (other_peer,), _ = make_team(peers=1, people_each=1, agency=qp.agency)
    admin = StaffUserFactory(role="admin", agency=qp.agency)
    client = client_for(admin)
    page = client.get(f"/team/?team={other_qp.pk}").content.decode()
    assert f"Team of {other_qp.full_name}" in page and other_peer.full_name in page
    assert peer.full_name not in section(page, "ratios-h")
    assert "Record contact" not in page  # the supervisor's own contact is theirs to record
    assert f"/team/findings/?period=30&amp;team={other_qp.pk}" in page
    assert client.get("/team/?team=999999").status_code == 404
    elsewhere = StaffUserFactory(role="supervisor", agency=AgencyFactory())
    assert client.get(f"/team/?team={elsewhere.pk}").status_code == 404


def test_the_board_logs_that_it_showed_the_teams_people():
    qp, _, _ = make_team(peers=1, people_each=1)
    before = AccessLogEntry.objects.count()
    client_for(qp).get("/team/")
    entry = AccessLogEntry.objects.order_by("-id").first()
    assert AccessLogEntry.objects.count() == before + 1
    assert entry.reason == f"team board of staff {qp.pk}" and entry.action == "view"


# ---- caseloads and ratios -------------------------------------------------------------------


def test_caseloads_are_shown_against_the_packs_ratio_with_its_citation_and_the_other_source():
    qp, (peer, _), payer = make_team(peers=2, people_each=12)
    add_person(peer, payer=payer, qp=qp)  # a 13th person today
    page = client_for(qp).get("/team/").content.decode()
    ratios = section(page, "ratios-h")
    assert "at most <strong>12 people</strong>" in ratios
    assert "NC Medicaid bulletin" in ratios and "Staffing ratios (official)" in ratios
    assert "Another source gives 15" in ratios  # NC's sources disagree: both stay visible
    assert "13 of 12" in ratios and "12 of 12" in ratios
    assert "You supervise <strong>2 peer specialists</strong>" in ratios
    assert "the limit is 8 per supervisor" in ratios


def test_the_highest_caseload_of_the_period_and_the_days_over_are_shown():
    qp, (peer,), payer = make_team(peers=1, people_each=12)
    # Two people who left the caseload 10 days ago: 14 people until then.
    for _ in range(2):
        extra = PersonFactory(agency=peer.agency, payer=payer)
        CaseloadFactory(staff=peer, person=extra, start=today() - days(60), end=today() - days(10))
    page = client_for(qp).get("/team/").content.decode()
    ratios = section(page, "ratios-h")
    assert "12 of 12" in ratios  # today
    assert ">14 <" in ratios  # the most in the last 30 days
    assert "20 of 30" in ratios  # days over the limit: the 20 days before the two left


# ---- due and overdue ------------------------------------------------------------------------


def test_an_overdue_face_to_face_contact_is_listed_with_its_citation_and_recording_it_clears_it():
    qp, (peer,), payer = make_team(peers=1, people_each=1)
    late = add_person(peer, payer=payer, qp=qp, met_days_ago=70)  # NC: every 60 days
    client = client_for(qp)
    due = section(client.get("/team/?kind=contact").content.decode(), "due-h")
    assert late.display_name in due and "10 days overdue" in due
    assert "Staffing: Peer Support Services Program Supervisor" in due  # the citation
    assert f'Record contact<span class="usa-sr-only"> with {late.display_name}' in due

    form = client.get(f"/team/people/{late.pk}/contact/", headers={"HX-Request": "true"})
    assert form.status_code == 200 and b"Date of contact" in form.content
    assert b"<html" not in form.content  # htmx gets the form alone
    response = client.post(
        f"/team/people/{late.pk}/contact/",
        {"date": today().isoformat(), "kind": "face_to_face", "summary": "Talked about housing."},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 204 and response["HX-Redirect"] == "/team/"
    contact = SupervisorContact.objects.get(person=late, date=today())
    assert contact.supervisor == qp and contact.kind == "face_to_face"
    assert ChangeRecord.objects.filter(
        record_type="staff.SupervisorContact", record_id=str(contact.pk), action="create"
    ).exists()
    assert AccessLogEntry.objects.filter(
        person_id=late.pk, action="change", record_type="staff.SupervisorContact"
    ).exists()
    page = client.get("/team/").content.decode()
    assert "Face-to-face contact with" in page  # the message
    assert late.display_name not in section(page, "due-h")


def test_a_phone_call_is_saved_but_the_face_to_face_contact_stays_due():
    qp, (peer,), payer = make_team(peers=1, people_each=0)
    late = add_person(peer, payer=payer, qp=qp, met_days_ago=70)
    client = client_for(qp)
    response = client.post(
        f"/team/people/{late.pk}/contact/",
        {"date": today().isoformat(), "kind": "phone", "summary": "Checked in by phone."},
    )
    assert response.status_code == 302 and response["Location"] == "/team/"
    page = client.get("/team/").content.decode()
    assert "Only a face-to-face contact meets the policy" in page
    contacts = client.get("/team/?kind=contact").content.decode()
    assert late.display_name in section(contacts, "due-h")


def test_the_first_contact_is_due_within_30_days_of_the_first_service():
    qp, (peer,), payer = make_team(peers=1, people_each=0)
    new = add_person(peer, payer=payer, qp=qp, seen_days_ago=25, met_days_ago=None)
    due = section(client_for(qp).get("/team/?kind=contact").content.decode(), "due-h")
    assert new.display_name in due and "First face-to-face contact" in due
    assert "due in 5 days" in due


def test_a_contact_with_bad_input_is_refused_naming_each_field_and_nothing_is_saved():
    qp, (peer,), payer = make_team(peers=1, people_each=0)
    late = add_person(peer, payer=payer, qp=qp, met_days_ago=70)
    client = client_for(qp)
    before = SupervisorContact.objects.count()
    tomorrow = (today() + days(1)).isoformat()
    response = client.post(
        f"/team/people/{late.pk}/contact/",
        {"date": tomorrow, "kind": "carrier pigeon", "summary": ""},
        headers={"HX-Request": "true"},
    )
    page = response.content.decode()
    assert response.status_code == 200 and "Nothing was saved" in page
    assert "Date of contact</a>: The date cannot be in the future." in page
    assert "How you met</a>: Choose face to face, phone or video." in page
    assert "Summary</a>: Say in a sentence or two what you talked about." in page
    response = client.post(f"/team/people/{late.pk}/contact/", {"date": "someday"})
    assert "Not a date" in response.content.decode()
    assert SupervisorContact.objects.count() == before


def test_an_sc_mhp_sees_the_evaluation_due_six_months_after_admission_and_records_it():
    agency = AgencyFactory(state="SC")
    payer = PayerFactory(state="SC")
    mhp = StaffUserFactory(role="mhp", credential="LPC", agency=agency)
    peer = StaffUserFactory(role="cpss", agency=agency, hire_date=today() - days(3000))
    SupervisionFactory(supervisor=mhp, staff=peer, start=today() - days(400))
    person = add_person(peer, payer=payer, met_days_ago=None)
    EpisodeFactory(person=person, start=today() - days(200))
    client = client_for(mhp)
    assert client.get("/").url == "/team/"
    due = section(client.get("/team/?kind=evaluation").content.decode(), "due-h")
    assert person.display_name in due and "First evaluation" in due and "overdue" in due
    assert "Standard: Supervision" in due  # SC seed 004's citation
    response = client.post(
        f"/team/people/{person.pk}/evaluation/",
        {"date": today().isoformat(), "summary": "Recovery goals still fit; more peer groups."},
    )
    assert response.status_code == 302
    assert Evaluation.objects.filter(person=person, evaluator=mhp).exists()
    after = section(client.get("/team/?kind=evaluation").content.decode(), "due-h")
    assert person.display_name not in after and "Nothing due for this filter" in after


def test_plan_reviews_authorizations_certifications_trainings_and_unsigned_notes_are_listed():
    qp, (peer,), payer = make_team(peers=1, people_each=0)
    person = add_person(peer, payer=payer, qp=qp)
    PlanFactory(person=person, start=today() - days(300), review_due=today() + days(10))
    AuthorizationFactory(person=person, start=today() - days(170), end=today() + days(5))
    peer.certifications.update(end=today() + days(20))
    rookie = StaffUserFactory(role="cpss", agency=peer.agency, hire_date=today() - days(40))
    SupervisionFactory(supervisor=qp, staff=rookie, start=today() - days(40))
    CertificationFactory(staff=rookie, start=today() - days(40), end=None)
    draft = NoteFactory(person=person, staff=peer, date=today() - days(5))  # a draft
    client = client_for(qp)

    def due(kind):
        return section(client.get(f"/team/?kind={kind}").content.decode(), "due-h")

    plans = due("plan_review")
    assert person.display_name in plans and "due in 10 days" in plans
    auths = due("authorization")
    assert "no continued-stay request yet" in auths and "due in 5 days" in auths
    certs = due("certification")
    assert peer.full_name in certs and "expires" in certs and "due in 20 days" in certs
    trainings = due("training")
    assert rookie.full_name in trainings and "Documentation: 0 of 3 hours done" in trainings
    assert "10 days overdue" in trainings  # 3 hours due within 30 days of hire
    notes = due("unsigned_note")
    assert f"/notes/{draft.pk}/" in notes and "3 days overdue" in notes  # signed within 2 days
    assert "Documentation (assumed: an administrator should confirm it)" in notes


def test_a_continued_stay_request_on_file_takes_the_authorization_off_the_list():
    qp, (peer,), payer = make_team(peers=1, people_each=0)
    person = add_person(peer, payer=payer, qp=qp)
    AuthorizationFactory(person=person, start=today() - days(170), end=today() + days(5))
    AuthorizationFactory(
        person=person,
        status="requested",
        start=today() + days(6),
        end=today() + days(180),
        units_approved=None,
        decided_at=None,
    )
    assert "due-authorization-h" not in client_for(qp).get("/team/").content.decode()


# ---- findings by rule -----------------------------------------------------------------------


def test_findings_are_grouped_by_rule_with_counts_citations_and_links():
    qp, (peer,), payer = make_team(peers=1, people_each=12)
    add_person(peer, payer=payer, qp=qp)
    late = add_person(peer, payer=payer, qp=qp, met_days_ago=70)
    client = client_for(qp)
    board = client.get("/team/").content.decode()
    assert 'hx-get="/team/findings/?period=30"' in section(board, "findings-h")  # loaded after
    findings = client.get("/team/findings/", headers={"HX-Request": "true"}).content.decode()
    assert 'id="finding-total" hx-swap-oob="true">' in findings  # the count in the summary
    assert "Caseload within the policy&#x27;s ratio" in findings
    assert "RATIO.CASELOAD" in findings and "Staffing ratios (official)" in findings
    assert "SUPERVISION.CONTACT_INTERVAL" in findings
    assert f'href="/people/{late.pk}/"' in findings
    page = client.get("/team/findings/?period=90").content.decode()  # without htmx: a page
    assert "<h1>Findings by rule" in page and "hx-swap-oob" not in page
    assert "RATIO.CASELOAD" in page


# ---- reassigning ----------------------------------------------------------------------------


def test_reassigning_ends_the_old_assignment_and_starts_the_new_one_with_history():
    qp, (first, second), _ = make_team(peers=2, people_each=1)
    person = first.caseload.get().person
    client = client_for(qp)
    form = client.get(f"/team/people/{person.pk}/reassign/", headers={"HX-Request": "true"})
    page = form.content.decode()
    assert "New peer specialist" in page and "Start date" in page and "Save reassignment" in page
    assert second.full_name in page and f">{first.full_name}</option>" not in page
    response = client.post(
        f"/team/people/{person.pk}/reassign/",
        {"staff": second.pk, "start": today().isoformat(), "reason": "Closer to home"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 204 and response["HX-Redirect"] == "/team/"
    old = CaseloadAssignment.objects.get(person=person, staff=first)
    new = CaseloadAssignment.objects.get(person=person, staff=second)
    assert old.end == today() - days(1) and new.start == today() and new.end is None
    history = ChangeRecord.objects.filter(record_type="staff.CaseloadAssignment")
    assert {c.action for c in history} >= {"end", "create"}
    assert all(c.reason == "Closer to home" for c in history)
    board = client.get("/team/").content.decode()
    assert f"moves to {second.full_name}" in board


def test_reassigning_over_the_ratio_warns_with_the_citation_and_needs_a_confirmation():
    qp, (first, full), _ = make_team(peers=2, people_each=12)
    person = first.caseload.first().person
    client = client_for(qp)
    data = {"staff": full.pk, "start": today().isoformat()}
    warned = client.post(f"/team/people/{person.pk}/reassign/", data).content.decode()
    assert f"{full.full_name} would support <strong>13 people</strong>" in warned
    assert "over the limit of 12" in warned and "Staffing ratios (official)" in warned
    assert "Reassign anyway" in warned
    assert CaseloadAssignment.objects.get(person=person, end__isnull=True).staff == first
    # A confirmation given for someone else does not count for this choice.
    client.post(f"/team/people/{person.pk}/reassign/", {**data, "confirm": first.pk})
    assert CaseloadAssignment.objects.get(person=person, end__isnull=True).staff == first
    response = client.post(f"/team/people/{person.pk}/reassign/", {**data, "confirm": full.pk})
    assert response.status_code == 302
    assert CaseloadAssignment.objects.get(person=person, end__isnull=True).staff == full
    assert "now has 13 people, over the limit of 12" in client.get("/team/").content.decode()


def test_reassigning_refuses_bad_input_naming_the_field_and_changes_nothing():
    qp, (first, second), _ = make_team(peers=2, people_each=1)
    stranger = StaffUserFactory(role="cpss", agency=qp.agency)  # not on this team
    person = first.caseload.get().person
    client = client_for(qp)
    url = f"/team/people/{person.pk}/reassign/"
    cases = [
        ({"start": today().isoformat()}, "New peer specialist</a>: Choose the peer specialist"),
        (
            {"staff": stranger.pk, "start": today().isoformat()},
            "New peer specialist</a>: Choose a peer specialist on this team",
        ),
        ({"staff": second.pk, "start": "next week"}, "Start date</a>: Not a date"),
        ({"staff": second.pk}, "Start date</a>: Say from which day"),
        (
            {"staff": second.pk, "start": (today() + days(400)).isoformat()},
            "Choose a start date within the next year",
        ),
        (
            {"staff": second.pk, "start": (today() - days(300)).isoformat()},
            "Start date</a>: The person already has a caseload assignment from",
        ),
    ]
    for data, message in cases:
        page = client.post(url, data).content.decode()
        assert "Nothing was saved" in page and message in page, message
    assert CaseloadAssignment.objects.filter(person=person).count() == 1


# ---- a bounded number of queries ------------------------------------------------------------


def _queries(client, url):
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_board_issues_a_fixed_number_of_queries_whatever_the_size_of_the_team():
    qp, _, payer = make_team(peers=2, people_each=2)
    client = client_for(qp)
    client.get("/team/")  # the first page of a session does one-time work
    few = _queries(client, "/team/")
    few_findings = _queries(client, "/team/findings/")
    grow(qp, payer)
    assert _queries(client, "/team/") == few
    assert _queries(client, "/team/findings/") == few_findings
    # The cached findings save the engine's reads on the next view.
    with CaptureQueriesContext(connection) as ctx:
        client.get("/team/findings/")
    assert len(ctx.captured_queries) < few_findings


def grow(qp, payer):
    """Two more peer specialists, each with six people who have every kind of due item."""
    for _ in range(2):
        more = StaffUserFactory(role="cpss", agency=qp.agency, hire_date=today() - days(40))
        SupervisionFactory(supervisor=qp, staff=more, start=today() - days(40))
        for _ in range(6):
            person = add_person(more, payer=payer, qp=qp, met_days_ago=70)
            PlanFactory(person=person, start=today() - days(300), review_due=today())
            AuthorizationFactory(person=person, start=today() - days(170), end=today())
            NoteFactory(person=person, staff=more, date=today() - days(9))


def test_the_forms_issue_a_fixed_number_of_queries_whatever_the_size_of_the_team():
    qp, (peer, _), payer = make_team(peers=2, people_each=2)
    person = peer.caseload.first().person
    client = client_for(qp)
    client.get(f"/team/people/{person.pk}/reassign/")  # one-time work of a session
    few_move = _queries(client, f"/team/people/{person.pk}/reassign/")
    few_contact = _queries(client, f"/team/people/{person.pk}/contact/")
    for _ in range(5):
        more = StaffUserFactory(role="cpss", agency=qp.agency)
        SupervisionFactory(supervisor=qp, staff=more, start=today() - days(40))
        add_person(more, payer=payer, qp=qp)
    assert _queries(client, f"/team/people/{person.pk}/reassign/") == few_move
    assert _queries(client, f"/team/people/{person.pk}/contact/") == few_contact


@override_settings(DEBUG=False)
def test_a_bad_period_is_named_and_the_default_shown():
    qp, _, _ = make_team(peers=1, people_each=1)
    page = client_for(qp).get("/team/?period=7").content.decode()
    assert "Period: choose 30, 90 or 180 days. Showing 30." in page
    assert "over the last 30 days" in page


# ---- the board as a worklist ------------------------------------------------------------


def test_the_filtered_board_and_its_chart_issue_a_fixed_number_of_queries():
    qp, (peer, _), payer = make_team(peers=2, people_each=2)
    client = client_for(qp)
    client.get("/team/")
    filtered = f"/team/?peer={peer.pk}&kind=contact&when=overdue&sort=person&page=1"
    few = _queries(client, filtered)
    few_chart = _queries(client, "/team/chart.svg?period=90")
    grow(qp, payer)
    for _ in range(3):
        add_person(peer, payer=payer, qp=qp, met_days_ago=70)
    assert _queries(client, filtered) == few
    assert _queries(client, "/team/chart.svg?period=90") == few_chart


def test_the_worklist_filters_by_peer_kind_and_urgency_sorts_and_pages():
    qp, (peer, other), payer = make_team(peers=2, people_each=0)
    late = [add_person(peer, payer=payer, qp=qp, met_days_ago=60 + n) for n in range(1, 19)]
    theirs = add_person(other, payer=payer, qp=qp, met_days_ago=75)
    soon = add_person(peer, payer=payer, qp=qp, met_days_ago=50)  # due in 10 days
    client = client_for(qp)
    base = f"/team/?peer={peer.pk}&kind=contact"
    first = section(client.get(base).content.decode(), "due-h")
    assert theirs.display_name not in first
    assert "Items 1\N{EN DASH}15 of 19." in first  # 18 overdue and 1 due soon, 15 a page
    # Sorted by due date: the most overdue first.
    assert first.index(late[-1].display_name) < first.index(late[-2].display_name)
    second = section(client.get(base + "&page=2").content.decode(), "due-h")
    assert soon.display_name in second and late[0].display_name in second
    overdue = section(client.get(base + "&when=overdue&page=2").content.decode(), "due-h")
    assert soon.display_name not in overdue and "Items 16\N{EN DASH}18 of 18." in overdue
    upcoming = section(client.get(base + "&when=soon").content.decode(), "due-h")
    assert soon.display_name in upcoming and late[0].display_name not in upcoming
    # Counts by kind in the chips, for the peer chosen.
    page = client.get(f"/team/?peer={peer.pk}").content.decode()
    assert 'data-kind="contact">Supervisor face-to-face contacts <span class="pp-chip__n">19' in (
        page
    )
    # Bad filter values are named, and left off.
    bad = client.get("/team/?peer=999999&kind=nonsense&when=later&sort=size").content.decode()
    for said in ("Peer specialist: choose one", "Kind: choose one", "Show: choose", "Sort:"):
        assert said in bad


def test_the_chart_is_svg_without_inline_style_and_its_numbers_are_in_a_table():
    qp, (peer, _), _ = make_team(peers=2, people_each=3)
    client = client_for(qp)
    response = client.get("/team/chart.svg")
    svg = response.content.decode()
    assert response["Content-Type"] == "image/svg+xml" and svg.lstrip().startswith("<?xml")
    assert "<style" not in svg and "<script" not in svg
    page = client.get("/team/").content.decode()
    assert 'src="/team/chart.svg?period=30"' in page
    table = page[page.index('class="usa-table usa-table--borderless pp-chart-table"') :]
    table = table[: table.index("</table>")]
    assert peer.full_name in table and "<td>3 of 12</td>" in table  # NC 8G: 12 per peer
