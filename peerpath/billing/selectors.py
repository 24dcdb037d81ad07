"""Reads for the billing screen, in a fixed number of queries whatever the number of lines."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import (
    BigIntegerField,
    Count,
    Exists,
    F,
    Func,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)

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


def _open_hold(rule_id: str) -> Exists:
    return Exists(
        LineHold.objects.filter(line_id=OuterRef("pk"), rule_id=rule_id, released_at__isnull=True)
    )


def _current_lines(people: QuerySet[Person], *, outsider: bool) -> QuerySet[ClaimLine]:
    """The current lines of the people one may see. Conditions on holds are EXISTS
    subqueries, never joins, so no line is counted twice and no DISTINCT is needed (a
    DISTINCT over every column of the list and a count over it was most of the page's time
    on a large agency)."""
    lines: QuerySet[ClaimLine]
    if connection.vendor == "sqlite":
        # SQLite's planner, given `person_id IN (the agency's people)`, reads every line of
        # those people by the person index and sorts them all; walking the date (or status)
        # index stops after a page. A unary plus keeps it off the person index (SQLite's
        # documented way to do so), with the same rows. PostgreSQL plans this well.
        unindexed = Func(
            F("person_id"), template="+%(expressions)s", output_field=BigIntegerField()
        )
        lines = ClaimLine.objects.alias(unindexed_person=unindexed).filter(
            unindexed_person__in=people.values("pk"), is_current=True
        )
    else:
        lines = ClaimLine.objects.filter(person__in=people, is_current=True)
    if outsider:
        lines = lines.exclude(_open_hold(PART2_HOLD))
    return lines


def _filtered(
    people: QuerySet[Person], filters: LineFilters, *, outsider: bool
) -> QuerySet[ClaimLine]:
    lines = _current_lines(people, outsider=outsider)
    if filters.status:
        lines = lines.filter(status=filters.status)
    if filters.payer:
        lines = lines.filter(payer_id=filters.payer)
    if filters.rule:
        lines = lines.filter(_open_hold(filters.rule))
    return lines.order_by("-service_date", "-pk")


def _with_what_is_shown(lines: QuerySet[ClaimLine]) -> QuerySet[ClaimLine]:
    open_holds = LineHold.objects.filter(released_at__isnull=True).order_by("rule_id", "pk")
    return lines.select_related("person", "payer", "claim").prefetch_related(
        Prefetch("holds", queryset=open_holds, to_attr="open_holds")
    )


def lines_for(
    people: QuerySet[Person], filters: LineFilters, *, outsider: bool
) -> QuerySet[ClaimLine]:
    """The lines of the people one may see, filtered, newest first, with what the list shows.

    `outsider` (payer staff): lines held for want of a Part 2 consent are left out, since the
    reason itself would tell the payer of a substance use disorder."""
    return _with_what_is_shown(_filtered(people, filters, outsider=outsider))


def line_ids_for(
    people: QuerySet[Person], filters: LineFilters, *, outsider: bool
) -> QuerySet[ClaimLine, int]:
    """The ids of the lines `lines_for` gives, in its order. A page of ids comes from the
    indexes alone (`line_current_by_status` holds the person too); the page's lines are
    then read by id (`lines_by_id`). Joining every line to its person, payer and claim
    before the page was cut was most of the held-for-a-reason list's time."""
    return _filtered(people, filters, outsider=outsider).values_list("pk", flat=True)


def lines_by_id(ids: list[int], *, fields: tuple[str, ...] = ()) -> list[ClaimLine]:
    """The lines `ids` names, in that order, with what the list shows (only `fields` of
    them, when given)."""
    found = _with_what_is_shown(ClaimLine.objects.filter(pk__in=ids))
    if fields:
        found = found.only(*fields)
    by_id = {x.pk: x for x in found}
    return [by_id[i] for i in ids if i in by_id]


def status_counts(people: QuerySet[Person], *, outsider: bool) -> dict[str, int]:
    lines = _current_lines(people, outsider=outsider)
    found = dict(lines.values_list("status").annotate(n=Count("pk")).order_by())
    return {s: int(found.get(s, 0)) for s in LineStatus.values}


def held_rules(people: QuerySet[Person], *, outsider: bool) -> list[tuple[str, int]]:
    """Rules holding lines now, with how many lines each holds (for the filter)."""
    return [(g.rule_id, g.lines) for g in held_groups(people, outsider=outsider)]


@dataclass(frozen=True)
class HeldGroup:
    """Held lines sharing one reason: the rule, its plain-words title and fix, how many
    lines and how much money wait on it."""

    rule_id: str
    title: str
    fix: str
    citation: str
    lines: int
    charge: Decimal


def held_groups(people: QuerySet[Person], *, outsider: bool) -> list[HeldGroup]:
    """Held lines grouped by the reason that holds them, the most lines first. A line held
    for two reasons is in both groups."""
    holds = LineHold.objects.filter(
        released_at__isnull=True,
        line__in=_current_lines(people, outsider=outsider).filter(status=LineStatus.HELD),
    )
    if outsider:
        holds = holds.exclude(rule_id=PART2_HOLD)
    rows = (
        holds.values("rule_id")
        .annotate(
            n=Count("line_id", distinct=True),
            charge=Sum("line__charge"),
            title=Min("title"),
            fix=Min("fix"),
            citation=Min("citation"),
        )
        .order_by("-n", "rule_id")
    )
    return [
        HeldGroup(
            rule_id=r["rule_id"],
            title=r["title"],
            fix=r["fix"],
            citation=r["citation"],
            lines=int(r["n"]),
            charge=r["charge"] or Decimal("0"),
        )
        for r in rows
    ]


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
