"""The policy engine's findings for one team, grouped by rule, for the supervisor's board.

The batch engine runs once over the team's slice of the records (its people, and its staff
whether or not they carry a caseload), never person by person. The summary is cached until
any record changes: the cache key holds the newest change-history id, which every write
through the service layer moves on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Max

from peerpath.audit.models import ChangeRecord
from peerpath.policy.api import Finding, check_team

CACHE_SECONDS = 15 * 60
EXAMPLES = 8  # subjects listed under each rule; the count covers all of them


@dataclass(frozen=True)
class Example:
    """One finding under a rule: who or what it is about (ids; names are filled in by the
    page from the team it already holds) and what was found."""

    subject_type: str
    subject_id: int
    person_id: int | None
    staff_id: int | None
    date: dt.date | None
    evidence: str


@dataclass(frozen=True)
class RuleFindings:
    rule_id: str
    title: str
    category: str
    severity: str
    count: int
    citation: str
    explanation: str
    fix: str
    examples: tuple[Example, ...]


def _group(findings: Iterable[Finding]) -> list[RuleFindings]:
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_rule[f.rule_id].append(f)
    out: list[RuleFindings] = []
    for rule_id, found in by_rule.items():
        found.sort(key=lambda f: f.date or dt.date.min, reverse=True)
        first = found[0]
        citations = sorted({f.citation.short() for f in found})
        out.append(
            RuleFindings(
                rule_id=rule_id,
                title=first.title,
                category=first.category,
                severity=first.severity,
                count=len(found),
                citation="; ".join(citations),
                explanation=first.explanation,
                fix=first.fix,
                examples=tuple(
                    Example(
                        f.subject_type, f.subject_id, f.person_id, f.staff_id, f.date, f.evidence
                    )
                    for f in found[:EXAMPLES]
                ),
            )
        )
    out.sort(key=lambda r: (r.severity != "deny", -r.count, r.rule_id))
    return out


def team_findings(
    *,
    person_ids: Iterable[int],
    staff_ids: Iterable[int],
    states: Iterable[str],
    as_of: dt.date,
    period_start: dt.date,
) -> list[RuleFindings]:
    """Findings dated from `period_start` to `as_of` about the team's people, or about its
    staff (ratios, trainings), by rule: denials first, then the most frequent."""
    people = sorted(set(person_ids))
    staff = sorted(set(staff_ids))
    if not people and not staff:
        return []
    newest_change = ChangeRecord.objects.aggregate(m=Max("id"))["m"] or 0
    raw = repr((people, staff, sorted(set(states)), as_of, period_start, newest_change))
    key = "board-findings:" + hashlib.sha256(raw.encode()).hexdigest()
    cached: list[RuleFindings] | None = cache.get(key)
    if cached is not None:
        return cached
    findings = check_team(
        person_ids=people, staff_ids=staff, as_of=as_of, period_start=period_start
    ).objects()
    grouped = _group(findings)
    cache.set(key, grouped, CACHE_SECONDS)
    return grouped
