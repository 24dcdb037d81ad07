"""Writes for person-centered plans.

A plan is drafted with the person a piece at a time (goals, steps, interventions, the crisis
plan), then signed by everyone the policy pack names (`plan.signers`). The last signature
puts it in force. A signed plan is never edited: a change is a review, which copies the
plan in force into a new draft version and keeps the old one as history. A draft that has
some signatures can be reopened (the signatures are withdrawn, with a reason) to change it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone

from peerpath.access.scope import staff_of
from peerpath.core import formatting as fmt
from peerpath.core.fields import Activity
from peerpath.core.services import Actor, person_of, record_change, save_record, snapshot
from peerpath.core.stale import refuse_stale
from peerpath.people.models import Episode, Person
from peerpath.policy.api import PlanRequirements, plan_requirements

from .models import (
    CrisisPlan,
    Goal,
    Intervention,
    Objective,
    Plan,
    PlanSignature,
    PlanStatus,
    SignerRole,
    WholeHealthFactor,
)

# Goal statuses that still need work (and so an intervention).
OPEN_GOAL = "active"
# The PSS activities a plan intervention may name (the rest of Activity is never billable).
PLAN_ACTIVITIES = (
    Activity.PEER_MENTORING,
    Activity.RESOURCE_CONNECTING,
    Activity.SKILLS_GROUP,
    Activity.BUILDING_COMMUNITY,
    Activity.CRISIS_SUPPORT,
    Activity.ADVOCACY,
)
# Which staff roles may sign in a staff signer's place.
STAFF_SIGNERS = {
    SignerRole.CPSS.value: {"cpss"},
    SignerRole.SUPERVISOR.value: {"supervisor", "mhp"},
}
MIN_REASON = 10


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
    social_skill: bool = False


@dataclass(frozen=True)
class CrisisPlanInput:
    triggers: str
    early_signs: str
    what_helps: str
    contacts: list[dict[str, str]]
    what_does_not_help: str = ""
    preferences: str = ""
    coping_strategies: str = ""


# ---- helpers ----------------------------------------------------------------------------------


def _today() -> dt.date:
    return timezone.localdate()


def _delete(obj: models.Model, *, actor: Actor, reason: str = "") -> None:
    """Delete a record, keeping its last values in the history and logging the change."""
    person_id = person_of(obj)
    record_change(actor=actor, obj=obj, action="delete", changes=snapshot(obj), reason=reason)
    label, pk = obj._meta.label, obj.pk
    obj.delete()
    if person_id is not None:
        from peerpath.access.services import log_access

        log_access(
            user=actor,
            action="change",
            record_type=label,
            record_id=pk,
            person_id=person_id,
            reason=reason,
        )


def _locked(plan: Plan) -> Plan:
    """The plan, row-locked, if it may still be edited; a ValidationError otherwise."""
    plan = Plan.objects.select_for_update().select_related("person__payer").get(pk=plan.pk)
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError(
            {"plan": "A signed plan is not changed. Start a review to make a new version."}
        )
    if plan.signatures.exists():
        raise ValidationError(
            {
                "plan": "Someone has signed this draft. Reopen it (their signatures are "
                "withdrawn) before changing it."
            }
        )
    return plan


def _text(value: str, field_name: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field_name: message})
    return text


def requirements_for(plan: Plan) -> PlanRequirements:
    return plan_requirements(plan.person_id, plan.start)


# ---- starting a plan --------------------------------------------------------------------------


def _next_version(person: Person) -> tuple[int, Plan | None]:
    latest = Plan.objects.filter(person=person).order_by("-version").first()
    if latest is not None and latest.status == PlanStatus.DRAFT:
        raise ValidationError(
            {
                "person": f"This person already has a draft plan (version {latest.version}): "
                "finish it first."
            }
        )
    active = Plan.objects.filter(person=person, status=PlanStatus.ACTIVE).order_by("-version")
    return (latest.version + 1 if latest else 1), active.first()


def _review_due(person: Person, start: dt.date, review_due: dt.date | None) -> dt.date:
    """The review date asked for, checked against the pack's longest review interval; the
    longest allowed when none is asked for."""
    rules = plan_requirements(person.pk, start)
    latest = rules.review_due(start)
    if review_due is None:
        if latest is None:
            raise ValidationError(
                {"review_due": "No state policy covers this date: enter the review date."}
            )
        return latest
    if latest is not None and review_due > latest:
        source = f" ({rules.review.short()})" if rules.review else ""
        raise ValidationError(
            {
                "review_due": f"The policy asks for a review at least every {rules.review_days} "
                f"days: by {fmt.day(latest)} at the latest{source}."
            }
        )
    return review_due


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
    """A whole draft plan at once (imports, tests). The plan builder uses plan_start and
    the piece-by-piece functions below."""
    if not goals:
        raise ValidationError({"goals": "A plan needs at least one goal in the person's words."})
    version, active = _next_version(person)
    plan = save_record(
        Plan(
            person=person,
            episode=episode,
            start=start,
            review_due=review_due,
            strengths=strengths,
            version=version,
            previous=active,
        ),
        actor=actor,
    )
    _add_goals(plan, goals, actor)
    if crisis_plan is not None:
        crisis_plan_save(actor=actor, plan=plan, data=crisis_plan, updated_on=start)
    return plan


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
                    social_skill=g.social_skill,
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
def plan_start(
    *,
    actor: Actor,
    person: Person,
    start: dt.date,
    review_due: dt.date | None = None,
) -> Plan:
    """Start the person's next plan as a draft. When a plan is in force this is a review: the
    new version starts as a copy of it (goals still being worked on, their steps and
    interventions, strengths, the crisis plan); the old version is kept unchanged."""
    version, active = _next_version(person)
    due = _review_due(person, start, review_due)
    plan = save_record(
        Plan(
            person=person,
            episode=active.episode if active else person.episodes.order_by("-start").first(),
            start=start,
            review_due=due,
            strengths=active.strengths if active else "",
            version=version,
            previous=active,
        ),
        actor=actor,
        reason=f"review of version {active.version}" if active else "",
    )
    if active is not None:
        _copy_content(active, plan, actor=actor, on=start)
    return plan


def _copy_content(source: Plan, plan: Plan, *, actor: Actor, on: dt.date) -> None:
    goals = source.goals.filter(status=OPEN_GOAL).prefetch_related("objectives", "interventions")
    for order, g in enumerate(goals.order_by("order", "pk"), start=1):
        goal = save_record(
            Goal(
                plan=plan,
                order=order,
                own_words=g.own_words,
                whole_health_factor=g.whole_health_factor,
                social_skill=g.social_skill,
            ),
            actor=actor,
        )
        for o in g.objectives.all():
            save_record(
                Objective(goal=goal, description=o.description, target_date=o.target_date),
                actor=actor,
            )
        for i in g.interventions.all():
            save_record(
                Intervention(
                    goal=goal,
                    activity=i.activity,
                    description=i.description,
                    frequency=i.frequency,
                ),
                actor=actor,
            )
    old = CrisisPlan.objects.filter(plan=source).first()
    if old is not None:
        save_record(
            CrisisPlan(
                plan=plan,
                **{
                    name: getattr(old, name)
                    for name in (
                        "triggers",
                        "early_signs",
                        "coping_strategies",
                        "what_helps",
                        "what_does_not_help",
                        "preferences",
                        "wrap_document",
                    )
                },
                contacts=list(old.contacts),
                updated_on=on,
            ),
            actor=actor,
        )


@transaction.atomic
def plan_revise(*, actor: Actor, plan: Plan, start: dt.date, review_due: dt.date) -> Plan:
    """Start a new draft version from the active plan, copying its goals and crisis plan."""
    if plan.status != PlanStatus.ACTIVE:
        raise ValidationError({"plan": "Only the active plan can be revised."})
    return plan_start(actor=actor, person=plan.person, start=start, review_due=review_due)


@transaction.atomic
def plan_update(
    *,
    actor: Actor,
    plan: Plan,
    start: dt.date,
    review_due: dt.date | None,
    strengths: str,
    base: str | None = None,
) -> Plan:
    """Change a draft's dates and the person's strengths. `base`: the revision the edit
    started from (peerpath.core.stale); someone else's save since is not overwritten."""
    plan = _locked(plan)
    refuse_stale(plan, base, "plan")
    plan.review_due = _review_due(plan.person, start, review_due)
    plan.start = start
    plan.strengths = strengths.strip()
    return save_record(plan, actor=actor)


