"""From a claims-tier extract to the engine's tables.

1. Adjustments are resolved: each claim family (an original and every void or replacement
   that points at it, followed through chains) keeps its last adjudicated version; a family
   whose last version is a void is dropped.
2. The final lines of peer support (a procedure code some pack bills peer support under)
   become the engine's `notes`, their billed units its `note_units`; beneficiaries become
   `people`, rendering NPIs `staff`, claim diagnoses `diagnoses`, and the optional files
   `authorizations`, `other_services` and `certifications`.

What a claim cannot say is left empty and listed as unknown (`KNOWN` holds what each table
does say), so that rules reading it are reported "not assessable with this extract" rather
than run on blanks. Claims carry no time of day: `notes.start_min` is 0 for every line (the
rules use it to order a day's contacts, which fall back on the line order), and `end_min`
is unknown.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from peerpath.core.codes import diagnosis_category
from peerpath.policy.parameters import Pack
from peerpath.policy.tables import ENGINE, SCHEMAS

from .extract import Extract, ExtractError
from .formats import VOID
from .outliers import outliers_in

# Modifiers that say how a contact was delivered: each pack's own (`modality.modifiers`),
# and the national telehealth modifiers (CMS: 95 synchronous audio-video, 93 audio only).
NATIONAL_MODALITY_MODIFIERS = {"95": "audio_video", "93": "audio_only"}


@dataclass(frozen=True)
class Codes:
    """What the packs say a peer-support claim line looks like."""

    procedure_codes: tuple[str, ...]
    group_modifiers: tuple[str, ...]
    modality_by_modifier: Mapping[str, str]
    setting_by_pos: Mapping[str, str]


def codes_from_packs(packs: Iterable[Pack]) -> Codes:
    procs: set[str] = set()
    groups: set[str] = set()
    modality: dict[str, str] = dict(NATIONAL_MODALITY_MODIFIERS)
    settings: dict[str, str] = {}
    for pack in packs:

        def values(key: str, pack: Pack = pack) -> list[object]:
            try:
                return [v.value for v in pack.param(key).values]
            except Exception:  # the pack does not define the key
                return []

        procs |= {str(v) for v in values("billing.procedure_code") if v}
        groups |= {str(v) for v in values("billing.group_modifier") if v}
        for mapping in values("modality.modifiers"):
            if isinstance(mapping, Mapping):
                for mode, mod in mapping.items():
                    modality.setdefault(str(mod), str(mode))
        for mapping in values("billing.place_of_service"):
            if isinstance(mapping, Mapping):
                for setting, pos in mapping.items():
                    settings.setdefault(str(pos), str(setting))
    return Codes(tuple(sorted(procs)), tuple(sorted(groups)), modality, settings)


# The columns each engine table gets from a claims extract (the rest are unknown).
# A beneficiary belongs to no one agency in claims (each line has its billing provider), so
# `people.agency_id` is unknown: rules reading it are not assessable on claims.
_ALWAYS: dict[str, frozenset[str]] = {
    "people": frozenset({"person_id", "payer_id", "state", "medicaid_id"}),
    "notes": frozenset(
        {"note_id", "person_id", "staff_id", "date", "start_min", "modality", "setting", "kind"}
        | {"status"}
    ),
    "staff": frozenset({"staff_id", "agency_id", "state", "role"}),
}


@dataclass
class Mapped:
    """The engine's tables from a claims extract, what they say, and the lines behind them."""

    tables: dict[str, pa.Table]
    known: dict[str, frozenset[str]]
    # note_id -> claim and money: the final peer-support lines, as Arrow (None with `keep`).
    lines: pa.Table | None
    stats: dict[str, int] = field(default_factory=dict)
    note_units: pa.Table | None = None
    # Providers against their peers (peerpath.integrity.outliers), when asked for, computed
    # in the connection that prepared the lines, and the seconds that took.
    outliers: pa.Table | None = None
    outlier_seconds: float = 0.0
    # With `keep`: the connection that prepared the tables, still open (its owner closes
    # it), holding what the dollars need of the final lines: `kept_paid` (note_id, paid),
    # `kept_claims` (claim_no, claim_id, beneficiary_id, billing_npi) and `npis`
    # (staff_id, rendering_npi).
    con: duckdb.DuckDBPyConnection | None = None


