"""Records in and out: the agency's people, coverage, diagnoses, staff (with certifications
and trainings) and authorizations as one JSON document keyed by external ids, and its import
into another PeerPath (or from another system that writes the same shape).

The document (format "peerpath-records/1"):

    {"format": "peerpath-records/1",
     "agency": {"name", "state", "npi", "tax_id", "address", "city", "postal_code", "phone"},
     "payers": [{"payer_id", "name", "state", "kind"}],
     "people": [{"external_id", "first_name", "last_name", "preferred_name", "pronouns",
                 "date_of_birth", "sex", "payer_id", "medicaid_id", "phone", "email",
                 "address", "city", "state", "postal_code",
                 "diagnoses": [{"code", "is_primary", "start", "end", "diagnosed_by"}]}],
     "staff": [{"external_id", "role", "first_name", "last_name", "credential", "npi",
                "hire_date", "end_date",
                "certifications": [{"kind", "number", "start", "end"}],
                "trainings": [{"topic", "hours", "completed_on", "provider"}]}],
     "authorizations": [{"external_id", "person", "payer_id", "number", "kind", "urgency",
                         "procedure_code", "requested_at", "units_requested", "start", "end",
                         "status", "units_approved", "decided_at", "reason"}],
     "notes": [{"external_id", "source_system", "person", "staff", "signed_by",
                "signer_name", "date", "start_time", "end_time", "modality", "setting",
                "activity", "intervention_text", "purpose", "response", "next_steps",
                "signed_credential", "signed_at"}]}

"notes" are historic notes from another system (`source_system`, their id there as
`external_id`): each becomes a signed record marked "Imported record from <system>", with
the signer's name and time as that system had them (`signed_by` is a staff external id,
the note's `staff` when left out). They are never billed from PeerPath; the audit judges
them like any note. The export carries back only such imported notes.

Import validates every row first (each record's own checks, as the service functions run
them) and names each refused row as `section[line].field`; with any refused row nothing is
written. Otherwise everything is written in one transaction, each record with its history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from peerpath.authorizations.models import Authorization
from peerpath.core import codes
from peerpath.core.services import Actor, save_record
from peerpath.jobs.progress import NO_PROGRESS, Progress
from peerpath.organizations.models import Agency, Payer
from peerpath.people.models import Diagnosis, Person
from peerpath.services.models import NoteStatus, ServiceNote
from peerpath.staff.models import Certification, StaffMember, Training

FORMAT = "peerpath-records/1"
AGENCY_FIELDS = ("name", "state", "npi", "tax_id", "address", "city", "postal_code", "phone")
PAYER_FIELDS = ("payer_id", "name", "state", "kind")
PERSON_FIELDS = (
    "first_name", "last_name", "preferred_name", "pronouns", "date_of_birth", "sex",
    "medicaid_id", "phone", "email", "address", "city", "state", "postal_code",
)  # fmt: skip
DIAGNOSIS_FIELDS = ("code", "is_primary", "start", "end", "diagnosed_by")
AUTH_FIELDS = (
    "number", "kind", "urgency", "procedure_code", "requested_at", "units_requested", "start",
    "end", "status", "units_approved", "decided_at", "reason",
)  # fmt: skip
STAFF_FIELDS = ("role", "first_name", "last_name", "credential", "npi", "hire_date", "end_date")
CERT_FIELDS = ("kind", "number", "start", "end")
TRAINING_FIELDS = ("topic", "hours", "completed_on", "provider")
NOTE_FIELDS = (
    "date", "start_time", "end_time", "modality", "setting", "activity", "intervention_text",
    "purpose", "response", "next_steps", "signed_credential", "signed_at",
)  # fmt: skip
_DATES = {"date_of_birth", "start", "end", "hire_date", "end_date", "completed_on", "date"}
_TIMES = {"requested_at", "decided_at", "signed_at"}
_CLOCK = {"start_time", "end_time"}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def export_agency(agency: Agency) -> dict[str, Any]:
    """The agency's records as the import document (people in id order)."""
    people = list(Person.objects.filter(agency=agency).select_related("payer").order_by("pk"))
    payers = {p.payer for p in people}
    auths = Authorization.objects.filter(person__agency=agency).select_related("payer")
    return {
        "format": FORMAT,
        "agency": {f: getattr(agency, f) for f in AGENCY_FIELDS},
        "payers": [
            {f: getattr(p, f) for f in PAYER_FIELDS}
            for p in sorted(payers, key=lambda p: p.payer_id)
        ],
        "people": [
            {
                "external_id": f"person-{p.pk}",
                "payer_id": p.payer.payer_id,
                **{f: _plain(getattr(p, f)) for f in PERSON_FIELDS},
                "diagnoses": [
                    {f: _plain(getattr(d, f)) for f in DIAGNOSIS_FIELDS}
                    for d in p.diagnoses.order_by("start", "code", "pk")
                ],
            }
            for p in people
        ],
        "staff": [
            {
                "external_id": f"staff-{m.pk}",
                **{f: _plain(getattr(m, f)) for f in STAFF_FIELDS},
                "certifications": [
                    {f: _plain(getattr(c, f)) for f in CERT_FIELDS}
                    for c in m.certifications.order_by("start", "kind", "pk")
                ],
                "trainings": [
                    {f: _plain(getattr(t, f)) for f in TRAINING_FIELDS}
                    for t in m.trainings.order_by("completed_on", "topic", "pk")
                ],
            }
            for m in StaffMember.objects.filter(agency=agency).order_by("pk")
        ],
        "authorizations": [
            {
                "external_id": f"authorization-{a.pk}",
                "person": f"person-{a.person_id}",
                "payer_id": a.payer.payer_id,
                **{f: _plain(getattr(a, f)) for f in AUTH_FIELDS},
            }
            for a in auths.order_by("person_id", "requested_at", "pk")
        ],
        "notes": [
            {
                "external_id": n.legacy_id,
                "source_system": n.legacy_source,
                "person": f"person-{n.person_id}",
                "staff": f"staff-{n.staff_id}",
                "signed_by": f"staff-{n.signed_by_id}",
                "signer_name": n.legacy_signer,
                **{f: _plain(getattr(n, f)) for f in NOTE_FIELDS},
            }
            for n in ServiceNote.objects.filter(person__agency=agency)
            .exclude(legacy_source="")
            .order_by("legacy_source", "legacy_id")
        ],
    }


