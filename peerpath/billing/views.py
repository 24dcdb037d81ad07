"""The billing screen: lines by status with their held reasons, releasing a held line,
and the 837P files (write one for a payer, download one). Writes go through
peerpath.billing.services."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from peerpath.access.capabilities import Cap, has
from peerpath.access.permissions import declare
from peerpath.access.scope import people_visible_to, staff_of
from peerpath.access.services import log_access
from peerpath.core import formatting as fmt
from peerpath.organizations.models import Agency, Payer

from .models import ClaimBatch, ClaimLine, LineStatus
from .selectors import batches_for, held_rules, lines_for, parse_filters, status_counts
from .services import BillingError, batch_create, line_release
from .x12.claim837 import Claim837Error

PAGE_SIZE = 50


def _outsider(request: HttpRequest) -> bool:
    """Payer staff: outside the agency, so Part 2 reasons are not theirs to see."""
    staff = staff_of(request.user)
    return staff is not None and staff.agency_id is None


def _agency(request: HttpRequest) -> Agency | None:
    staff = staff_of(request.user)
    return staff.agency if staff is not None else None


@declare(Cap.READ_BILLING)
def lines(request: HttpRequest) -> HttpResponse:
    people = people_visible_to(request.user)
    outsider = _outsider(request)
    filters = parse_filters(request.GET)
    page = Paginator(lines_for(people, filters, outsider=outsider), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    # The list names people: a read of PHI, logged once per page.
    log_access(
        user=request.user,
        action="search",
        record_type="billing.ClaimLine",
        record_id="",
        reason="billing lines",
        request=request,
    )
    context = {
        "page": page,
        "filters": filters,
        "counts": status_counts(people, outsider=outsider),
        "statuses": LineStatus.choices,
        "rules": held_rules(people, outsider=outsider),
        "payers": Payer.objects.filter(people__in=people).distinct().order_by("name"),
        "may_release": has(request.user, Cap.WRITE_BILLING),
    }
    return render(request, "billing/lines.html", context)


@declare(Cap.WRITE_BILLING)
@require_POST
def line_release_view(request: HttpRequest, line_id: int) -> HttpResponse:
    line = get_object_or_404(
        ClaimLine.objects.filter(person__in=people_visible_to(request.user)), pk=line_id
    )
    try:
        line = line_release(actor=request.user, line=line, note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if line.status == LineStatus.READY:
            messages.success(request, f"The line of {fmt.day(line.service_date)} is ready to bill.")
        else:
            messages.warning(request, "Scrubbed again and still held: see the reasons below.")
    return redirect(f"{reverse('billing-lines')}?status={line.status}")


@declare(Cap.READ_BILLING)
def batches(request: HttpRequest) -> HttpResponse:
    agency = _agency(request)
    staff = staff_of(request.user)
    found = batches_for(agency.pk if agency else None, None)
    if staff is None and request.user.is_superuser:  # the site's superuser
        found = ClaimBatch.objects.select_related("payer", "created_by").defer("file_text")
    page = Paginator(found.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    payers = Payer.objects.filter(contracts__agency=agency).distinct() if agency else []
    return render(
        request,
        "billing/batches.html",
        {
            "page": page,
            "payers": payers,
            "may_write": has(request.user, Cap.WRITE_BILLING) and agency is not None,
            "today": timezone.localdate(),
        },
    )


@declare(Cap.WRITE_BILLING)
@require_POST
def batch_new(request: HttpRequest) -> HttpResponse:
    agency = _agency(request)
    if agency is None:
        raise Http404("Only an agency's staff write its claim files.")
    payer = Payer.objects.filter(contracts__agency=agency, pk=request.POST.get("payer") or 0)
    chosen = payer.distinct().first()
    through: dt.date | None = None
    if request.POST.get("through"):
        try:
            through = dt.date.fromisoformat(request.POST["through"])
        except ValueError:
            messages.error(request, "Through: give a date like 2026-09-30.")
            return redirect("billing-batches")
    if chosen is None:
        messages.error(request, "Payer: choose one of the agency's payers.")
        return redirect("billing-batches")
    try:
        batch = batch_create(actor=request.user, agency=agency, payer=chosen, through=through)
    except Claim837Error as exc:
        messages.error(request, "; ".join(exc.problems[:5]))
        return redirect("billing-batches")
    except BillingError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("billing-batches")
    if batch is None:
        messages.info(request, f"Nothing ready to bill for {chosen.name}.")
    else:
        messages.success(
            request,
            f"837P written for {chosen.name}: {batch.claim_count} claims, "
            f"{batch.line_count} lines, {fmt.money(batch.total_charge)}.",
        )
    return redirect("billing-batches")


@declare(Cap.READ_BILLING)
def batch_file(request: HttpRequest, batch_id: int) -> HttpResponse:
    agency = _agency(request)
    found = batches_for(agency.pk if agency else None, None)
    if staff_of(request.user) is None and request.user.is_superuser:
        found = ClaimBatch.objects.all()
    batch = get_object_or_404(found.defer(None), pk=batch_id)
    log_access(
        user=request.user,
        action="export",
        record_type="billing.ClaimBatch",
        record_id=batch.pk,
        reason="837P file downloaded",
        request=request,
    )
    response = HttpResponse(batch.file_text, content_type="text/plain; charset=us-ascii")
    response["Content-Disposition"] = f'attachment; filename="{batch.file_name}"'
    return response
