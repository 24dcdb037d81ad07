"""Test helpers for X12 files: the hand-made 837P fixture and pyx12 validation."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_837p() -> str:
    """Two people, two claims, five H0038 lines (one HQ group, one GT telehealth)."""
    return (FIXTURES / "two_people_837p.x12").read_text()


def _errors(node: Any, out: list[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "errors" and isinstance(value, list):
                out.extend(json.dumps(e, default=str) for e in value)
            else:
                _errors(value, out)
    elif isinstance(node, list):
        for item in node:
            _errors(item, out)


def pyx12_problems(text: str) -> list[str]:
    """What pyx12 (an independent X12 validator, checking the file against the HIPAA
    implementation guide's map) finds wrong with `text`; an empty list when it is valid."""
    import pyx12.params
    import pyx12.x12n_document

    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    found = io.StringIO()
    valid = pyx12.x12n_document.x12n_document(
        param=pyx12.params.params(),
        src_file=io.StringIO(text),
        fd_997=None,
        fd_html=None,
        fd_json=found,
    )
    problems: list[str] = []
    if found.getvalue():
        _errors(json.loads(found.getvalue()), problems)
    if not valid and not problems:
        problems.append("pyx12 refused the file without naming an error")
    return problems
