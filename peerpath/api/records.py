"""Records in and out: the agency's people, coverage, diagnoses and authorizations as one
JSON document keyed by external ids, and its import into another PeerPath (or from another
system that writes the same shape).

The document (format "peerpath-records/1"):

    {"format": "peerpath-records/1",
     "agency": {"name", "state", "npi", "tax_id", "address", "city", "postal_code", "phone"},
     "payers": [{"payer_id", "name", "state", "kind"}],
     "people": [{"external_id", "first_name", "last_name", "preferred_name", "pronouns",
                 "date_of_birth", "sex", "payer_id", "medicaid_id", "phone", "email",
                 "address", "city", "state", "postal_code",
                 "diagnoses": [{"code", "is_primary", "start", "end", "diagnosed_by"}]}],
     "authorizations": [{"external_id", "person", "payer_id", "number", "kind", "urgency",
                         "procedure_code", "requested_at", "units_requested", "start", "end",
                         "status", "units_approved", "decided_at", "reason"}]}

Import validates every row first (each record's own checks, as the service functions run
them) and names each refused row as `section[line].field`; with any refused row nothing is
written. Otherwise everything is written in one transaction, each record with its history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from peerpath.authorizations.models import Authorization
from peerpath.core import codes
from peerpath.core.services import Actor, save_record
from peerpath.jobs.progress import NO_PROGRESS, Progress
from peerpath.organizations.models import Agency, Payer
from peerpath.people.models import Diagnosis, Person

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
_DATES = {"date_of_birth", "start", "end"}
_TIMES = {"requested_at", "decided_at"}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
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
        "authorizations": [
            {
                "external_id": f"authorization-{a.pk}",
                "person": f"person-{a.person_id}",
                "payer_id": a.payer.payer_id,
                **{f: _plain(getattr(a, f)) for f in AUTH_FIELDS},
            }
            for a in auths.order_by("person_id", "requested_at", "pk")
        ],
    }


@dataclass(frozen=True)
class RowProblem:
    where: str  # e.g. "people[3]" (1-based)
    field: str
    message: str

    def __str__(self) -> str:
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
        return None if name in _DATES | _TIMES | {"units_approved"} else raw
    if name in _DATES:
        return dt.date.fromisoformat(str(raw))
    if name in _TIMES:
        when = dt.datetime.fromisoformat(str(raw))
        if when.tzinfo is None:
            raise ValueError("needs a time zone (e.g. +00:00)")
        return when
    return raw


def _build(model: type, where: str, row: Any, names: tuple[str, ...], out: list[RowProblem],
           **fixed: Any) -> Any:  # fmt: skip
    if not isinstance(row, dict):
        out.append(RowProblem(where, "row", "Each row is an object."))
        return None
    values: dict[str, Any] = {}
    bad = False
    for name in names:
        if name not in row:
            continue
        try:
            values[name] = _value(name, row[name])
        except (TypeError, ValueError) as exc:
            out.append(RowProblem(where, name, f"Not a valid value ({exc})."))
            bad = True
    values = {k: v for k, v in values.items() if v is not None or k in ("end", "units_approved")}
    obj = model(**values, **fixed)
    # Records not written yet (the document's own agency and payers) are checked apart.
    exclude = [k for k, v in fixed.items() if v is None or getattr(v, "pk", 0) is None]
    try:
        obj.full_clean(exclude=exclude or None, validate_unique=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            out.append(RowProblem(where, "row" if name == "__all__" else name, " ".join(messages)))
        bad = True
    return None if bad else obj


def import_records(
    data: Any, *, actor: Actor, dry_run: bool = False, progress: Progress = NO_PROGRESS
) -> ImportResult:
    """Check the document and, unless `dry_run` or any row is refused, write it all. Raises
    ImportRefused (carrying every refused row) when a row is refused."""
    result = ImportResult()
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
    if problems:
        raise ImportRefused(result)
    result.counts = {
        "people": len(people),
        "diagnoses": sum(len(d) for _, d, _ in people),
        "authorizations": len(auths),
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
        for auth, ext in auths:
            auth.person = by_ext[ext]
            auth.payer = payers[auth.payer.payer_id]
            save_record(auth, actor=actor)
            progress.advance()
    return result
