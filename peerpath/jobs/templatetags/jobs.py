"""`{% load jobs %}{% job_progress job %}`: a job's progress bar, anywhere on a page. While
the job runs the box polls for its progress (htmx, every second) and stops when it ends."""

from __future__ import annotations

from typing import Any

from django import template

from peerpath.jobs.models import Job
from peerpath.jobs.services import job_state

register = template.Library()


@register.inclusion_tag("jobs/_progress.html")
def job_progress(job: Job | None) -> dict[str, Any]:
    return {"state": job_state(job) if job is not None else None}
