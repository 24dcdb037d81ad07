"""The report: HTML with charts and the tables behind them, the not-assessable rules, the
sample and estimate; a PDF through WeasyPrint."""

from __future__ import annotations

from pathlib import Path

import pytest

from peerpath.cli import main
from peerpath.integrity.generate import generate


def test_report_from_run_sample_and_reviews(tmp_path: Path) -> None:
    generate(tmp_path / "x", lines=600, noise=0.02)
    assert main(["audit", "run", "--input", str(tmp_path / "x"), "--out", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r" / "outliers.parquet").exists()
    assert (
        main(
            [
                "audit",
                "sample",
                "--input",
                str(tmp_path / "x"),
                "--out",
                str(tmp_path / "s"),
                "--size",
                "6",
                "--seed",
                "2",
            ]
        )
        == 0
    )
    items = [
        line.split(",")[0].strip('"')
        for line in (tmp_path / "s" / "reviews.csv").read_text().splitlines()[1:]
    ]
    reviews = tmp_path / "reviews.csv"
    reviews.write_text("item_id,determination\n" + "".join(f"{i},not allowed\n" for i in items))
    html_out, pdf_out = tmp_path / "report.html", tmp_path / "report.pdf"
    assert (
        main(
            [
                "audit",
                "report",
                "--run",
                str(tmp_path / "r"),
                "--sample",
                str(tmp_path / "s"),
                "--reviews",
                str(reviews),
                "--out",
                str(html_out),
                "--out",
                str(pdf_out),
            ]
        )
        == 0
    )
    text = html_out.read_text()
    for words in (
        "Findings and dollars at stake by rule",
        "UNITS.CAP",
        "Texas Administrative Code",
        "Not assessable with this extract",
        "PLAN.CURRENT",
        "The sample",
        "The overpayment estimate",
        "Lower limit",
        "<svg",
        "seed 2",
    ):
        assert words in text, words
    assert pdf_out.read_bytes().startswith(b"%PDF")


def test_report_refuses_a_folder_without_a_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "report", "--run", str(tmp_path), "--out", str(tmp_path / "r.html")]) == 2
    assert "findings.parquet" in capsys.readouterr().err


def test_flagged_outliers_say_each_figure_in_words_with_where_it_stands() -> None:
    from peerpath.integrity.report import _flagged_words

    row = {
        "flagged": "units_per_line near_cap_share",
        "units_per_line": 5.5,
        "units_per_line_percentile": 0.98,
        "near_cap_share": 0.5,
        "near_cap_share_percentile": 1.0,
    }
    assert _flagged_words(row) == (
        "units per line 5.50 (higher than 98% of its peers); share of beneficiaries near "
        "the 6-month high 50% (higher than 100% of its peers)"
    )
