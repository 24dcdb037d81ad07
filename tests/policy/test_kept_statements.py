"""Compiled statements kept between processes (`Evaluator.keep_compiled`): the next
evaluator with the same folder reads them instead of compiling, the key names them, and a
folder that cannot be written only costs compiling again."""

from __future__ import annotations

from pathlib import Path

import pytest

from peerpath.policy import assign
from peerpath.policy.engine import Evaluator


def _refuse() -> str:
    raise AssertionError("built again: the kept statement was not read")


def test_a_statement_compiled_once_is_read_by_the_next_evaluator(tmp_path: Path) -> None:
    first = Evaluator()
    first.keep_compiled(tmp_path)
    sql = first.relation_sql("assignments", assign.assignments, "duckdb")
    assert len(list(tmp_path.glob("*.sql"))) == 1

    second = Evaluator()
    second.keep_compiled(tmp_path)
    assert second.kept(("relation", "duckdb", "assignments"), _refuse) == sql


def test_each_key_has_its_own_statement(tmp_path: Path) -> None:
    evaluator = Evaluator()
    evaluator.keep_compiled(tmp_path)
    evaluator.kept(("a",), lambda: "SELECT 1")
    evaluator.kept(("b",), lambda: "SELECT 2")
    texts = sorted(p.read_text() for p in tmp_path.glob("*.sql"))
    assert texts == ["SELECT 1", "SELECT 2"]
    later = Evaluator()
    later.keep_compiled(tmp_path)
    with pytest.raises(AssertionError, match="built again"):
        later.kept(("c",), _refuse)


def test_without_a_folder_nothing_is_kept(tmp_path: Path) -> None:
    evaluator = Evaluator()
    evaluator.kept(("a",), lambda: "SELECT 1")
    later = Evaluator()
    later.keep_compiled(tmp_path)
    assert later.kept(("a",), lambda: "SELECT 2") == "SELECT 2"


def test_a_folder_that_cannot_be_written_only_means_compiling(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    evaluator = Evaluator()
    evaluator.keep_compiled(blocked / "compiled")
    assert evaluator.kept(("a",), lambda: "SELECT 1") == "SELECT 1"
