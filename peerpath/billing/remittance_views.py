"""Remittances, denials and billing reports in the browser.

Billing staff and administrators post 835 files; auditors read everything here and post
nothing. Everything shown is limited to the people the user may see.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from peerpath.access.capabilities import Cap, has
from peerpath.access.permissions import declare
from peerpath.access.scope import people_visible_to, staff_of
from peerpath.access.services import log_access
from peerpath.core.svgcharts import data_uri
from peerpath.jobs.pages import active_job, job_from_request, start_and_show
from peerpath.people.models import Person

from . import charts, reports
from .charts import clean_claim_chart
from .jobs import POST_835, agency_target
from .models import ClaimPayment, Payment
from .x12.remit import REVERSAL, decode_835
from .x12.tokens import X12Error

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_PROBLEMS_SHOWN = 50


def _log_list(request: HttpRequest, record_type: str, reason: str) -> None:
    """A list of people's billing records is a read of PHI: one entry per page view."""
    log_access(
        user=request.user, action="search", record_type=record_type, record_id="",
        reason=reason, request=request,
    )  # fmt: skip


def _payments(people: QuerySet[Person]) -> QuerySet[Payment]:
    """Payments touching the people one may see, each with its statement figures: claims
    paid in full, denied, paid in part or adjusted, reversed; billed and paid. One query."""
    claims = "claims"
    not_reversal = ~Q(claims__status_code=REVERSAL)
    return (
        Payment.objects.filter(
            Exists(ClaimPayment.objects.filter(payment=OuterRef("pk"), claim__person__in=people))
        )
        .select_related("payer", "file")
        .annotate(
            n_claims=Count(claims),
            n_paid=Count(claims, filter=not_reversal & Q(claims__paid=F("claims__charge"))),
            n_denied=Count(claims, filter=not_reversal & Q(claims__paid=0)),
            n_reversed=Count(claims, filter=Q(claims__status_code=REVERSAL)),
            billed=Sum("claims__charge", filter=not_reversal),
        )
        .annotate(n_adjusted=F("n_claims") - F("n_paid") - F("n_denied") - F("n_reversed"))
    )


@declare(Cap.READ_BILLING)
def remittances(request: HttpRequest) -> HttpResponse:
    """Posted payments, like a bank statement (payer, check or EFT, amount, what happened to
    the claims), and (billing staff, administrators) the form to post an 835, as a job."""
    problems: list[str] = []
    can_post = has(request.user, Cap.POST_REMITTANCE)
    staff = staff_of(request.user)
    agency = staff.agency if staff is not None else None
    if request.method == "POST":
        if not can_post:
            raise PermissionDenied("Auditors read remittances; they do not post them.")
        upload = request.FILES.get("file")
        if agency is None:
            problems = ["only staff of an agency may post its remittances"]
        elif upload is None:
            problems = ["file: choose an 835 file to post"]
        elif upload.size is not None and upload.size > MAX_FILE_BYTES:
            problems = [f"file: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB"]
        else:
            try:
                text = decode_835(upload.read())  # refuses a non-ASCII byte by its offset
            except X12Error as error:
                problems = [str(p) for p in error.problems]
            else:
                name = (upload.name or "")[:200]
                return start_and_show(
                    request,
                    kind=POST_835,
                    target=agency_target(agency.pk),
                    label=f"Posting the 835 {name}".strip(),
                    agency=agency,
                    params={"agency_id": agency.pk, "file_name": name},
                    input_text=text,
                    back=reverse("billing-remittances"),
                )
    people = people_visible_to(request.user)
    page = Paginator(_payments(people).order_by("-file__posted_at", "-pk"), 25).get_page(
        request.GET.get("page")
    )
    job = job_from_request(request)
    if job is None and agency is not None:
        job = active_job(request, POST_835, agency_target(agency.pk))
    status = 400 if problems else 200
    return render(
        request,
        "billing/remittances.html",
        {
            "page": page,
            "can_post": can_post and agency is not None,
            "problems": problems[:MAX_PROBLEMS_SHOWN],
            "more_problems": max(0, len(problems) - MAX_PROBLEMS_SHOWN),
            "job": job,
        },
        status=status,
    )


