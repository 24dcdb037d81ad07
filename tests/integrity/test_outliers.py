"""Outliers: a provider far above its peers is flagged, with its percentile."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from peerpath.integrity.outliers import outliers


def test_provider_far_above_peers_is_flagged() -> None:
    rows = []
    note = 0
    for p in range(25):
        for b in range(4):
            for w in range(6):
                note += 1
                day = dt.date(2025, 9, 1) + dt.timedelta(weeks=w)  # Mondays
                if p == 7 and w % 2:
                    day += dt.timedelta(days=5)  # provider 7 also works Saturdays
                rows.append(
                    {
                        "note_id": note,
                        "beneficiary_id": f"B{p}-{b}",
                        "billing_npi": f"P{p:02d}",
                        "rendering_npi": f"R{p:02d}",
                        "service_date": day,
                        "units": 12 if p == 7 else 2 + (b + w) % 3,
                    }
                )
    lines = pa.Table.from_pylist(rows)
    notes = pa.table({"note_id": lines.column("note_id"), "kind": ["individual"] * len(rows)})
    people = pa.table(
        {
            "medicaid_id": sorted({r["beneficiary_id"] for r in rows}),
            "state": ["TX"] * 100,
        }
    )
    table = outliers(lines, notes, people).to_pylist()
    billing = {r["npi"]: r for r in table if r["level"] == "billing provider"}
    assert len(billing) == 25
    hot = billing["P07"]
    assert hot["units_per_beneficiary"] == 72 and hot["units_per_beneficiary_percentile"] == 1.0
    assert "units_per_beneficiary" in hot["flagged"] and "weekend_share" in hot["flagged"]
    assert all(r["flagged"] == "" or r["npi"] == "P07" for r in billing.values())


def test_numbered_ids_named_at_the_end_give_the_same_table() -> None:
    """The audit groups by numbers standing for beneficiaries, providers and peers, and names
    the providers at the end: the same table as grouping by the texts."""
    import duckdb

    from peerpath.integrity.outliers import outliers_in

    rows = [
        {
            "beneficiary_id": f"B{b}",
            "billing_npi": f"P{b % 7}",
            "rendering_npi": f"R{b % 11}",
            "service_date": dt.date(2025, 1, 1) + dt.timedelta(days=3 * w + b % 5),
            "units": 1 + (b * w) % 9,
            "kind": "group" if (b + w) % 4 == 0 else "individual",
            "state": "TX" if b % 3 else "NC",
        }
        for b in range(60)
        for w in range(40)
    ]
    lines = pa.Table.from_pylist(rows)
    by_text = duckdb.connect()
    by_text.register("l", lines)
    expected = outliers_in(by_text, "SELECT * FROM l")

    numbers = {
        c: {v: i for i, v in enumerate(sorted(set(lines.column(c).to_pylist())), start=1)}
        for c in ("beneficiary_id", "billing_npi", "rendering_npi")
    }
    numbered = lines
    for c, ids in numbers.items():
        col = pa.array([ids[v] for v in lines.column(c).to_pylist()], pa.int64())
        numbered = numbered.set_column(numbered.schema.get_field_index(c), c, col)
    con = duckdb.connect()
    con.register("l", numbered)
    for c in ("billing_npi", "rendering_npi"):
        con.register(
            f"names_{c}",
            pa.table({"id": list(numbers[c].values()), "npi": list(numbers[c].keys())}),
        )
    got = outliers_in(
        con,
        "SELECT * FROM l",
        names={c: f"SELECT id, npi FROM names_{c}" for c in ("billing_npi", "rendering_npi")},
    )
    assert got.num_rows == expected.num_rows > 20
    assert got.to_pylist() == expected.to_pylist()
