"""Denials as a work queue: the queue by age or amount, one refusal with its status trail and
actions (correct and resubmit, void, write off, appeal), the appeal letter, the CSV export.
Writes go through peerpath.billing.denials."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from peerpath.access.capabilities import Cap, has
from peerpath.access.permissions import declare
from peerpath.access.scope import people_visible_to
from peerpath.access.services import log_access
from peerpath.core import formatting as fmt

from . import denials as work
from . import reports
from .denial_models import DenialAction, DenialActionKind
from .exports import CHUNK, csv_response
from .models import Frequency
from .remittance_models import LinePayment
from .x12.claim837 import Claim837Error
from .x12.reason_codes import reason_codes

PAGE_SIZE = 50


def _choice(raw: str | None, allowed: dict[str, str], default: str) -> str:
    return raw if raw in allowed else default


@declare(Cap.READ_BILLING)
@require_GET
def denials(request: HttpRequest) -> HttpResponse:
    """Refused lines by reason (with the PeerPath rule that would have caught each), and the
    queue of refusals to work, oldest or largest first."""
    people = people_visible_to(request.user)
    state = _choice(request.GET.get("state"), work.STATES, "open")
    order = _choice(request.GET.get("order"), work.ORDERS, "age")
    queue = work.denial_queue(people, state=state, order=order)
    page = Paginator(queue, PAGE_SIZE).get_page(request.GET.get("page"))
    for refusal in page:
        refusal.days = work.days_waiting(refusal)  # type: ignore[attr-defined]
        refusal.stands = work.where_it_stands(refusal)  # type: ignore[attr-defined]
    log_access(
        user=request.user, action="search", record_type="billing.LinePayment", record_id="",
        reason="denials list", request=request,
    )  # fmt: skip
    return render(
        request,
        "billing/denials.html",
        {
            "reasons": reports.denial_reasons(people),
            "page": page,
            "state": state,
            "order": order,
            "states": work.STATES,
            "orders": work.ORDERS,
            "query": f"state={state}&order={order}",
        },
    )


DENIAL_COLUMNS = [
    "refusal_id", "line_id", "person", "medicaid_id", "date_of_service", "procedure",
    "modifiers", "units", "payer", "payer_claim_number", "outcome", "reason", "remarks",
    "billed", "paid", "unpaid", "paid_on", "days_since_payment", "where_it_stands",
]  # fmt: skip


@declare(Cap.READ_BILLING)
@require_GET
def denials_csv(request: HttpRequest) -> HttpResponseBase:
    people = people_visible_to(request.user)
    state = _choice(request.GET.get("state"), work.STATES, "open")
    order = _choice(request.GET.get("order"), work.ORDERS, "age")
    queue = work.denial_queue(people, state=state, order=order)
    log_access(
        user=request.user, action="export", record_type="billing.LinePayment", record_id="",
        reason=f"denials CSV state={state}", request=request,
    )  # fmt: skip

    def row(r: LinePayment) -> list[object]:
        line = r.line
        return [
            r.pk, line.pk, line.person.display_name, line.person.medicaid_id, line.service_date,
            line.procedure_code, " ".join(line.modifiers), line.units, line.payer.name,
            r.claim_payment.payer_claim_number, r.get_outcome_display(),
            f"{r.denial_group}-{r.denial_reason}", " ".join(r.remarks), r.charge, r.paid,
            r.charge - r.paid, r.claim_payment.payment.paid_on, work.days_waiting(r),
            work.where_it_stands(r),
        ]  # fmt: skip

    queue = queue.select_related("claim_payment")
    return csv_response("denials", DENIAL_COLUMNS, queue.iterator(chunk_size=CHUNK), row)


def _refusal(request: HttpRequest, refusal_id: int) -> LinePayment:
    people = people_visible_to(request.user)
    return get_object_or_404(
        work.refusals(people).select_related(
            "line__person", "line__payer", "line__claim", "claim_payment__payment"
        ),
        pk=refusal_id,
    )


@declare(Cap.READ_BILLING)
@require_GET
def denial_detail(request: HttpRequest, refusal_id: int) -> HttpResponse:
    refusal = _refusal(request, refusal_id)
    log_access(
        user=request.user, action="view", record_type="billing.LinePayment",
        record_id=refusal.pk, person_id=refusal.line.person_id, reason="denial",
        request=request,
    )  # fmt: skip
    table = reason_codes()
    code = table.carc.get(refusal.denial_reason)
    trail = list(DenialAction.objects.filter(refusal=refusal).select_related("batch"))
    settled = any(a.kind in work.SETTLING for a in trail) or not refusal.line.is_current
    return render(
        request,
        "billing/denial.html",
        {
            "refusal": refusal,
            "line": refusal.line,
            "meaning": code.meaning if code else "Not in PeerPath's reason code table.",
            "rules": reports._rule_refs(table.rules_for(refusal.denial_reason, refusal.remarks)),
            "safeguards": table.safeguards_for(refusal.denial_reason, refusal.remarks),
            "trail": trail,
            "stands": work.where_it_stands(refusal),
            "days": work.days_waiting(refusal),
            "may_act": has(request.user, Cap.WRITE_BILLING) and not settled,
            "write_off_reasons": work.WRITE_OFF_REASONS,
            "unpaid": refusal.charge - refusal.paid,
        },
    )


@declare(Cap.WRITE_BILLING)
@require_POST
def denial_act(request: HttpRequest, refusal_id: int) -> HttpResponse:
    refusal = _refusal(request, refusal_id)
    action = request.POST.get("action", "")
    here = reverse("billing-denial", args=[refusal.pk])
    try:
        if action in ("correct", "void"):
            frequency = Frequency.REPLACEMENT if action == "correct" else Frequency.VOID
            batch = work.denial_resubmit(
                actor=request.user,
                refusal=refusal,
                frequency=frequency,
                note=request.POST.get("note", ""),
            )
            what = "Replacement" if action == "correct" else "Void"
            messages.success(
                request,
                f"{what} claim written in claim file {batch.file_name} "
                f"({fmt.money(batch.total_charge)}); send it to {refusal.line.payer.name}.",
            )
        elif action == "write_off":
            done = work.denial_write_off(
                actor=request.user,
                refusal=refusal,
                reason_code=request.POST.get("reason_code", ""),
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, f"{fmt.money(done.amount)} written off.")
        elif action == "appeal":
            work.denial_appeal(
                actor=request.user, refusal=refusal, argument=request.POST.get("argument", "")
            )
            messages.success(request, "Appeal recorded. Download the letter below and send it.")
        else:
            messages.error(request, "Choose what to do with this denial.")
    except Claim837Error as exc:
        messages.error(request, "The claim file was not written: " + "; ".join(exc.problems[:5]))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(here)


@declare(Cap.READ_BILLING)
@require_GET
def appeal_letter(request: HttpRequest, refusal_id: int, action_id: int) -> HttpResponse:
    refusal = _refusal(request, refusal_id)
    action = get_object_or_404(
        DenialAction.objects.filter(refusal=refusal, kind=DenialActionKind.APPEALED),
        pk=action_id,
    )
    log_access(
        user=request.user, action="export", record_type="billing.LinePayment",
        record_id=refusal.pk, person_id=refusal.line.person_id, reason="appeal letter",
        request=request,
    )  # fmt: skip
    response = HttpResponse(work.appeal_letter_pdf(action), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="appeal-{refusal.pk}-{action.pk}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