# The columns of a final line handed back as Arrow (`Mapped.lines`, for the sample).
LINE_COLUMNS = (
    "note_id, claim_id, line_number, beneficiary_id, billing_npi, rendering_npi, "
    "service_date, units, charged, paid"
)


def _families(con: duckdb.DuckDBPyConnection, columns: frozenset[str]) -> pa.Table:
    """claim_id -> family (the original at the root of its chain of adjustments) for the
    claims in a chain only: the adjustments (few), followed in Python, and the claims they
    point at. Every other claim is a family of its own. Reads the view `x_claim_headers`."""
    schema = pa.schema([("claim_id", pa.string()), ("family", pa.string())])
    if "original_claim_id" not in columns:
        return schema.empty_table()
    rows = con.execute(
        "SELECT claim_id, original_claim_id FROM x_claim_headers "
        "WHERE original_claim_id IS NOT NULL AND original_claim_id <> claim_id "
        "AND original_claim_id <> ''"
    ).fetchall()
    parent_of = {str(c): str(p) for c, p in rows}

    def find(c: str) -> str:
        for _ in range(1000):  # a cycle in bad data stops here
            if c not in parent_of:
                break
            c = parent_of[c]
        return c

    family = {c: find(c) for c in parent_of}
    for root in set(family.values()):
        family.setdefault(root, root)
    return pa.table({"claim_id": list(family), "family": list(family.values())}, schema=schema)


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def map_claims(
    extract: Extract,
    packs: Iterable[Pack],
    *,
    with_outliers: bool = False,
    config: Mapping[str, str] | None = None,
    keep: bool = False,
) -> Mapped:
    """The engine's tables from a claims extract; with `with_outliers`, the providers against
    their peers too, from the lines this connection already holds. `config` is DuckDB's
    (peerpath.integrity.duck). With `keep`, the connection is handed back open
    (`Mapped.con`) with what the dollars need of the final lines (`Mapped.lines` is then
    None): no copy of ten million lines is made for the steps after the rules."""
    codes = codes_from_packs(packs)
    con = duckdb.connect(config=dict(config or {}))
    try:
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET enable_progress_bar = false")
        extract.register(con)  # views x_<file>: Arrow tables, or the Parquet files themselves
        con.register("x_family", _families(con, extract.columns["claim_headers"]))
        # Beneficiaries are numbered (ben_no, in the order of their ids) once, from the
        # headers (a few hundred thousand against millions of lines), and every later step
        # groups and joins on that number: it becomes the engine's person_id.
        con.execute(
            """CREATE TEMP TABLE ben_nos AS
            SELECT beneficiary_id, (row_number() OVER (ORDER BY beneficiary_id))::BIGINT
                AS ben_no
            FROM (SELECT DISTINCT beneficiary_id FROM x_claim_headers)"""
        )
        # The versions in chains of adjustments, ranked within their family, the last
        # adjudicated first (few: the claims adjusted).
        con.execute(
            """CREATE TEMP TABLE chain_ranks AS
            SELECT h.claim_id, h.adjustment_indicator, row_number() OVER (
                PARTITION BY f.family ORDER BY h.adjudication_date DESC,
                (h.adjustment_indicator <> '0') DESC, h.claim_id DESC) AS rk
            FROM x_claim_headers h JOIN x_family f USING (claim_id)"""
        )
        # The last version of each family: a claim in no chain of adjustments is its own
        # last version; only the chains are ranked. Voids are dropped. Claims are
        # numbered in claim-number order (claim_no): each note is numbered claim number x
        # 10,000 + line, so the engine, which breaks ties of a day by note id, follows the
        # line order. Only the final claims' numbers are sorted (never the lines, nor the
        # headers' other columns, which are joined to the numbers in the same statement).
        con.execute(
            f"""CREATE TEMP TABLE final_headers AS
            WITH last AS (
                SELECT h.claim_id, h.adjustment_indicator
                FROM x_claim_headers h ANTI JOIN x_family f USING (claim_id)
                UNION ALL
                SELECT claim_id, adjustment_indicator FROM chain_ranks WHERE rk = 1),
            final_ids AS (
                SELECT claim_id, (row_number() OVER (ORDER BY claim_id))::BIGINT AS claim_no
                FROM last WHERE adjustment_indicator <> '{VOID}')
            SELECT h.claim_id, f.claim_no, h.beneficiary_id, b.ben_no, h.billing_npi, h.payer,
                h.state, h.service_from, h.service_to
            FROM x_claim_headers h JOIN final_ids f USING (claim_id)
            JOIN ben_nos b USING (beneficiary_id)"""
        )
        stats = {
            "claim_versions": extract.rows["claim_headers"],
            "claims_final": _count(con, "final_headers"),
            "lines_in": extract.rows["claim_lines"],
        }
        stats["voided_or_replaced"] = stats["claim_versions"] - stats["claims_final"]
        pss_codes = ", ".join(_quoted(c) for c in codes.procedure_codes) or "NULL"
        mods = [
            f"modifier_{i}"
            for i in range(1, 5)
            if f"modifier_{i}" in extract.columns["claim_lines"]
        ]
        # Each line's delivery mode, setting and kind are worked out here, once, from its
        # own columns, so that the table kept for the steps below holds no list of
        # modifiers nor any column no step reads (at ten million lines it is spilled to
        # disk past the memory limit, and read five times).
        con.execute(
            f"""CREATE TEMP TABLE pss AS
            SELECT (h.claim_no * 10000 + l.line_number)::BIGINT AS note_id,
                {"" if keep else "l.claim_id, l.line_number, l.charged, "}l.service_date,
                l.units, l.rendering_npi, l.paid, {_modality(codes, mods)} AS modality,
                {_setting(codes)} AS setting, {_kind(codes, mods)} AS kind,
                h.ben_no, {"" if keep else "h.beneficiary_id, "}h.billing_npi
            FROM x_claim_lines l JOIN final_headers h USING (claim_id)
            WHERE l.procedure_code IN ({pss_codes})"""
        )
        stats["lines_final"] = _count(con, "pss")
        if not extract.keys_checked and not _keys_hold(con, pss_codes, stats["lines_final"]):
            extract.check_keys()  # raises, naming the file, row and column
            raise ExtractError("claim_headers", "claim numbers do not match the lines")
        con.execute("DROP TABLE chain_ranks")
        if _repeats_a_line(con):
            raise extract.repeated_line()
        tables, known, units = _engine_tables(con, extract)
        lines: pa.Table | None = None
        if keep:
            # What the dollars read after the rules, kept small: each line's payment by note
            # id, and each final claim's number, beneficiary and billing provider by its
            # claim_no (a note id is claim_no x 10,000 + line number); the peers are `npis`.
            # (The final headers themselves, less the columns the dollars do not read: a
            # dropped column costs nothing, a copy of five million claims half a second.)
            for column in ("ben_no", "payer", "state", "service_from", "service_to"):
                con.execute(f"ALTER TABLE final_headers DROP COLUMN {column}")
            con.execute("ALTER TABLE final_headers RENAME TO kept_claims")
        else:
            lines = con.sql(f"SELECT {LINE_COLUMNS} FROM pss").to_arrow_table()
            con.execute("DROP TABLE final_headers")
        con.execute("DROP TABLE ben_nos")
        outlier_table = None
        started = time.perf_counter()
        if with_outliers:
            # The lines that became notes, with each note's kind, of the beneficiaries
            # `people` has (those with a payer), with their state as it says.
            outlier_table = outliers_in(
                con,
                "SELECT ben_no AS beneficiary_id, billing_npi, rendering_npi, service_date, "
                "units, kind FROM pss",
                "SELECT person_id AS beneficiary_id, state FROM bens WHERE payer IS NOT NULL",
            )
        outlier_seconds = time.perf_counter() - started
        if keep:  # the lines' payments, by note id, are what the dollars keep of them
            for column in _columns(con, "pss"):
                if column not in ("note_id", "paid"):
                    con.execute(f"ALTER TABLE pss DROP COLUMN {column}")
            con.execute("ALTER TABLE pss RENAME TO kept_paid")
        else:
            con.execute("DROP TABLE pss")
    except BaseException:
        con.close()
        raise
    if not keep:
        con.close()
    return Mapped(
        tables,
        known,
        lines,
        stats,
        units.cast(ENGINE["note_units"]),
        outlier_table,
        outlier_seconds,
        con if keep else None,
    )


