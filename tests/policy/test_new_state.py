"""docs/rules.md's worked example, run: a state added by YAML only (the pack written in the
document, loaded from a scratch folder beside the shipped packs) judges its people with the
existing rules, cited to its own sources."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from peerpath.policy.engine import EVALUATOR
from peerpath.policy.parameters import DEFAULT_DIRECTORY, PolicyPackError, load_packs
from peerpath.policy.rules.base import REGISTRY
from peerpath.policy.tables import rows_to_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
D = dt.date


def documented_pack() -> str:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## How to add a state") :]
    block = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert block, "the worked example's YAML is missing from docs/rules.md"
    return "\n".join(line[3:] for line in block.group(1).splitlines())  # drop the indent


@pytest.fixture
def packs_dir(tmp_path: Path) -> Path:
    for pack in DEFAULT_DIRECTORY.glob("*/pack.yaml"):
        (tmp_path / pack.parent.name).mkdir()
        shutil.copy(pack, tmp_path / pack.parent.name / "pack.yaml")
    shutil.copy(DEFAULT_DIRECTORY / "catalogue.yaml", tmp_path / "catalogue.yaml")
    (tmp_path / "xx-pss-2024").mkdir()
    (tmp_path / "xx-pss-2024" / "pack.yaml").write_text(documented_pack(), encoding="utf-8")
    return tmp_path


def test_the_documented_state_loads_and_judges_its_people_with_no_code(packs_dir: Path):
    packs = load_packs(packs_dir)
    xx = packs["xx-pss-2024"]
    assert xx.jurisdiction == "XX" and xx.value("ratios.group_max", D(2024, 8, 1)) == 8
    assert xx.is_inherited("units.minutes_per_unit")
    notes = [
        {"note_id": 1, "person_id": 1, "staff_id": 1, "date": D(2024, 8, 5), "start_min": 600,
         "end_min": 645, "modality": m, "activity": "peer_mentoring", "status": "signed"}
        for m in ("audio_only",)
    ] + [
        {"note_id": 2, "person_id": 1, "staff_id": 1, "date": D(2024, 8, 6), "start_min": 600,
         "end_min": 645, "modality": "audio_video", "activity": "peer_mentoring",
         "status": "signed"}
    ]  # fmt: skip
    data = {
        "people": rows_to_table("people", [{"person_id": 1, "agency_id": 1, "state": "XX"}]),
        "notes": rows_to_table("notes", notes),
    }
    found = EVALUATOR.run(
        data, as_of=D(2024, 8, 31), rules=[REGISTRY["NOTE.MODALITY_ALLOWED"]], packs=packs
    ).objects()
    assert [(f.subject_id, f.pack_id) for f in found] == [(1, "xx-pss-2024")]
    assert found[0].citation.section == "9.3 Telehealth"


def test_a_misspelt_mode_in_the_new_pack_stops_the_load_naming_file_key_and_value(
    packs_dir: Path,
):
    path = packs_dir / "xx-pss-2024" / "pack.yaml"
    path.write_text(
        path.read_text(encoding="utf-8")
        + "  concurrency.same_time_rule:\n"
        + "    label: Billing at the same time as another service\n"
        + "    unit: text\n"
        + "    values:\n"
        + "      - {from: 2024-07-01, value: sometimes, source: xx-manual, section: '9.5',"
        + " confidence: official}\n",
        encoding="utf-8",
    )
    with pytest.raises(PolicyPackError) as err:
        load_packs(packs_dir)
    text = str(err.value)
    assert str(path) in text and "'concurrency.same_time_rule'" in text
    assert "'sometimes'" in text and "never, allowed_list" in text
