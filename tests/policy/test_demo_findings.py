"""The rules, run over the demo agency, find every defect the generator planted, and say
nothing about the records it made clean."""

from __future__ import annotations

from collections import defaultdict

import pytest

from peerpath.demo.generator import generate
from peerpath.policy.checks import check_agency

pytestmark = pytest.mark.django_db

# Which rules must catch each planted defect kind.
EXPECTED_RULES: dict[str, set[str]] = {
    "note_outside_authorization": {"AUTH.NOTE_COVERED"},
    "units_over_authorization": {"AUTH.UNITS_EXCEEDED"},
    "certification_expired": {"CREDENTIAL.CURRENT"},
    "missed_supervisor_contact": {"SUPERVISION.CONTACT_INTERVAL", "SUPERVISION.FIRST_CONTACT"},
    "group_over_size": {"RATIO.GROUP_SIZE"},
    "note_without_goal": {"NOTE.PLAN_GOAL"},
    "overlap_other_service": {"CONCURRENCY.OTHER_SERVICE"},
    "excluded_program": {"CONCURRENCY.EXCLUDED_PROGRAM"},
    "cca_after_first_service": {"ENTRANCE.CCA_BEFORE_SERVICE"},
    "service_order_late": {"ENTRANCE.SERVICE_ORDER"},
    "no_crisis_plan": {"CRISIS.PLAN_PRESENT"},
    "training_missed": {"TRAINING.INITIAL_DEADLINES"},
    "caseload_over_ratio": {"RATIO.CASELOAD"},
    "not_covered_activity": {"NOTE.NOT_COVERED_ACTIVITY"},
    "family_member_delivers": {"LIMITS.FAMILY_MEMBER"},
    "under_age": {"ELIG.MIN_AGE"},
    "too_few_needs_areas": {"ELIG.NEEDS_AREAS"},
    "plan_expired": {"PLAN.CURRENT"},
    # Not a rule's finding: the board's due list shows it (tests/demo/test_living.py).
    "outcome_measure_overdue": set(),
}
SUBJECT_TYPES = {
    "services.ServiceNote": "note",
    "people.Person": "person",
    "authorizations.Authorization": "authorization",
    "staff.StaffMember": "staff",
    "services.GroupSession": "group_session",
    "plans.Plan": "plan",
    "people.Assessment": "assessment",
    "people.ServiceOrder": "service_order",
}


def keys_of_defect(d) -> set[tuple[str, int]]:
    keys = set()
    if d.record_type in SUBJECT_TYPES:
        keys.add((SUBJECT_TYPES[d.record_type], d.record_id))
    if d.person_id is not None:
        keys.add(("person", d.person_id))
    if d.staff_id is not None and d.person_id is None:
        keys.add(("staff", d.staff_id))
    return keys


def keys_of_finding(f) -> set[tuple[str, int]]:
    keys = {(f.subject_type, f.subject_id)}
    if f.person_id is not None:
        keys.add(("person", f.person_id))
    if f.staff_id is not None:
        keys.add(("staff", f.staff_id))
    return keys


def test_rules_find_every_planted_defect_and_nothing_on_clean_records():
    report = generate(seed=7)
    assert {d.kind for d in report.defects} == set(EXPECTED_RULES), "a kind was not planted"
    findings = check_agency(as_of=report.end, period_start=report.start)

    by_rule_key: dict[tuple[str, tuple[str, int]], list] = defaultdict(list)
    for f in findings:
        for key in keys_of_finding(f):
            by_rule_key[(f.rule_id, key)].append(f)

    missed = [
        (d.kind, d.record_type, d.record_id)
        for d in report.defects
        if EXPECTED_RULES[d.kind]
        and not any(
            (rule, key) in by_rule_key
            for rule in EXPECTED_RULES[d.kind]
            for key in keys_of_defect(d)
        )
    ]
    assert missed == [], f"planted defects the rules did not find: {missed}"

    explained = {
        (rule, key)
        for d in report.defects
        for rule in EXPECTED_RULES[d.kind]
        for key in keys_of_defect(d)
    }
    unexplained = [
        (f.rule_id, f.subject_type, f.subject_id, f.evidence)
        for f in findings
        if not any((f.rule_id, key) in explained for key in keys_of_finding(f))
    ]
    assert unexplained == [], f"findings on records the generator made clean: {unexplained[:10]}"


def test_a_clean_demo_has_no_findings():
    report = generate(seed=11, people=60, defect_rate=0)
    assert report.defects == []
    findings = check_agency(as_of=report.end, period_start=report.start)
    assert [(f.rule_id, f.subject_type, f.subject_id, f.evidence) for f in findings] == []


def test_live_checks_of_one_person_agree_with_the_batch_run():
    """The live path (SQLite, statements kept, tables refilled for each check) must say,
    word for word, what a fresh batch run (DuckDB) says of each person's rows."""
    from peerpath.policy.checks import run
    from peerpath.policy.engine import Scope
    from peerpath.policy.extract import extract

    report = generate(seed=7, people=60)
    people = sorted({d.person_id for d in report.defects if d.person_id} | {1, 2, 3})
    for person_id in people:
        data = extract(person_ids=[person_id])
        scope = Scope(people=[person_id])
        live = {
            (f.rule_id, f.subject_id, f.date, f.evidence)
            for f in run(data, as_of=report.end, scope=scope, live=True).objects()
        }
        batch = {
            (f.rule_id, f.subject_id, f.date, f.evidence)
            for f in run(data, as_of=report.end, scope=scope).objects()
        }
        assert live == batch, person_id
