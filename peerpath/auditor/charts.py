"""The workspace's chart: findings of each rule by month, drawn on the server as SVG with
matplotlib from `selectors.rules_by_month` (the findings the page already has). The page
puts the same numbers in a table beside it."""

from __future__ import annotations

import datetime as dt

from peerpath.core import formatting as fmt
from peerpath.core import svgcharts as sc

from .selectors import Trend


def month_label(day: dt.date, *, many: bool) -> str:
    """Apr 2026; with many months, Apr 26."""
    words = fmt.month(day)
    return f"{words[:3]} {words[-2:]}" if many else words


def rules_over_time_svg(trend: Trend) -> str:
    """One line per rule (the most frequent first), findings per month."""
    fig = sc.figure(4.8, 3.0 + 0.22 * len(trend.series))
    ax = fig.add_subplot()
    if not any(s.total for s in trend.series):
        sc.empty(ax, "No findings in this period")
        return sc.svg(fig)
    x = list(range(len(trend.months)))
    styles = ("-", "--", "-.", ":")
    for i, s in enumerate(trend.series):
        ax.plot(x, s.counts, marker="o", markersize=4, linewidth=1.8,
                linestyle=styles[i % len(styles)], color=sc.PALETTE[i % len(sc.PALETTE)],
                label=s.rule_id or s.title)  # fmt: skip
    many = len(x) > 6
    step = max(1, -(-len(x) // 6))  # at most about six labels, so a phone can read them
    ticks = x[::-1][::step][::-1]
    ax.set_xticks(ticks, [month_label(trend.months[t], many=many) for t in ticks])
    ax.set_ylim(bottom=0)
    ax.set_ylabel("Findings", fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.12), ncol=1, fontsize=9, frameon=False)
    sc.plain(ax)
    return sc.svg(fig)
