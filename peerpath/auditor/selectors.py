"""The auditor's workspace (read-only): the policy engine's findings over the auditor's
scope, counted by rule, provider, peer specialist, payer and month; a reproducible sample
of signed notes for record review; exports.

Findings stay an Arrow table (peerpath.policy.api.check_agency) while they are counted;
names are looked up only for the rows shown."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from peerpath.access.scope import User, people_visible_to, staff_of
from peerpath.core.formatting import month
from peerpath.people.models import Person
from peerpath.policy.api import Findings, check_agency, rule_title
from peerpath.services.models import NoteStatus, ServiceNote
from peerpath.staff.models import StaffMember

MONTHS = 12
SAMPLE_MAX = 200


@dataclass(frozen=True)
class Scope:
    """Whose records the auditor sees: an agency's, or a payer's members."""

    agency_id: int | None
    payer_id: int | None

    @property
    def label(self) -> str:
        return "agency" if self.agency_id is not None else "payer"


def scope_of(user: User) -> Scope | None:
    staff = staff_of(user)
    if staff is None:
        return None
    if staff.agency_id is not None:
        return Scope(staff.agency_id, None)
    if staff.payer_id is not None:
        return Scope(None, staff.payer_id)
    return None


def period(today: dt.date, months: int = MONTHS) -> tuple[dt.date, dt.date]:
    """From the first day of the month `months - 1` months back, to yesterday."""
    end = today - dt.timedelta(days=1)
    year, month = end.year, end.month - (months - 1)
    while month < 1:
        month += 12
        year -= 1
    return dt.date(year, month, 1), end


def findings_for(scope: Scope, *, start: dt.date, end: dt.date) -> Findings:
    """The engine's findings dated in the period, about the scope's people and staff."""
    found = check_agency(
        as_of=end,
        period_start=start,
        agency_ids=[scope.agency_id] if scope.agency_id is not None else None,
        payer_ids=[scope.payer_id] if scope.payer_id is not None else None,
    )
    if scope.payer_id is not None:
        # A payer audits its members' records; the staffing of agencies (findings about
        # no person) is the agencies' own business and is not shown to it.
        found = found.where(pc.is_valid(found.table.column("person_id")))
    return found


@dataclass(frozen=True)
class Count:
    key: str
    label: str
    total: int
    deny: int
    link: str = ""


def _grouped(table: pa.Table, column: str) -> list[tuple[object, int, int]]:
    """(value, findings, of which deny) per value of `column`, most findings first."""
    if table.num_rows == 0:
        return []
    deny = pc.equal(table.column("severity"), "deny").cast(pa.int64())
    t = pa.table({"k": table.column(column), "deny": deny})
    g = t.group_by("k").aggregate([("deny", "count"), ("deny", "sum")])
    rows = [
        (k, int(n), int(d or 0))
        for k, n, d in zip(
            g.column("k").to_pylist(),
            g.column("deny_count").to_pylist(),
            g.column("deny_sum").to_pylist(),
            strict=True,
        )
    ]
    rows.sort(key=lambda r: (-r[1], str(r[0])))
    return rows


@dataclass(frozen=True)
class Summary:
    start: dt.date
    end: dt.date
    total: int
    deny: int
    by_rule: list[Count]
    by_provider: list[Count]
    by_peer: list[Count]
    by_payer: list[Count]
    by_month: list[Count]


def summary(found: Findings, *, start: dt.date, end: dt.date) -> Summary:
    table = found.table
    people_ids = [p for p in set(table.column("person_id").to_pylist()) if p is not None]
    people = {
        p.pk: p for p in Person.objects.filter(pk__in=people_ids).select_related("agency", "payer")
    }
    staff_ids = [s for s in set(table.column("staff_id").to_pylist()) if s is not None]
    staff = {s.pk: s for s in StaffMember.objects.filter(pk__in=staff_ids)}
    by_rule = [Count(str(k), rule_title(str(k)), n, d) for k, n, d in _grouped(table, "rule_id")]
    by_peer = [
        Count(str(k), staff[int(str(k))].full_name if k in staff else "No staff member", n, d)
        for k, n, d in _grouped(table, "staff_id")
    ]
    # Provider and payer follow the person a finding is about (staff findings: none).
    person_col = table.column("person_id").to_pylist()
    agency = pa.array(
        [people[p].agency.name if p in people else "Staffing (no person)" for p in person_col]
    )
    payer = pa.array(
        [
            (people[p].payer.name if people[p].payer else "No payer")
            if p in people
            else "Staffing (no person)"
            for p in person_col
        ]
    )
    month = pa.array(
        [d.strftime("%Y-%m") if d else "undated" for d in table.column("date").to_pylist()]
    )
    extra = pa.table(
        {"agency": agency, "payer": payer, "month": month, "severity": table.column("severity")}
    )
    by_provider = [Count(str(k), str(k), n, d) for k, n, d in _grouped(extra, "agency")]
    by_payer = [Count(str(k), str(k), n, d) for k, n, d in _grouped(extra, "payer")]
    by_month = sorted(
        (Count(str(k), _month_label(str(k)), n, d) for k, n, d in _grouped(extra, "month")),
        key=lambda c: c.key,
    )
    deny = int(pc.sum(pc.equal(table.column("severity"), "deny").cast(pa.int64())).as_py() or 0)
    return Summary(
        start=start,
        end=end,
        total=table.num_rows,
        deny=deny,
        by_rule=by_rule,
        by_provider=by_provider,
        by_peer=by_peer,
        by_payer=by_payer,
        by_month=by_month,
    )


def _month_label(key: str) -> str:
    if len(key) == 7 and key[4] == "-":
        return month(dt.date(int(key[:4]), int(key[5:]), 1))
    return key


@dataclass(frozen=True)
class FindingRow:
    rule_id: str
    title: str
    severity: str
    date: dt.date | None
    evidence: str
    citation: str
    person: Person | None
    note_id: int | None
    staff_name: str
    fix: str


def rule_rows(found: Findings, rule_id: str, *, limit: int = 500) -> list[FindingRow]:
    """One rule's findings, newest first, with the person and note they lead to."""
    table = found.rules(rule_id).table.sort_by([("date", "descending")]).slice(0, limit)
    objects = Findings(table).objects()
    people = Person.objects.in_bulk([f.person_id for f in objects if f.person_id is not None])
    staff = StaffMember.objects.in_bulk([f.staff_id for f in objects if f.staff_id is not None])
    return [
        FindingRow(
            rule_id=f.rule_id,
            title=f.title,
            severity=f.severity,
            date=f.date,
            evidence=f.evidence,
            citation=f.citation.short(),
            person=people.get(f.person_id) if f.person_id is not None else None,
            note_id=f.subject_id if f.subject_type == "note" else None,
            staff_name=staff[f.staff_id].full_name if f.staff_id in staff else "",
            fix=f.fix,
        )
        for f in objects
    ]


