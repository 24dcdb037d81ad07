"""Table pieces several rules share."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from peerpath.policy.tables import Tables

# Notes the rules judge: signed ones (what is billed) and drafts (what is being written,
# so the peer sees a problem before signing). An original replaced by an amendment is not
# billed any more: its amendment is judged instead.
JUDGED_STATUSES = ("signed", "draft")


def judged_notes(t: Tables) -> ir.Table:
    return t.notes.filter(t.notes.status.isin(JUDGED_STATUSES))


def plan_in_force(t: Tables) -> ir.Table:
    """For each judged note, the plan version in force on its date (highest version that
    has started and is not a draft), if any: columns note_id, plan_id, review_due,
    has_crisis_plan."""
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
