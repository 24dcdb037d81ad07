"""Remittances, denials and billing reports in the browser.

Billing staff and administrators post 835 files; auditors read everything here and post
nothing. Everything shown is limited to the people the user may see.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from peerpath.access.capabilities import Cap, has
from peerpath.access.permissions import declare
from peerpath.access.scope import people_visible_to
from peerpath.access.services import log_access

from . import reports
from .charts import clean_claim_chart
from .models import Payment
from .remittance import post_remittance
from .x12.remit import decode_835
from .x12.tokens import X12Error

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_PROBLEMS_SHOWN = 50


def _log_list(request: HttpRequest, record_type: str, reason: str) -> None:
    """A list of people's billing records is a read of PHI: one entry per page view."""
    log_access(
        user=request.user, action="search", record_type=record_type, record_id="",
        reason=reason, request=request,
    )  # fmt: skip


@declare(Cap.READ_BILLING)
def remittances(request: HttpRequest) -> HttpResponse:
    """Posted payments, and (billing staff, administrators) the form to post an 835."""
    problems: list[str] = []
    can_post = has(request.user, Cap.POST_REMITTANCE)
    if request.method == "POST":
        if not can_post:
            raise PermissionDenied("Auditors read remittances; they do not post them.")
        upload = request.FILES.get("file")
        if upload is None:
            problems = ["file: choose an 835 file to post"]
        elif upload.size is not None and upload.size > MAX_FILE_BYTES:
            problems = [f"file: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB"]
        else:
            try:
                text = decode_835(upload.read())  # refuses a non-ASCII byte by its offset
                posted = post_remittance(actor=request.user, text=text, file_name=upload.name or "")
            except X12Error as error:
                problems = [str(p) for p in error.problems]
            else:
                messages.success(
                    request,
                    f"Posted: {posted.claim_count} claims and {posted.line_count} lines.",
                )
                return redirect("billing-remittances")
    people = people_visible_to(request.user)
    payments = (
        Payment.objects.filter(claims__claim__person__in=people)
        .distinct()
        .select_related("payer", "file")
        .order_by("-file__posted_at", "-pk")
    )
    page = Paginator(payments, 25).get_page(request.GET.get("page"))
    status = 400 if problems else 200
    return render(
        request,
        "billing/remittances.html",
        {
            "page": page,
            "can_post": can_post,
            "problems": problems[:MAX_PROBLEMS_SHOWN],
            "more_problems": max(0, len(problems) - MAX_PROBLEMS_SHOWN),
        },
        status=status,
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
