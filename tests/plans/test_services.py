import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from peerpath.audit.models import ChangeRecord
from peerpath.plans import services
from peerpath.plans.models import Goal, Plan, PlanSignature
from peerpath.plans.services import CrisisPlanInput, GoalInput, InterventionInput
from tests.access.factories import StaffUserFactory
from tests.factories import NoteFactory, PersonFactory

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


@pytest.fixture
def team(db):
    """A peer specialist and a supervisor (QP) of one agency, who sign plans."""
    cpss = StaffUserFactory(role="cpss")
    qp = StaffUserFactory(role="supervisor", agency=cpss.agency, credential="QP")
    return cpss, qp


def draft(actor, person=None, goals=(GOAL,), crisis=CRISIS):
    return services.plan_create(
        actor=actor,
        person=person or PersonFactory(),
        start=START,
        review_due=REVIEW,
        goals=list(goals),
        crisis_plan=crisis,
    )


def sign_all(plan, team):
    """Every signature the NC pack asks for: the person, the CPSS, the supervisor."""
    cpss, qp = team
    services.plan_sign(
        actor=cpss.user, plan=plan, role="person", name="Jordan Lee", signed_on=START
    )
    services.plan_sign(
        actor=cpss.user, plan=plan, role="cpss", name=cpss.full_name, signed_on=START
    )
    services.plan_sign(
        actor=qp.user, plan=plan, role="supervisor", name=qp.full_name, signed_on=START
    )
    plan.refresh_from_db()
    return plan


def test_plan_create_keeps_goals_in_the_persons_words_with_interventions(actor):
    plan = draft(actor)
    goal = plan.goals.get()
    assert goal.own_words.startswith("I want to cook")
    assert goal.interventions.get().activity == "peer_mentoring"
    assert plan.crisis_plan.contacts[0]["name"] == "Rosa"
    assert plan.status == "draft" and plan.version == 1


def test_plan_without_goals_is_refused(actor):
    with pytest.raises(ValidationError) as err:
        draft(actor, goals=[])
    assert "goals" in err.value.message_dict


def test_bad_intervention_names_its_goal_and_nothing_is_written(actor):
    bad = GoalInput(
        own_words="Get a ride", interventions=[InterventionInput("transportation", "drive")]
    )
    with pytest.raises(ValidationError) as err:
        draft(actor, goals=[GOAL, bad])
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
    plan = draft(actor, crisis=None)
    bad = CrisisPlanInput("x", "y", "z", contacts=[{"name": "Rosa"}])
    with pytest.raises(ValidationError) as err:
        services.crisis_plan_save(actor=actor, plan=plan, data=bad, updated_on=START)
    assert "contacts" in err.value.message_dict


# ---- starting a plan and the review date --------------------------------------------------


def test_a_new_plan_is_due_for_review_when_the_pack_says(actor):
    plan = services.plan_start(actor=actor, person=PersonFactory(), start=START)
    # nc-8g-2025 plan.review_interval_days: 365 (assumed, yearly review)
    assert plan.review_due == START + dt.timedelta(days=365)
    assert plan.status == "draft" and plan.version == 1 and not plan.goals.exists()


def test_a_review_date_past_the_packs_interval_is_refused_citing_it(actor):
    with pytest.raises(ValidationError) as err:
        services.plan_start(
            actor=actor, person=PersonFactory(), start=START, review_due=dt.date(2027, 6, 1)
        )
    message = err.value.message_dict["review_due"][0]
    assert "365 days" in message and "Mar 2, 2027" in message
    assert not Plan.objects.exists()


def test_a_person_has_one_draft_at_a_time(actor):
    person = PersonFactory()
    services.plan_start(actor=actor, person=person, start=START)
    with pytest.raises(ValidationError) as err:
        services.plan_start(actor=actor, person=person, start=START)
    assert "person" in err.value.message_dict


