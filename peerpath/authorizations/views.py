"""Utilization review in the browser: the queue of requests before the reviewer's payer,
and one request's page with the record, the criteria, the decision clock and the decision."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from peerpath.access.capabilities import Cap
from peerpath.access.permissions import declare
from peerpath.access.scope import people_visible_to, staff_of
from peerpath.access.services import log_access, logged_person_read
from peerpath.consent.part2 import part2_diagnosis_ids, part2_plan_ids
from peerpath.consent.services import REDISCLOSURE_NOTICE, active_consent, disclosure_record
from peerpath.core.formatting import day
from peerpath.people.models import Person
from peerpath.policy.api import APPROVED_STATUSES, RequestCheck, check_request
from peerpath.staff.models import StaffMember

from .forms import FIELD_FOR, DecisionForm, RequestForm
from .models import Authorization, AuthStatus
from .pdf import notice_pdf
from .selectors import (
    RequestReview,
    criteria_rows,
    next_request,
    notice,
    request_criteria,
    request_review,
    review_queue,
    suggested_reason,
)
from .services import RequestDraft, authorization_decide, authorization_send


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
    return render(
        request,
        "authorizations/queue.html",
        {"rows": rows, "reviewer": reviewer, "just_decided": _just_decided(request, reviewer)},
    )


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
    pending = auth.status == AuthStatus.REQUESTED
    form: DecisionForm | None = None
    status = 200
    if request.method == "POST":
        if not pending:
            messages.error(request, "This request has already been decided.")
            status = 409
        else:
            # Only the criteria are needed to judge the decision (the reason offered); the
            # whole record is drawn again only when the form comes back with errors.
            determination, stay = request_criteria(auth)
            criteria = [*(determination.criteria if determination else []), *stay]
            suggestion = suggested_reason(criteria)
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
                        f"{decided.get_status_display()}: request of "
                        f"{auth.person.display_name} recorded. Its notice is ready to send.",
                    )
                    following = next_request(reviewer, now=timezone.now())
                    if following is not None:
                        return redirect(
                            f"{reverse('um-request', args=[following.pk])}?decided={auth.pk}"
                        )
                    return redirect(f"{reverse('um-queue')}?decided={auth.pk}")
            status = 400
    data = request_review(auth, now=now)
    _apply_part2(request, data, now)
    if pending and form is None:
        form = DecisionForm(authorization=auth, suggestion=suggested_reason(data.criteria))
    return render(
        request,
        "authorizations/review.html",
        {
            "review": data,
            "rows": criteria_rows(data),
            "form": form if pending else None,
            "redisclosure_notice": REDISCLOSURE_NOTICE,
            "just_decided": _just_decided(request, reviewer),
        },
        status=status,
    )


def _just_decided(request: HttpRequest, reviewer: StaffMember) -> Authorization | None:
    """The request decided a moment ago (``?decided=``), for the link to its notice."""
    raw = request.GET.get("decided", "")
    if not raw.isdigit() or len(raw) > 12 or reviewer.payer_id is None:
        return None
    return (
        Authorization.objects.select_related("person")
        .filter(pk=int(raw), payer_id=reviewer.payer_id)
        .exclude(status=AuthStatus.REQUESTED)
        .first()
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


# ---- the provider's side: a request sent from the chart ---------------------------------------


def _request_defaults(person: Person, today: dt.date) -> dict[str, object]:
    """Start a continued-stay request the day after the latest approval ends, when there is
    one still running or just ended; otherwise an initial request from today."""
    latest = person.authorizations.filter(status__in=APPROVED_STATUSES).order_by("-end").first()
    if latest is not None and latest.end >= today - dt.timedelta(days=30):
        start = latest.end + dt.timedelta(days=1)
        span = latest.end - latest.start
        return {
            "kind": "concurrent",
            "urgency": "standard",
            "start": start,
            "end": start + span,
            "units_requested": latest.units_approved or latest.units_requested,
        }
    return {"kind": "initial", "urgency": "standard", "start": today}


@declare(Cap.REQUEST_AUTHORIZATION, person_param="person_id")
def request_new(request: HttpRequest, person_id: int) -> HttpResponse:
    """Ask the payer for an authorization: check the request against the pack's criteria
    ("Check"), then send it with its evidence attached ("Send")."""
    person = get_object_or_404(Person.objects.select_related("payer"), pk=person_id)
    requester = staff_of(request.user)
    if requester is None:
        raise Http404
    logged_person_read(request, person, "authorizations.Authorization")
    now = timezone.now()
    today = timezone.localdate(now)
    form = RequestForm(request.POST or None, initial=_request_defaults(person, today))
    check: RequestCheck | None = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data

            def checked() -> RequestCheck:
                return check_request(
                    person.pk, kind=d["kind"], start=d["start"], end=d["end"], requested_on=today
                )

            if request.POST.get("action") != "send":
                check = checked()
            else:
                draft = RequestDraft(
                    kind=d["kind"],
                    urgency=d["urgency"],
                    units_requested=d["units_requested"],
                    start=d["start"],
                    end=d["end"],
                    provider_note=d["provider_note"],
                )
                try:
                    auth = authorization_send(
                        actor=request.user,
                        person=person,
                        requester=requester,
                        draft=draft,
                        now=now,
                    )
                except ValidationError as exc:
                    for field, errors in exc.message_dict.items():
                        target = field if field in form.fields else None
                        for error in errors:
                            form.add_error(target, error)
                    check = checked()
                    status = 400
                else:
                    messages.success(
                        request,
                        f"Request sent to {person.payer.name if person.payer else 'the payer'}: "
                        f"{auth.units_requested} units from {day(auth.start)} to {day(auth.end)}.",
                    )
                    return redirect("person-chart", person_id=person.pk)
        else:
            status = 400
    return render(
        request,
        "authorizations/request.html",
        {"person": person, "form": form, "check": check},
        status=status,
    )


@declare(Cap.READ_AUTHORIZATION, person_param="person_id")
def provider_notice(request: HttpRequest, person_id: int, authorization_id: int) -> HttpResponse:
    """The notice of decision, as the provider received it."""
    auth = get_object_or_404(
        Authorization.objects.select_related("person", "payer", "reviewer"),
        pk=authorization_id,
        person_id=person_id,
    )
    return _notice_response(request, auth, reverse("person-chart", args=[person_id]))


@declare(Cap.DECIDE_AUTHORIZATION)
def reviewer_notice(request: HttpRequest, authorization_id: int) -> HttpResponse:
    reviewer = _reviewer(request)
    auth = get_object_or_404(
        Authorization.objects.select_related("person", "payer", "reviewer"),
        pk=authorization_id,
        payer_id=reviewer.payer_id,
    )
    if not people_visible_to(request.user).filter(pk=auth.person_id).exists():
        raise Http404
    return _notice_response(request, auth, reverse("um-request", args=[auth.pk]))


def _notice_response(request: HttpRequest, auth: Authorization, back: str) -> HttpResponse:
    if auth.status not in (AuthStatus.APPROVED, AuthStatus.PARTIAL, AuthStatus.DENIED):
        messages.info(request, "This request is not decided yet: its notice is written then.")
        return redirect(back)
    logged_person_read(request, auth.person, "authorizations.Notice", record_id=auth.pk)
    pdf = notice_pdf(notice(auth), printed=timezone.now())
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="notice-{auth.pk}.pdf"'
    return response
