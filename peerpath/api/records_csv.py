"""Records as CSV: one file per kind of record in a folder (or a zip), the columns described
in docs/import.md. The files are read into the same document the JSON import takes
(`records.py`), so both go through one set of checks and one all-or-nothing write; a
refused row is named by its file, its line as a spreadsheet numbers it (the header is line
1) and its column.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peerpath.core.services import Actor
from peerpath.jobs.progress import NO_PROGRESS, Progress

from .records import (
    AGENCY_FIELDS,
    AUTH_FIELDS,
    CERT_FIELDS,
    DIAGNOSIS_FIELDS,
    FORMAT,
    NOTE_FIELDS,
    PAYER_FIELDS,
    PERSON_FIELDS,
    STAFF_FIELDS,
    TRAINING_FIELDS,
    ImportResult,
    RowProblem,
    import_records,
)

# What a background job carries: the files' text, by name.
CSV_FORMAT = "peerpath-records-csv/1"


@dataclass(frozen=True)
class CsvKind:
    """One file: its name, the document section its rows go to, its columns (the first
    ones are the links, which must be there), and for rows that belong to another record,
    the list they join and the column naming that record."""

    file: str
    section: str
    links: tuple[str, ...]
    fields: tuple[str, ...]
    parent: str = ""  # the section of the record a row belongs to ("people", "staff")
    parent_column: str = ""

    @property
    def columns(self) -> tuple[str, ...]:
        return self.links + self.fields


KINDS = (
    CsvKind("agency.csv", "agency", (), AGENCY_FIELDS),
    CsvKind("payers.csv", "payers", ("payer_id",), PAYER_FIELDS[1:]),
    CsvKind("people.csv", "people", ("external_id", "payer_id"), PERSON_FIELDS),
    CsvKind("diagnoses.csv", "diagnoses", ("person",), DIAGNOSIS_FIELDS, "people", "person"),
    CsvKind("staff.csv", "staff", ("external_id",), STAFF_FIELDS),
    CsvKind("certifications.csv", "certifications", ("staff",), CERT_FIELDS, "staff", "staff"),
    CsvKind("trainings.csv", "trainings", ("staff",), TRAINING_FIELDS, "staff", "staff"),
    CsvKind(
        "authorizations.csv", "authorizations", ("external_id", "person", "payer_id"), AUTH_FIELDS
    ),
    CsvKind(
        "notes.csv",
        "notes",
        ("external_id", "source_system", "person", "staff"),
        ("signed_by", "signer_name", *NOTE_FIELDS),
    ),
)
_BY_FILE = {k.file: k for k in KINDS}
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0", ""}
# The JSON import's words for the document, said as the files a CSV user knows.
_WORDS = {
    "the document's people": "the external ids of people.csv",
    "the document's payers": "the payer ids of payers.csv",
    "the document's staff": "the external ids of staff.csv",
}


@dataclass
class CsvDocument:
    """The document read from the files, where each of its rows came from, and the rows
    that could not be read at all."""

    data: dict[str, Any]
    origin: dict[str, tuple[str, int]]
    problems: list[RowProblem]

    def locate(self, problem: RowProblem) -> RowProblem:
        found = self.origin.get(problem.where)
        if found is None:
            return problem
        message = problem.message
        for said, plain in _WORDS.items():
            message = message.replace(said, plain)
        file, line = found
        return RowProblem(f"{file}:{line}", problem.field, message, file=file, line=line)


def _problem(file: str, line: int, field: str, message: str) -> RowProblem:
    return RowProblem(f"{file}:{line}", field, message, file=file, line=line)


def _rows(kind: CsvKind, text: str, problems: list[RowProblem]) -> list[tuple[int, dict[str, str]]]:
    """The file's rows as (line, values by column); blank rows are skipped, as a
    spreadsheet user expects."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        problems.append(_problem(kind.file, 1, "header", "The file is empty: no header row."))
        return []
    except csv.Error as exc:
        problems.append(_problem(kind.file, 1, "header", f"Not readable as CSV ({exc})."))
        return []
    for name in header:
        if name not in kind.columns:
            problems.append(_problem(kind.file, 1, name or "(blank)", "Not a column of this file."))
    for name in kind.links:
        if name not in header:
            problems.append(_problem(kind.file, 1, name, "This column is needed."))
    out = []
    line = 1
    try:
        for cells in reader:
            line += 1
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(header):
                problems.append(_problem(kind.file, line, "row", "More cells than columns."))
                continue
            row = {h: c.strip() for h, c in zip(header, cells, strict=False) if h in kind.columns}
            if "is_primary" in row:
                flag = row["is_primary"].lower()
                if flag in _TRUE | _FALSE:
                    row["is_primary"] = flag in _TRUE  # type: ignore[assignment]
            out.append((line, row))
    except csv.Error as exc:
        problems.append(_problem(kind.file, line, "row", f"Not readable as CSV ({exc})."))
    return out


