"""Billing as an agency that keeps up would have it on the day the demo starts.

`generate()` writes the records of the window; `bill_the_demo(today=...)` then bills them with
the real service functions: claim files (837P) for every ready line of services more than a
month old, each answered by its payer's 835 (most claims paid, some denied, some partly paid)
and posted; then the last month's notes scrubbed, so the billing worklist has ready lines and
held lines with their findings. Deterministic for a given demo and day.

The `peerpath demo` and `peerpath generate` commands run it after generating; the tests of the
other modules use the generator alone, so that they judge the records from scratch.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from peerpath.billing.models import ClaimLine, LineStatus
from peerpath.billing.remittance import post_remittance
from peerpath.billing.services import batch_create, lines_scrub
from peerpath.billing.x12.remit_builder import (
    ClaimOutcome,
    LineOutcome,
    PayerInfo,
    build_835_from_837,
)
from peerpath.organizations.models import Agency, Payer

BILLED_AFTER_DAYS = 30  # services this old or older have been billed and answered
PAID_AFTER_DAYS = 12  # the 835 came this many days before today
DENIED = LineOutcome.deny("197", remarks=("N54",))  # prior authorization absent
PART_REASON = "151"  # the payer deems the information does not support this many units


@dataclass
class BillingLife:
    claims: int = 0
    remittances: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    held: int = 0
    ready: int = 0

    def summary(self) -> str:
        told = ", ".join(f"{n} {k}" for k, n in sorted(self.outcomes.items()))
        return (
            f"Billed {self.claims} claims in {self.remittances} claim files, answered by "
            f"835s ({told}); waiting: {self.ready} ready lines and {self.held} held lines."
        )


def _outcomes(
    first_charges: dict[str, Decimal], rng: random.Random
) -> tuple[dict[str, ClaimOutcome | LineOutcome | None], dict[str, int]]:
    """About nine claims in ten paid in full, the rest denied or partly paid (`first_charges`:
    each claim's number and the charge of its first line)."""
    chosen: dict[str, ClaimOutcome | LineOutcome | None] = {}
    counted = {"paid": 0, "denied": 0, "partly paid": 0}
    for number, charge in first_charges.items():
        roll = rng.random()
        if roll < 0.05:
            chosen[number] = DENIED
            counted["denied"] += 1
        elif roll < 0.10:
            # The first line paid at half its charge; the other lines of the claim in full.
            half = (charge / 2).quantize(Decimal("0.01"))
            chosen[number] = ClaimOutcome(lines={1: LineOutcome.part(half, reason=PART_REASON)})
            counted["partly paid"] += 1
        else:
            counted["paid"] += 1
    return chosen, counted


def bill_the_demo(*, today: dt.date, seed: int = 7) -> BillingLife:
    """Bill, answer and post the demo agency's older services, scrub the rest (see module
    doc). In one transaction: all or nothing."""
    rng = random.Random(seed)
    life = BillingLife(outcomes={"paid": 0, "denied": 0, "partly paid": 0})
    through = today - dt.timedelta(days=BILLED_AFTER_DAYS)
    with transaction.atomic():
        agency = Agency.objects.order_by("pk").first()
        if agency is None:
            return life
        # One scrub of every signed note (lines for all, held where a finding stops them),
        # then the older ready lines billed as that scrub left them.
        lines_scrub(actor=None, agency=agency, today=today)
        for n, payer in enumerate(Payer.objects.order_by("pk"), start=1):
            batch = batch_create(
                actor=None, agency=agency, payer=payer, through=through, today=today, scrub=False
            )
            if batch is None:
                continue
            first_charges: dict[str, Decimal] = {}
            for claim in batch.claims.order_by("pk").prefetch_related("lines"):
                lines = sorted(claim.lines.all(), key=lambda x: (x.line_number or 0, x.pk))
                first_charges[claim.patient_control_number] = lines[0].charge
            numbers = list(first_charges)
            chosen, counted = _outcomes(first_charges, rng)
            text = build_835_from_837(
                batch.file_text,
                chosen,
                paid_on=today - dt.timedelta(days=PAID_AFTER_DAYS),
                trace_number=f"EFT{today:%y%m%d}{n:03d}",
                control_number=n,
                method="ACH",
                payer=PayerInfo(name=payer.name),
            )
            post_remittance(
                actor=None, text=text, agency=agency, file_name=f"{payer.payer_id}-{today}.835"
            )
            life.claims += len(numbers)
            life.remittances += 1
            for k, v in counted.items():
                life.outcomes[k] += v
        current = ClaimLine.objects.filter(is_current=True, person__agency=agency)
        life.held = current.filter(status=LineStatus.HELD).count()
        life.ready = current.filter(status=LineStatus.READY).count()
    return life


REVIEWS_PER_TEAM = 3
REVIEW_WINDOW_DAYS = 5


def open_reviews(*, today: dt.date, seed: int = 7) -> int:
    """Each supervisor has a few of their team's notes of the last days waiting for review
    (chosen as a supervisor samples notes), so the review queue has work today. Returns how
    many reviews were opened."""
    from peerpath.services.models import NoteStatus, ServiceNote
    from peerpath.services.review import sample_for_review
    from peerpath.services.selectors import supervisees_of
    from peerpath.staff.models import Role, StaffMember

    rng = random.Random(seed * 31 + 1)
    opened = 0
    at = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=1), dt.time(17, 30)))
    with transaction.atomic():
        for supervisor in StaffMember.objects.filter(role=Role.SUPERVISOR).order_by("pk"):
            team = list(supervisees_of(supervisor, on=today).values_list("pk", flat=True))
            notes = list(
                ServiceNote.objects.filter(
                    staff_id__in=team,
                    status=NoteStatus.SIGNED,
                    kind="individual",
                    date__gte=today - dt.timedelta(days=REVIEW_WINDOW_DAYS),
                    date__lt=today,
                ).order_by("pk")
            )
            for note in rng.sample(notes, min(REVIEWS_PER_TEAM, len(notes))):
                sample_for_review(actor=None, note=note, supervisor=supervisor, at=at)
                opened += 1
    return opened
