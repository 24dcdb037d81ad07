"""The workspace's chart of findings by rule over time: the numbers (every month of the
period, the most frequent rules one by one and the rest added up, undated findings counted
aside), the SVG, an empty period, and the page showing both without a query more."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pyarrow as pa
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from peerpath.auditor.charts import rules_over_time_svg
from peerpath.auditor.selectors import OTHER_RULES, months_between, rules_by_month
from peerpath.policy.api import Findings
from tests.auditor.test_workspace import NOW, books, client_for, no_2fa, signed_note  # noqa: F401
from tests.factories import PersonFactory

D = dt.date
# The tests of the numbers and the chart have no database (pytest-django refuses any query
# without the django_db mark): rules_by_month reads only the findings it is given.


def findings(rows: list[tuple[str, dt.date | None]]) -> Findings:
    return Findings(
        pa.table(
            {
                "rule_id": pa.array([r for r, _ in rows], pa.string()),
                "date": pa.array([d for _, d in rows], pa.date32()),
            }
        )
    )


def test_every_month_of_the_period_is_counted_even_with_nothing_in_it():
    assert months_between(D(2025, 11, 1), D(2026, 2, 14)) == [
        D(2025, 11, 1), D(2025, 12, 1), D(2026, 1, 1), D(2026, 2, 1),
    ]  # fmt: skip
    found = findings([("NOTE.PLAN_GOAL", D(2025, 11, 3)), ("NOTE.PLAN_GOAL", D(2026, 2, 14)),
                      ("NOTE.PLAN_GOAL", D(2026, 2, 1)), ("STAFF.RATIO", None)])  # fmt: skip
    trend = rules_by_month(found, start=D(2025, 11, 1), end=D(2026, 2, 14))
    assert [(s.rule_id, s.counts) for s in trend.series] == [("NOTE.PLAN_GOAL", [1, 0, 0, 2])]
    assert trend.undated == 1
    assert trend.series[0].title != "NOTE.PLAN_GOAL"  # the rule's plain title


def test_the_most_frequent_rules_are_drawn_one_by_one_and_the_rest_added_up():
    rows = []
    for n, rule in enumerate(["A.ONE", "B.TWO", "C.THREE", "D.FOUR"], start=1):
        rows += [(rule, D(2026, 3, 2))] * n + [(rule, D(2026, 4, 2))]
    trend = rules_by_month(findings(rows), start=D(2026, 3, 1), end=D(2026, 4, 30), top=2)
    assert [(s.rule_id, s.counts) for s in trend.series] == [
        ("D.FOUR", [4, 1]), ("C.THREE", [3, 1]), ("", [3, 2]),
    ]  # fmt: skip
    assert trend.series[-1].title == OTHER_RULES


def test_the_chart_names_its_rules_and_says_when_there_is_nothing():
    trend = rules_by_month(
        findings([("NOTE.PLAN_GOAL", D(2026, 4, 6))] * 3),
        start=D(2025, 7, 1),
        end=D(2026, 6, 14),
    )
    svg = rules_over_time_svg(trend)
    assert "NOTE.PLAN_GOAL" in svg and "Findings" in svg and "<style" not in svg
    assert "Apr 26" in svg  # twelve months: short labels
    empty = rules_by_month(findings([]), start=D(2026, 4, 1), end=D(2026, 6, 14))
    assert empty.series == [] and len(empty.months) == 3
    assert "No findings in this period" in rules_over_time_svg(empty)


@pytest.mark.django_db
@pytest.mark.usefixtures("no_2fa")
@time_machine.travel(NOW, tick=False)
def test_the_workspace_shows_the_chart_and_its_numbers(books):  # noqa: F811
    client = client_for(books["auditor"])
    page = client.get("/audit/").content.decode()
    uri = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', page)
    assert uri is not None
    svg = base64.b64decode(uri.group(1)).decode()
    assert "NOTE.PLAN_GOAL" in svg
    assert "Findings by rule over time" in page
    # Eight notes without a plan goal: six in April, two in May.
    assert '<td data-label="Apr 26">6</td>' in page
    assert '<td data-label="May 26">2</td>' in page
    assert 'href="/audit/rules/NOTE.PLAN_GOAL/?months=12"' in page


@pytest.mark.django_db
@pytest.mark.usefixtures("no_2fa")
@time_machine.travel(NOW, tick=False)
def test_the_chart_costs_the_workspace_no_query_however_many_findings(books):  # noqa: F811
    client = client_for(books["auditor"])
    client.get("/audit/")
    with CaptureQueriesContext(connection) as few:
        client.get("/audit/")
    one = books["one"]
    for month in (1, 2, 3):
        other = PersonFactory(agency=one.agency, payer=one.payer)
        signed_note(other, D(2026, month, 9))
    with CaptureQueriesContext(connection) as many:
        page = client.get("/audit/").content.decode()
    assert '<td data-label="Jan 26">1</td>' in page
    assert len(many.captured_queries) == len(few.captured_queries)
