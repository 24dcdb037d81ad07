"""Group sessions: check-in, the shared and individual parts, signing every note at once."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from peerpath.services import services
from peerpath.services.models import GroupAttendance, GroupSession, ServiceNote
from peerpath.services.services import AttendeePart
from tests.factories import (
    GroupSessionFactory,
    InterventionFactory,
    PersonFactory,
    PlanFactory,
    StaffFactory,
)

AT = dt.datetime(2026, 4, 7, 21, tzinfo=dt.UTC)
WHY = "Test record: the authorizations are on their way."  # see test_notes.WHY


@pytest.fixture
def group(db, actor):
    """A group led by one peer specialist with two people checked in, each with a plan."""
    staff = StaffFactory()
    session = GroupSessionFactory(agency=staff.agency, shared_narrative="")
    session.facilitators.set([staff])
    people, steps = [], []
    for _ in range(2):
        person = PersonFactory(agency=staff.agency)
        steps.append(InterventionFactory(goal__plan=PlanFactory(person=person)))
        people.append(person)
    services.group_check_in_people(actor=actor, session=session, people=people, at=AT)
    return session, staff, people, steps


def parts(people, steps, changes=None):
    out = []
    for person, step in zip(people, steps, strict=True):
        fields = {
            "person": person,
            "intervention": step,
            "response": f"{person.first_name} shared a tool that works for them.",
            "next_steps": "Try it twice this week.",
        }
        fields.update((changes or {}).get(person.pk, {}))
        out.append(AttendeePart(**fields))
    return out


SHARED = "We practiced three breathing tools and talked about what helps on hard days."


def test_sign_all_writes_one_locked_group_note_per_attendee(actor, group):
    session, staff, people, steps = group
    notes = services.group_notes_write(
        actor=actor,
        session=session,
        staff=staff,
        shared_narrative=SHARED,
        parts=parts(people, steps),
        sign=True,
        sign_reason=WHY,
        at=AT,
    )
    assert len(notes) == 2
    for note, person, step in zip(notes, people, steps, strict=True):
        note.refresh_from_db()
        assert note.person == person and note.kind == "group" and note.group_session == session
        assert note.status == "signed" and note.signed_by == staff and note.signed_credential
        assert note.intervention == step and note.goal == step.goal
        assert note.intervention_text == SHARED and person.first_name in note.response
        assert (note.date, note.start_time, note.end_time) == (
            session.date,
            session.start_time,
            session.end_time,
        )
        assert note.activity == session.activity
    session.refresh_from_db()
    assert session.shared_narrative == SHARED
    # Locked like any signed note; signing again is refused.
    with pytest.raises(ValidationError) as err:
        services.group_notes_write(
            actor=actor,
            session=session,
            staff=staff,
            shared_narrative=SHARED,
            parts=parts(people, steps),
            sign=True,
            sign_reason=WHY,
            at=AT,
        )
    assert f"p{people[0].pk}-person" in err.value.message_dict
    amendment = services.note_amend(actor=actor, note=notes[0], reason="Wrong response copied")
    assert amendment.kind == "group" and amendment.group_session == session


def test_one_bad_part_writes_nothing_and_names_the_attendee_and_field(actor, group):
    session, staff, people, steps = group
    _first, second = people
    bad = parts(people, steps, {second.pk: {"response": "  "}})
    with pytest.raises(ValidationError) as err:
        services.group_notes_write(
            actor=actor,
            session=session,
            staff=staff,
            shared_narrative=SHARED,
            parts=bad,
            sign=True,
            sign_reason=WHY,
            at=AT,
        )
    errors = err.value.message_dict
    assert list(errors) == [f"p{second.pk}-response"]
    assert second.display_name in errors[f"p{second.pk}-response"][0]
    assert not ServiceNote.objects.exists()
    session.refresh_from_db()
    assert session.shared_narrative == ""  # not even the shared part was kept


def test_a_goal_from_someone_elses_plan_and_a_missing_goal_are_refused(actor, group):
    session, staff, people, steps = group
    swapped = parts(people, list(reversed(steps)))
    with pytest.raises(ValidationError) as err:
        services.group_notes_write(
            actor=actor,
            session=session,
            staff=staff,
            shared_narrative=SHARED,
            parts=swapped,
            sign=False,
            at=AT,
        )
    assert {f"p{p.pk}-intervention" for p in people} == set(err.value.message_dict)
    missing = parts(people, steps, {people[0].pk: {"intervention": None}})
    with pytest.raises(ValidationError) as err:
        services.group_notes_write(
            actor=actor,
            session=session,
            staff=staff,
            shared_narrative=SHARED,
            parts=missing,
            sign=True,
            sign_reason=WHY,
            at=AT,
        )
    assert list(err.value.message_dict) == [f"p{people[0].pk}-intervention"]
    assert not ServiceNote.objects.exists()


def test_the_shared_part_may_not_name_an_attendee(actor, group):
    session, staff, people, steps = group
    with pytest.raises(ValidationError) as err:
        services.group_notes_write(
            actor=actor,
            session=session,
            staff=staff,
            shared_narrative=f"{people[1].first_name} led the breathing exercise.",
            parts=parts(people, steps),
            sign=False,
            at=AT,
        )
    assert "shared_narrative" in err.value.message_dict
    assert people[1].display_name in err.value.message_dict["shared_narrative"][0]
    assert not ServiceNote.objects.exists()


def test_shared_part_is_needed_to_sign_but_not_for_drafts(actor, group):
    session, staff, people, steps = group
    with pytest.raises(ValidationError) as err:
        services.group_notes_write(
            actor=actor,
            session=session,
            staff=staff,
            shared_narrative="",
            parts=parts(people, steps),
            sign=True,
            sign_reason=WHY,
            at=AT,
        )
    assert list(err.value.message_dict) == ["shared_narrative"]
    drafts = services.group_notes_write(
        actor=actor,
        session=session,
        staff=staff,
        shared_narrative="",
        parts=parts(people, steps, {people[0].pk: {"response": ""}}),
        sign=False,
        at=AT,
    )
    assert [n.status for n in drafts] == ["draft", "draft"]
    # Signing later updates the same drafts instead of writing new notes.
    signed = services.group_notes_write(
        actor=actor,
        session=session,
        staff=staff,
        shared_narrative=SHARED,
        parts=parts(people, steps),
        sign=True,
        sign_reason=WHY,
        at=AT,
    )
    assert [n.pk for n in signed] == [n.pk for n in drafts]
    assert ServiceNote.objects.filter(status="signed").count() == 2


def test_only_a_facilitator_writes_and_only_checked_in_people_get_notes(actor, group):
    session, staff, people, steps = group
    other = StaffFactory(agency=staff.agency)
    with pytest.raises(ValidationError) as err:
        services.group_notes_write(
            actor=actor,
            session=session,
            staff=other,
            shared_narrative=SHARED,
            parts=parts(people, steps),
            sign=True,
            sign_reason=WHY,
            at=AT,
        )
    assert "staff" in err.value.message_dict
    stranger = PersonFactory(agency=staff.agency)
    step = InterventionFactory(goal__plan=PlanFactory(person=stranger))
    with pytest.raises(ValidationError) as err:
        services.group_notes_write(
            actor=actor,
            session=session,
            staff=staff,
            shared_narrative=SHARED,
            parts=parts([*people, stranger], [*steps, step]),
            sign=True,
            sign_reason=WHY,
            at=AT,
        )
    assert list(err.value.message_dict) == [f"p{stranger.pk}-person"]
    assert not ServiceNote.objects.exists()


def test_check_in_is_all_or_nothing_and_stays_in_the_agency(actor, group):
    session, _staff, people, _steps = group
    newcomer = PersonFactory(agency=session.agency)
    elsewhere = PersonFactory()
    with pytest.raises(ValidationError) as err:
        services.group_check_in_people(
            actor=actor, session=session, people=[newcomer, elsewhere], at=AT
        )
    assert "person" in err.value.message_dict
    assert not GroupAttendance.objects.filter(person=newcomer).exists()
    with pytest.raises(ValidationError):
        services.group_check_in_people(actor=actor, session=session, people=[], at=AT)
    with pytest.raises(ValidationError):
        services.group_check_in_people(actor=actor, session=session, people=[people[0]], at=AT)


def test_group_facilitators_are_peer_specialists_of_the_agency(actor, db):
    staff = StaffFactory()
    fields = dict(
        actor=actor,
        agency=staff.agency,
        topic="Managing stress",
        date=dt.date(2026, 4, 7),
        start_time=dt.time(13),
        end_time=dt.time(14),
    )
    with pytest.raises(ValidationError) as err:
        services.group_session_create(**fields, facilitators=[StaffFactory()])
    assert "facilitators" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.group_session_create(
            **fields, facilitators=[StaffFactory(agency=staff.agency, role="supervisor")]
        )
    assert "facilitators" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.group_session_create(**{**fields, "end_time": dt.time(12)}, facilitators=[staff])
    assert "end_time" in err.value.message_dict
    assert not GroupSession.objects.exists()
    session = services.group_session_create(**fields, facilitators=[staff], activity="recreation")
    assert session.activity == "recreation" and list(session.facilitators.all()) == [staff]
