"""One policy truth, enforced: no module outside `peerpath.policy` picks a pack, counts
units, head-counts a caseload or computes a due date itself. They ask `peerpath.policy.api`.

The test reads every module of the `peerpath` package outside the policy package with `ast`
and fails, naming the file and line, on:

- an import of any policy module other than `peerpath.policy.api` (the engine, the pack
  loader, the assignment relation ...), absolute or relative;
- a use of the names that load or choose packs or run the engine (`select_pack`,
  `load_packs`, `EVALUATOR` ...), however they were reached;
- a string naming a pack parameter that sets units or a due date (`units.minutes_per_unit`,
  `supervision.contact_interval_days` ...): code that reads such a figure is computing
  units or a deadline from it;
- a function whose name says it computes units from minutes, a head-count or a due date;
- arithmetic that turns minutes into units (`minutes // 15`, `... // per_unit`).

ALLOWED lists the few reads that are not policy, each with its reason.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "peerpath"
POLICY = PACKAGE / "policy"

# Policy modules others may import: the facade, and the command line (its commands are
# registered by the top-level CLI).
IMPORTABLE = {"peerpath.policy.api"}
IMPORTABLE_FROM = {"peerpath/cli.py": {"peerpath.policy.cli"}}

# Engine adapters: packages that feed the engine tables from outside the app database and
# run it themselves. They may import the engine and hand it the packs, but still choose no
# pack, read no unit or due-date figure and count no units (the engine's assignment relation
# and note units do that for them).
ENGINE_ADAPTERS = {
    "peerpath/integrity/": "the program-integrity audit runs the engine over claims and "
    "records extract files (CSV/Parquet) on DuckDB or Spark, passing every pack to it",
}
ADAPTER_NAMES = {"load_packs", "Evaluator", "EVALUATOR"}

# Names that load packs, choose one, or run the engine's relations directly.
FORBIDDEN_NAMES = {
    "select_pack",
    "load_packs",
    "load_pack",
    "packs_table",
    "variant_for",
    "contract_overrides",
    "EVALUATOR",
    "Evaluator",
}

# Pack parameters from which units, head-count limits' periods or due dates are computed.
UNIT_KEYS = {"units.minutes_per_unit", "units.min_minutes_first_unit"}
DUE_KEYS = {
    "supervision.first_contact_days",
    "supervision.contact_interval_days",
    "evaluation.first_due_months",
    "evaluation.interval_months",
    "plan.review_interval_days",
    "credential.renewal_years",
    "training.requirements",
    "documentation.sign_within_days",
    "authorization.unmanaged_window",
    "fiscal_year.start_month",
    "decision.standard_days",
    "decision.expedited_hours",
}
FORBIDDEN_KEYS = UNIT_KEYS | DUE_KEYS

# Function names that say "I compute policy".
FORBIDDEN_FUNCTION = re.compile(
    r"(units?_(for|from|of)_minutes|minutes_to_units|head_?counts?|count_caseload|"
    r"caseload_counts?|due_dates?|compute_due|next_due)",
    re.IGNORECASE,
)
UNIT_OPERAND = re.compile(r"per_unit|unit_minutes|minutes_per", re.IGNORECASE)


@dataclass(frozen=True)
class Allowed:
    path: str
    what: str
    why: str


ALLOWED = (
    Allowed(
        "peerpath/demo/generator.py",
        "training.requirements",
        "the demo generator makes up training records that meet the pack's schedule; it "
        "computes no due date the board shows (the board asks policy.api.due_lists)",
    ),
)


@dataclass(frozen=True)
class Breach:
    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def _modules() -> list[Path]:
    return sorted(
        p for p in PACKAGE.rglob("*.py") if POLICY not in p.parents and "migrations" not in p.parts
    )


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _is_policy(module: str) -> bool:
    return module == "peerpath.policy" or module.startswith("peerpath.policy.")


def breaches_in(path: Path, source: str | None = None) -> list[Breach]:
    """Every breach of the boundary in one module (source read from `path` unless given)."""
    rel = path.relative_to(ROOT).as_posix()
    text = source if source is not None else path.read_text(encoding="utf-8")
    tree = ast.parse(text, filename=rel)
    allowed_imports = IMPORTABLE | IMPORTABLE_FROM.get(rel, set())
    adapter = any(rel.startswith(prefix) for prefix in ENGINE_ADAPTERS)
    forbidden_names = FORBIDDEN_NAMES - ADAPTER_NAMES if adapter else FORBIDDEN_NAMES
    allowed_keys = {a.what for a in ALLOWED if a.path == rel}
    out: list[Breach] = []

    def add(node: ast.AST, what: str) -> None:
        out.append(Breach(rel, getattr(node, "lineno", 0), what))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _is_policy(alias.name) and alias.name not in allowed_imports and not adapter:
                    add(node, f"imports {alias.name} (use peerpath.policy.api)")
        elif isinstance(node, ast.ImportFrom):
            module = _resolve(path, node)
            if module == "peerpath.policy":
                for alias in node.names:
                    full = f"peerpath.policy.{alias.name}"
                    if full not in allowed_imports and not adapter:
                        add(node, f"imports {full} (use peerpath.policy.api)")
            elif _is_policy(module) and module not in allowed_imports and not adapter:
                add(node, f"imports {module} (use peerpath.policy.api)")
            for alias in node.names:
                if alias.name in forbidden_names:
                    add(node, f"imports {alias.name} from {module}")
        elif isinstance(node, ast.Name) and node.id in forbidden_names:
            add(node, f"uses {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr in forbidden_names:
            add(node, f"uses .{node.attr}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value in FORBIDDEN_KEYS and node.value not in allowed_keys:
                add(node, f"reads the figure {node.value!r} (ask peerpath.policy.api)")
            elif "policy/packs" in node.value or node.value.endswith("pack.yaml"):
                add(node, f"reads pack files ({node.value!r})")
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if FORBIDDEN_FUNCTION.search(node.name):
                add(node, f"defines {node.name}() (policy belongs in the engine)")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.FloorDiv | ast.Mod):
            left, right = ast.unparse(node.left), ast.unparse(node.right)
            minutes_by_15 = (
                isinstance(node.right, ast.Constant) and node.right.value == 15
            ) and "minute" in left.lower()
            if UNIT_OPERAND.search(left) or UNIT_OPERAND.search(right) or minutes_by_15:
                add(node, f"counts units itself ({ast.unparse(node)})")
    return out


def test_no_module_outside_the_policy_package_does_policy():
    found = [b for path in _modules() for b in breaches_in(path)]
    assert not found, "policy done outside peerpath.policy:\n" + "\n".join(map(str, found))


def test_every_allowance_is_still_needed():
    for allowed in ALLOWED:
        text = (ROOT / allowed.path).read_text(encoding="utf-8")
        assert repr(allowed.what) in text or f'"{allowed.what}"' in text, allowed
        assert allowed.why


# ---- the checker itself fails on each kind of breach (so the test above can fail) ---------

SAMPLE = PACKAGE / "billing" / "sample.py"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from peerpath.policy.parameters import select_pack\n", "peerpath.policy.parameters"),
        ("from peerpath.policy import engine\n", "peerpath.policy.engine"),
        ("import peerpath.policy.assign\n", "peerpath.policy.assign"),
        ("from ..policy.engine import EVALUATOR\n", "peerpath.policy.engine"),
        ("from peerpath.policy.api import EVALUATOR\n", "EVALUATOR"),
        ("packs = api.load_packs()\n", "load_packs"),
        ("x = pack.value('units.minutes_per_unit', on)\n", "units.minutes_per_unit"),
        ("d = figure(1, 'supervision.contact_interval_days', on)\n", "contact_interval_days"),
        ("def units_from_minutes(m):\n    return m\n", "units_from_minutes"),
        ("def caseload_headcount(s):\n    return 0\n", "caseload_headcount"),
        ("def due_date(x):\n    return x\n", "due_date"),
        ("u = minutes // 15\n", "counts units"),
        ("u = total % minutes_per_unit\n", "counts units"),
        ("p = 'peerpath/policy/packs/nc/pack.yaml'\n", "pack files"),
    ],
)
def test_the_checker_catches(source, expected):
    found = breaches_in(SAMPLE, source)
    assert found and any(expected in b.what for b in found), found


def test_an_engine_adapter_may_run_the_engine_but_not_choose_packs():
    adapter = PACKAGE / "integrity" / "sample.py"
    ok = "from peerpath.policy.engine import Evaluator\npacks = load_packs()\n"
    assert breaches_in(adapter, ok) == []
    bad = "from peerpath.policy.parameters import select_pack\nx = select_pack(p, 'NC', d)\n"
    assert any("select_pack" in b.what for b in breaches_in(adapter, bad))
    assert breaches_in(adapter, "u = minutes // 15\n")


def test_the_checker_lets_the_facade_through():
    source = (
        "from peerpath.policy.api import check_note, units_for_minutes\n"
        "from peerpath.policy import api\n"
        "x = api.figure(1, 'ratios.cpss_to_people', on)\n"
        "h = elapsed // 60\n"
    )
    assert breaches_in(SAMPLE, source) == []
