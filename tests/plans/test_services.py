import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from peerpath.plans import services
from peerpath.plans.models import Plan
from peerpath.plans.services import CrisisPlanInput, GoalInput, InterventionInput
from tests.factories import PersonFactory

START, REVIEW = dt.date(2026, 3, 2), dt.date(2027, 3, 1)
GOAL = GoalInput(
    own_words="I want to cook dinner for my kids on Sundays.",
    objectives=["Plan and cook 3 Sunday dinners by June 30"],
    interventions=[InterventionInput("peer_mentoring", "Share how I plan meals on a budget")],
    whole_health_factor="healthy_eating",
)
CRISIS = CrisisPlanInput(
    triggers="Money worries",
    early_signs="Not sleeping",
    what_helps="Talking to my sister",
    contacts=[{"name": "Rosa", "relationship": "sister", "phone": "919-555-0101"}],
)


def active_plan(actor, person):
    plan = services.plan_create(
        actor=actor,
        person=person,
        start=START,
        review_due=REVIEW,
        goals=[GOAL],
        crisis_plan=CRISIS,
    )
    services.plan_sign(actor=actor, plan=plan, role="person", name="Jordan", signed_on=START)
    return services.plan_activate(actor=actor, plan=plan)


def test_plan_create_keeps_goals_in_the_persons_words_with_interventions(actor):
    plan = services.plan_create(
        actor=actor,
        person=PersonFactory(),
        start=START,
        review_due=REVIEW,
        goals=[GOAL],
        crisis_plan=CRISIS,
    )
    goal = plan.goals.get()
    assert goal.own_words.startswith("I want to cook")
    assert goal.interventions.get().activity == "peer_mentoring"
    assert plan.crisis_plan.contacts[0]["name"] == "Rosa"
    assert plan.status == "draft" and plan.version == 1


def test_plan_without_goals_is_refused(actor):
    with pytest.raises(ValidationError) as err:
        services.plan_create(
            actor=actor, person=PersonFactory(), start=START, review_due=REVIEW, goals=[]
        )
    assert "goals" in err.value.message_dict


def test_bad_intervention_names_its_goal_and_nothing_is_written(actor):
    bad = GoalInput(
        own_words="Get a ride", interventions=[InterventionInput("transportation", "drive")]
    )
    with pytest.raises(ValidationError) as err:
        services.plan_create(
            actor=actor, person=PersonFactory(), start=START, review_due=REVIEW, goals=[GOAL, bad]
        )
    assert "goals[2].activity" in err.value.message_dict
    assert not Plan.objects.exists()


def test_plan_review_before_start_is_refused(actor):
    with pytest.raises(ValidationError) as err:
        services.plan_create(
            actor=actor,
            person=PersonFactory(),
            start=START,
            review_due=START - dt.timedelta(1),
            goals=[GOAL],
        )
    assert "review_due" in err.value.message_dict


def test_crisis_contact_needs_a_phone(actor):
    plan = services.plan_create(
        actor=actor, person=PersonFactory(), start=START, review_due=REVIEW, goals=[GOAL]
    )
    bad = CrisisPlanInput("x", "y", "z", contacts=[{"name": "Rosa"}])
    with pytest.raises(ValidationError) as err:
        services.crisis_plan_save(actor=actor, plan=plan, data=bad, updated_on=START)
    assert "contacts" in err.value.message_dict


def test_plan_cannot_be_activated_without_the_persons_signature(actor):
    plan = services.plan_create(
        actor=actor, person=PersonFactory(), start=START, review_due=REVIEW, goals=[GOAL]
    )
    with pytest.raises(ValidationError) as err:
        services.plan_activate(actor=actor, plan=plan)
    assert "signatures" in err.value.message_dict


def test_signing_twice_in_one_role_is_refused(actor):
    plan = services.plan_create(
        actor=actor, person=PersonFactory(), start=START, review_due=REVIEW, goals=[GOAL]
    )
    services.plan_sign(actor=actor, plan=plan, role="cpss", name="Sam", signed_on=START)
    with pytest.raises(ValidationError):
        services.plan_sign(actor=actor, plan=plan, role="cpss", name="Sam", signed_on=START)


def test_revising_a_plan_keeps_the_old_version_and_supersedes_it_on_activation(actor):
    person = PersonFactory()
    v1 = active_plan(actor, person)
    v2 = services.plan_revise(
        actor=actor, plan=v1, start=dt.date(2026, 9, 1), review_due=dt.date(2027, 9, 1)
    )
    assert v2.version == 2 and v2.previous == v1 and v2.status == "draft"
    assert v2.goals.get().own_words == GOAL.own_words
    assert v2.crisis_plan.triggers == CRISIS.triggers
    services.plan_sign(actor=actor, plan=v2, role="person", name="J", signed_on=v2.start)
    services.plan_activate(actor=actor, plan=v2)
    v1.refresh_from_db()
    assert v1.status == "superseded"
    assert Plan.objects.filter(person=person).count() == 2


def test_only_an_active_plan_can_be_revised(actor):
    plan = services.plan_create(
        actor=actor, person=PersonFactory(), start=START, review_due=REVIEW, goals=[GOAL]
    )
    with pytest.raises(ValidationError):
        services.plan_revise(actor=actor, plan=plan, start=START, review_due=REVIEW)
