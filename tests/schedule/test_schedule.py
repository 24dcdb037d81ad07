"""The schedule: appointments and weekly groups, no-shows and cancellations (recorded, not
billed), a note or a group started from an appointment, the day and week pages in a fixed
number of queries, and today's appointments first on the peer's day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peerpath.audit.models import ChangeRecord
from peerpath.schedule.models import Appointment, AppointmentStatus
from peerpath.schedule.selectors import attendance
from peerpath.schedule.services import (
    appointment_create,
    appointment_note_written,
    appointment_record,
    group_series_create,
)
from peerpath.services.models import GroupSession, ServiceNote
from tests.access.factories import StaffUserFactory, SupervisionFactory
from tests.factories import CaseloadFactory, NoteFactory, PersonFactory
from tests.services.test_views import DAY, client_for, note_post, ready_person

pytestmark = pytest.mark.django_db
T = dt.time


def appointment(cpss, person, day, start=10, minutes=45, **kw):
    begin = dt.datetime.combine(day, T(start))
    return appointment_create(
        actor=cpss.user,
        staff=cpss,
        person=person,
        date=day,
        start_time=begin.time(),
        end_time=(begin + dt.timedelta(minutes=minutes)).time(),
        **kw,
    )


# ---- services -------------------------------------------------------------------------------


def test_an_appointment_is_kept_with_history_and_a_peer_is_never_double_booked():
    person, cpss, _ = ready_person()
    a = appointment(cpss, person, DAY)
    assert a.status == AppointmentStatus.SCHEDULED and a.agency_id == person.agency_id
    assert ChangeRecord.objects.filter(record_type="schedule.Appointment", action="create")
    other = PersonFactory(agency=person.agency)
    with pytest.raises(ValidationError, match="already has an appointment then"):
        appointment(cpss, other, DAY, start=10, minutes=30)
    appointment(cpss, other, DAY, start=11)  # after the first one ends: fine
    stranger = PersonFactory()  # another agency's person
    with pytest.raises(ValidationError, match="another agency"):
        appointment(cpss, stranger, DAY, start=13)
    with pytest.raises(ValidationError, match="ends"):
        appointment(cpss, other, DAY, start=15, minutes=-15)
    assert Appointment.objects.count() == 2


def test_a_weekly_group_puts_every_meeting_on_the_schedule_or_nothing():
    _, cpss, _ = ready_person()
    series = group_series_create(
        actor=cpss.user,
        staff=cpss,
        topic="Building my support network",
        first_date=DAY,
        weeks=6,
        every_weeks=1,
        start_time=T(13),
        end_time=T(14, 30),
    )
    dates = list(series.appointments.values_list("date", flat=True))
    assert dates == [DAY + dt.timedelta(days=7 * i) for i in range(6)]
    assert series.last_date == dates[-1] and series.weekday_name == DAY.strftime("%A")
    assert all(a.kind == "group" and a.person_id is None for a in series.appointments.all())
    before = Appointment.objects.count()
    with pytest.raises(ValidationError, match="already has an appointment then"):
        group_series_create(
            actor=cpss.user,
            staff=cpss,
            topic="Clashes in week 3",
            first_date=DAY - dt.timedelta(days=14),
            weeks=4,
            start_time=T(14),
            end_time=T(15),
        )
    assert Appointment.objects.count() == before  # the whole series is refused


def test_no_show_and_cancellation_are_recorded_not_billed_and_counted_for_the_chart():
    person, cpss, _ = ready_person()
    today = DAY + dt.timedelta(days=1)
    missed = appointment(cpss, person, DAY)
    later = appointment(cpss, person, today + dt.timedelta(days=2))
    with pytest.raises(ValidationError, match="on the day or after"):
        appointment_record(
            actor=cpss.user, appointment=later, status="no_show", reason="", today=today
        )
    with pytest.raises(ValidationError, match="who cancelled and why"):
        appointment_record(
            actor=cpss.user, appointment=later, status="cancelled", reason=" ", today=today
        )
    appointment_record(actor=cpss.user, appointment=missed, status="no_show", today=today)
    appointment_record(
        actor=cpss.user,
        appointment=later,
        status="cancelled",
        reason="She has a court date; we moved to next week.",
        today=today,
    )
    with pytest.raises(ValidationError, match="already"):
        appointment_record(actor=cpss.user, appointment=missed, status="no_show", today=today)
    assert not ServiceNote.objects.filter(person=person).exists()  # nothing to bill
    seen = attendance(person, on=today + dt.timedelta(days=3))
    assert (seen.kept, seen.no_show, seen.cancelled, seen.missed) == (0, 1, 1, 2)


def test_a_note_from_an_appointment_keeps_it_and_must_be_about_the_same_person():
    person, cpss, _ = ready_person()
    a = appointment(cpss, person, DAY)
    other = NoteFactory(staff=cpss, date=DAY)
    with pytest.raises(ValidationError, match="someone else"):
        appointment_note_written(actor=cpss.user, appointment=a, note=other)
    note = NoteFactory(person=person, staff=cpss, date=DAY)
    kept = appointment_note_written(actor=cpss.user, appointment=a, note=note)
    assert kept.status == AppointmentStatus.KEPT and kept.note == note


# ---- pages ----------------------------------------------------------------------------------


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries), response.content.decode()


def _more_people(cpss, n, day, first_hour):
    for i in range(n):
        p = PersonFactory(agency=cpss.agency)
        CaseloadFactory(person=p, staff=cpss, start=dt.date(2020, 1, 1))
        appointment(cpss, p, day, start=first_hour + i, minutes=30)


def test_day_and_week_pages_in_a_fixed_number_of_queries():
    person, cpss, _ = ready_person()
    appointment(cpss, person, DAY, start=9)
    group_series_create(
        actor=cpss.user,
        staff=cpss,
        topic="Wellness tools",
        first_date=DAY,
        weeks=2,
        start_time=T(8),
        end_time=T(8, 45),
    )
    client = client_for(cpss)
    client.get("/schedule/")  # the first page of a session does one-time work
    day_url, week_url = f"/schedule/?day={DAY.isoformat()}", f"/schedule/week/?week={DAY}"
    few_day, page = _queries(client, day_url)
    assert person.display_name in page and "Wellness tools" in page and "Write the note" in page
    assert "Start the group" in page
    few_week, page = _queries(client, week_url)
    assert person.display_name in page and "Wellness tools" in page
    _more_people(cpss, 6, DAY, 10)
    _more_people(cpss, 4, DAY + dt.timedelta(days=2), 10)
    more_day, page = _queries(client, day_url)
    assert page.count("Write the note") == 7
    more_week, page = _queries(client, week_url)
    assert (more_day, more_week) == (few_day, few_week)
    assert client.get("/schedule/?day=not-a-date").status_code == 404


@override_settings(PEERPATH_REQUIRE_2FA=False)
def test_a_supervisor_sees_a_team_members_schedule_but_not_a_strangers():
    person, cpss, _ = ready_person()
    appointment(cpss, person, DAY)
    qp = SupervisionFactory(staff=cpss, supervisor__agency=person.agency).supervisor
    stranger = StaffUserFactory(role="cpss", agency=person.agency)
    client = client_for(qp)
    page = client.get(f"/schedule/?day={DAY}&staff={cpss.pk}").content.decode()
    assert person.display_name in page and "Write the note" not in page
    assert client.get(f"/schedule/week/?staff={stranger.pk}").status_code == 404
    assert client_for(stranger).get(f"/schedule/?staff={cpss.pk}").status_code == 404
    assert client.get("/schedule/new/").status_code == 403  # supervisors read, peers book


def test_the_day_page_lists_todays_appointments_first():
    person, cpss, _ = ready_person()
    today = timezone.localdate()
    appointment(cpss, person, today, start=15)
    NoteFactory(person=person, staff=cpss, date=today - dt.timedelta(days=1))  # a draft
    page = client_for(cpss).get("/day/").content.decode()
    first = page.index('id="appts-today-h"')
    assert first < page.index("Notes to finish and sign") and first < page.index("People you")
    assert f"/people/{person.pk}/notes/new/?appointment=" in page


def test_a_note_starts_from_its_appointment_and_keeps_it():
    person, cpss, intervention = ready_person()
    a = appointment(cpss, person, DAY, start=14, minutes=50, setting="home")
    client = client_for(cpss)
    url = f"/people/{person.pk}/notes/new/?appointment={a.pk}"
    form = client.get(url).content.decode()
    assert f'value="{DAY.isoformat()}"' in form
    assert 'value="14:00"' in form and 'value="14:50"' in form
    data = note_post(intervention, start_time="14:00", end_time="14:50", action="sign")
    response = client.post(url, data)
    note = ServiceNote.objects.get(person=person)
    assert response.status_code == 302 and note.status == "signed"
    a.refresh_from_db()
    assert a.status == AppointmentStatus.KEPT and a.note == note
    # The schedule now opens the note; another note cannot claim the appointment.
    page = client.get(f"/schedule/?day={DAY}").content.decode()
    assert f"/notes/{note.pk}/" in page and "Write the note" not in page


def test_a_group_starts_from_its_appointment():
    _, cpss, _ = ready_person()
    series = group_series_create(
        actor=cpss.user,
        staff=cpss,
        topic="Wellness tools",
        first_date=DAY,
        weeks=1,
        start_time=T(13),
        end_time=T(14),
    )
    a = series.appointments.get()
    client = client_for(cpss)
    form = client.get(f"/groups/new/?appointment={a.pk}").content.decode()
    assert 'value="Wellness tools"' in form and 'value="13:00"' in form
    assert f"?appointment={a.pk}" in form  # the form posts back with it
    response = client.post(
        f"/groups/new/?appointment={a.pk}",
        {
            "topic": "Wellness tools",
            "activity": "skills_group",
            "date": DAY.isoformat(),
            "start_time": "13:00",
            "end_time": "14:00",
            "modality": "in_person",
            "setting": "community",
            "facilitators": [cpss.pk],
        },
    )
    session = GroupSession.objects.get()
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.status == AppointmentStatus.KEPT and a.group_session == session


def test_recording_a_no_show_from_the_page():
    person, cpss, _ = ready_person()
    today = timezone.localdate()
    a = appointment(cpss, person, today)
    client = client_for(cpss)
    response = client.post(
        f"/schedule/{a.pk}/record/",
        {"status": "no_show", "reason": "Did not answer the door", "next": "/day/"},
    )
    assert response.status_code == 302 and response["Location"] == "/day/"
    a.refresh_from_db()
    assert a.status == "no_show" and a.reason == "Did not answer the door"
    other = StaffUserFactory(role="cpss", agency=person.agency)
    assert (
        client_for(other).post(f"/schedule/{a.pk}/record/", {"status": "cancelled"}).status_code
        == 404
    )


def test_making_an_appointment_and_a_weekly_group_from_the_pages():
    person, cpss, _ = ready_person()
    client = client_for(cpss)
    form = client.get(f"/schedule/new/?person={person.pk}&day={DAY}").content.decode()
    assert person.display_name in form
    response = client.post(
        "/schedule/new/",
        {
            "person": person.pk,
            "date": DAY.isoformat(),
            "start_time": "09:00",
            "end_time": "09:45",
            "modality": "in_person",
            "setting": "office",
        },
    )
    assert response.status_code == 302
    assert Appointment.objects.get().person == person
    bad = client.post("/schedule/new/", {"person": person.pk, "date": "", "start_time": "x"})
    assert "Nothing was saved" in bad.content.decode()
    response = client.post(
        "/schedule/groups/new/",
        {
            "topic": "Recovery stories",
            "activity": "skills_group",
            "first_date": DAY.isoformat(),
            "weeks": 4,
            "every_weeks": 2,
            "start_time": "15:00",
            "end_time": "16:00",
            "modality": "in_person",
            "setting": "community",
        },
    )
    assert response.status_code == 302
    assert Appointment.objects.filter(kind="group").count() == 4
