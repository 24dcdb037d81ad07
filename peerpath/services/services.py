"""Writes for service notes and group sessions.

Notes are drafted, then signed by the peer specialist who gave the service; a signed note
is locked. A correction is an amendment: a new draft that copies the note, changed and
with a reason; signing it marks the original "amended" and keeps every word of it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from peerpath.core.services import Actor, save_record
from peerpath.core.stale import refuse_stale
from peerpath.organizations.models import Agency, Site
from peerpath.people.models import Person
from peerpath.plans.models import Goal, Intervention
from peerpath.staff.models import Role, StaffMember

from . import review, signing
from .models import GroupAttendance, GroupSession, NoteStatus, ReviewWhy, ServiceNote

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
def note_update_draft(
    *, actor: Actor, note: ServiceNote, base: str | None = None, **changes: Any
) -> ServiceNote:
    """Change a draft. `base`: the revision the edit started from (peerpath.core.stale); a
    draft saved by someone else since is not overwritten (StaleEditError)."""
    note = ServiceNote.objects.select_for_update().get(pk=note.pk)
    if note.status != NoteStatus.DRAFT:
        raise ValidationError({"status": "A signed note cannot be changed; amend it instead."})
    refuse_stale(note, base, "draft note")
    unknown = set(changes) - NOTE_EDITABLE
    if unknown:
        raise ValidationError(
            {f: "This field cannot be changed on a note." for f in sorted(unknown)}
        )
    for name, value in changes.items():
        setattr(note, name, value)
    return save_record(note, actor=actor)


# What a signed note may say about when the service happened. These are plausibility
# limits on the record, not payer policy (the packs' unit caps are checked by the rules):
# PeerPath holds no services before 1990, and no single contact runs past twelve hours.
EARLIEST_SERVICE = dt.date(1990, 1, 1)
LONGEST_CONTACT_MINUTES = 12 * 60


def _refuse_implausible(note: ServiceNote) -> None:
    """A date or time span no service could have had is refused at signing, in plain words."""
    errors: dict[str, str] = {}
    if note.date < EARLIEST_SERVICE:
        errors["date"] = (
            f"The service date {note.date.isoformat()} is before "
            f"{EARLIEST_SERVICE.year}: check the year."
        )
    elif note.date < note.person.date_of_birth:
        errors["date"] = "The service date is before the person was born: check the date."
    if note.minutes > LONGEST_CONTACT_MINUTES:
        errors["end_time"] = (
            f"{note.start_time:%H:%M} to {note.end_time:%H:%M} is {note.minutes // 60} hours "
            f"{note.minutes % 60} minutes; one contact is at most "
            f"{LONGEST_CONTACT_MINUTES // 60} hours. Check the times, or write one note per "
            "contact."
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def note_sign(
    *,
    actor: Actor,
    note: ServiceNote,
    signer: StaffMember,
    at: dt.datetime,
    sign_reason: str = "",
) -> ServiceNote:
    """Sign a draft. Only its author signs, and not before what signing refuses is fixed
    (peerpath.services.signing). A note the policy engine would deny is signed only with
    the author's reason: it then goes to the supervisor's review queue, as does every note
    the agency's rule sends there (a new peer specialist's first days)."""
    note = ServiceNote.objects.select_for_update().get(pk=note.pk)
    if note.status != NoteStatus.DRAFT:
        raise ValidationError({"status": "This note is already signed."})
    if signer.pk != note.staff_id:
        raise ValidationError({"signer": "Only the peer specialist who gave the service signs."})
    refused = signing.refusals(
        {f: getattr(note, f) for f in (*signing.NEEDED_TO_SIGN, "start_time", "end_time")},
        today=at.date(),
    )
    outside = signing.outside_episodes(note.date, signing.episodes_of(note.person_id))
    if outside is not None:
        refused.append(outside)
    if refused:
        raise ValidationError({r.field: r.text for r in refused})
    if at.date() < note.date:
        raise ValidationError({"signed_at": "A note cannot be signed before the service date."})
    _refuse_implausible(note)
    denials = signing.signing_denials(note, today=at.date())
    if denials and not sign_reason.strip():
        raise ValidationError(
            {
                "sign_reason": (
                    "This note has a finding that would stop it being paid. Fix it, or "
                    "confirm it and say why you sign the note anyway."
                )
            }
        )
    note.status = NoteStatus.SIGNED
    note.signed_by = signer
    note.signed_credential = signer.credential or "CPSS"
    note.signed_at = at
    save_record(note, actor=actor, action="sign", reason=sign_reason.strip() if denials else "")
    if denials:
        review.review_open(
            actor=actor,
            note=note,
            why=ReviewWhy.FINDING,
            at=at,
            findings=denials,
            peer_reason=sign_reason,
        )
    elif review.new_peer_review_due(note, signer, at.date()):
        review.review_open(actor=actor, note=note, why=ReviewWhy.NEW_PEER, at=at)
    if note.amends_id is not None:
        original = ServiceNote.objects.select_for_update().get(pk=note.amends_id)
        original.status = NoteStatus.AMENDED
        save_record(original, actor=actor, action="amended", reason=note.amendment_reason)
        review.close_returns(actor=actor, amendment=note)
    return note


@transaction.atomic
def note_discard(*, actor: Actor, note: ServiceNote, reason: str) -> ServiceNote:
    """Discard a draft that should never have been written (wrong person, a visit that did
    not happen): it stays in the record and its history, marked discarded, and is never
    billed or counted."""
    note = ServiceNote.objects.select_for_update().get(pk=note.pk)
    if note.status != NoteStatus.DRAFT:
        raise ValidationError({"status": "Only a draft can be discarded; amend a signed note."})
    if not reason.strip():
        raise ValidationError({"reason": "Say why the draft is discarded."})
    note.status = NoteStatus.DISCARDED
    return save_record(note, actor=actor, action="discard", reason=reason.strip())


@transaction.atomic
def note_amend(*, actor: Actor, note: ServiceNote, reason: str, **changes: Any) -> ServiceNote:
    """Start an amendment of a signed note: a new draft with the changes and the reason."""
    original = ServiceNote.objects.select_for_update().get(pk=note.pk)
    if original.status != NoteStatus.SIGNED:
        raise ValidationError({"status": "Only a signed, current note can be amended."})
    if original.legacy_source:
        # Its words and signature are those of the other system; a new note here would not be.
        raise ValidationError(
            {"status": f"An imported record from {original.legacy_source} is kept as it was "
             "signed there; it is not amended here."}
        )  # fmt: skip
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
    activity: str = "skills_group",
    shared_narrative: str = "",
) -> GroupSession:
    if not facilitators:
        raise ValidationError({"facilitators": "A group needs at least one facilitator."})
    for f in facilitators:
        if f.role != Role.CPSS:
            raise ValidationError(
                {"facilitators": f"{f.full_name} is not a peer support specialist."}
            )
        if f.agency_id != agency.pk:
            raise ValidationError({"facilitators": f"{f.full_name} works for another agency."})
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
            activity=activity,
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
    if person.agency_id != session.agency_id:
        raise ValidationError({"person": "This person is served by another agency."})
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
        activity=session.activity,
        goal=goal,
        intervention=intervention,
        intervention_text=session.shared_narrative,
        purpose=goal.own_words if goal else "",
        response=response,
        next_steps=next_steps,
    )
    return save_record(note, actor=actor)


@transaction.atomic
def group_check_in_people(
    *,
    actor: Actor,
    session: GroupSession,
    people: list[Person],
    at: dt.datetime,
) -> list[GroupAttendance]:
    """Check several people in at once: all of them, or (on any problem) none."""
    if not people:
        raise ValidationError({"person": "Choose who is here to check them in."})
    return [group_check_in(actor=actor, session=session, person=p, at=at) for p in people]


@dataclass(frozen=True)
class AttendeePart:
    """What is one attendee's own in a group note: the plan step it served, how the person
    responded, and what comes next."""

    person: Person
    intervention: Intervention | None
    response: str = ""
    next_steps: str = ""


def part_key(person_id: int, field: str) -> str:
    """How an error about one attendee's part is named: the attendee's person id and the
    field, e.g. "p42-response" (the group page prefixes each attendee's fields the same way)."""
    return f"p{person_id}-{field}"


def names_in_shared_text(text: str, people: list[Person]) -> list[Person]:
    """The attendees whose first, preferred or last name appears as a word in `text`. The
    shared part of a group note is copied into every attendee's note, so naming one person
    there would show that person's information to the others' records (42 CFR Part 2)."""
    named = []
    for person in people:
        names = {person.first_name, person.preferred_name, person.last_name} - {""}
        if any(re.search(rf"(?<!\w){re.escape(n)}(?!\w)", text) for n in names):
            named.append(person)
    return named


def _group_errors(
    session: GroupSession,
    staff: StaffMember,
    shared_narrative: str,
    parts: list[AttendeePart],
    *,
    sign: bool,
    attending: set[int],
    signed: set[int],
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = defaultdict(list)
    if staff.role != Role.CPSS:
        errors["staff"].append("Service notes are written by peer support specialists.")
    elif not session.facilitators.filter(pk=staff.pk).exists():
        errors["staff"].append("Only a facilitator of this group writes its notes.")
    if not parts:
        errors["parts"].append("Check someone in before writing the group's notes.")
    if sign and not shared_narrative.strip():
        errors["shared_narrative"].append("Needed before signing: what the group did together.")
    named = names_in_shared_text(shared_narrative, [p.person for p in parts])
    if named:
        who = ", ".join(p.display_name for p in named)
        errors["shared_narrative"].append(
            f"The shared part goes into every attendee's note, and it names {who}. Write "
            "about the group here and put what is one person's own in their part."
        )
    seen: set[int] = set()
    for part in parts:
        pid = part.person.pk
        name = part.person.display_name
        if pid in seen:
            errors[part_key(pid, "person")].append(f"{name} is listed twice.")
        seen.add(pid)
        if pid not in attending:
            errors[part_key(pid, "person")].append(f"Check {name} in to the group first.")
        if pid in signed:
            errors[part_key(pid, "person")].append(
                f"{name}'s note for this group is already signed; amend it instead."
            )
        iv = part.intervention
        if iv is not None and iv.goal.plan.person_id != pid:
            errors[part_key(pid, "intervention")].append(f"This goal is not in {name}'s plan.")
        if sign and iv is None:
            errors[part_key(pid, "intervention")].append(
                f"Choose the goal from {name}'s plan that the group served."
            )
        if sign and not part.response.strip():
            errors[part_key(pid, "response")].append(
                f"Needed before signing: how {name} responded."
            )
    return dict(errors)


@transaction.atomic
def group_notes_write(
    *,
    actor: Actor,
    session: GroupSession,
    staff: StaffMember,
    shared_narrative: str,
    parts: list[AttendeePart],
    sign: bool,
    at: dt.datetime,
    sign_reason: str = "",
) -> list[ServiceNote]:
    """Write the group's notes: the shared part once (kept on the session), and for each
    attendee one note of kind "group" with the shared part and their own. Drafts already
    written by `staff` for this session are updated. With `sign`, every note is signed in
    the same transaction: all of them or, when anything is wrong with any attendee's part,
    none (the ValidationError names each field, attendee parts as `part_key`)."""
    session = GroupSession.objects.select_for_update().get(pk=session.pk)
    people = [p.person.pk for p in parts]
    attending = set(
        GroupAttendance.objects.filter(session=session, person_id__in=people).values_list(
            "person_id", flat=True
        )
    )
    existing = {
        n.person_id: n
        for n in ServiceNote.objects.select_for_update()
        .filter(group_session=session, person_id__in=people)
        .exclude(amends__isnull=False)
        .order_by("pk")
    }
    signed = {pid for pid, n in existing.items() if n.status != NoteStatus.DRAFT}
    errors = _group_errors(
        session, staff, shared_narrative, parts, sign=sign, attending=attending, signed=signed
    )
    if errors:
        raise ValidationError(errors)
    if sign and at.date() < session.date:
        raise ValidationError({"signed_at": "A note cannot be signed before the group met."})
    if session.shared_narrative != shared_narrative:
        session.shared_narrative = shared_narrative
        save_record(session, actor=actor)
    notes = []
    for part in parts:
        iv = part.intervention
        fields: dict[str, Any] = {
            "date": session.date,
            "start_time": session.start_time,
            "end_time": session.end_time,
            "modality": session.modality,
            "setting": session.setting,
            "activity": session.activity,
            "goal": iv.goal if iv else None,
            "intervention": iv,
            "intervention_text": shared_narrative,
            "purpose": iv.goal.own_words if iv else "",
            "response": part.response,
            "next_steps": part.next_steps,
        }
        note = existing.get(part.person.pk)
        if note is not None and note.staff_id != staff.pk:
            raise ValidationError(
                {
                    part_key(part.person.pk, "person"): (
                        f"Another facilitator is writing {part.person.display_name}'s note."
                    )
                }
            )
        if note is None:
            note = ServiceNote(
                person=part.person, staff=staff, kind="group", group_session=session, **fields
            )
            save_record(note, actor=actor)
        else:
            note = note_update_draft(actor=actor, note=note, **fields)
        if sign:
            note = note_sign(actor=actor, note=note, signer=staff, at=at, sign_reason=sign_reason)
        notes.append(note)
    return notes
