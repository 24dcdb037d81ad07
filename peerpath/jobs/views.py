"""Job pages: one job with its progress bar, the progress partial the bar polls, and the
recent jobs a user may see. Job records hold no PHI, so these reads are not access-logged."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from peerpath.access.permissions import declare

from .services import job_state, jobs_visible_to

# htmx stops polling when a poll is answered with this status (and still swaps the content).
STOP_POLLING = 286
RECENT = 50


@declare(roles="authenticated")
@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    jobs = jobs_visible_to(request.user).select_related("agency")[:RECENT]
    return render(request, "jobs/list.html", {"states": [job_state(j) for j in jobs]})


@declare(roles="authenticated")
@require_GET
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(jobs_visible_to(request.user), pk=job_id)
    return render(request, "jobs/detail.html", {"state": job_state(job)})


@declare(roles="authenticated")
@require_GET
def job_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """The inside of a progress bar's box: polled by htmx every second while the job runs."""
    job = get_object_or_404(jobs_visible_to(request.user), pk=job_id)
    state = job_state(job)
    response = render(request, "jobs/_progress_body.html", {"state": state})
    response["Cache-Control"] = "no-store"
    if state.finished:
        # Pages may refresh what the job changed: hx-trigger="peerpath:job-finished from:body".
        response["HX-Trigger"] = json.dumps(
            {"peerpath:job-finished": {"job": job.pk, "kind": job.kind, "status": job.status}}
        )
        if getattr(request, "htmx", False):
            response.status_code = STOP_POLLING
    return response
