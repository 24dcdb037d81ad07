"""The tables the rules read: one schema each, shared by the database extract, the rule
compiler and the YAML test cases, so that one rule definition runs anywhere.

Times of day are minutes after midnight; dates are dates; ids are integers.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

_ID = pa.int64()
_D = pa.date32()
_S = pa.string()
_I = pa.int64()
_B = pa.bool_()
_F = pa.float64()

SCHEMAS: Mapping[str, pa.Schema] = MappingProxyType(
    {
        # One row: the evaluation's "as of" date (for overdue checks) and period start.
        "context": pa.schema([("as_of", _D), ("period_start", _D)]),
        # `state` is the payer's state (it picks the pack); `medicaid_id` is shown beside
        # the id in findings.
        "people": pa.schema(
            [
                ("person_id", _ID),
                ("agency_id", _ID),
                ("payer_id", _ID),
                ("state", _S),
                ("date_of_birth", _D),
                ("medicaid_id", _S),
            ]
        ),
        # Payer contracts: one may choose the pack for its people (`pack_override`) over its
        # dates; the cited figure overrides of a contract are in `overrides`.
        "contracts": pa.schema(
            [
                ("contract_id", _ID),
                ("agency_id", _ID),
                ("payer_id", _ID),
                ("number", _S),
                ("start", _D),
                ("end", _D),
                ("pack_override", _S),
            ]
        ),
        "overrides": pa.schema(
            [
                ("contract_id", _ID),
                ("key", _S),
                ("value", _S),  # JSON
                ("start", _D),
                ("end", _D),
                ("source", _S),
                ("section", _S),
                ("confidence", _S),
                ("note", _S),
            ]
        ),
        "episodes": pa.schema(
            [
                ("episode_id", _ID),
                ("person_id", _ID),
                ("start", _D),
                ("end", _D),
                ("discharge_reason", _S),
                ("has_transition_plan", _B),
            ]
        ),
        "diagnoses": pa.schema(
            [
                ("diagnosis_id", _ID),
                ("person_id", _ID),
                ("code", _S),
                ("category", _S),
                ("start", _D),
                ("end", _D),
            ]
        ),
        "assessments": pa.schema(
            [
                ("assessment_id", _ID),
                ("person_id", _ID),
                ("date", _D),
                ("medical_necessity", _B),
                ("needs_areas", pa.list_(_S)),
                ("no_alternative", _B),
            ]
        ),
        "service_orders": pa.schema(
            [
                ("order_id", _ID),
                ("person_id", _ID),
                ("signed_on", _D),
                ("credential", _S),
            ]
        ),
        "plans": pa.schema(
            [
                ("plan_id", _ID),
                ("person_id", _ID),
                ("version", _I),
                ("status", _S),
                ("start", _D),
                ("review_due", _D),
                ("has_crisis_plan", _B),
            ]
        ),
        "notes": pa.schema(
            [
                ("note_id", _ID),
                ("person_id", _ID),
                ("staff_id", _ID),
                ("date", _D),
                ("start_min", _I),
                ("end_min", _I),
                ("modality", _S),
                ("setting", _S),
                ("kind", _S),
                ("group_session_id", _ID),
                ("activity", _S),
                ("goal_id", _ID),
                ("intervention_id", _ID),
                ("goal_plan_id", _ID),
                ("status", _S),
            ]
        ),
        # Plan goals; `social_skill` marks a goal that builds social skills or a support
        # network (the plan builder's tick box), which some packs name as an exception.
        "goals": pa.schema(
            [
                ("goal_id", _ID),
                ("plan_id", _ID),
                ("person_id", _ID),
                ("social_skill", _B),
            ]
        ),
        "group_sessions": pa.schema(
            [
                ("session_id", _ID),
                ("date", _D),
                ("attendees", _I),
                ("facilitators", _I),
            ]
        ),
        "authorizations": pa.schema(
            [
                ("auth_id", _ID),
                ("person_id", _ID),
                ("kind", _S),
                ("status", _S),
                ("start", _D),
                ("end", _D),
                ("units_approved", _I),
                ("requested_on", _D),
            ]
        ),
        "other_services": pa.schema(
            [
                ("service_id", _ID),
                ("person_id", _ID),
                ("category", _S),
                ("date", _D),
                ("start_min", _I),
                ("end_min", _I),
            ]
        ),
        "enrollments": pa.schema(
            [
                ("enrollment_id", _ID),
                ("person_id", _ID),
                ("program", _S),
                ("start", _D),
                ("end", _D),
            ]
        ),
        "staff": pa.schema(
            [
                ("staff_id", _ID),
                ("agency_id", _ID),
                ("state", _S),
                ("role", _S),
                ("hire_date", _D),
                ("end_date", _D),
            ]
        ),
        "certifications": pa.schema(
            [
                ("certification_id", _ID),
                ("staff_id", _ID),
                ("start", _D),
                ("end", _D),
            ]
        ),
        "trainings": pa.schema(
            [
                ("training_id", _ID),
                ("staff_id", _ID),
                ("topic", _S),
                ("hours", _F),
                ("completed_on", _D),
            ]
        ),
        "caseloads": pa.schema(
            [
                ("assignment_id", _ID),
                ("staff_id", _ID),
                ("person_id", _ID),
                ("start", _D),
                ("end", _D),
            ]
        ),
        "supervision": pa.schema(
            [
                ("assignment_id", _ID),
                ("supervisor_id", _ID),
                ("staff_id", _ID),
                ("start", _D),
                ("end", _D),
            ]
        ),
        "supervisor_contacts": pa.schema(
            [
                ("contact_id", _ID),
                ("person_id", _ID),
                ("supervisor_id", _ID),
                ("date", _D),
                ("kind", _S),
            ]
        ),
        "evaluations": pa.schema([("evaluation_id", _ID), ("person_id", _ID), ("date", _D)]),
        "family": pa.schema([("person_id", _ID), ("staff_id", _ID)]),
    }
)


# Tables the engine derives from the ones above before any rule runs, so that rules need
# neither arrays nor generated series: SQLite (the live check's engine) has neither, and one
# definition must run the same on every engine.
NUMBERS_UP_TO = 2000
DERIVED: Mapping[str, pa.Schema] = MappingProxyType(
    {
        # One row per needs area an assessment documents (from assessments.needs_areas).
        "assessment_needs": pa.schema([("assessment_id", _ID), ("person_id", _ID), ("area", _S)]),
        # 0, 1, ... NUMBERS_UP_TO: for counting periods (years of service and the like).
        "numbers": pa.schema([("n", _I)]),
    }
)

# Tables the engine itself computes in SQL before any rule runs (peerpath.policy.assign),
# which rules and relations may read like any other.
OPEN_END = "9999-12-30"  # the end of a span that has not ended
ENGINE: Mapping[str, pa.Schema] = MappingProxyType(
    {
        # The packs, each over its effective period (`end` OPEN_END when open).
        "packs": pa.schema([("pack_id", _S), ("jurisdiction", _S), ("start", _D), ("end", _D)]),
        # Who is judged by what: each person's days, cut into spans, with the pack and the
        # contract variant (the pack with a contract's cited overrides) that judge them.
        "assignments": pa.schema(
            [
                ("person_id", _ID),
                ("start", _D),
                ("end", _D),
                ("pack_id", _S),
                ("variant", _S),
                ("contract", _S),
            ]
        ),
        # Staff are judged by the pack of their agency's state (no contract variant).
        "staff_assignments": pa.schema(
            [("staff_id", _ID), ("start", _D), ("end", _D), ("pack_id", _S), ("variant", _S)]
        ),
        # Units of each note, by the unit rule of the variant that judges its day.
        "note_units": pa.schema(
            [("note_id", _ID), ("person_id", _ID), ("minutes", _I), ("units", _I)]
        ),
        # Who is asked about (agency, payer, person, staff ids; pack ids as `code`): empty
        # kinds do not narrow.
        "scope": pa.schema([("kind", _S), ("id", _ID), ("code", _S)]),
        # The same relations narrowed to the scope: findings are kept only for these.
        "scoped_assignments": pa.schema(
            [
                ("person_id", _ID),
                ("start", _D),
                ("end", _D),
                ("pack_id", _S),
                ("variant", _S),
                ("contract", _S),
            ]
        ),
        "scoped_staff_assignments": pa.schema(
            [("staff_id", _ID), ("start", _D), ("end", _D), ("pack_id", _S), ("variant", _S)]
        ),
        # The unit rule of each variant over each stretch of its dates.
        "unit_rules": pa.schema(
            [("variant", _S), ("lo", _D), ("hi", _D), ("per", _I), ("least", _I)]
        ),
        # The stretches of dates one statement is run for (filled for each statement).
        "slices": pa.schema(
            [("slice", _I), ("variant", _S), ("lo", _D), ("hi", _D), ("as_of", _D)]
        ),
        # The same for a statement running several rules at once (a batch over an extract):
        # `grp` is the number of the rule and set of figures whose violations a slice keeps.
        "rule_slices": pa.schema(
            [
                ("slice", _I),
                ("grp", _I),
                ("variant", _S),
                ("lo", _D),
                ("hi", _D),
                ("as_of", _D),
            ]
        ),
    }
)


def _plain(schema: pa.Schema) -> pa.Schema:
    """The columns a rule may read: scalars only (lists are given to rules as rows of a
    derived table)."""
    return pa.schema([f for f in schema if not pa.types.is_list(f.type)])


# What rules are compiled against and what each engine holds: the input tables without
# list columns, plus the derived tables.
SQL_SCHEMAS: Mapping[str, pa.Schema] = MappingProxyType(
    {**{name: _plain(schema) for name, schema in SCHEMAS.items()}, **DERIVED, **ENGINE}
)

_NUMBERS = pa.table({"n": pa.array(range(NUMBERS_UP_TO + 1), _I)})


def derive(data: Mapping[str, pa.Table]) -> dict[str, pa.Table]:
    """The tables an engine loads: the input tables (list columns dropped) and the derived
    ones."""
    out: dict[str, pa.Table] = {}
    for name, table in data.items():
        if name in SCHEMAS:
            plain = _plain(SCHEMAS[name])
            out[name] = table.select(plain.names) if table.schema != plain else table
    assessments = data.get("assessments")
    if assessments is None or assessments.num_rows == 0:
        out["assessment_needs"] = empty(DERIVED["assessment_needs"])
    else:
        areas = assessments.column("needs_areas").combine_chunks()
        parents = pc.list_parent_indices(areas)
        out["assessment_needs"] = pa.table(
            {
                "assessment_id": pc.take(assessments.column("assessment_id"), parents),
                "person_id": pc.take(assessments.column("person_id"), parents),
                "area": pc.list_flatten(areas),
            },
            schema=DERIVED["assessment_needs"],
        )
    out["numbers"] = _NUMBERS
    return out


class Tables:
    """Unbound ibis tables, one per SQL schema, that rule definitions are written against.

    `as_of_join` says whether the engine the rules are compiled for joins each row to the
    latest earlier row of another table (an as-of join: DuckDB has one; SQLite and Spark
    SQL do not). A rule may use it where it has one and an equivalent portable form
    elsewhere; tests hold the two forms to the same findings."""

    as_of_join: bool = False  # (a class default, for tables made by subclasses too)

    def __init__(self, *, as_of_join: bool = False) -> None:
        self.as_of_join = as_of_join
        self._tables = {
            name: ibis.table(ibis.schema(schema), name=name) for name, schema in SQL_SCHEMAS.items()
        }

    def __getattr__(self, name: str) -> ir.Table:
        try:
            return self._tables[name]
        except KeyError:
            raise AttributeError(f"no table {name!r}; known: {sorted(self._tables)}") from None


@lru_cache(maxsize=256)
def empty(schema: pa.Schema) -> pa.Table:
    """The empty table of `schema`, made once: Arrow takes milliseconds to make an empty
    table (far more than a table of a few rows), and a live check needs dozens."""
    return schema.empty_table()


def empty_tables() -> dict[str, pa.Table]:
    return {name: empty(schema) for name, schema in SCHEMAS.items()}


def rows_to_table(name: str, rows: list[dict[str, object]]) -> pa.Table:
    """Build a table from row dicts; missing columns are null. Unknown columns are an error
    naming the table and column (test cases and imports must not mistype a column)."""
    schema = SCHEMAS[name]
    known = set(schema.names)
    for i, row in enumerate(rows):
        unknown = set(row) - known
        if unknown:
            raise ValueError(f"table {name!r} row {i + 1}: unknown columns {sorted(unknown)}")
    columns = {col: [row.get(col) for row in rows] for col in schema.names}
    return pa.table(columns, schema=schema)