# ---- goals, steps and interventions -----------------------------------------------------------


def _factor(value: str) -> str:
    if value and value not in WholeHealthFactor.values:
        raise ValidationError(
            {"whole_health_factor": "Choose one of the ten whole-health areas, or none."}
        )
    return value


@transaction.atomic
def goal_add(
    *,
    actor: Actor,
    plan: Plan,
    own_words: str,
    whole_health_factor: str = "",
    social_skill: bool = False,
) -> Goal:
    plan = _locked(plan)
    text = _text(own_words, "own_words", "Write the goal as the person says it.")
    last = plan.goals.aggregate(m=Max("order"))["m"] or 0
    return save_record(
        Goal(
            plan=plan,
            order=last + 1,
            own_words=text,
            whole_health_factor=_factor(whole_health_factor),
            social_skill=bool(social_skill),
        ),
        actor=actor,
    )


@transaction.atomic
def goal_update(
    *,
    actor: Actor,
    goal: Goal,
    own_words: str,
    whole_health_factor: str = "",
    social_skill: bool = False,
    status: str = OPEN_GOAL,
    base: str | None = None,
) -> Goal:
    _locked(goal.plan)
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    refuse_stale(goal, base, "goal")
    goal.own_words = _text(own_words, "own_words", "Write the goal as the person says it.")
    goal.whole_health_factor = _factor(whole_health_factor)
    goal.social_skill = bool(social_skill)
    goal.status = status
    return save_record(goal, actor=actor)


