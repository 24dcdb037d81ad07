"""Service notes written by peer specialists, and group sessions.

A signed note is never edited: a correction is an amendment, a new note that points to the
one it replaces. The original keeps every word; only its status moves to "amended".
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models

from peerpath.core.fields import Activity, Modality, Setting, validate_span
from peerpath.organizations.models import Agency, Site
from peerpath.people.models import Person
from peerpath.plans.models import Goal, Intervention
from peerpath.staff.models import StaffMember


class SignedNoteError(ValidationError):
    """Raised when something tries to change a signed note."""


def minutes_between(start: dt.time, end: dt.time) -> int:
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


class GroupSession(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="group_sessions")
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.SET_NULL)
    topic = models.CharField(max_length=200)
    date = models.DateField()
    start_time = models.TimeField()
    end_time = models.TimeField()
    modality = models.CharField(max_length=20, choices=Modality.choices, default=Modality.IN_PERSON)
    setting = models.CharField(max_length=30, choices=Setting.choices, default=Setting.COMMUNITY)
    activity = models.CharField(
        "what kind of group",
        max_length=30,
        choices=Activity.choices,
        default=Activity.SKILLS_GROUP,
        help_text="What the group did; every attendee's note carries it, so the rules can "
        "tell a covered skills group from, say, recreation.",
    )
    facilitators = models.ManyToManyField(StaffMember, related_name="groups_facilitated")
    attendees: models.ManyToManyField[Person, GroupAttendance] = models.ManyToManyField(
        Person, through="GroupAttendance", related_name="groups"
    )
    shared_narrative = models.TextField(
        blank=True, help_text="What the group did together, shared by every attendee's note."
    )

    class Meta:
        ordering = ["-date", "start_time"]

    def __str__(self) -> str:
        return f"{self.topic} on {self.date}"

    def clean(self) -> None:
        validate_span(self.start_time, self.end_time, end_field="end_time", what="group")


class GroupAttendance(models.Model):
    session = models.ForeignKey(GroupSession, on_delete=models.CASCADE)
    person = models.ForeignKey(Person, on_delete=models.PROTECT)
    checked_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "person"], name="attend_once")]


class NoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"
    AMENDED = "amended", "Signed, then replaced by an amendment"
    DISCARDED = "discarded", "Discarded draft (kept, never billed)"


class ServiceNote(models.Model):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="notes")
    staff = models.ForeignKey(
        StaffMember,
        on_delete=models.PROTECT,
        related_name="notes",
        help_text="The peer specialist who gave the service.",
    )
    date = models.DateField()
    start_time = models.TimeField()
    end_time = models.TimeField()
    modality = models.CharField(max_length=20, choices=Modality.choices, default=Modality.IN_PERSON)
    setting = models.CharField(max_length=30, choices=Setting.choices, default=Setting.COMMUNITY)
    kind = models.CharField(
        max_length=10,
        default="individual",
        choices=[("individual", "Individual"), ("group", "Group")],
    )
    group_session = models.ForeignKey(
        GroupSession, null=True, blank=True, on_delete=models.PROTECT, related_name="notes"
    )
    activity = models.CharField(max_length=30, choices=Activity.choices)
    goal = models.ForeignKey(Goal, null=True, blank=True, on_delete=models.PROTECT)
    intervention = models.ForeignKey(Intervention, null=True, blank=True, on_delete=models.PROTECT)
    intervention_text = models.TextField("what I did", blank=True)
    purpose = models.TextField("how it supports the goal", blank=True)
    response = models.TextField("the person's response", blank=True)
    next_steps = models.TextField(blank=True)

    status = models.CharField(max_length=10, choices=NoteStatus.choices, default=NoteStatus.DRAFT)
    signed_by = models.ForeignKey(
        StaffMember, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_credential = models.CharField(max_length=40, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    amends = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="amendment"
    )
    amendment_reason = models.TextField(blank=True)

    # A historic note brought in from another system: a signed record kept as that system
    # had it, marked as such, never billed from here (it was billed, or not, over there), but
    # still judged by the rules in audits.
    legacy_source = models.CharField(
        "imported from",
        max_length=100,
        blank=True,
        help_text="The system a historic note was imported from; empty for notes written here.",
    )
    legacy_id = models.CharField(
        "id in that system", max_length=100, blank=True, help_text="The note's id there."
    )
    legacy_signer = models.CharField(
        "signed there by",
        max_length=200,
        blank=True,
        help_text="The signer's name as the other system recorded it.",
    )

    # The fields that are the note. Once signed, none of them may change.
    CONTENT_FIELDS = (
        "person_id",
        "staff_id",
        "date",
        "start_time",
        "end_time",
        "modality",
        "setting",
        "kind",
        "group_session_id",
        "activity",
        "goal_id",
        "intervention_id",
        "intervention_text",
        "purpose",
        "response",
        "next_steps",
        "signed_by_id",
        "signed_credential",
        "signed_at",
        "amends_id",
        "amendment_reason",
        "legacy_source",
        "legacy_id",
        "legacy_signer",
    )

    class Meta:
        ordering = ["-date", "-start_time"]
        indexes = [
            models.Index(fields=["person", "date"]),
            models.Index(fields=["staff", "date"]),
            models.Index(fields=["status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="draft") | models.Q(signed_at__isnull=True),
                name="draft_is_unsigned",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "discarded"])
                | (models.Q(signed_at__isnull=False) & models.Q(signed_by__isnull=False)),
                name="signed_has_signer",
            ),
            models.CheckConstraint(
                condition=models.Q(legacy_source="")
                | (models.Q(status__in=["signed", "amended"]) & ~models.Q(legacy_id="")),
                name="legacy_note_is_signed_with_id",
            ),
            models.UniqueConstraint(
                fields=["legacy_source", "legacy_id"],
                condition=~models.Q(legacy_source=""),
                name="legacy_note_once",
            ),
        ]

    def __str__(self) -> str:
        return f"Note #{self.pk} {self.date} {self.get_status_display()}"

    @property
    def is_legacy(self) -> bool:
        """Imported from another system as a signed historic record."""
        return bool(self.legacy_source)

    @property
    def minutes(self) -> int:
        return minutes_between(self.start_time, self.end_time)

    def clean(self) -> None:
        validate_span(self.start_time, self.end_time, end_field="end_time", what="note")
        if self.kind == "group" and self.group_session_id is None:
            raise ValidationError({"group_session": "A group note belongs to a group session."})
        if self.kind == "individual" and self.group_session_id is not None:
            raise ValidationError({"kind": "A note in a group session is a group note."})
        intervention, goal = self.intervention, self.goal
        if intervention is not None and goal is not None and intervention.goal_id != goal.pk:
            raise ValidationError({"intervention": "This intervention belongs to another goal."})
        if goal is not None and self.person_id and goal.plan.person_id != self.person_id:
            raise ValidationError({"goal": "This goal is in someone else's plan."})
        if self.amends_id and not self.amendment_reason.strip():
            raise ValidationError({"amendment_reason": "Say why the note is being amended."})

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            stored = (
                ServiceNote.objects.filter(pk=self.pk)
                .values(*self.CONTENT_FIELDS, "status")
                .first()
            )
            if stored is not None and stored["status"] != NoteStatus.DRAFT:
                changed = [f for f in self.CONTENT_FIELDS if stored[f] != getattr(self, f)]
                allowed_status = (stored["status"], self.status) in {
                    (NoteStatus.SIGNED, NoteStatus.SIGNED),
                    (NoteStatus.SIGNED, NoteStatus.AMENDED),
                    (NoteStatus.AMENDED, NoteStatus.AMENDED),
                    (NoteStatus.DISCARDED, NoteStatus.DISCARDED),
                }
                if changed or not allowed_status:
                    raise SignedNoteError(
                        "A signed note cannot be changed; write an amendment instead."
                        + (f" (tried to change: {', '.join(changed)})" if changed else "")
                    )
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        if self.status != NoteStatus.DRAFT:
            raise SignedNoteError("A signed or discarded note cannot be deleted.")
        return super().delete(*args, **kwargs)  # type: ignore[arg-type]


class ReviewWhy(models.TextChoices):
    FINDING = "finding", "Signed with a finding that would stop it being paid"
    NEW_PEER = "new_peer", "Written in the peer specialist's first days (agency rule)"
    SAMPLE = "sample", "Chosen for review by the supervisor"


class ReviewStatus(models.TextChoices):
    OPEN = "open", "Waiting for review"
    APPROVED = "approved", "Approved"
    RETURNED = "returned", "Returned to the peer specialist"
    RESOLVED = "resolved", "Returned, then corrected by an amendment"


class NoteReview(models.Model):
    """A supervisor's review of a signed note: why it needs one, what the peer specialist
    said when signing it with a finding, and the supervisor's decision. Rows are never
    deleted; a note returned and corrected keeps its review beside the amendment's."""

    note = models.ForeignKey(ServiceNote, on_delete=models.PROTECT, related_name="reviews")
    why = models.CharField(max_length=12, choices=ReviewWhy.choices)
    findings = models.JSONField(
        default=list,
        blank=True,
        help_text="The findings the note was signed with: rule id, title and evidence.",
    )
    peer_reason = models.TextField("why the peer specialist signed it anyway", blank=True)
    status = models.CharField(
        max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.OPEN
    )
    opened_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        StaffMember, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField("the supervisor's comment", blank=True)
    corrected_by = models.ForeignKey(
        ServiceNote,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrects_reviews",
        help_text="The amendment that answered a returned note.",
    )

    class Meta:
        ordering = ["opened_at", "pk"]
        indexes = [models.Index(fields=["status"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(why="finding") | ~models.Q(peer_reason=""),
                name="finding_review_has_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="returned") | ~models.Q(comment=""),
                name="returned_review_has_comment",
            ),
        ]

    def __str__(self) -> str:
        return f"Review of note #{self.note_id}: {self.get_status_display()}"
