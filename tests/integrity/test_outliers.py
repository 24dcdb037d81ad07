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
