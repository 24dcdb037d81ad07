"""`{% measures_on_chart person %}`: the person's recent BARC-10 totals on their chart, as a
chart with the table behind it, and a link to all their measures. The chart page has
already checked the scope and logged the read."""

from __future__ import annotations

from typing import Any

from django import template

from peerpath.outcomes.instruments import instruments
from peerpath.outcomes.models import Administration, Status

register = template.Library()
SHOWN = 6


@register.inclusion_tag("outcomes/_on_chart.html")
def measures_on_chart(person: Any) -> dict[str, object]:
    barc = instruments().get("BARC-10")
    recent = list(
        Administration.objects.filter(person=person, instrument="BARC-10", status=Status.COMPLETED)
        .order_by("-date", "-pk")
        .values("date", "total", "reached")[:SHOWN]
    )
    return {"person": person, "barc": barc, "recent": list(reversed(recent))}