def document_from_csv(files: Mapping[str, str]) -> CsvDocument:
    """The records document the files describe (see docs/import.md for each file)."""
    problems: list[RowProblem] = []
    origin: dict[str, tuple[str, int]] = {}
    for name in sorted(files):
        if name not in _BY_FILE:
            known = ", ".join(k.file for k in KINDS)
            problems.append(_problem(name, 1, "file", f"Not a file this import reads ({known})."))
    read = {k.file: _rows(k, files[k.file], problems) for k in KINDS if k.file in files}
    data: dict[str, Any] = {"format": FORMAT}
    agency_rows = read.get("agency.csv", [])
    if "agency.csv" not in files:
        problems.append(_problem("agency.csv", 1, "file", "The agency's file is needed."))
    elif len(agency_rows) != 1:
        problems.append(_problem("agency.csv", 2, "row", "Give the agency as one row."))
    if agency_rows:
        line, data["agency"] = agency_rows[0]
        origin["agency"] = ("agency.csv", line)
    parents: dict[str, dict[str, dict[str, Any]]] = {}
    for kind in KINDS:
        if kind.section == "agency":
            continue
        rows = read.get(kind.file, [])
        if kind.parent:
            own = parents[kind.parent]
            for line, row in rows:
                key = row.pop(kind.parent_column, "")
                parent = own.get(key)
                if parent is None:
                    problems.append(
                        _problem(
                            kind.file, line, kind.parent_column,
                            f"No row with this external_id in {kind.parent}.csv.",
                        )
                    )  # fmt: skip
                    continue
                children = parent.setdefault(kind.section, [])
                children.append(row)
                where = f"{parent['#where']}.{kind.section}[{len(children)}]"
                origin[where] = (kind.file, line)
            continue
        section: list[dict[str, Any]] = []
        parents[kind.section] = {}
        for i, (line, row) in enumerate(rows, start=1):
            where = f"{kind.section}[{i}]"
            origin[where] = (kind.file, line)
            section.append(row)
            parents[kind.section].setdefault(row.get("external_id", ""), row)
            row["#where"] = where
        data[kind.section] = section
    for kind in KINDS:
        for row in data.get(kind.section) or []:
            if isinstance(row, dict):
                row.pop("#where", None)
    return CsvDocument(data, origin, problems)


def import_csv(
    files: Mapping[str, str],
    *,
    actor: Actor,
    dry_run: bool = False,
    progress: Progress = NO_PROGRESS,
) -> ImportResult:
    """Read the files and import them as the JSON import would (all or nothing); raises
    ImportRefused with every refused row named by file, line and column."""
    doc = document_from_csv(files)
    return import_records(
        doc.data, actor=actor, dry_run=dry_run, progress=progress,
        earlier=doc.problems, locate=doc.locate,
    )  # fmt: skip


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def csv_from_document(doc: Mapping[str, Any]) -> dict[str, str]:
    """The records document (as `export_agency` makes it) as CSV files, by name."""
    files: dict[str, str] = {}
    for kind in KINDS:
        if kind.section == "agency":
            rows = [dict(doc["agency"])]
        elif kind.parent:
            rows = [
                {kind.parent_column: p["external_id"], **child}
                for p in doc.get(kind.parent) or []
                for child in p.get(kind.section) or []
            ]
        else:
            rows = list(doc.get(kind.section) or [])
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(kind.columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in kind.columns])
        files[kind.file] = out.getvalue()
    return files


class CsvFolderError(ValueError):
    """A folder or zip that cannot be read as the import's CSV files."""


def read_csv_files(path: Path) -> dict[str, str]:
    """The .csv files of a folder or a zip, by name (text; a spreadsheet's UTF-8 mark is
    dropped). Other files are left alone."""
    raw: dict[str, bytes] = {}
    if path.is_dir():
        for f in sorted(path.iterdir()):
            if f.is_file() and f.suffix.lower() == ".csv":
                raw[f.name] = f.read_bytes()
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                name = Path(info.filename).name
                if not info.is_dir() and name.lower().endswith(".csv"):
                    if name in raw:
                        raise CsvFolderError(f"{name} is in the zip twice.")
                    raw[name] = z.read(info)
    else:
        raise CsvFolderError(f"{path.name} is neither a folder nor a zip of CSV files.")
    files = {}
    for name, data in raw.items():
        try:
            files[name] = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise CsvFolderError(f"{name} is not UTF-8 text (save it as CSV UTF-8).") from None
    return files


def write_csv_files(files: Mapping[str, str], path: Path) -> None:
    """Write the files into a folder, or into a zip when the path ends in .zip."""
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for name, text in files.items():
                z.writestr(name, text)
        return
    path.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (path / name).write_text(text, encoding="utf-8", newline="")
