"""The peer specialist's schedule: appointments with one person, and group sessions that
meet every week. An appointment is not a service: nothing here is billed. It becomes one when
the note written from it is signed (the appointment is then "kept"); a no-show or a
cancellation is recorded with its reason and counted on the person's chart."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from peerpath.core.fields import Activity, Modality, Setting, validate_span
from peerpath.organizations.models import Agency
from peerpath.people.models import Person
from peerpath.services.models import GroupSession, ServiceNote
from peerpath.staff.models import StaffMember


class AppointmentKind(models.TextChoices):
    INDIVIDUAL = "individual", "With one person"
    GROUP = "group", "Group session"


class AppointmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    KEPT = "kept", "Kept"
    NO_SHOW = "no_show", "No-show"
    CANCELLED = "cancelled", "Cancelled"


WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]


class GroupSeries(models.Model):
    """A group that meets on the same weekday and time, every `every_weeks` weeks, from
    `first_date` (which sets the weekday) to `last_date`. Each meeting is an appointment."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="group_series")
    staff = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        related_name="group_series",
        help_text="The peer specialist who leads the group.",
    )
    topic = models.CharField(max_length=200)
    activity = models.CharField(
        "what kind of group",
        max_length=30,
        choices=Activity.choices,
        default=Activity.SKILLS_GROUP,
    )
    first_date = models.DateField()
    last_date = models.DateField()
    every_weeks = models.PositiveSmallIntegerField(default=1)
    start_time = models.TimeField()
    end_time = models.TimeField()
    modality = models.CharField(max_length=20, choices=Modality.choices, default=Modality.IN_PERSON)
    setting = models.CharField(max_length=30, choices=Setting.choices, default=Setting.COMMUNITY)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["first_date", "start_time"]
        verbose_name_plural = "group series"

    def __str__(self) -> str:
        return f"{self.topic} (weekly from {self.first_date})"

    @property
    def weekday_name(self) -> str:
        return WEEKDAYS[self.first_date.weekday()][1]

    def clean(self) -> None:
        validate_span(self.start_time, self.end_time, end_field="end_time", what="group")
        validate_span(self.first_date, self.last_date, end_field="last_date", what="series")
        if not 1 <= self.every_weeks <= 4:
            raise ValidationError({"every_weeks": "A group meets every 1 to 4 weeks."})


class Appointment(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="appointments")
    staff = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="appointments")
    kind = models.CharField(
        max_length=10, choices=AppointmentKind.choices, default=AppointmentKind.INDIVIDUAL
    )
    person = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointments",
        help_text="Whom the appointment is with (empty for a group session).",
    )
    series = models.ForeignKey(
        GroupSeries, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    topic = models.CharField(max_length=200, blank=True)
    date = models.DateField()
    start_time = models.TimeField()
    end_time = models.TimeField()
    modality = models.CharField(max_length=20, choices=Modality.choices, default=Modality.IN_PERSON)
    setting = models.CharField(max_length=30, choices=Setting.choices, default=Setting.COMMUNITY)
    status = models.CharField(
        max_length=10, choices=AppointmentStatus.choices, default=AppointmentStatus.SCHEDULED
    )
    reason = models.TextField(
        blank=True, help_text="Why it was cancelled or missed, in plain words."
    )
    note = models.OneToOneField(
        ServiceNote,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appointment",
        help_text="The note written from this appointment.",
    )
    group_session = models.OneToOneField(
        GroupSession,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appointment",
        help_text="The group session started from this appointment.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["date", "start_time", "pk"]
        indexes = [
            models.Index(fields=["staff", "date"]),
            models.Index(fields=["person", "date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="individual") & models.Q(person__isnull=False))
                | (models.Q(kind="group") & models.Q(person__isnull=True)),
                name="appointment_person_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"Appointment #{self.pk} {self.date} {self.get_status_display()}"

    @property
    def is_group(self) -> bool:
        return self.kind == AppointmentKind.GROUP

    @property
    def open(self) -> bool:
        return self.status == AppointmentStatus.SCHEDULED

    def clean(self) -> None:
        validate_span(self.start_time, self.end_time, end_field="end_time", what="appointment")
        if self.kind == AppointmentKind.INDIVIDUAL and self.person_id is None:
            raise ValidationError({"person": "Say whom the appointment is with."})
        if self.kind == AppointmentKind.GROUP:
            if self.person_id is not None:
                raise ValidationError({"person": "A group session is not with one person."})
            if not self.topic.strip():
                raise ValidationError({"topic": "Name the group's topic."})
        if self.status == AppointmentStatus.CANCELLED and not self.reason.strip():
            raise ValidationError({"reason": "Say who cancelled and why."})
