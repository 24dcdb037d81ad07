import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peerpath.access.models import AccessLogEntry
from peerpath.consent.models import Disclosure
from peerpath.consent.services import consent_record
from peerpath.plans import services
from peerpath.plans.models import Goal, Intervention, Objective, Plan
from peerpath.plans.pdf import CRISIS_TEMPLATE, PLAN_TEMPLATE, crisis_context, layout, plan_context
from peerpath.plans.selectors import plan_view
from tests.access.factories import StaffUserFactory, SupervisionFactory
from tests.factories import (
    CaseloadFactory,
    CrisisPlanFactory,
    DiagnosisFactory,
    InterventionFactory,
)

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
START = dt.date(2026, 3, 2)


def client_for(staff):
    client = Client()
    client.force_login(staff.user)
    return client


@pytest.fixture
def site(settings):
    settings.PEERPATH_REQUIRE_2FA = False
    cpss = StaffUserFactory(role="cpss")
    person = CaseloadFactory(staff=cpss, person__agency=cpss.agency, start=START).person
    qp = SupervisionFactory(staff=cpss, supervisor__agency=cpss.agency, start=START).supervisor
    return person, cpss, qp


def url(person, name="", version=None):
    base = f"/people/{person.pk}/plan/"
    return base + (f"v{version}/" if version else "") + name


def started(person, cpss):
    response = client_for(cpss).post(url(person, "start/"), {"start": START.isoformat()})
    assert response.status_code == 302
    return Plan.objects.get(person=person, status="draft")


def build_complete(person, cpss):
    """Through the pages, as the peer specialist: one goal with a step and an intervention,
    and a crisis plan."""
    plan = started(person, cpss)
    c = client_for(cpss)
    v = plan.version
    c.post(url(person, "goals/", v), {"action": "add", "goal_new-own_words": "Cook on Sundays"})
    goal = plan.goals.get()
    c.post(
        url(person, "goal-parts/", v),
        {
            "action": "add_intervention",
            "goal": goal.pk,
            f"int{goal.pk}-activity": "peer_mentoring",
            f"int{goal.pk}-description": "Plan meals together",
        },
    )
    c.post(
        url(person, "crisis/", v),
        {"crisis-early_signs": "Not sleeping", "crisis-what_helps": "A walk with Rosa"},
    )
    c.post(
        url(person, "crisis/contacts/", v),
        {"action": "add", "contact-name": "Rosa", "contact-phone": "919-555-0101"},
    )
    return plan


# ---- starting and building --------------------------------------------------------------------


def test_peer_specialist_starts_a_plan_and_sees_the_builder(site):
    person, cpss, _ = site
    plan = started(person, cpss)
    page = client_for(cpss).get(url(person, version=plan.version))
    assert page.status_code == 200
    assert b"Writing the plan with" in page.content
    assert b"Add goal" in page.content
    # The review date comes from the pack, with its citation.
    assert plan.review_due == START + dt.timedelta(days=365)
    assert b"at least every 365 days" in page.content and b"assumed" in page.content


