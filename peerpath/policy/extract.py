"""Read the rules' tables out of the application database.

The whole agency for a batch audit, or one person's slice (plus the staff and groups their
notes touch) for a check while a note is written. A draft that is not saved yet can be laid
over the slice, so the peer sees what would fail before anything is stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pyarrow as pa
from django.db.models import Count, Q, QuerySet

from peerpath.authorizations.models import Authorization
from peerpath.organizations.models import PayerContract
from peerpath.people.models import (
    Assessment,
    Diagnosis,
    Episode,
    FamilyRelationship,
    OtherService,
    Person,
    ProgramEnrollment,
    ServiceOrder,
)
from peerpath.plans.models import Plan
from peerpath.services.models import GroupSession, ServiceNote
from peerpath.staff.models import (
    CaseloadAssignment,
    Certification,
    Evaluation,
    StaffMember,
    SupervisionAssignment,
    SupervisorContact,
    Training,
)

from .tables import SCHEMAS, rows_to_table


def minutes(t: dt.time | None) -> int | None:
    return None if t is None else t.hour * 60 + t.minute


def _table(name: str, rows: Iterable[Sequence[Any]]) -> pa.Table:
    """Rows in schema column order into an Arrow table (column-wise, no per-row dicts)."""
    schema = SCHEMAS[name]
    columns: list[list[Any]] = [[] for _ in schema.names]
    for row in rows:
        for i, value in enumerate(row):
            columns[i].append(value)
    return pa.table(dict(zip(schema.names, columns, strict=True)), schema=schema)


def _values(qs: QuerySet[Any], *fields: str) -> Iterable[tuple[Any, ...]]:
    # No ORDER BY: the rules read sets, and compiling the models' default orderings (with
    # their joins) was most of the cost of a one-person extract.
    return qs.order_by().values_list(*fields).iterator(chunk_size=20_000)


def _overrides() -> dict[tuple[int, int], str]:
    """(agency, payer) -> pack id, from contracts that override the automatic choice."""
    found: dict[tuple[int, int], str] = {}
    for agency_id, payer_id, pack in (
        PayerContract.objects.exclude(pack_override="")
        .order_by()
        .values_list("agency_id", "payer_id", "pack_override")
    ):
        found[(agency_id, payer_id)] = pack
    return found


def extract(
    *,
    person_ids: Sequence[int] | None = None,
    extra_notes: Sequence[Mapping[str, object]] = (),
    staff_ids: Sequence[int] = (),
) -> dict[str, pa.Table]:
    """The rules' tables: everything, or the slice around `person_ids`.

    `extra_notes` are rows for the notes table (unsaved drafts) added to the slice; their
    staff member's data is included too. `staff_ids` adds staff members to the slice (a
    team's staff, with or without people on their caseload).
    """
    one = person_ids is not None
    pf = Q(person_id__in=person_ids) if one else Q()
    overrides = _overrides()

    people_rows = [
        (pid, agency, state, dob, overrides.get((agency, payer)))
        for pid, agency, payer, state, dob in _values(
            Person.objects.filter(Q(pk__in=person_ids) if one else Q()),
            "pk",
            "agency_id",
            "payer_id",
            "payer__state",
            "date_of_birth",
        )
    ]
    note_fields = (
        "pk",
        "person_id",
        "staff_id",
        "date",
        "start_time",
        "end_time",
        "modality",
        "setting",
        "kind",
        "group_session_id",
        "activity",
        "goal_id",
        "intervention_id",
        "goal__plan_id",
        "status",
    )
    note_rows = [
        (*r[:4], minutes(r[4]), minutes(r[5]), *r[6:])
        for r in _values(ServiceNote.objects.filter(pf), *note_fields)
    ]
    extra = rows_to_table("notes", [dict(n) for n in extra_notes]) if extra_notes else None

    slice_staff: set[int] | None = None
    session_ids: set[int] | None = None
    if one:
        slice_staff = {r[2] for r in note_rows} | set(staff_ids)
        slice_staff |= {
            int(str(n["staff_id"])) for n in extra_notes if n.get("staff_id") is not None
        }
        slice_staff |= set(
            CaseloadAssignment.objects.filter(pf).order_by().values_list("staff_id", flat=True)
        )
        slice_staff |= set(
            SupervisionAssignment.objects.filter(staff_id__in=slice_staff)
            .order_by()
            .values_list("supervisor_id", flat=True)
        )
        session_ids = {r[9] for r in note_rows if r[9] is not None}
    sf = Q(staff_id__in=slice_staff) if slice_staff is not None else Q()

    tables: dict[str, pa.Table] = {
        "people": _table("people", people_rows),
        "notes": _table("notes", note_rows),
        "episodes": _table(
            "episodes",
            [
                (pk, person, start, end, reason, bool(plan))
                for pk, person, start, end, reason, plan in _values(
                    Episode.objects.filter(pf),
                    "pk",
                    "person_id",
                    "start",
                    "end",
                    "discharge__reason",
                    "discharge__transition_plan",
                )
            ],
        ),
        "diagnoses": _table(
            "diagnoses",
            _values(
                Diagnosis.objects.filter(pf), "pk", "person_id", "code", "category", "start", "end"
            ),
        ),
        "assessments": _table(
            "assessments",
            _values(
                Assessment.objects.filter(pf),
                "pk",
                "person_id",
                "date",
                "medical_necessity",
                "needs_areas",
                "no_equally_effective_alternative",
            ),
        ),
        "service_orders": _table(
            "service_orders",
            _values(ServiceOrder.objects.filter(pf), "pk", "person_id", "signed_on", "credential"),
        ),
        "plans": _table(
            "plans",
            [
                (pk, person, version, status, start, review_due, crisis is not None)
                for pk, person, version, status, start, review_due, crisis in _values(
                    Plan.objects.filter(pf),
                    "pk",
                    "person_id",
                    "version",
                    "status",
                    "start",
                    "review_due",
                    "crisis_plan__pk",
                )
            ],
        ),
        "authorizations": _table(
            "authorizations",
            [
                (pk, person, kind, status, start, end, units, requested.date())
                for pk, person, kind, status, start, end, units, requested in _values(
                    Authorization.objects.filter(pf),
                    "pk",
                    "person_id",
                    "kind",
                    "status",
                    "start",
                    "end",
                    "units_approved",
                    "requested_at",
                )
            ],
        ),
        "other_services": _table(
            "other_services",
            [
                (pk, person, cat, day, minutes(s), minutes(e))
                for pk, person, cat, day, s, e in _values(
                    OtherService.objects.filter(pf),
                    "pk",
                    "person_id",
                    "category",
                    "date",
                    "start_time",
                    "end_time",
                )
            ],
        ),
        "enrollments": _table(
            "enrollments",
            _values(
                ProgramEnrollment.objects.filter(pf), "pk", "person_id", "program", "start", "end"
            ),
        ),
        "supervisor_contacts": _table(
            "supervisor_contacts",
            _values(
                SupervisorContact.objects.filter(pf),
                "pk",
                "person_id",
                "supervisor_id",
                "date",
                "kind",
            ),
        ),
        "evaluations": _table(
            "evaluations", _values(Evaluation.objects.filter(pf), "pk", "person_id", "date")
        ),
        "family": _table(
            "family", _values(FamilyRelationship.objects.filter(pf), "person_id", "staff_id")
        ),
        "staff": _table(
            "staff",
            _values(
                StaffMember.objects.filter(
                    Q(pk__in=slice_staff) if slice_staff is not None else Q()
                ),
                "pk",
                "agency_id",
                "agency__state",
                "role",
                "hire_date",
                "end_date",
            ),
        ),
        "certifications": _table(
            "certifications",
            _values(Certification.objects.filter(sf), "pk", "staff_id", "start", "end"),
        ),
        "trainings": _table(
            "trainings",
            [
                (pk, staff, topic, float(hours), done)
                for pk, staff, topic, hours, done in _values(
                    Training.objects.filter(sf), "pk", "staff_id", "topic", "hours", "completed_on"
                )
            ],
        ),
        "caseloads": _table(
            "caseloads",
            _values(
                CaseloadAssignment.objects.filter(sf), "pk", "staff_id", "person_id", "start", "end"
            ),
        ),
        "supervision": _table(
            "supervision",
            _values(
                SupervisionAssignment.objects.filter(
                    Q(staff_id__in=slice_staff) | Q(supervisor_id__in=slice_staff)
                    if slice_staff is not None
                    else Q()
                ),
                "pk",
                "supervisor_id",
                "staff_id",
                "start",
                "end",
            ),
        ),
        "group_sessions": _table(
            "group_sessions",
            _values(
                GroupSession.objects.filter(
                    Q(pk__in=session_ids) if session_ids is not None else Q()
                ).annotate(
                    n_att=Count("attendees", distinct=True),
                    n_fac=Count("facilitators", distinct=True),
                ),
                "pk",
                "date",
                "n_att",
                "n_fac",
            ),
        ),
    }
    if extra is not None:
        tables["notes"] = pa.concat_tables([tables["notes"], extra])
    return tables
