"""What every server-drawn SVG chart shares (matplotlib, no pyplot state): a figure, its SVG
text without a <style> element (so the Content-Security-Policy needs nothing more), and a
data: URL to show it in an <img> without a second request. The charts themselves live with
their pages (peerpath/billing/charts.py, peerpath/auditor/charts.py); each page puts the
chart's numbers in a table beside it (its text alternative)."""

from __future__ import annotations

import base64
import io
import re
from typing import Any

PALETTE = ("#005ea2", "#e66f0e", "#00a398", "#5e519e", "#936f38", "#b50909", "#1a4480")
_STYLE = re.compile(r"<style[^>]*>.*?</style>", re.S)


def figure(width: float, height: float) -> Any:
    """A figure `width` by `height` inches at 100 dpi on its own SVG canvas."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasSVG(fig)
    return fig


def svg(fig: Any) -> str:
    """The figure as SVG text with its words as text (small, sharp when scaled down to a
    phone's width), no date and no <style>."""
    from matplotlib import rc_context

    fig.tight_layout()
    out = io.StringIO()
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "peerpath"}):
        fig.savefig(out, format="svg", metadata={"Date": None})
    return _STYLE.sub("", out.getvalue())


def data_uri(text: str) -> str:
    """An SVG as a data: URL for an <img> (the policy allows data: images)."""
    return "data:image/svg+xml;base64," + base64.b64encode(text.encode()).decode("ascii")


def empty(ax: Any, words: str) -> None:
    """Say there is nothing to draw, in the middle of the axes."""
    ax.text(0.5, 0.5, words, ha="center", va="center", fontsize=11, transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def plain(ax: Any) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=10)
