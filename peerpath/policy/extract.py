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

import datetime as dt
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
from django.conf import settings
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

from .memo import remembered
from .models import ParameterOverride
from .tables import SCHEMAS, empty, rows_to_table


def _minutes(field: str) -> Any:
    return ExtractHour(field) * 60 + ExtractMinute(field)


def _flag(q: Q) -> Case:
    return Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())


def _compile(
    columns: Sequence[str], qs: QuerySet[Any], exprs: Sequence[Any]
) -> tuple[str, list[Any]] | None:
    """The select of `exprs` (field names or expressions) named `columns`, or None when
    the filter can match nothing (an empty list of ids)."""
    aliases: dict[str, Any] = {}
    fields: list[str] = []
    for column, expr in zip(columns, exprs, strict=True):
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
        return None
    return sql, list(params)


def _fetch(name: str, sql: str, params: Sequence[Any], *, bulk: bool = True) -> pa.Table:
    """Rows of `sql` as table `name`. On PostgreSQL a bulk read (a whole agency) goes
    through COPY; a slice (a page's few people) is fetched plainly, which for a few rows
    takes half the time."""
    schema = SCHEMAS[name]
    if connection.vendor == "postgresql" and bulk:
        return _copy(sql, params, schema)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return _columns(rows, schema)


def _read(name: str, qs: QuerySet[Any], *exprs: Any) -> pa.Table:
    """Table `name` from `qs`: one select whose columns (field names or expressions) are in
    the schema's order, read in bulk and returned as Arrow columns."""
    compiled = _compile(SCHEMAS[name].names, qs, exprs)
    if compiled is None:
        return empty(SCHEMAS[name])
    return _fetch(name, *compiled)


@dataclass(frozen=True)
class _Ids:
    """The ids a slice is cut by: people, staff and group sessions (None: not narrowed),
    and saved notes left out; `days` are dates a query compares with (a period)."""

    people: tuple[int, ...] | None
    staff: tuple[int, ...] | None = None
    sessions: tuple[int, ...] | None = None
    replacing: tuple[int, ...] = ()
    days: tuple[dt.date, ...] = ()

    def padded(self) -> _Ids:
        """The same ids, each list padded to a power of two by repeating its last id (an
        IN list means the same), so that slices of similar size share one statement."""

        def pad(ids: tuple[int, ...] | None) -> tuple[int, ...] | None:
            if not ids:
                return ids
            size = 1 << (len(ids) - 1).bit_length()
            return ids + (ids[-1],) * (size - len(ids))

        return _Ids(
            pad(self.people),
            pad(self.staff),
            pad(self.sessions),
            pad(self.replacing) or (),
            self.days,
        )

    def shape(self) -> tuple[int | None, ...]:
        lists = (self.people, self.staff, self.sessions, self.replacing, self.days)
        return tuple(None if ids is None else len(ids) for ids in lists)

    def stand_ins(self) -> _Ids:
        """The same shape with every id replaced by a placeholder no table holds."""

        def fake(ids: tuple[int, ...] | None, base: int) -> tuple[int, ...] | None:
            return None if ids is None else tuple(-(base + k) for k in range(len(ids)))

        return _Ids(
            fake(self.people, _STAND_IN[0]),
            fake(self.staff, _STAND_IN[1]),
            fake(self.sessions, _STAND_IN[2]),
            fake(self.replacing, _STAND_IN[3]) or (),
            tuple(_DAY_STAND_IN + dt.timedelta(days=k) for k in range(len(self.days))),
        )

    def binding(self) -> dict[int, int]:
        """Placeholder -> real id, for this slice."""
        out: dict[int, int] = {}
        lists = (self.people, self.staff, self.sessions, self.replacing)
        for base, ids in zip(_STAND_IN, lists, strict=True):
            for k, value in enumerate(ids or ()):
                out[-(base + k)] = value
        return out

    def pf(self) -> Q:
        return Q(person_id__in=list(self.people)) if self.people is not None else Q()

    def sf(self) -> Q:
        return Q(staff_id__in=list(self.staff)) if self.staff is not None else Q()


