"""The API's operations for claims and their status: a person's claim lines (ready, held
with the reason and fix, submitted, paid, denied) and the claims sent for them with what
the payer's remittances said. Read-only: making claim files stays on the billing pages.

As on the billing pages: staff of a payer (outside the agency) see only claims to their
payer, and no line held for want of a Part 2 consent (the reason itself would tell them of
a substance use disorder). Every answer is logged in the access log.

(No `from __future__ import annotations`: django-ninja reads the annotations.)
"""

from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import HttpRequest
from ninja import Query

from peerpath.access.capabilities import Cap
from peerpath.billing.models import Claim, ClaimLine, LineHold, LineStatus
from peerpath.billing.remittance_models import ClaimPayment
from peerpath.billing.selectors import PART2_HOLD
from peerpath.people.models import Person

from . import phi
from .routes import READ_ERRORS, _page, _payer, router
from .schemas import ClaimLinePage, ClaimPage
from .security import ApiError, person_in_scope, requires


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _lines(request: HttpRequest, person: Person) -> QuerySet[ClaimLine]:
    lines = ClaimLine.objects.filter(person=person)
    payer = phi.payer_staff_payer(request)
    if payer is not None:
        lines = lines.filter(payer_id=payer.pk).exclude(
            Exists(
                LineHold.objects.filter(
                    line_id=OuterRef("pk"), rule_id=PART2_HOLD, released_at__isnull=True
                )
            )
        )
    open_holds = LineHold.objects.filter(released_at__isnull=True).order_by("rule_id", "pk")
    return lines.prefetch_related(Prefetch("holds", queryset=open_holds, to_attr="open_holds"))


def _line_out(x: ClaimLine) -> dict[str, Any]:
    return {
        "id": x.pk,
        "claim_id": x.claim_id,
        "note_id": x.note_id,
        "service_date": x.service_date,
        "procedure_code": x.procedure_code,
        "modifiers": [str(m) for m in (x.modifiers or [])],
        "units": x.units,
        "charge": _money(x.charge),
        "status": x.status,
        "paid_amount": _money(x.paid_amount),
        "authorization_number": x.authorization_number,
        "holds": [
            {"rule_id": h.rule_id, "title": h.title, "fix": h.fix, "citation": h.citation}
            for h in getattr(x, "open_holds", [])
        ],
    }


@router.get(
    "/people/{person_id}/claim-lines",
    response={200: ClaimLinePage, **READ_ERRORS},
    tags=["claims"],
)
@requires(Cap.READ_BILLING)
def claim_lines_read(
    request: HttpRequest,
    person_id: int,
    status: str = Query("", max_length=20, description="Only lines in this status."),
    current: bool = Query(True, description="Only current lines (not ones replaced)."),
    cursor: str | None = Query(None, max_length=200),
    limit: int = Query(50, ge=1, le=200),
) -> dict[str, Any]:
    """The person's claim lines, one per billable note, with their status and what holds
    them (rule, plain-words fix, citation), by id, a page at a time."""
    person = person_in_scope(request, person_id)
    if status and status not in LineStatus.values:
        raise ApiError(
            422,
            "Invalid request",
            errors=[
                {"field": "status", "message": "One of: " + ", ".join(LineStatus.values) + "."}
            ],
        )
    lines = _lines(request, person)
    if status:
        lines = lines.filter(status=status)
    if current:
        lines = lines.filter(is_current=True)
    rows, nxt = _page(lines, cursor, limit)
    phi.log_read(request, person, "billing.ClaimLine", "")
    return {"items": [_line_out(x) for x in rows], "next_cursor": nxt}


def _payment_out(p: ClaimPayment) -> dict[str, Any]:
    return {
        "id": p.pk,
        "status_code": p.status_code,
        "charge": _money(p.charge),
        "paid": _money(p.paid),
        "person_share": _money(p.person_share),
        "payer_claim_number": p.payer_claim_number,
        "paid_on": p.payment.paid_on,
        "trace_number": p.payment.trace_number,
    }


@router.get("/people/{person_id}/claims", response={200: ClaimPage, **READ_ERRORS}, tags=["claims"])
@requires(Cap.READ_BILLING)
def claims_read(
    request: HttpRequest,
    person_id: int,
    cursor: str | None = Query(None, max_length=200),
    limit: int = Query(25, ge=1, le=100),
) -> dict[str, Any]:
    """The claims sent for the person (837P), each with its status, its lines and the
    payments and denials the payer's 835 remittances posted, by id, a page at a time."""
    person = person_in_scope(request, person_id)
    claims = Claim.objects.filter(person=person).select_related("payer")
    payer = phi.payer_staff_payer(request)
    if payer is not None:
        claims = claims.filter(payer_id=payer.pk)
    claims = claims.prefetch_related(
        Prefetch("lines", queryset=_lines(request, person).order_by("line_number", "pk")),
        Prefetch(
            "payments",
            queryset=ClaimPayment.objects.select_related("payment").order_by("pk"),
        ),
    )
    rows, nxt = _page(claims, cursor, limit)
    phi.log_read(request, person, "billing.Claim", "")
    return {
        "items": [
            {
                "id": c.pk,
                "payer": _payer(c.payer),
                "patient_control_number": c.patient_control_number,
                "payer_claim_number": c.payer_claim_number,
                "frequency": c.frequency,
                "first_service_date": c.first_service_date,
                "last_service_date": c.last_service_date,
                "total_charge": _money(c.total_charge),
                "status": c.status,
                "created_at": c.created_at,
                "lines": [_line_out(x) for x in c.lines.all()],
                "payments": [_payment_out(p) for p in c.payments.all()],
            }
            for c in rows
        ],
        "next_cursor": nxt,
    }
