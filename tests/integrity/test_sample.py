"""Seeded samples: reproducible, recorded, stratified by paid amount; reviews checked and
extrapolated."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from peerpath.cli import main
from peerpath.integrity.generate import generate
from peerpath.integrity.sample import ReviewError, build_frame, draw, load_reviews


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "claims"
    generate(out, lines=1200)
    return out


def test_frame_is_final_paid_lines(extract: Path) -> None:
    frame = build_frame(extract)
    ids = frame.column("item_id").to_pylist()
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    # The voided claim and the replaced original are not in the frame; the replacement is.
    assert not any(i.startswith("K0000VO") for i in ids)
    assert "K0000RE#1" not in ids and "K0000RE-A#1" in ids
    months = build_frame(extract, "beneficiary-months")
    assert (
        abs(sum(months.column("paid").to_pylist()) - sum(frame.column("paid").to_pylist())) < 1e-6
    )


def test_same_seed_same_sample_and_design_recorded(extract: Path) -> None:
    frame = build_frame(extract)
    a, design = draw(frame, size=30, seed=11)
    b, _ = draw(frame, size=30, seed=11)
    c, _ = draw(frame, size=30, seed=12)
    assert a.column("item_id").to_pylist() == b.column("item_id").to_pylist()
    assert a.column("item_id").to_pylist() != c.column("item_id").to_pylist()
    assert design["seed"] == 11 and design["frame_size"] == frame.num_rows
    assert design["method"] == "simple random sample" and len(design["frame_sha256"]) == 64


def test_stratified_by_paid_amount(extract: Path) -> None:
    frame = build_frame(extract)
    sample, design = draw(frame, size=40, seed=5, bounds=[20.0, 40.0])
    assert design["method"].startswith("stratified")
    assert sum(s["frame_size"] for s in design["strata"]) == frame.num_rows
    assert sum(s["sample_size"] for s in design["strata"]) == sample.num_rows == 40
    for row in sample.to_pylist():
        st = design["strata"][row["stratum"] - 1]
        assert st["paid_from"] <= row["paid"] <= st["paid_to"]
    assert all(s["sample_size"] >= 2 for s in design["strata"])


def test_sample_review_and_estimate_from_the_command_line(
    extract: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s"
    assert (
        main(
            [
                "audit",
                "sample",
                "--input",
                str(extract),
                "--out",
                str(out),
                "--size",
                "12",
                "--seed",
                "3",
                "--strata",
                "2",
            ]
        )
        == 0
    )
    rows = (out / "reviews.csv").read_text().splitlines()
    header, body = rows[0], rows[1:]
    assert header.replace('"', "") == "item_id,stratum,paid,determination,overpayment,note"
    sample = pq.read_table(out / "sample.parquet")
    paid = dict(
        zip(sample.column("item_id").to_pylist(), sample.column("paid").to_pylist(), strict=True)
    )
    filled = ["item_id,determination,overpayment"]
    expected = 0.0
    for i, item in enumerate(paid):
        word = ("allowed", "not allowed", "partly allowed")[i % 3]
        amount = "5.00" if word == "partly allowed" else ""
        expected += {"allowed": 0.0, "not allowed": paid[item], "partly allowed": 5.0}[word]
        filled.append(f"{item},{word},{amount}")
    reviews = tmp_path / "reviews.csv"
    reviews.write_text("\n".join(filled) + "\n")
    assert (
        main(
            [
                "audit",
                "estimate",
                "--sample",
                str(out),
                "--reviews",
                str(reviews),
                "--out",
                str(tmp_path / "e.json"),
            ]
        )
        == 0
    )
    result = json.loads((tmp_path / "e.json").read_text())["estimate"]
    assert result["lower_limit"] <= result["point_estimate"]
    assert result["sample_size"] == 12
    assert len(body) == 12
    assert "Lower limit" in capsys.readouterr().out


def test_reviews_are_checked(extract: Path, tmp_path: Path) -> None:
    frame = build_frame(extract)
    sample, _ = draw(frame, size=3, seed=1)
    items = sample.column("item_id").to_pylist()
    path = tmp_path / "r.csv"
    path.write_text(f"item_id,determination\n{items[0]},allowed\n{items[1]},maybe\n")
    with pytest.raises(ReviewError, match=r"r.csv, row 2, column 'determination': 'maybe'"):
        load_reviews(sample, path)
    path.write_text(f"item_id,determination,overpayment\n{items[0]},partly allowed,\n")
    with pytest.raises(ReviewError, match=r"row 1, column 'overpayment'"):
        load_reviews(sample, path)
    path.write_text(f"item_id,determination\n{items[0]},allowed\n")
    with pytest.raises(ReviewError, match="2 sampled items not reviewed"):
        load_reviews(sample, path)
