"""Every rule: declared fully, cited by its pack, and proven by cases that pass and fail."""

from __future__ import annotations

import pytest

from peerpath.policy.cases import load_cases
from peerpath.policy.engine import EVALUATOR
from peerpath.policy.parameters import load_packs
from peerpath.policy.rules.base import CATEGORIES, REGISTRY, SEVERITIES

CASES = load_cases()
PACKS = load_packs()


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule}: {c.name}")
def test_rule_case(case):
    """Each case on the batch engine (DuckDB) and on the live check's (SQLite): the same
    findings, word for word."""
    rule = REGISTRY[case.rule]
    pack = PACKS[case.pack]
    by_engine = {}
    for live in (False, True):
        findings = EVALUATOR.evaluate(
            pack,
            case.data(pack.jurisdiction),
            as_of=case.as_of,
            period_start=case.since,
            rules=[rule],
            live=live,
        )
        got = {f"{f.subject_type}:{f.subject_id}" for f in findings}
        assert got == case.expect, ("live" if live else "batch", [f.evidence for f in findings])
        for f in findings:
            assert f.citation.source and f.citation.section and f.citation.confidence
        by_engine[live] = [(f.subject_type, f.subject_id, f.date, f.evidence) for f in findings]
    assert by_engine[True] == by_engine[False]


@pytest.mark.parametrize("rule_id", sorted(REGISTRY))
def test_every_rule_is_declared_fully_and_has_passing_and_failing_cases(rule_id):
    rule = REGISTRY[rule_id]
    assert rule.title and rule.explanation and rule.fix
    assert rule.category in CATEGORIES and rule.severity in SEVERITIES
    assert rule.effective_from is not None
    mine = [c for c in CASES if c.rule == rule_id]
    assert any(c.expect for c in mine), f"{rule_id} has no failing case"
    assert any(not c.expect for c in mine), f"{rule_id} has no passing case"


@pytest.mark.parametrize("rule_id", sorted(REGISTRY))
def test_every_rule_is_cited_by_a_parameter_that_packs_define(rule_id):
    rule = REGISTRY[rule_id]
    cited_somewhere = False
    for pack in PACKS.values():
        if rule.cites in pack.parameters:
            for value in pack.param(rule.cites).values:
                assert value.source.title and value.section and value.confidence
                cited_somewhere = True
    assert cited_somewhere, f"{rule_id} cites {rule.cites}, which no pack defines"


def test_case_files_name_only_known_rules():
    unknown = {c.rule for c in CASES} - set(REGISTRY)
    assert not unknown
