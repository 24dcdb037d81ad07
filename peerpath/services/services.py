"""Writes for service notes and group sessions.

Notes are drafted, then signed by the peer specialist who gave the service; a signed note
is locked. A correction is an amendment: a new draft that copies the note, changed and
with a reason; signing it marks the original "amended" and keeps every word of it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from peerpath.core.services import Actor, save_record
from peerpath.organizations.models import Agency, Site
from peerpath.people.models import Person
from peerpath.plans.models import Goal, Intervention
from peerpath.staff.models import Role, StaffMember

from .models import GroupAttendance, GroupSession, NoteStatus, ServiceNote

NOTE_EDITABLE = {
    "date",
    "start_time",
    "end_time",
    "modality",
    "setting",
    "activity",
    "goal",
    "intervention",
    "intervention_text",
    "purpose",
    "response",
    "next_steps",
}


def _check_author(staff: StaffMember) -> None:
    if staff.role != Role.CPSS:
        raise ValidationError({"staff": "Service notes are written by peer support specialists."})


@transaction.atomic
def note_create(
    *,
    actor: Actor,
    person: Person,
    staff: StaffMember,
    date: dt.date,
    start_time: dt.time,
    end_time: dt.time,
    activity: str,
    goal: Goal | None = None,
    intervention: Intervention | None = None,
    modality: str = "in_person",
    setting: str = "community",
    intervention_text: str = "",
    purpose: str = "",
    response: str = "",
    next_steps: str = "",
) -> ServiceNote:
    _check_author(staff)
    note = ServiceNote(
        person=person,
        staff=staff,
        date=date,
        start_time=start_time,
        end_time=end_time,
        activity=activity,
        goal=goal,
        intervention=intervention,
        modality=modality,
        setting=setting,
        intervention_text=intervention_text,
        purpose=purpose,
        response=response,
        next_steps=next_steps,
    )
    return save_record(note, actor=actor)


@transaction.atomic
def note_update_draft(*, actor: Actor, note: ServiceNote, **changes: Any) -> ServiceNote:
    note = ServiceNote.objects.select_for_update().get(pk=note.pk)
    if note.status != NoteStatus.DRAFT:
        raise ValidationError({"status": "A signed note cannot be changed; amend it instead."})
    unknown = set(changes) - NOTE_EDITABLE
    if unknown:
        raise ValidationError(
            {f: "This field cannot be changed on a note." for f in sorted(unknown)}
        )
    for name, value in changes.items():
        setattr(note, name, value)
    return save_record(note, actor=actor)


@transaction.atomic
def note_sign(
    *,
    actor: Actor,
    note: ServiceNote,
    signer: StaffMember,
    at: dt.datetime,
) -> ServiceNote:
    """Sign a draft. Only its author can sign; the narrative must say what happened."""
    note = ServiceNote.objects.select_for_update().get(pk=note.pk)
    if note.status != NoteStatus.DRAFT:
        raise ValidationError({"status": "This note is already signed."})
    if signer.pk != note.staff_id:
        raise ValidationError({"signer": "Only the peer specialist who gave the service signs."})
    missing = {
        f: "Needed before signing."
        for f in ("intervention_text", "response")
        if not getattr(note, f).strip()
    }
    if missing:
        raise ValidationError(missing)
    if at.date() < note.date:
        raise ValidationError({"signed_at": "A note cannot be signed before the service date."})
    note.status = NoteStatus.SIGNED
    note.signed_by = signer
    note.signed_credential = signer.credential or "CPSS"
    note.signed_at = at
    save_record(note, actor=actor, action="sign")
    if note.amends_id is not None:
        original = ServiceNote.objects.select_for_update().get(pk=note.amends_id)
        original.status = NoteStatus.AMENDED
        save_record(original, actor=actor, action="amended", reason=note.amendment_reason)
    return note


@transaction.atomic
def note_amend(*, actor: Actor, note: ServiceNote, reason: str, **changes: Any) -> ServiceNote:
    """Start an amendment of a signed note: a new draft with the changes and the reason."""
    original = ServiceNote.objects.select_for_update().get(pk=note.pk)
    if original.status != NoteStatus.SIGNED:
        raise ValidationError({"status": "Only a signed, current note can be amended."})
    if ServiceNote.objects.filter(amends=original).exists():
        raise ValidationError({"amends": "This note already has an amendment in progress."})
    if not reason.strip():
        raise ValidationError({"amendment_reason": "Say why the note is being amended."})
    unknown = set(changes) - NOTE_EDITABLE
    if unknown:
        raise ValidationError({f: "This field cannot be amended." for f in sorted(unknown)})
    copied = {
        f: getattr(original, f)
        for f in ("person", "staff", "kind", "group_session", *sorted(NOTE_EDITABLE))
    }
    copied.update(changes)
    amendment = ServiceNote(**copied, amends=original, amendment_reason=reason)
    return save_record(amendment, actor=actor, action="amend", reason=reason)


@transaction.atomic
def group_session_create(
    *,
    actor: Actor,
    agency: Agency,
    topic: str,
    date: dt.date,
    start_time: dt.time,
    end_time: dt.time,
    facilitators: list[StaffMember],
    site: Site | None = None,
    modality: str = "in_person",
    setting: str = "community",
    shared_narrative: str = "",
) -> GroupSession:
    if not facilitators:
        raise ValidationError({"facilitators": "A group needs at least one facilitator."})
    for f in facilitators:
        _check_author(f)
    session = save_record(
        GroupSession(
            agency=agency,
            site=site,
            topic=topic,
            date=date,
            start_time=start_time,
            end_time=end_time,
            modality=modality,
            setting=setting,
            shared_narrative=shared_narrative,
        ),
        actor=actor,
    )
    session.facilitators.set(facilitators)
    return session


@transaction.atomic
def group_check_in(
    *,
    actor: Actor,
    session: GroupSession,
    person: Person,
    at: dt.datetime,
) -> GroupAttendance:
    if GroupAttendance.objects.filter(session=session, person=person).exists():
        raise ValidationError({"person": "This person is already checked in."})
    return save_record(
        GroupAttendance(session=session, person=person, checked_in_at=at), actor=actor
    )


@transaction.atomic
def group_note_create(
    *,
    actor: Actor,
    session: GroupSession,
    person: Person,
    staff: StaffMember,
    goal: Goal | None,
    intervention: Intervention | None,
    response: str = "",
    next_steps: str = "",
) -> ServiceNote:
    """One attendee's note: the group's shared part plus what is this person's own."""
    if not GroupAttendance.objects.filter(session=session, person=person).exists():
        raise ValidationError({"person": "Check the person in to the group first."})
    if not session.facilitators.filter(pk=staff.pk).exists():
        raise ValidationError({"staff": "Only a facilitator of this group writes its notes."})
    note = ServiceNote(
        person=person,
        staff=staff,
        date=session.date,
        start_time=session.start_time,
        end_time=session.end_time,
        modality=session.modality,
        setting=session.setting,
        kind="group",
        group_session=session,
        activity="skills_group",
        goal=goal,
        intervention=intervention,
        intervention_text=session.shared_narrative,
        purpose=goal.own_words if goal else "",
        response=response,
        next_steps=next_steps,
    )
    return save_record(note, actor=actor)
