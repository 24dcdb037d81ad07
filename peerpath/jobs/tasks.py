"""The one django-tasks task: run a recorded job by its id.

Every job kind runs through this task, so django-tasks' database backend needs to know a
single import path (`peerpath.jobs.tasks.run_job`) and the job's own record carries the
kind, parameters and progress.
"""

from __future__ import annotations

from django_tasks import TaskContext, task


@task(takes_context=True)
def run_job(context: TaskContext, job_id: int) -> str:
    from .models import Job
    from .services import job_run

    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        return "missing"
    worker = context.task_result.worker_ids[-1] if context.task_result.worker_ids else ""
    job = job_run(job, runner=f"worker {worker}".strip())
    return str(job.status)
