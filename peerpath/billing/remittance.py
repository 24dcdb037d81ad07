"""Post an 835 remittance: payments, cuts and denials onto the claims and lines they answer.

`post_remittance(*, actor, text)` is all or nothing. It reads the file (refusing a cut-short,
unbalanced or unknown-code file), matches every claim and line to what the agency sent,
and only when everything matches writes the payment rows and the claims' and lines' new
status, in one transaction. Otherwise it raises `X12Error` listing each problem with its
segment number, segment ID and reason, and nothing changes. The same payment (payer and
trace number) or the same file is never posted twice.

Matching:
- a claim by its patient control number (CLP01 = CLM01), among the agency's claims;
- a line by its line item control number (REF*6R, which PeerPath sets to the claim line's
  id), or, when the payer did not echo it, by procedure, modifiers and date of service
  among the claim's lines not yet matched.

A line's outcome: refused in full (paid nothing, with a refusing reason) is denied; paid
less than its charge for a refusing reason is partly paid; otherwise (paid in full, or cut
only by pricing: the fee schedule, the person's share) it is paid. The claim is paid, denied
or partly paid from its lines.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Prefetch

from peerpath.access.scope import staff_of
from peerpath.access.services import log_access
from peerpath.core import formatting as fmt
from peerpath.core.services import Actor, record_change, save_record
from peerpath.jobs.progress import NO_PROGRESS, Progress
from peerpath.organizations.models import Agency

from .bulk import update_rows
from .models import (
    Adjustment,
    Claim,
    ClaimLine,
    ClaimPayment,
    ClaimStatus,
    LinePayment,
    LineStatus,
    Payment,
    RemittanceFile,
)
from .tally import tally_refresh
from .x12 import remit as x835
from .x12.reason_codes import ReasonCodes, reason_codes
from .x12.tokens import Problem, X12Error, amount_text

ZERO = Decimal("0")


@dataclass(frozen=True)
class _LinePlan:
    svc: x835.ServiceLine | None  # None: the claim came without line detail
    line: ClaimLine
    paid: Decimal
    units_paid: Decimal
    outcome: str
    denial_group: str
    denial_reason: str
    remarks: tuple[str, ...]


@dataclass(frozen=True)
class _ClaimPlan:
    clp: x835.ClaimPayment
    claim: Claim
    lines: tuple[_LinePlan, ...]
    status: str
    clean: bool
    # A reversal (CLP02 22): the payment it takes back, and the lines that await an answer
    # again because of it.
    reverses: ClaimPayment | None = None
    reopened: tuple[ClaimLine, ...] = ()


ANSWERED = (ClaimStatus.PAID, ClaimStatus.PARTLY_PAID, ClaimStatus.DENIED)


def _plan_reversal(
    clp: x835.ClaimPayment, claim: Claim, problems: list[Problem]
) -> _ClaimPlan | None:
    """A reversal takes back the claim's latest posted payment: the claim and its lines
    await an answer again (the payer's corrected answer usually follows in the same file).
    A claim since replaced or voided keeps that status; only the money is taken back."""
    pcn = clp.patient_control_number
    earlier = sorted(claim.payments.all(), key=lambda p: p.pk)
    if not earlier:
        problems.append(
            Problem(clp.position, "CLP", f"claim {pcn} has no posted payment to reverse")
        )
        return None
    original = earlier[-1]
    if -clp.paid != original.paid:
        problems.append(
            Problem(
                clp.position,
                "CLP",
                f"the reversal of claim {pcn} takes back {amount_text(-clp.paid)}, but "
                f"{amount_text(original.paid)} was posted for it",
            )
        )
        return None
    reopened: list[ClaimLine] = []
    if claim.status in ANSWERED:
        claim.status = ClaimStatus.SUBMITTED
        for line in claim.lines.all():
            if line.is_current and line.status in (
                LineStatus.PAID, LineStatus.PARTLY_PAID, LineStatus.DENIED,
            ):  # fmt: skip
                line.status = LineStatus.SUBMITTED
                line.paid_amount = None
                reopened.append(line)
    return _ClaimPlan(
        clp, claim, (), claim.status, False, reverses=original, reopened=tuple(reopened)
    )


def _agency_of(actor: Actor, agency: Agency | None) -> Agency:
    if agency is not None:
        return agency
    staff = staff_of(actor)
    if staff is None or staff.agency is None:
        raise X12Error([Problem(None, "", "only staff of an agency may post its remittances")])
    return staff.agency


def _first_refusal(
    adjustments: Sequence[x835.Adjustment], codes: ReasonCodes
) -> x835.Adjustment | None:
    return next((a for a in adjustments if codes.denies(a.reason)), None)


def _outcome(charge: Decimal, paid: Decimal, refusal: x835.Adjustment | None) -> str:
    if refusal is None or paid >= charge:
        return LineStatus.PAID
    return LineStatus.DENIED if paid <= 0 else LineStatus.PARTLY_PAID


def _plan_lines(
    clp: x835.ClaimPayment, claim: Claim, codes: ReasonCodes, problems: list[Problem]
) -> list[_LinePlan]:
    lines = list(claim.lines.all())
    by_id = {str(line.pk): line for line in lines}
    taken: set[int] = set()
    plans: list[_LinePlan] = []
    claim_refusal = _first_refusal(clp.adjustments, codes)
    if not clp.lines:
        # No line detail: every line shares the claim's fate, which must be all or nothing.
        if clp.paid not in (ZERO, clp.charge):
            problems.append(
                Problem(
                    clp.position,
                    "CLP",
                    f"claim {clp.patient_control_number} is paid in part without service "
                    "lines (SVC): which lines were paid cannot be told",
                )
            )
            return []
        for each in lines:
            paid = each.charge if clp.paid == clp.charge else ZERO
            outcome = _outcome(each.charge, paid, claim_refusal)
            plans.append(
                _LinePlan(
                    None, each, paid, Decimal(each.units) if paid else ZERO, outcome,
                    claim_refusal.group if claim_refusal and outcome != "paid" else "",
                    claim_refusal.reason if claim_refusal and outcome != "paid" else "",
                    clp.remarks,
                )
            )  # fmt: skip
        return plans
    for svc in clp.lines:
        line: ClaimLine | None = None
        if svc.line_control_number:
            # PeerPath sets REF*6R to the line's id: one that is not ours is a mismatch.
            line = by_id.get(svc.line_control_number)
        else:
            candidates = [
                x
                for x in lines
                if x.pk not in taken
                and x.procedure_code == svc.procedure
                and tuple(x.modifiers) == svc.modifiers
                and x.service_date == svc.service_date
            ]
            line = candidates[0] if len(candidates) == 1 else None
        where = (
            f"line control number {svc.line_control_number}"
            if svc.line_control_number
            else f"{' '.join((svc.procedure, *svc.modifiers))} on {svc.service_date}"
        )
        if line is None:
            problems.append(
                Problem(
                    svc.position,
                    "SVC",
                    f"no line of claim {clp.patient_control_number} matches ({where})",
                )
            )
            continue
        if line.pk in taken:
            problems.append(Problem(svc.position, "SVC", f"the line ({where}) is answered twice"))
            continue
        taken.add(line.pk)
        if line.status != LineStatus.SUBMITTED:
            problems.append(
                Problem(
                    svc.position,
                    "SVC",
                    f"the line ({where}) is {line.get_status_display().lower()}, not awaiting "
                    "payment",
                )
            )
        if svc.charge != line.charge:
            problems.append(
                Problem(
                    svc.position,
                    "SVC",
                    f"SVC02 charge {amount_text(svc.charge)} differs from the "
                    f"{amount_text(line.charge)} billed on the "
                    f"line ({where})",
                )
            )
        refusal = _first_refusal(svc.adjustments, codes) or claim_refusal
        outcome = _outcome(svc.charge, svc.paid, refusal)
        plans.append(
            _LinePlan(
                svc, line, svc.paid, svc.units, outcome,
                refusal.group if refusal and outcome != "paid" else "",
                refusal.reason if refusal and outcome != "paid" else "",
                (*svc.remarks, *clp.remarks),
            )
        )  # fmt: skip
    return plans


def _claim_status(lines: Sequence[_LinePlan]) -> str:
    outcomes = {p.outcome for p in lines}
    if outcomes == {LineStatus.PAID}:
        return ClaimStatus.PAID
    if outcomes == {LineStatus.DENIED}:
        return ClaimStatus.DENIED
    return ClaimStatus.PARTLY_PAID


def _plan(
    remit: x835.Remittance835, agency: Agency, codes: ReasonCodes, problems: list[Problem]
) -> dict[int, list[_ClaimPlan]]:
    """Match every claim and line; plans by transaction position."""
    numbers = [c.patient_control_number for c in remit.claims]
    standing = ClaimPayment.objects.exclude(status_code=x835.REVERSAL).filter(
        reversed_by__isnull=True
    )
    claims = {
        c.patient_control_number: c
        for c in Claim.objects.select_for_update(of=("self",))
        .filter(patient_control_number__in=numbers, batch__agency=agency)
        .select_related("payer")
        .prefetch_related(
            Prefetch("lines", queryset=ClaimLine.objects.order_by("pk")),
            Prefetch("payments", queryset=standing),
        )
    }
    seen: set[str] = set()
    reversed_seen: set[str] = set()
    plans: dict[int, list[_ClaimPlan]] = {}
    for r in remit.remittances:
        plans[r.position] = []
        payers = set()
        # Reversals first: a corrected answer for the same claim may follow them.
        for clp in sorted(r.claims, key=lambda c: not c.is_reversal):
            pcn = clp.patient_control_number
            claim = claims.get(pcn)
            if claim is None:
                problems.append(
                    Problem(clp.position, "CLP", f"no claim {pcn} was sent by this agency")
                )
                continue
            if clp.is_reversal:
                if pcn in reversed_seen:
                    problems.append(Problem(clp.position, "CLP", f"claim {pcn} is reversed twice"))
                    continue
                reversed_seen.add(pcn)
                reversal = _plan_reversal(clp, claim, problems)
                if reversal is not None:
                    payers.add(claim.payer_id)
                    plans[r.position].append(reversal)
                continue
            if pcn in seen:
                problems.append(Problem(clp.position, "CLP", f"claim {pcn} is answered twice"))
                continue
            seen.add(pcn)
            if claim.status != ClaimStatus.SUBMITTED:
                problems.append(
                    Problem(
                        clp.position,
                        "CLP",
                        f"claim {pcn} is {claim.get_status_display().lower()}, not awaiting "
                        "payment",
                    )
                )
                continue
            if clp.charge != claim.total_charge:
                problems.append(
                    Problem(
                        clp.position,
                        "CLP",
                        f"CLP03 charge {amount_text(clp.charge)} differs from the "
                        f"{amount_text(claim.total_charge)} "
                        f"billed on claim {pcn}",
                    )
                )
            payers.add(claim.payer_id)
            lines = _plan_lines(clp, claim, codes, problems)
            status = _claim_status(lines) if lines else ClaimStatus.DENIED
            clean = claim.frequency == "1" and status == ClaimStatus.PAID
            plans[r.position].append(_ClaimPlan(clp, claim, tuple(lines), status, clean))
        if len(payers) > 1:
            problems.append(
                Problem(
                    r.position,
                    "ST",
                    "this payment answers claims sent to different payers",
                )
            )
    return plans


def _refuse_repeats(
    remit: x835.Remittance835, agency: Agency, sha: str, problems: list[Problem]
) -> None:
    earlier = RemittanceFile.objects.filter(agency=agency, file_sha256=sha).first()
    if earlier is not None:
        problems.append(
            Problem(
                None,
                "",
                f"this file was already posted on {fmt.day(earlier.posted_at)} "
                f"(remittance file #{earlier.pk})",
            )
        )
        return
    seen: set[tuple[str, str]] = set()
    for r in remit.remittances:
        key = (r.trace.originator, r.trace.reference)
        posted = (
            Payment.objects.filter(agency=agency, payer_identifier=key[0], trace_number=key[1])
            .select_related("file")
            .first()
        )
        if posted is not None or key in seen:
            when = f" on {fmt.day(posted.file.posted_at)}" if posted else " earlier in this file"
            problems.append(
                Problem(
                    r.trace.position,
                    "TRN",
                    f"payment {key[1]} from payer {key[0]} was already posted{when}",
                )
            )
        seen.add(key)


def refusal_sentence(problems: Sequence[Problem]) -> str:
    """The one sentence that matters in a refusal: a file or payment posted before says so
    first (it needs no fixing, only not posting again); otherwise the first problem, and how
    many more there are."""
    if not problems:
        return "Nothing was posted."
    first = next((p for p in problems if "already posted" in p.reason), problems[0])
    reason = first.reason[:1].upper() + first.reason[1:]
    where = f" (segment {first.position}, {first.segment_id})" if first.position else ""
    more = len(problems) - 1
    tail = f" There {'is' if more == 1 else 'are'} {fmt.number(more)} more problem" + (
        "s below." if more != 1 else " below."
    )
    return f"Nothing was posted: {reason.rstrip('.')}{where}." + (tail if more else "")


@transaction.atomic
def post_remittance(
    *,
    actor: Actor,
    text: str,
    file_name: str = "",
    agency: Agency | None = None,
    progress: Progress = NO_PROGRESS,
) -> RemittanceFile:
    """Post an 835 file for the actor's agency, or raise X12Error and change nothing."""
    agency = _agency_of(actor, agency)
    progress.step("Reading the 835 file")
    codes = reason_codes()
    remit = x835.parse_835(text, codes=codes)
    sha = hashlib.sha256(text.encode()).hexdigest()
    problems: list[Problem] = []
    _refuse_repeats(remit, agency, sha, problems)
    progress.step("Matching claims and lines to what was sent")
    plans = _plan(remit, agency, codes, problems)
    if problems:
        raise X12Error(problems)
    file = save_record(
        RemittanceFile(
            agency=agency,
            file_name=file_name[:200],
            file_text=text,
            file_sha256=sha,
            isa_control=remit.interchange.control_number[:9],
            sender_id=remit.interchange.sender_id[:15],
            posted_by=actor if isinstance(actor, User) and actor.pk else None,
            claim_count=len(remit.claims),
            line_count=sum(len(p.lines) for ps in plans.values() for p in ps),
        ),
        actor=actor,
        action="post 835",
    )
    progress.step("Posting payments to claims", total=sum(len(ps) for ps in plans.values()))
    for r in remit.remittances:
        claim_plans = plans[r.position]
        if not claim_plans:
            continue
        payment = save_record(
            Payment(
                file=file,
                agency=agency,
                payer=claim_plans[0].claim.payer,
                trace_number=r.trace.reference,
                payer_identifier=r.trace.originator,
                st_control=r.control_number,
                amount=r.payment.amount,
                method=r.payment.method,
                paid_on=r.payment.date,
            ),
            actor=actor,
        )
        _write_claims(actor, payment, claim_plans, progress)
    tally_refresh(agency.pk)
    return file


WRITE_CHUNK = 1_000


def _write_claims(
    actor: Actor, payment: Payment, plans: list[_ClaimPlan], progress: Progress
) -> None:
    """Write a payment's claims, lines and adjustments in bulk (an 835 of ten thousand lines
    is one job, not ten thousand round trips), reversals first: a corrected answer for the
    same claim may follow its reversal. The history is one change record per payment with
    its counts, and one access-log entry per person whose lines it changed."""
    for plan in plans:
        if plan.reverses is not None:
            _write_reversal(actor, payment, plan)
            progress.advance()
    answers = [p for p in plans if p.reverses is None]
    outcomes: dict[str, int] = {}
    for start in range(0, len(answers), WRITE_CHUNK):
        chunk = answers[start : start + WRITE_CHUNK]
        cps = ClaimPayment.objects.bulk_create(
            [
                ClaimPayment(
                    payment=payment,
                    claim=plan.claim,
                    status_code=plan.clp.status,
                    charge=plan.clp.charge,
                    paid=plan.clp.paid,
                    person_share=plan.clp.patient_responsibility or ZERO,
                    payer_claim_number=plan.clp.payer_claim_number[:50],
                    remarks=list(plan.clp.remarks),
                    is_clean=plan.clean,
                )
                for plan in chunk
            ]
        )
        adjustments = [
            Adjustment(
                claim_payment=cp, group=a.group, reason=a.reason, amount=a.amount,
                quantity=a.quantity,
            )
            for cp, plan in zip(cps, chunk, strict=True)
            for a in plan.clp.adjustments
        ]  # fmt: skip
        rows: list[tuple[LinePayment, ClaimPayment, _LinePlan]] = []
        for cp, plan in zip(cps, chunk, strict=True):
            for lp in plan.lines:
                row = LinePayment(
                    claim_payment=cp,
                    line=lp.line,
                    charge=lp.line.charge,
                    paid=lp.paid,
                    units_paid=lp.units_paid,
                    allowed=lp.svc.allowed if lp.svc else None,
                    outcome=lp.outcome,
                    denial_group=lp.denial_group,
                    denial_reason=lp.denial_reason,
                    remarks=list(lp.remarks),
                )
                rows.append((row, cp, lp))
                outcomes[lp.outcome] = outcomes.get(lp.outcome, 0) + 1
        LinePayment.objects.bulk_create([r for r, _, _ in rows], batch_size=WRITE_CHUNK)
        adjustments += [
            Adjustment(
                claim_payment=cp, line_payment=row, group=a.group, reason=a.reason,
                amount=a.amount, quantity=a.quantity,
            )
            for row, cp, lp in rows
            for a in (lp.svc.adjustments if lp.svc else ())
        ]  # fmt: skip
        Adjustment.objects.bulk_create(adjustments, batch_size=WRITE_CHUNK)
        update_rows(
            ClaimLine,
            ["status", "paid_amount"],
            [(lp.line.pk, [lp.outcome, lp.paid]) for _, _, lp in rows],
        )
        for _, _, lp in rows:
            lp.line.status, lp.line.paid_amount = lp.outcome, lp.paid
        update_rows(
            Claim,
            ["status", "payer_claim_number"],
            [(p.claim.pk, [p.status, p.clp.payer_claim_number[:50]]) for p in chunk],
        )
        for plan in chunk:
            plan.claim.status = plan.status
            plan.claim.payer_claim_number = plan.clp.payer_claim_number[:50]
        progress.advance(len(chunk))
    record_change(
        actor=actor,
        obj=payment,
        action="post 835",
        changes={
            "claims": len(plans),
            "reversals": len(plans) - len(answers),
            "lines": outcomes,
            "amount": str(payment.amount),
        },
    )
    people = sorted({p.claim.person_id for p in plans})
    for person_id in people:
        # Posting changes the person's claim lines: an access to their information.
        log_access(
            user=actor,
            action="change",
            record_type="billing.ClaimLine",
            record_id="",
            person_id=person_id,
            reason=f"835 posted: payment {payment.trace_number}",
        )


def _write_reversal(actor: Actor, payment: Payment, plan: _ClaimPlan) -> None:
    clp = plan.clp
    cp = save_record(
        ClaimPayment(
            payment=payment,
            claim=plan.claim,
            status_code=clp.status,
            charge=clp.charge,
            paid=clp.paid,
            person_share=clp.patient_responsibility or ZERO,
            payer_claim_number=clp.payer_claim_number,
            remarks=list(clp.remarks),
            reverses=plan.reverses,
        ),
        actor=actor,
        action="post 835 reversal",
    )
    # The reversal's adjustments (claim and lines) are kept on the claim: they mirror the
    # adjustments of the payment taken back.
    for a in (*clp.adjustments, *(a for svc in clp.lines for a in svc.adjustments)):
        save_record(
            Adjustment(
                claim_payment=cp, group=a.group, reason=a.reason, amount=a.amount,
                quantity=a.quantity,
            ),
            actor=actor,
        )  # fmt: skip
    for line in plan.reopened:
        save_record(line, actor=actor, action="post 835 reversal")
    save_record(plan.claim, actor=actor, action="post 835 reversal")
