"""Template filters for money, counts, dates and times: `{{ amount|money }}`,
`{{ note.date|day }}`, `{{ entry.at|day_time }}` ... (built into every template by the
settings, so no `{% load %}` is needed). Each is `peerpath.core.formatting`'s function of
the same name: pages and Python messages cannot drift apart."""

from __future__ import annotations

from django import template

from peerpath.core import formatting

register = template.Library()

for _name in (
    "money",
    "number",
    "day",
    "day_short",
    "day_long",
    "day_full",
    "month",
    "time_of_day",
    "day_time",
):
    register.filter(_name, getattr(formatting, _name), is_safe=True)
