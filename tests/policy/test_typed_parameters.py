"""Typed parameters: the catalogue (data next to the packs) gives each key the shape of its
value, and a pack whose value does not fit refuses to load, naming the file, the key, the
value and what was expected. One test per kind of shape, plus the catalogue's own checks."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from peerpath.policy.parameters import (
    CATALOGUE_FILE,
    SPECS,
    Override,
    PolicyPackError,
    check_value,
    load_catalogue,
    load_packs,
)
from peerpath.policy.shapes import ShapeError, parse_shape

SOURCE = "s1: {title: T, date: 2020-01-01, kind: seed, ref: r}"


def pack_with(root: Path, key: str, value_yaml: str) -> Path:
    """A pack stating one value for `key` (written as YAML flow text)."""
    path = root / "xx-typed" / "pack.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        textwrap.dedent(f"""\
        id: xx-typed
        title: Typed test pack
        jurisdiction: XX
        effective: {{start: 2020-01-01, end: null, confidence: assumed}}
        sources:
          {SOURCE}
        parameters:
          {key}:
            values:
              - {{from: 2020-01-01, value: {value_yaml}, source: s1, section: S, confidence: seed}}
        """)
    )
    return path


def refused(tmp_path: Path, key: str, value_yaml: str, *expected: str) -> str:
    path = pack_with(tmp_path, key, value_yaml)
    with pytest.raises(PolicyPackError) as err:
        load_packs(tmp_path)
    text = str(err.value)
    assert str(path) in text, text  # the file
    assert repr(key) in text, text  # the key
    for part in expected:
        assert part in text, text  # the value and what was expected
    return text


def loads(tmp_path: Path, key: str, value_yaml: str) -> object:
    pack_with(tmp_path, key, value_yaml)
    return load_packs(tmp_path)["xx-typed"].value(key, dt.date(2020, 1, 1))


# ---- one test per shape ----------------------------------------------------------------


def test_integer_refuses_text_fractions_and_out_of_range(tmp_path: Path) -> None:
    assert loads(tmp_path, "ratios.group_max", "8") == 8
    refused(tmp_path, "ratios.group_max", "eight", "'eight'", "a whole number of at least 1")
    refused(tmp_path, "ratios.group_max", "8.5", "8.5", "a whole number")
    refused(tmp_path, "ratios.group_max", "0", "0 is not a whole number of at least 1")
    refused(tmp_path, "fiscal_year.start_month", "13", "13", "from 1 to 12")
    refused(tmp_path, "ratios.group_max", "true", "True", "a whole number")


def test_number_refuses_a_share_above_one(tmp_path: Path) -> None:
    assert loads(tmp_path, "modality.telehealth_max_share", "0.25") == 0.25
    refused(tmp_path, "modality.telehealth_max_share", "1.5", "1.5", "a number from 0 to 1")
    refused(tmp_path, "modality.telehealth_max_share", "half", "'half'", "a number")


def test_bool_refuses_words(tmp_path: Path) -> None:
    assert loads(tmp_path, "plan.required", "true") is True
    refused(tmp_path, "plan.required", "'yes'", "'yes'", "true or false")


def test_text_refuses_numbers_and_blanks(tmp_path: Path) -> None:
    assert loads(tmp_path, "plan.name", "PCP") == "PCP"
    refused(tmp_path, "plan.name", "12", "12", "text")
    refused(tmp_path, "plan.name", "'  '", "text")


def test_mode_refuses_a_word_outside_its_set(tmp_path: Path) -> None:
    assert loads(tmp_path, "concurrency.same_time_rule", "never") == "never"
    refused(
        tmp_path,
        "concurrency.same_time_rule",
        "sometimes",
        "'sometimes'",
        "one of: never, allowed_list",
    )
    refused(
        tmp_path,
        "authorization.unmanaged_window",
        "fiscal_yaer",
        "'fiscal_yaer'",
        "one of: fiscal_year_episode, fiscal_year, episode",
    )


def test_window_with_a_misspelt_kind_is_refused(tmp_path: Path) -> None:
    good = "{units: 104, window: rolling_months, months: 6}"
    assert dict(loads(tmp_path, "units.cap", good)) == {  # type: ignore[call-overload]
        "units": 104,
        "window": "rolling_months",
        "months": 6,
    }
    refused(
        tmp_path,
        "units.cap",
        "{units: 104, window: rolling_month, months: 6}",
        "'rolling_month' at window is not one of: rolling_months",
    )
    refused(tmp_path, "units.cap", "{units: 104, window: rolling_months}", "at months")
    refused(
        tmp_path,
        "units.cap",
        "{units: 104, window: rolling_months, months: 6, days: 3}",
        "'days' at days is not a known field",
    )


def test_list_of_codes_names_the_bad_item(tmp_path: Path) -> None:
    assert loads(tmp_path, "modality.allowed", "[in_person]") == ("in_person",)
    refused(
        tmp_path,
        "modality.allowed",
        "[in_person, telepathy]",
        "'telepathy' at [1] is not one of: in_person, audio_video, audio_only",
    )
    refused(tmp_path, "modality.allowed", "in_person", "a list of")


def test_code_must_match_its_pattern(tmp_path: Path) -> None:
    assert loads(tmp_path, "billing.procedure_code", "H0038") == "H0038"
    refused(tmp_path, "billing.procedure_code", "h38", "'h38'", "a code matching")


def test_map_checks_keys_and_values(tmp_path: Path) -> None:
    assert dict(loads(tmp_path, "modality.modifiers", "{audio_video: GT}")) == {  # type: ignore[call-overload]
        "audio_video": "GT"
    }
    refused(tmp_path, "modality.modifiers", "{audio_video: GTX}", "'GTX' at audio_video")
    refused(tmp_path, "modality.modifiers", "{carrier_pigeon: GT}", "'carrier_pigeon'")


def test_records_in_a_list_check_each_field(tmp_path: Path) -> None:
    good = "[{id: ce, topic: Yearly, hours: 10, due: {every_months: 12}, who: all}]"
    assert len(loads(tmp_path, "training.requirements", good)) == 1  # type: ignore[arg-type]
    refused(
        tmp_path,
        "training.requirements",
        "[{id: ce, topic: Yearly, hours: 10, due: {every_months: 12}, who: everyone}]",
        "'everyone' at [0].who is not one of: all, supervisor",
    )
    refused(
        tmp_path,
        "training.requirements",
        "[{id: ce, topic: Yearly, hours: 10, due: {every_monts: 12}, who: all}]",
        "at [0].due.every_monts",
    )


def test_dates_inside_values_must_be_iso(tmp_path: Path) -> None:
    good = "[{code: H0038-U4, last_day: '2019-10-31'}]"
    assert loads(tmp_path, "billing.retired_codes", good)
    refused(
        tmp_path,
        "billing.retired_codes",
        "[{code: H0038-U4, last_day: '2019-10-32'}]",
        "'2019-10-32' at [0].last_day is not an ISO date",
    )


def test_not_nullable_keys_refuse_null(tmp_path: Path) -> None:
    refused(tmp_path, "units.minutes_per_unit", "null", "null is not allowed")
    assert loads(tmp_path, "ratios.group_max", "null") is None  # "the pack states no figure"


def test_a_key_outside_the_catalogue_is_refused(tmp_path: Path) -> None:
    path = pack_with(tmp_path, "ratios.grup_max", "8")
    with pytest.raises(PolicyPackError, match=r"grup_max.*not in the parameter catalogue"):
        load_packs(tmp_path)
    assert path.exists()


def test_contract_overrides_are_checked_against_the_shape() -> None:
    pack = load_packs()["nc-8g-2025"]
    bad = Override(
        key="ratios.group_max",
        value="eight",
        start=dt.date(2026, 1, 1),
        end=None,
        source_title="Contract K-1",
        section="Exhibit B",
        confidence="official",
        label="contract K-1",
    )
    with pytest.raises(PolicyPackError, match=r"override 'contract K-1'.*'eight'.*whole number"):
        pack.with_overrides([bad])
    with pytest.raises(PolicyPackError, match="one of: in_person"):
        check_value("modality.allowed", ["in_person", "fax"])


# ---- the catalogue itself ----------------------------------------------------------------


def test_every_catalogue_key_has_a_shape_and_every_shipped_value_fits() -> None:
    assert SPECS and all(spec.shape is not None for spec in SPECS.values())
    for pack in load_packs().values():
        for key, param in pack.parameters.items():
            for value in param.values:
                assert SPECS[key].problem(value.value) is None, (pack.id, key)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("whole", "unknown shape 'whole'"),
        ({"mode": []}, "mode needs a non-empty list"),
        ({"integer": {"least": 1}}, "unknown option"),
        ({"code": "[unclosed"}, "is not valid"),
        ({"map": {"keys": "text"}}, "map needs 'keys' and 'values'"),
        ({"list": "text", "map": "text"}, "one key"),
    ],
)
def test_a_bad_shape_in_the_catalogue_is_named(raw: object, message: str) -> None:
    with pytest.raises(ShapeError, match=message):
        parse_shape(raw, "catalogue.yaml: key 'x'")


def test_the_catalogue_file_names_the_key_of_a_bad_entry(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.yaml"
    path.write_text(CATALOGUE_FILE.read_text() + "\nratios.extra:\n  label: X\n  unit: count\n")
    with pytest.raises(PolicyPackError, match=r"key 'ratios\.extra' shape: a shape is a name"):
        load_catalogue(path)
