"""Table pieces several rules share."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from peerpath.policy.rules.base import violations
from peerpath.policy.tables import Tables

# Notes the rules judge: signed ones (what is billed) and drafts (what is being written,
# so the peer sees a problem before signing). An original replaced by an amendment is not
# billed any more: its amendment is judged instead.
JUDGED_STATUSES = ("signed", "draft")


def judged_notes(t: Tables) -> ir.Table:
    return t.notes.filter(t.notes.status.isin(JUDGED_STATUSES))


def plan_in_force(t: Tables) -> ir.Table:
    """For each judged note, the plan version in force on its date (highest version that
    has started and is not a draft; a plan closed at discharge was in force until then),
    if any: columns note_id, plan_id, review_due, has_crisis_plan."""
    notes = judged_notes(t)
    plans = t.plans.filter(t.plans.status != "draft")
    joined = notes.join(
        plans, (notes.person_id == plans.person_id) & (plans.start <= notes.date)
    ).select(
        note_id=notes.note_id,
        plan_id=plans.plan_id,
        version=plans.version,
        review_due=plans.review_due,
        has_crisis_plan=plans.has_crisis_plan,
    )
    ranked = joined.mutate(
        rank=ibis.row_number().over(group_by=joined.note_id, order_by=ibis.desc(joined.version))
    )
    return ranked.filter(ranked.rank == 0).drop("rank", "version")


def active_on(start: ir.DateValue, end: ir.DateValue, day: ir.DateValue) -> ir.BooleanValue:
    """Inclusive date span test; a missing end means still open."""
    return (start <= day) & (end.isnull() | (day <= end))


def counted_notes(t: Tables) -> ir.Table:
    """Judged notes with their units as the engine counts them (`note_units`): note_id,
    person_id, staff_id, date, start_min, modality, units (0 when the engine counts none)
    and counted (whether it counted the note at all: a note on a day no pack judges is not).
    The rules about units all start from this one join, so a statement holding several of
    them over the same people makes it once."""
    notes = judged_notes(t)
    units = t.note_units
    joined = notes.left_join(units, notes.note_id == units.note_id)
    return joined.select(
        note_id=notes.note_id,
        person_id=notes.person_id,
        staff_id=notes.staff_id,
        date=notes.date,
        start_min=notes.start_min,
        modality=notes.modality,
        units=units.units.fill_null(0),
        counted=units.note_id.notnull(),
    )


def first_notes(t: Tables) -> ir.Table:
    """Each person's first judged note date: columns person_id, first_date. People without
    notes have no row, so rules built on it say nothing about them."""
    notes = judged_notes(t)
    return notes.group_by(notes.person_id).aggregate(first_date=notes.date.min())


def first_per(table: ir.Table, by: str | list[str], *order: ir.Value) -> ir.Table:
    """The first row of each group of `table` by the `order` keys, in turn (list enough keys
    to make the order total, or a tie picks any one row)."""
    ranked = table.mutate(_rank=ibis.row_number().over(group_by=by, order_by=list(order)))
    return ranked.filter(ranked._rank == 0).drop("_rank")


def shift_date(day: ir.DateValue, *, days: int = 0, months: int = 0) -> ir.DateValue:
    """`day` moved by whole months, then days, kept a date (DuckDB's date plus an interval is
    a timestamp). A month shift onto a day the month lacks gives its last day: six months
    before 31 August is 28 (or 29) February."""
    moved = day
    if months:
        moved = moved + ibis.interval(months=months)
    if days:
        moved = moved + ibis.interval(days=days)
    return moved.cast("timestamp").date()


def clock(minutes: ir.IntegerValue) -> ir.StringValue:
    """Minutes after midnight as HH:MM."""
    # Cast to integers before text: engines differ in the type of // and % (SQLite's % on
    # ibis gives a real, "44.0").
    hours = (minutes // 60).cast("int64").cast("string").lpad(2, "0")
    mins = (minutes % 60).cast("int64").cast("string").lpad(2, "0")
    return hours + ":" + mins


def note_violations(notes: ir.Table, *, evidence: ir.Value) -> ir.Table:
    """Findings whose subject is a note (most note rules)."""
    return violations(
        notes,
        subject_type="note",
        subject_id=notes.note_id,
        person_id=notes.person_id,
        staff_id=notes.staff_id,
        date=notes.date,
        evidence=evidence,
    )
