"""Record import from CSV files (one per kind of record, in a folder or a zip): the same
checks as the JSON import, every refused row named by file, spreadsheet line and column,
nothing written unless every row is good; the export as CSV imported back reproduces it."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.db import transaction

from peerpath.api.records import ImportRefused, export_agency
from peerpath.api.records_csv import (
    csv_from_document,
    import_csv,
    read_csv_files,
    write_csv_files,
)
from peerpath.demo.generator import generate
from peerpath.jobs.models import Job
from peerpath.organizations.models import Agency
from peerpath.people.models import Person
from peerpath.services.models import ServiceNote
from peerpath.staff.models import StaffMember
from tests.api.test_legacy_notes import legacy_note, source_document
from tests.api.test_records import _without_ids


class _Undo(Exception):
    pass


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _text(rows: list[dict[str, str]], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _edit(files: dict[str, str], name: str, change: Any) -> None:
    """Let `change` alter the rows of one file (a list of dicts), and write it back."""
    columns = next(csv.reader(io.StringIO(files[name])))
    rows = _rows(files[name])
    change(rows, columns)
    files[name] = _text(rows, columns)


def _demo_document() -> dict[str, Any]:
    """The demo agency's export with a historic note, the database left empty."""
    kept: dict[str, Any] = {}
    try:
        with transaction.atomic():
            generate(people=6, months=2, seed=5)
            kept["doc"] = export_agency(Agency.objects.get())
            raise _Undo
    except _Undo:
        pass
    doc = kept["doc"]
    doc["notes"] = [
        legacy_note(doc, external_id="A-7", signer_name='Robin "Bo" Lee, CPSS'),
        legacy_note(doc, external_id="A-8", person=doc["people"][1]["external_id"],
                    response="Line one,\nline two."),
    ]  # fmt: skip
    return doc


@pytest.mark.django_db
def test_a_dry_run_writes_nothing_and_the_csv_export_imported_back_reproduces_it(capsys, tmp_path):
    from peerpath.cli import main

    doc = _demo_document()
    assert not Agency.objects.exists()
    files = csv_from_document(doc)
    assert set(files) >= {"people.csv", "diagnoses.csv", "staff.csv", "certifications.csv",
                          "trainings.csv", "authorizations.csv", "notes.csv"}  # fmt: skip
    write_csv_files(files, tmp_path / "records.zip")
    write_csv_files(files, tmp_path / "records")
    assert read_csv_files(tmp_path / "records.zip") == read_csv_files(tmp_path / "records")

    assert main(["records", "import", str(tmp_path / "records.zip"), "--dry-run"]) == 0
    said = capsys.readouterr().out
    assert "Would import" in said and "2 historic notes" in said
    assert not Agency.objects.exists() and not Person.objects.exists()

    assert main(["records", "import", str(tmp_path / "records")]) == 0
    assert "Imported" in capsys.readouterr().out
    assert Job.objects.filter(kind="records.import", status="succeeded").count() == 2
    again = export_agency(Agency.objects.get())
    assert _without_ids(again) == _without_ids(doc)
    assert ServiceNote.objects.filter(legacy_source="OldEHR").count() == 2

    # And the CLI's own CSV export of the imported agency gives the same files back
    # (ids aside: those of the new database).
    out = tmp_path / "again"
    agency = Agency.objects.get()
    assert main(["records", "export", "--agency", str(agency.pk), "--format", "csv",
                 "--out", str(out)]) == 0  # fmt: skip
    assert f"people.csv: {len(doc['people'])} row(s)" in capsys.readouterr().out
    assert read_csv_files(out) == csv_from_document(again)