def _modality(codes: Codes, mods: list[str]) -> str:
    """SQL for a line's delivery mode: the least (by name) of those its modifiers say (the
    modifier columns `mods` of `l`), else in person."""
    if not codes.modality_by_modifier or not mods:
        return "'in_person'"
    cases = " ".join(
        f"WHEN {_quoted(mod)} THEN {_quoted(mode)}"
        for mod, mode in codes.modality_by_modifier.items()
    )
    # least() passes over NULLs (modifiers that say no mode), as a minimum does.
    said = ", ".join(f"CASE l.{m} {cases} END" for m in mods)
    return f"coalesce(least({said}), 'in_person')"


def _setting(codes: Codes) -> str:
    """SQL for a line's setting: the packs' name for its place of service, else the code."""
    cases = " ".join(
        f"WHEN {_quoted(pos)} THEN {_quoted(setting)}"
        for pos, setting in codes.setting_by_pos.items()
    )
    named = f"CASE l.place_of_service {cases} END" if cases else "NULL::VARCHAR"
    return f"coalesce({named}, 'place of service ' || l.place_of_service)"


def _kind(codes: Codes, mods: list[str]) -> str:
    """SQL for a line's kind: group when a modifier is a group modifier."""
    if not codes.group_modifiers or not mods:
        return "'individual'"
    groups = ", ".join(_quoted(g) for g in codes.group_modifiers)
    said = " OR ".join(f"coalesce(l.{m} IN ({groups}), false)" for m in mods)
    return f"CASE WHEN {said} THEN 'group' ELSE 'individual' END"