@dataclass(frozen=True)
class SampleRow:
    number: int
    note: ServiceNote
    findings: int


def sample(
    user: User, *, start: dt.date, end: dt.date, size: int, seed: int, found: Findings
) -> list[SampleRow]:
    """A simple random sample of the signed notes in the period, drawn with `seed` from the
    notes in id order: the same seed, period and scope draw the same notes."""
    ids = list(
        ServiceNote.objects.filter(
            person__in=people_visible_to(user),
            status=NoteStatus.SIGNED,
            date__gte=start,
            date__lte=end,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    chosen = sorted(random.Random(seed).sample(ids, min(size, len(ids))))
    notes = ServiceNote.objects.filter(pk__in=chosen).select_related("person", "staff")
    table = found.table
    about_notes = pc.equal(table.column("subject_type"), "note")
    counts: dict[int, int] = {}
    for sid in table.filter(about_notes).column("subject_id").to_pylist():
        counts[sid] = counts.get(sid, 0) + 1
    by_pk = {n.pk: n for n in notes}
    return [
        SampleRow(i, by_pk[pk], counts.get(pk, 0)) for i, pk in enumerate(chosen, 1) if pk in by_pk
    ]


# Findings by rule over time (the workspace's chart) -----------------------------------------

TREND_RULES = 5  # rules drawn one by one; the others are added up as "Other rules"
OTHER_RULES = "Other rules"


@dataclass(frozen=True)
class RuleSeries:
    rule_id: str  # "" for the other rules added up
    title: str
    counts: list[int]  # findings dated in each month of `Trend.months`

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class Trend:
    months: list[dt.date]  # the first day of each month of the period, oldest first
    series: list[RuleSeries]  # the rules with the most findings first, then the others
    undated: int  # findings without a date (not drawn)


def months_between(start: dt.date, end: dt.date) -> list[dt.date]:
    out, day = [], start.replace(day=1)
    while day <= end:
        out.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return out


def rules_by_month(
    found: Findings, *, start: dt.date, end: dt.date, top: int = TREND_RULES
) -> Trend:
    """Findings of each rule in each month of the period, from the findings the workspace
    already has (no query): the `top` rules with the most findings one by one, the rest
    added up, and every month of the period even when nothing was found in it."""
    months = months_between(start, end)
    index = {m: i for i, m in enumerate(months)}
    table = found.table
    per_rule: dict[str, list[int]] = {}
    undated = 0
    for rule_id, day in zip(
        table.column("rule_id").to_pylist(), table.column("date").to_pylist(), strict=True
    ):
        at = index.get(day.replace(day=1)) if day is not None else None
        if at is None:
            undated += 1
            continue
        per_rule.setdefault(str(rule_id), [0] * len(months))[at] += 1
    ranked = sorted(per_rule.items(), key=lambda kv: (-sum(kv[1]), kv[0]))
    series = [RuleSeries(r, rule_title(r), counts) for r, counts in ranked[:top]]
    if len(ranked) > top:
        rest = [sum(counts[i] for _, counts in ranked[top:]) for i in range(len(months))]
        series.append(RuleSeries("", OTHER_RULES, rest))
    return Trend(months=months, series=series, undated=undated)
