"""Working denials: the queue of refused lines by age and amount, and what can be done about
each one (correct and resubmit, void, write off, appeal), every step kept as its status trail.

A refusal is a `LinePayment` that denied a line or paid part of it. It is *open* until an
action settles it: a replacement (frequency 7) or void (8) claim was sent, or the unpaid
amount was written off. An appeal keeps it in the queue (waiting for the payer) until it is
settled. A refusal whose line was corrected some other way (the command line) is settled
too: its line is no longer the note's current one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import (
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.template.loader import render_to_string
from django.utils import timezone

from peerpath.core import formatting as fmt
from peerpath.core.services import Actor, record_change
from peerpath.people.models import Person
from peerpath.policy import api as policy

from .denial_models import SETTLING, DenialAction, DenialActionKind
from .models import ClaimBatch, Frequency
from .remittance_models import LinePayment
from .reports import REFUSED, _rule_refs
from .services import BillingError, claim_correct
from .x12.reason_codes import reason_codes

STATES = {
    "open": "Not worked yet",
    "appealed": "Appealed, waiting for the payer",
    "settled": "Settled",
    "all": "All",
}
ORDERS = {"age": "Oldest first", "amount": "Largest first"}
WRITE_OFF_REASONS = {
    "timely_filing": "Past the payer's filing limit",
    "not_covered": "Service not covered; not billable to the person",
    "small_balance": "Balance too small to pursue",
    "appeal_lost": "Appeal decided against the agency",
    "other": "Other (say why below)",
}


def _latest_action() -> Subquery:
    return Subquery(
        DenialAction.objects.filter(refusal_id=OuterRef("pk"))
        .order_by("-at", "-pk")
        .values("kind")[:1]
    )


def refusals(people: QuerySet[Person]) -> QuerySet[LinePayment]:
    """Every refusal of the people one may see, with its unpaid amount and latest action."""
    return LinePayment.objects.filter(line__person__in=people, outcome__in=REFUSED).annotate(
        unpaid=ExpressionWrapper(
            F("charge") - F("paid"), output_field=DecimalField(max_digits=12, decimal_places=2)
        ),
        last_action=_latest_action(),
    )


def _settled() -> Q:
    return Q(last_action__in=SETTLING) | Q(line__is_current=False)


def denial_queue(
    people: QuerySet[Person], *, state: str = "open", order: str = "age"
) -> QuerySet[LinePayment]:
    """The refusals to work: `state` open (no action yet), appealed, settled or all; oldest
    payment first (`age`) or the largest unpaid amount first (`amount`)."""
    found = refusals(people)
    if state == "open":
        found = found.filter(Q(last_action__isnull=True), line__is_current=True)
    elif state == "appealed":
        found = found.filter(Q(last_action=DenialActionKind.APPEALED), line__is_current=True)
    elif state == "settled":
        found = found.filter(_settled())
    ordering = (
        ("-unpaid", "claim_payment__payment__paid_on", "pk")
        if order == "amount"
        else ("claim_payment__payment__paid_on", "-unpaid", "pk")
    )
    return found.select_related(
        "line__person", "line__payer", "line__claim", "claim_payment__payment"
    ).order_by(*ordering)


def days_waiting(refusal: LinePayment, today: dt.date | None = None) -> int | None:
    paid_on = refusal.claim_payment.payment.paid_on
    if paid_on is None:
        return None
    return ((today or timezone.localdate()) - paid_on).days


def where_it_stands(refusal: LinePayment) -> str:
    last = getattr(refusal, "last_action", None)
    if last:
        return str(DenialActionKind(last).label)
    if not refusal.line.is_current:
        return "Corrected on a later claim"
    return STATES["open"]


# ---------------------------------------------------------------- actions


def _lock(refusal: LinePayment) -> LinePayment:
    found = (
        LinePayment.objects.select_for_update(of=("self",))
        .select_related("line__claim", "line__person__agency", "claim_payment__claim")
        .get(pk=refusal.pk)
    )
    settled = DenialAction.objects.filter(refusal=found, kind__in=SETTLING).first()
    if settled is not None:
        raise BillingError(
            f"This denial was already settled: {settled.get_kind_display().lower()} on "
            f"{fmt.day(settled.at)} by {settled.actor_label}."
        )
    if not found.line.is_current:
        raise BillingError("This line was already corrected on a later claim.")
    return found


def _act(
    actor: Actor,
    refusal: LinePayment,
    kind: str,
    *,
    reason: str = "",
    amount: Decimal = Decimal("0"),
    batch: ClaimBatch | None = None,
) -> DenialAction:
    user = actor if isinstance(actor, User) and actor.pk else None
    action = DenialAction.objects.create(
        refusal=refusal,
        kind=kind,
        reason=reason,
        amount=amount,
        batch=batch,
        actor=user,
        actor_label=user.get_username() if user else "system",
    )
    record_change(
        actor=actor,
        obj=action,
        action=f"billing.denial.{kind}",
        changes={
            "refusal": refusal.pk,
            "amount": str(amount),
            **({"batch": batch.pk} if batch else {}),
        },
        reason=reason,
    )
    return action


@transaction.atomic
def denial_resubmit(
    *, actor: Actor, refusal: LinePayment, frequency: str, note: str, today: dt.date | None = None
) -> ClaimBatch:
    """Correct and resubmit (frequency 7: the claim's notes billed again as they stand now,
    scrubbed first) or void (8) the claim the refusal answered, in a new 837P naming the
    payer's claim number (REF*F8). Every open refusal on that claim is settled with it."""
    note = note.strip()
    if not note:
        what = "what was corrected" if frequency == Frequency.REPLACEMENT else "why it is voided"
        raise BillingError({"note": f"Say {what}."})
    refusal = _lock(refusal)
    claim = refusal.line.claim
    if claim is None:
        raise BillingError("This line is on no claim.")
    batch = claim_correct(actor=actor, claim=claim, frequency=frequency, today=today)
    kind = (
        DenialActionKind.CORRECTED
        if frequency == Frequency.REPLACEMENT
        else DenialActionKind.VOIDED
    )
    open_on_claim = (
        refusals(Person.objects.all())
        .filter(Q(last_action__isnull=True), line__claim=claim)
        .order_by("pk")
    )
    for each in open_on_claim:
        _act(actor, each, kind, reason=note, batch=batch)
    return batch


