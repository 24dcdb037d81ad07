"""Reads for the schedule, in a fixed number of queries whatever the number of
appointments: a peer's day, a peer's week, and a person's attendance for the chart."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from peerpath.people.models import Person
from peerpath.staff.models import StaffMember

from .models import Appointment, AppointmentStatus

DAY = dt.timedelta(days=1)
ATTENDANCE_DAYS = 90


def _appointments(staff: StaffMember) -> QuerySet[Appointment]:
    return Appointment.objects.filter(staff=staff).select_related("person", "series")


@dataclass
class ScheduleDay:
    staff: StaffMember
    on: dt.date
    appointments: list[Appointment]

    @property
    def open(self) -> list[Appointment]:
        return [a for a in self.appointments if a.open]


def day_schedule(staff: StaffMember, *, on: dt.date) -> ScheduleDay:
    """One query."""
    return ScheduleDay(staff, on, list(_appointments(staff).filter(date=on)))


@dataclass
class ScheduleWeek:
    staff: StaffMember
    monday: dt.date
    days: list[ScheduleDay] = field(default_factory=list)

    @property
    def previous(self) -> dt.date:
        return self.monday - 7 * DAY

    @property
    def next(self) -> dt.date:
        return self.monday + 7 * DAY

    @property
    def count(self) -> int:
        return sum(len(d.appointments) for d in self.days)


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def week_schedule(staff: StaffMember, *, on: dt.date) -> ScheduleWeek:
    """The week (Monday to Sunday) holding `on`, in one query."""
    monday = monday_of(on)
    found = list(_appointments(staff).filter(date__gte=monday, date__lte=monday + 6 * DAY))
    week = ScheduleWeek(staff, monday)
    for i in range(7):
        day = monday + i * DAY
        week.days.append(ScheduleDay(staff, day, [a for a in found if a.date == day]))
    return week


@dataclass(frozen=True)
class Attendance:
    """A person's appointments over the last `days` days, by outcome, and what is next."""

    days: int
    kept: int
    no_show: int
    cancelled: int
    upcoming: list[Appointment]

    @property
    def missed(self) -> int:
        return self.no_show + self.cancelled


def attendance(person: Person, *, on: dt.date, days: int = ATTENDANCE_DAYS) -> Attendance:
    """Two queries."""
    since = on - dt.timedelta(days=days)
    counted = Appointment.objects.filter(person=person, date__gte=since, date__lte=on).aggregate(
        kept=Count("pk", filter=Q(status=AppointmentStatus.KEPT)),
        no_show=Count("pk", filter=Q(status=AppointmentStatus.NO_SHOW)),
        cancelled=Count("pk", filter=Q(status=AppointmentStatus.CANCELLED)),
    )
    upcoming = list(
        Appointment.objects.filter(
            person=person, date__gte=on, status=AppointmentStatus.SCHEDULED
        ).select_related("staff")[:5]
    )
    return Attendance(days, counted["kept"], counted["no_show"], counted["cancelled"], upcoming)
