"""Billing's background jobs: the claim scrub and posting an 835, each with a progress bar.

Both are all or nothing (one transaction), so a job that stops part way leaves nothing
half-written. A scrub and a posting for the same agency never run at once with themselves
(the target is the agency); see docs/jobs.md.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from peerpath.core import formatting as fmt
from peerpath.jobs.kinds import JobFailed, JobRun, Outcome, job_kind
from peerpath.organizations.models import Agency, Payer

SCRUB = "billing.scrub"
POST_835 = "billing.post_835"
SEES_BILLING_JOBS = {"billing", "admin", "auditor"}


def agency_target(agency_id: int) -> str:
    return f"agency:{agency_id}"


def _explain(error: BaseException) -> JobFailed | None:
    from django.core.exceptions import ValidationError

    from .x12.tokens import X12Error

    if isinstance(error, X12Error):
        from .remittance import refusal_sentence

        problems = [str(p) for p in error.problems]
        return JobFailed(refusal_sentence(error.problems), problems=problems)
    if isinstance(error, ValidationError):
        return JobFailed("Nothing was changed: " + " ".join(error.messages))
    return None


@job_kind(SCRUB, title="Claim scrub", roles=SEES_BILLING_JOBS, explain=_explain)
def scrub(
    run: JobRun, *, agency_id: int, payer_id: int | None = None, through: str = ""
) -> Outcome:
    from .services import lines_scrub

    agency = Agency.objects.get(pk=agency_id)
    payer = Payer.objects.get(pk=payer_id) if payer_id else None
    result = lines_scrub(
        actor=run.actor,
        agency=agency,
        payer=payer,
        through=dt.date.fromisoformat(through) if through else None,
        progress=run.progress,
    )
    words = (
        f"Scrub finished: {fmt.number(result.created)} new line"
        f"{'s' if result.created != 1 else ''}; {fmt.number(result.ready)} ready to bill, "
        f"{fmt.number(result.held)} held"
    )
    if result.voided:
        words += f", {fmt.number(result.voided)} void (note amended before billing)"
    url = reverse("billing-lines") + ("?status=held" if result.held else "?status=ready")
    return Outcome(
        summary=words + ".",
        url=url,
        data={"created": result.created, "ready": result.ready, "held": result.held},
    )


@job_kind(POST_835, title="Posting an 835", roles=SEES_BILLING_JOBS, explain=_explain)
def post_835(run: JobRun, *, agency_id: int, file_name: str = "") -> Outcome:
    from .remittance import post_remittance

    agency = Agency.objects.get(pk=agency_id)
    posted = post_remittance(
        actor=run.actor,
        text=run.input_text,
        file_name=file_name,
        agency=agency,
        progress=run.progress,
    )
    return Outcome(
        summary=(
            f"Posted: {fmt.number(posted.claim_count)} claims and "
            f"{fmt.number(posted.line_count)} lines."
        ),
        url=reverse("billing-remittance", args=[posted.pk]),
        data={"file": posted.pk},
    )
