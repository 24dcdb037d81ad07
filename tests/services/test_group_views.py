"""Group sessions through the browser: from the day page to every attendee's signed note."""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peerpath.access.models import AccessLogEntry
from peerpath.people.models import OtherService
from peerpath.services.models import GroupAttendance, GroupSession, ServiceNote
from tests.access.factories import StaffUserFactory, SupervisionFactory
from tests.factories import (
    AgencyFactory,
    AssessmentFactory,
    AuthorizationFactory,
    CaseloadFactory,
    CertificationFactory,
    CrisisPlanFactory,
    DiagnosisFactory,
    GroupSessionFactory,
    InterventionFactory,
    PayerFactory,
    PersonFactory,
    PlanFactory,
    ServiceOrderFactory,
)

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 4, 7)  # inside the factories' plan and authorization spans
SHARED = "We practiced three breathing tools and talked about what helps on hard days."


def peer(state="NC"):
    cpss = StaffUserFactory(role="cpss", agency=AgencyFactory(state=state))
    CertificationFactory(staff=cpss)
    return cpss


def attendee(cpss, *, units=200):
    """Someone on `cpss`'s caseload with everything a clean note needs under NC 8G."""
    person = PersonFactory(agency=cpss.agency, payer=PayerFactory(state=cpss.agency.state))
    plan = PlanFactory(person=person)
    intervention = InterventionFactory(goal__plan=plan)
    CrisisPlanFactory(plan=plan)
    DiagnosisFactory(person=person)
    AssessmentFactory(person=person)
    ServiceOrderFactory(person=person)
    AuthorizationFactory(person=person, units_approved=units)
    CaseloadFactory(person=person, staff=cpss, start=dt.date(2026, 1, 1))
    return person, intervention


def group_of(cpss, people=(), **kw):
    session = GroupSessionFactory(agency=cpss.agency, **{"date": DAY, **kw})
    session.facilitators.set([cpss])
    for person in people:
        GroupAttendance.objects.create(session=session, person=person)
    return session


def client_for(staff):
    client = Client()
    client.force_login(staff.user)
    return client


def notes_post(attendees, **changes):
    """The group's notes form: the shared part, and for each attendee their response (the
    goal is preselected from their plan; it is posted as the browser would)."""
    data = {"shared_narrative": SHARED, "action": "sign"}
    for person, intervention in attendees:
        data[f"p{person.pk}-intervention"] = str(intervention.pk)
        data[f"p{person.pk}-response"] = f'"That helped," {person.first_name} said.'
        data[f"p{person.pk}-next_steps"] = ""
    data.update(changes)
    return data


def findings_of(page: str, person) -> str:
    """The live findings panel of one attendee in a /check/ response."""
    start = page.index(f'id="findings-p{person.pk}"')
    end = page.find('id="findings-p', start + 1)
    return page[start : end if end != -1 else len(page)]


# ---- the whole flow -------------------------------------------------------------------------


def test_peer_starts_a_group_from_the_day_page_checks_in_and_signs_every_note():
    cpss = peer()
    (ana, ana_step), (ben, ben_step) = attendee(cpss), attendee(cpss)
    client = client_for(cpss)
    actions = 0
    day = client.get("/day/").content.decode()
    assert "Start a group session" in day and 'action="/groups/new/"' in day
    actions += 1  # "Start a group session"
    form = client.get("/groups/new/").content.decode()
    assert "Topic" in form and "Facilitators" in form
    assert f'value="{cpss.pk}" checked' in form  # the writer leads it, unless changed
    created = client.post(
        "/groups/new/",
        {
            "topic": "Managing stress",
            "activity": "skills_group",
            "date": DAY.isoformat(),
            "start_time": "13:00",
            "end_time": "14:30",
            "modality": "in_person",
            "setting": "community",
            "facilitators": [cpss.pk],
        },
    )
    actions += 3 + 1  # topic, start and end times; the date, kind and leader are prefilled
    session = GroupSession.objects.get()
    assert created.status_code == 302 and created["Location"] == f"/groups/{session.pk}/"
    page = client.get(created["Location"]).content.decode()
    assert "Who is here?" in page and ana.display_name in page and ">Check in<" in page
    checked = client.post(f"/groups/{session.pk}/check-in/", {"people": [ana.pk, ben.pk]})
    actions += 2 + 1  # tick two people, "Check in"
    assert checked.status_code == 302
    assert set(session.attendees.all()) == {ana, ben}
    page = client.get(f"/groups/{session.pk}/").content.decode()
    assert "What did the group do together?" in page
    assert f"How did {ana.display_name} respond, in their words?" in page
    assert f'name="p{ana.pk}-intervention" value="{ana_step.pk}" checked' in page
    data = notes_post([(ana, ana_step), (ben, ben_step)])
    live = client.post(f"/groups/{session.pk}/check/", data).content.decode()
    assert f"Nothing in {ana.display_name}'s note would stop it being paid" in live
    assert f"Nothing in {ben.display_name}'s note would stop it being paid" in live
    signed = client.post(f"/groups/{session.pk}/", data)
    actions += 1 + 2 + 1  # the shared part, two responses, "Sign all notes"
    assert signed.status_code == 302
    notes = list(ServiceNote.objects.order_by("person__pk"))
    assert [n.person for n in notes] == sorted([ana, ben], key=lambda p: p.pk)
    assert all(
        n.status == "signed" and n.kind == "group" and n.group_session == session for n in notes
    )
    assert actions <= 14
    page = client.get(f"/groups/{session.pk}/").content.decode()
    assert "Signed 2 notes" in page and "Sign all notes" not in page
    assert f"Amend {ana.display_name}'s note" in page
    # One attendee's note shows the group and the shared part, never another attendee.
    ana_note = ServiceNote.objects.get(person=ana)
    shown = client.get(f"/notes/{ana_note.pk}/").content.decode()
    assert SHARED in shown and "Managing stress" in shown and ben.display_name not in shown
    started = client.post(f"/notes/{ana_note.pk}/amend/", {"reason": "Wrong words quoted"})
    assert started.status_code == 302


