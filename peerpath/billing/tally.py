"""The billing screen's counts, kept per agency so the screen does not count every line.

An agency's current lines by status and its held lines by reason are counted afresh by
`tally_refresh` at the end of every service that changes lines or their holds (the scrub,
releases, 837P batches and corrections, 835 posting), inside that service's transaction,
and read back by the screen in one query. Counting afresh rather than adding and
subtracting keeps one way to count (`selectors.status_counts` and `selectors.held_groups`,
which the screen still uses for anyone who sees other than a whole agency).

Concurrent writers take the agency's row with `SELECT ... FOR UPDATE` before counting, so
they count one after the other: on PostgreSQL each statement after the wait sees what the
writer before committed, so the last to commit counts everything. SQLite lets one writer in
at a time.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from peerpath.people.models import Person

from .models import LineStatus, LineTally
from .selectors import HeldGroup, held_groups, status_counts


def tally_refresh(agency_id: int) -> None:
    """Count the agency's lines afresh into its LineTally (call inside the writer's
    transaction, after its last change to lines or holds)."""
    with transaction.atomic():
        LineTally.objects.bulk_create([LineTally(agency_id=agency_id)], ignore_conflicts=True)
        row = LineTally.objects.select_for_update().get(pk=agency_id)
        people = Person.objects.filter(agency_id=agency_id)
        row.by_status = status_counts(people, outsider=False)
        row.held = [_held_out(g) for g in held_groups(people, outsider=False)]
        row.counted_at = timezone.now()
        row.save()


def _held_out(g: HeldGroup) -> dict[str, Any]:
    return {
        "rule_id": g.rule_id,
        "title": g.title,
        "fix": g.fix,
        "citation": g.citation,
        "lines": g.lines,
        "charge": str(g.charge),
    }


def tallied(agency_id: int) -> tuple[dict[str, int], list[HeldGroup]] | None:
    """The agency's counts by status and held groups as last counted, or None when they
    were never counted (no scrub yet since the table was made)."""
    row = LineTally.objects.filter(pk=agency_id).first()
    if row is None:
        return None
    counts = {s: int(row.by_status.get(s, 0)) for s in LineStatus.values}
    groups = [
        HeldGroup(
            rule_id=g["rule_id"],
            title=g["title"],
            fix=g["fix"],
            citation=g["citation"],
            lines=int(g["lines"]),
            charge=Decimal(g["charge"]),
        )
        for g in row.held
    ]
    return counts, groups


def screen_counts(
    people: QuerySet[Person], *, outsider: bool, whole_agency: int | None
) -> tuple[dict[str, int], list[HeldGroup]]:
    """The counts by status and held groups the billing screen shows for `people`: the
    agency's tally when `people` are exactly the agency's (`whole_agency`), else counted."""
    if whole_agency is not None and not outsider:
        found = tallied(whole_agency)
        if found is not None:
            return found
    return status_counts(people, outsider=outsider), held_groups(people, outsider=outsider)
