"""One policy truth, measured: over a small demo agency and a set of payer-contract
variants, every path that judges a record gives the same findings.

For every note: the live check (the note laid over the person's record, as the note form
sends it), the one-person check, the agency check and the billing scrub give the same
findings about it; for every person, the one-person check, the agency check and the scrub
give the same findings about them. The variants: the state's own packs, a figure override
(group size 8), another (in person only) and a whole-pack override (sc-pss-2003), each by a
contract of one payer, so the agency holds people judged both ways.

Then a supervisor's board: for every day of the period, each peer specialist's caseload
on the board equals the engine's caseload relation read once for the whole period, the days
over the limit equal the RATIO.CASELOAD findings, and the due items equal the engine's due
relation for the same team and day.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict

import pyarrow.compute as pc
import pytest

from peerpath.demo.generator import generate
from peerpath.organizations.models import PayerContract
from peerpath.people.models import Person
from peerpath.policy.api import caseloads, due_lists, variant_in_force
from peerpath.policy.checks import check_agency, check_note, check_person, scrub_findings
from peerpath.policy.extract import extract
from peerpath.policy.findings import Findings
from peerpath.policy.models import ParameterOverride
from peerpath.staff.models import Role, StaffMember
from peerpath.staff.selectors import team_board

pytestmark = pytest.mark.django_db
SEED, PEOPLE, MONTHS = 5, 10, 1

VARIANTS = {
    "state packs": None,
    "group size 8": {"key": "ratios.group_max", "value": 8},
    "in person only": {"key": "modality.allowed", "value": ["in_person"]},
    "whole pack sc-pss-2003": {"pack": "sc-pss-2003"},
}
KEY = (
    "rule_id",
    "subject_type",
    "subject_id",
    "person_id",
    "date",
    "evidence",
    "variant",
    "cite_value",
    "cite_source",
    "basis_source",
)


def rows(findings: Findings) -> list[tuple[object, ...]]:
    t = findings.table
    return sorted(
        (tuple(r[k] for k in KEY) for r in t.select(list(KEY)).to_pylist()),
        key=repr,
    )


def about_person(findings: Findings, person_id: int) -> list[tuple[object, ...]]:
    t = findings.table
    return rows(findings.where(pc.equal(t.column("person_id"), person_id)))


def about_note(findings: Findings, note_id: int) -> list[tuple[object, ...]]:
    t = findings.table
    mask = pc.and_(
        pc.equal(t.column("subject_type"), "note"), pc.equal(t.column("subject_id"), note_id)
    )
    return rows(findings.where(mask))


def contract_for(variant: dict[str, object] | None, person: Person, start: dt.date) -> None:
    if variant is None:
        return
    contract = PayerContract.objects.create(
        agency=person.agency,
        payer=person.payer,
        number="PARITY-1",
        start=start,
        pack_override=str(variant.get("pack", "")),
    )
    if "key" in variant:
        ParameterOverride.objects.create(
            contract=contract,
            key=variant["key"],
            value=variant["value"],
            start=start,
            source="Parity contract amendment 1",
            section="Exhibit A",
            confidence="official",
        )


def drop_contracts() -> None:
    ParameterOverride.objects.all().delete()
    PayerContract.objects.filter(number="PARITY-1").delete()


@pytest.fixture
def demo():
    return generate(seed=SEED, people=PEOPLE, months=MONTHS)


def test_every_path_gives_the_same_findings_under_every_contract_variant(demo):
    as_of = demo.end
    people = list(Person.objects.order_by("pk"))
    assert len(people) >= 5
    # The contract is with the payer of most of the demo's people.
    by_payer: dict[int, list[Person]] = defaultdict(list)
    for p in people:
        by_payer[p.payer_id].append(p)
    first = max(by_payer.values(), key=len)[0]
    seen_variants: dict[str, set[str]] = {}
    for name, variant in VARIANTS.items():
        drop_contracts()
        contract_for(variant, first, demo.start - dt.timedelta(days=400))
        judged = variant_in_force(first.pk, as_of)
        assert judged is not None
        if variant is None:
            assert judged.contract is None and "@" not in judged.variant
        elif "pack" in variant:
            assert judged.pack.id == variant["pack"] and judged.contract == "PARITY-1"
        else:  # a figure override: the variant holds the contract's figure
            assert "@" in judged.variant
            assert judged.pack.value(str(variant["key"]), as_of) in (8, ("in_person",))
        agency = check_agency(as_of=as_of)
        scrub, _ = scrub_findings([p.pk for p in people], as_of=as_of)
        seen_variants[name] = set(agency.table.column("variant").to_pylist())
        checked_notes = 0
        for person in people:
            one = check_person(person.pk, as_of=as_of)
            expected = about_person(agency, person.pk)
            assert about_person(one, person.pk) == expected, (name, "person check", person.pk)
            assert about_person(scrub, person.pk) == expected, (name, "scrub", person.pk)
            notes = extract(person_ids=[person.pk])["notes"].to_pylist()
            for note in notes:
                if note["status"] not in ("signed", "draft"):
                    continue
                live = check_note(note, as_of=as_of, replacing=note["note_id"]).findings
                want = about_note(agency, note["note_id"])
                assert about_note(live, note["note_id"]) == want, (name, "live", note["note_id"])
                assert about_note(one, note["note_id"]) == want
                checked_notes += 1
        assert checked_notes > 20, name
    # The whole-pack override judged the findings of that payer's people by its pack.
    assert "sc-pss-2003" in seen_variants["whole pack sc-pss-2003"]


def _limit_on(load, day: dt.date) -> int | None:
    return next((lim for f, la, lim in load.limits if f <= day <= la), None)


def test_the_board_shows_the_engines_caseloads_and_due_items_on_every_day(demo):
    lo, hi = demo.start, demo.end
    days = [lo + dt.timedelta(days=i) for i in range((hi - lo).days + 1)]
    # One supervisor's board (the first); every day of the period.
    supervisors = list(StaffMember.objects.filter(role=Role.SUPERVISOR).order_by("pk")[:1])
    assert supervisors
    peers = list(StaffMember.objects.filter(role=Role.CPSS).values_list("pk", flat=True))
    whole = caseloads(peers, lo, hi)
    findings = check_agency(as_of=hi, period_start=lo).rules("RATIO.CASELOAD").objects()
    found_runs: dict[int, set[dt.date]] = defaultdict(set)
    for f in findings:
        assert f.staff_id is not None and f.date is not None
        found_runs[f.staff_id].add(f.date)
    # Days over the limit, from the relation, start the same runs the rule reports.
    for peer, load in whole.items():
        over = [d for d in days if (lim := _limit_on(load, d)) is not None and load.on(d) > lim]
        starts = {d for d in over if d - dt.timedelta(days=1) not in over}
        assert starts == found_runs.get(peer, set()), peer
    shown = 0
    for day in days:
        for supervisor in supervisors:
            board = team_board(supervisor, on=day)
            for member in board.members:
                assert member.load.today == whole[member.staff.pk].on(day), (day, member.staff)
                shown += 1
            engine_due = due_lists(
                peers=board.team.peers,
                staff=[*list(board.team.members), supervisor],
                people=board.people,
                on=day,
            )
            assert [_due(d) for d in board.due] == [_due(d) for d in engine_due], day
    assert shown >= len(days)


def _due(due_list) -> tuple[object, ...]:
    return (
        due_list.kind,
        tuple(
            (i.what, i.due, i.note_id, json.dumps(i.citation.short() if i.citation else None))
            for i in due_list.items
        ),
    )
