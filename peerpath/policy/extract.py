"""Read the rules' tables out of the application database, as Arrow columns.

The whole agency for a batch audit, or one person's slice (plus the staff and groups their
notes touch) for a check while a note is written. A draft that is not saved yet can be laid
over the slice, so the peer sees what would fail before anything is stored.

Each table is one query whose columns are computed by the database (minutes after midnight,
booleans, the day a request came in), read in bulk: on PostgreSQL with `COPY ... TO STDOUT`
into Arrow's CSV reader, elsewhere by fetching all rows at once and turning them into
columns (one Arrow array per column, never a Python object per value).
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    FloatField,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, ExtractHour, ExtractMinute, TruncDate

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
from peerpath.plans.models import Goal, Plan
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

from .models import ParameterOverride
from .tables import SCHEMAS, rows_to_table


def _minutes(field: str) -> Any:
    return ExtractHour(field) * 60 + ExtractMinute(field)


def _flag(q: Q) -> Case:
    return Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())


def _read(name: str, qs: QuerySet[Any], *exprs: Any) -> pa.Table:
    """Table `name` from `qs`: one select whose columns (field names or expressions) are in
    the schema's order, read in bulk and returned as Arrow columns."""
    schema = SCHEMAS[name]
    aliases: dict[str, Any] = {}
    fields: list[str] = []
    for column, expr in zip(schema.names, exprs, strict=True):
        if isinstance(expr, str):
            fields.append(expr)
        else:
            alias = f"x_{column}"
            aliases[alias] = expr
            fields.append(alias)
    qs = qs.order_by().annotate(**aliases).values_list(*fields)
    try:
        sql, params = qs.query.sql_with_params()
    except EmptyResultSet:  # filtered on an empty list of ids
        return schema.empty_table()
    if connection.vendor == "postgresql":
        return _copy(sql, params, schema)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return _columns(rows, schema)


def _plain(schema: pa.Schema) -> pa.Schema:
    return pa.schema([f for f in schema if not pa.types.is_list(f.type)])


