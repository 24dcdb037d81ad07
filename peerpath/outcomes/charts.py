"""Charts of outcome measures, drawn on the server as SVG (matplotlib, no pyplot state).

Every chart has its numbers in a table on the page (its text alternative)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

from peerpath.core import formatting as fmt

from .instruments import Instrument
from .selectors import Month, Point

BLUE, GREEN, GREY, RED = "#005ea2", "#00a91c", "#a9aeb1", "#b50909"


def measure_chart(
    instrument: Instrument, points: Sequence[Point], months: Sequence[Month]
) -> bytes:
    """A summed instrument's totals over time (with its threshold line) over the units of
    peer support received each month (bars) and groups attended (labels on the bars)."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.5, 3.6), dpi=100)
    FigureCanvasSVG(figure)
    ax = figure.add_subplot()
    bars = ax.twinx()
    ax.set_zorder(bars.get_zorder() + 1)
    ax.patch.set_visible(False)
    if months:
        xs = [m.month.toordinal() + 14 for m in months]
        drawn = bars.bar(xs, [m.units for m in months], width=24, color=GREY, alpha=0.6,
                         label="Units of peer support in the month")  # fmt: skip
        labels = [f"{m.groups} gr" if m.groups else "" for m in months]
        bars.bar_label(drawn, labels=labels, fontsize=7, color="#565c65")
    bars.set_ylabel("Units in the month", color="#565c65")
    bars.set_ylim(bottom=0)
    low, high = instrument.total_range
    scored = [p for p in points if p.administration.total is not None]
    xs = [p.administration.date.toordinal() for p in scored]
    ys = [p.administration.total or 0 for p in scored]
    ax.plot(xs, ys, color=BLUE, marker="o", linewidth=2, label=f"{instrument.code} total")
    for x, y in zip(xs, ys, strict=True):
        ax.annotate(f"{y:g}", (x, y), textcoords="offset points", xytext=(0, 7),
                    ha="center", fontsize=8, color=BLUE)  # fmt: skip
    if instrument.threshold is not None:
        ax.axhline(instrument.threshold.value, color=GREEN, linestyle="--", linewidth=1.5,
                   label=f"Threshold {instrument.threshold.value:g}")  # fmt: skip
    ax.set_ylim(low, high + 2)
    ax.set_ylabel(f"{instrument.code} total ({low}-{high})")
    ticks = sorted({m.month.toordinal() for m in months} | set(xs))
    if ticks:
        shown = ticks[:: max(1, len(ticks) // 8)]
        ax.set_xticks(shown, [fmt.day_short(_day(t)) for t in shown], rotation=30,
                      ha="right", fontsize=8)  # fmt: skip
        ax.set_xlim(ticks[0] - 10, ticks[-1] + 30)
    else:
        ax.text(0.5, 0.5, "No measures recorded yet", ha="center", va="center",
                transform=ax.transAxes)  # fmt: skip
    ax.set_title(f"{instrument.plain_title} over time", fontsize=11, loc="left")
    handles, names = ax.get_legend_handles_labels()
    more, more_names = bars.get_legend_handles_labels()
    ax.legend(handles + more, names + more_names, loc="lower left", fontsize=7, frameon=False)
    ax.spines[["top"]].set_visible(False)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


def _day(ordinal: int) -> dt.date:
    return dt.date.fromordinal(ordinal)
