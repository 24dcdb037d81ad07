"""Who is judged by what: the relation that gives, for every person and day, the pack and
the contract variant that judge them, computed in SQL (ibis, so it runs on the batch engine
and on the live check's SQLite alike).

- A jurisdiction's packs are laid end to end: on each day the pack in effect with the latest
  start wins (`pack_spans`).
- A payer contract may choose another pack for its people over its own dates
  (`contracts.pack_override`, while that pack is in effect); otherwise the pack of the
  payer's state applies.
- A contract with cited figure overrides makes a *variant*: the pack with those values for
  that agency's people of that payer (`variant` = "<pack>@<agency>-<payer>"; without
  overrides the variant is the pack id).
- Staff are judged by the pack of their agency's state.

Every check (live note, group, one person, agency, scrub) and every named relation (units,
head-counts, due dates) reads this relation; nothing else chooses a pack.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from .parameters import Override, Pack
from .tables import ENGINE, OPEN_END, Tables

OPEN = dt.date.fromisoformat(OPEN_END)


def _next_day(day: ir.DateValue) -> ir.DateValue:
    out: ir.DateValue = (day + ibis.interval(days=1)).cast("timestamp").cast("date")
    return out


def _day_before(day: ir.DateValue) -> ir.DateValue:
    out: ir.DateValue = (day - ibis.interval(days=1)).cast("timestamp").cast("date")
    return out


def packs_table(packs: Iterable[Pack]) -> pa.Table:
    rows = sorted(packs, key=lambda p: (p.jurisdiction, p.start, p.id))
    return pa.table(
        {
            "pack_id": [p.id for p in rows],
            "jurisdiction": [p.jurisdiction.upper() for p in rows],
            "start": [p.start for p in rows],
            "end": [p.end or OPEN for p in rows],
        },
        schema=ENGINE["packs"],
    )


def _pieces(candidates: ir.Table, group: list[str]) -> ir.Table:
    """Cut each group's time line at every start and every day after an end of its
    candidate spans: columns group..., day (first day of the piece), last."""
    starts = candidates.select(*group, day=candidates.start)
    after = candidates.select(*group, day=_next_day(candidates.end))
    bounds = starts.union(after, distinct=True)
    bounds = bounds.filter(bounds.day <= ibis.date(OPEN))
    following = bounds.day.lead().over(group_by=group, order_by=bounds.day)
    return bounds.mutate(last=ibis.coalesce(_day_before(following), ibis.date(OPEN)))


def _first(table: ir.Table, by: list[str], *order: ir.Value) -> ir.Table:
    ranked = table.mutate(_rank=ibis.row_number().over(group_by=by, order_by=list(order)))
    return ranked.filter(ranked._rank == 0).drop("_rank")


def pack_spans(t: Tables) -> ir.Table:
    """jurisdiction, start, end, pack_id: the pack in effect over each stretch of days."""
    p = t.packs
    pieces = _pieces(p.select(group=p.jurisdiction, start=p.start, end=p.end), ["group"])
    hit = pieces.join(
        p, (pieces.group == p.jurisdiction) & (p.start <= pieces.day) & (p.end >= pieces.day)
    ).select(
        jurisdiction=pieces.group,
        start=pieces.day,
        end=pieces.last,
        pack_id=p.pack_id,
        pack_start=p.start,
    )
    best = _first(hit, ["jurisdiction", "start"], ibis.desc(hit.pack_start), ibis.desc(hit.pack_id))
    return best.drop("pack_start")


def _group_key(agency: ir.IntegerValue, payer: ir.IntegerValue) -> ir.StringValue:
    key: ir.StringValue = (
        agency.fill_null(-1).cast("string") + "-" + payer.fill_null(-1).cast("string")
    )
    return key


def assignments(t: Tables) -> ir.Table:
    """person_id, start, end, pack_id, variant, contract: the whole data's people."""
    people = t.people
    groups = people.select(
        state=people.state.upper().fill_null(""),
        pair=_group_key(people.agency_id, people.payer_id),
    ).distinct()
    spans = pack_spans(t)
    by_state = groups.join(spans, groups.state == spans.jurisdiction).select(
        group=groups.state + "|" + groups.pair,
        start=spans.start,
        end=spans.end,
        pack_id=spans.pack_id,
        contract=ibis.null().cast("string"),
        priority=ibis.literal(1),
        since=spans.start,
    )
    c = t.contracts.filter(t.contracts.pack_override.notnull() & (t.contracts.pack_override != ""))
    p = t.packs
    chosen = c.join(p, c.pack_override == p.pack_id).select(
        pair=_group_key(c.agency_id, c.payer_id),
        start=ibis.greatest(c.start, p.start),
        end=ibis.least(c.end.fill_null(ibis.date(OPEN)), p.end),
        pack_id=p.pack_id,
        contract=c.number,
        since=c.start,
    )
    chosen = chosen.filter(chosen.start <= chosen.end)
    by_contract = groups.join(chosen, groups.pair == chosen.pair).select(
        group=groups.state + "|" + groups.pair,
        start=chosen.start,
        end=chosen.end,
        pack_id=chosen.pack_id,
        contract=chosen.contract,
        priority=ibis.literal(0),
        since=chosen.since,
    )
    candidates = by_state.union(by_contract, distinct=False)
    pieces = _pieces(candidates.select("group", "start", "end"), ["group"])
    hit = pieces.join(
        candidates,
        (pieces.group == candidates.group)
        & (candidates.start <= pieces.day)
        & (candidates.end >= pieces.day),
    ).select(
        group=pieces.group,
        start=pieces.day,
        end=pieces.last,
        pack_id=candidates.pack_id,
        contract=candidates.contract,
        priority=candidates.priority,
        since=candidates.since,
    )
    best = _first(hit, ["group", "start"], hit.priority, ibis.desc(hit.since), hit.pack_id)
    o = t.overrides
    overridden = (
        t.contracts.join(o, t.contracts.contract_id == o.contract_id)
        .select(pair=_group_key(t.contracts.agency_id, t.contracts.payer_id))
        .distinct()
    )
    people_keyed = people.select(
        person_id=people.person_id,
        group=people.state.upper().fill_null("")
        + "|"
        + _group_key(people.agency_id, people.payer_id),
        pair=_group_key(people.agency_id, people.payer_id),
    )
    joined = people_keyed.join(best, people_keyed.group == best.group)
    joined = joined.left_join(overridden, joined.pair == overridden.pair)
    return joined.select(
        person_id=joined.person_id,
        start=joined.start,
        end=joined.end,
        pack_id=joined.pack_id,
        variant=ibis.cases(
            (joined.pair_right.notnull(), joined.pack_id + "@" + joined.pair),
            else_=joined.pack_id,
        ),
        contract=joined.contract,
    )


