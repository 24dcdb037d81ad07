"""Writes for person-centered plans. A plan is drafted with the person, signed, then made
active; revising an active plan makes a new version and keeps the old one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from peerpath.core.services import Actor, save_record
from peerpath.people.models import Episode, Person

from .models import (
    CrisisPlan,
    Goal,
    Intervention,
    Objective,
    Plan,
    PlanSignature,
    PlanStatus,
    SignerRole,
)


@dataclass(frozen=True)
class InterventionInput:
    activity: str
    description: str
    frequency: str = ""


@dataclass(frozen=True)
class GoalInput:
    own_words: str
    objectives: list[str] = field(default_factory=list)
    interventions: list[InterventionInput] = field(default_factory=list)
    whole_health_factor: str = ""


@dataclass(frozen=True)
class CrisisPlanInput:
    triggers: str
    early_signs: str
    what_helps: str
    contacts: list[dict[str, str]]
    what_does_not_help: str = ""
    preferences: str = ""


def _add_goals(plan: Plan, goals: list[GoalInput], actor: Actor) -> None:
    for order, g in enumerate(goals, start=1):
        prefix = f"goals[{order}]"
        try:
            goal = save_record(
                Goal(
                    plan=plan,
                    order=order,
                    own_words=g.own_words,
                    whole_health_factor=g.whole_health_factor,
                ),
                actor=actor,
            )
            for text in g.objectives:
                save_record(Objective(goal=goal, description=text), actor=actor)
            for i in g.interventions:
                save_record(
                    Intervention(
                        goal=goal,
                        activity=i.activity,
                        description=i.description,
                        frequency=i.frequency,
                    ),
                    actor=actor,
                )
        except ValidationError as exc:
            # Name the goal the error belongs to, so a long plan form can point at it.
            raise ValidationError(
                {f"{prefix}.{k}": v for k, v in exc.message_dict.items()}
            ) from exc


@transaction.atomic
def plan_create(
    *,
    actor: Actor,
    person: Person,
    start: dt.date,
    review_due: dt.date,
    goals: list[GoalInput],
    crisis_plan: CrisisPlanInput | None = None,
    strengths: str = "",
    episode: Episode | None = None,
) -> Plan:
    if not goals:
        raise ValidationError({"goals": "A plan needs at least one goal in the person's words."})
    latest = Plan.objects.filter(person=person).order_by("-version").first()
    if latest is not None and latest.status == PlanStatus.DRAFT:
        raise ValidationError({"person": "This person already has a draft plan: finish it."})
    plan = save_record(
        Plan(
            person=person,
            episode=episode,
            start=start,
            review_due=review_due,
            strengths=strengths,
            version=(latest.version + 1) if latest else 1,
            previous=latest if latest and latest.status == PlanStatus.ACTIVE else None,
        ),
        actor=actor,
    )
    _add_goals(plan, goals, actor)
    if crisis_plan is not None:
        crisis_plan_save(actor=actor, plan=plan, data=crisis_plan, updated_on=start)
    return plan


@transaction.atomic
def crisis_plan_save(
    *,
    actor: Actor,
    plan: Plan,
    data: CrisisPlanInput,
    updated_on: dt.date,
) -> CrisisPlan:
    """Create or update the plan's crisis plan (it is meant to be kept current)."""
    crisis = CrisisPlan.objects.filter(plan=plan).first() or CrisisPlan(plan=plan)
    fields: dict[str, Any] = {
        "triggers": data.triggers,
        "early_signs": data.early_signs,
        "what_helps": data.what_helps,
        "what_does_not_help": data.what_does_not_help,
        "contacts": list(data.contacts),
        "preferences": data.preferences,
        "updated_on": updated_on,
    }
    for name, value in fields.items():
        setattr(crisis, name, value)
    return save_record(crisis, actor=actor)


@transaction.atomic
def plan_sign(
    *,
    actor: Actor,
    plan: Plan,
    role: str,
    name: str,
    signed_on: dt.date,
    credential: str = "",
) -> PlanSignature:
    if plan.status not in (PlanStatus.DRAFT, PlanStatus.ACTIVE):
        raise ValidationError({"plan": "Only a draft or active plan can be signed."})
    if PlanSignature.objects.filter(plan=plan, role=role).exists():
        raise ValidationError({"role": "This plan already has that signature."})
    return save_record(
        PlanSignature(plan=plan, role=role, name=name, credential=credential, signed_on=signed_on),
        actor=actor,
    )


@transaction.atomic
def plan_activate(*, actor: Actor, plan: Plan) -> Plan:
    """Make a signed draft the person's plan; the version it revises becomes superseded."""
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError({"status": "Only a draft plan can be made active."})
    problems: dict[str, str] = {}
    goals = list(plan.goals.prefetch_related("interventions"))
    if not goals:
        problems["goals"] = "The plan has no goals."
    elif any(not g.interventions.all() for g in goals):
        problems["goals"] = "Every goal needs at least one peer support intervention."
    if not plan.signatures.filter(role__in=[SignerRole.PERSON, SignerRole.GUARDIAN]).exists():
        problems["signatures"] = "The person (or guardian) has not signed the plan."
    if problems:
        raise ValidationError(problems)
    for old in Plan.objects.filter(person=plan.person, status=PlanStatus.ACTIVE):
        old.status = PlanStatus.SUPERSEDED
        save_record(old, actor=actor, action="supersede")
    plan.status = PlanStatus.ACTIVE
    return save_record(plan, actor=actor, action="activate")


@transaction.atomic
def plan_revise(*, actor: Actor, plan: Plan, start: dt.date, review_due: dt.date) -> Plan:
    """Start a new draft version from an active plan, copying its goals and crisis plan."""
    if plan.status != PlanStatus.ACTIVE:
        raise ValidationError({"plan": "Only the active plan can be revised."})
    goals = [
        GoalInput(
            own_words=g.own_words,
            whole_health_factor=g.whole_health_factor,
            objectives=[o.description for o in g.objectives.all()],
            interventions=[
                InterventionInput(i.activity, i.description, i.frequency)
                for i in g.interventions.all()
            ],
        )
        for g in plan.goals.filter(status="active").prefetch_related("objectives", "interventions")
    ]
    crisis = CrisisPlan.objects.filter(plan=plan).first()
    crisis_input = (
        CrisisPlanInput(
            triggers=crisis.triggers,
            early_signs=crisis.early_signs,
            what_helps=crisis.what_helps,
            contacts=list(crisis.contacts),
            what_does_not_help=crisis.what_does_not_help,
            preferences=crisis.preferences,
        )
        if crisis
        else None
    )
    return plan_create(
        actor=actor,
        person=plan.person,
        start=start,
        review_due=review_due,
        goals=goals,
        crisis_plan=crisis_input,
        strengths=plan.strengths,
        episode=plan.episode,
    )
