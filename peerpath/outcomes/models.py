"""Outcome measures: one administration of an instrument to a person, and its answers.

An administration is answered on the peer's phone (one question a screen, saved as it goes),
entered later from a paper form, or recorded as refused or skipped with the reason. Its
scores are computed from the answers when it is finished (peerpath.outcomes.scoring) and
kept with it, so the program view reads numbers, not answers.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from peerpath.people.models import Person
from peerpath.staff.models import StaffMember


class Occasion(models.TextChoices):
    ADMISSION = "admission", "At admission"
    FOLLOW_UP = "follow_up", "Follow-up"
    DISCHARGE = "discharge", "At discharge"
    OTHER = "other", "Other time"


class Status(models.TextChoices):
    IN_PROGRESS = "in_progress", "Being answered"
    COMPLETED = "completed", "Completed"
    REFUSED = "refused", "The person chose not to answer"
    SKIPPED = "skipped", "Not done"


class Mode(models.TextChoices):
    PHONE = "phone", "Answered on the peer's phone"
    PAPER = "paper", "Paper form, entered later"
    INTERVIEW = "interview", "Read aloud and answered together"


DONE_STATUSES = (Status.COMPLETED, Status.REFUSED, Status.SKIPPED)


class Administration(models.Model):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="measures")
    instrument = models.CharField(max_length=30, help_text="The instrument's code (BARC-10 ...)")
    occasion = models.CharField(max_length=20, choices=Occasion.choices, default=Occasion.OTHER)
    date = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.IN_PROGRESS)
    mode = models.CharField(max_length=20, choices=Mode.choices, default=Mode.PHONE)
    reason = models.TextField(blank=True, help_text="Why it was refused or not done.")
    staff = models.ForeignKey(
        StaffMember,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="measures_given",
        help_text="Who offered it to the person.",
    )
    total = models.FloatField(null=True, blank=True)
    reached = models.BooleanField(null=True, blank=True)
    scores = models.JSONField(default=dict, blank=True)
    units_before = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Units of peer support signed since the previous measure of this instrument "
        "(or since admission), as the policy engine counts them, when this one was recorded.",
    )
    started_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["person", "instrument", "date", "pk"]
        indexes = [models.Index(fields=["person", "instrument", "date"], name="measure_person_idx")]

    def __str__(self) -> str:
        return f"{self.instrument} on {self.date} ({self.status})"

    def clean(self) -> None:
        from .instruments import instruments

        if self.instrument and self.instrument not in instruments():
            raise ValidationError({"instrument": f"No instrument {self.instrument!r}."})
        if self.status in (Status.REFUSED, Status.SKIPPED) and not self.reason.strip():
            raise ValidationError({"reason": "Say why it was not done."})


class Answer(models.Model):
    administration = models.ForeignKey(
        Administration, on_delete=models.CASCADE, related_name="answers"
    )
    item = models.PositiveSmallIntegerField()
    value = models.SmallIntegerField(null=True, blank=True)
    not_applicable = models.BooleanField(default=False)

    class Meta:
        ordering = ["administration", "item"]
        constraints = [
            models.UniqueConstraint(fields=["administration", "item"], name="answer_once")
        ]

    def __str__(self) -> str:
        return f"item {self.item} = {self.value}"
