"""The billing screen: lines by status with their held reasons, releasing a held line,
and the 837P files (write one for a payer, download one). Writes go through
peerpath.billing.services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from peerpath.access.capabilities import Cap, has
from peerpath.access.permissions import declare
from peerpath.access.scope import people_visible_to, staff_of, whole_agency_of
from peerpath.access.services import log_access
from peerpath.core import formatting as fmt
from peerpath.jobs.pages import active_job, job_from_request, start_and_show
from peerpath.organizations.models import Agency, Payer

from .exports import CHUNK, csv_response
from .jobs import SCRUB, agency_target
from .models import ClaimBatch, ClaimLine, LineHold, LineStatus
from .selectors import batches_for, line_ids_for, lines_by_id, lines_for, parse_filters
from .services import BillingError, batch_create, line_release, lines_release
from .tally import screen_counts
from .x12.claim837 import Claim837Error

PAGE_SIZE = 50


def _outsider(request: HttpRequest) -> bool:
    """Payer staff: outside the agency, so Part 2 reasons are not theirs to see."""
    staff = staff_of(request.user)
    return staff is not None and staff.agency_id is None


def _agency(request: HttpRequest) -> Agency | None:
    staff = staff_of(request.user)
    return staff.agency if staff is not None else None


# What the list shows of a line and its person, payer and claim (nothing else is read).
ROW_FIELDS = (
    "service_date", "procedure_code", "modifiers", "place_of_service", "units", "charge",
    "paid_amount", "status", "person_id", "person__first_name", "person__preferred_name",
    "person__last_name", "payer__name", "claim__patient_control_number",
)  # fmt: skip
STATUS_WORDS = {value: label.removesuffix(": needs a fix before billing")
                for value, label in LineStatus.choices}  # fmt: skip


@dataclass(frozen=True)
class LineRow:
    """One line of the list as it is shown: money, days and links already written out,
    so the template looks nothing up row by row."""

    pk: int
    day: str
    person: str
    chart_url: str
    service: str
    place: str
    units: int
    charge: str
    paid: str
    payer: str
    status: str
    status_words: str
    claim: str
    holds: list[LineHold]
    release_url: str


def _rows(lines: Iterable[ClaimLine], *, may_release: bool) -> list[LineRow]:
    charts: dict[int, str] = {}
    rows = []
    for x in lines:
        if x.person_id not in charts:
            charts[x.person_id] = reverse("person-chart", args=[x.person_id])
        holds: list[LineHold] = getattr(x, "open_holds", [])
        rows.append(
            LineRow(
                pk=x.pk,
                day=fmt.day(x.service_date),
                person=x.person.display_name,
                chart_url=charts[x.person_id],
                service=" ".join([x.procedure_code or "-", *x.modifiers]),
                place=x.place_of_service,
                units=x.units,
                charge=fmt.money(x.charge),
                paid="" if x.paid_amount is None else fmt.money(x.paid_amount),
                payer=x.payer.name,
                status=x.status,
                status_words=STATUS_WORDS.get(x.status, x.status),
                claim=x.claim.patient_control_number if x.claim else "",
                holds=holds,
                release_url=reverse("billing-release", args=[x.pk])
                if holds and may_release
                else "",
            )
        )
    return rows


@declare(Cap.READ_BILLING)
def lines(request: HttpRequest) -> HttpResponse:
    people = people_visible_to(request.user)
    outsider = _outsider(request)
    filters = parse_filters(request.GET)
    counts, groups = screen_counts(
        people, outsider=outsider, whole_agency=whole_agency_of(request.user)
    )
    group = next((g for g in groups if g.rule_id == filters.rule), None)
    page = Paginator(line_ids_for(people, filters, outsider=outsider), PAGE_SIZE)
    # The counts already say how many lines the list has: no second count over every line
    # (a Paginator's count is a cached property, set here).
    if not filters.payer and not filters.rule:
        page.__dict__["count"] = counts[filters.status] if filters.status else sum(counts.values())
    elif not filters.payer and filters.status == LineStatus.HELD:
        page.__dict__["count"] = group.lines if group is not None else 0
    shown = page.get_page(request.GET.get("page"))
    # The page's lines in place of their ids (the template and tests iterate the page).
    lines_shown = lines_by_id(list(shown.object_list), fields=ROW_FIELDS)
    shown.object_list = lines_shown  # type: ignore[assignment]
    may_release = has(request.user, Cap.WRITE_BILLING)
    rows = _rows(lines_shown, may_release=may_release)
    # The list names people: a read of PHI, logged once per page.
    log_access(
        user=request.user,
        action="search",
        record_type="billing.ClaimLine",
        record_id="",
        reason="billing lines",
        request=request,
    )
    staff = staff_of(request.user)
    agency_id = staff.agency_id if staff is not None else None  # no need to read the agency
    job = job_from_request(request)
    if job is None and agency_id is not None:
        job = active_job(request, SCRUB, agency_target(agency_id))
    context = {
        "page": shown,
        "rows": rows,
        "filters": filters,
        "counts": counts,
        "statuses": LineStatus.choices,
        "groups": groups,
        "group": group,
        # The payers of the people one sees (an EXISTS per payer over the people took
        # 15 ms at 5,000 people; this, well under one).
        "payers": Payer.objects.filter(pk__in=people.values("payer_id")).order_by("name"),
        "may_release": may_release,
        "may_scrub": has(request.user, Cap.WRITE_BILLING) and agency_id is not None,
        "job": job,
    }
    return render(request, "billing/lines.html", context)


@declare(Cap.WRITE_BILLING)
@require_POST
def scrub_start(request: HttpRequest) -> HttpResponse:
    """Start a scrub of the agency's signed notes as a background job (progress on the page)."""
    agency = _agency(request)
    if agency is None:
        raise Http404("Only an agency's staff scrub its claims.")
    return start_and_show(
        request,
        kind=SCRUB,
        target=agency_target(agency.pk),
        label=f"Claim scrub for {agency.name}",
        agency=agency,
        params={"agency_id": agency.pk},
        back=reverse("billing-lines"),
    )


