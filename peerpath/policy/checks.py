"""Run the rules on the application's records: the whole agency, one person, or a note
being written; and determine eligibility with a trace of each criterion."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc

from .engine import EVALUATOR, Citation, Finding, citation_for
from .extract import extract
from .models import ParameterOverride
from .parameters import Override, Pack, load_packs, select_pack
from .rules.base import REGISTRY, Rule
from .tables import rows_to_table


def contract_overrides() -> dict[tuple[int, int], list[Override]]:
    """(agency id, payer id) -> the contract's cited parameter overrides."""
    found: dict[tuple[int, int], list[Override]] = defaultdict(list)
    for ov in ParameterOverride.objects.select_related("contract").order_by("key", "start"):
        found[(ov.contract.agency_id, ov.contract.payer_id)].append(
            Override(
                key=ov.key,
                value=ov.value,
                start=ov.start,
                end=ov.end,
                source_title=ov.source,
                section=ov.section,
                confidence=ov.confidence,  # type: ignore[arg-type]
                note=ov.note,
                label=f"contract {ov.contract.number}",
            )
        )
    return dict(found)


def _contract_groups(data: Mapping[str, pa.Table]) -> dict[tuple[int, int], set[int]]:
    from peerpath.people.models import Person

    ids = data["people"].column("person_id").to_pylist()
    groups: dict[tuple[int, int], set[int]] = defaultdict(set)
    for pid, agency, payer in Person.objects.filter(pk__in=ids).values_list(
        "pk", "agency_id", "payer_id"
    ):
        groups[(agency, payer)].add(pid)
    return groups


def run_packs(
    data: Mapping[str, pa.Table],
    *,
    as_of: dt.date,
    period_start: dt.date | None = None,
    pack_ids: Sequence[str] | None = None,
    rules: Sequence[Rule] | None = None,
    live: bool = False,
) -> list[Finding]:
    """Every pack (or those named) over the data; people under a contract that overrides
    parameters are judged by the pack with the contract's values."""
    packs = load_packs()
    chosen = [packs[p] for p in pack_ids] if pack_ids else list(packs.values())
    overrides = contract_overrides()
    groups = _contract_groups(data) if overrides else {}
    overridden = {pid for key, ids in groups.items() if key in overrides for pid in ids}
    everyone = set(data["people"].column("person_id").to_pylist())
    findings: list[Finding] = []
    for pack in chosen:
        findings += EVALUATOR.evaluate(
            pack,
            data,
            as_of=as_of,
            period_start=period_start,
            rules=rules,
            people=everyone - overridden if overridden else None,
            live=live,
        )
        for key, ids in groups.items():
            if key in overrides:
                findings += EVALUATOR.evaluate(
                    pack.with_overrides(overrides[key]),
                    data,
                    as_of=as_of,
                    period_start=period_start,
                    rules=rules,
                    people=ids,
                    live=live,
                )
    if overridden:
        # Staff-level findings were produced by both variants; keep one of each.
        seen: set[tuple[object, ...]] = set()
        unique = []
        for f in findings:
            key2 = (f.rule_id, f.pack_id, f.subject_type, f.subject_id, f.date, f.evidence)
            if key2 not in seen:
                seen.add(key2)
                unique.append(f)
        findings = unique
    return findings


def check_agency(
    *,
    as_of: dt.date,
    period_start: dt.date | None = None,
    pack_ids: Sequence[str] | None = None,
) -> list[Finding]:
    """The batch audit: one extract of every table, each pack's rules over all of it."""
    return run_packs(extract(), as_of=as_of, period_start=period_start, pack_ids=pack_ids)


DRAFT_NOTE_ID = -1


def check_person(
    person_id: int,
    *,
    as_of: dt.date,
    draft: Mapping[str, object] | None = None,
    period_start: dt.date | None = None,
) -> list[Finding]:
    """One person's whole record (and an unsaved draft note, id -1), as a note is written,
    judged by the pack in force on the note's date. Findings about other people are
    dropped."""
    extra = [dict(draft, note_id=DRAFT_NOTE_ID)] if draft is not None else []
    data = extract(person_ids=[person_id], extra_notes=extra)
    from peerpath.people.models import Person

    state = Person.objects.filter(pk=person_id).values_list("payer__state", flat=True).first()
    drafted = draft.get("date") if draft is not None else None
    day = drafted if isinstance(drafted, dt.date) else as_of
    try:
        pack_ids = [select_pack(load_packs(), state or "", day).id]
    except LookupError:
        return []
    findings = run_packs(data, as_of=as_of, period_start=period_start, pack_ids=pack_ids, live=True)
    return [f for f in findings if f.person_id in (None, person_id)]


GROUP_SIZE_RULE = "RATIO.GROUP_SIZE"


def check_group_size(
    *, session_id: int, state: str, day: dt.date, attendees: int, facilitators: int
) -> list[Finding]:
    """Would a group of `attendees` people led by `facilitators` peer specialists on `day`
    be too large under the pack in force in `state`? The group-size rule itself, run on
    the proposed numbers before anyone is checked in, so its finding carries the pack's
    figure and citation."""
    try:
        pack = select_pack(load_packs(), state, day)
    except LookupError:
        return []
    row = {
        "session_id": session_id,
        "date": day,
        "attendees": attendees,
        "facilitators": facilitators,
    }
    data = {"group_sessions": rows_to_table("group_sessions", [row])}
    return EVALUATOR.evaluate(pack, data, as_of=day, rules=[REGISTRY[GROUP_SIZE_RULE]], live=True)