def _protected(exc: models.ProtectedError, what: str) -> ValidationError:
    return ValidationError(
        {
            "plan": f"A service note is tied to this {what}, so it stays. Mark the goal "
            "achieved or changed instead."
        }
    )


@transaction.atomic
def goal_remove(*, actor: Actor, goal: Goal) -> None:
    _locked(goal.plan)
    for child in [*goal.objectives.all(), *goal.interventions.all()]:
        try:
            _delete(child, actor=actor)
        except models.ProtectedError as exc:
            raise _protected(exc, "goal") from exc
    try:
        _delete(goal, actor=actor)
    except models.ProtectedError as exc:
        raise _protected(exc, "goal") from exc


@transaction.atomic
def objective_add(
    *,
    actor: Actor,
    goal: Goal,
    description: str,
    target_date: dt.date | None = None,
) -> Objective:
    plan = _locked(goal.plan)
    text = _text(description, "description", "Say the step: what, how much or how often, by when.")
    if target_date is not None and target_date < plan.start:
        raise ValidationError(
            {"target_date": f"The target date is before the plan starts ({fmt.day(plan.start)})."}
        )
    return save_record(Objective(goal=goal, description=text, target_date=target_date), actor=actor)


@transaction.atomic
def objective_remove(*, actor: Actor, objective: Objective) -> None:
    _locked(objective.goal.plan)
    _delete(objective, actor=actor)


@transaction.atomic
def intervention_add(
    *,
    actor: Actor,
    goal: Goal,
    activity: str,
    description: str,
    frequency: str = "",
) -> Intervention:
    _locked(goal.plan)
    if activity not in PLAN_ACTIVITIES:
        raise ValidationError({"activity": "Choose one of the peer support activities."})
    text = _text(description, "description", "Say what the peer specialist will do.")
    return save_record(
        Intervention(goal=goal, activity=activity, description=text, frequency=frequency.strip()),
        actor=actor,
    )


@transaction.atomic
def intervention_remove(*, actor: Actor, intervention: Intervention) -> None:
    _locked(intervention.goal.plan)
    try:
        _delete(intervention, actor=actor)
    except models.ProtectedError as exc:
        raise _protected(exc, "intervention") from exc


# ---- the crisis plan --------------------------------------------------------------------------


