"""The audit report: HTML (and PDF through WeasyPrint) from a run folder, with the sample and
the estimate when given.

Sections: the run (period, packs, engine, extract counts); findings and dollars at stake by
rule (with each rule's citation), by billing provider and by month; what the extract could
not assess; outliers; the sample design and the overpayment estimate; the findings
themselves. Each chart is an SVG drawn by matplotlib with the table it is drawn from beside
it (the chart's text alternative).
"""

from __future__ import annotations

import html
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from peerpath.policy.rules.base import REGISTRY

_CSS = """
body { font-family: "Source Sans Pro", Helvetica, Arial, sans-serif; color: #1b1b1b;
       margin: 2rem; max-width: 70rem; }
h1 { font-size: 1.8rem; } h2 { font-size: 1.3rem; margin-top: 2rem;
     border-bottom: 2px solid #005ea2; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .9rem; }
th, td { border: 1px solid #a9aeb1; padding: .25rem .5rem; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.chart { max-width: 40rem; } .muted { color: #565c65; } .flag { color: #b50909; }
@page { size: letter landscape; margin: 1.5cm; }
"""


def _money(v: float | None) -> str:
    return "" if v is None else f"${v:,.2f}"


def _demand(lower: float) -> str:
    if lower <= 0:
        return (
            "$0.00 (the lower limit is not above zero: no overpayment is shown at this confidence)"
        )
    return _money(lower)


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], numeric: set[int] | None = None
) -> str:
    numeric = numeric or set()
    head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in headers)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="n">{html.escape(str(c))}</td>'
            if i in numeric
            else f"<td>{html.escape(str(c))}</td>"
            for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _bar_svg(labels: Sequence[str], values: Sequence[float], title: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 0.35 * max(len(labels), 3) + 0.8))
    ax.barh(list(range(len(labels))), list(values), color="#005ea2")
    ax.set_yticks(list(range(len(labels))), labels=list(labels), fontsize=8)
    ax.invert_yaxis()
    ax.set_title(title, fontsize=10)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"${v:,.0f}"))
    fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    svg = buf.getvalue()
    label = html.escape(title)
    return f'<div class="chart" role="img" aria-label="{label}">{svg[svg.find("<svg") :]}</div>'


def _group(findings: pa.Table, key: str, limit: int | None = None) -> list[dict[str, Any]]:
    con = duckdb.connect()
    try:
        con.register("f", findings)
        sql = f"""SELECT {key} AS k, count(*) AS n, sum(dollars_at_stake) AS dollars,
                    count(*) FILTER (WHERE severity = 'deny') AS deny
                  FROM f GROUP BY 1 ORDER BY dollars DESC, k"""
        if limit:
            sql += f" LIMIT {limit}"
        return con.sql(sql).to_arrow_table().to_pylist()
    finally:
        con.close()


