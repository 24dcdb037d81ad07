"""Helpers for pages that start a job and show its progress bar.

In a view that starts a job:

    from peerpath.jobs.pages import start_and_show

    @declare(roles={"billing", "admin"})
    @require_POST
    def scrub_start(request):
        return start_and_show(
            request, kind="billing.scrub", target=f"agency:{agency.pk}", label="Claim scrub",
            agency=agency, params={"agency_id": agency.pk}, back=reverse("billing-lines"),
        )

An htmx request gets the progress partial in place (it polls until the job ends); a plain
form post is redirected to `back?job=<id>`, and the page shows the bar with
`{% load jobs %}{% job_progress job %}` for `job = job_from_request(request)`. A page can
also show whatever job of a kind is running for its target: `active_job(kind, target)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from .models import ACTIVE, Job
from .services import JobAlreadyRunning, job_start, job_state, jobs_visible_to


def job_from_request(request: HttpRequest, param: str = "job") -> Job | None:
    """The job named by `?job=<id>` when the user may see it, else None."""
    raw = request.GET.get(param, "")
    if not raw.isdigit() or len(raw) > 18:
        return None
    return jobs_visible_to(request.user).filter(pk=int(raw)).first()


def active_job(request: HttpRequest, kind: str, target: str) -> Job | None:
    """The job of `kind` waiting or running for `target`, when the user may see it."""
    return (
        jobs_visible_to(request.user)
        .filter(kind=kind, target=target, status__in=ACTIVE)
        .order_by("-pk")
        .first()
    )


def start_and_show(
    request: HttpRequest,
    *,
    kind: str,
    target: str,
    label: str,
    back: str,
    agency: Any = None,
    params: Mapping[str, Any] | None = None,
    input_text: str = "",
) -> HttpResponse:
    """Start the job (or find the one already running) and show its progress."""
    try:
        job = job_start(
            kind=kind,
            target=target,
            label=label,
            actor=request.user,
            agency=agency,
            params=params,
            input_text=input_text,
        )
    except JobAlreadyRunning as already:
        job = already.job
        messages.info(request, str(already))
        if not jobs_visible_to(request.user).filter(pk=job.pk).exists():
            return redirect(back if _safe(request, back) else "/")
    if getattr(request, "htmx", False):
        return render(request, "jobs/_progress.html", {"state": job_state(job)})
    target_url = back if _safe(request, back) else "/"
    joiner = "&" if "?" in target_url else "?"
    return redirect(f"{target_url}{joiner}job={job.pk}")


def _safe(request: HttpRequest, url: str) -> bool:
    return url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
