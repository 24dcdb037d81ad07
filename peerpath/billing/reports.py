"""Reads for the billing reports and the denials list, each in a fixed number of queries.

Every function takes the people the user may see (`peerpath.access.scope.people_visible_to`)
and reads only their claims, lines and authorizations.

- `denial_reasons`: refused lines grouped by reason, with the rule that would have caught it.
- `denial_rates`: the share of answered lines refused, by reason and by payer.
- `receivables_aging`: charges sent and not yet answered, by payer and days waiting.
- `clean_claim_rates`: by month of payment, the share of claims paid on first submission
  with no line refused.
- `units_by_authorization` and `unmanaged_units`: units used and left, as the person's chart
  counts them (signed notes, the pack's unit rounding).
- `units_by_payer`: the units on each payer's claim lines, by where the lines stand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from peerpath.authorizations.models import Authorization
from peerpath.people.models import Person
from peerpath.policy.api import authorization_units, rule_title
from peerpath.policy.api import unmanaged_units as _unmanaged

from .models import ClaimLine, ClaimPayment, LinePayment, LineStatus
from .x12.reason_codes import reason_codes

REFUSED = (LineStatus.DENIED, LineStatus.PARTLY_PAID)
APPROVED = ("approved", "partial")
AGING_BUCKETS = ((30, "0-30"), (60, "31-60"), (90, "61-90"), (120, "91-120"))
OVER = ">120"
BUCKET_NAMES = (*(name for _, name in AGING_BUCKETS), OVER)
# An industry rule of thumb for the share of claims paid on first submission (not a policy
# figure): behavioral-health practices commonly run 75-85% against it.
CLEAN_CLAIM_BENCHMARK = 0.95
CENT = Decimal("0.01")


@dataclass(frozen=True)
class RuleRef:
    id: str
    title: str


@dataclass(frozen=True)
class DenialReason:
    reason: str
    meaning: str
    lines: int
    amount: Decimal
    rules: tuple[RuleRef, ...]
    safeguards: tuple[str, ...]
    remarks: tuple[str, ...]


def _rule_refs(ids: Iterable[str]) -> tuple[RuleRef, ...]:
    return tuple(RuleRef(i, rule_title(i)) for i in ids)


def refused_lines(people: QuerySet[Person]) -> QuerySet[LinePayment]:
    """Line payments that refused all or part of a line, newest payment first."""
    return (
        LinePayment.objects.filter(line__person__in=people, outcome__in=REFUSED)
        .select_related("line__person", "line__payer", "claim_payment__payment")
        .order_by("-claim_payment__payment__paid_on", "-pk")
    )


def _money(value: Decimal | float | int | None) -> Decimal:
    """A sum from the database as cents (SQLite sums decimals as floats)."""
    return Decimal(str(value or 0)).quantize(CENT)


def denial_reasons(people: QuerySet[Person]) -> list[DenialReason]:
    """Refused lines by reason (CARC) and the remark codes (RARC) that came with it, most
    lines first, each with the PeerPath checks that look for that problem. One query."""
    rows = (
        LinePayment.objects.filter(line__person__in=people, outcome__in=REFUSED)
        .values("denial_reason", "remarks")
        .annotate(
            lines=Count("pk"),
            amount=Sum(
                ExpressionWrapper(
                    F("charge") - F("paid"),
                    output_field=DecimalField(max_digits=14, decimal_places=2),
                )
            ),
        )
    )
    merged: dict[tuple[str, tuple[str, ...]], list[Decimal | int]] = {}
    for row in rows:
        # The same remarks in another order are the same combination.
        key = (row["denial_reason"], tuple(sorted(set(row["remarks"] or ()))))
        total = merged.setdefault(key, [0, Decimal("0")])
        total[0] += row["lines"]
        total[1] += _money(row["amount"])
    table = reason_codes()
    out = []
    for (reason, remarks), (lines, amount) in merged.items():
        code = table.carc.get(reason)
        out.append(
            DenialReason(
                reason=reason,
                meaning=code.meaning if code else "Not in PeerPath's reason code table.",
                lines=int(lines),
                amount=Decimal(amount),
                rules=_rule_refs(table.rules_for(reason, remarks)),
                safeguards=table.safeguards_for(reason, remarks),
                remarks=remarks,
            )
        )
    return sorted(out, key=lambda d: (-d.lines, d.reason, d.remarks))


@dataclass(frozen=True)
class Rate:
    label: str
    refused: int
    answered: int

    @property
    def percent(self) -> float:
        return 100.0 * self.refused / self.answered if self.answered else 0.0


def denial_rates(people: QuerySet[Person]) -> tuple[list[Rate], list[Rate]]:
    """(by reason, by payer): refused lines out of all answered lines. Two queries."""
    answered = LinePayment.objects.filter(line__person__in=people)
    by_payer = [
        Rate(row["line__payer__name"], row["refused"], row["answered"])
        for row in answered.values("line__payer__name")
        .annotate(answered=Count("pk"), refused=Count("pk", filter=Q(outcome__in=REFUSED)))
        .order_by("line__payer__name")
    ]
    total = sum(r.answered for r in by_payer)
    by_reason = [
        Rate(row["denial_reason"], row["refused"], total)
        for row in answered.filter(outcome__in=REFUSED)
        .values("denial_reason")
        .annotate(refused=Count("pk"))
        .order_by("-refused", "denial_reason")
    ]
    return by_reason, by_payer


@dataclass
class AgingRow:
    payer: str
    amounts: dict[str, Decimal] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def cells(self) -> list[tuple[Decimal, int]]:
        return [(self.amounts.get(b, Decimal("0.00")), self.lines.get(b, 0)) for b in BUCKET_NAMES]

    @property
    def total(self) -> Decimal:
        return sum(self.amounts.values(), Decimal("0.00"))


def receivables_aging(
    people: QuerySet[Person], *, now: dt.datetime | None = None
) -> list[AgingRow]:
    """Charges sent and awaiting the payer's answer, by payer and days since the claim file
    was made (0-30, 31-60, 61-90, 91-120, over 120). One query."""
    now = now or timezone.now()
    whens = [
        When(claim__batch__created_at__gt=now - dt.timedelta(days=days), then=Value(name))
        for days, name in AGING_BUCKETS
    ]
    rows = (
        ClaimLine.objects.filter(
            person__in=people, status=LineStatus.SUBMITTED, is_current=True, claim__isnull=False
        )
        .annotate(bucket=Case(*whens, default=Value(OVER), output_field=CharField()))
        .values("payer__name", "bucket")
        .annotate(amount=Sum("charge"), lines=Count("pk"))
        .order_by("payer__name")
    )
    by_payer: dict[str, AgingRow] = {}
    for row in rows:
        entry = by_payer.setdefault(row["payer__name"], AgingRow(row["payer__name"]))
        entry.amounts[row["bucket"]] = _money(row["amount"])
        entry.lines[row["bucket"]] = row["lines"]
    return list(by_payer.values())


@dataclass(frozen=True)
class MonthRate:
    month: dt.date
    clean: int
    claims: int

    @property
    def rate(self) -> float:
        return self.clean / self.claims if self.claims else 0.0


def clean_claim_rates(people: QuerySet[Person], *, months: int = 12) -> list[MonthRate]:
    """The clean-claim rate for each of the last `months` months with payments. One query."""
    rows = (
        ClaimPayment.objects.filter(claim__person__in=people, payment__paid_on__isnull=False)
        .annotate(month=TruncMonth("payment__paid_on"))
        .values("month")
        .annotate(claims=Count("pk"), clean_claims=Count("pk", filter=Q(is_clean=True)))
        .order_by("-month")[:months]
    )
    out = []
    for row in rows:
        month = row["month"]
        if isinstance(month, dt.datetime):
            month = month.date()
        out.append(MonthRate(month, row["clean_claims"], row["claims"]))
    return sorted(out, key=lambda m: m.month)


# Units -------------------------------------------------------------------------------------

# Where a claim line stands, for the units chart: (key, words, the statuses it gathers).
UNIT_STAGES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("held", "Held", (LineStatus.HELD,)),
    ("ready", "Ready to bill", (LineStatus.READY,)),
    ("submitted", "Awaiting payment", (LineStatus.SUBMITTED,)),
    ("paid", "Paid", (LineStatus.PAID,)),
    ("refused", "Refused in whole or part", (LineStatus.DENIED, LineStatus.PARTLY_PAID)),
)
_STAGE_OF = {status: key for key, _, statuses in UNIT_STAGES for status in statuses}


@dataclass
class PayerUnits:
    payer: str
    units: dict[str, int] = field(default_factory=dict)

    @property
    def cells(self) -> list[int]:
        return [self.units.get(key, 0) for key, _, _ in UNIT_STAGES]

    @property
    def total(self) -> int:
        return sum(self.units.values())


def units_by_payer(people: QuerySet[Person]) -> list[PayerUnits]:
    """Units on each payer's current claim lines, by where the lines stand (held, ready,
    awaiting payment, paid, refused), payers by name; void lines left out. The units are
    the ones the scrub wrote on each line from the policy engine (the pack's unit rounding,
    asked of `peerpath.policy.api`): they are added up here, never counted from minutes.
    One query."""
    rows = (
        ClaimLine.objects.filter(person__in=people, is_current=True)
        .exclude(status=LineStatus.VOID)
        .values("payer__name", "status")
        .annotate(units=Sum("units"))
        .order_by("payer__name", "status")
    )
    by_payer: dict[str, PayerUnits] = {}
    for row in rows:
        entry = by_payer.setdefault(row["payer__name"], PayerUnits(row["payer__name"]))
        stage = _STAGE_OF[row["status"]]
        entry.units[stage] = entry.units.get(stage, 0) + int(row["units"] or 0)
    return list(by_payer.values())


@dataclass(frozen=True)
class AuthorizationUnits:
    authorization: Authorization
    used: int
    left: int | None


@dataclass(frozen=True)
class UnmanagedUnits:
    person: Person
    used: int
    allowed: int | None
    window_start: dt.date

    @property
    def left(self) -> int | None:
        return None if self.allowed is None else self.allowed - self.used


def units_by_authorization(
    people: QuerySet[Person], *, on: dt.date, page: int | str | None = 1, per_page: int = 50
) -> tuple[Page[Authorization], list[AuthorizationUnits]]:
    """Approved authorizations in force on `on`, with units used (signed notes in the
    authorization's dates, by the pack's unit rounding) and left. Four queries a page."""
    auths = (
        Authorization.objects.filter(
            person__in=people, status__in=APPROVED, start__lte=on, end__gte=on
        )
        .select_related("person__payer", "payer")
        .order_by("end", "pk")
    )
    shown = Paginator(auths, per_page).get_page(page)
    items = list(shown.object_list)
    counted = authorization_units([a.pk for a in items], on=on)
    rows = [AuthorizationUnits(a, counted[a.pk].used, counted[a.pk].left) for a in items]
    return shown, rows


def unmanaged_units(
    people: QuerySet[Person], *, on: dt.date, page: int | str | None = 1, per_page: int = 50
) -> tuple[Page[Person], list[UnmanagedUnits]]:
    """People with signed services in the last year, with the unmanaged units they used this
    fiscal year (services outside any approved authorization, since the later of the fiscal
    year's start and the episode's start) against the pack's allowance. Five queries a
    page."""
    year_ago = on - dt.timedelta(days=366)
    candidates = (
        people.filter(notes__status="signed", notes__date__gte=year_ago, notes__date__lte=on)
        .distinct()
        .select_related("payer")
        .order_by("last_name", "first_name", "pk")
    )
    shown = Paginator(candidates, per_page).get_page(page)
    persons = list(shown.object_list)
    counted = _unmanaged([p.pk for p in persons], on=on)
    rows = [
        UnmanagedUnits(p, counted[p.pk].used, counted[p.pk].allowed, counted[p.pk].window_start)
        for p in persons
    ]
    return shown, rows
