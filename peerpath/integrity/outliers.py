"""Providers and rendering peers compared with their peers, from the final claim lines.

For each billing provider and each rendering peer: beneficiaries served, units per
beneficiary, units per line, the share of lines on weekends, the share of group lines, and
the share of beneficiaries whose units in some rolling 6-month window came within 10% of
the highest such total seen for any beneficiary of the state (a sign of billing to a cap;
windows of 6 calendar months, from month totals). Each
figure gets its percentile among the same kind of provider in the same state; a provider at
or above the 95th percentile on a figure is flagged on it. Claims carry no times of day, so
after-hours work cannot be measured from them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import duckdb
import pyarrow as pa

METRICS = (
    "units_per_beneficiary",
    "units_per_line",
    "weekend_share",
    "group_share",
    "near_cap_share",
)
FLAG_AT = 0.95


def outliers(lines: pa.Table, notes: pa.Table, people: pa.Table) -> pa.Table:
    """One row per (level, provider) with each metric, its percentile and flags.

    `lines`: note_id, beneficiary_id, billing_npi, rendering_npi, service_date, units;
    `notes` (the engine's): note_id, kind; `people`: medicaid_id, state."""
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.register("l", lines)
        con.register("n", notes.select(["note_id", "kind"]))
        con.register("p", people.select(["medicaid_id", "state"]))
        return outliers_in(
            con,
            """SELECT l.beneficiary_id, l.billing_npi, l.rendering_npi, l.service_date, l.units,
                n.kind, p.state
            FROM l JOIN n USING (note_id) JOIN p ON p.medicaid_id = l.beneficiary_id""",
        )
    finally:
        con.close()


def outliers_in(
    con: duckdb.DuckDBPyConnection,
    lines_sql: str,
    drop: Sequence[str] = (),
    names: Mapping[str, str] | None = None,
) -> pa.Table:
    """The same, in a connection that already holds the lines (the one that prepared them):
    `lines_sql` selects each final line's beneficiary_id, billing_npi, rendering_npi,
    service_date, units, kind (the note's) and state (the beneficiary's); the tables named
    in `drop` are dropped once the lines are taken (memory).

    The three ids may be numbers standing for the texts (grouping ten million lines by
    numbers takes about half the time it takes by texts): `names` then gives, for
    "billing_npi" and "rendering_npi", a query of (id, npi) pairs naming them."""
    # One pass over the lines: their counts by beneficiary, provider, peer and month (a
    # few rows a beneficiary); every figure below is taken from these, never from the
    # lines again (at ten million lines a pass costs seconds, and more when spilled).
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE outlier_months AS
        SELECT beneficiary_id, state, billing_npi, rendering_npi,
            year(service_date) * 12 + month(service_date) AS month, count(*) AS lines,
            sum(units) AS units,
            sum(CASE WHEN isodow(service_date) >= 6 THEN 1 ELSE 0 END) AS weekend,
            sum(CASE WHEN kind = 'group' THEN 1 ELSE 0 END) AS grouped
        FROM ({lines_sql}) GROUP BY ALL"""
    )
    for name in drop:
        con.execute(f'DROP TABLE "{name}"')
    # Units in any 6 calendar months running, from month totals (few rows a person); months
    # are numbered (year x 12 + month), so the window is 5 numbers back, not an interval.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE outlier_near AS
        WITH months AS (
            SELECT beneficiary_id, state, month, sum(units) AS units
            FROM outlier_months GROUP BY ALL),
        rolling AS (
            SELECT beneficiary_id, state, sum(units) OVER (PARTITION BY beneficiary_id
                ORDER BY month RANGE BETWEEN 5 PRECEDING AND CURRENT ROW)
                AS window_units
            FROM months)
        SELECT beneficiary_id, state,
            max(window_units) >= 0.9 * max(max(window_units)) OVER (PARTITION BY state)
                AS near_cap
        FROM rolling GROUP BY beneficiary_id, state"""
    )
    # Each provider's figures from its beneficiaries' (one row per provider and
    # beneficiary first, so nothing is counted distinct).
    parts = []
    for level, column in (
        ("billing provider", "billing_npi"),
        ("rendering peer", "rendering_npi"),
    ):
        parts.append(
            f"""SELECT '{level}' AS level, npi, state,
                count(*) AS beneficiaries,
                sum(lines)::BIGINT AS lines, sum(units) AS units,
                sum(units) / count(*) AS units_per_beneficiary,
                sum(units) / sum(lines) AS units_per_line,
                sum(weekend) / sum(lines) AS weekend_share,
                sum(grouped) / sum(lines) AS group_share,
                count(*) FILTER (WHERE near_cap) / count(*) AS near_cap_share
            FROM (
                SELECT x.{column} AS npi, x.state, x.beneficiary_id,
                    sum(x.lines)::BIGINT AS lines, sum(x.units) AS units,
                    sum(x.weekend) AS weekend, sum(x.grouped) AS grouped,
                    any_value(near.near_cap) AS near_cap
                FROM outlier_months x JOIN outlier_near near USING (beneficiary_id, state)
                GROUP BY x.{column}, x.state, x.beneficiary_id)
            GROUP BY npi, state"""
        )
    if names:
        parts = [
            f"""SELECT m.* REPLACE (k.npi AS npi) FROM ({part}) m
            JOIN ({names[column]}) k(id, npi) ON k.id = m.npi"""
            for part, column in zip(parts, ("billing_npi", "rendering_npi"), strict=True)
        ]
    ranks = ", ".join(
        f"percent_rank() OVER (PARTITION BY level, state ORDER BY {m}) AS {m}_percentile"
        for m in METRICS
    )
    flags = " || ".join(
        f"CASE WHEN {m}_percentile >= {FLAG_AT} AND peers >= 20 THEN '{m} ' ELSE '' END"
        for m in METRICS
    )
    return con.sql(
        f"""WITH m AS ({" UNION ALL ".join(parts)}),
        r AS (SELECT *, {ranks}, count(*) OVER (PARTITION BY level, state) AS peers FROM m)
        SELECT *, trim({flags}) AS flagged FROM r
        ORDER BY level, state, units_per_beneficiary DESC, npi"""
    ).to_arrow_table()
