"""Running the queue in this process: `work_off()` runs every job waiting in django-tasks'
database queue through the same worker `peerpath worker` uses (in batch mode), then returns.
Tests use it to run jobs for real; so can a script."""

from __future__ import annotations

from django.core.management import call_command

from .models import Job, JobStatus


def work_off() -> int:
    """Run the queued jobs; return how many jobs finished while it ran."""
    before = set(
        Job.objects.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).values_list(
            "pk", flat=True
        )
    )
    call_command(
        "db_worker", batch=True, interval=0, reload=False, startup_delay=False, verbosity=0
    )
    return (
        Job.objects.filter(pk__in=before)
        .exclude(status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
        .count()
    )