def test_adding_a_goal_with_htmx_returns_the_goals_and_the_sign_off_checklist(site):
    person, cpss, _ = site
    plan = started(person, cpss)
    response = client_for(cpss).post(
        url(person, "goals/", plan.version),
        {
            "action": "add",
            "goal_new-own_words": "I want to sleep through the night",
            "goal_new-whole_health_factor": "restful_sleep",
        },
        **HTMX,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.startswith('<section id="goals"')
    assert "I want to sleep through the night" in body and "Goal added." in body
    assert (
        'id="signatures" class="pp-plan-section" aria-labelledby="signatures-h" hx-swap-oob' in body
    )
    assert "needs a peer support intervention" in body
    assert plan.goals.get().whole_health_factor == "restful_sleep"


def test_without_htmx_a_save_goes_back_to_the_builder(site):
    person, cpss, _ = site
    plan = started(person, cpss)
    response = client_for(cpss).post(
        url(person, "goals/", plan.version), {"action": "add", "goal_new-own_words": "Get my GED"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"/plan/v{plan.version}/#goals")


def test_an_empty_goal_is_refused_by_field_and_nothing_is_written(site):
    person, cpss, _ = site
    plan = started(person, cpss)
    response = client_for(cpss).post(
        url(person, "goals/", plan.version), {"action": "add", "goal_new-own_words": " "}, **HTMX
    )
    assert response.status_code == 200
    assert b"Write the goal as the person says it." in response.content
    assert b'id="id_goal_new-own_words-error"' in response.content
    assert not Goal.objects.exists()


def test_steps_and_interventions_are_added_and_removed_without_a_reload(site):
    person, cpss, _ = site
    plan = started(person, cpss)
    c = client_for(cpss)
    c.post(url(person, "goals/", plan.version), {"action": "add", "goal_new-own_words": "Work"})
    goal = plan.goals.get()
    parts = url(person, "goal-parts/", plan.version)
    added = c.post(
        parts,
        {
            "action": "add_objective",
            "goal": goal.pk,
            f"obj{goal.pk}-description": "Apply to 3 jobs a week",
            f"obj{goal.pk}-target_date": "2026-12-31",
        },
        **HTMX,
    )
    assert b"Apply to 3 jobs a week" in added.content and b"Dec 31, 2026" in added.content
    step = Objective.objects.get()
    bad = c.post(
        parts,
        {
            "action": "add_intervention",
            "goal": goal.pk,
            f"int{goal.pk}-activity": "transportation",
            f"int{goal.pk}-description": "Drive to interviews",
        },
        **HTMX,
    )
    assert b"Choose one of the peer support activities." in bad.content
    assert not Intervention.objects.exists()
    removed = c.post(
        parts, {"action": "remove_objective", "goal": goal.pk, "item": step.pk}, **HTMX
    )
    assert b"Step removed." in removed.content and not Objective.objects.exists()


def test_another_plans_goal_is_not_found(site):
    person, cpss, _ = site
    plan = started(person, cpss)
    other = InterventionFactory().goal  # someone else's plan
    response = client_for(cpss).post(
        url(person, "goals/", plan.version), {"action": "remove", "goal": other.pk}
    )
    assert response.status_code == 404
    assert Goal.objects.filter(pk=other.pk).exists()


def test_crisis_plan_words_and_contacts_are_saved(site):
    person, cpss, _ = site
    plan = build_complete(person, cpss)
    crisis = plan.crisis_plan
    assert crisis.early_signs == "Not sleeping" and crisis.contacts[0]["name"] == "Rosa"
    bad = client_for(cpss).post(
        url(person, "crisis/contacts/", plan.version),
        {"action": "add", "contact-name": "Warm line"},
        **HTMX,
    )
    assert b"Give a phone number to call." in bad.content
    crisis.refresh_from_db()
    assert len(crisis.contacts) == 1


# ---- signing ----------------------------------------------------------------------------------


def test_everyone_signs_and_the_plan_is_in_force_and_locked(site):
    person, cpss, qp = site
    plan = build_complete(person, cpss)
    c, v = client_for(cpss), plan.version
    today = timezone.localdate().isoformat()
    page = c.get(url(person, version=v))
    assert b"Sign as " + cpss.full_name.encode() in page.content
    assert b"Sign as " + qp.full_name.encode() not in page.content  # the supervisor signs
    c.post(
        url(person, "sign/", v),
        {
            "role": "person",
            "sign_person-role": "person",
            "sign_person-name": "Alex Morgan",
            "sign_person-signed_on": today,
        },
    )
    c.post(
        url(person, "sign/", v),
        {
            "role": "cpss",
            "sign_cpss-role": "cpss",
            "sign_cpss-name": cpss.full_name,
            "sign_cpss-signed_on": today,
        },
    )
    locked = c.post(url(person, "goals/", v), {"action": "add", "goal_new-own_words": "One more"})
    assert b"Reopen it" in locked.content and Goal.objects.count() == 1
    done = client_for(qp).post(
        url(person, "sign/", v),
        {
            "role": "supervisor",
            "sign_supervisor-role": "supervisor",
            "sign_supervisor-name": qp.full_name,
            "sign_supervisor-signed_on": today,
        },
    )
    assert done.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "active" and plan.signatures.count() == 3
    page = c.get(url(person, version=v))
    assert b"This plan is in force" in page.content and b"Add goal" not in page.content


def test_a_peer_specialist_cannot_sign_for_the_supervisor(site):
    person, cpss, _ = site
    plan = build_complete(person, cpss)
    response = client_for(cpss).post(
        url(person, "sign/", plan.version),
        {
            "role": "supervisor",
            "sign_supervisor-role": "supervisor",
            "sign_supervisor-name": "Somebody",
            "sign_supervisor-signed_on": START.isoformat(),
        },
    )
    assert response.status_code == 200
    assert b"signs as that, for themselves" in response.content
    assert not plan.signatures.exists()


def test_a_review_copies_the_plan_in_force_into_a_new_version(site):
    person, cpss, _ = site
    goal = InterventionFactory(goal__plan__person=person).goal
    CrisisPlanFactory(plan=goal.plan)
    response = client_for(cpss).post(url(person, "start/"), {"start": "2026-11-02"})
    assert response.status_code == 302 and response["Location"].endswith("/plan/v2/")
    v2 = Plan.objects.get(person=person, version=2)
    assert v2.goals.get().own_words == goal.own_words and v2.previous == goal.plan
    home = client_for(cpss).get(url(person))
    assert b"Continue the draft" in home.content and b"Version 1" in home.content


# ---- roles and scope -------------------------------------------------------------------------


def test_an_auditor_reads_the_plan_but_cannot_change_it(site):
    person, cpss, _ = site
    plan = started(person, cpss)
    auditor = StaffUserFactory(role="auditor", agency=person.agency)
    c = client_for(auditor)
    page = c.get(url(person, version=plan.version))
    assert page.status_code == 200 and b"Add goal" not in page.content
    assert c.post(url(person, "goals/", plan.version), {"action": "add"}).status_code == 403
    assert c.get(url(person, "my-plan.pdf", plan.version)).status_code == 403


@pytest.mark.parametrize("role", ["billing", "um_reviewer"])
def test_billing_and_payer_reviewers_do_not_open_plan_pages(site, role):
    person, cpss, _ = site
    plan = started(person, cpss)
    staff = StaffUserFactory(role=role, agency=person.agency)
    assert client_for(staff).get(url(person, version=plan.version)).status_code == 403


def test_out_of_scope_users_get_404_for_the_builder_and_the_pdfs(site):
    person, cpss, _ = site
    plan = build_complete(person, cpss)
    other = StaffUserFactory(role="cpss", agency=person.agency)  # not on their caseload
    c = client_for(other)
    for name in ("", "my-plan.pdf", "my-crisis-plan.pdf"):
        assert c.get(url(person, name, plan.version)).status_code == 404
    assert c.post(url(person, "goals/", plan.version), {"action": "add"}).status_code == 404
    assert not AccessLogEntry.objects.filter(person_id=person.pk, user_id=other.user.pk).exists()


def test_a_payer_auditor_sees_a_part2_plan_only_with_consent(site):
    person, cpss, _ = site
    DiagnosisFactory(person=person, code="F11.20", category="SUD", start=dt.date(2025, 1, 1))
    plan = InterventionFactory(goal__plan__person=person).goal.plan
    payer_auditor = StaffUserFactory(role="auditor", agency=None, payer=person.payer)
    c = client_for(payer_auditor)
    assert c.get(url(person, version=plan.version)).status_code == 404
    assert b"protected by 42 CFR Part 2" in c.get(url(person)).content
    consent_record(
        actor=cpss.user,
        person=person,
        purposes=["operations"],
        recipient_payer=person.payer,
        effective=START,
        signed_on=START,
    )
    assert c.get(url(person, version=plan.version)).status_code == 200
    assert Disclosure.objects.filter(person=person, part2_included=True).exists()


# ---- the person's printable copies -----------------------------------------------------------


def text_of(document) -> str:
    """The words laid out on a WeasyPrint document's pages."""
    words = []

    def walk(box):
        if getattr(box, "text", None):
            words.append(box.text)
        for child in getattr(box, "children", []):
            walk(child)

    for page in document.pages:
        walk(page._page_box)
    return " ".join(words)


def test_the_plan_pdf_is_the_persons_copy_and_the_print_is_logged(site):
    person, cpss, _ = site
    plan = build_complete(person, cpss)
    response = client_for(cpss).get(url(person, "my-plan.pdf", plan.version))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "my-plan-v1.pdf" in response["Content-Disposition"]
    printed = AccessLogEntry.objects.filter(person_id=person.pk, action="print")
    assert printed.count() == 1 and printed.get().record_type == "plans.Plan"
    view = plan_view(plan)
    rules = services.requirements_for(plan)
    text = text_of(layout(PLAN_TEMPLATE, plan_context(person, view, rules, printed=timezone.now())))
    assert "Cook on Sundays" in text and "Plan meals together" in text
    assert "This is a draft" in text


def test_the_crisis_plan_pdf_has_the_people_to_call(site):
    person, cpss, _ = site
    plan = build_complete(person, cpss)
    response = client_for(cpss).get(url(person, "my-crisis-plan.pdf", plan.version))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    text = text_of(
        layout(CRISIS_TEMPLATE, crisis_context(person, plan_view(plan), printed=timezone.now()))
    )
    assert "Rosa" in text and "919-555-0101" in text and "Not sleeping" in text
    assert "988" in text


def test_no_crisis_plan_no_crisis_pdf(site):
    person, cpss, _ = site
    plan = started(person, cpss)
    assert client_for(cpss).get(url(person, "my-crisis-plan.pdf", plan.version)).status_code == 404
    assert not AccessLogEntry.objects.filter(person_id=person.pk, action="print").exists()


# ---- query counts -----------------------------------------------------------------------------


def _queries(client, path):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def test_plan_pages_issue_a_fixed_number_of_queries_whatever_the_plan_size(site):
    person, cpss, _ = site
    plan = build_complete(person, cpss)
    c = client_for(cpss)
    c.get(url(person))  # the first request of a session does one-time work
    few_builder = _queries(c, url(person, version=plan.version))
    few_home = _queries(c, url(person))
    for n in range(8):
        goal = services.goal_add(actor=cpss.user, plan=plan, own_words=f"Goal {n}")
        services.objective_add(actor=cpss.user, goal=goal, description=f"Step {n}")
        services.intervention_add(
            actor=cpss.user, goal=goal, activity="advocacy", description=f"Help {n}"
        )
    for n in range(5):  # older versions
        Plan.objects.create(
            person=person, version=10 + n, status="superseded", start=START, review_due=START
        )
    assert _queries(c, url(person, version=plan.version)) == few_builder
    assert _queries(c, url(person)) == few_home


def test_reopening_a_signed_draft_keeps_who_signed_in_its_history(site):
    person, cpss, _ = site
    plan = build_complete(person, cpss)
    services.plan_sign(
        actor=cpss.user, plan=plan, role="person", name="Alex Morgan", signed_on=START
    )
    c = client_for(cpss)
    short = c.post(url(person, "reopen/", plan.version), {"reopen-reason": "typo"})
    assert b"at least 10 characters" in short.content and plan.signatures.count() == 1
    done = c.post(
        url(person, "reopen/", plan.version),
        {"reopen-reason": "Alex wants to change the second step"},
    )
    assert done.status_code == 302 and not plan.signatures.exists()
    page = c.get(url(person, version=plan.version)).content.decode()
    assert "withdrew a signature (Alex Morgan, the person served)" in page
    assert "reopened the draft: “Alex wants to change the second step”" in page
    assert "Add goal" in page  # editable again
