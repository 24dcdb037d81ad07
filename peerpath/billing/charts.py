"""Charts for the billing pages, drawn on the server with matplotlib (no pyplot state):
the clean-claim rate by month as a PNG; denials by reason, receivables aging and units by
payer as SVG shown as data: images on the billing home and the reports page.

An image needs no script or inline style in the page, so it keeps to the strict
Content-Security-Policy; every chart also has its numbers in a table on the page (its text
alternative). The numbers come from `reports` (one query each); the charts only draw them.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from peerpath.core import formatting as fmt
from peerpath.core import svgcharts as sc

from .reports import (
    BUCKET_NAMES,
    CLEAN_CLAIM_BENCHMARK,
    OVER,
    UNIT_STAGES,
    AgingRow,
    MonthRate,
    PayerUnits,
    Rate,
)


def clean_claim_chart(rates: Sequence[MonthRate]) -> bytes:
    """The clean-claim rate by month as a PNG, with the benchmark drawn across."""
    # Figure with the Agg canvas directly: no pyplot, so no global state between requests.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    figure = Figure(figsize=(7.5, 3.2), dpi=100)
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    labels = [fmt.month(m.month) for m in rates]
    values = [m.rate * 100 for m in rates]
    ax.bar(range(len(rates)), values, color="#005ea2", label="Clean claims")
    ax.axhline(CLEAN_CLAIM_BENCHMARK * 100, color="#b50909", linestyle="--", linewidth=1.5,
               label=f"Benchmark {CLEAN_CLAIM_BENCHMARK:.0%}")  # fmt: skip
    ax.set_xticks(range(len(rates)), labels, rotation=45, ha="right", fontsize=8)
    ax.set_ylim(0, 100)
    ax.yaxis.set_major_formatter(PercentFormatter())
    ax.set_ylabel("Paid on first submission")
    ax.set_title("Clean-claim rate by month of payment", fontsize=11, loc="left")
    if not rates:
        ax.text(0.5, 0.5, "No remittances posted yet", ha="center", va="center",
                transform=ax.transAxes)  # fmt: skip
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


# The worklist's charts: SVG, small enough to read on a phone (375 px wide) -----------------

MAX_BARS = 8  # reasons shown one by one; the rest are added up as "Other reasons"


def denial_bars(by_reason: Sequence[Rate]) -> list[tuple[str, int]]:
    """(label, refused lines) for the denials chart: the most frequent reasons one by one,
    the rest added up as "Other reasons"."""
    bars = [(f"CARC {r.label}", r.refused) for r in by_reason[:MAX_BARS]]
    rest = sum(r.refused for r in by_reason[MAX_BARS:])
    if rest:
        bars.append(("Other reasons", rest))
    return bars


def denials_by_reason_svg(by_reason: Sequence[Rate]) -> str:
    """Refused lines by reason code (CARC), most first, as horizontal bars."""
    bars = denial_bars(by_reason)
    figure = sc.figure(4.8, 0.9 + 0.38 * max(3, len(bars)))
    ax = figure.add_subplot()
    if not bars:
        sc.empty(ax, "No denials posted")
        return sc.svg(figure)
    y = list(range(len(bars)))[::-1]
    ax.barh(y, [n for _, n in bars], color=sc.PALETTE[0])
    ax.set_yticks(y, [label for label, _ in bars])
    for yy, (_, n) in zip(y, bars, strict=True):
        ax.text(n, yy, f" {fmt.number(n)}", va="center", fontsize=10)
    ax.set_xlabel("Lines refused", fontsize=10)
    ax.margins(x=0.18)
    sc.plain(ax)
    return sc.svg(figure)


def aging_svg(rows: Sequence[AgingRow]) -> str:
    """Charges awaiting payment by days waiting, stacked by payer."""
    from matplotlib.ticker import FuncFormatter

    figure = sc.figure(4.8, 3.4)
    ax = figure.add_subplot()
    if not rows:
        sc.empty(ax, "Nothing is awaiting payment")
        return sc.svg(figure)
    x = list(range(len(BUCKET_NAMES)))
    bottom = [0.0] * len(BUCKET_NAMES)
    for i, row in enumerate(rows):
        values = [float(amount) for amount, _ in row.cells]
        ax.bar(x, values, bottom=bottom, color=sc.PALETTE[i % len(sc.PALETTE)], label=row.payer)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    for xx, total in zip(x, bottom, strict=True):
        if total:
            ax.text(xx, total, f"${total:,.0f}", ha="center", va="bottom", fontsize=9)
    ax.margins(y=0.12)
    ax.set_xticks(x, [name if name != OVER else "over 120" for name in BUCKET_NAMES])
    ax.set_xlabel("Days since the claim file was made", fontsize=10)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"${v:,.0f}"))
    ax.set_ylabel("Charges awaiting payment", fontsize=10)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=1, fontsize=9, frameon=False)
    sc.plain(ax)
    return sc.svg(figure)


def units_by_payer_svg(rows: Sequence[PayerUnits]) -> str:
    """Each payer's units as one bar, in parts by where the lines stand; the payer's name
    above its bar (long names need the chart's whole width on a phone)."""
    from matplotlib.ticker import FuncFormatter

    figure = sc.figure(4.8, 1.8 + 0.7 * max(1, len(rows)))
    ax = figure.add_subplot()
    if not rows:
        sc.empty(ax, "No claim lines yet")
        return sc.svg(figure)
    y = [1.4 * i for i in range(len(rows))][::-1]
    left = [0] * len(rows)
    for i, (_key, words, _) in enumerate(UNIT_STAGES):
        values = [row.cells[i] for row in rows]
        color = sc.PALETTE[i % len(sc.PALETTE)]
        ax.barh(y, values, left=left, color=color, label=words, height=0.6)
        left = [a + b for a, b in zip(left, values, strict=True)]
    for yy, row in zip(y, rows, strict=True):
        ax.text(0, yy + 0.42, f"{row.payer}: {fmt.number(row.total)}", fontsize=10, va="bottom")
    ax.set_yticks([])
    ax.set_ylim(-0.6, max(y) + 1.1)
    ax.set_xlabel("Units on claim lines", fontsize=10)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, fontsize=9, frameon=False)
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.tick_params(labelsize=10)
    return sc.svg(figure)