@transaction.atomic
def denial_write_off(
    *, actor: Actor, refusal: LinePayment, reason_code: str, reason: str
) -> DenialAction:
    """Write off what the payer did not pay on the line, with a reason."""
    if reason_code not in WRITE_OFF_REASONS:
        raise BillingError({"reason_code": "Choose why the amount is written off."})
    reason = reason.strip()
    if reason_code == "other" and not reason:
        raise BillingError({"reason": "Say why the amount is written off."})
    refusal = _lock(refusal)
    words = WRITE_OFF_REASONS[reason_code] + (f": {reason}" if reason else "")
    unpaid = refusal.charge - refusal.paid
    return _act(actor, refusal, DenialActionKind.WRITTEN_OFF, reason=words, amount=unpaid)


@transaction.atomic
def denial_appeal(*, actor: Actor, refusal: LinePayment, argument: str) -> DenialAction:
    """Record an appeal of the refusal (its letter is made from the record: appeal_letter)."""
    argument = argument.strip()
    if not argument:
        raise BillingError({"argument": "Say why the payer should pay (the letter's argument)."})
    refusal = _lock(refusal)
    unpaid = refusal.charge - refusal.paid
    return _act(actor, refusal, DenialActionKind.APPEALED, reason=argument, amount=unpaid)


# ---------------------------------------------------------------- the appeal letter


@dataclass(frozen=True)
class Cited:
    label: str
    value: str
    citation: str


def appeal_context(action: DenialAction) -> dict[str, Any]:
    """What the appeal letter says: the refusal, the record that supports the service
    (note, authorization, signature, credential) and the policy it meets, each cited."""
    refusal = (
        LinePayment.objects.select_related(
            "line__person__agency",
            "line__payer",
            "line__note__staff",
            "line__claim",
            "claim_payment__payment",
            "claim_payment__claim",
        )
        .prefetch_related("adjustments")
        .get(pk=action.refusal_id)
    )
    line = refusal.line
    person = line.person
    note = line.note
    table = reason_codes()
    code = table.carc.get(refusal.denial_reason)
    in_force = policy.pack_in_force(person.pk, line.service_date)
    cited: list[Cited] = []
    for key in (
        "billing.procedure_code",
        "credential.required",
        "authorization.prior_approval_required",
        "documentation.sign_within_days",
    ):
        fig = policy.figure(person.pk, key, line.service_date)
        if fig is not None:
            value = ", ".join(map(str, fig.value)) if isinstance(fig.value, list) else fig.value
            cited.append(Cited(fig.label, str(value), fig.citation.short()))
    return {
        "action": action,
        "refusal": refusal,
        "line": line,
        "person": person,
        "agency": person.agency,
        "payer": line.payer,
        "note": note,
        "claim": refusal.claim_payment.claim,
        "payment": refusal.claim_payment.payment,
        "reason_meaning": code.meaning if code else "",
        "rules": _rule_refs(table.rules_for(refusal.denial_reason, refusal.remarks)),
        "pack": in_force,
        "cited": cited,
        "unpaid": refusal.charge - refusal.paid,
        "written": timezone.localtime(action.at),
    }


LETTER_CSS = Path(__file__).with_name("letter.css")


def appeal_letter_pdf(action: DenialAction) -> bytes:
    """The appeal letter as a PDF (WeasyPrint, imported only when a letter is made)."""
    from weasyprint import CSS, HTML

    html = render_to_string("billing/pdf/appeal.html", appeal_context(action))
    pdf: bytes = HTML(string=html).write_pdf(stylesheets=[CSS(filename=str(LETTER_CSS))])
    return pdf