# The most bits the check for repeated line numbers sets in one bit string (128 MB).
_MOST_BITS = 1 << 30


def _keys_hold(con: duckdb.DuckDBPyConnection, pss_codes: str, prepared: int) -> bool:
    """Whether the claims' keys hold where the audit relies on them (when the reader left
    them to the mapping, `read_extract(keys=False)`): no final claim's number given twice
    (its lines would be joined to each copy), and every peer-support line's claim in the
    headers. Found from what the mapping has made, at a fraction of the cost of the full
    checks (about 0.4 CPU seconds at ten million lines, against 1.9):

    - The final claims are numbered 1 to N, one number per final version; a claim number
      given twice is joined to both header rows, so the final headers then hold more rows
      than N.
    - Every peer-support line of the file is a line of a final claim (a prepared line), a
      line of a version that is not final (a replaced or voided one: few, known from the
      chains of adjustments and the voids), or a line of no claim in the headers.

    `prepared` is the number of prepared lines (`pss`)."""
    rows, top = con.execute("SELECT count(*), max(claim_no) FROM final_headers").fetchall()[0]
    if int(str(rows)) != int(str(top or 0)):
        return False
    con.execute(
        f"""CREATE TEMP TABLE not_final AS
        SELECT claim_id FROM chain_ranks WHERE rk > 1 OR adjustment_indicator = '{VOID}'
        UNION ALL
        SELECT h.claim_id FROM x_claim_headers h ANTI JOIN x_family f USING (claim_id)
        WHERE h.adjustment_indicator = '{VOID}'"""
    )
    try:
        lines, of_others = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE claim_id IN (SELECT claim_id FROM "
            f"not_final)) FROM x_claim_lines WHERE procedure_code IN ({pss_codes})"
        ).fetchall()[0]
    finally:
        con.execute("DROP TABLE not_final")
    return int(str(lines)) == prepared + int(str(of_others))


