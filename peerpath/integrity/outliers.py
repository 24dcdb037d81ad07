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
                n.kind
            FROM l JOIN n USING (note_id)""",
            "SELECT medicaid_id AS beneficiary_id, state FROM p",
        )
    finally:
        con.close()


def outliers_in(con: duckdb.DuckDBPyConnection, lines_sql: str, people_sql: str) -> pa.Table:
    """The same, in a connection that already holds the lines (the one that prepared them):
    `lines_sql` selects each final line's beneficiary_id, billing_npi, rendering_npi,
    service_date, units and kind (the note's), and is read twice; `people_sql` the
    beneficiaries counted (beneficiary_id, state): lines of others are left out. The
    beneficiary_id is only a key (an audit passes each beneficiary's number: grouping on a
    number is cheaper than on text)."""
    # The rolling windows: each beneficiary's units by month (numbered year x 12 + month,
    # so the window of 6 calendar months is 5 numbers back, not an interval), and whether
    # their busiest window came within 10% of the state's highest.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE outlier_near AS
        WITH months AS (
            SELECT beneficiary_id, (year(service_date) * 12 + month(service_date))::INTEGER
                AS month, sum(units) AS units
            FROM ({lines_sql}) GROUP BY ALL),
        rolling AS (
            SELECT beneficiary_id, sum(units) OVER (PARTITION BY beneficiary_id
                ORDER BY month RANGE BETWEEN 5 PRECEDING AND CURRENT ROW) AS window_units
            FROM months),
        busiest AS (
            SELECT r.beneficiary_id, p.state, r.top
            FROM (SELECT beneficiary_id, max(window_units) AS top FROM rolling
                GROUP BY beneficiary_id) r
            JOIN ({people_sql}) p USING (beneficiary_id))
        SELECT beneficiary_id, state,
            top >= 0.9 * max(top) OVER (PARTITION BY state) AS near_cap
        FROM busiest"""
    )
    # Each provider's figures from its beneficiaries': the lines counted by provider and
    # beneficiary (a beneficiary has few providers, so these are about as many rows as
    # beneficiaries, never as many as lines), for both kinds of provider in one pass over
    # the lines (grouping sets), nothing counted distinct.
    parts = [
        f"""SELECT level, npi, state,
            count(*) AS beneficiaries,
            sum(lines)::BIGINT AS lines, sum(units) AS units,
            sum(units) / count(*) AS units_per_beneficiary,
            sum(units) / sum(lines) AS units_per_line,
            sum(weekend) / sum(lines) AS weekend_share,
            sum(grouped) / sum(lines) AS group_share,
            count(*) FILTER (WHERE near_cap) / count(*) AS near_cap_share
        FROM (
            SELECT CASE WHEN grouping(billing_npi) = 0 THEN 'billing provider'
                    ELSE 'rendering peer' END AS level,
                CASE WHEN grouping(billing_npi) = 0 THEN billing_npi ELSE rendering_npi END
                    AS npi,
                beneficiary_id, count(*) AS lines, sum(units) AS units,
                count(*) FILTER (WHERE isodow(service_date) >= 6) AS weekend,
                count(*) FILTER (WHERE kind = 'group') AS grouped
            FROM ({lines_sql})
            GROUP BY GROUPING SETS ((billing_npi, beneficiary_id),
                (rendering_npi, beneficiary_id))) x
        JOIN outlier_near USING (beneficiary_id)
        GROUP BY level, npi, state"""
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