def staff_assignments(t: Tables) -> ir.Table:
    """staff_id, start, end, pack_id, variant: staff by their agency's state."""
    staff = t.staff
    spans = pack_spans(t)
    j = staff.join(spans, staff.state.upper().fill_null("") == spans.jurisdiction)
    return j.select(
        staff_id=j.staff_id, start=j.start, end=j.end, pack_id=j.pack_id, variant=j.pack_id
    )


def _in_scope(t: Tables, kind: str, column: ir.Value) -> ir.BooleanValue:
    """True when the scope names no `kind` at all, or names this value."""
    wanted = t.scope.filter(t.scope.kind == kind)
    values = wanted.code if kind == "pack" else wanted.id
    none_named = wanted.count() == 0
    return none_named | column.isin(values)


def _in_force(t: Tables, start: ir.DateValue, end: ir.DateValue) -> ir.BooleanValue:
    """True when the scope names no day, or the stretch [start, end] covers it."""
    wanted = t.scope.filter(t.scope.kind == "on")
    day = wanted.code.cast("date").max()
    return (wanted.count() == 0) | ((start <= day) & (end >= day))


def scoped_assignments(t: Tables) -> ir.Table:
    a = t.assignments
    people = t.people.filter(
        _in_scope(t, "agency", t.people.agency_id)
        & _in_scope(t, "payer", t.people.payer_id)
        & _in_scope(t, "person", t.people.person_id)
    )
    kept = a.semi_join(people, a.person_id == people.person_id)
    return kept.filter(_in_scope(t, "pack", kept.pack_id) & _in_force(t, kept.start, kept.end))


def scoped_staff_assignments(t: Tables) -> ir.Table:
    a = t.staff_assignments
    staff = t.staff.filter(
        _in_scope(t, "agency", t.staff.agency_id) & _in_scope(t, "staff", t.staff.staff_id)
    )
    # A scope that names people only (one person's check) judges their staff too: the
    # staff rows of a person's slice are the ones their record touches.
    kept = a.semi_join(staff, a.staff_id == staff.staff_id)
    return kept.filter(_in_scope(t, "pack", kept.pack_id) & _in_force(t, kept.start, kept.end))