def check_drafts(
    drafts: Sequence[Mapping[str, object]],
    *,
    as_of: dt.date,
    replacing: Sequence[int] = (),
) -> dict[int, tuple[int, list[Finding]]]:
    """Several unsaved draft notes, each about a different person (a group's attendees),
    checked in one pass: one extract for everyone, each person judged by the pack in force
    for their payer's state on the draft's date. `replacing` are saved drafts these rows
    stand for (left out, so a draft does not overlap itself). Returns, per person id, the
    id the draft was given (negative) and the findings about that person or about nobody
    in particular (the staff member's own)."""
    if not drafts:
        return {}
    rows = [dict(d, note_id=DRAFT_NOTE_ID - i) for i, d in enumerate(drafts)]
    ids = [int(str(r["person_id"])) for r in rows]
    data = extract(person_ids=ids, extra_notes=rows)
    if replacing:
        notes = data["notes"]
        keep = pc.invert(pc.is_in(notes.column("note_id"), value_set=pa.array(replacing)))
        data["notes"] = notes.filter(keep)
    from peerpath.people.models import Person

    packs = load_packs()
    pack_ids: set[str] = set()
    states = dict(Person.objects.filter(pk__in=ids).values_list("pk", "payer__state"))
    for row in rows:
        day = row.get("date")
        try:
            pack_ids.add(
                select_pack(
                    packs,
                    states.get(int(str(row["person_id"]))) or "",
                    day if isinstance(day, dt.date) else as_of,
                ).id
            )
        except LookupError:
            continue
    if not pack_ids:
        return {}
    findings = run_packs(data, as_of=as_of, pack_ids=sorted(pack_ids), live=True)
    out: dict[int, tuple[int, list[Finding]]] = {}
    for row in rows:
        pid = int(str(row["person_id"]))
        note_id = int(str(row["note_id"]))
        out[pid] = (note_id, [f for f in findings if f.person_id in (None, pid)])
    return out


# ---- eligibility with a trace -------------------------------------------------------------

CriterionStatus = Literal["met", "not met", "missing"]

# Which table must hold a record for the criterion to be judged at all.
_NEEDS_TABLE = {
    "ELIG.DIAGNOSIS_IN_SCOPE": "diagnoses",
    "ELIG.NEEDS_AREAS": "assessments",
    "ELIG.NO_BETTER_ALTERNATIVE": "assessments",
    "ENTRANCE.CCA_BEFORE_SERVICE": "assessments",
    "ENTRANCE.SERVICE_ORDER": "service_orders",
    "ENTRANCE.SERVICE_ORDER_CREDENTIAL": "service_orders",
}


@dataclass(frozen=True)
class Criterion:
    rule_id: str
    title: str
    status: CriterionStatus
    evidence: str
    citation: Citation


@dataclass(frozen=True)
class Determination:
    person_id: int
    pack_id: str
    on: dt.date
    eligible: bool
    criteria: list[Criterion] = field(default_factory=list)


def determine_eligibility(
    person_id: int, *, on: dt.date, pack: Pack | None = None
) -> Determination:
    """Would a peer support contact on `on` meet the pack's eligibility and entrance
    criteria? Each criterion is reported met, not met or missing, with its evidence."""
    from peerpath.people.models import Person

    person = Person.objects.select_related("payer").get(pk=person_id)
    pack = pack or select_pack(load_packs(), person.payer.state, on)
    probe = {
        "person_id": person_id,
        "date": on,
        "start_min": 0,
        "end_min": 0,
        "status": "draft",
        "kind": "individual",
    }
    data = extract(person_ids=[person_id], extra_notes=[dict(probe, note_id=DRAFT_NOTE_ID)])
    rules = [r for r in REGISTRY.values() if r.category in ("eligibility", "entrance")]
    findings = EVALUATOR.evaluate(pack, data, as_of=on, rules=rules, people=[person_id], live=True)
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_rule[f.rule_id].append(f)
    criteria: list[Criterion] = []
    for rule in sorted(rules, key=lambda r: r.id):
        try:
            citation = citation_for(pack, rule.cites, on)
        except LookupError:
            continue
        from .rules.base import Params

        params = Params({k: pack.entry(k, on).value for k in rule.params if k in pack.parameters})
        if len(params) != len(rule.params) or not rule.applies(params):
            continue
        table = _NEEDS_TABLE.get(rule.id)
        if table is not None and data[table].num_rows == 0:
            criteria.append(
                Criterion(
                    rule.id,
                    rule.title,
                    "missing",
                    f"no {table.replace('_', ' ')} on file",
                    citation,
                )
            )
        elif by_rule.get(rule.id):
            criteria.append(
                Criterion(
                    rule.id,
                    rule.title,
                    "not met",
                    "; ".join(f.evidence for f in by_rule[rule.id]),
                    citation,
                )
            )
        else:
            criteria.append(Criterion(rule.id, rule.title, "met", "", citation))
    eligible = all(c.status == "met" for c in criteria)
    return Determination(person_id, pack.id, on, eligible, criteria)
