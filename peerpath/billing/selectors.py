"""Reads for the billing screen, in a fixed number of queries whatever the number of lines."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from peerpath.people.models import Person

from .models import ClaimBatch, ClaimLine, LineHold, LineStatus

PART2_HOLD = "BILLING.PART2_CONSENT"


@dataclass(frozen=True)
class LineFilters:
    status: str = ""
    payer: int | None = None
    rule: str = ""

    def query(self) -> str:
        parts = []
        if self.status:
            parts.append(f"status={self.status}")
        if self.payer:
            parts.append(f"payer={self.payer}")
        if self.rule:
            parts.append(f"rule={self.rule}")
        return "&".join(parts)


def parse_filters(get: dict[str, str] | object) -> LineFilters:
    """Filters from the query string; anything unknown is ignored rather than an error."""
    read = getattr(get, "get", lambda k, d="": d)
    status = str(read("status", "") or "")
    if status not in LineStatus.values:
        status = ""
    try:
        payer = int(str(read("payer", "") or "0")) or None
    except ValueError:
        payer = None
    rule = str(read("rule", "") or "").strip()[:60]
    return LineFilters(status=status, payer=payer, rule=rule)


def lines_for(
    people: QuerySet[Person], filters: LineFilters, *, outsider: bool
) -> QuerySet[ClaimLine]:
    """The lines of the people one may see, filtered, newest first, with what the list shows.

    `outsider` (payer staff): lines held for want of a Part 2 consent are left out, since the
    reason itself would tell the payer of a substance use disorder."""
    lines = ClaimLine.objects.filter(person__in=people, is_current=True)
    if outsider:
        lines = lines.exclude(holds__rule_id=PART2_HOLD, holds__released_at__isnull=True)
    if filters.status:
        lines = lines.filter(status=filters.status)
    if filters.payer:
        lines = lines.filter(payer_id=filters.payer)
    if filters.rule:
        lines = lines.filter(holds__rule_id=filters.rule, holds__released_at__isnull=True)
    open_holds = LineHold.objects.filter(released_at__isnull=True).order_by("rule_id", "pk")
    return (
        lines.select_related("person", "payer", "claim")
        .prefetch_related(Prefetch("holds", queryset=open_holds, to_attr="open_holds"))
        .order_by("-service_date", "-pk")
        .distinct()
    )


def status_counts(people: QuerySet[Person], *, outsider: bool) -> dict[str, int]:
    lines = ClaimLine.objects.filter(person__in=people, is_current=True)
    if outsider:
        lines = lines.exclude(holds__rule_id=PART2_HOLD, holds__released_at__isnull=True)
    found = dict(lines.values_list("status").annotate(n=Count("pk", distinct=True)).order_by())
    return {s: int(found.get(s, 0)) for s in LineStatus.values}


def held_rules(people: QuerySet[Person], *, outsider: bool) -> list[tuple[str, int]]:
    """Rules holding lines now, with how many lines each holds (for the filter)."""
    holds = LineHold.objects.filter(
        released_at__isnull=True, line__person__in=people, line__is_current=True
    )
    if outsider:
        holds = holds.exclude(rule_id=PART2_HOLD)
    return list(
        holds.values_list("rule_id").annotate(n=Count("line", distinct=True)).order_by("rule_id")
    )


def batches_for(agency_id: int | None, payer_id: int | None) -> QuerySet[ClaimBatch]:
    """Files an agency sent (agency staff), or files sent to a payer (payer auditors)."""
    q = Q()
    if agency_id is not None:
        q &= Q(agency_id=agency_id)
    elif payer_id is not None:
        q &= Q(payer_id=payer_id)
    else:
        return ClaimBatch.objects.none()
    return ClaimBatch.objects.filter(q).select_related("payer", "created_by").defer("file_text")