@transaction.atomic
def crisis_plan_save(
    *,
    actor: Actor,
    plan: Plan,
    data: CrisisPlanInput,
    updated_on: dt.date,
    base: str | None = None,
) -> CrisisPlan:
    """Create or update the draft plan's crisis plan (`base`: see `plan_update`)."""
    plan = _locked(plan)
    crisis = CrisisPlan.objects.filter(plan=plan).first() or CrisisPlan(plan=plan)
    if crisis.pk is not None:
        refuse_stale(crisis, base, "crisis plan")
    fields: dict[str, Any] = {
        "triggers": data.triggers.strip(),
        "early_signs": data.early_signs.strip(),
        "coping_strategies": data.coping_strategies.strip(),
        "what_helps": data.what_helps.strip(),
        "what_does_not_help": data.what_does_not_help.strip(),
        "contacts": list(data.contacts),
        "preferences": data.preferences.strip(),
        "updated_on": updated_on,
    }
    for name, value in fields.items():
        setattr(crisis, name, value)
    return save_record(crisis, actor=actor)


@transaction.atomic
def crisis_contact_add(
    *,
    actor: Actor,
    plan: Plan,
    name: str,
    phone: str,
    relationship: str = "",
    on: dt.date,
) -> CrisisPlan:
    """Add a person or service to call to the draft's crisis plan (starting it if needed)."""
    plan = _locked(plan)
    problems = {}
    if not (name or "").strip():
        problems["name"] = "Give the name of the person or service."
    if not (phone or "").strip():
        problems["phone"] = "Give a phone number to call."
    if problems:
        raise ValidationError(problems)
    crisis = CrisisPlan.objects.filter(plan=plan).first() or CrisisPlan(plan=plan)
    crisis.contacts = [
        *crisis.contacts,
        {"name": name.strip(), "relationship": relationship.strip(), "phone": phone.strip()},
    ]
    crisis.updated_on = on
    return save_record(crisis, actor=actor)


@transaction.atomic
def crisis_contact_remove(*, actor: Actor, plan: Plan, index: int, on: dt.date) -> CrisisPlan:
    """Take the contact at `index` (counting from 0) off the draft's crisis plan."""
    plan = _locked(plan)
    crisis = CrisisPlan.objects.filter(plan=plan).first()
    if crisis is None or not 0 <= index < len(crisis.contacts):
        raise ValidationError({"contacts": "That contact is not on the crisis plan."})
    crisis.contacts = [c for i, c in enumerate(crisis.contacts) if i != index]
    crisis.updated_on = on
    return save_record(crisis, actor=actor)


# ---- checking, signing and putting in force ---------------------------------------------------


def plan_problems(plan: Plan, rules: PlanRequirements | None = None) -> dict[str, str]:
    """What the plan still needs before it can be signed, by part; empty when ready."""
    rules = rules or requirements_for(plan)
    problems: dict[str, str] = {}
    goals = list(plan.goals.prefetch_related("objectives", "interventions"))
    open_goals = [g for g in goals if g.status == OPEN_GOAL]
    if not goals:
        problems["goals"] = "The plan has no goals yet: add one in the person's own words."
    elif not open_goals:
        problems["goals"] = "Every goal is achieved or changed: add the next one the person wants."
    elif any(not g.interventions.all() for g in open_goals):
        problems["goals"] = "Every goal being worked on needs a peer support intervention."
    if rules.measurable and any(
        not any(o.target_date for o in g.objectives.all()) for g in open_goals
    ):
        source = f" ({rules.goal_quality_cited.short()})" if rules.goal_quality_cited else ""
        problems["objectives"] = (
            f"The policy asks for measurable goals: give each goal a step with a target "
            f"date{source}."
        )
    if rules.crisis_required:
        crisis = CrisisPlan.objects.filter(plan=plan).first()
        missing = []
        if crisis is None or not crisis.early_signs.strip():
            missing.append("warning signs")
        if crisis is None or not crisis.what_helps.strip():
            missing.append("what helps")
        if crisis is None or not crisis.contacts:
            missing.append("someone to call")
        if missing:
            problems["crisis_plan"] = "The crisis plan needs " + ", ".join(missing) + "."
    return problems


def missing_signers(plan: Plan, rules: PlanRequirements | None = None) -> list[str]:
    """The signer roles the pack asks for that have not signed (a guardian signs for the
    person)."""
    rules = rules or requirements_for(plan)
    signed = {s.role for s in plan.signatures.all()}
    if SignerRole.GUARDIAN in signed:
        signed.add(SignerRole.PERSON)
    return [role for role in rules.signers if role not in signed]