def note_units(t: Tables) -> ir.Table:
    """note_id, person_id, minutes, units: each note's units by the unit rule of the
    variant judging its day (whole units, plus one when the remainder reaches the least
    minutes). A note on a day no pack judges has no row (no units)."""
    n = t.notes
    a = t.assignments
    u = t.unit_rules
    j = n.join(a, (n.person_id == a.person_id) & (a.start <= n.date) & (a.end >= n.date)).select(
        note_id=n.note_id,
        person_id=n.person_id,
        date=n.date,
        variant=a.variant,
        m=n.end_min - n.start_min,
    )
    j = j.join(u, (j.variant == u.variant) & (u.lo <= j.date) & (u.hi >= j.date))
    minutes = ibis.greatest(j.m, 0)
    units = minutes // j.per + ((minutes % j.per) >= j.least).ifelse(1, 0)
    return j.select(
        note_id=j.note_id,
        person_id=j.person_id,
        minutes=minutes.cast("int64"),
        units=units.fill_null(0).cast("int64"),
    )


# ---- variants: the packs with each contract's overrides -------------------------------------


@dataclass(frozen=True)
class Variant:
    id: str
    pack: Pack  # with the contract's overrides applied
    contract: str | None = None  # the contract numbers whose figures apply


def contract_overrides(data: Mapping[str, pa.Table]) -> dict[str, list[Override]]:
    """ "<agency>-<payer>" -> the cited figure overrides of that pair's contracts."""
    contracts = data.get("contracts")
    overrides = data.get("overrides")
    if contracts is None or overrides is None or overrides.num_rows == 0:
        return {}
    by_id = {
        r["contract_id"]: r
        for r in contracts.select(["contract_id", "agency_id", "payer_id", "number"]).to_pylist()
    }
    found: dict[str, list[Override]] = defaultdict(list)
    for row in overrides.to_pylist():
        contract = by_id.get(row["contract_id"])
        if contract is None:
            continue
        pair = f"{contract['agency_id'] if contract['agency_id'] is not None else -1}-" + (
            f"{contract['payer_id'] if contract['payer_id'] is not None else -1}"
        )
        found[pair].append(
            Override(
                key=row["key"],
                value=json.loads(row["value"]),
                start=row["start"],
                end=row["end"],
                source_title=row["source"],
                section=row["section"],
                confidence=row["confidence"],
                note=row["note"] or "",
                label=f"contract {contract['number']}",
            )
        )
    return {k: sorted(v, key=lambda o: (o.key, o.start)) for k, v in found.items()}


def variant_for(
    variant_id: str, packs: Mapping[str, Pack], overrides: Mapping[str, list[Override]]
) -> Variant:
    pack_id, _, pair = variant_id.partition("@")
    pack = packs[pack_id]
    if not pair:
        return Variant(variant_id, pack)
    mine = overrides.get(pair, [])
    usable = [o for o in mine if o.key in pack.parameters]
    numbers = sorted({o.label.removeprefix("contract ") for o in usable})
    return Variant(variant_id, pack.with_overrides(usable), ", ".join(numbers) or None)


def unit_rules(variants: Iterable[Variant]) -> pa.Table:
    """The unit length and least minutes of each variant over each stretch of its dates."""
    rows: dict[str, list[object]] = {name: [] for name in ENGINE["unit_rules"].names}
    for v in variants:
        pack = v.pack
        per, least = (
            pack.param("units.minutes_per_unit"),
            pack.param("units.min_minutes_first_unit"),
        )
        cuts = sorted(
            {x.start for x in (*per.values, *least.values) if pack.covers(x.start)} | {pack.start}
        )
        for i, lo in enumerate(cuts):
            hi = cuts[i + 1] - dt.timedelta(days=1) if i + 1 < len(cuts) else (pack.end or OPEN)
            a, b = per.entry(lo), least.entry(lo)
            if a is None or b is None:
                continue
            rows["variant"].append(v.id)
            rows["lo"].append(lo)
            rows["hi"].append(hi)
            rows["per"].append(a.value)
            rows["least"].append(b.value)
    return pa.table(rows, schema=ENGINE["unit_rules"])
