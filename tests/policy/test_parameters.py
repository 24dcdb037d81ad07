"""Policy packs: shipped data is complete and cited; the loader resolves, validates and compares."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from peerpath.policy.parameters import (
    CATALOGUE,
    CONFIDENCES,
    DEFAULT_DIRECTORY,
    NoPackForDate,
    NoValueOnDate,
    Override,
    Pack,
    ParamDiff,
    ParameterNotFound,
    PolicyPackError,
    diff_packs,
    load_packs,
    select_pack,
)

PACK_IDS = ("nc-pss-2018", "nc-8g-2019", "nc-8g-2025", "sc-pss-2003", "tx-pss-2019")
D = dt.date
Packs = dict[str, Pack]


@pytest.fixture(scope="module")
def packs() -> Packs:
    return load_packs()


def items(value: object) -> tuple[Any, ...]:
    assert isinstance(value, tuple)
    return value


def codes(value: object) -> list[object]:
    return [item["code"] for item in items(value)]


def both(diff: ParamDiff) -> tuple[object, object]:
    assert diff.a is not None and diff.b is not None
    return diff.a.value, diff.b.value


# --------------------------------------------------------------------------- shipped data


def test_all_five_packs_load(packs: Packs) -> None:
    assert sorted(packs) == sorted(PACK_IDS)


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_every_pack_defines_or_inherits_every_catalogue_key(packs: Packs, pack_id: str) -> None:
    assert packs[pack_id].missing_catalogue_keys() == ()
    assert set(CATALOGUE) <= set(packs[pack_id].parameters)


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_the_note_signing_deadline_is_an_assumption_an_administrator_must_confirm(
    packs: Packs, pack_id: str
) -> None:
    pack = packs[pack_id]
    entry = pack.entry("documentation.sign_within_days", pack.start)
    assert entry.value == 2 and entry.confidence == "assumed" and "confirm" in entry.note


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_every_value_has_source_section_and_confidence(packs: Packs, pack_id: str) -> None:
    pack = packs[pack_id]
    for param in pack.parameters.values():
        assert param.label and param.unit
        for entry in param.values:
            assert entry.source.key in pack.sources, param.key
            assert entry.source.title and entry.source.kind and entry.source.ref
            assert entry.section.strip(), param.key
            assert entry.confidence in CONFIDENCES, param.key
            for alt in entry.alternatives:
                assert alt.source.key in pack.sources and alt.section and alt.confidence


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_assumed_values_explain_themselves(packs: Packs, pack_id: str) -> None:
    for param in packs[pack_id].parameters.values():
        for entry in param.values:
            if entry.confidence == "assumed":
                assert entry.note.strip(), f"{pack_id} {param.key} is assumed without a note"


def test_seed_figures_match_the_2018_draft(packs: Packs) -> None:
    pack, day = packs["nc-pss-2018"], D(2018, 9, 10)
    assert pack.value("eligibility.needs_areas_required", day) == 3
    assert len(items(pack.value("eligibility.needs_areas", day))) == 6
    assert pack.value("ratios.qp_to_cpss", day) == 6
    assert pack.value("ratios.cpss_to_people", day) == 25
    assert pack.value("supervision.first_contact_days", day) == 30
    training = items(pack.value("training.requirements", day))
    first_month = [t["hours"] for t in training if t["due"] == {"days_after_hire": 30}]
    first_quarter = [
        t["hours"] for t in training if t["due"] == {"days_after_hire": 90} and t["who"] == "all"
    ]
    assert (sum(first_month), sum(first_quarter)) == (12, 31)


def test_disputed_caseload_ratio_keeps_the_other_source_visible(packs: Packs) -> None:
    entry = packs["nc-8g-2019"].entry("ratios.cpss_to_people", D(2020, 1, 1))
    assert entry.value == 12 and entry.confidence == "official"
    [alt] = entry.alternatives
    assert alt.value == 15 and alt.confidence == "secondary"
    assert alt.source.key == "lme-mco-notice-2019"


def test_recreation_exception_is_recorded_for_8g_2025(packs: Packs) -> None:
    activities = packs["nc-8g-2025"].value("not_covered.activities", D(2025, 5, 1))
    [recreation] = [a for a in items(activities) if a["code"] == "recreation"]
    assert codes(recreation["exceptions"]) == ["planned_social_skill_goal"]


def test_telehealth_share_placeholder_is_marked_assumed(packs: Packs) -> None:
    entry = packs["nc-8g-2025"].entry("modality.telehealth_max_share", D(2025, 5, 1))
    assert entry.confidence == "assumed" and "confirm" in entry.note


def test_values_are_read_only(packs: Packs) -> None:
    modifiers: Any = packs["nc-8g-2025"].value("modality.modifiers", D(2025, 5, 1))
    assert modifiers == {"audio_video": "GT", "audio_only": "KX"}
    with pytest.raises(TypeError):
        modifiers["audio_only"] = "XX"


def test_default_directory_is_loaded_once_and_callers_cannot_swap_packs() -> None:
    first = load_packs()
    first.pop("tx-pss-2019")
    second = load_packs()
    assert "tx-pss-2019" in second
    assert second["nc-8g-2025"] is first["nc-8g-2025"]


# --------------------------------------------------------------------------- inheritance and dates


def test_8g_2025_inherits_unmanaged_units_and_shows_where_from(packs: Packs) -> None:
    pack = packs["nc-8g-2025"]
    entry = pack.entry("authorization.unmanaged_units", D(2025, 6, 1))
    assert entry.value == 24
    assert entry.origin == "nc-8g-2019"
    assert pack.is_inherited("authorization.unmanaged_units")
    assert not pack.is_inherited("eligibility.needs_areas_required")
    assert pack.entry("eligibility.needs_areas_required", D(2025, 6, 1)).origin == "nc-8g-2025"


def test_child_can_cite_a_source_declared_by_its_parent(packs: Packs) -> None:
    entry = packs["nc-8g-2025"].entry("decision.expedited_hours", D(2026, 1, 1))
    assert entry.source.key == "cms-0057-f"
    assert "cms-0057-f" not in _own_source_keys("nc-8g-2025")


def _own_source_keys(pack_id: str) -> set[str]:
    raw = yaml.safe_load((DEFAULT_DIRECTORY / pack_id / "pack.yaml").read_text())
    return set(raw["sources"])


@pytest.mark.parametrize("pack_id", ["nc-8g-2025", "sc-pss-2003", "tx-pss-2019"])
def test_decision_timeframes_start_on_2026_01_01(packs: Packs, pack_id: str) -> None:
    pack = packs[pack_id]
    assert pack.value("decision.expedited_hours", D(2025, 12, 31)) is None
    assert pack.value("decision.expedited_hours", D(2026, 1, 1)) == 72
    assert pack.value("decision.standard_days", D(2025, 12, 31)) is None
    assert pack.value("decision.standard_days", D(2026, 1, 1)) == 7


def test_value_end_is_the_day_before_the_next_value(packs: Packs) -> None:
    first, second = packs["nc-8g-2025"].param("decision.expedited_hours").values
    assert first.end == D(2025, 12, 31) and second.start == D(2026, 1, 1)
    assert second.end is None


def test_unknown_key_and_uncovered_date_raise_clear_errors(packs: Packs) -> None:
    pack = packs["nc-pss-2018"]
    with pytest.raises(ParameterNotFound, match=r"nc-pss-2018.*ratios\.nope"):
        pack.value("ratios.nope", D(2019, 1, 1))
    with pytest.raises(NoValueOnDate, match=r"nc-pss-2018.*2019-11-01.*ratios\.group_max"):
        pack.value("ratios.group_max", D(2019, 11, 1))


# --------------------------------------------------------------------------- overrides


def test_override_shows_contract_value_and_keeps_replaced_value_visible(packs: Packs) -> None:
    pack = packs["nc-8g-2025"]
    override = Override(
        key="authorization.unmanaged_units",
        value=32,
        start=D(2025, 7, 1),
        end=D(2026, 6, 30),
        source_title="Acme Health Plan contract, amendment 3",
        section="Exhibit B",
        confidence="official",
        label="acme-2025",
    )
    changed = pack.with_overrides([override])
    inside = changed.entry("authorization.unmanaged_units", D(2025, 9, 1))
    assert inside.value == 32
    assert inside.origin == "override:acme-2025"
    assert inside.source.title == "Acme Health Plan contract, amendment 3"
    assert inside.replaces is not None and inside.replaces.value == 24
    assert inside.replaces.origin == "nc-8g-2019"
    assert changed.value("authorization.unmanaged_units", D(2025, 6, 30)) == 24
    assert changed.value("authorization.unmanaged_units", D(2026, 7, 1)) == 24
    assert pack.value("authorization.unmanaged_units", D(2025, 9, 1)) == 24  # original untouched


def test_override_spanning_a_value_change_replaces_each_part(packs: Packs) -> None:
    override = Override(
        key="decision.standard_days",
        value=5,
        start=D(2025, 10, 1),
        end=None,
        source_title="State contract",
        section="4.1",
        confidence="official",
        label="state",
    )
    values = packs["nc-8g-2025"].with_overrides([override]).param("decision.standard_days").values
    assert [(v.start, v.end, v.value) for v in values] == [
        (D(2025, 4, 30), D(2025, 9, 30), None),
        (D(2025, 10, 1), D(2025, 12, 31), 5),
        (D(2026, 1, 1), None, 5),
    ]
    assert [v.replaces.value if v.replaces else "-" for v in values] == ["-", None, 7]


def test_override_of_unknown_parameter_is_refused(packs: Packs) -> None:
    bad = Override(
        key="ratios.typo",
        value=1,
        start=D(2025, 5, 1),
        end=None,
        source_title="t",
        section="s",
        confidence="official",
        label="x",
    )
    with pytest.raises(ParameterNotFound, match=r"ratios\.typo"):
        packs["nc-8g-2025"].with_overrides([bad])


# --------------------------------------------------------------------------- select_pack


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2018, 9, 10), "nc-pss-2018"),
        (D(2019, 10, 31), "nc-pss-2018"),
        (D(2019, 11, 1), "nc-8g-2019"),
        (D(2025, 4, 29), "nc-8g-2019"),
        (D(2025, 4, 30), "nc-8g-2025"),
        (D(2030, 1, 1), "nc-8g-2025"),
    ],
)
def test_select_pack_switches_on_the_boundary_day(packs: Packs, day: D, expected: str) -> None:
    assert select_pack(packs, "NC", day).id == expected


def test_select_pack_for_other_states(packs: Packs) -> None:
    assert select_pack(packs, "sc", D(2010, 1, 1)).id == "sc-pss-2003"
    assert select_pack(packs, "TX", D(2019, 1, 1)).id == "tx-pss-2019"


def test_select_pack_without_a_covering_pack_names_what_exists(packs: Packs) -> None:
    with pytest.raises(NoPackForDate, match=r"NC.*2018-09-09.*nc-pss-2018"):
        select_pack(packs, "NC", D(2018, 9, 9))
    with pytest.raises(NoPackForDate, match="none"):
        select_pack(packs, "ZZ", D(2020, 1, 1))


# --------------------------------------------------------------------------- diff


def test_diff_nc_2018_draft_against_8g_2025(packs: Packs) -> None:
    diffs = {d.key: d for d in diff_packs(packs["nc-pss-2018"], packs["nc-8g-2025"])}
    needs = diffs["eligibility.needs_areas_required"]
    assert both(needs) == (3, 1)
    assert needs.a and needs.a.source.key == "seed-001"
    assert needs.b and needs.b.source.key == "seed-003"
    assert both(diffs["ratios.qp_to_cpss"]) == (6, 8)
    cpss = diffs["ratios.cpss_to_people"]
    assert both(cpss) == (25, 12)
    assert cpss.b and cpss.b.alternatives[0].value == 15
    activities = diffs["not_covered.activities"]
    assert "family_services" in activities.only_in_a
    assert {"childcare", "room_and_board"} <= set(activities.only_in_b)
    assert "ratios.group_max" not in diffs  # both 12


def test_diff_nc_8g_2025_against_sc_2003(packs: Packs) -> None:
    diffs = {d.key: d for d in diff_packs(packs["nc-8g-2025"], packs["sc-pss-2003"])}
    group = diffs["ratios.group_max"]
    assert both(group) == (12, 10)
    assert group.b and group.b.section == "Standard: Staff/Consumer Ratio"
    assert both(diffs["concurrency.same_time_rule"]) == ("never", "allowed_list")


def test_diff_on_chosen_dates_sees_dated_values(packs: Packs) -> None:
    a = packs["nc-8g-2025"]
    assert "decision.expedited_hours" not in {d.key for d in diff_packs(a, a)}
    keys = {d.key for d in diff_packs(a, a, on_a=D(2025, 12, 31), on_b=D(2026, 1, 1))}
    assert keys == {"decision.expedited_hours", "decision.standard_days"}


# --------------------------------------------------------------------------- malformed files

GOOD_VALUE = "{from: 2020-01-01, value: 3, source: s1, section: 'Intro', confidence: seed}"
GOOD_SOURCE = "s1: {title: T, date: 2020-01-01, kind: seed, ref: r}"


def write_pack(
    root: Path,
    pack_id: str = "xx-test",
    *,
    values: str = GOOD_VALUE,
    extends: str = "",
    sources: str = GOOD_SOURCE,
    start: str = "2020-01-01",
    key: str = "ratios.group_max",
    unit: str = "people",
) -> Path:
    """A one-parameter pack file; the arguments inject the fault under test."""
    path = root / pack_id / "pack.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        textwrap.dedent(f"""\
        id: {pack_id}
        title: Test pack
        jurisdiction: XX
        {extends}
        effective: {{start: {start}, end: null, confidence: assumed}}
        sources:
          {sources}
        parameters:
          {key}:
            label: Group size
            unit: {unit}
            values:
              - {values}
        """)
    )
    return path


def test_a_minimal_valid_pack_loads(tmp_path: Path) -> None:
    write_pack(tmp_path)
    pack = load_packs(tmp_path)["xx-test"]
    assert pack.value("ratios.group_max", D(2020, 1, 1)) == 3
    assert pack.missing_catalogue_keys()  # a test pack need not be complete


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ("{from: 2020-01-01, value: 3, section: S, confidence: seed}", "field 'source'"),
        ("{from: 2020-01-01, value: 3, source: s1, confidence: seed}", "field 'section'"),
        ("{from: 2020-01-01, value: 3, source: s1, section: S}", "field 'confidence'"),
        (
            "{from: 2020-01-01, value: 3, source: nope, section: S, confidence: seed}",
            "unknown source key 'nope'",
        ),
        (
            "{from: 2020-01-01, value: 3, source: s1, section: S, confidence: guessed}",
            "field 'confidence'",
        ),
        (
            "{from: 2020-02-30, value: 3, source: s1, section: S, confidence: seed}",
            "field 'from' is not an ISO date",
        ),
        (
            "{from: 2020-01-01, value: three, source: s1, section: S, confidence: seed}",
            "does not fit 'ratios.group_max': 'three' is not a whole number of at least 1",
        ),
        (
            "{from: 2020-01-01, value: 3, source: s1, section: S, confidence: seed, confidance: x}",
            "unknown field",
        ),
    ],
)
def test_malformed_value_names_file_parameter_and_field(
    tmp_path: Path, values: str, message: str
) -> None:
    path = write_pack(tmp_path, values=values)
    with pytest.raises(PolicyPackError) as err:
        load_packs(tmp_path)
    text = str(err.value)
    assert str(path) in text and "'ratios.group_max'" in text and message in text


def test_values_out_of_date_order_are_rejected(tmp_path: Path) -> None:
    later = "{from: 2021-01-01, value: 3, source: s1, section: S, confidence: seed}"
    earlier = "{from: 2020-01-01, value: 4, source: s1, section: S, confidence: seed}"
    write_pack(tmp_path, values=f"{later}\n              - {earlier}")
    with pytest.raises(PolicyPackError, match=r"ratios\.group_max.*value #2.*date order"):
        load_packs(tmp_path)


def test_gap_before_first_value_is_rejected(tmp_path: Path) -> None:
    write_pack(tmp_path, values=GOOD_VALUE.replace("2020-01-01", "2020-03-01"))
    with pytest.raises(PolicyPackError, match=r"ratios\.group_max.*no value on the pack's start"):
        load_packs(tmp_path)


def test_unknown_extends_is_rejected(tmp_path: Path) -> None:
    path = write_pack(tmp_path, extends="extends: no-such-pack")
    with pytest.raises(PolicyPackError, match="unknown pack 'no-such-pack'") as err:
        load_packs(tmp_path)
    assert str(path) in str(err.value)


def test_bad_pack_date_is_rejected(tmp_path: Path) -> None:
    write_pack(tmp_path, start="2020-13-01")
    with pytest.raises(PolicyPackError, match=r"effective\.start.*ISO date"):
        load_packs(tmp_path)


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "xx-broken" / "pack.yaml"
    path.parent.mkdir()
    path.write_text("id: xx-broken\nparameters: [unclosed\n")
    with pytest.raises(PolicyPackError, match="not valid YAML") as err:
        load_packs(tmp_path)
    assert str(path) in str(err.value)


def test_child_pack_inherits_from_parent_in_another_file(tmp_path: Path) -> None:
    write_pack(tmp_path, "xx-parent")
    child_value = "{from: 2021-01-01, value: 5, source: s1, section: 'New', confidence: official}"
    write_pack(
        tmp_path,
        "xx-child",
        extends="extends: xx-parent",
        sources="{}",
        start="2021-01-01",
        values=child_value,
        key="program.min_age",
        unit="years",
    )
    child = load_packs(tmp_path)["xx-child"]
    inherited = child.entry("ratios.group_max", D(2021, 6, 1))
    assert (inherited.value, inherited.origin) == (3, "xx-parent")
    own = child.entry("program.min_age", D(2021, 6, 1))
    assert (own.value, own.origin, own.source.title) == (5, "xx-child", "T")


def test_unit_must_match_the_catalogue(tmp_path: Path) -> None:
    write_pack(tmp_path, key="ratios.qp_to_cpss")
    with pytest.raises(PolicyPackError, match=r"ratios\.qp_to_cpss.*catalogue says 'count'"):
        load_packs(tmp_path)