def _copy(sql: str, params: Sequence[Any], schema: pa.Schema) -> pa.Table:
    """PostgreSQL's bulk read: COPY the query's rows out as CSV, parsed by Arrow."""
    buffer = io.BytesIO()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor
        with raw.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)", params) as copy:
            for chunk in copy:
                buffer.write(chunk)
    lists = [f.name for f in schema if pa.types.is_list(f.type)]
    types = {f.name: (pa.string() if f.name in lists else f.type) for f in schema}
    if buffer.tell() == 0:
        table = pa.table({f: pa.array([], t) for f, t in types.items()})
    else:
        buffer.seek(0)
        table = pacsv.read_csv(
            buffer,
            read_options=pacsv.ReadOptions(column_names=schema.names),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                true_values=["t", "true"],
                false_values=["f", "false"],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
    for name in lists:
        table = table.set_column(
            table.schema.get_field_index(name),
            name,
            pa.array(
                [json.loads(v) if v else [] for v in table.column(name).to_pylist()],
                schema.field(name).type,
            ),
        )
    return table.cast(schema)


def _columns(rows: Sequence[Sequence[Any]], schema: pa.Schema) -> pa.Table:
    """Fetched rows turned into typed Arrow columns (the database's text dates, 0/1
    booleans and decimals are cast by Arrow, column by column)."""
    if not rows:
        return schema.empty_table()
    arrays = []
    for field, values in zip(schema, zip(*rows, strict=True), strict=True):
        if pa.types.is_list(field.type):
            arrays.append(
                pa.array(
                    [json.loads(v) if isinstance(v, str) else (v or []) for v in values],
                    field.type,
                )
            )
            continue
        column = pa.array(values, from_pandas=False)
        if column.type != field.type:
            if pa.types.is_null(column.type):
                column = pa.nulls(len(values), field.type)
            elif pa.types.is_date(field.type) and pa.types.is_string(column.type):
                column = column.cast(field.type)
            else:
                column = column.cast(field.type)
        arrays.append(column)
    return pa.table(arrays, schema=schema)


def people_tables(person_ids: Sequence[int]) -> dict[str, pa.Table]:
    """Only what the assignment relation reads about these people: the people, their
    agencies' payer contracts and the contracts' cited overrides (other tables empty)."""
    people_qs = Person.objects.filter(pk__in=list(person_ids))
    agencies = people_qs.values("agency_id")
    tables = {name: schema.empty_table() for name, schema in SCHEMAS.items()}
    tables["people"] = _read(
        "people",
        people_qs,
        "pk",
        "agency_id",
        "payer_id",
        "payer__state",
        "date_of_birth",
        "medicaid_id",
    )
    tables["contracts"] = _contracts(Q(agency_id__in=agencies))
    tables["overrides"] = _overrides(Q(contract__agency_id__in=agencies))
    return tables


def _contracts(q: Q) -> pa.Table:
    return _read(
        "contracts",
        PayerContract.objects.filter(q),
        "pk",
        "agency_id",
        "payer_id",
        "number",
        "start",
        "end",
        "pack_override",
    )


def _overrides(q: Q) -> pa.Table:
    return _read(
        "overrides",
        ParameterOverride.objects.filter(q),
        "contract_id",
        "key",
        Cast("value", TextField()),
        "start",
        "end",
        "source",
        "section",
        "confidence",
        "note",
    )


def extract(
    *,
    person_ids: Sequence[int] | None = None,
    extra_notes: Sequence[Mapping[str, object]] = (),
    staff_ids: Sequence[int] = (),
    replacing: Sequence[int] = (),
) -> dict[str, pa.Table]:
    """The rules' tables: everything, or the slice around `person_ids`.

    `extra_notes` are rows for the notes table (unsaved drafts) added to the slice; their
    staff member's data is included too; `replacing` are saved notes those rows stand for
    (left out). `staff_ids` adds staff members to the slice (a team's staff, with or without
    people on their caseload).
    """
    one = person_ids is not None
    pf = Q(person_id__in=list(person_ids or ())) if one else Q()

    notes_qs = ServiceNote.objects.filter(pf)
    if replacing:
        notes_qs = notes_qs.exclude(pk__in=list(replacing))
    notes = _read(
        "notes",
        notes_qs,
        "pk",
        "person_id",
        "staff_id",
        "date",
        _minutes("start_time"),
        _minutes("end_time"),
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
    slice_staff: set[int] | None = None
    session_ids: set[int] | None = None
    if one:
        slice_staff = set(notes.column("staff_id").drop_null().to_pylist()) | set(staff_ids)
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
        session_ids = set(notes.column("group_session_id").drop_null().to_pylist())
        session_ids |= {
            int(str(n["group_session_id"]))
            for n in extra_notes
            if n.get("group_session_id") is not None
        }
    sf = Q(staff_id__in=list(slice_staff)) if slice_staff is not None else Q()

    people_qs = Person.objects.filter(Q(pk__in=list(person_ids or ())) if one else Q())
    people_ids = Q(agency_id__in=people_qs.values("agency_id")) if one else Q()
    tables: dict[str, pa.Table] = {
        "people": _read(
            "people",
            people_qs,
            "pk",
            "agency_id",
            "payer_id",
            "payer__state",
            "date_of_birth",
            "medicaid_id",
        ),
        "contracts": _contracts(people_ids),
        "overrides": _overrides(
            Q(contract__agency_id__in=people_qs.values("agency_id")) if one else Q()
        ),
        "notes": notes,
        "episodes": _read(
            "episodes",
            Episode.objects.filter(pf),
            "pk",
            "person_id",
            "start",
            "end",
            "discharge__reason",
            _flag(Q(discharge__transition_plan__gt="")),
        ),
        "diagnoses": _read(
            "diagnoses",
            Diagnosis.objects.filter(pf),
            "pk",
            "person_id",
            "code",
            "category",
            "start",
            "end",
        ),
        "assessments": _read(
            "assessments",
            Assessment.objects.filter(pf),
            "pk",
            "person_id",
            "date",
            "medical_necessity",
            Cast("needs_areas", TextField()),
            "no_equally_effective_alternative",
        ),
        "service_orders": _read(
            "service_orders",
            ServiceOrder.objects.filter(pf),
            "pk",
            "person_id",
            "signed_on",
            "credential",
        ),
        "plans": _read(
            "plans",
            Plan.objects.filter(pf),
            "pk",
            "person_id",
            "version",
            "status",
            "start",
            "review_due",
            _flag(Q(crisis_plan__isnull=False)),
        ),
        "goals": _read(
            "goals",
            Goal.objects.filter(Q(plan__person_id__in=list(person_ids or ())) if one else Q()),
            "pk",
            "plan_id",
            "plan__person_id",
            "social_skill",
        ),
        "authorizations": _read(
            "authorizations",
            Authorization.objects.filter(pf),
            "pk",
            "person_id",
            "kind",
            "status",
            "start",
            "end",
            "units_approved",
            TruncDate("requested_at"),
        ),
        "other_services": _read(
            "other_services",
            OtherService.objects.filter(pf),
            "pk",
            "person_id",
            "category",
            "date",
            _minutes("start_time"),
            _minutes("end_time"),
        ),
        "enrollments": _read(
            "enrollments",
            ProgramEnrollment.objects.filter(pf),
            "pk",
            "person_id",
            "program",
            "start",
            "end",
        ),
        "supervisor_contacts": _read(
            "supervisor_contacts",
            SupervisorContact.objects.filter(pf),
            "pk",
            "person_id",
            "supervisor_id",
            "date",
            "kind",
        ),
        "evaluations": _read(
            "evaluations", Evaluation.objects.filter(pf), "pk", "person_id", "date"
        ),
        "family": _read("family", FamilyRelationship.objects.filter(pf), "person_id", "staff_id"),
        "staff": _read(
            "staff",
            StaffMember.objects.filter(
                Q(pk__in=list(slice_staff)) if slice_staff is not None else Q()
            ),
            "pk",
            "agency_id",
            "agency__state",
            "role",
            "hire_date",
            "end_date",
        ),
        "certifications": _read(
            "certifications",
            Certification.objects.filter(sf),
            "pk",
            "staff_id",
            "start",
            "end",
        ),
        "trainings": _read(
            "trainings",
            Training.objects.filter(sf),
            "pk",
            "staff_id",
            "topic",
            Cast("hours", FloatField()),
            "completed_on",
        ),
        "caseloads": _read(
            "caseloads",
            CaseloadAssignment.objects.filter(sf),
            "pk",
            "staff_id",
            "person_id",
            "start",
            "end",
        ),
        "supervision": _read(
            "supervision",
            SupervisionAssignment.objects.filter(
                Q(staff_id__in=list(slice_staff)) | Q(supervisor_id__in=list(slice_staff))
                if slice_staff is not None
                else Q()
            ),
            "pk",
            "supervisor_id",
            "staff_id",
            "start",
            "end",
        ),
        "group_sessions": _read(
            "group_sessions",
            GroupSession.objects.filter(
                Q(pk__in=list(session_ids)) if session_ids is not None else Q()
            ).annotate(
                n_att=Count("attendees", distinct=True),
                n_fac=Count("facilitators", distinct=True),
            ),
            "pk",
            "date",
            Coalesce(F("n_att"), 0),
            Coalesce(F("n_fac"), 0),
        ),
    }
    if extra_notes:
        extra = rows_to_table("notes", [dict(n) for n in extra_notes])
        tables["notes"] = pa.concat_tables([tables["notes"], extra])
    return tables