def _repeats(
    con: duckdb.DuckDBPyConnection, table: str, claim: str, item: str, width: int, claims: int
) -> bool:
    """Whether a pair (`claim`, `item`) repeats among the rows of `table`, where `claim` is
    a claim's number (1 to `claims`) and `item` a line or sequence number in it (1 to
    `width`). Each pair is a position, (claim - 1) x width + (item - 1), in a string of
    claims x width bits: fewer bits set than rows means a repeat. One pass (about 0.1 CPU
    seconds over ten million rows, against 1.5 for counting distinct pairs, which is done
    instead when the string would pass `_MOST_BITS`)."""
    if claims * width <= _MOST_BITS:
        sql = (
            f"SELECT count(*) - bit_count(bitstring_agg(({claim} - 1) * {width} + {item} - 1, "
            f"0, {max(claims * width - 1, 1)})) FROM {table}"
        )
    else:
        sql = f"SELECT count(*) - count(DISTINCT ({claim}, {item})) FROM {table}"
    return int(str(con.execute(sql).fetchall()[0][0])) > 0


def _repeats_a_line(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a line number repeats within a final claim among the lines kept (`pss`):
    two lines would get the same note id, and every join on it would count them twice."""
    row = con.execute(
        "SELECT count(*), max(note_id // 10000), max(note_id % 10000) FROM pss"
    ).fetchall()[0]
    lines, claims, width = (int(str(v)) if v is not None else 0 for v in row)
    if lines == 0:
        return False
    return _repeats(con, "pss", "note_id // 10000", "note_id % 10000", width, claims)


# Note ids stay below 10^13 (claims below a billion): days since 1900 x 10^13 + note id
# orders lines by date, then note id, in one BIGINT (to the year 2900; earlier dates count
# as 1 January 1900).
_DAY = 10**13


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [str(r[0]) for r in con.execute(f"DESCRIBE {table}").fetchall()]


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchall()
    return int(row[0][0])


def _arrow(con: duckdb.DuckDBPyConnection, name: str, sql: str) -> pa.Table:
    schema = SCHEMAS[name]
    table = con.sql(sql).to_arrow_table()
    return table.select(schema.names).cast(schema)


def _with_nulls(table: pa.Table, name: str) -> pa.Table:
    """`table` as the engine's table `name`, each column it lacks all empty: one array of
    nulls per type, shared by the columns of that type (a claims extract's notes lack six;
    at ten million lines each would otherwise take up to 80 MB)."""
    schema = SCHEMAS[name]
    shared: dict[pa.DataType, pa.Array] = {}
    columns = []
    for f in schema:
        if f.name in table.column_names:
            columns.append(table.column(f.name))
        else:
            if f.type not in shared:
                shared[f.type] = pa.nulls(table.num_rows, f.type)
            columns.append(shared[f.type])
    return pa.table(columns, names=schema.names).cast(schema)


def _diagnoses(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """The final claims' diagnoses of the people audited (the view `dx_category` gives each
    code's category), numbered in the order of claim number and sequence: by claim number x
    S + sequence (S the highest sequence) when no sequence repeats within a claim, which
    needs no sort of millions of rows; otherwise one after another in that order."""
    sql = """SELECT ({id})::BIGINT AS diagnosis_id,
            h.ben_no AS person_id, d.code, c.category, h.service_from AS start,
            h.service_to AS "end"
        FROM x_claim_diagnoses d JOIN final_headers h USING (claim_id)
        SEMI JOIN bens b ON b.person_id = h.ben_no
        JOIN dx_category c USING (code)"""
    low, high, claims = con.execute(
        "SELECT min(sequence), max(sequence), (SELECT max(claim_no) FROM final_headers) "
        "FROM x_claim_diagnoses"
    ).fetchall()[0]
    if low is not None and int(str(low)) >= 1 and claims is not None:
        width = int(str(high))
        numbered = _arrow(
            con, "diagnoses", sql.format(id=f"(h.claim_no - 1) * {width} + d.sequence")
        )
        con.register("dx_numbered", numbered)
        try:
            repeats = _repeats(
                con,
                "dx_numbered",
                f"(diagnosis_id - 1) // {width} + 1",
                f"(diagnosis_id - 1) % {width} + 1",
                width,
                int(str(claims)),
            )
        finally:
            con.unregister("dx_numbered")
        if not repeats:
            return numbered
    return _arrow(
        con, "diagnoses", sql.format(id="row_number() OVER (ORDER BY h.claim_no, d.sequence)")
    )


def _engine_tables(
    con: duckdb.DuckDBPyConnection, extract: Extract
) -> tuple[dict[str, pa.Table], dict[str, frozenset[str]], pa.Table]:
    """The engine's tables, which columns of each the extract gives, and the notes' units."""
    has = extract.has
    known: dict[str, frozenset[str]] = dict(_ALWAYS)
    # People: every beneficiary of a final line (and of eligibility, when given).
    elig = has("eligibility")
    dob = has("eligibility", "date_of_birth")
    elig_state = has("eligibility", "state")
    # A beneficiary's state and payer, and a peer's state and agency (billing provider), are
    # those of the claim of their latest line (by date, then note id): found as the largest
    # of date x 10^13 + note id (one integer to compare), and read from the final headers,
    # so the lines need not carry them.
    since_1900 = "(greatest(service_date, DATE '1900-01-01') - DATE '1900-01-01')::BIGINT"
    latest_note = f"max({since_1900} * {_DAY} + note_id) % {_DAY}"
    con.execute(
        f"""CREATE TEMP TABLE bens AS
        WITH last_line AS (SELECT ben_no, {latest_note} AS note_id FROM pss GROUP BY ben_no),
        latest AS (
            SELECT l.ben_no, h.state, h.payer
            FROM last_line l JOIN final_headers h ON h.claim_no = l.note_id // 10000),
        e AS ({
            "SELECT beneficiary_id, max(date_of_birth) AS dob, "
            + ("arg_max(state, start)" if elig_state else "NULL::VARCHAR")
            + " AS state FROM x_eligibility GROUP BY beneficiary_id"
            if elig and dob
            else "SELECT NULL::VARCHAR AS beneficiary_id, NULL::DATE AS dob, NULL::VARCHAR AS state"
        })
        SELECT l.ben_no AS person_id, b.beneficiary_id,
            upper(coalesce(e.state, l.state)) AS state, l.payer, e.dob
        FROM latest l JOIN ben_nos b USING (ben_no) LEFT JOIN e USING (beneficiary_id)"""
    )
    con.execute(
        "CREATE TEMP TABLE payers AS SELECT payer, (row_number() OVER (ORDER BY payer))::BIGINT "
        "AS payer_id FROM (SELECT DISTINCT payer FROM bens)"
    )
    if dob:
        known["people"] = known["people"] | {"date_of_birth"}
    people = _arrow(
        con,
        "people",
        """SELECT b.person_id, NULL::BIGINT AS agency_id, p.payer_id, b.state,
            b.dob AS date_of_birth, b.beneficiary_id AS medicaid_id
        FROM bens b JOIN payers p USING (payer)""",
    )
    # Staff: the rendering NPIs; their agency is the billing NPI of their latest line.
    con.execute(
        f"""CREATE TEMP TABLE npis AS
        WITH last_line AS (
            SELECT rendering_npi, {latest_note} AS note_id FROM pss GROUP BY rendering_npi)
        SELECT (row_number() OVER (ORDER BY l.rendering_npi))::BIGINT AS staff_id,
            l.rendering_npi, h.billing_npi, upper(h.state) AS state
        FROM last_line l JOIN final_headers h ON h.claim_no = l.note_id // 10000"""
    )
    con.execute(
        "CREATE TEMP TABLE agencies AS SELECT billing_npi, (row_number() OVER (ORDER BY "
        "billing_npi))::BIGINT AS agency_id FROM (SELECT DISTINCT billing_npi FROM npis)"
    )
    staff = _arrow(
        con,
        "staff",
        """SELECT n.staff_id, a.agency_id, n.state, 'cpss' AS role, NULL::DATE AS hire_date,
            NULL::DATE AS end_date FROM npis n JOIN agencies a USING (billing_npi)""",
    )
    # The notes, with the units each line bills (for `note_units`). What a claim does not
    # say (end_min, group_session_id, activity, goal_id ...) is empty: those columns are
    # added in Arrow, one array of nulls per type shared by all of them. The units each
    # note bills (`note_units`) share the notes' id columns.
    fetched = con.sql(
        """SELECT p.note_id, p.ben_no AS person_id, n.staff_id, p.service_date AS date,
            0::BIGINT AS start_min, p.modality, p.setting, p.kind, 'signed' AS status,
            (p.units * 15)::BIGINT AS minutes, p.units::BIGINT AS units
        FROM pss p JOIN npis n USING (rendering_npi)"""
    ).to_arrow_table()
    notes = _with_nulls(fetched.drop_columns(["minutes", "units"]), "notes")
    units = fetched.select(ENGINE["note_units"].names)
    del fetched
    tables: dict[str, pa.Table] = {"people": people, "staff": staff, "notes": notes}

    if has("claim_diagnoses"):
        codes_seen = con.sql("SELECT DISTINCT code FROM x_claim_diagnoses").to_arrow_table()
        values = codes_seen.column("code").to_pylist()
        con.register(
            "dx_category",
            pa.table({"code": values, "category": [diagnosis_category(c) for c in values]}),
        )
        tables["diagnoses"] = _diagnoses(con)
        known["diagnoses"] = frozenset(SCHEMAS["diagnoses"].names)
    if has("prior_authorizations"):
        cols = extract.columns["prior_authorizations"]

        def col(name: str, sql_type: str) -> str:
            return f'a."{name}"' if name in cols else f"NULL::{sql_type}"

        tables["authorizations"] = _arrow(
            con,
            "authorizations",
            f"""SELECT (row_number() OVER (ORDER BY a.auth_number))::BIGINT AS auth_id,
                b.person_id, {col("kind", "VARCHAR")} AS kind, lower(a.status) AS status,
                a.start, {col("end", "DATE")} AS "end",
                {col("units_approved", "BIGINT")} AS units_approved,
                {col("requested_on", "DATE")} AS requested_on
            FROM x_prior_authorizations a JOIN bens b USING (beneficiary_id)""",
        )
        known["authorizations"] = frozenset(
            {"auth_id", "person_id", "status", "start"}
            | {c for c in ("kind", "end", "units_approved", "requested_on") if c in cols}
        )
    if has("other_service_lines"):
        cols = extract.columns["other_service_lines"]
        times = [c for c in ("start_min", "end_min") if c in cols]
        tables["other_services"] = _arrow(
            con,
            "other_services",
            f"""SELECT (row_number() OVER (ORDER BY o.service_id))::BIGINT AS service_id,
                b.person_id, o.category, o.service_date AS date,
                {"o.start_min" if "start_min" in cols else "NULL::BIGINT"} AS start_min,
                {"o.end_min" if "end_min" in cols else "NULL::BIGINT"} AS end_min
            FROM x_other_service_lines o JOIN bens b USING (beneficiary_id)""",
        )
        known["other_services"] = frozenset({"service_id", "person_id", "category", "date", *times})
    if has("provider_credentials"):
        tables["certifications"] = _arrow(
            con,
            "certifications",
            """SELECT (row_number() OVER (ORDER BY c.npi, c.start))::BIGINT AS certification_id,
                n.staff_id, c.start, c."end"
            FROM x_provider_credentials c JOIN npis n ON n.rendering_npi = c.npi""",
        )
        known["certifications"] = frozenset(SCHEMAS["certifications"].names)
    return tables, known, units
