"""Seeded, reproducible samples of paid claims, and the reviewers' determinations.

The sample frame is every final paid peer-support line of a claims extract (adjustments
resolved, voids dropped), or every beneficiary-month with payments. A simple random sample,
or one stratified by paid amount (equal-count strata or given bounds), is drawn with
NumPy's PCG64 generator from the frame sorted by item id, so the same extract, seed and
design always give the same items. `sample.json` records the design: frame, its size,
total paid and fingerprint, the seed, the strata and their sizes.

Reviewers mark each sampled item `allowed`, `partly allowed` (with the overpaid amount) or
`not allowed` (the whole paid amount is overpaid), in `reviews.csv`; `load_reviews` checks
that file and `estimate_from_reviews` extrapolates (peerpath.integrity.estimate).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from peerpath.policy.parameters import load_packs

from .claims import map_claims
from .estimate import Estimate, Stratum, estimate
from .extract import ExtractError, read_extract

FRAMES = ("lines", "beneficiary-months")
DETERMINATIONS = ("allowed", "partly allowed", "not allowed")
SAMPLE_SCHEMA = pa.schema(
    [
        ("item_id", pa.string()),
        ("stratum", pa.int64()),
        ("selection", pa.int64()),
        ("beneficiary_id", pa.string()),
        ("claim_id", pa.string()),
        ("line_number", pa.int64()),
        ("month", pa.string()),
        ("paid", pa.float64()),
    ]
)


def build_frame(input_dir: Path, kind: str = "lines") -> pa.Table:
    """The sample frame of an extract: item_id, beneficiary_id, claim_id, line_number,
    month, paid (items with a payment only), sorted by item id."""
    if kind not in FRAMES:
        raise ValueError(f"unknown frame {kind!r}; choose {' or '.join(FRAMES)}")
    extract = read_extract(input_dir)
    if extract.tier != "claims":
        raise ExtractError(str(input_dir), "sampling needs a claims-tier extract (amounts paid)")
    lines = map_claims(extract, load_packs().values()).lines
    assert lines is not None  # no file asked for: the lines come as Arrow
    con = duckdb.connect()
    try:
        con.register("l", lines)
        if kind == "lines":
            sql = """SELECT claim_id || '#' || line_number AS item_id, beneficiary_id, claim_id,
                    line_number, strftime(service_date, '%Y-%m') AS month, paid
                FROM l WHERE paid > 0 ORDER BY item_id"""
        else:
            sql = """SELECT beneficiary_id || '@' || month AS item_id, beneficiary_id,
                    NULL::VARCHAR AS claim_id, NULL::BIGINT AS line_number, month, sum(paid) AS paid
                FROM (SELECT *, strftime(service_date, '%Y-%m') AS month FROM l WHERE paid > 0)
                GROUP BY beneficiary_id, month ORDER BY item_id"""
        table = con.sql(sql).to_arrow_table()
    finally:
        con.close()
    return table


def _fingerprint(frame: pa.Table) -> str:
    digest = hashlib.sha256()
    for item, paid in zip(
        frame.column("item_id").to_pylist(), frame.column("paid").to_pylist(), strict=True
    ):
        digest.update(f"{item}\t{paid:.2f}\n".encode())
    return digest.hexdigest()


def _bounds(paid: np.ndarray[Any, Any], strata: int, given: Sequence[float] | None) -> list[float]:
    if given:
        return sorted(float(b) for b in given)
    if strata <= 1:
        return []
    qs = np.quantile(paid, [i / strata for i in range(1, strata)])
    return sorted({float(q) for q in qs})


def draw(
    frame: pa.Table,
    *,
    size: int,
    seed: int,
    strata: int = 1,
    bounds: Sequence[float] | None = None,
    allocation: str = "proportional",
) -> tuple[pa.Table, dict[str, Any]]:
    """Draw the sample; returns the sampled items and the design record."""
    n_frame = frame.num_rows
    if size < 2 or size > n_frame:
        raise ValueError(f"sample size must be between 2 and the frame's {n_frame} items")
    paid = frame.column("paid").to_numpy()
    cuts = _bounds(paid, strata, bounds)
    stratum = (
        np.searchsorted(np.array(cuts), paid, side="right") if cuts else np.zeros(n_frame, int)
    )
    members = [np.flatnonzero(stratum == h) for h in range(len(cuts) + 1)]
    members = [m for m in members if len(m)]
    sizes = _allocate([len(m) for m in members], size, allocation)
    rng = np.random.Generator(np.random.PCG64(seed))
    picked: list[np.ndarray[Any, Any]] = []
    labels: list[np.ndarray[Any, Any]] = []
    design_strata = []
    edges = [-math.inf, *cuts, math.inf]
    for h, (m, n_h) in enumerate(zip(members, sizes, strict=True)):
        chosen = np.sort(rng.choice(m, size=n_h, replace=False))
        picked.append(chosen)
        labels.append(np.full(n_h, h + 1))
        low, high = float(paid[m].min()), float(paid[m].max())
        design_strata.append(
            {
                "stratum": h + 1,
                "paid_from": low,
                "paid_to": high,
                "bounds": [None if math.isinf(e) else e for e in (edges[h], edges[h + 1])]
                if cuts
                else [None, None],
                "frame_size": len(m),
                "frame_paid": round(float(paid[m].sum()), 2),
                "sample_size": n_h,
            }
        )
    index = np.concatenate(picked)
    sample = frame.take(pa.array(index))
    sample = pa.table(
        {
            "item_id": sample.column("item_id"),
            "stratum": pa.array(np.concatenate(labels), pa.int64()),
            "selection": pa.array(range(1, len(index) + 1), pa.int64()),
            "beneficiary_id": sample.column("beneficiary_id"),
            "claim_id": sample.column("claim_id"),
            "line_number": sample.column("line_number"),
            "month": sample.column("month"),
            "paid": sample.column("paid"),
        },
        schema=SAMPLE_SCHEMA,
    )
    design = {
        "method": "stratified random sample by paid amount"
        if len(members) > 1
        else "simple random sample",
        "generator": "numpy PCG64",
        "seed": seed,
        "allocation": allocation if len(members) > 1 else None,
        "frame_size": n_frame,
        "frame_paid": round(float(paid.sum()), 2),
        "frame_sha256": _fingerprint(frame),
        "sample_size": len(index),
        "strata": design_strata,
        "drawn": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    return sample, design


def _allocate(frame_sizes: Sequence[int], size: int, allocation: str) -> list[int]:
    """Items per stratum: proportional to the frame (or equal), at least 2 (or the whole
    stratum when it is smaller), adding up to `size` where the strata allow."""
    k = len(frame_sizes)
    total = sum(frame_sizes)
    if allocation == "equal":
        want = [size / k] * k
    elif allocation == "proportional":
        want = [size * n / total for n in frame_sizes]
    else:
        raise ValueError("allocation is 'proportional' or 'equal'")
    out = [min(n, max(2, math.floor(w))) for n, w in zip(frame_sizes, want, strict=True)]
    # Hand out what rounding left to the strata furthest below their share, with room.
    while sum(out) < size:
        room = [i for i in range(k) if out[i] < frame_sizes[i]]
        if not room:
            break
        i = max(room, key=lambda j: want[j] - out[j])
        out[i] += 1
    return out


def write_sample(out: Path, sample: pa.Table, design: Mapping[str, Any], frame_kind: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    pq.write_table(sample, out / "sample.parquet")
    (out / "sample.json").write_text(json.dumps({**design, "frame": frame_kind}, indent=2) + "\n")
    template = pa.table(
        {
            "item_id": sample.column("item_id"),
            "stratum": sample.column("stratum"),
            "paid": sample.column("paid"),
            "determination": pa.nulls(sample.num_rows, pa.string()),
            "overpayment": pa.nulls(sample.num_rows, pa.float64()),
            "note": pa.nulls(sample.num_rows, pa.string()),
        }
    )
    pacsv.write_csv(template, out / "reviews.csv")


class ReviewError(ValueError):
    pass


def load_reviews(sample: pa.Table, path: Path) -> dict[str, float]:
    """item_id -> overpayment, from the reviewers' CSV; every sampled item exactly once."""
    try:
        table = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                column_types={
                    "item_id": pa.string(),
                    "determination": pa.string(),
                    "overpayment": pa.string(),
                },
                strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, OSError) as exc:
        raise ReviewError(f"{path.name}: cannot be read ({str(exc).splitlines()[0]})") from None
    for col in ("item_id", "determination"):
        if col not in table.column_names:
            raise ReviewError(f"{path.name}, column {col!r}: required column is missing")
    paid = dict(
        zip(sample.column("item_id").to_pylist(), sample.column("paid").to_pylist(), strict=True)
    )
    has_amount = "overpayment" in table.column_names
    amounts = table.column("overpayment").to_pylist() if has_amount else [None] * table.num_rows
    out: dict[str, float] = {}
    for i, (item, det, amount) in enumerate(
        zip(
            table.column("item_id").to_pylist(),
            table.column("determination").to_pylist(),
            amounts,
            strict=True,
        ),
        start=1,
    ):
        where = f"{path.name}, row {i}"
        if item not in paid:
            raise ReviewError(f"{where}, column 'item_id': {item!r} is not in the sample")
        if item in out:
            raise ReviewError(f"{where}, column 'item_id': {item!r} is reviewed twice")
        word = " ".join(str(det or "").lower().replace("_", " ").split())
        if word not in DETERMINATIONS:
            raise ReviewError(
                f"{where}, column 'determination': {det!r} is not one of "
                f"{', '.join(DETERMINATIONS)}"
            )
        if word == "allowed":
            out[item] = 0.0
        elif word == "not allowed":
            out[item] = float(paid[item])
        else:
            try:
                value = float(str(amount).replace("$", "").replace(",", ""))
            except ValueError:
                raise ReviewError(
                    f"{where}, column 'overpayment': a partly allowed item needs the amount "
                    f"overpaid, got {amount!r}"
                ) from None
            if not 0 <= value <= float(paid[item]) + 1e-9:
                raise ReviewError(
                    f"{where}, column 'overpayment': {value} is not between 0 and the "
                    f"{paid[item]} paid"
                )
            out[item] = value
    missing = [item for item in paid if item not in out]
    if missing:
        raise ReviewError(
            f"{path.name}: {len(missing)} sampled items not reviewed, e.g. {missing[0]!r}"
        )
    return out


def estimate_from_reviews(
    sample_dir: Path, reviews: Path, *, confidence: float = 0.90
) -> tuple[Estimate, dict[str, Any]]:
    sample = pq.read_table(sample_dir / "sample.parquet")
    design = json.loads((sample_dir / "sample.json").read_text())
    found = load_reviews(sample, reviews)
    strata = []
    for s in design["strata"]:
        items = pc.filter(
            sample.column("item_id"), pc.equal(sample.column("stratum"), s["stratum"])
        )
        strata.append(
            Stratum(
                str(s["stratum"]), int(s["frame_size"]), tuple(found[i] for i in items.to_pylist())
            )
        )
    return estimate(strata, confidence=confidence), design
