"""Utilization review in the browser: the queue of requests before the reviewer's payer,
and one request's page with the record, the criteria, the decision clock and the decision."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from peerpath.access.capabilities import Cap
from peerpath.access.permissions import declare
from peerpath.access.scope import people_visible_to, staff_of
from peerpath.access.services import log_access, logged_person_read
from peerpath.consent.part2 import part2_diagnosis_ids, part2_plan_ids
from peerpath.consent.services import REDISCLOSURE_NOTICE, active_consent, disclosure_record
from peerpath.staff.models import StaffMember

from .forms import FIELD_FOR, DecisionForm
from .models import Authorization, AuthStatus
from .selectors import RequestReview, request_review, review_queue, suggested_reason
from .services import authorization_decide


def _reviewer(request: HttpRequest) -> StaffMember:
    staff = staff_of(request.user)
    if staff is None:  # the declaration lets only reviewers with a staff record through
        raise Http404
    return staff


@declare(Cap.DECIDE_AUTHORIZATION)
def queue(request: HttpRequest) -> HttpResponse:
    reviewer = _reviewer(request)
    rows = review_queue(reviewer, now=timezone.now())
    # The queue shows names and Medicaid IDs: a read of PHI, logged once for the list.
    log_access(
        user=request.user,
        action="search",
        record_type="authorizations.Authorization",
        record_id="",
        reason="review queue",
        request=request,
    )
    return render(request, "authorizations/queue.html", {"rows": rows, "reviewer": reviewer})


@declare(Cap.DECIDE_AUTHORIZATION)
def review(request: HttpRequest, authorization_id: int) -> HttpResponse:
    """A request of the reviewer's payer (404 for any other, so ids reveal nothing)."""
    reviewer = _reviewer(request)
    auth = get_object_or_404(
        Authorization.objects.select_related("person__payer", "payer", "reviewer"),
        pk=authorization_id,
        payer_id=reviewer.payer_id,
    )
    if not people_visible_to(request.user).filter(pk=auth.person_id).exists():
        raise Http404
    logged_person_read(request, auth.person, "authorizations.Authorization", record_id=auth.pk)
    now = timezone.now()
    data = request_review(auth, now=now)
    _apply_part2(request, data, now)
    suggestion = suggested_reason(data.criteria)
    pending = auth.status == AuthStatus.REQUESTED
    form = DecisionForm(authorization=auth, suggestion=suggestion) if pending else None
    status = 200
    if request.method == "POST":
        if not pending:
            messages.error(request, "This request has already been decided.")
            return render(
                request, "authorizations/review.html", {"review": data, "form": None}, status=409
            )
        form = DecisionForm(request.POST, authorization=auth, suggestion=suggestion)
        if form.is_valid():
            try:
                decided = _decide(request, auth, reviewer, form, now)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(FIELD_FOR.get(field), error)
            else:
                messages.success(
                    request,
                    f"{decided.get_status_display()}: request of {auth.person.display_name} "
                    "recorded.",
                )
                return redirect("um-request", authorization_id=auth.pk)
        status = 400
    return render(
        request,
        "authorizations/review.html",
        {"review": data, "form": form, "redisclosure_notice": REDISCLOSURE_NOTICE},
        status=status,
    )


def _apply_part2(request: HttpRequest, data: RequestReview, now: dt.datetime) -> None:
    """The reviewer works for the payer: showing them the record is a disclosure. Records that
    identify a substance use disorder go only under the person's consent to disclose to this
    payer for payment; otherwise they are left out and the reviewer is told why. What is
    shown under consent is added to the person's accounting of disclosures."""
    person, auth = data.person, data.authorization
    sud_dx = part2_diagnosis_ids(person)
    sud_plans = part2_plan_ids(person)
    plan = data.chart.plan
    identifies = bool(sud_dx) or (plan is not None and plan.pk in sud_plans)
    if not identifies:
        return
    consent = active_consent(person, payer=auth.payer, purpose="payment", on=now.date())
    data.part2_consent = consent
    if consent is None:
        data.chart.diagnoses = [d for d in data.chart.diagnoses if d.pk not in sud_dx]
        if plan is not None and plan.pk in sud_plans:
            data.chart.goals = []
        data.part2_withheld = (
            "Some of this person's records are protected by 42 CFR Part 2 and are not shown: "
            "there is no active consent from the person to share them with "
            f"{auth.payer.name} for payment. Ask the provider for the person's consent, or "
            "decide on the rest of the record."
        )
        return
    records = [{"type": "people.Diagnosis", "id": i} for i in sorted(sud_dx)]
    if plan is not None and plan.pk in sud_plans:
        records.append({"type": "plans.Plan", "id": plan.pk})
    disclosure_record(
        actor=request.user,
        person=person,
        recipient_name=auth.payer.name,
        recipient_payer=auth.payer,
        purpose="payment",
        records=records,
        consent=consent,
        part2_included=True,
        notice_included=True,
        at=now,
    )


def _decide(
    request: HttpRequest,
    auth: Authorization,
    reviewer: StaffMember,
    form: DecisionForm,
    now: dt.datetime,
) -> Authorization:
    data = form.cleaned_data
    return authorization_decide(
        actor=request.user,
        authorization=auth,
        reviewer=reviewer,
        status=data["decision"],
        decided_at=now,
        units_approved=data["units_approved"],
        number=data.get("number") or "",
        reason=data["reason"],
    )
