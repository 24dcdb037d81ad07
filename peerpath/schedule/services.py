"""Writes for the schedule. Each goes through `save_record` (validated, with history) in a
transaction; a bad request names what is wrong and writes nothing."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from peerpath.core.fields import Activity
from peerpath.core.services import Actor, save_record
from peerpath.people.models import Person
from peerpath.services.models import GroupSession, ServiceNote
from peerpath.staff.models import StaffMember

from .models import Appointment, AppointmentKind, AppointmentStatus, GroupSeries

MAX_SERIES_WEEKS = 52
WEEK = dt.timedelta(days=7)


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def _refuse_double_booking(
    staff: StaffMember, date: dt.date, start: dt.time, end: dt.time, *, skip: int | None = None
) -> None:
    """A peer specialist is in one place at a time: an appointment may not overlap another
    scheduled or kept one of theirs on the same day."""
    others = Appointment.objects.filter(
        staff=staff,
        date=date,
        status__in=(AppointmentStatus.SCHEDULED, AppointmentStatus.KEPT),
        start_time__lt=end,
        end_time__gt=start,
    ).select_related("person")
    if skip is not None:
        others = others.exclude(pk=skip)
    clash = others.first()
    if clash is not None:
        with_whom = clash.person.display_name if clash.person else clash.topic
        raise ValidationError(
            {
                "start_time": f"{staff.full_name} already has an appointment then "
                f"({with_whom}, {clash.start_time:%H:%M}-{clash.end_time:%H:%M})."
            }
        )


def _user(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) and actor.pk else None


def _agency_of(staff: StaffMember) -> int:
    if staff.agency_id is None:
        raise ValidationError({"staff": "Appointments are kept by an agency's staff."})
    return int(staff.agency_id)


@transaction.atomic
def appointment_create(
    *,
    actor: Actor,
    staff: StaffMember,
    person: Person,
    date: dt.date,
    start_time: dt.time,
    end_time: dt.time,
    modality: str = "in_person",
    setting: str = "community",
) -> Appointment:
    """An appointment of `staff` with `person`."""
    agency_id = _agency_of(staff)
    if person.agency_id != agency_id:
        raise ValidationError({"person": "This person is served by another agency."})
    _refuse_double_booking(staff, date, start_time, end_time)
    return save_record(
        Appointment(
            agency_id=agency_id,
            staff=staff,
            person=person,
            kind=AppointmentKind.INDIVIDUAL,
            date=date,
            start_time=start_time,
            end_time=end_time,
            modality=modality,
            setting=setting,
            created_by=_user(actor),
        ),
        actor=actor,
    )


@transaction.atomic
def group_series_create(
    *,
    actor: Actor,
    staff: StaffMember,
    topic: str,
    first_date: dt.date,
    weeks: int,
    start_time: dt.time,
    end_time: dt.time,
    every_weeks: int = 1,
    activity: str = Activity.SKILLS_GROUP,
    modality: str = "in_person",
    setting: str = "community",
) -> GroupSeries:
    """A group that meets `weeks` times, every `every_weeks` weeks from `first_date`, with
    an appointment for each meeting. A meeting that would clash with another appointment of
    the leader is refused (naming the day), and nothing is written."""
    if not 1 <= weeks <= MAX_SERIES_WEEKS:
        raise ValidationError({"weeks": f"A series has 1 to {MAX_SERIES_WEEKS} meetings."})
    agency_id = _agency_of(staff)
    step = WEEK * max(1, every_weeks)
    series = save_record(
        GroupSeries(
            agency_id=agency_id,
            staff=staff,
            topic=topic.strip(),
            activity=activity,
            first_date=first_date,
            last_date=first_date + step * (weeks - 1),
            every_weeks=every_weeks,
            start_time=start_time,
            end_time=end_time,
            modality=modality,
            setting=setting,
            created_by=_user(actor),
        ),
        actor=actor,
    )
    for n in range(weeks):
        day = first_date + step * n
        _refuse_double_booking(staff, day, start_time, end_time)
        save_record(
            Appointment(
                agency_id=agency_id,
                staff=staff,
                kind=AppointmentKind.GROUP,
                series=series,
                topic=series.topic,
                date=day,
                start_time=start_time,
                end_time=end_time,
                modality=modality,
                setting=setting,
                created_by=series.created_by,
            ),
            actor=actor,
        )
    return series


@transaction.atomic
def appointment_record(
    *, actor: Actor, appointment: Appointment, status: str, reason: str = "", today: dt.date
) -> Appointment:
    """Record that the person did not come (a no-show) or that the appointment was
    cancelled (a reason is required). Neither is a service: nothing is billed."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if status not in (AppointmentStatus.NO_SHOW, AppointmentStatus.CANCELLED):
        raise ValidationError({"status": "Record a no-show or a cancellation."})
    if appointment.status != AppointmentStatus.SCHEDULED:
        raise ValidationError(
            {"status": f"This appointment is already {appointment.get_status_display().lower()}."}
        )
    if status == AppointmentStatus.NO_SHOW and appointment.date > today:
        raise ValidationError({"status": "A no-show is recorded on the day or after it."})
    appointment.status = status
    appointment.reason = reason.strip()
    return save_record(appointment, actor=actor, action=f"record {status}", reason=reason)


@transaction.atomic
def appointment_note_written(
    *, actor: Actor, appointment: Appointment, note: ServiceNote
) -> Appointment:
    """The note written from an individual appointment: the appointment is kept."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.kind != AppointmentKind.INDIVIDUAL or appointment.person_id != note.person_id:
        raise ValidationError({"note": "The note is about someone else than the appointment."})
    if appointment.note_id not in (None, note.pk):
        raise ValidationError({"note": "A note was already written from this appointment."})
    appointment.note = note
    appointment.status = AppointmentStatus.KEPT
    appointment.reason = ""
    return save_record(appointment, actor=actor, action="note written")


@transaction.atomic
def appointment_group_started(
    *, actor: Actor, appointment: Appointment, session: GroupSession
) -> Appointment:
    """The group session started from a group appointment: the appointment is kept."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.kind != AppointmentKind.GROUP:
        raise ValidationError({"group_session": "This appointment is not a group session."})
    if appointment.group_session_id not in (None, session.pk):
        raise ValidationError({"group_session": "This group was already started."})
    appointment.group_session = session
    appointment.status = AppointmentStatus.KEPT
    return save_record(appointment, actor=actor, action="group started")
