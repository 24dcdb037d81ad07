"""A goal marked in the plan builder as building social skills or a support network, and
the live check of a note being written that honours it (NC 8G's named exception for
recreation that serves such a planned goal)."""

from __future__ import annotations

import pytest

from peerpath.plans.models import Goal
from tests.plans.test_views import HTMX, site, started, url  # noqa: F401  (site: fixture)
from tests.plans.test_views import client_for as plan_client
from tests.services.test_views import client_for, note_post, ready_person

pytestmark = pytest.mark.django_db
NOT_COVERED = 'data-rule="NOTE.NOT_COVERED_ACTIVITY"'


def test_the_plan_builder_marks_a_goal_as_a_social_skill_goal_and_unmarks_it(site):  # noqa: F811
    person, cpss, _ = site
    plan = started(person, cpss)
    c = plan_client(cpss)
    page = c.get(url(person, "", plan.version)).content.decode()
    assert "Builds social skills or a support network" in page  # offered on a new goal
    response = c.post(
        url(person, "goals/", plan.version),
        {
            "action": "add",
            "goal_new-own_words": "Make one friend at the community garden",
            "goal_new-social_skill": "on",
        },
        **HTMX,
    )
    assert response.status_code == 200
    goal = Goal.objects.get(plan=plan)
    assert goal.social_skill is True
    body = response.content.decode()
    assert "Social skills or support network" in body  # the goal card's tag
    assert f'name="goal{goal.pk}-social_skill"' in body and "checked" in body
    c.post(
        url(person, "goals/", plan.version),
        {
            "action": "update",
            "goal": goal.pk,
            f"goal{goal.pk}-own_words": goal.own_words,
            f"goal{goal.pk}-status": "active",
        },
        **HTMX,
    )
    goal.refresh_from_db()
    assert goal.social_skill is False  # an unticked box clears it


def _recreation(social_skill: bool):
    person, cpss, intervention = ready_person()
    intervention.activity = "recreation"
    intervention.save()
    Goal.objects.filter(pk=intervention.goal_id).update(social_skill=social_skill)
    return person, cpss, intervention


def test_the_live_check_passes_recreation_for_a_social_skill_goal():
    person, cpss, intervention = _recreation(social_skill=True)
    page = (
        client_for(cpss)
        .post(f"/people/{person.pk}/notes/check/", note_post(intervention))
        .content.decode()
    )
    assert NOT_COVERED not in page
    assert "Nothing in this note would stop it being paid" in page


def test_the_live_check_denies_recreation_for_a_goal_not_marked_so():
    person, cpss, intervention = _recreation(social_skill=False)
    page = (
        client_for(cpss)
        .post(f"/people/{person.pk}/notes/check/", note_post(intervention))
        .content.decode()
    )
    assert NOT_COVERED in page
    assert "does not mark as a social-skill or support-network goal" in page