@declare(Cap.WRITE_BILLING)
@require_POST
def lines_release_view(request: HttpRequest) -> HttpResponse:
    """Release many held lines after one fix: every line held for a reason (`rule`), or the
    lines ticked in the list (`line`), each scrubbed again."""
    agency = _agency(request)
    if agency is None:
        raise Http404("Only an agency's staff release its lines.")
    rule = request.POST.get("rule", "").strip()[:60]
    ids = [int(x) for x in request.POST.getlist("line") if x.isdigit() and len(x) < 18]
    people = people_visible_to(request.user)
    if not ids and rule:
        ids = list(
            lines_for(people, parse_filters({"status": "held", "rule": rule}), outsider=False)
            .filter(person__agency=agency)
            .values_list("pk", flat=True)
        )
    else:
        # Only lines of people the user may see.
        ids = list(
            ClaimLine.objects.filter(pk__in=ids, person__in=people).values_list("pk", flat=True)
        )
    back = f"{reverse('billing-lines')}?status=held"
    try:
        result = lines_release(
            actor=request.user,
            agency=agency,
            line_ids=ids,
            note=request.POST.get("note", ""),
            rule_id=rule,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back + (f"&rule={rule}" if rule else ""))
    if result.still_held:
        messages.warning(request, result.summary())
    else:
        messages.success(request, result.summary())
    return redirect(back)


LINE_COLUMNS = [
    "line_id", "date_of_service", "person", "medicaid_id", "payer", "procedure", "modifiers",
    "units", "charge", "paid", "status", "claim", "held_for",
]  # fmt: skip


@declare(Cap.READ_BILLING)
def lines_csv(request: HttpRequest) -> HttpResponseBase:
    """The list as shown (same filters), every page of it, as CSV."""
    people = people_visible_to(request.user)
    filters = parse_filters(request.GET)
    found = lines_for(people, filters, outsider=_outsider(request))
    log_access(
        user=request.user,
        action="export",
        record_type="billing.ClaimLine",
        record_id="",
        reason=f"billing lines CSV {filters.query()}".strip(),
        request=request,
    )

    def row(x: ClaimLine) -> list[object]:
        return [
            x.pk, x.service_date, x.person.display_name, x.person.medicaid_id, x.payer.name,
            x.procedure_code, " ".join(x.modifiers), x.units, x.charge, x.paid_amount,
            x.get_status_display(), x.claim.patient_control_number if x.claim else "",
            "; ".join(f"{h.rule_id}: {h.title}" for h in getattr(x, "open_holds", [])),
        ]  # fmt: skip

    return csv_response("billing-lines", LINE_COLUMNS, found.iterator(chunk_size=CHUNK), row)


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
@require_http_methods(["GET", "POST"])
def batch_new(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        # A bookmark or a reload after a post: the form is on the claim files page.
        messages.info(
            request, "To write a claim file, choose a payer below and press “Write the 837P”."
        )
        return redirect("billing-batches")
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