def test_one_attendees_missing_response_names_them_and_nothing_is_written():
    cpss = peer()
    (ana, ana_step), (ben, ben_step) = attendee(cpss), attendee(cpss)
    session = group_of(cpss, [ana, ben])
    data = notes_post([(ana, ana_step), (ben, ben_step)], **{f"p{ben.pk}-response": ""})
    response = client_for(cpss).post(f"/groups/{session.pk}/", data)
    page = response.content.decode()
    assert response.status_code == 200 and "Nothing was saved" in page
    assert f"Needed before signing: how {ben.display_name} responded." in page
    assert not ServiceNote.objects.exists()
    assert SHARED in page  # what was typed is kept
    session.refresh_from_db()
    assert session.shared_narrative == ""


def test_the_shared_part_naming_an_attendee_is_flagged_live_and_refused():
    cpss = peer()
    (ana, ana_step), (ben, ben_step) = attendee(cpss), attendee(cpss)
    session = group_of(cpss, [ana, ben])
    client = client_for(cpss)
    data = notes_post(
        [(ana, ana_step), (ben, ben_step)], shared_narrative=f"{ben.first_name} led it."
    )
    live = client.post(f"/groups/{session.pk}/check/", data).content.decode()
    assert "The shared part names someone" in live and ben.display_name in live
    refused = client.post(f"/groups/{session.pk}/", data)
    assert refused.status_code == 200 and not ServiceNote.objects.exists()


def test_save_drafts_then_sign_them_from_the_group_page():
    cpss = peer()
    (ana, ana_step), (ben, ben_step) = attendee(cpss), attendee(cpss)
    session = group_of(cpss, [ana, ben])
    client = client_for(cpss)
    draft = notes_post(
        [(ana, ana_step), (ben, ben_step)], action="save", **{f"p{ben.pk}-response": ""}
    )
    assert client.post(f"/groups/{session.pk}/", draft).status_code == 302
    assert ServiceNote.objects.filter(status="draft").count() == 2
    day = client.get("/day/").content.decode()
    assert f'href="/groups/{session.pk}/"' in day  # the drafts lead back to the group
    page = client.get(f"/groups/{session.pk}/").content.decode()
    assert ana.first_name in page and SHARED in page
    # The live check judges the drafts being finished, not them and their saved copies.
    live = client.post(
        f"/groups/{session.pk}/check/", notes_post([(ana, ana_step), (ben, ben_step)])
    ).content.decode()
    assert "UNITS.SAME_PERSON_OVERLAP" not in live
    client.post(f"/groups/{session.pk}/", notes_post([(ana, ana_step), (ben, ben_step)]))
    assert ServiceNote.objects.filter(status="signed").count() == 2
    assert ServiceNote.objects.count() == 2


def test_the_day_lists_todays_groups_and_recent_ones_still_open():
    cpss = peer()
    ana, _ = attendee(cpss)
    today = timezone.localdate()
    todays = group_of(cpss, [ana], date=today, topic="Today's circle")
    open_one = group_of(cpss, [ana], date=today - dt.timedelta(days=3), topic="Still open")
    old = group_of(cpss, [ana], date=today - dt.timedelta(days=30), topic="Long ago")
    day = client_for(cpss).get("/day/").content.decode()
    assert "Your groups" in day
    assert f'href="/groups/{todays.pk}/"' in day and f'href="/groups/{open_one.pk}/"' in day
    assert f'href="/groups/{old.pk}/"' not in day