def test_a_review_copies_the_plan_in_force_and_keeps_the_old_version(actor, team):
    person = PersonFactory()
    v1 = sign_all(draft(actor, person), team)
    v2 = services.plan_start(actor=actor, person=person, start=dt.date(2026, 9, 1))
    assert v2.previous == v1 and v2.status == "draft"
    assert v2.goals.get().own_words == GOAL.own_words
    assert v2.goals.get().interventions.get().description == GOAL.interventions[0].description
    assert v2.crisis_plan.triggers == CRISIS.triggers
    assert not v2.signatures.exists()
    v1.refresh_from_db()
    assert v1.status == "active" and v1.goals.count() == 1


def test_plan_revise_still_starts_a_review_and_supersedes_on_signing(actor, team):
    person = PersonFactory()
    v1 = sign_all(draft(actor, person), team)
    v2 = services.plan_revise(
        actor=actor, plan=v1, start=dt.date(2026, 9, 1), review_due=dt.date(2027, 9, 1)
    )
    assert v2.version == 2 and v2.previous == v1
    v2 = sign_all(v2, team)
    v1.refresh_from_db()
    assert (v1.status, v2.status) == ("superseded", "active")
    assert Plan.objects.filter(person=person).count() == 2


def test_only_an_active_plan_can_be_revised(actor):
    plan = draft(actor)
    with pytest.raises(ValidationError):
        services.plan_revise(actor=actor, plan=plan, start=START, review_due=REVIEW)


# ---- building a draft piece by piece ------------------------------------------------------


def test_goals_steps_and_interventions_are_added_and_removed_with_history(actor):
    plan = services.plan_start(actor=actor, person=PersonFactory(), start=START)
    goal = services.goal_add(
        actor=actor,
        plan=plan,
        own_words="  Sleep through the night  ",
        whole_health_factor="restful_sleep",
    )
    step = services.objective_add(
        actor=actor, goal=goal, description="Bed by 11, 5 nights a week", target_date=REVIEW
    )
    helps = services.intervention_add(
        actor=actor, goal=goal, activity="peer_mentoring", description="Share my wind-down routine"
    )
    assert goal.own_words == "Sleep through the night" and goal.order == 1
    services.objective_remove(actor=actor, objective=step)
    services.intervention_remove(actor=actor, intervention=helps)
    assert not goal.objectives.exists() and not goal.interventions.exists()
    deleted = ChangeRecord.objects.filter(action="delete").values_list("record_type", flat=True)
    assert sorted(deleted) == ["plans.Intervention", "plans.Objective"]
    services.goal_remove(actor=actor, goal=goal)
    assert not plan.goals.exists()


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda a, p, g: services.goal_add(actor=a, plan=p, own_words="   "), "own_words"),
        (
            lambda a, p, g: services.goal_add(
                actor=a, plan=p, own_words="x", whole_health_factor="wealth"
            ),
            "whole_health_factor",
        ),
        (lambda a, p, g: services.objective_add(actor=a, goal=g, description=""), "description"),
        (
            lambda a, p, g: services.objective_add(
                actor=a, goal=g, description="x", target_date=START - dt.timedelta(1)
            ),
            "target_date",
        ),
        (
            lambda a, p, g: services.intervention_add(
                actor=a, goal=g, activity="recreation", description="bowling"
            ),
            "activity",
        ),
        (
            lambda a, p, g: services.crisis_contact_add(
                actor=a, plan=p, name="Rosa", phone=" ", on=START
            ),
            "phone",
        ),
    ],
)
def test_bad_input_is_named_by_field_and_nothing_is_written(actor, call, field):
    plan = services.plan_start(actor=actor, person=PersonFactory(), start=START)
    goal = services.goal_add(actor=actor, plan=plan, own_words="Find a job I like")
    before = ChangeRecord.objects.count()
    with pytest.raises(ValidationError) as err:
        call(actor, plan, goal)
    assert field in err.value.message_dict
    assert ChangeRecord.objects.count() == before
    assert Goal.objects.filter(plan=plan).count() == 1


