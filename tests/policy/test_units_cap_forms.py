"""UNITS.CAP has two forms of one definition: an as-of join where the engine has one
(DuckDB, the batch and audit engine) and an ordered pass everywhere else (SQLite, the live
check; Spark). They must give the same findings, word for word, on any notes."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from peerpath.policy.engine import EVALUATOR, _params
from peerpath.policy.parameters import load_packs
from peerpath.policy.rules.base import REGISTRY
from peerpath.policy.tables import rows_to_table

PACK = load_packs()["tx-pss-2019"]
RULE = REGISTRY["UNITS.CAP"]
FIRST = dt.date(2019, 1, 1)

# Days a window's edges fall on: pairs exactly six months apart, month ends whose earlier
# month is shorter (31 August -> 28 February), and neighbours; then any day of 2019.
EDGES = [
    dt.date(2019, m, d)
    for m, d in (
        (1, 15), (1, 16), (7, 14), (7, 15), (7, 16), (2, 28), (3, 1), (8, 31),
        (8, 30), (3, 31), (9, 30), (4, 1), (10, 1), (6, 30), (12, 31), (6, 29),
    )
]  # fmt: skip
day = st.one_of(
    st.sampled_from(EDGES), st.integers(0, 364).map(lambda n: FIRST + dt.timedelta(days=n))
)
# A contact: person, day, start and length in minutes (long ones reach the cap quickly).
contact = st.tuples(
    st.integers(1, 2),
    day,
    st.integers(0, 1380),
    st.sampled_from([0, 7, 15, 120, 480, 600]),
)


def _data(contacts: list[tuple[int, dt.date, int, int]]) -> dict[str, object]:
    notes = [
        {
            "note_id": i,
            "person_id": person,
            "staff_id": 1,
            "date": day,
            "start_min": start,
            "end_min": start + length,
            "modality": "in_person",
            "setting": "community",
            "kind": "individual",
            "activity": "peer_mentoring",
            "status": "signed",
        }
        for i, (person, day, start, length) in enumerate(contacts, start=1)
    ]
    people = [
        {"person_id": p, "agency_id": 1, "state": "TX", "date_of_birth": dt.date(1980, 1, 1)}
        for p in (1, 2, 3)
    ]
    staff = [{"staff_id": 1, "agency_id": 1, "state": "TX", "role": "cpss"}]
    return {
        "notes": rows_to_table("notes", notes),
        "people": rows_to_table("people", people),
        "staff": rows_to_table("staff", staff),
    }


def _d(month: int, day_: int) -> dt.date:
    return dt.date(2019, month, day_)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(contact, min_size=1, max_size=40))
# A day exactly six months before a contact is outside its window; 31 August's window
# opens on 1 March (six months before is 28 February).
@example(
    [
        (1, _d(1, 15), 480, 480),
        (1, _d(3, 1), 480, 480),
        (1, _d(5, 1), 480, 480),
        (1, _d(7, 15), 600, 480),
    ]
)
@example(
    [
        (2, _d(2, 28), 0, 600),
        (2, _d(3, 1), 0, 600),
        (2, _d(8, 31), 0, 480),
        (2, _d(8, 31), 600, 120),
    ]
)
def test_as_of_join_and_ordered_pass_agree(contacts: list[tuple[int, dt.date, int, int]]) -> None:
    data = _data(contacts)
    found = {}
    for live in (False, True):  # DuckDB (as-of join), SQLite (ordered pass)
        findings = EVALUATOR.evaluate(
            PACK, data, as_of=dt.date(2019, 12, 31), rules=[RULE], live=live
        )
        found[live] = sorted((f.subject_id, f.date, f.evidence) for f in findings)
    assert found[False] == found[True]


def test_each_engine_gets_its_form() -> None:
    params = _params(PACK, RULE, dt.date(2019, 6, 1))
    assert params is not None
    assert "ASOF" in EVALUATOR.sql_for(RULE, params, "duckdb").upper()
    assert "ASOF" not in EVALUATOR.sql_for(RULE, params, "sqlite").upper()
