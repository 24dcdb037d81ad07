"""Charts for the billing reports, drawn on the server as PNG (matplotlib, Agg backend).

A PNG needs no script or inline style in the page, so it keeps to the strict
Content-Security-Policy; every chart also has its numbers in a table on the page.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from peerpath.core import formatting as fmt

from .reports import CLEAN_CLAIM_BENCHMARK, MonthRate


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
