"""Basis and exceptions: named exceptions declared, cited and honoured; a rule's legal basis
apart from the figure that switches it on; every pack parameter read by the engine; an
assumed figure shown as assumed wherever it is used."""

from __future__ import annotations

import ast
import datetime as dt
import json
from pathlib import Path

import pytest

from peerpath.policy import claims, due, plan, relations
from peerpath.policy.cases import load_cases
from peerpath.policy.engine import EVALUATOR
from peerpath.policy.exceptions import EXCEPTIONS, citation, in_force
from peerpath.policy.findings import ASSUMED_WORDS, Citation
from peerpath.policy.parameters import load_catalogue, load_packs
from peerpath.policy.rules.base import REGISTRY
from peerpath.policy.tables import SCHEMAS, rows_to_table

PACKS = load_packs()
CASES = load_cases()
D = dt.date


def _exception_codes_in(value: object) -> set[str]:
    """Exception codes written anywhere in a pack value (items' `exceptions` lists)."""
    found: set[str] = set()
    if isinstance(value, dict | list | tuple) or hasattr(value, "items"):
        items = value.items() if hasattr(value, "items") else enumerate(value)  # type: ignore[union-attr]
        for key, inner in items:
            if key == "exceptions":
                for exc in inner or ():
                    found.add(str(exc["code"]))
            else:
                found |= _exception_codes_in(inner)
    return found


def test_every_exception_a_pack_writes_is_declared_and_honoured_by_a_rule():
    honoured = {e for r in REGISTRY.values() for e in r.exceptions}
    for pack in PACKS.values():
        for key, param in pack.parameters.items():
            for value in param.values:
                for code in _exception_codes_in(value.value):
                    assert code in EXCEPTIONS, f"{pack.id} {key}: undeclared exception {code}"
                    assert code in honoured, f"{pack.id} {key}: no rule honours {code}"


@pytest.mark.parametrize("exc_id", sorted(EXCEPTIONS))
def test_each_exception_is_cited_backed_by_record_fields_and_read_by_its_rule(exc_id):
    exc = EXCEPTIONS[exc_id]
    assert exc.title and exc.explanation
    for field in exc.backed_by:
        table, _, column = field.partition(".")
        assert column in SCHEMAS[table].names, field
    rules = [r for r in REGISTRY.values() if exc_id in r.exceptions]
    assert rules, f"no rule honours {exc_id}"
    for r in rules:
        assert exc.parameter in r.params, f"{r.id} does not read {exc.parameter}"
    cited = [
        (pack.id, c)
        for pack in PACKS.values()
        for value in pack.param(exc.parameter).values
        if exc.parameter in pack.parameters
        and (c := citation(exc_id, pack, value.start)) is not None
    ]
    assert cited, f"no pack declares {exc_id}"
    for _, c in cited:
        assert c.source and c.section and c.confidence


def test_rules_name_only_declared_exceptions():
    for r in REGISTRY.values():
        assert set(r.exceptions) <= set(EXCEPTIONS), r.id


def test_which_packs_declare_which_exceptions():
    def declared(pack_id: str, on: dt.date) -> set[str]:
        return {e.id for e, _ in in_force(PACKS[pack_id], on)}

    assert declared("nc-8g-2025", D(2025, 6, 1)) == {
        "planned_social_skill_goal",
        "act_cst_transition",
    }
    assert declared("nc-pss-2018", D(2019, 1, 1)) == {"act_cst_transition"}
    assert declared("sc-pss-2003", D(2010, 1, 1)) == set()
    (social,) = [
        c for e, c in in_force(PACKS["nc-8g-2025"], D(2025, 6, 1)) if e.id.startswith("planned")
    ]
    assert "4.2.1" in social.section


@pytest.mark.parametrize(
    ("rule_id", "table"),
    [("NOTE.NOT_COVERED_ACTIVITY", "goals"), ("CONCURRENCY.EXCLUDED_PROGRAM", "enrollments")],
)
def test_each_exception_has_cases_that_pass_and_fail_on_its_record_field(rule_id, table):
    mine = [c for c in CASES if c.rule == rule_id and table in c.tables]
    assert any(c.expect for c in mine) and any(not c.expect for c in mine)


# ---- basis apart from the figure --------------------------------------------------------------


@pytest.mark.parametrize("rule_id", sorted(REGISTRY))
def test_every_rule_has_a_legal_basis_the_packs_cite(rule_id):
    rule = REGISTRY[rule_id]
    assert rule.basis and rule.basis in rule.params
    cited = [p.param(rule.basis) for p in PACKS.values() if rule.basis in p.parameters]
    assert cited, f"{rule_id}: no pack defines its basis {rule.basis}"
    for param in cited:
        for value in param.values:
            assert value.source.title and value.section