# Placeholders are -(base + k): far below any primary key, one range per kind of id.
_STAND_IN = (10**12, 2 * 10**12, 3 * 10**12, 4 * 10**12)
# Dates stand in from the first days of the year 1 (no record is dated then).
_DAY_STAND_IN = dt.date(1, 1, 1)
# (statement, parameters with placeholders, where the ids go, where the dates go)
_Statement = tuple[str, list[Any], list[int], list[tuple[int, int]]]
_PREPARED: dict[tuple[Any, ...], _Statement | None] = {}


def _prepared(
    name: str, build: Callable[[_Ids], QuerySet[Any]], ids: _Ids, exprs: Sequence[Any]
) -> tuple[str, list[Any]] | None:
    """The select of `build(ids)`, compiled by the ORM once per shape of ids (how many of
    each) and reused with the ids bound as parameters: building a query costs far more
    than running it on one person's slice, and the live check reads twenty of them."""
    ids = ids.padded()
    key = (
        connection.vendor,
        settings.TIME_ZONE,
        settings.USE_TZ,
        name,
        build.__code__,
        ids.shape(),
    )
    columns = SCHEMAS[name].names if name in SCHEMAS else [name]
    if key not in _PREPARED:
        stand_ins = ids.stand_ins()
        placeholders = set(stand_ins.binding())
        # Dates reach the statement as the database driver takes them (text on SQLite).
        day_values = [connection.ops.adapt_datefield_value(d) for d in stand_ins.days]
        compiled = _compile(columns, build(stand_ins), exprs)
        if compiled is None:
            _PREPARED[key] = None
        else:
            sql, params = compiled
            # Where the placeholders went (a query uses only the kinds of ids it filters by).
            at = [i for i, v in enumerate(params) if type(v) is int and v in placeholders]
            days = [
                (i, day_values.index(v))
                for i, v in enumerate(params)
                if type(v) in (str, dt.date) and v in day_values
            ]
            _PREPARED[key] = (sql, params, at, days)
    entry = _PREPARED[key]
    if entry is None:
        return None
    sql, template, at, days = entry
    binding = ids.binding()
    params = list(template)
    for i in at:
        params[i] = binding[params[i]]
    for i, k in days:
        params[i] = connection.ops.adapt_datefield_value(ids.days[k])
    return sql, params


def _read_slice(
    name: str, build: Callable[[_Ids], QuerySet[Any]], ids: _Ids, *exprs: Any
) -> pa.Table:
    compiled = _prepared(name, build, ids, exprs)
    if compiled is None:
        return empty(SCHEMAS[name])
    return _fetch(name, *compiled, bulk=ids.people is None)