def test_a_goal_a_note_is_tied_to_is_not_removed(actor):
    plan = services.plan_start(actor=actor, person=PersonFactory(), start=START)
    goal = services.goal_add(actor=actor, plan=plan, own_words="Find a job I like")
    helps = services.intervention_add(
        actor=actor, goal=goal, activity="resource_connecting", description="Job fair together"
    )
    NoteFactory(person=plan.person, goal=goal, intervention=helps)
    with pytest.raises(ValidationError) as err:
        services.goal_remove(actor=actor, goal=goal)
    assert "achieved or changed" in err.value.message_dict["plan"][0]
    assert plan.goals.count() == 1 and goal.interventions.count() == 1


def test_crisis_contacts_are_added_and_removed_one_at_a_time(actor):
    plan = services.plan_start(actor=actor, person=PersonFactory(), start=START)
    services.crisis_contact_add(
        actor=actor, plan=plan, name="Rosa", relationship="sister", phone="919-555-0101", on=START
    )
    crisis = services.crisis_contact_add(
        actor=actor, plan=plan, name="Warm line", phone="919-555-0199", on=START
    )
    assert [c["name"] for c in crisis.contacts] == ["Rosa", "Warm line"]
    crisis = services.crisis_contact_remove(actor=actor, plan=plan, index=0, on=START)
    assert [c["name"] for c in crisis.contacts] == ["Warm line"]
    with pytest.raises(ValidationError) as err:
        services.crisis_contact_remove(actor=actor, plan=plan, index=5, on=START)
    assert "contacts" in err.value.message_dict


# ---- signing --------------------------------------------------------------------------------


def test_an_incomplete_plan_cannot_be_signed_and_says_what_is_missing(actor, team):
    cpss, _ = team
    plan = services.plan_start(actor=actor, person=PersonFactory(), start=START)
    services.goal_add(actor=actor, plan=plan, own_words="Get my GED")
    with pytest.raises(ValidationError) as err:
        services.plan_sign(
            actor=cpss.user, plan=plan, role="person", name="Jordan", signed_on=START
        )
    problems = err.value.message_dict
    assert "intervention" in problems["goals"][0]
    assert "warning signs" in problems["crisis_plan"][0]
    assert not PlanSignature.objects.exists()


def test_the_last_signature_the_pack_asks_for_puts_the_plan_in_force(actor, team):
    cpss, qp = team
    plan = draft(actor)
    services.plan_sign(actor=cpss.user, plan=plan, role="person", name="Jordan", signed_on=START)
    services.plan_sign(
        actor=cpss.user, plan=plan, role="cpss", name=cpss.full_name, signed_on=START
    )
    plan.refresh_from_db()
    assert plan.status == "draft"
    assert services.missing_signers(plan) == ["supervisor"]
    services.plan_sign(
        actor=qp.user, plan=plan, role="supervisor", name=qp.full_name, signed_on=START
    )
    plan.refresh_from_db()
    assert plan.status == "active"
    assert ChangeRecord.objects.filter(record_type="plans.Plan", action="activate").exists()


def test_a_guardian_signs_in_the_persons_place(actor, team):
    cpss, _ = team
    plan = draft(actor)
    services.plan_sign(actor=cpss.user, plan=plan, role="guardian", name="Pat Lee", signed_on=START)
    assert "person" not in services.missing_signers(plan)
    with pytest.raises(ValidationError):
        services.plan_sign(
            actor=cpss.user, plan=plan, role="person", name="Jordan", signed_on=START
        )


def test_staff_sign_only_for_themselves_in_their_own_role(actor, team):
    cpss, qp = team
    plan = draft(actor)
    with pytest.raises(ValidationError) as err:
        services.plan_sign(
            actor=cpss.user, plan=plan, role="supervisor", name="Sam", signed_on=START
        )
    assert "role" in err.value.message_dict
    with pytest.raises(ValidationError):
        services.plan_sign(actor=qp.user, plan=plan, role="cpss", name="Q", signed_on=START)
    assert not PlanSignature.objects.exists()