def build_report(
    run_dir: Path,
    *,
    sample_dir: Path | None = None,
    reviews: Path | None = None,
    title: str = "Program-integrity audit of peer support claims",
) -> str:
    findings = pq.read_table(run_dir / "findings.parquet")
    blocked = pq.read_table(run_dir / "not_assessable.parquet").to_pylist()
    summary = json.loads((run_dir / "summary.json").read_text())
    parts = [f"<h1>{html.escape(title)}</h1>"]
    ext = summary.get("extract", {})
    parts.append(
        "<p>"
        + html.escape(
            f"Claims from {summary['period'][0]} to {summary['period'][1]}, judged by "
            f"{', '.join(summary['packs_in_use'])} on {summary['engine']}. "
            f"{summary['findings']:,} findings; {_money(summary['dollars_at_stake'])} paid on "
            "the services they concern."
        )
        + "</p>"
    )
    if ext:
        parts.append(
            _table(
                ["Extract", "Count"], [[k.replace("_", " "), f"{v:,}"] for k, v in ext.items()], {1}
            )
        )

    by_rule = _group(findings, "rule_id")
    cites: dict[str, str] = {}
    for row in findings.select(
        ["rule_id", "cite_source", "cite_section", "cite_confidence"]
    ).to_pylist():
        cites.setdefault(
            row["rule_id"],
            f"{row['cite_source']}, {row['cite_section']} ({row['cite_confidence']})",
        )
    parts.append("<h2>Findings and dollars at stake by rule</h2>")
    if by_rule:
        parts.append(
            _bar_svg(
                [r["k"] for r in by_rule],
                [r["dollars"] or 0 for r in by_rule],
                "Dollars at stake by rule",
            )
        )
    parts.append(
        _table(
            ["Rule", "What it checks", "Findings", "Deny", "Dollars at stake", "Citation"],
            [
                [
                    r["k"],
                    REGISTRY[r["k"]].title if r["k"] in REGISTRY else "",
                    f"{r['n']:,}",
                    f"{r['deny']:,}",
                    _money(r["dollars"]),
                    cites.get(r["k"], ""),
                ]
                for r in by_rule
            ],
            {2, 3, 4},
        )
    )
    parts.append("<h2>By billing provider (top 20)</h2>")
    by_provider = _group(findings, "billing_npi", 20)
    if by_provider and any(r["k"] for r in by_provider):
        parts.append(
            _bar_svg(
                [str(r["k"]) for r in by_provider],
                [r["dollars"] or 0 for r in by_provider],
                "Dollars at stake by billing provider",
            )
        )
    parts.append(
        _table(
            ["Billing NPI", "Findings", "Deny", "Dollars at stake"],
            [
                [r["k"] or "(person-level)", f"{r['n']:,}", f"{r['deny']:,}", _money(r["dollars"])]
                for r in by_provider
            ],
            {1, 2, 3},
        )
    )
    parts.append("<h2>By month of service</h2>")
    by_month = sorted(_group(findings, "strftime(date, '%Y-%m')"), key=lambda r: r["k"] or "")
    if by_month:
        parts.append(
            _bar_svg(
                [r["k"] for r in by_month],
                [r["dollars"] or 0 for r in by_month],
                "Dollars at stake by month",
            )
        )
    parts.append(
        _table(
            ["Month", "Findings", "Dollars at stake"],
            [[r["k"], f"{r['n']:,}", _money(r["dollars"])] for r in by_month],
            {1, 2},
        )
    )

    parts.append("<h2>Not assessable with this extract</h2>")
    if blocked:
        parts.append(
            "<p>These rules need facts the extract does not hold; they were not run, "
            "and nothing is said about them either way.</p>"
        )
        parts.append(
            _table(
                ["Rule", "Pack", "What it checks", "The extract lacks"],
                [[b["rule_id"], b["pack_id"], b["title"], b["missing"]] for b in blocked],
            )
        )
    else:
        parts.append("<p>Every rule the packs switch on was assessed.</p>")

    outlier_path = run_dir / "outliers.parquet"
    if outlier_path.exists():
        flagged = [r for r in pq.read_table(outlier_path).to_pylist() if r["flagged"]]
        parts.append("<h2>Outliers among providers and peers</h2>")
        parts.append(
            "<p>Flagged at or above the 95th percentile of their peers in the same state "
            "(with at least 20 peers). Claims carry no times of day, so after-hours "
            "work is not measured.</p>"
        )
        parts.append(
            _table(
                [
                    "Level",
                    "NPI",
                    "State",
                    "Beneficiaries",
                    "Units per beneficiary",
                    "Flagged on (its figure, and where it stands among its peers)",
                ],
                [
                    [
                        r["level"],
                        r["npi"],
                        r["state"],
                        r["beneficiaries"],
                        f"{r['units_per_beneficiary']:.1f}",
                        _flagged_words(r),
                    ]
                    for r in flagged[:50]
                ],
                {3, 4},
            )
        )

    if sample_dir is not None:
        design = json.loads((sample_dir / "sample.json").read_text())
        parts.append("<h2>The sample</h2>")
        parts.append(
            "<p>"
            + html.escape(
                f"{design['method'].capitalize()} of {design['sample_size']} from a frame of "
                f"{design['frame_size']:,} {design.get('frame', 'lines')} "
                f"({_money(design['frame_paid'])} paid); {design['generator']}, seed "
                f"{design['seed']}; frame fingerprint (SHA-256) {design['frame_sha256']}."
            )
            + "</p>"
        )
        parts.append(
            _table(
                ["Stratum", "Paid from", "Paid to", "Frame", "Frame paid", "Sampled"],
                [
                    [
                        s["stratum"],
                        _money(s["paid_from"]),
                        _money(s["paid_to"]),
                        f"{s['frame_size']:,}",
                        _money(s["frame_paid"]),
                        s["sample_size"],
                    ]
                    for s in design["strata"]
                ],
                {1, 2, 3, 4, 5},
            )
        )
        if reviews is not None:
            from .sample import estimate_from_reviews

            est, _ = estimate_from_reviews(sample_dir, reviews)
            parts.append("<h2>The overpayment estimate</h2>")
            parts.append(
                _table(
                    ["Figure", "Amount"],
                    [
                        ["Point estimate", _money(est.point)],
                        ["Standard error", _money(est.standard_error)],
                        [
                            f"{est.confidence:.0%} two-sided interval",
                            f"{_money(est.lower)} to {_money(est.upper)}",
                        ],
                        ["Lower limit (the amount demanded)", _demand(est.lower)],
                        ["t, degrees of freedom", f"{est.t:.4f}, {est.degrees_of_freedom:.1f}"],
                    ],
                    {1},
                )
            )
            parts.append(
                '<p class="muted">Mean-per-unit estimator; the lower limit of the two-sided '
                "90% interval is the figure HHS-OIG demands.</p>"
            )

    parts.append("<h2>Findings (first 500)</h2>")
    rows = findings.slice(0, 500).to_pylist()
    parts.append(
        _table(
            [
                "Rule",
                "Severity",
                "Date",
                "Beneficiary",
                "Claim",
                "Line",
                "Evidence",
                "Dollars",
                "Citation",
            ],
            [
                [
                    r["rule_id"],
                    r["severity"],
                    r["date"],
                    r["beneficiary_id"] or "",
                    r["claim_id"] or "",
                    r["line_number"] or "",
                    r["evidence"],
                    _money(r["dollars_at_stake"]),
                    f"{r['cite_source']}, {r['cite_section']}",
                ]
                for r in rows
            ],
            {7},
        )
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
        + "\n".join(parts)
        + "</body></html>"
    )


