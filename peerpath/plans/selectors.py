"""Reads for the plan pages and the chart: a plan version with everything on it, the
versions a person has had, and who did what to each part and when, in a fixed number of
queries whatever the size of the plan."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from peerpath.audit.models import ChangeRecord
from peerpath.people.models import Person

from .models import CrisisPlan, Goal, Plan, PlanSignature, SignerRole

PLAN = "plans.Plan"
GOAL = "plans.Goal"
OBJECTIVE = "plans.Objective"
INTERVENTION = "plans.Intervention"
CRISIS = "plans.CrisisPlan"
SIGNATURE = "plans.PlanSignature"

# How each change reads in a plan's history ("sam started a review").
_WORDS = {
    (PLAN, "create"): "started this version",
    (PLAN, "update"): "changed the dates or strengths",
    (PLAN, "activate"): "put the plan in force",
    (PLAN, "supersede"): "replaced it with a newer version",
    (PLAN, "reopen"): "reopened the draft",
    (CRISIS, "create"): "started the crisis plan",
    (CRISIS, "update"): "updated the crisis plan",
    (SIGNATURE, "create"): "recorded a signature",
    (SIGNATURE, "delete"): "withdrew a signature",
}


@dataclass(frozen=True)
class Touch:
    """One change to one part of a plan: who made it, when, and what it was."""

    who: str
    at: dt.datetime
    action: str
    what: str = ""
    reason: str = ""


@dataclass
class Trail:
    """Who added a part of the plan and who last changed it."""

    added: Touch | None = None
    changed: Touch | None = None


@dataclass
class PlanView:
    plan: Plan
    goals: list[Goal]
    signatures: list[PlanSignature]
    crisis: CrisisPlan | None
    trails: dict[tuple[str, int], Trail] = field(default_factory=dict)
    history: list[Touch] = field(default_factory=list)

    def trail(self, record_type: str, pk: int) -> Trail:
        return self.trails.get((record_type, pk), Trail())


def plan_versions(person: Person) -> QuerySet[Plan]:
    """The person's plan versions, newest first, with their signatures."""
    return (
        Plan.objects.filter(person=person)
        .order_by("-version")
        .select_related("previous")
        .prefetch_related(Prefetch("signatures", queryset=PlanSignature.objects.order_by("pk")))
    )


def plan_for_page(person: Person, version: int) -> Plan | None:
    return (
        Plan.objects.filter(person=person, version=version)
        .select_related("person__payer", "previous")
        .first()
    )


def plan_view(plan: Plan) -> PlanView:
    """A plan version with its goals (steps and interventions), signatures, crisis plan and
    history, in five queries."""
    goals = list(plan.goals.order_by("order", "pk").prefetch_related("objectives", "interventions"))
    signatures = list(plan.signatures.order_by("pk"))
    crisis = CrisisPlan.objects.filter(plan=plan).first()
    view = PlanView(plan=plan, goals=goals, signatures=signatures, crisis=crisis)
    _add_trails(view)
    return view


def _ids(values: Iterable[int]) -> list[str]:
    return [str(v) for v in values]


def _add_trails(view: PlanView) -> None:
    plan = view.plan
    wanted: dict[str, list[str]] = {
        PLAN: [str(plan.pk)],
        GOAL: _ids(g.pk for g in view.goals),
        OBJECTIVE: _ids(o.pk for g in view.goals for o in g.objectives.all()),
        INTERVENTION: _ids(i.pk for g in view.goals for i in g.interventions.all()),
        CRISIS: [str(view.crisis.pk)] if view.crisis else [],
    }
    query = Q()
    for record_type, ids in wanted.items():
        if ids:
            query |= Q(record_type=record_type, record_id__in=ids)
    # Signatures withdrawn from a draft are gone from the plan; their history names the
    # plan they were on. A query of its own: joined to the others by OR, the test of the
    # record's JSON would be made on every change record, whatever its type (a full scan).
    signatures = ChangeRecord.objects.filter(record_type=SIGNATURE, changes__plan_id=plan.pk)
    records = sorted(
        [*ChangeRecord.objects.filter(query).order_by(), *signatures.order_by()],
        key=lambda r: (r.at, r.pk),
    )
    by_record: dict[tuple[str, int], Trail] = defaultdict(Trail)
    for r in records:
        touch = Touch(
            who=r.actor_label,
            at=r.at,
            action=r.action,
            what=_describe(r),
            reason=r.reason,
        )
        key = (r.record_type, int(r.record_id))
        trail = by_record[key]
        if r.action == "create" and trail.added is None:
            trail.added = touch
        else:
            trail.changed = touch
        if (r.record_type, r.action) in _WORDS:
            view.history.append(touch)
    view.trails = dict(by_record)
    # Templates read `obj.trail` (they cannot look a record up in a dict by a key pair).
    parts: list[tuple[str, Any]] = [(GOAL, g) for g in view.goals]
    parts += [(OBJECTIVE, o) for g in view.goals for o in g.objectives.all()]
    parts += [(INTERVENTION, i) for g in view.goals for i in g.interventions.all()]
    if view.crisis is not None:
        parts.append((CRISIS, view.crisis))
    for record_type, obj in parts:
        obj.trail = view.trail(record_type, obj.pk)


def _describe(r: ChangeRecord) -> str:
    words = _WORDS.get((r.record_type, r.action), f"{r.action}d")
    if r.record_type == SIGNATURE:
        changes = r.changes if isinstance(r.changes, dict) else {}
        name, role = changes.get("name", ""), changes.get("role", "")
        label = SignerRole(role).label.lower() if role in SignerRole.values else ""
        if isinstance(name, str) and name:
            words += f" ({name}, {label})" if label else f" ({name})"
    if r.record_type == PLAN and r.action == "create" and r.reason:
        words = f"started this version ({r.reason})"
    return words
