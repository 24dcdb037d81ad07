"""Run the rules on the application's records: the whole agency (or a payer's people), one
person, a note while it is written, a group's notes and size; and determine eligibility
with a trace of each criterion.

Every path reads the same extract (peerpath.policy.extract) and runs the same engine
(`EVALUATOR.run`), which judges each person's day by the pack and contract variant the
assignment relation gives it. Findings come back as an Arrow table (`Findings`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc

from .engine import EVALUATOR, Citation, Finding, Findings, Scope, citation_for
from .extract import extract
from .rules.base import REGISTRY, Params, Rule

DRAFT_NOTE_ID = -1
GROUP_SIZE_RULE = "RATIO.GROUP_SIZE"


def run(
    data: Mapping[str, pa.Table],
    *,
    as_of: dt.date,
    period_start: dt.date | None = None,
    scope: Scope | None = None,
    rules: Sequence[Rule] | None = None,
    live: bool = False,
) -> Findings:
    """The rules over tables from any adapter (the database's extract, Parquet, CSV)."""
    return EVALUATOR.run(
        data, as_of=as_of, period_start=period_start, scope=scope, rules=rules, live=live
    )


def check_agency(
    *,
    as_of: dt.date,
    period_start: dt.date | None = None,
    pack_ids: Sequence[str] | None = None,
    agency_ids: Sequence[int] | None = None,
    payer_ids: Sequence[int] | None = None,
) -> Findings:
    """The batch audit: one extract of every table, every rule once per variant and period
    slice, findings kept for the scope (agencies, payers, packs) inside the SQL."""
    scope = Scope(agencies=agency_ids, payers=payer_ids, packs=pack_ids)
    return run(extract(), as_of=as_of, period_start=period_start, scope=scope)


def check_person(
    person_id: int,
    *,
    as_of: dt.date,
    period_start: dt.date | None = None,
    pack_ids: Sequence[str] | None = None,
    live: bool = True,
) -> Findings:
    """One person's whole record, each day judged by the pack in force on it (a history
    across a pack change gets the findings of both), with their staff's own findings."""
    data = extract(person_ids=[person_id])
    scope = Scope(people=[person_id], packs=pack_ids)
    return run(data, as_of=as_of, period_start=period_start, scope=scope, live=live)


@dataclass
class NoteCheck:
    """The live check of one note being written: the person's record with the note laid
    over it (`note_id` is the saved note it stands for, or DRAFT_NOTE_ID), judged as the
    batch would judge it. Later checks (what signing refuses, a peer's own view) filter
    `findings` with the helpers below."""

    note_id: int
    person_id: int
    staff_id: int | None
    date: dt.date
    findings: Findings

    def about_note(self) -> list[Finding]:
        """Findings whose subject is this note."""
        t = self.findings.table
        mask = pc.and_(
            pc.equal(t.column("subject_type"), "note"),
            pc.equal(t.column("subject_id"), self.note_id),
        )
        return self.findings.where(mask).objects()

    def relevant(self) -> list[Finding]:
        """What the writer sees: findings about the note, then the person's (and the
        writer's own) findings dated on or before the note's date; denials first, each
        problem once."""
        about_note = self.about_note()
        others = [
            f
            for f in self.findings.objects()
            if f.subject_type != "note"
            and (
                f.person_id == self.person_id
                or (f.person_id is None and f.staff_id == self.staff_id)
            )
            and (f.date is None or f.date <= self.date)
        ]
        seen: set[tuple[str, str]] = set()
        out: list[Finding] = []
        for f in sorted(about_note + others, key=lambda f: f.severity != "deny"):
            if (f.rule_id, f.evidence) not in seen:
                seen.add((f.rule_id, f.evidence))
                out.append(f)
        return out

    @property
    def denials(self) -> list[Finding]:
        return [f for f in self.relevant() if f.severity == "deny"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.relevant() if f.severity != "deny"]


def check_note(
    draft: Mapping[str, object],
    *,
    as_of: dt.date,
    replacing: int | None = None,
    hiding: Sequence[int] = (),
) -> NoteCheck:
    """The live check: the note as typed (a notes row, see tables.py) laid over the
    person's record, judged by the pack stretch in force on the note's day (findings under
    a pack the person left are the one-person check's, not this note's); `replacing` is the
    saved note it stands for (the draft takes its id and the saved row is left out);
    `hiding` are other saved notes left out (the signed note an amendment will replace)."""
    person_id = int(str(draft["person_id"]))
    note_id = replacing if replacing is not None else DRAFT_NOTE_ID
    row = dict(draft, note_id=note_id)
    left_out = [*([replacing] if replacing else ()), *hiding]
    data = extract(person_ids=[person_id], extra_notes=[row], replacing=left_out)
    day = draft.get("date")
    on = day if isinstance(day, dt.date) and day <= as_of else None
    findings = run(data, as_of=as_of, scope=Scope(people=[person_id], on=on), live=True)
    staff = draft.get("staff_id")
    return NoteCheck(
        note_id=note_id,
        person_id=person_id,
        staff_id=int(str(staff)) if staff is not None else None,
        date=day if isinstance(day, dt.date) else as_of,
        findings=findings,
    )


def check_drafts(
    drafts: Sequence[Mapping[str, object]],
    *,
    as_of: dt.date,
    replacing: Sequence[int] = (),
) -> dict[int, tuple[int, list[Finding]]]:
    """Several unsaved draft notes, each about a different person (a group's attendees),
    checked in one pass: one extract for everyone, each person judged by the variant
    assigned to them. `replacing` are saved drafts these rows stand for (left out, so a
    draft does not overlap itself). Returns, per person id, the id the draft was given
    (negative) and the findings about that person or about nobody in particular (the staff
    member's own)."""
    if not drafts:
        return {}
    rows = [dict(d, note_id=DRAFT_NOTE_ID - i) for i, d in enumerate(drafts)]
    ids = [int(str(r["person_id"])) for r in rows]
    data = extract(person_ids=ids, extra_notes=rows, replacing=replacing)
    findings = run(data, as_of=as_of, scope=Scope(people=ids), live=True).objects()
    out: dict[int, tuple[int, list[Finding]]] = {}
    for row in rows:
        pid = int(str(row["person_id"]))
        out[pid] = (
            int(str(row["note_id"])),
            [f for f in findings if f.person_id in (None, pid)],
        )
    return out


def check_group(
    *,
    session_id: int,
    day: dt.date,
    people: Sequence[int],
    attendees: int,
    facilitators: int,
    staff_id: int | None = None,
) -> list[Finding]:
    """Would a group of `attendees` people led by `facilitators` peer specialists on `day`
    be too large for the people being checked in? The group-size rule itself, run on the
    proposed numbers before anyone is checked in, each person by the pack (and contract
    variant) that judges them, so a contract's smaller group is caught for its members.
    Each distinct problem once."""
    ids = sorted(set(people))
    if not ids:
        return []
    rows = [
        {
            "note_id": DRAFT_NOTE_ID - i,
            "person_id": pid,
            "staff_id": staff_id,
            "date": day,
            "kind": "group",
            "group_session_id": session_id,
            "status": "draft",
        }
        for i, pid in enumerate(ids)
    ]
    data = extract(person_ids=ids, extra_notes=rows)
    sessions = data["group_sessions"]
    keep = pc.not_equal(sessions.column("session_id"), session_id)
    proposed = pa.table(
        {
            "session_id": [session_id],
            "date": [day],
            "attendees": [attendees],
            "facilitators": [facilitators],
        },
        schema=sessions.schema,
    )
    data["group_sessions"] = pa.concat_tables([sessions.filter(keep), proposed])
    found = run(
        data, as_of=day, scope=Scope(people=ids), rules=[REGISTRY[GROUP_SIZE_RULE]], live=True
    )
    out: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for f in found.objects():
        key = (f.evidence, f.citation.source)
        if key not in seen:
            seen.add(key)
            out.append(f)
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
    variant: str = ""
    contract: str | None = None


def determine_eligibility(person_id: int, *, on: dt.date) -> Determination | None:
    """Would a peer support contact on `on` meet the eligibility and entrance criteria of
    the pack (and contract variant) that judges the person that day? Each criterion is
    reported met, not met or missing, with its evidence and citation. None when no pack
    judges the person on that day."""
    from .api import variant_in_force

    chosen = variant_in_force(person_id, on)
    if chosen is None:
        return None
    pack = chosen.pack
    probe = {
        "person_id": person_id,
        "date": on,
        "start_min": 0,
        "end_min": 0,
        "status": "draft",
        "kind": "individual",
        "note_id": DRAFT_NOTE_ID,
    }
    data = extract(person_ids=[person_id], extra_notes=[probe])
    rules = [r for r in REGISTRY.values() if r.category in ("eligibility", "entrance")]
    findings = run(
        data, as_of=on, scope=Scope(people=[person_id]), rules=rules, live=True
    ).objects()
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_rule[f.rule_id].append(f)
    criteria: list[Criterion] = []
    for rule in sorted(rules, key=lambda r: r.id):
        if any(k not in pack.parameters for k in rule.params):
            continue
        params = Params({k: pack.entry(k, on).value for k in rule.params})
        if not rule.applies(params):
            continue
        citation = citation_for(pack, rule.cites, on)
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
    return Determination(
        person_id, pack.id, on, eligible, criteria, chosen.variant, chosen.contract
    )


def check_team(
    *,
    person_ids: Sequence[int],
    staff_ids: Sequence[int],
    as_of: dt.date,
    period_start: dt.date | None = None,
) -> Findings:
    """A team's people and staff (the supervisor's board): the slice around them, findings
    kept for exactly those people and staff inside the SQL."""
    data = extract(person_ids=list(person_ids), staff_ids=list(staff_ids))
    scope = Scope(people=list(person_ids) or [-1], staff=list(staff_ids) or [-1])
    return run(data, as_of=as_of, period_start=period_start, scope=scope)


# Above this many people the engine reads every table whole, which is faster than a long
# list of ids (and SQLite caps the number of query parameters); up to LIVE_LIMIT people the
# live engine's kept statements are faster than a fresh batch connection.
SLICE_LIMIT = 500
LIVE_LIMIT = 50


def scrub_findings(
    person_ids: Sequence[int], *, as_of: dt.date
) -> tuple[Findings, dict[str, pa.Table]]:
    """The findings about these people (the billing scrub's), and the tables they came
    from (for their reach and the notes' variants)."""
    ids = sorted(set(person_ids))
    data = extract(person_ids=ids) if len(ids) <= SLICE_LIMIT else extract()
    if not ids:
        return Findings(), data
    found = run(data, as_of=as_of, scope=Scope(people=ids), live=len(ids) <= LIVE_LIMIT)
    return found, data


# ---- business identifiers beside database ids -----------------------------------------------


def note_number(note_id: int, day: dt.date) -> str:
    """A note's number as people quote it: N-<date of service>-<id>."""
    return f"N-{day:%Y%m%d}-{note_id}"


def identify(findings: Findings) -> Findings:
    """The findings with business identifiers beside the database ids: the person's
    Medicaid ID, the note's number, and the claim it went out on (patient control number,
    and the payer's claim number once known) or the authorization's number. A fixed number
    of queries for any number of findings."""
    from peerpath.authorizations.models import Authorization
    from peerpath.billing.models import ClaimLine
    from peerpath.people.models import Person
    from peerpath.services.models import ServiceNote

    t = findings.table
    people = [p for p in set(t.column("person_id").to_pylist()) if p is not None]
    medicaid = dict(Person.objects.filter(pk__in=people).values_list("pk", "medicaid_id"))
    kinds = t.column("subject_type").to_pylist()
    subjects = t.column("subject_id").to_pylist()
    note_ids = {s for k, s in zip(kinds, subjects, strict=True) if k == "note" and s > 0}
    auth_ids = {s for k, s in zip(kinds, subjects, strict=True) if k == "authorization"}
    notes = dict(ServiceNote.objects.filter(pk__in=note_ids).values_list("pk", "date"))
    claims: dict[int, str] = {}
    for nid, control, payer_number in ClaimLine.objects.filter(
        note_id__in=note_ids, is_current=True, claim__isnull=False
    ).values_list("note_id", "claim__patient_control_number", "claim__payer_claim_number"):
        claims[nid] = f"{control} (payer {payer_number})" if payer_number else control
    auths = dict(Authorization.objects.filter(pk__in=auth_ids).values_list("pk", "number"))
    medicaid_col: list[str | None] = []
    note_col: list[str | None] = []
    claim_col: list[str | None] = []
    auth_col: list[str | None] = []
    for pid, kind, sid in zip(t.column("person_id").to_pylist(), kinds, subjects, strict=True):
        medicaid_col.append(medicaid.get(pid) if pid is not None else None)
        note_col.append(
            note_number(sid, notes[sid])
            if kind == "note" and sid in notes
            else ("(not saved yet)" if kind == "note" and sid < 0 else None)
        )
        claim_col.append(claims.get(sid) if kind == "note" else None)
        auth_col.append((auths.get(sid) or None) if kind == "authorization" else None)
    return findings.with_columns(
        {
            "medicaid_id": pa.array(medicaid_col, pa.string()),
            "note_number": pa.array(note_col, pa.string()),
            "claim_number": pa.array(claim_col, pa.string()),
            "authorization_number": pa.array(auth_col, pa.string()),
        }
    )
