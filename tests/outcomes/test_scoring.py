"""Scoring from worked examples, ranges under any answers, and refused instrument files."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from peerpath.outcomes.instruments import (
    DIRECTORY,
    Instrument,
    InstrumentError,
    instrument,
    instruments,
    load_directory,
    load_file,
)
from peerpath.outcomes.scoring import AnswerError, score

BARC = instrument("BARC-10")
MHSIP = instrument("MHSIP")


def barc(*values: int | None) -> dict[int, int | None]:
    return dict(zip(range(1, 11), values, strict=True))


def test_barc10_full_answers_add_up_and_47_reaches_the_threshold() -> None:
    result = score(BARC, barc(5, 4, 6, 5, 3, 4, 5, 6, 4, 5))
    assert result.total == 47
    assert result.reached is True
    assert not result.prorated


def test_barc10_46_is_below_the_threshold() -> None:
    result = score(BARC, barc(5, 4, 6, 5, 3, 4, 5, 6, 4, 4))
    assert result.total == 46
    assert result.reached is False


def test_barc10_one_missing_item_is_prorated() -> None:
    # Nine answers adding to 42: 42 / 9 * 10 = 46.7, rounded to 47.
    result = score(BARC, barc(5, 4, 6, 5, 3, 4, 5, 6, 4, None))
    assert result.total == 47
    assert result.prorated
    assert result.missing == 1


def test_barc10_three_missing_items_give_no_total() -> None:
    result = score(BARC, barc(5, 4, 6, 5, 3, 4, 5, None, None, None))
    assert result.total is None
    assert result.reached is None


def test_barc10_extremes_are_10_and_60() -> None:
    assert score(BARC, barc(*[1] * 10)).total == 10
    assert score(BARC, barc(*[6] * 10)).total == 60


def test_an_answer_outside_the_options_is_refused_naming_the_item() -> None:
    with pytest.raises(AnswerError, match="item 3: 7"):
        score(BARC, {3: 7})
    with pytest.raises(AnswerError, match="no item 11"):
        score(BARC, {11: 2})


def mhsip_answers() -> dict[int, int | None]:
    answers: dict[int, int | None] = {n: 2 for n in range(1, 37)}
    answers.update({1: 1, 2: 2, 3: 2})  # general satisfaction: mean 5/3
    answers.update({4: 3, 5: 3, 6: None, 7: None, 8: 3, 9: 3})  # access: 2 of 6 missing
    answers.update({11: 4, 17: None})  # participation: 1 of 2 missing -> dropped
    answers.update({21: 3, 22: 3, 23: 3, 24: 2, 25: 2, 26: 2, 27: 2, 28: 2})  # outcomes
    return answers


def test_mhsip_domain_means_and_percent_positive_federal_direction() -> None:
    domains = {d.code: d for d in score(MHSIP, mhsip_answers()).domains}
    assert domains["general_satisfaction"].mean == pytest.approx(5 / 3)
    assert domains["general_satisfaction"].positive is True
    # A third missing is not more than a third: the domain is kept.
    assert domains["access"].mean == 3.0
    assert domains["access"].positive is False
    assert domains["outcomes"].mean == pytest.approx(19 / 8)
    assert domains["outcomes"].positive is True


def test_mhsip_domain_with_more_than_a_third_missing_is_dropped() -> None:
    domains = {d.code: d for d in score(MHSIP, mhsip_answers()).domains}
    assert domains["participation"].dropped
    assert domains["participation"].positive is None
    answers = mhsip_answers()
    answers.update({4: None, 5: None, 6: None})  # access: 4 of 6 missing
    assert {d.code: d for d in score(MHSIP, answers).domains}["access"].dropped


def test_mhsip_scale_direction_is_a_setting() -> None:
    reversed_form = dataclasses.replace(MHSIP, agree_is="high")
    answers = {n: 4 for n in range(1, 37)}
    assert all(d.positive for d in score(reversed_form, answers).domains)
    assert not any(d.positive for d in score(MHSIP, answers).domains)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_every_total_and_domain_mean_stays_within_its_range(data: st.DataObject) -> None:
    for inst in instruments().values():
        values = sorted(inst.answer_values)
        answers = {
            n: data.draw(st.one_of(st.none(), st.sampled_from(values))) for n in inst.item_numbers
        }
        result = score(inst, answers)
        low, high = inst.total_range
        if result.total is not None:
            assert low <= result.total <= high
        for d in result.domains:
            if d.mean is not None:
                assert low <= d.mean <= high


# ---- the files -------------------------------------------------------------------------------


def test_shipped_instruments_say_their_wording_is_not_shipped() -> None:
    for inst in instruments().values():
        assert inst.wording_shipped is False
        assert inst.wording_note
        assert inst.citation and inst.licence


def test_a_third_instrument_is_a_new_file(tmp_path: Path) -> None:
    for path in DIRECTORY.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text())
    (tmp_path / "wellbeing-3.yaml").write_text(
        yaml.safe_dump(
            {
                "code": "WB-3",
                "title": "Three-item wellbeing check",
                "source": {"citation": "Test", "licence": "Test", "confidence": "assumed"},
                "wording_shipped": False,
                "response_options": [{"value": v, "label": str(v)} for v in (0, 1, 2)],
                "items": [{"number": n, "label": f"item {n}"} for n in (1, 2, 3)],
                "scoring": {"method": "sum", "range": [0, 6]},
            }
        )
    )
    found = load_directory(tmp_path)
    assert set(found) == {"BARC-10", "MHSIP", "WB-3"}
    assert score(found["WB-3"], {1: 2, 2: 2, 3: 1}).total == 5


def _broken(tmp_path: Path, change: dict[str, object], drop: str = "") -> Path:
    raw = yaml.safe_load((DIRECTORY / "barc-10.yaml").read_text())
    raw.update(change)
    raw.pop(drop, None)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize(
    ("change", "drop", "key"),
    [
        ({"scoring": {"method": "sum", "range": [10, 50]}}, "", "scoring.range"),
        ({"scoring": {"method": "median", "range": [10, 60]}}, "", "scoring.method"),
        ({"items": [{"number": 1, "label": "a"}, {"number": 1, "label": "b"}]}, "", "items"),
        ({"response_options": [{"value": "x", "label": "a"}]}, "", "response_options[0].value"),
        ({}, "wording_shipped", "wording_shipped"),
        ({}, "source", "source"),
        ({"colour": "red"}, "", "colour"),
        (
            {
                "scoring": {
                    "method": "sum",
                    "range": [10, 60],
                    "threshold": {"value": 70, "label": "x"},
                }
            },
            "",
            "scoring.threshold.value",
        ),
    ],
)
def test_a_bad_instrument_file_is_refused_naming_file_and_key(
    tmp_path: Path, change: dict[str, object], drop: str, key: str
) -> None:
    with pytest.raises(InstrumentError) as caught:
        load_file(_broken(tmp_path, change, drop))
    assert str(caught.value).startswith(f"broken.yaml: {key}:")


def test_a_domain_naming_an_unknown_item_is_refused(tmp_path: Path) -> None:
    raw = yaml.safe_load((DIRECTORY / "mhsip-acs.yaml").read_text())
    raw["domains"][1]["items"].append(99)
    path = tmp_path / "mhsip.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(
        InstrumentError, match=r"mhsip.yaml: domains\[1\].items: no item numbered 99"
    ):
        load_file(path)


def test_instrument_type() -> None:
    assert isinstance(BARC, Instrument)