def test_signing_twice_in_one_role_is_refused(actor, team):
    cpss, _ = team
    plan = draft(actor)
    services.plan_sign(actor=cpss.user, plan=plan, role="cpss", name="Sam", signed_on=START)
    with pytest.raises(ValidationError):
        services.plan_sign(actor=cpss.user, plan=plan, role="cpss", name="Sam", signed_on=START)


def test_a_signature_cannot_be_dated_in_the_future(actor, team):
    cpss, _ = team
    with pytest.raises(ValidationError) as err:
        services.plan_sign(
            actor=cpss.user,
            plan=draft(actor),
            role="person",
            name="Jordan",
            signed_on=dt.date.today() + dt.timedelta(days=2),
        )
    assert "signed_on" in err.value.message_dict


def test_a_signed_draft_is_locked_until_reopened_with_a_reason(actor, team):
    cpss, _ = team
    plan = draft(actor)
    services.plan_sign(actor=cpss.user, plan=plan, role="person", name="Jordan", signed_on=START)
    with pytest.raises(ValidationError) as err:
        services.goal_add(actor=actor, plan=plan, own_words="Another goal")
    assert "Reopen" in err.value.message_dict["plan"][0]
    with pytest.raises(ValidationError) as err:
        services.plan_reopen(actor=actor, plan=plan, reason="oops")
    assert "reason" in err.value.message_dict
    services.plan_reopen(actor=actor, plan=plan, reason="Jordan wants to add a goal about work")
    assert not plan.signatures.exists()
    withdrawn = ChangeRecord.objects.get(record_type="plans.PlanSignature", action="delete")
    assert withdrawn.reason == "Jordan wants to add a goal about work"
    assert services.goal_add(actor=actor, plan=plan, own_words="Another goal").order == 2


def test_a_plan_in_force_is_never_edited_or_reopened(actor, team):
    plan = sign_all(draft(actor), team)
    goal = plan.goals.get()
    for call in (
        lambda: services.goal_update(actor=actor, goal=goal, own_words="changed"),
        lambda: services.objective_add(actor=actor, goal=goal, description="x"),
        lambda: services.crisis_contact_add(actor=actor, plan=plan, name="x", phone="1", on=START),
        lambda: services.plan_reopen(actor=actor, plan=plan, reason="a long enough reason"),
    ):
        with pytest.raises(ValidationError) as err:
            call()
        assert "review" in err.value.message_dict["plan"][0]
    goal.refresh_from_db()
    assert goal.own_words == GOAL.own_words


def test_a_plan_signed_after_its_start_is_in_force_from_the_last_signature(actor, team):
    cpss, qp = team
    plan = draft(actor)
    later = START + dt.timedelta(days=10)
    services.plan_sign(actor=cpss.user, plan=plan, role="person", name="J", signed_on=START)
    services.plan_sign(actor=cpss.user, plan=plan, role="cpss", name="S", signed_on=START)
    services.plan_sign(actor=qp.user, plan=plan, role="supervisor", name="Q", signed_on=later)
    plan.refresh_from_db()
    assert plan.start == later
    assert plan.review_due == REVIEW + dt.timedelta(days=10)  # moved with the start


def test_a_measurable_goal_pack_needs_a_dated_step(actor, team):
    """SC asks for measurable goals (seed-004): each goal needs a step with a target date;
    and its plan is signed by a clinician, not the supervisor."""
    person = PersonFactory(payer__state="SC", agency__state="SC")
    plan = draft(actor, person)
    assert "objectives" in services.plan_problems(plan)
    services.objective_add(
        actor=actor, goal=plan.goals.get(), description="Cook 3 dinners", target_date=REVIEW
    )
    assert services.plan_problems(plan) == {}
    assert services.missing_signers(plan) == ["person", "cpss", "clinician"]
    cpss, _ = team
    with pytest.raises(ValidationError) as err:
        services.plan_sign(
            actor=cpss.user, plan=plan, role="clinician", name="Dr. Chen", signed_on=START
        )
    assert "credential" in err.value.message_dict