@declare(Cap.READ_BILLING)
@require_GET
def remittance_detail(request: HttpRequest, file_id: int) -> HttpResponse:
    """One posted 835: each payment's summary first, then its claims in detail."""
    people = people_visible_to(request.user)
    payments = list(_payments(people).filter(file_id=file_id).order_by("pk"))
    if not payments:
        raise Http404("No such remittance among the payments you may see.")
    claims = (
        ClaimPayment.objects.filter(payment__in=payments, claim__person__in=people)
        .select_related("claim__person", "reverses")
        .prefetch_related("lines")
        .order_by("payment_id", "pk")
    )
    by_payment: dict[int, list[ClaimPayment]] = {p.pk: [] for p in payments}
    for cp in claims:
        by_payment[cp.payment_id].append(cp)
    _log_list(request, "billing.ClaimPayment", "remittance detail")
    return render(
        request,
        "billing/remittance.html",
        {
            "file": payments[0].file,
            "statements": [(p, by_payment[p.pk]) for p in payments],
        },
    )


def _day(raw: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(raw or "")
    except ValueError:
        return timezone.localdate()


@declare(Cap.READ_BILLING)
@require_GET
def billing_reports(request: HttpRequest) -> HttpResponse:
    people = people_visible_to(request.user)
    on = _day(request.GET.get("on"))
    auth_page, auth_rows = reports.units_by_authorization(
        people, on=on, page=request.GET.get("apage")
    )
    person_page, unmanaged_rows = reports.unmanaged_units(
        people, on=on, page=request.GET.get("upage")
    )
    by_reason, by_payer = reports.denial_rates(people)
    _log_list(request, "authorizations.Authorization", "billing reports: units")
    return render(
        request,
        "billing/reports.html",
        {
            "on": on,
            "auth_page": auth_page,
            "auth_rows": auth_rows,
            "person_page": person_page,
            "unmanaged_rows": unmanaged_rows,
            "aging": reports.receivables_aging(people),
            "buckets": reports.BUCKET_NAMES,
            "by_reason": by_reason,
            "by_payer": by_payer,
            "months": reports.clean_claim_rates(people),
            "benchmark_percent": round(reports.CLEAN_CLAIM_BENCHMARK * 100),
            "units_extra": f"&on={on.isoformat()}",
        },
    )


@declare(Cap.READ_BILLING)
@require_GET
def clean_claim_chart_png(request: HttpRequest) -> HttpResponse:
    rates = reports.clean_claim_rates(people_visible_to(request.user))
    response = HttpResponse(clean_claim_chart(rates), content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response


@declare(Cap.READ_BILLING)
@require_GET
def billing_glance(request: HttpRequest) -> HttpResponse:
    """The billing charts: refused lines by reason, charges awaiting payment by days waiting,
    units by payer, each with its numbers in a table. Loaded into the billing home and the
    remittances page after they show (so their own answer does not wait on it); a page of
    its own without JavaScript. Figures only, no names: nothing to log. Four queries."""
    people = people_visible_to(request.user)
    by_reason, _ = reports.denial_rates(people)
    aging = reports.receivables_aging(people)
    units = reports.units_by_payer(people)
    context = {
        "denial_bars": charts.denial_bars(by_reason),
        "denials_chart": data_uri(charts.denials_by_reason_svg(by_reason)),
        "aging": aging,
        "aging_chart": data_uri(charts.aging_svg(aging)),
        "buckets": reports.BUCKET_NAMES,
        "units": units,
        "units_chart": data_uri(charts.units_by_payer_svg(units)),
        "stages": [words for _, words, _ in reports.UNIT_STAGES],
    }
    partial = bool(getattr(request, "htmx", False))
    template = "billing/_glance.html" if partial else "billing/glance.html"
    return render(request, template, context)
