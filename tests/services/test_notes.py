import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction

from peerpath.services import services
from peerpath.services.models import ServiceNote, SignedNoteError
from tests.factories import GoalFactory, GroupSessionFactory, InterventionFactory, StaffFactory

AT = dt.datetime(2026, 4, 6, 21, tzinfo=dt.UTC)
# The factories' records lack what a payable note needs (an authorization, a crisis plan
# ...): these tests are about signing and locking, so they sign with a reason (signing
# with findings has its own tests in test_signing.py).
WHY = "Test record: the authorization is on its way."


@pytest.fixture
def setup(db):
    intervention = InterventionFactory()
    goal = intervention.goal
    person = goal.plan.person
    staff = StaffFactory(agency=person.agency)
    return person, staff, goal, intervention


def draft(actor, setup, **kw):
    person, staff, goal, intervention = setup
    fields = dict(
        actor=actor,
        person=person,
        staff=staff,
        date=dt.date(2026, 4, 6),
        start_time=dt.time(10),
        end_time=dt.time(10, 45),
        activity="peer_mentoring",
        goal=goal,
        intervention=intervention,
        intervention_text="Practiced a landlord call together.",
        response="Made two calls; proud of it.",
    )
    fields.update(kw)
    return services.note_create(**fields)


def test_note_is_drafted_then_signed_by_its_author(actor, setup):
    note = draft(actor, setup)
    assert note.status == "draft" and note.minutes == 45
    signed = services.note_sign(actor=actor, note=note, signer=note.staff, at=AT, sign_reason=WHY)
    assert signed.status == "signed" and signed.signed_credential == "CPSS"


def test_note_ending_before_it_starts_is_refused_naming_end_time(actor, setup):
    with pytest.raises(ValidationError) as err:
        draft(actor, setup, start_time=dt.time(11), end_time=dt.time(10))
    assert "end_time" in err.value.message_dict
    assert not ServiceNote.objects.exists()


def test_note_cannot_use_a_goal_from_someone_elses_plan(actor, setup):
    with pytest.raises(ValidationError) as err:
        draft(actor, setup, goal=GoalFactory(), intervention=None)
    assert "goal" in err.value.message_dict


def test_intervention_must_belong_to_the_chosen_goal(actor, setup):
    other = InterventionFactory(goal__plan=setup[2].plan)
    with pytest.raises(ValidationError) as err:
        draft(actor, setup, intervention=other)
    assert "intervention" in err.value.message_dict


def test_only_peer_specialists_write_notes(actor, setup):
    qp = StaffFactory(agency=setup[0].agency, role="supervisor")
    with pytest.raises(ValidationError) as err:
        draft(actor, setup, staff=qp)
    assert "staff" in err.value.message_dict


def test_draft_can_be_edited(actor, setup):
    note = draft(actor, setup)
    services.note_update_draft(actor=actor, note=note, next_steps="Meet at the library Tuesday")
    note.refresh_from_db()
    assert note.next_steps == "Meet at the library Tuesday"
    with pytest.raises(ValidationError):
        services.note_update_draft(actor=actor, note=note, status="signed")


def test_someone_else_cannot_sign_the_note(actor, setup):
    note = draft(actor, setup)
    with pytest.raises(ValidationError) as err:
        services.note_sign(actor=actor, note=note, signer=StaffFactory(), at=AT)
    assert "signer" in err.value.message_dict


def test_note_without_what_happened_cannot_be_signed(actor, setup):
    note = draft(actor, setup, response="")
    with pytest.raises(ValidationError) as err:
        services.note_sign(actor=actor, note=note, signer=note.staff, at=AT, sign_reason=WHY)
    assert "response" in err.value.message_dict


def test_note_cannot_be_signed_before_the_service_date(actor, setup):
    note = draft(actor, setup)
    with pytest.raises(ValidationError):
        services.note_sign(
            actor=actor,
            note=note,
            signer=note.staff,
            at=dt.datetime(2026, 4, 1, tzinfo=dt.UTC),
            sign_reason=WHY,
        )


def test_signed_note_cannot_be_edited_through_the_service(actor, setup):
    note = draft(actor, setup)
    services.note_sign(actor=actor, note=note, signer=note.staff, at=AT, sign_reason=WHY)
    with pytest.raises(ValidationError):
        services.note_update_draft(actor=actor, note=note, response="changed")