# ---- live checks ----------------------------------------------------------------------------


def _checkin_check(cpss, size, ticked, state):
    people = [attendee(cpss)[0] for _ in range(size + ticked)]
    session = group_of(cpss, people[:size])
    response = client_for(cpss).post(
        f"/groups/{session.pk}/check/",
        {"part": "checkin", "people": [p.pk for p in people[size:]]},
    )
    assert response.status_code == 200
    assert GroupAttendance.objects.filter(session=session).count() == size  # nothing saved
    return response.content.decode()


def test_the_13th_person_in_nc_is_flagged_before_check_in_with_the_citation():
    cpss = peer("NC")
    page = _checkin_check(cpss, 11, 2, "NC")
    assert 'data-rule="RATIO.GROUP_SIZE"' in page
    assert "13 people with 1 facilitator(s); limit 12 per facilitator" in page
    assert "<dt>Source</dt>" in page and "Staffing ratios" in page


def test_twelve_people_in_nc_are_within_the_limit():
    page = _checkin_check(peer("NC"), 11, 1, "NC")
    assert "RATIO.GROUP_SIZE" not in page and "12 people in the group" in page


def test_the_11th_person_in_sc_is_flagged_and_the_10th_is_not():
    cpss = peer("SC")
    page = _checkin_check(cpss, 10, 1, "SC")
    assert 'data-rule="RATIO.GROUP_SIZE"' in page and "limit 10 per facilitator" in page
    assert "Standard: Staff/Consumer Ratio" in page
    GroupSession.objects.all().delete()
    assert "RATIO.GROUP_SIZE" not in _checkin_check(peer("SC"), 9, 1, "SC")


def test_each_attendee_sees_their_own_findings_with_citations():
    cpss = peer()
    (ana, ana_step), (ben, ben_step) = attendee(cpss), attendee(cpss, units=2)
    OtherService.objects.create(
        person=ana,
        category="THERAPY",
        date=DAY,
        start_time=dt.time(10, 30),
        end_time=dt.time(11, 30),
    )
    session = group_of(cpss, [ana, ben])  # 10:00-11:00
    live = client_for(cpss).post(
        f"/groups/{session.pk}/check/", notes_post([(ana, ana_step), (ben, ben_step)])
    )
    page = live.content.decode()
    ana_part, ben_part = findings_of(page, ana), findings_of(page, ben)
    assert 'data-rule="CONCURRENCY.OTHER_SERVICE"' in ana_part and "THERAPY" in ana_part
    assert "CONCURRENCY.OTHER_SERVICE" not in ben_part
    assert 'data-rule="AUTH.UNITS_EXCEEDED"' in ben_part and "<dt>Source</dt>" in ben_part
    assert "AUTH.UNITS_EXCEEDED" not in ana_part
    assert not ServiceNote.objects.exists()


def test_a_not_covered_group_activity_and_an_expired_certification_are_flagged():
    cpss = StaffUserFactory(role="cpss")
    CertificationFactory(staff=cpss, end=dt.date(2026, 1, 1))
    ana, step = attendee(cpss)
    session = group_of(cpss, [ana], activity="recreation")
    page = (
        client_for(cpss)
        .post(f"/groups/{session.pk}/check/", notes_post([(ana, step)]))
        .content.decode()
    )
    assert 'data-rule="NOTE.NOT_COVERED_ACTIVITY"' in findings_of(page, ana)
    assert 'data-rule="CREDENTIAL.CURRENT"' in page


# ---- who may do what ------------------------------------------------------------------------


@override_settings(PEERPATH_REQUIRE_2FA=False)
def test_roles_supervisor_reads_other_peers_and_billing_cannot():
    cpss = peer()
    ana, step = attendee(cpss)
    session = group_of(cpss, [ana])
    qp = SupervisionFactory(staff=cpss, supervisor__agency=cpss.agency).supervisor
    page = client_for(qp).get(f"/groups/{session.pk}/")
    assert page.status_code == 200 and ana.display_name in page.content.decode()
    assert b"Sign all notes" not in page.content and b"Check in" not in page.content
    assert (
        client_for(qp).post(f"/groups/{session.pk}/", notes_post([(ana, step)])).status_code == 403
    )
    assert client_for(qp).get("/groups/new/").status_code == 403
    other = StaffUserFactory(role="cpss", agency=cpss.agency)
    assert client_for(other).get(f"/groups/{session.pk}/").status_code == 404
    assert (
        client_for(other).post(f"/groups/{session.pk}/check-in/", {"people": []}).status_code == 404
    )
    billing = StaffUserFactory(role="billing", agency=cpss.agency)
    assert client_for(billing).get(f"/groups/{session.pk}/").status_code == 403
    assert not ServiceNote.objects.exists()


