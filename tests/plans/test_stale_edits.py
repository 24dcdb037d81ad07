"""No lost edits on the plan builder: two people save the same draft's details or goal from
pages opened at the same revision; the second save is refused and shows the other version."""

import pytest

from peerpath.plans.models import Goal, Plan
from tests.access.factories import StaffUserFactory, SupervisionFactory
from tests.factories import CaseloadFactory
from tests.plans.test_views import START, client_for, started, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_writers(settings):
    settings.PEERPATH_REQUIRE_2FA = False
    cpss = StaffUserFactory(role="cpss")
    person = CaseloadFactory(staff=cpss, person__agency=cpss.agency, start=START).person
    qp = SupervisionFactory(staff=cpss, supervisor__agency=cpss.agency, start=START).supervisor
    plan = started(person, cpss)
    return person, plan, client_for(cpss), client_for(qp)


def details(plan, strengths, base):
    return {
        "details-start": plan.start.isoformat(),
        "details-review_due": plan.review_due.isoformat(),
        "details-strengths": strengths,
        "base": base,
    }


def test_the_second_save_of_a_plans_details_is_refused(two_writers):
    person, plan, peer, supervisor = two_writers
    page = url(person, version=plan.version)
    base_peer = peer.get(page).context["details_base"]
    base_qp = supervisor.get(page).context["details_base"]
    target = url(person, "details/", plan.version)
    assert (
        peer.post(target, details(plan, "Great cook; loyal friend.", base_peer)).status_code == 302
    )
    refused = supervisor.post(target, details(plan, "Funny.", base_qp))
    assert refused.status_code == 200
    text = refused.content.decode()
    assert "Someone else saved this plan" in text and "Great cook; loyal friend." in text
    assert Plan.objects.get(pk=plan.pk).strengths == "Great cook; loyal friend."


def test_the_second_save_of_a_goal_is_refused(two_writers):
    person, plan, peer, supervisor = two_writers
    peer.post(
        url(person, "goals/", plan.version),
        {"action": "add", "goal_new-own_words": "Cook on Sundays"},
    )
    goal = Goal.objects.get(plan=plan)
    page = url(person, version=plan.version)
    [card_peer] = peer.get(page).context["cards"]
    [card_qp] = supervisor.get(page).context["cards"]

    def save(client, words, base):
        return client.post(
            url(person, "goals/", plan.version),
            {
                "action": "update",
                "goal": goal.pk,
                f"goal{goal.pk}-own_words": words,
                f"goal{goal.pk}-status": "active",
                "base": base,
            },
        )

    assert save(peer, "Cook for my family on Sundays", card_peer.base).status_code == 302
    refused = save(supervisor, "Cook twice a week", card_qp.base)
    assert refused.status_code == 200
    assert "Someone else saved this goal" in refused.content.decode()
    assert Goal.objects.get(pk=goal.pk).own_words == "Cook for my family on Sundays"