def write_report(html_text: str, out: Path) -> None:
    """HTML, or PDF when `out` ends in .pdf (WeasyPrint)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".pdf":
        from weasyprint import HTML

        HTML(string=html_text).write_pdf(out)
    else:
        out.write_text(html_text)


# The outliers' figures in plain words, and how each is shown.
_OUTLIER_WORDS = {
    "units_per_beneficiary": ("units per beneficiary", "{:.1f}"),
    "units_per_line": ("units per line", "{:.2f}"),
    "weekend_share": ("share of lines on weekends", "{:.0%}"),
    "group_share": ("share of group lines", "{:.0%}"),
    "near_cap_share": ("share of beneficiaries near the 6-month high", "{:.0%}"),
}


def _flagged_words(row: dict[str, Any]) -> str:
    """Each figure a provider is flagged on: its value and its percentile among its peers."""
    said = []
    for metric in str(row["flagged"]).split():
        words, shown = _OUTLIER_WORDS.get(metric, (metric.replace("_", " "), "{}"))
        value = row.get(metric)
        percentile = row.get(f"{metric}_percentile")
        text = f"{words} {shown.format(value)}" if value is not None else words
        if percentile is not None:
            text += f" (higher than {percentile:.0%} of its peers)"
        said.append(text)
    return "; ".join(said)