def test_a_contract_override_replaces_the_figure_but_not_the_legal_basis():
    data = {
        "people": rows_to_table(
            "people",
            [{"person_id": 1, "agency_id": 1, "payer_id": 5, "state": "NC", "medicaid_id": "9A"}],
        ),
        "contracts": rows_to_table(
            "contracts",
            [
                {
                    "contract_id": 1,
                    "agency_id": 1,
                    "payer_id": 5,
                    "number": "K-9",
                    "start": D(2025, 1, 1),
                }
            ],
        ),
        "overrides": rows_to_table(
            "overrides",
            [
                {
                    "contract_id": 1,
                    "key": "modality.allowed",
                    "value": json.dumps(["in_person"]),
                    "start": D(2025, 5, 1),
                    "source": "Contract K-9 amendment 1",
                    "section": "Exhibit B",
                    "confidence": "official",
                }
            ],
        ),
        "notes": rows_to_table(
            "notes",
            [
                {
                    "note_id": 1,
                    "person_id": 1,
                    "staff_id": 1,
                    "date": D(2025, 6, 3),
                    "start_min": 600,
                    "end_min": 645,
                    "modality": "audio_video",
                    "activity": "peer_mentoring",
                    "status": "signed",
                }
            ],
        ),
    }
    found = EVALUATOR.run(
        data, as_of=D(2025, 6, 30), rules=[REGISTRY["NOTE.MODALITY_ALLOWED"]]
    ).objects()
    assert len(found) == 1
    (f,) = found
    assert f.citation.source == "Contract K-9 amendment 1" and f.contract == "K-9"
    assert f.basis is not None and f.basis.source != f.citation.source
    assert "8G" in f.basis.source and f.basis.section


# ---- every parameter is read -------------------------------------------------------------------

READERS = {"claims": claims, "due": due, "plan": plan, "relations": relations}


def _declared_reads() -> dict[str, set[str]]:
    reads: dict[str, set[str]] = {}
    for rule in REGISTRY.values():
        for key in rule.params:
            reads.setdefault(key, set()).add(rule.id)
    for name, module in READERS.items():
        for relation, keys in module.READS.items():
            for key in keys:
                reads.setdefault(key, set()).add(f"{name}.{relation}")
    return reads


def test_every_parameter_of_every_pack_is_read_by_a_rule_or_a_relation():
    reads = _declared_reads()
    unread = sorted(
        f"{pack.id}: {key}"
        for pack in PACKS.values()
        for key in pack.parameters
        if key not in reads
    )
    assert not unread, "parameters no rule or engine relation reads (remove them):\n" + (
        "\n".join(unread)
    )
    assert not set(load_catalogue()) - set(reads), "catalogue keys nothing reads"


@pytest.mark.parametrize("name", sorted(READERS))
def test_the_relations_read_what_they_declare(name):
    """`READS` is not a list of wishes: each key it names appears in its module's code."""
    module = READERS[name]
    files = [Path(module.__file__ or "")]
    if name == "relations":  # note units are computed by the assignment relation's SQL
        files.append(files[0].with_name("assign.py"))
    literals = [
        n.value
        for f in files
        for n in ast.walk(ast.parse(f.read_text(encoding="utf-8")))
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]
    for keys in module.READS.values():
        for key in keys:
            # Once in READS itself, and at least once where it is read.
            assert literals.count(key) >= 2, f"{name}: declares {key} but never reads it"


# ---- assumed figures are shown as assumed ----------------------------------------------------


def test_an_assumed_citation_says_so_in_words():
    c = Citation("x", 1, "Some source", "", "Section 1", "assumed", "pack")
    assert c.assumed and ASSUMED_WORDS in c.short()
    sure = Citation("x", 1, "Some source", "", "Section 1", "seed", "pack")
    assert "assumed" not in sure.short()


def test_a_finding_on_an_assumed_figure_is_marked_assumed():
    """nc-8g-2025's telehealth share (0.5) is a placeholder: a finding it switches on says so
    in its citation, its `assumed` flag and its JSON."""
    rows = [
        {
            "note_id": i,
            "person_id": 1,
            "staff_id": 1,
            "date": D(2025, 6, i),
            "start_min": 600,
            "end_min": 645,
            "modality": m,
            "activity": "peer_mentoring",
            "status": "signed",
        }
        for i, m in ((2, "audio_video"), (3, "audio_only"), (4, "in_person"))
    ]
    data = {
        "people": rows_to_table("people", [{"person_id": 1, "agency_id": 1, "state": "NC"}]),
        "notes": rows_to_table("notes", rows),
    }
    found = EVALUATOR.run(
        data, as_of=D(2025, 6, 30), rules=[REGISTRY["MODALITY.TELEHEALTH_SHARE"]]
    ).objects()
    assert len(found) == 1
    (f,) = found
    assert f.assumed and f.as_dict()["assumed"] is True
    assert ASSUMED_WORDS in f.citation.short()
    assert "6 of 9 units by telehealth" in f.evidence
