"""Record import: the demo agency's own export, imported into an empty database, reproduces
it; a document with bad rows changes nothing and names each row."""

from __future__ import annotations

import copy

import pytest
from django.db import transaction

from peerpath.api.records import ImportRefused, export_agency, import_records
from peerpath.demo.generator import generate
from peerpath.organizations.models import Agency
from peerpath.people.models import Person


class _Undo(Exception):
    pass


def _without_ids(doc):
    """The document with the source's ids taken out of external ids (an import gives new
    ids), people and authorizations matched by their order instead."""
    doc = copy.deepcopy(doc)
    ids = {p["external_id"]: f"person#{i}" for i, p in enumerate(doc["people"])}
    for p in doc["people"]:
        p["external_id"] = ids[p["external_id"]]
    staff = {m["external_id"]: f"staff#{i}" for i, m in enumerate(doc["staff"])}
    for m in doc["staff"]:
        m["external_id"] = staff[m["external_id"]]
    for i, a in enumerate(doc["authorizations"]):
        a["external_id"] = f"authorization#{i}"
        a["person"] = ids[a["person"]]
    for n in doc.get("notes") or []:  # historic notes keep their own ids (their system's)
        n["person"] = ids[n["person"]]
        n["staff"], n["signed_by"] = staff[n["staff"]], staff[n["signed_by"]]
    return doc


@pytest.mark.django_db
def test_importing_the_demo_agencys_export_into_an_empty_database_reproduces_it(actor):
    kept = {}
    try:
        with transaction.atomic():
            generate(people=12, months=2, seed=11)
            kept["doc"] = export_agency(Agency.objects.get())
            raise _Undo
    except _Undo:
        pass
    doc = kept["doc"]
    assert not Agency.objects.exists() and not Person.objects.exists()
    assert len(doc["people"]) >= 12 and doc["authorizations"]
    assert any(p["diagnoses"] for p in doc["people"])
    assert any(m["certifications"] and m["trainings"] for m in doc["staff"])
    try:
        result = import_records(doc, actor=actor)
    except ImportRefused as exc:
        raise AssertionError([str(p) for p in exc.result.problems][:5]) from None
    assert result.counts["people"] == len(doc["people"])
    again = export_agency(Agency.objects.get())
    assert _without_ids(again) == _without_ids(doc)


@pytest.mark.django_db
def test_a_document_with_bad_rows_changes_nothing_and_names_each_row(actor):
    generate(people=6, months=2, seed=2)
    doc = export_agency(Agency.objects.get())
    doc["agency"]["npi"] = "1234567893"  # a new agency, so that only the bad rows are bad
    for p in doc["people"]:
        p["medicaid_id"] = p["medicaid_id"][:-1] + ("Z" if p["medicaid_id"][-1] != "Z" else "Y")
    doc["people"][1]["date_of_birth"] = "not a date"
    doc["people"][3]["diagnoses"] = [{"code": "Q99.999", "start": "2026-01-01"}]
    doc["authorizations"][0]["person"] = "person-nobody"
    for m in doc["staff"]:
        m["npi"] = ""  # NPIs are unique: leave them out of the copy
    doc["staff"][0]["role"] = "wizard"
    doc["staff"][1]["trainings"] = [
        {"topic": "Ethics", "hours": "many", "completed_on": "2026-01-02"}
    ]
    before = (Agency.objects.count(), Person.objects.count())
    with pytest.raises(ImportRefused) as refused:
        import_records(doc, actor=actor)
    where = {(p.where, p.field) for p in refused.value.result.problems}
    assert ("people[2]", "date_of_birth") in where
    assert ("people[4].diagnoses[1]", "code") in where
    assert ("authorizations[1]", "person") in where
    assert ("staff[1]", "role") in where and ("staff[2].trainings[1]", "hours") in where
    assert (Agency.objects.count(), Person.objects.count()) == before
    # A dry run of the same document says the same, and writes nothing either.
    with pytest.raises(ImportRefused):
        import_records(doc, actor=actor, dry_run=True)
    assert (Agency.objects.count(), Person.objects.count()) == before


@pytest.mark.django_db
def test_the_cli_exports_and_imports_as_a_job(capsys, tmp_path):
    from peerpath.cli import main
    from peerpath.jobs.models import Job

    generate(people=5, months=2, seed=4)
    agency = Agency.objects.get()
    assert main(["records", "export", "--agency", str(agency.pk)]) == 0
    exported = capsys.readouterr().out
    path = tmp_path / "records.json"
    path.write_text(exported)
    folder = tmp_path / "fhir"
    assert main(["records", "fhir", "--agency", str(agency.pk), "--out", str(folder)]) == 0
    assert "Patient.ndjson" in capsys.readouterr().out
    patients = (folder / "Patient.ndjson").read_text().splitlines()
    assert len(patients) == Person.objects.count()
    # The same document again: every person is already here, so each row is refused.
    assert main(["records", "import", str(path), "--dry-run"]) == 1
    said = capsys.readouterr().out
    assert "refused" in said and "people[1]" in said and "agency.npi" in said
    job = Job.objects.get(kind="records.import")
    assert job.status == "failed" and job.problems
    assert Agency.objects.count() == 1
    # Not JSON at all: said plainly.
    path.write_text("{not json")
    assert main(["records", "import", str(path)]) == 1
    assert "not JSON" in capsys.readouterr().out


@pytest.mark.django_db
def test_the_cli_makes_lists_and_revokes_tokens(capsys):
    from peerpath.cli import main
    from tests.access.factories import StaffUserFactory

    staff = StaffUserFactory(role="cpss")
    name = staff.user.get_username()
    assert main(["token", "create", "--user", name, "--name", "notes app",
                 "--cap", "read_person"]) == 0  # fmt: skip
    raw = capsys.readouterr().out.strip()
    assert raw.startswith("pp_")
    assert main(["token", "create", "--user", name, "--name", "x", "--cap", "use_admin"]) == 1
    assert main(["token", "list", "--user", name]) == 0
    listed = capsys.readouterr().out
    assert "active" in listed and raw not in listed
    prefix = raw.split("_")[1]
    assert main(["token", "revoke", prefix]) == 0
    assert main(["token", "list", "--user", name]) == 0
    assert "revoked" in capsys.readouterr().out