def _check_signer(actor: Actor, role: str, name: str, credential: str) -> None:
    if role not in SignerRole.values:
        raise ValidationError({"role": "Choose who is signing."})
    allowed = STAFF_SIGNERS.get(role)
    if allowed is not None:
        staff = staff_of(actor)
        if staff is None or staff.role not in allowed:
            raise ValidationError(
                {
                    "role": f"Only the {SignerRole(role).label.lower()} signs as that, for "
                    "themselves."
                }
            )
    if not name.strip():
        raise ValidationError({"name": "Give the signer's name."})
    if role == SignerRole.CLINICIAN and not credential.strip():
        raise ValidationError({"credential": "Give the clinician's credential (e.g. MD, LCSW)."})


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
    """Sign a complete draft. Signing locks its content; the last signature the pack asks
    for puts the plan in force (plan_activate)."""
    plan = Plan.objects.select_for_update().select_related("person__payer").get(pk=plan.pk)
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError({"plan": "Only a draft plan is signed; this one is signed already."})
    _check_signer(actor, role, name, credential)
    if signed_on > _today():
        raise ValidationError({"signed_on": "A signature cannot be dated in the future."})
    rules = requirements_for(plan)
    problems = plan_problems(plan, rules)
    if problems:
        raise ValidationError(problems)
    person_slot: list[str] = [SignerRole.PERSON.value, SignerRole.GUARDIAN.value]
    slot = person_slot if role in person_slot else [role]
    if PlanSignature.objects.filter(plan=plan, role__in=slot).exists():
        raise ValidationError({"role": "This plan already has that signature."})
    signature = save_record(
        PlanSignature(
            plan=plan,
            role=role,
            name=name.strip(),
            credential=credential.strip(),
            signed_on=signed_on,
        ),
        actor=actor,
    )
    if not missing_signers(plan, rules):
        plan_activate(actor=actor, plan=plan)
    return signature


@transaction.atomic
def plan_activate(*, actor: Actor, plan: Plan) -> Plan:
    """Make a fully signed draft the person's plan; the version it revises is superseded.
    A plan is in force from its start date, or from its last signature if that is later
    (the review date moves with it, within the pack's interval)."""
    plan = Plan.objects.select_for_update().select_related("person__payer").get(pk=plan.pk)
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError({"status": "Only a draft plan can be made active."})
    rules = requirements_for(plan)
    problems = plan_problems(plan, rules)
    missing = missing_signers(plan, rules)
    if missing:
        names = ", ".join(rules.signer_label(r).lower() for r in missing)
        problems["signatures"] = f"Still to sign: {names}."
    if problems:
        raise ValidationError(problems)
    last_signed = max(s.signed_on for s in plan.signatures.all())
    if last_signed > plan.start:
        shift = last_signed - plan.start
        latest = plan_requirements(plan.person_id, last_signed).review_due(last_signed)
        due = plan.review_due + shift
        plan.start, plan.review_due = last_signed, min(due, latest) if latest else due
    for old in Plan.objects.filter(person=plan.person, status=PlanStatus.ACTIVE):
        old.status = PlanStatus.SUPERSEDED
        save_record(
            old, actor=actor, action="supersede", reason=f"replaced by version {plan.version}"
        )
    plan.status = PlanStatus.ACTIVE
    return save_record(plan, actor=actor, action="activate")


@transaction.atomic
def plan_reopen(*, actor: Actor, plan: Plan, reason: str) -> Plan:
    """Withdraw the signatures on a draft so it can be changed; they are kept in the history
    with the reason. A plan in force is never reopened: start a review instead."""
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError(
            {"plan": "A plan in force is not reopened. Start a review to make a new version."}
        )
    why = (reason or "").strip()
    if len(why) < MIN_REASON:
        raise ValidationError({"reason": "Say why the draft is being reopened."})
    signatures = list(plan.signatures.all())
    if not signatures:
        raise ValidationError({"plan": "No one has signed this draft: it can be changed as is."})
    for s in signatures:
        _delete(s, actor=actor, reason=why)
    record_change(actor=actor, obj=plan, action="reopen", reason=why)
    return plan
