"""Units from minutes, for code that works on one record at a time (charts, the demo).

The rules compute the same on whole tables (`rules.base.minutes_to_units`); both follow the
pack's `units.minutes_per_unit` and `units.min_minutes_first_unit`.
"""

from __future__ import annotations

import datetime as dt

from .parameters import Pack

# Used only where no pack is in force: the common Medicaid rule (assumed in every pack too).
DEFAULT_MINUTES_PER_UNIT = 15
DEFAULT_MIN_MINUTES = 8


def units_for(
    minutes: int, *, per: int = DEFAULT_MINUTES_PER_UNIT, least: int = DEFAULT_MIN_MINUTES
) -> int:
    """Whole units, plus one when the remainder reaches the minimum."""
    return minutes // per + (1 if minutes % per >= least else 0)


def pack_units(minutes: int, pack: Pack | None, on: dt.date) -> int:
    """Units of a contact by the unit length and rounding rule of the pack in force."""
    if pack is None or not pack.covers(on):
        return units_for(minutes)
    per = pack.value("units.minutes_per_unit", on)
    least = pack.value("units.min_minutes_first_unit", on)
    if not isinstance(per, int) or not isinstance(least, int):
        return units_for(minutes)
    return units_for(minutes, per=per, least=least)