def _bad_files() -> dict[str, str]:
    doc = source_document()
    doc["notes"] = [legacy_note(doc)]
    files = csv_from_document(doc)
    first = doc["people"][0]

    def people(rows: list[dict[str, str]], _: list[str]) -> None:
        # Line 3 has a cell over two lines (as a spreadsheet keeps an address); line 4 is
        # the bad one, whatever the file's count of physical lines.
        rows.append({**rows[0], "external_id": "p-2", "medicaid_id": "900000777T",
                     "address": "12 Elm Street\nApartment 4"})  # fmt: skip
        rows.append({**rows[0], "external_id": "p-3", "medicaid_id": "900000778T",
                     "date_of_birth": "31/02/1990"})  # fmt: skip

    def diagnoses(rows: list[dict[str, str]], _: list[str]) -> None:
        rows.append({**rows[0], "code": "Q99.999"})
        rows.append({**rows[0], "person": "nobody"})

    def staff(rows: list[dict[str, str]], _: list[str]) -> None:
        rows.append({**rows[0], "external_id": "s-2", "role": "wizard", "npi": ""})

    def trainings(rows: list[dict[str, str]], _: list[str]) -> None:
        rows.append({"staff": (rows and rows[0]["staff"]) or doc["staff"][0]["external_id"],
                     "topic": "Ethics", "hours": "many", "completed_on": "2026-01-02"})  # fmt: skip

    def auths(rows: list[dict[str, str]], _: list[str]) -> None:
        rows[0]["units_requested"] = "lots"

    def notes(rows: list[dict[str, str]], _: list[str]) -> None:
        rows.append({**rows[0], "external_id": "N-2", "signed_at": ""})

    def payers(rows: list[dict[str, str]], columns: list[str]) -> None:
        columns.append("colour")

    for name, change in (("people.csv", people), ("diagnoses.csv", diagnoses),
                         ("staff.csv", staff), ("trainings.csv", trainings),
                         ("authorizations.csv", auths), ("notes.csv", notes),
                         ("payers.csv", payers)):  # fmt: skip
        _edit(files, name, change)
    files["visits.csv"] = "when,who\n2026-01-01,x\n"
    assert first["external_id"] in files["diagnoses.csv"]
    return files


EXPECTED = {
    ("people.csv", 4, "date_of_birth"),
    ("diagnoses.csv", 3, "code"),
    ("diagnoses.csv", 4, "person"),
    ("staff.csv", 3, "role"),
    ("trainings.csv", 2, "hours"),
    ("authorizations.csv", 2, "units_requested"),
    ("notes.csv", 3, "signed_at"),
    ("payers.csv", 1, "colour"),
    ("visits.csv", 1, "file"),
}


@pytest.mark.django_db
def test_a_folder_with_bad_rows_changes_nothing_and_names_each_by_file_line_and_field(
    actor, capsys, tmp_path
):
    from peerpath.cli import main

    files = _bad_files()
    for dry_run in (True, False):
        with pytest.raises(ImportRefused) as refused:
            import_csv(files, actor=actor, dry_run=dry_run)
        found = {(p.file, p.line, p.field) for p in refused.value.result.problems}
        assert found == EXPECTED, found - EXPECTED
    assert not Agency.objects.exists() and not StaffMember.objects.exists()

    # The same through the command (a background job): every row named, nothing written.
    write_csv_files(files, tmp_path / "bad")
    assert main(["records", "import", str(tmp_path / "bad")]) == 1
    said = capsys.readouterr().out
    assert "9 row(s) refused" in said
    assert "people.csv line 4, date_of_birth" in said
    assert "diagnoses.csv line 4, person: No row with this external_id in people.csv." in said
    job = Job.objects.get(kind="records.import")
    assert job.status == "failed" and len(job.problems) == len(EXPECTED)
    assert not Agency.objects.exists() and not Person.objects.exists()
    assert not ServiceNote.objects.exists()


@pytest.mark.django_db
def test_a_good_small_folder_imports_with_its_historic_note(actor):
    doc = source_document()
    doc["notes"] = [legacy_note(doc)]
    files = csv_from_document(doc)
    # A spreadsheet's UTF-8 mark and a blank trailing row change nothing.
    files["people.csv"] = "\ufeff" + files["people.csv"] + ",,,\r\n"
    result = import_csv(files, actor=actor)
    assert result.counts["people"] == 1 and result.counts["historic notes"] == 1
    note = ServiceNote.objects.get()
    assert note.legacy_source == "OldEHR" and note.person.agency == Agency.objects.get()


@pytest.mark.django_db
def test_a_folder_without_the_agency_file_or_with_a_missing_link_column_is_refused(actor):
    doc = source_document()
    files = csv_from_document(doc)
    del files["agency.csv"]
    files["people.csv"] = files["people.csv"].replace("external_id,", "id,", 1)
    with pytest.raises(ImportRefused) as refused:
        import_csv(files, actor=actor)
    found = {(p.file, p.line, p.field) for p in refused.value.result.problems}
    assert {("agency.csv", 1, "file"), ("people.csv", 1, "external_id"),
            ("people.csv", 1, "id")} <= found  # fmt: skip
    assert not Agency.objects.exists()