@dataclass(frozen=True)
class RowProblem:
    where: str  # e.g. "people[3]" (1-based), or "people.csv:4" for a CSV file's row
    field: str
    message: str
    file: str = ""  # for a CSV file: its name, and the row as a spreadsheet numbers it
    line: int = 0

    def __str__(self) -> str:
        if self.file:
            return f"{self.file} line {self.line}, {self.field}: {self.message}"
        return f"{self.where}.{self.field}: {self.message}"


@dataclass
class ImportResult:
    problems: list[RowProblem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


class ImportRefused(Exception):
    def __init__(self, result: ImportResult) -> None:
        super().__init__(f"{len(result.problems)} refused row(s); nothing was imported.")
        self.result = result


def _value(name: str, raw: Any) -> Any:
    if raw is None or raw == "":
        return None if name in _DATES | _TIMES | _CLOCK | {"units_approved"} else raw
    if name in _CLOCK:
        try:
            return dt.time.fromisoformat(str(raw))
        except ValueError:
            raise ValueError("not a time of day as HH:MM") from None
    if name in _DATES:
        try:
            return dt.date.fromisoformat(str(raw))
        except ValueError:
            raise ValueError("not a date as YYYY-MM-DD") from None
    if name == "hours":
        try:
            return Decimal(str(raw))
        except ArithmeticError:
            raise ValueError("not a number of hours") from None
    if name in _TIMES:
        try:
            when = dt.datetime.fromisoformat(str(raw))
        except ValueError:
            raise ValueError("not a date and time as YYYY-MM-DDTHH:MM+00:00") from None
        if when.tzinfo is None:
            raise ValueError("needs a time zone (e.g. +00:00)")
        return when
    return raw


def _build(model: type, where: str, row: Any, names: tuple[str, ...], out: list[RowProblem],
           constraints: bool = True, **fixed: Any) -> Any:  # fmt: skip
    if not isinstance(row, dict):
        out.append(RowProblem(where, "row", "Each row is an object."))
        return None
    values: dict[str, Any] = {}
    bad = False
    failed: list[str] = []  # said once: not again as "cannot be null" below
    for name in names:
        if name not in row:
            continue
        try:
            values[name] = _value(name, row[name])
        except (TypeError, ValueError) as exc:
            out.append(RowProblem(where, name, f"Not a valid value ({exc})."))
            failed.append(name)
            bad = True
    values = {k: v for k, v in values.items() if v is not None or k in ("end", "units_approved")}
    obj = model(**values, **fixed)
    # Records not written yet (the document's own agency and payers) are checked apart.
    exclude = [k for k, v in fixed.items() if v is None or getattr(v, "pk", 0) is None]
    exclude += failed
    try:
        obj.full_clean(
            exclude=exclude or None, validate_unique=False, validate_constraints=constraints
        )
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            if name in exclude:  # about a record of the document not written yet
                continue
            out.append(RowProblem(where, "row" if name == "__all__" else name, " ".join(messages)))
            bad = True
    return None if bad else obj


def import_records(
    data: Any,
    *,
    actor: Actor,
    dry_run: bool = False,
    progress: Progress = NO_PROGRESS,
    earlier: list[RowProblem] | None = None,
    locate: Callable[[RowProblem], RowProblem] | None = None,
) -> ImportResult:
    """Check the document and, unless `dry_run` or any row is refused, write it all. Raises
    ImportRefused (carrying every refused row) when a row is refused.

    `earlier` are rows refused before the document was made (a CSV row that could not be
    read); `locate` says where a refused row came from (a CSV file and its line)."""
    result = ImportResult()
    try:
        return _import(data, result, actor=actor, dry_run=dry_run, progress=progress,
                       earlier=earlier or [])  # fmt: skip
    except ImportRefused:
        if locate is not None:
            result.problems[:] = [locate(p) for p in result.problems]
        raise


def _import(
    data: Any,
    result: ImportResult,
    *,
    actor: Actor,
    dry_run: bool,
    progress: Progress,
    earlier: list[RowProblem],
) -> ImportResult:
    problems = result.problems
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        problems.append(RowProblem("document", "format", f"Expected format {FORMAT!r}."))
        raise ImportRefused(result)
    progress.step("Checking rows")
    agency = _build(Agency, "agency", data.get("agency"), AGENCY_FIELDS, problems)
    if agency is not None and Agency.objects.filter(npi=agency.npi).exists():
        problems.append(RowProblem("agency", "npi", "An agency with this NPI already exists."))
    payers: dict[str, Payer] = {}
    for i, row in enumerate(data.get("payers") or [], start=1):
        existing = Payer.objects.filter(payer_id=str((row or {}).get("payer_id", ""))).first()
        payer = existing or _build(Payer, f"payers[{i}]", row, PAYER_FIELDS, problems)
        if payer is not None:
            payers[payer.payer_id] = payer
    people: list[tuple[Person, list[Diagnosis], str]] = []
    seen: set[str] = set()
    seen_ids: set[tuple[str, str]] = set()
    rows = data.get("people") or []
    for i, row in enumerate(progress.track(rows, "Checking people", total=len(rows)), start=1):
        where = f"people[{i}]"
        ext = str((row or {}).get("external_id", "")) if isinstance(row, dict) else ""
        if not ext or ext in seen:
            problems.append(RowProblem(where, "external_id", "Missing or used twice."))
        seen.add(ext)
        payer = payers.get(str((row or {}).get("payer_id", ""))) if isinstance(row, dict) else None
        if payer is None:
            problems.append(RowProblem(where, "payer_id", "Not one of the document's payers."))
            continue
        person = _build(Person, where, row, PERSON_FIELDS, problems, agency=None, payer=payer)
        if person is None:
            continue
        shape = codes.medicaid_id_problem(person.medicaid_id, payer.state)
        if shape:
            problems.append(RowProblem(where, "medicaid_id", f"Medicaid ID is {shape}."))
        key = (payer.payer_id, person.medicaid_id)
        if (
            key in seen_ids
            or Person.objects.filter(
                payer__payer_id=payer.payer_id, medicaid_id=person.medicaid_id
            ).exists()
        ):
            problems.append(RowProblem(where, "medicaid_id", "Already on another record."))
        seen_ids.add(key)
        diagnoses = []
        for j, d in enumerate(row.get("diagnoses") or [], start=1):
            built = _build(Diagnosis, f"{where}.diagnoses[{j}]", d, DIAGNOSIS_FIELDS, problems,
                           person=None)  # fmt: skip
            if built is not None:
                diagnoses.append(built)
        people.append((person, diagnoses, ext))
    staff: list[tuple[StaffMember, list[Any], str]] = []
    staff_seen: set[str] = set()
    for i, row in enumerate(data.get("staff") or [], start=1):
        where = f"staff[{i}]"
        ext = str(row.get("external_id", "")) if isinstance(row, dict) else ""
        if not ext or ext in staff_seen:
            problems.append(RowProblem(where, "external_id", "Missing or used twice."))
        staff_seen.add(ext)
        member = _build(StaffMember, where, row, STAFF_FIELDS, problems, agency=None)
        if member is None:
            continue
        parts: list[Any] = []
        for j, c in enumerate(row.get("certifications") or [], start=1):
            built = _build(Certification, f"{where}.certifications[{j}]", c, CERT_FIELDS,
                           problems, staff=None)  # fmt: skip
            parts.append(built)
        for j, t in enumerate(row.get("trainings") or [], start=1):
            built = _build(Training, f"{where}.trainings[{j}]", t, TRAINING_FIELDS, problems,
                           staff=None)  # fmt: skip
            parts.append(built)
        staff.append((member, [p for p in parts if p is not None], ext))
    by_ext = {ext: p for p, _, ext in people}
    auths: list[tuple[Authorization, str]] = []
    for i, row in enumerate(data.get("authorizations") or [], start=1):
        where = f"authorizations[{i}]"
        if not isinstance(row, dict):
            problems.append(RowProblem(where, "row", "Each row is an object."))
            continue
        ext = str(row.get("person", ""))
        if ext not in by_ext:
            problems.append(RowProblem(where, "person", "Not one of the document's people."))
            continue
        payer = payers.get(str(row.get("payer_id", "")))
        if payer is None:
            problems.append(RowProblem(where, "payer_id", "Not one of the document's payers."))
            continue
        auth = _build(Authorization, where, row, AUTH_FIELDS, problems, person=None, payer=payer)
        if auth is not None:
            auths.append((auth, ext))
    notes = _check_notes(data.get("notes") or [], by_ext, {e: m for m, _, e in staff}, problems)
    problems.extend(earlier)
    if problems:
        raise ImportRefused(result)
    result.counts = {
        "people": len(people),
        "diagnoses": sum(len(d) for _, d, _ in people),
        "authorizations": len(auths),
        "staff": len(staff),
        "historic notes": len(notes),
    }
    if dry_run:
        return result
    with transaction.atomic():
        progress.step("Writing records", total=len(people) + len(auths))
        assert agency is not None
        save_record(agency, actor=actor)
        for payer in payers.values():
            if payer.pk is None:
                save_record(payer, actor=actor)
        for person, diagnoses, _ in people:
            person.agency = agency
            person.payer = payers[person.payer.payer_id]
            save_record(person, actor=actor)
            for d in diagnoses:
                d.person = person
                save_record(d, actor=actor)
            progress.advance()
        for member, parts, _ in staff:
            member.agency = agency
            save_record(member, actor=actor)
            for part in parts:
                part.staff = member
                save_record(part, actor=actor)
        for auth, ext in auths:
            auth.person = by_ext[ext]
            auth.payer = payers[auth.payer.payer_id]
            save_record(auth, actor=actor)
            progress.advance()
        staff_by_ext = {ext: member for member, _, ext in staff}
        for note, refs in notes:
            note.person = by_ext[refs.person]
            note.staff = staff_by_ext[refs.staff]
            note.signed_by = staff_by_ext[refs.signed_by]
            save_record(note, actor=actor, action="import")
    return result


@dataclass(frozen=True)
class _NoteRefs:
    person: str
    staff: str
    signed_by: str


def _check_notes(
    rows: Any,
    people: dict[str, Person],
    staff: dict[str, StaffMember],
    problems: list[RowProblem],
) -> list[tuple[ServiceNote, _NoteRefs]]:
    """Historic notes from another system, each checked as a signed note marked with where
    it came from (its system and id there, its signer there)."""
    out: list[tuple[ServiceNote, _NoteRefs]] = []
    seen: set[tuple[str, str]] = set()
    for i, row in enumerate(rows, start=1):
        where = f"notes[{i}]"
        if not isinstance(row, dict):
            problems.append(RowProblem(where, "row", "Each row is an object."))
            continue
        before = len(problems)
        source = str(row.get("source_system") or "").strip()
        ext = str(row.get("external_id") or "").strip()
        if not source:
            problems.append(
                RowProblem(where, "source_system", "Name the system the note comes from.")
            )
        if not ext or (source, ext) in seen:
            problems.append(RowProblem(where, "external_id", "Missing or used twice."))
        elif ServiceNote.objects.filter(legacy_source=source, legacy_id=ext).exists():
            problems.append(
                RowProblem(where, "external_id", f"This note from {source} is here already.")
            )
        seen.add((source, ext))
        refs = _NoteRefs(
            person=str(row.get("person") or ""),
            staff=str(row.get("staff") or ""),
            signed_by=str(row.get("signed_by") or row.get("staff") or ""),
        )
        if refs.person not in people:
            problems.append(RowProblem(where, "person", "Not one of the document's people."))
        for name, ref in (("staff", refs.staff), ("signed_by", refs.signed_by)):
            if ref not in staff:
                problems.append(RowProblem(where, name, "Not one of the document's staff."))
        if not row.get("signed_at"):
            problems.append(
                RowProblem(where, "signed_at", "A historic note comes in signed: say when.")
            )
        # The constraints on marked notes are the checks just made, said more plainly.
        note = _build(
            ServiceNote, where, row, NOTE_FIELDS, problems, constraints=False,
            person=None, staff=None, signed_by=None, status=NoteStatus.SIGNED,
            kind="individual", legacy_source=source, legacy_id=ext,
            legacy_signer=str(row.get("signer_name") or ""),
        )  # fmt: skip
        if note is not None and note.signed_at is not None:
            # The same order of things a note signed here must keep.
            if timezone.localtime(note.signed_at).date() < note.date:
                problems.append(RowProblem(where, "signed_at", "Signed before the service date."))
            if note.date > timezone.localdate():
                problems.append(RowProblem(where, "date", "A historic note's date has passed."))
        if note is not None and len(problems) == before:
            out.append((note, refs))
    return out
