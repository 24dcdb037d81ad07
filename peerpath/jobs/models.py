"""A background job: one run of a long operation (a claim scrub, an 835 posting, an 837P
batch, an agency check), who started it, how far along it is and how it ended.

A job record never holds protected health information: its label, step, result and
failure are counts, dates, payer names and plain words. The one exception is `input_text`
(an uploaded file waiting to be posted), which is emptied as soon as the job ends.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Finished"
    FAILED = "failed", "Did not finish"


ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


def _live_key() -> str:
    return uuid.uuid4().hex


class Job(models.Model):
    kind = models.CharField(max_length=64, help_text="registered job kind, e.g. billing.scrub")
    target = models.CharField(
        max_length=200,
        help_text="what the job works on; one active job per kind and target",
    )
    label = models.CharField(max_length=200, help_text="what the job does, in plain words")
    agency = models.ForeignKey(
        "organizations.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_by_label = models.CharField(max_length=150, blank=True)
    params = models.JSONField(default=dict, blank=True)
    input_text = models.TextField(blank=True, help_text="an uploaded file; emptied at the end")

    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    step = models.CharField(max_length=200, blank=True)
    done = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(null=True, blank=True)

    result_summary = models.TextField(blank=True)
    result_url = models.CharField(max_length=300, blank=True)
    result = models.JSONField(default=dict, blank=True)
    failure = models.TextField(blank=True)
    problems = models.JSONField(default=list, blank=True)

    live_key = models.CharField(
        max_length=32, default=_live_key, editable=False, help_text="names its progress file"
    )
    task_id = models.CharField(max_length=64, blank=True)
    runner = models.CharField(max_length=100, blank=True, help_text="worker or command line")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    beat_at = models.DateTimeField(null=True, blank=True, help_text="last sign of life")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # The same job never runs twice at once for the same target (two people pressing
            # "Scrub" together, or the page and the command line): the database refuses it.
            models.UniqueConstraint(
                fields=["kind", "target"],
                condition=Q(status__in=["queued", "running"]),
                name="job_once_per_target",
            ),
        ]
        indexes = [
            models.Index(fields=["agency", "-created_at"], name="job_agency_recent"),
            models.Index(fields=["started_by", "-created_at"], name="job_starter_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.get_status_display().lower()})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def is_finished(self) -> bool:
        return not self.is_active
