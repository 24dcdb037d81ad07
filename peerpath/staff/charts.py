"""The board's chart: each peer specialist's caseload, and the supervisor's number of peer
specialists, on every day of the period against the pack's limits. Drawn on the server as
SVG (matplotlib, no pyplot state); the same numbers are in a table on the board (`series`).
The counts and limits are the policy engine's (`caseloads`, `supervisor_loads`)."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from peerpath.core import formatting as fmt
from peerpath.policy.api import Load


@dataclass(frozen=True)
class Series:
    label: str
    load: Load


@dataclass(frozen=True)
class TableRow:
    day: dt.date
    counts: list[tuple[int, int | None]]  # per series: the count and the limit that day


def limit_on(load: Load, day: dt.date) -> int | None:
    return next((v for f, la, v in load.limits if f <= day <= la), load.limit_today)


def sample_days(lo: dt.date, hi: dt.date, every: int = 7) -> list[dt.date]:
    """The days the table lists: every `every` days back from `hi`, oldest first."""
    days = []
    day = hi
    while day >= lo:
        days.append(day)
        day -= dt.timedelta(days=every)
    return days[::-1]


def table(series: Sequence[Series], lo: dt.date, hi: dt.date) -> list[TableRow]:
    return [
        TableRow(day, [(s.load.on(day), limit_on(s.load, day)) for s in series])
        for day in sample_days(lo, hi)
    ]


_STYLE = re.compile(r"<style[^>]*>.*?</style>", re.S)


def loads_svg(peers: Sequence[Series], supervisor: Series | None, lo: dt.date, hi: dt.date) -> str:
    """Caseloads (top) and the supervisor's peer specialists (bottom) per day, as SVG."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    days = [lo + dt.timedelta(days=i) for i in range((hi - lo).days + 1)]
    rows = 2 if supervisor is not None else 1
    figure = Figure(figsize=(7.5, 2.6 * rows + 0.6), dpi=100)
    FigureCanvasSVG(figure)
    axes = figure.subplots(rows, 1, squeeze=False)[:, 0]
    palette = ["#005ea2", "#00a398", "#e66f0e", "#5e519e", "#936f38", "#1a4480", "#d83933"]
    ax = axes[0]
    for i, s in enumerate(peers):
        ax.step(days, [s.load.on(d) for d in days], where="post", label=s.label,
                color=palette[i % len(palette)], linewidth=1.6)  # fmt: skip
    if peers:
        ax.step(days, [limit_on(peers[0].load, d) or float("nan") for d in days], where="post",
                color="#b50909", linestyle="--", linewidth=1.2, label="Limit per peer")  # fmt: skip
    else:
        ax.text(0.5, 0.5, "No peer specialists on this team", ha="center", va="center",
                transform=ax.transAxes)  # fmt: skip
    ax.set_title("People on each peer specialist's caseload", fontsize=11, loc="left")
    ax.set_ylabel("People")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    if supervisor is not None:
        ax2 = axes[1]
        ax2.step(days, [supervisor.load.on(d) for d in days], where="post", color="#162e51",
                 linewidth=1.6, label=supervisor.label)  # fmt: skip
        ax2.step(days, [limit_on(supervisor.load, d) or float("nan") for d in days],
                 where="post", color="#b50909", linestyle="--", linewidth=1.2,
                 label="Limit per supervisor")  # fmt: skip
        ax2.set_title("Peer specialists supervised", fontsize=11, loc="left")
        ax2.set_ylabel("Peer specialists")
        ax2.set_ylim(bottom=0)
        ax2.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    for a in axes:
        a.spines[["top", "right"]].set_visible(False)
        ticks = sample_days(lo, hi, every=max(7, (hi - lo).days // 6))
        a.set_xticks(ticks, [fmt.day_short(d).split(", ", 1)[-1] for d in ticks], fontsize=8)
    figure.tight_layout()
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None})
    # The default line-join rules are all matplotlib puts in a <style>: drop it, so the
    # image needs nothing the Content-Security-Policy would have to allow.
    return _STYLE.sub("", out.getvalue())