def test_only_people_in_the_peers_scope_can_be_checked_in():
    cpss = peer()
    ana, _ = attendee(cpss)
    stranger = PersonFactory(agency=cpss.agency)
    session = group_of(cpss)
    client = client_for(cpss)
    page = client.get(f"/groups/{session.pk}/").content.decode()
    assert ana.display_name in page and stranger.display_name not in page
    client.post(f"/groups/{session.pk}/check-in/", {"people": [stranger.pk]})
    assert not GroupAttendance.objects.exists()
    client.post(f"/groups/{session.pk}/check-in/", {"people": [ana.pk]})
    assert list(session.attendees.all()) == [ana]


def test_an_attendee_outside_the_peers_scope_is_not_shown():
    cpss = peer()
    ana, _ = attendee(cpss)
    co = StaffUserFactory(role="cpss", agency=cpss.agency)
    theirs, _ = attendee(co)
    session = group_of(cpss, [ana, theirs])
    session.facilitators.add(co)
    page = client_for(cpss).get(f"/groups/{session.pk}/").content.decode()
    assert ana.display_name in page and theirs.display_name not in page
    assert "1 more person is checked in whom you do not support" in page


# ---- reads are logged once per person, in a bounded number of queries ---------------------


def _counted(client, method, url, data=None):
    with CaptureQueriesContext(connection) as ctx:
        response = getattr(client, method)(url, data or {})
    assert response.status_code == 200
    # Each person shown is one access-log entry (its own few statements); everything else
    # must not grow with the group.
    other = [
        q["sql"]
        for q in ctx.captured_queries
        if "access_accesslog" not in q["sql"] and "SAVEPOINT" not in q["sql"]
    ]
    return len(other), response


def test_group_page_and_live_check_take_a_fixed_number_of_queries():
    cpss = peer()
    people = [attendee(cpss) for _ in range(8)]
    session = group_of(cpss, [p for p, _ in people[:2]])
    client = client_for(cpss)
    client.get(f"/groups/{session.pk}/")  # one-time work of a first page
    before = AccessLogEntry.objects.count()
    few, _ = _counted(client, "get", f"/groups/{session.pk}/")
    assert (
        AccessLogEntry.objects.filter(record_type="services.GroupAttendance").count() == 4
    )  # two attendees, two page views
    assert AccessLogEntry.objects.count() - before == 3  # two people and the check-in list
    few_check, _ = _counted(client, "post", f"/groups/{session.pk}/check/", notes_post(people[:2]))
    for person, _ in people[2:]:
        GroupAttendance.objects.create(session=session, person=person)
    more, _ = _counted(client, "get", f"/groups/{session.pk}/")
    more_check, response = _counted(
        client, "post", f"/groups/{session.pk}/check/", notes_post(people)
    )
    assert more == few and more_check == few_check
    assert response.content.decode().count('id="findings-p') == 8


def test_the_plan_step_of_the_groups_kind_is_preselected():
    cpss = peer()
    ana, mentoring = attendee(cpss)
    skills = InterventionFactory(goal=mentoring.goal, activity="skills_group")
    session = group_of(cpss, [ana])  # a skills group by default
    page = client_for(cpss).get(f"/groups/{session.pk}/").content.decode()
    assert f'name="p{ana.pk}-intervention" value="{skills.pk}" checked' in page
    assert f'value="{mentoring.pk}" checked' not in page


def test_amending_a_group_note_goes_through_the_note_amend_flow_and_keeps_the_group():
    cpss = peer()
    ana, step = attendee(cpss)
    session = group_of(cpss, [ana])
    client = client_for(cpss)
    client.post(f"/groups/{session.pk}/", notes_post([(ana, step)]))
    original = ServiceNote.objects.get()
    started = client.post(f"/notes/{original.pk}/amend/", {"reason": "Quoted the wrong words"})
    amendment = ServiceNote.objects.get(amends=original)
    assert started["Location"] == f"/notes/{amendment.pk}/edit/"
    signed = client.post(
        f"/notes/{amendment.pk}/edit/",
        {
            "intervention": step.pk,
            "date": DAY.isoformat(),
            "start_time": "10:00",
            "end_time": "11:00",
            "modality": "in_person",
            "setting": "community",
            "intervention_text": SHARED,
            "response": '"It helped a lot," she said.',
            "action": "sign",
        },
    )
    assert signed.status_code == 302
    amendment.refresh_from_db()
    original.refresh_from_db()
    assert original.status == "amended" and amendment.status == "signed"
    assert amendment.kind == "group" and amendment.group_session == session
    assert amendment.activity == session.activity != step.activity
