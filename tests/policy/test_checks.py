import datetime as dt

import pytest

from peerpath.organizations.models import PayerContract
from peerpath.policy.checks import DRAFT_NOTE_ID, check_note, determine_eligibility
from peerpath.policy.models import ParameterOverride
from tests.factories import (
    AssessmentFactory,
    AuthorizationFactory,
    CaseloadFactory,
    CertificationFactory,
    CrisisPlanFactory,
    DiagnosisFactory,
    InterventionFactory,
    NoteFactory,
    ServiceOrderFactory,
)

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 4, 6)


def ready_person():
    """A person with everything a clean note needs under NC 8G."""
    intervention = InterventionFactory()
    plan = intervention.goal.plan
    person = plan.person
    CrisisPlanFactory(plan=plan)
    DiagnosisFactory(person=person)
    AssessmentFactory(person=person)
    ServiceOrderFactory(person=person)
    AuthorizationFactory(person=person)
    cpss = CaseloadFactory(person=person, staff__agency=person.agency).staff
    CertificationFactory(staff=cpss)
    return person, cpss, intervention


def draft_for(person, cpss, intervention, **kw):
    row = dict(
        person_id=person.pk,
        staff_id=cpss.pk,
        date=DAY,
        start_min=600,
        end_min=645,
        modality="in_person",
        setting="home",
        kind="individual",
        activity="peer_mentoring",
        goal_id=intervention.goal_id,
        intervention_id=intervention.pk,
        goal_plan_id=intervention.goal.plan_id,
        status="draft",
    )
    row.update(kw)
    return row


def overlapping_note_person():
    from peerpath.people.models import OtherService

    person, cpss, intervention = ready_person()
    NoteFactory(
        person=person,
        staff=cpss,
        date=DAY,
        goal=intervention.goal,
        intervention=intervention,
        status="draft",
    )
    OtherService.objects.create(
        person=person,
        category="THERAPY",
        date=DAY,
        start_time=dt.time(10, 30),
        end_time=dt.time(11, 30),
    )
    return person


def test_clean_draft_note_has_no_deny_findings():
    person, cpss, intervention = ready_person()
    findings = check_note(draft_for(person, cpss, intervention), as_of=DAY).findings.objects()
    assert [f for f in findings if f.severity == "deny"] == []


def test_draft_overlapping_another_service_is_caught_before_it_is_saved():
    from peerpath.people.models import OtherService

    person, cpss, intervention = ready_person()
    OtherService.objects.create(
        person=person,
        category="THERAPY",
        date=DAY,
        start_time=dt.time(10, 30),
        end_time=dt.time(11, 30),
    )
    findings = check_note(draft_for(person, cpss, intervention), as_of=DAY).findings.objects()
    hit = [f for f in findings if f.rule_id == "CONCURRENCY.OTHER_SERVICE"]
    assert len(hit) == 1 and hit[0].subject_id == DRAFT_NOTE_ID
    assert "THERAPY" in hit[0].evidence and hit[0].citation.section


def test_contract_override_replaces_the_figure_and_is_cited():
    person, cpss, intervention = ready_person()
    contract = PayerContract.objects.create(
        agency=person.agency, payer=person.payer, number="K-1", start=dt.date(2025, 1, 1)
    )
    ParameterOverride.objects.create(
        contract=contract,
        key="modality.allowed",
        value=["in_person"],
        start=dt.date(2026, 1, 1),
        source="Contract K-1 amendment 2",
        section="Exhibit B",
        confidence="official",
    )
    draft = draft_for(person, cpss, intervention, modality="audio_video")
    findings = check_note(draft, as_of=DAY).findings.objects()
    hit = [f for f in findings if f.rule_id == "NOTE.MODALITY_ALLOWED"]
    assert len(hit) == 1
    assert hit[0].citation.source == "Contract K-1 amendment 2"
    assert hit[0].citation.origin == "override:contract K-1"


def test_eligibility_trace_reports_each_criterion():
    person, *_ = ready_person()
    result = determine_eligibility(person.pk, on=DAY)
    assert result is not None
    assert result.pack_id == "nc-8g-2025"
    statuses = {c.rule_id: c.status for c in result.criteria}
    assert statuses and set(statuses.values()) == {"met"}
    assert result.eligible
    assert all(c.citation.source for c in result.criteria)


def test_warming_compiles_the_rules_of_the_packs_in_force():
    from peerpath.policy.engine import Evaluator
    from peerpath.policy.parameters import load_packs

    evaluator = Evaluator()
    compiled = evaluator.warm(load_packs().values(), DAY)
    assert compiled >= 25  # nc-8g-2025, sc-pss-2003 and tx-pss-2019 are in force
    assert evaluator.warm([load_packs()["nc-pss-2018"]], DAY) == 0  # not in force then