def test_signed_note_cannot_be_changed_by_saving_the_model(actor, setup):
    note = services.note_sign(
        actor=actor, note=draft(actor, setup), signer=setup[1], at=AT, sign_reason=WHY
    )
    note.response = "rewritten later"
    with pytest.raises(SignedNoteError):
        note.save()
    note.refresh_from_db()
    assert note.response == "Made two calls; proud of it."


def test_signed_note_cannot_be_changed_even_by_a_bulk_update(actor, setup):
    note = services.note_sign(
        actor=actor, note=draft(actor, setup), signer=setup[1], at=AT, sign_reason=WHY
    )
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        ServiceNote.objects.filter(pk=note.pk).update(response="rewritten by SQL")
    note.refresh_from_db()
    assert note.response == "Made two calls; proud of it."


def test_signed_note_cannot_be_unsigned_or_deleted(actor, setup):
    note = services.note_sign(
        actor=actor, note=draft(actor, setup), signer=setup[1], at=AT, sign_reason=WHY
    )
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        ServiceNote.objects.filter(pk=note.pk).update(status="draft")
    with pytest.raises(SignedNoteError):
        note.delete()
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        ServiceNote.objects.filter(pk=note.pk).delete()
    assert ServiceNote.objects.filter(pk=note.pk, status="signed").exists()


def test_amendment_is_a_new_note_and_keeps_the_original_words(actor, setup):
    original = services.note_sign(
        actor=actor, note=draft(actor, setup), signer=setup[1], at=AT, sign_reason=WHY
    )
    amendment = services.note_amend(
        actor=actor, note=original, reason="Wrong end time", end_time=dt.time(10, 30)
    )
    assert amendment.pk != original.pk and amendment.amends == original
    services.note_sign(actor=actor, note=amendment, signer=setup[1], at=AT, sign_reason=WHY)
    original.refresh_from_db()
    assert original.status == "amended" and original.end_time == dt.time(10, 45)
    assert ServiceNote.objects.get(pk=amendment.pk).end_time == dt.time(10, 30)


def test_amendment_needs_a_reason_and_a_signed_note(actor, setup):
    note = draft(actor, setup)
    with pytest.raises(ValidationError):
        services.note_amend(actor=actor, note=note, reason="x")
    services.note_sign(actor=actor, note=note, signer=setup[1], at=AT, sign_reason=WHY)
    with pytest.raises(ValidationError) as err:
        services.note_amend(actor=actor, note=note, reason="  ")
    assert "amendment_reason" in err.value.message_dict


def test_group_notes_come_from_checked_in_attendees_with_the_shared_part(actor, setup):
    person, staff, goal, intervention = setup
    session = services.group_session_create(
        actor=actor,
        agency=person.agency,
        topic="Managing stress",
        date=dt.date(2026, 4, 7),
        start_time=dt.time(13),
        end_time=dt.time(14, 30),
        facilitators=[staff],
        shared_narrative="We practiced three breathing tools and shared what works.",
    )
    with pytest.raises(ValidationError):
        services.group_note_create(
            actor=actor,
            session=session,
            person=person,
            staff=staff,
            goal=goal,
            intervention=intervention,
        )
    services.group_check_in(actor=actor, session=session, person=person, at=AT)
    note = services.group_note_create(
        actor=actor,
        session=session,
        person=person,
        staff=staff,
        goal=goal,
        intervention=intervention,
        response="Led the second exercise.",
    )
    assert note.kind == "group" and note.minutes == 90
    assert note.intervention_text.startswith("We practiced three breathing tools")


def test_group_needs_a_peer_facilitator_and_a_person_checks_in_once(actor, setup):
    person, _staff, *_ = setup
    with pytest.raises(ValidationError):
        services.group_session_create(
            actor=actor,
            agency=person.agency,
            topic="x",
            date=dt.date(2026, 4, 7),
            start_time=dt.time(13),
            end_time=dt.time(14),
            facilitators=[],
        )
    session = GroupSessionFactory(agency=person.agency)
    services.group_check_in(actor=actor, session=session, person=person, at=AT)
    with pytest.raises(ValidationError):
        services.group_check_in(actor=actor, session=session, person=person, at=AT)
