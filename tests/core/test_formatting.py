"""Money, counts, dates and times in one style: the functions, the template filters that are
the same functions, and no page that formats them its own way."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.template import Context, Template
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from peerpath.core import formatting as fmt

TEMPLATES = Path(__file__).resolve().parents[2] / "peerpath" / "templates"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("67789.62"), "$67,789.62"),
        (Decimal("1234567.5"), "$1,234,567.50"),
        (Decimal("0"), "$0.00"),
        (Decimal("-12"), "-$12.00"),
        (Decimal("0.005"), "$0.01"),  # half a cent rounds up
        (3, "$3.00"),
        (0.1 + 0.2, "$0.30"),  # a float sum, as SQLite returns decimal sums
        ("47.88", "$47.88"),
        (None, fmt.EMPTY),
        ("", fmt.EMPTY),
        ("not money", fmt.EMPTY),
    ],
)
def test_money_has_thousands_separators_and_cents(value, shown):
    assert fmt.money(value) == shown


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2))
def test_money_reads_back_as_the_same_amount(amount):
    shown = fmt.money(amount)
    assert re.fullmatch(r"-?\$\d{1,3}(,\d{3})*\.\d\d", shown)
    assert Decimal(shown.replace("$", "").replace(",", "")) == amount


def test_counts_have_thousands_separators():
    assert fmt.number(5086) == "5,086"
    assert fmt.number(Decimal("1234.50")) == "1,234.5"
    assert fmt.number(0) == "0"
    assert fmt.number(None) == fmt.EMPTY


def test_dates_in_one_style():
    monday = dt.date(2026, 4, 6)
    assert fmt.day(monday) == "Apr 6, 2026"
    assert fmt.day_short(monday) == "Mon, Apr 6"
    assert fmt.day_long(monday) == "Monday, April 6, 2026"
    assert fmt.day_full(monday) == "April 6, 2026"
    assert fmt.month(monday) == "Apr 2026"
    assert fmt.day(None) == fmt.month("") == fmt.EMPTY


def test_times_use_a_twelve_hour_clock():
    assert fmt.time_of_day(dt.time(0, 5)) == "12:05 AM"
    assert fmt.time_of_day(dt.time(12, 0)) == "12:00 PM"
    assert fmt.time_of_day(dt.time(14, 30)) == "2:30 PM"
    assert fmt.time_of_day(None) == fmt.EMPTY


@override_settings(TIME_ZONE="America/New_York")
def test_a_moment_is_shown_in_the_agencys_time_zone():
    late_utc = dt.datetime(2026, 4, 7, 1, 30, tzinfo=dt.UTC)  # 9:30 PM the day before in NY
    assert fmt.day_time(late_utc) == "Apr 6, 2026, 9:30 PM"
    assert fmt.day(late_utc) == "Apr 6, 2026"
    assert fmt.time_of_day(late_utc) == "9:30 PM"
    assert fmt.day_time(None) == fmt.EMPTY


def test_template_filters_are_the_same_functions_and_need_no_load():
    page = Template(
        "{{ amount|money }} {{ n|number }} {{ d|day }} {{ d|day_short }} {{ d|day_long }} "
        "{{ d|day_full }} {{ d|month }} {{ t|time_of_day }} {{ at|day_time }}"
    ).render(
        Context(
            {
                "amount": Decimal("67789.62"),
                "n": 12000,
                "d": dt.date(2026, 4, 6),
                "t": dt.time(9, 5),
                "at": dt.datetime(2026, 4, 6, 13, 5, tzinfo=dt.UTC),
            }
        )
    )
    assert page == (
        "$67,789.62 12,000 Apr 6, 2026 Mon, Apr 6 Monday, April 6, 2026 April 6, 2026 "
        "Apr 2026 9:05 AM Apr 6, 2026, 9:05 AM"
    )


# A date given to an <input type="date"> (or any machine) stays ISO; every other date, time or
# amount a person reads goes through the filters above.
_MACHINE_DATE = re.compile(r"""\|date:["']Y-m-d["']""")
_OWN_FORMAT = re.compile(r"""\|(date|time):|\$\{\{|\|floatformat:2|\|intcomma""")


def test_no_template_formats_money_or_dates_its_own_way():
    offenders = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for n, line in enumerate(path.read_text().splitlines(), start=1):
            if _OWN_FORMAT.search(_MACHINE_DATE.sub("", line)):
                offenders.append(f"{path.relative_to(TEMPLATES)}:{n}: {line.strip()[:100]}")
    assert offenders == [], "Use |money, |day, |day_time ... :\n" + "\n".join(offenders)
