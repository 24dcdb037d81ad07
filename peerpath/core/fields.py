"""Shared choices and validators used across apps."""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import models


class Modality(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    AUDIO_VIDEO = "audio_video", "Audio-video (telehealth)"
    AUDIO_ONLY = "audio_only", "Audio only (phone)"


class Setting(models.TextChoices):
    HOME = "home", "Home"
    COMMUNITY = "community", "Community"
    OFFICE = "office", "Office"
    EMERGENCY_DEPARTMENT = "emergency_department", "Emergency department"
    NATURAL_ENVIRONMENT = "natural_environment", "Person's natural environment"


class Activity(models.TextChoices):
    """What a peer contact was. The first four are the structured PSS activities (NC 8G);
    the rest are things people ask for that the service definitions do not cover, recorded
    honestly so the rules can explain why they are not billable."""

    PEER_MENTORING = "peer_mentoring", "Peer mentoring or coaching"
    RESOURCE_CONNECTING = "resource_connecting", "Recovery resource connecting"
    SKILLS_GROUP = "skills_group", "Skills-building recovery group"
    BUILDING_COMMUNITY = "building_community", "Building community"
    CRISIS_SUPPORT = "crisis_support", "Crisis plan and WRAP support"
    ADVOCACY = "advocacy", "Self-advocacy support"
    TRANSPORTATION = "transportation", "Transportation only"
    RECREATION = "recreation", "Recreation"
    HABILITATION = "habilitation", "Habilitation"
    CHILDCARE = "childcare", "Childcare"
    ACADEMIC_INSTRUCTION = "academic_instruction", "Teaching academic subjects"
    FAMILY_SERVICES = "family_services", "Service to a family member"


SpanT = TypeVar("SpanT", dt.date, dt.time)


def validate_span(
    start: SpanT | None,
    end: SpanT | None,
    *,
    end_field: str = "end",
    what: str = "span",
) -> None:
    """Raise a ValidationError on `end_field` when the span ends before it starts."""
    if start is not None and end is not None and end < start:
        raise ValidationError({end_field: f"The {what} ends ({end}) before it starts ({start})."})


class DateSpan(models.Model):
    """A start date and an optional (inclusive) end date."""

    start = models.DateField()
    end = models.DateField(null=True, blank=True, help_text="Inclusive. Empty means ongoing.")

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        validate_span(self.start, self.end)

    def active_on(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)