def _id_list(build: Callable[[_Ids], QuerySet[Any]], ids: _Ids, field: str) -> set[int]:
    """One column of ids (a slice's staff), read with the same prepared statements."""
    compiled = _prepared(field, build, ids, (field,))
    if compiled is None:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(*compiled)
        return {int(r[0]) for r in cursor.fetchall() if r[0] is not None}


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
        return empty(schema)
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
        if pa.types.is_date(field.type):
            # SQLite gives ISO text; PostgreSQL's driver gives dates.
            values = tuple(dt.date.fromisoformat(v) if isinstance(v, str) else v for v in values)
        try:
            column = pa.array(values, field.type, from_pandas=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
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


# The notes table as read from the database, in its schema's order (the times as minutes of
# the day): the rules' extract and the screens' reads of signed notes share it.
_NOTE_COLUMNS = (
    "pk",
    "person_id",
    "staff_id",
    "date",
    "start_min",
    "end_min",
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


def _note_exprs() -> list[object]:
    return [
        _minutes(c.removesuffix("_min") + "_time") if c.endswith("_min") else c
        for c in _NOTE_COLUMNS
    ]


def people_tables(person_ids: Sequence[int]) -> dict[str, pa.Table]:
    """Only what the assignment relation reads about these people: the people, their
    agencies' payer contracts and the contracts' cited overrides (other tables empty).
    Read once per reading request for the same people (a chart asks three times)."""
    return _people_tables(tuple(sorted({int(p) for p in person_ids})))


@remembered
def _people_tables(people: tuple[int, ...]) -> dict[str, pa.Table]:
    ids = _Ids(people=people)

    def agencies(i: _Ids) -> QuerySet[Any]:
        return Person.objects.filter(pk__in=list(i.people or ())).values("agency_id")

    tables = {name: empty(schema) for name, schema in SCHEMAS.items()}
    tables["people"] = _read_slice(
        "people",
        lambda i: Person.objects.filter(pk__in=list(i.people or ())),
        ids,
        "pk",
        "agency_id",
        "payer_id",
        "payer__state",
        "date_of_birth",
        "medicaid_id",
    )
    tables["contracts"] = _read_slice(
        "contracts",
        lambda i: PayerContract.objects.filter(agency_id__in=agencies(i)),
        ids,
        *_CONTRACT_COLUMNS,
    )
    tables["overrides"] = _read_slice(
        "overrides",
        lambda i: ParameterOverride.objects.filter(contract__agency_id__in=agencies(i)),
        ids,
        *_OVERRIDE_COLUMNS,
    )
    return tables


_CONTRACT_COLUMNS = ("pk", "agency_id", "payer_id", "number", "start", "end", "pack_override")
_OVERRIDE_COLUMNS = (
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


def _contracts(q: Q) -> pa.Table:
    return _read("contracts", PayerContract.objects.filter(q), *_CONTRACT_COLUMNS)


def _overrides(q: Q) -> pa.Table:
    return _read("overrides", ParameterOverride.objects.filter(q), *_OVERRIDE_COLUMNS)


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
    ids = _Ids(
        people=tuple(dict.fromkeys(int(p) for p in person_ids or ())) if one else None,
        replacing=tuple(dict.fromkeys(int(r) for r in replacing)),
    )

    def notes_of(i: _Ids) -> QuerySet[Any]:
        qs = ServiceNote.objects.filter(i.pf())
        return qs.exclude(pk__in=list(i.replacing)) if i.replacing else qs

    notes = _read_slice(
        "notes",
        notes_of,
        ids,
        *_note_exprs(),
    )
    if one:
        slice_staff = set(notes.column("staff_id").drop_null().to_pylist()) | set(staff_ids)
        slice_staff |= {
            int(str(n["staff_id"])) for n in extra_notes if n.get("staff_id") is not None
        }
        slice_staff |= _id_list(
            lambda i: CaseloadAssignment.objects.filter(i.pf()), ids, "staff_id"
        )
        by_staff = _Ids(people=ids.people, staff=tuple(sorted(slice_staff)))
        slice_staff |= _id_list(
            lambda i: SupervisionAssignment.objects.filter(i.sf()), by_staff, "supervisor_id"
        )
        session_ids = set(notes.column("group_session_id").drop_null().to_pylist())
        session_ids |= {
            int(str(n["group_session_id"]))
            for n in extra_notes
            if n.get("group_session_id") is not None
        }
        ids = _Ids(
            people=ids.people,
            staff=tuple(sorted(slice_staff)),
            sessions=tuple(sorted(session_ids)),
            replacing=ids.replacing,
        )

    def people_of(i: _Ids) -> QuerySet[Any]:
        return Person.objects.filter(Q(pk__in=list(i.people)) if i.people is not None else Q())

    def agencies_of(i: _Ids) -> Any:
        return people_of(i).values("agency_id")

    tables: dict[str, pa.Table] = {
        "people": _read_slice(
            "people",
            people_of,
            ids,
            "pk",
            "agency_id",
            "payer_id",
            "payer__state",
            "date_of_birth",
            "medicaid_id",
        ),
        "contracts": _read_slice(
            "contracts",
            lambda i: PayerContract.objects.filter(
                Q(agency_id__in=agencies_of(i)) if i.people is not None else Q()
            ),
            ids,
            *_CONTRACT_COLUMNS,
        ),
        "overrides": _read_slice(
            "overrides",
            lambda i: ParameterOverride.objects.filter(
                Q(contract__agency_id__in=agencies_of(i)) if i.people is not None else Q()
            ),
            ids,
            *_OVERRIDE_COLUMNS,
        ),
        "notes": notes,
        "episodes": _read_slice(
            "episodes",
            lambda i: Episode.objects.filter(i.pf()),
            ids,
            "pk",
            "person_id",
            "start",
            "end",
            "discharge__reason",
            _flag(Q(discharge__transition_plan__gt="")),
        ),
        "diagnoses": _read_slice(
            "diagnoses",
            lambda i: Diagnosis.objects.filter(i.pf()),
            ids,
            "pk",
            "person_id",
            "code",
            "category",
            "start",
            "end",
        ),
        "assessments": _read_slice(
            "assessments",
            lambda i: Assessment.objects.filter(i.pf()),
            ids,
            "pk",
            "person_id",
            "date",
            "medical_necessity",
            Cast("needs_areas", TextField()),
            "no_equally_effective_alternative",
        ),
        "service_orders": _read_slice(
            "service_orders",
            lambda i: ServiceOrder.objects.filter(i.pf()),
            ids,
            "pk",
            "person_id",
            "signed_on",
            "credential",
        ),
        "plans": _read_slice(
            "plans",
            lambda i: Plan.objects.filter(i.pf()),
            ids,
            "pk",
            "person_id",
            "version",
            "status",
            "start",
            "review_due",
            _flag(Q(crisis_plan__isnull=False)),
        ),
        "goals": _read_slice(
            "goals",
            lambda i: Goal.objects.filter(
                Q(plan__person_id__in=list(i.people)) if i.people is not None else Q()
            ),
            ids,
            "pk",
            "plan_id",
            "plan__person_id",
            "social_skill",
        ),
        "authorizations": _read_slice(
            "authorizations",
            lambda i: Authorization.objects.filter(i.pf()),
            ids,
            "pk",
            "person_id",
            "kind",
            "status",
            "start",
            "end",
            "units_approved",
            TruncDate("requested_at"),
        ),
        "other_services": _read_slice(
            "other_services",
            lambda i: OtherService.objects.filter(i.pf()),
            ids,
            "pk",
            "person_id",
            "category",
            "date",
            _minutes("start_time"),
            _minutes("end_time"),
        ),
        "enrollments": _read_slice(
            "enrollments",
            lambda i: ProgramEnrollment.objects.filter(i.pf()),
            ids,
            "pk",
            "person_id",
            "program",
            "start",
            "end",
        ),
        "supervisor_contacts": _read_slice(
            "supervisor_contacts",
            lambda i: SupervisorContact.objects.filter(i.pf()),
            ids,
            "pk",
            "person_id",
            "supervisor_id",
            "date",
            "kind",
        ),
        "evaluations": _read_slice(
            "evaluations",
            lambda i: Evaluation.objects.filter(i.pf()),
            ids,
            "pk",
            "person_id",
            "date",
        ),
        "family": _read_slice(
            "family",
            lambda i: FamilyRelationship.objects.filter(i.pf()),
            ids,
            "person_id",
            "staff_id",
        ),
        "staff": _read_slice(
            "staff",
            lambda i: StaffMember.objects.filter(
                Q(pk__in=list(i.staff)) if i.staff is not None else Q()
            ),
            ids,
            "pk",
            "agency_id",
            "agency__state",
            "role",
            "hire_date",
            "end_date",
        ),
        "certifications": _read_slice(
            "certifications",
            lambda i: Certification.objects.filter(i.sf()),
            ids,
            "pk",
            "staff_id",
            "start",
            "end",
        ),
        "trainings": _read_slice(
            "trainings",
            lambda i: Training.objects.filter(i.sf()),
            ids,
            "pk",
            "staff_id",
            "topic",
            Cast("hours", FloatField()),
            "completed_on",
        ),
        "caseloads": _read_slice(
            "caseloads",
            lambda i: CaseloadAssignment.objects.filter(i.sf()),
            ids,
            "pk",
            "staff_id",
            "person_id",
            "start",
            "end",
        ),
        "supervision": _read_slice(
            "supervision",
            lambda i: SupervisionAssignment.objects.filter(
                Q(staff_id__in=list(i.staff)) | Q(supervisor_id__in=list(i.staff))
                if i.staff is not None
                else Q()
            ),
            ids,
            "pk",
            "supervisor_id",
            "staff_id",
            "start",
            "end",
        ),
        "group_sessions": _read_slice(
            "group_sessions",
            lambda i: GroupSession.objects.filter(
                Q(pk__in=list(i.sessions)) if i.sessions is not None else Q()
            ).annotate(
                n_att=Count("attendees", distinct=True),
                n_fac=Count("facilitators", distinct=True),
            ),
            ids,
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
