"""`peerpath audit export`: the records tier of an extract from PeerPath's own database (the
engine's documented tables, as the live check reads them), one Parquet file per table.

The files are written into a fresh folder beside the target and moved in together, so an
interrupted export leaves nothing half-written.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pyarrow.parquet as pq

from .formats import RECORDS_TIER


def export_records(out: Path) -> dict[str, int]:
    """Write every records-tier table of the database into `out`; rows per table."""
    from peerpath.policy.extract import extract

    tables = extract()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".export-", dir=out.parent))
    counts: dict[str, int] = {}
    try:
        for name, fmt in RECORDS_TIER.items():
            table = tables.get(name)
            if table is None:
                continue
            pq.write_table(
                table.select(fmt.schema.names).cast(fmt.schema), staging / f"{name}.parquet"
            )
            counts[name] = table.num_rows
        out.mkdir(exist_ok=True)
        for path in staging.iterdir():
            os.replace(path, out / path.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return counts
