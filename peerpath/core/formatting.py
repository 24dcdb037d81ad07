"""How PeerPath shows money, counts, dates and times: one style, everywhere.

Pages, PDFs, CSV-free messages and the command line all go through these functions (in
templates, the filters of the same names, built into every template; see
`peerpath/core/templatetags/formatting.py`). Nothing else formats a date or an amount for a
person to read; machine formats (an `<input type="date">` value, X12, CSV) stay ISO.

The style, US English:

| function      | shows                              | for                                   |
|---------------|------------------------------------|---------------------------------------|
| `money`       | $67,789.62, -$12.00                | every amount, always with cents       |
| `number`      | 5,086                              | counts                                |
| `day`         | Apr 6, 2026                        | a date                                |
| `day_short`   | Mon, Apr 6                         | a near date where the year is plain   |
| `day_long`    | Monday, April 6, 2026              | a page's heading                      |
| `day_full`    | April 6, 2026                      | letters and PDFs                      |
| `month`       | Apr 2026                           | a month                               |
| `time_of_day` | 2:30 PM                            | a time                                |
| `day_time`    | Apr 6, 2026, 2:30 PM               | a moment (in the agency's time zone)  |

Empty values (None, "") show as an en dash, so a table cell is never blank by accident.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import timezone

EMPTY = "\u2013"  # an en dash
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS_FULL = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAYS_FULL = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CENT = Decimal("0.01")

Money = Decimal | int | float | str | None
Day = dt.date | dt.datetime | None


def _decimal(value: Money) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        value = repr(value)  # 0.1 + 0.2 sums from SQLite: the shortest exact text
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def money(value: Money) -> str:
    """Dollars with thousands separators and cents: $67,789.62; a negative amount -$12.00.
    Cents are rounded half up; a value that is not a number shows as an en dash."""
    amount = _decimal(value)
    if amount is None or not amount.is_finite():
        return EMPTY
    cents = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents):,.2f}"


def number(value: int | Decimal | float | str | None) -> str:
    """A count with thousands separators: 5,086. Decimals keep their own places: 2.5."""
    amount = _decimal(value)
    if amount is None or not amount.is_finite():
        return EMPTY
    if amount == amount.to_integral_value():
        return f"{int(amount):,}"
    return f"{amount.normalize():,f}"


def _date(value: Day) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return _local(value).date()
    return value


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def day(value: Day) -> str:
    """Apr 6, 2026."""
    d = _date(value)
    return EMPTY if d is None else f"{_MONTHS[d.month - 1]} {d.day}, {d.year}"


def day_short(value: Day) -> str:
    """Mon, Apr 6: for a date near today, where the year goes without saying."""
    d = _date(value)
    return EMPTY if d is None else f"{_DAYS[d.weekday()]}, {_MONTHS[d.month - 1]} {d.day}"


def day_long(value: Day) -> str:
    """Monday, April 6, 2026: a page's heading."""
    d = _date(value)
    if d is None:
        return EMPTY
    return f"{_DAYS_FULL[d.weekday()]}, {_MONTHS_FULL[d.month - 1]} {d.day}, {d.year}"


def day_full(value: Day) -> str:
    """April 6, 2026: letters and PDFs."""
    d = _date(value)
    return EMPTY if d is None else f"{_MONTHS_FULL[d.month - 1]} {d.day}, {d.year}"


def month(value: Day) -> str:
    """Apr 2026."""
    d = _date(value)
    return EMPTY if d is None else f"{_MONTHS[d.month - 1]} {d.year}"


def time_of_day(value: dt.time | dt.datetime | None) -> str:
    """2:30 PM (a moment is shown in the agency's time zone)."""
    if value is None or value == "":
        return EMPTY
    t = _local(value).time() if isinstance(value, dt.datetime) else value
    hour = t.hour % 12 or 12
    return f"{hour}:{t.minute:02d} {'AM' if t.hour < 12 else 'PM'}"


def day_time(value: dt.datetime | None) -> str:
    """Apr 6, 2026, 2:30 PM, in the agency's time zone."""
    if value is None or value == "":
        return EMPTY
    local = _local(value)
    return f"{day(local.date())}, {time_of_day(local.time())}"
