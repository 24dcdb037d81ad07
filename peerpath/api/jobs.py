"""Job kinds of the records area: importing a records document, JSON or a set of CSV files
(big files run in the background with progress; a refused row stops it with every refused
row listed)."""

from __future__ import annotations

import json

from peerpath.jobs.kinds import JobFailed, JobRun, Outcome, job_kind

from .records import ImportRefused, import_records
from .records_csv import CSV_FORMAT, import_csv


@job_kind("records.import", title="Record import", roles={"admin"})
def records_import(run: JobRun, *, dry_run: bool = False) -> Outcome:
    try:
        data = json.loads(run.input_text)
    except json.JSONDecodeError as exc:
        raise JobFailed(
            f"Nothing was imported: the file is not JSON (line {exc.lineno})."
        ) from None
    try:
        if isinstance(data, dict) and data.get("format") == CSV_FORMAT:
            files = {str(k): str(v) for k, v in (data.get("files") or {}).items()}
            result = import_csv(files, actor=run.actor, dry_run=dry_run, progress=run.progress)
        else:
            result = import_records(data, actor=run.actor, dry_run=dry_run, progress=run.progress)
    except ImportRefused as exc:
        problems = exc.result.problems
        rows = len({p.where for p in problems})
        raise JobFailed(
            f"Nothing was imported: {rows} row(s) refused.", [str(p) for p in problems]
        ) from None
    counts = ", ".join(f"{n} {what}" for what, n in result.counts.items())
    verb = "Would import" if dry_run else "Imported"
    return Outcome(summary=f"{verb} {counts}.", data=dict(result.counts))
