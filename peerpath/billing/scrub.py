"""The scrub: what each signed note would be billed as, and every reason it may not be yet.

One pass for any number of notes: a fixed set of table queries (the notes, the people's
diagnoses, authorizations, consents, the contracts' rates) and one run of the policy engine
over the same records (`peerpath.policy.checks.run_packs`). Nothing here writes; the billing
services turn the result into claim lines and holds.

Two kinds of reasons hold a line:

- **The policy engine's deny findings.** Most are about a note (no plan goal, credential
  lapsed, outside the authorization ...). Some are about another record, and hold the notes
  that record affects (`REACH`): a group session too large holds the notes of that session;
  units over an authorization hold the person's notes in it from the first day over; a plan
  without a crisis plan holds the notes written under that plan; a service order or an
  assessment signed too late holds the notes before it; a person under the minimum age holds
  the notes before the birthday; any other finding about a person holds their notes from
  the finding's date.
- **What a claim itself needs** (`BILLING.*`): a rate in the payer contract, a rendering
  NPI with a valid check digit, a place-of-service code for the setting, at least one unit,
  a diagnosis open on the date, and consent before a substance-use diagnosis goes to a payer
  (42 CFR Part 2).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from peerpath.authorizations.models import Authorization
from peerpath.consent.models import Consent, Purpose
from peerpath.core import codes
from peerpath.organizations.models import ContractRate, PayerContract
from peerpath.people.models import Diagnosis
from peerpath.policy.checks import contract_overrides, run_packs
from peerpath.policy.engine import Citation, Finding, citation_for
from peerpath.policy.extract import extract
from peerpath.policy.parameters import Pack, load_packs, select_pack
from peerpath.policy.units import pack_units
from peerpath.services.models import NoteStatus, ServiceNote, minutes_between

from .models import MAX_POINTERS_PER_LINE, ClaimLine, LineStatus

# Above this many people the engine reads every table whole, which is faster than a long
# list of ids (and SQLite caps the number of query parameters).
SLICE_LIMIT = 500
LIVE_LIMIT = 50
APPROVED = ("approved", "partial")
BILLED = (LineStatus.SUBMITTED, LineStatus.PAID, LineStatus.PARTLY_PAID, LineStatus.DENIED)

# The same few codes and NPIs recur on thousands of lines: check each once.
_icd10_problem = functools.lru_cache(maxsize=8192)(codes.icd10_problem)
_npi_is_valid = functools.lru_cache(maxsize=65536)(codes.npi_is_valid)
_normalize = functools.lru_cache(maxsize=8192)(codes.normalize_icd10)
_category = functools.lru_cache(maxsize=8192)(codes.diagnosis_category)

# Citations of the claim's own requirements (not policy figures: the format and the law).
X12_837P = "ASC X12 005010X222A1 (837 Professional)"
PART2 = "42 CFR Part 2, sections 2.31 and 2.33 (2024 rule): written consent before disclosure"
NPI_RULE = "45 CFR 162.406 and the NPI standard: 10 digits, Luhn check digit over 80840"


@dataclass(frozen=True)
class Reason:
    """Why a line is held, in the words the billing screen shows."""

    rule_id: str
    title: str
    citation: str
    evidence: str
    fix: str
    pack_id: str = ""


@dataclass
class Draft:
    """What a note would be billed as, and what holds it."""

    note_id: int
    person_id: int
    payer_id: int
    agency_id: int
    service_date: dt.date
    procedure_code: str = ""
    modifiers: list[str] = field(default_factory=list)
    units: int = 0
    charge: Decimal = Decimal("0.00")
    place_of_service: str = ""
    rendering_npi: str = ""
    authorization_number: str = ""
    diagnosis_codes: list[str] = field(default_factory=list)
    part2_codes: list[str] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    void: bool = False  # the note was replaced by an amendment before it was billed

    @property
    def held(self) -> bool:
        return bool(self.reasons)


def _cite(c: Citation) -> str:
    return f"{c.source}, {c.section} ({c.confidence}; parameter {c.parameter})"


def reason_from_finding(f: Finding) -> Reason:
    return Reason(
        rule_id=f.rule_id,
        title=f.title,
        citation=_cite(f.citation),
        evidence=f.evidence,
        fix=f.fix,
        pack_id=f.pack_id,
    )


# ---------------------------------------------------------------- reading


@dataclass
class _Note:
    id: int
    person_id: int
    staff_id: int
    date: dt.date
    minutes: int
    modality: str
    setting: str
    kind: str
    group_session_id: int | None
    status: str
    amends_id: int | None
    agency_id: int
    payer_id: int
    state: str
    npi: str


_NOTE_FIELDS = (
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
    "status",
    "amends_id",
    "person__agency_id",
    "person__payer_id",
    "person__payer__state",
    "staff__npi",
)


def _read_notes(notes: QuerySet[ServiceNote]) -> list[_Note]:
    out = []
    for r in notes.values_list(*_NOTE_FIELDS).order_by("pk").iterator(chunk_size=20_000):
        (pk, person, staff, day, start, end, modality, setting, kind, session) = r[:10]
        status, amends, agency, payer, state, npi = r[10:]
        out.append(
            _Note(
                pk,
                person,
                staff,
                day,
                minutes_between(start, end),
                modality,
                setting,
                kind,
                session,
                status,
                amends,
                agency,
                payer,
                state or "",
                npi or "",
            )
        )
    return out


class _Packs:
    """The pack (with the contract's overrides) that judges a note, cached by day."""

    def __init__(self) -> None:
        self.packs = load_packs()
        self.overrides = contract_overrides()
        self.pack_override = {
            (a, p): pack
            for a, p, pack in PayerContract.objects.exclude(pack_override="").values_list(
                "agency_id", "payer_id", "pack_override"
            )
        }
        self._cache: dict[tuple[int, int, str, dt.date], Pack | None] = {}

    def for_note(self, n: _Note) -> Pack | None:
        key = (n.agency_id, n.payer_id, n.state, n.date)
        if key not in self._cache:
            self._cache[key] = self._find(*key)
        return self._cache[key]

    def _find(self, agency: int, payer: int, state: str, day: dt.date) -> Pack | None:
        override = self.pack_override.get((agency, payer))
        if override and override in self.packs and self.packs[override].covers(day):
            pack: Pack | None = self.packs[override]
        else:
            try:
                pack = select_pack(self.packs, state, day)
            except LookupError:
                pack = None
        if pack is not None and (agency, payer) in self.overrides:
            pack = pack.with_overrides(self.overrides[(agency, payer)])
        return pack


def _active(start: dt.date, end: dt.date | None, day: dt.date) -> bool:
    return start <= day and (end is None or day <= end)


def _modifier_set(text: str) -> frozenset[str]:
    return frozenset(m for m in text.replace(",", " ").upper().split() if m)


@dataclass(frozen=True)
class _Rate:
    contract: str
    code: str
    modifiers: frozenset[str]
    start: dt.date
    end: dt.date | None
    rate: Decimal
    source: str


def _rates() -> dict[tuple[int, int], list[_Rate]]:
    found: dict[tuple[int, int], list[_Rate]] = defaultdict(list)
    rows = ContractRate.objects.values_list(
        "contract__agency_id",
        "contract__payer_id",
        "contract__number",
        "contract__start",
        "contract__end",
        "procedure_code",
        "modifiers",
        "start",
        "end",
        "rate_per_unit",
        "source",
    )
    for agency, payer, number, c_start, c_end, code, mods, start, end, rate, source in rows:
        # A rate counts only while its contract does.
        lo = max(start, c_start)
        hi = min(d for d in (end, c_end) if d is not None) if (end or c_end) else None
        found[(agency, payer)].append(
            _Rate(number, code, _modifier_set(mods), lo, hi, rate, source)
        )
    return found


def rate_for(
    rates: Sequence[_Rate], code: str, modifiers: Sequence[str], day: dt.date
) -> _Rate | None:
    """The contract rate for the code on the day: the one whose modifiers match the line's
    exactly, else the one with the most of the line's modifiers and no others (telehealth
    modifiers usually do not change the rate)."""
    wanted = frozenset(modifiers)
    live = [r for r in rates if r.code == code and _active(r.start, r.end, day)]
    exact = [r for r in live if r.modifiers == wanted]
    if exact:
        return max(exact, key=lambda r: r.start)
    subset = [r for r in live if r.modifiers <= wanted]
    if not subset:
        return None
    return max(subset, key=lambda r: (len(r.modifiers), r.start))


# ---------------------------------------------------------------- the engine's findings


_Reach = Callable[[Finding, "_Index"], Iterable[int]]


@dataclass
class _Index:
    """The notes being scrubbed, indexed the ways findings point at them, and the records
    some findings need to know how far they reach."""

    notes: list[_Note]
    data: Mapping[str, Any]
    by_person: dict[int, list[_Note]] = field(default_factory=lambda: defaultdict(list))
    by_staff: dict[int, list[_Note]] = field(default_factory=lambda: defaultdict(list))
    by_session: dict[int, list[_Note]] = field(default_factory=lambda: defaultdict(list))
    ids: set[int] = field(default_factory=set)
    _rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for n in self.notes:
            self.by_person[n.person_id].append(n)
            self.by_staff[n.staff_id].append(n)
            if n.group_session_id is not None:
                self.by_session[n.group_session_id].append(n)
            self.ids.add(n.id)

    def rows(self, table: str) -> list[dict[str, Any]]:
        if table not in self._rows:
            t = self.data.get(table)
            self._rows[table] = t.to_pylist() if t is not None else []
        return self._rows[table]

    def person_rows(self, table: str, person_id: int) -> list[dict[str, Any]]:
        key = f"{table}@person"
        if key not in self._rows:
            grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
            for row in self.rows(table):
                grouped[row["person_id"]].append(row)
            self._rows[key] = grouped  # type: ignore[assignment]
        grouped_rows: Any = self._rows[key]
        return list(grouped_rows.get(person_id, []))


def _from_date(f: Finding, ix: _Index) -> list[int]:
    if f.person_id is not None:
        pool = ix.by_person.get(f.person_id, [])
    elif f.staff_id is not None:
        pool = ix.by_staff.get(f.staff_id, [])
    else:
        return []
    return [n.id for n in pool if f.date is None or n.date >= f.date]


def _before(f: Finding, ix: _Index, cutoff: dt.date | None) -> list[int]:
    """The person's notes before `cutoff` (all of them when there is none), and the ones on
    the finding's own date, which the finding is about in any case."""
    pool = ix.by_person.get(f.person_id or -1, [])
    return [n.id for n in pool if cutoff is None or n.date < cutoff or n.date == f.date]


def _reach_authorization(f: Finding, ix: _Index) -> list[int]:
    rows = ix.person_rows("authorizations", f.person_id or -1)
    auth = next((a for a in rows if a["auth_id"] == f.subject_id), None)
    if auth is None:
        return _from_date(f, ix)
    return [
        n.id
        for n in ix.by_person.get(f.person_id or -1, [])
        if _active(auth["start"], auth["end"], n.date) and (f.date is None or n.date >= f.date)
    ]


def _reach_plan(f: Finding, ix: _Index) -> list[int]:
    plans = ix.person_rows("plans", f.person_id or -1)
    this = next((p for p in plans if p["plan_id"] == f.subject_id), None)
    later = [
        p["start"]
        for p in plans
        if this is not None
        and p["status"] != "draft"
        and p["version"] > this["version"]
        and p["start"] is not None
    ]
    until = min(later) if later else None
    return [
        n.id
        for n in ix.by_person.get(f.person_id or -1, [])
        if (f.date is None or n.date >= f.date) and (until is None or n.date < until)
    ]


def _reach_min_age(f: Finding, ix: _Index) -> list[int]:
    person = next((p for p in ix.rows("people") if p["person_id"] == f.person_id), None)
    age = f.citation.value
    if person is None or not isinstance(age, int) or person["date_of_birth"] is None:
        return _from_date(f, ix)
    born: dt.date = person["date_of_birth"]
    try:
        birthday = born.replace(year=born.year + age)
    except ValueError:  # 29 February: the birthday falls on 1 March in other years
        birthday = dt.date(born.year + age, 3, 1)
    return _before(f, ix, birthday)


def _reach_cca(f: Finding, ix: _Index) -> list[int]:
    dates = [
        a["date"]
        for a in ix.person_rows("assessments", f.person_id or -1)
        if a["medical_necessity"] and a["date"] is not None
    ]
    return _before(f, ix, min(dates) if dates else None)


def _reach_service_order(f: Finding, ix: _Index) -> list[int]:
    dates = [
        o["signed_on"]
        for o in ix.person_rows("service_orders", f.person_id or -1)
        if o["signed_on"] is not None
    ]
    return _before(f, ix, min(dates) if dates else None)


def _reach_session(f: Finding, ix: _Index) -> list[int]:
    return [n.id for n in ix.by_session.get(f.subject_id, [])]


# Findings whose subject is not a note, and the notes they hold: named, one per rule or
# subject kind, so the reach of each is easy to read and to test.
REACH_BY_RULE: dict[str, _Reach] = {
    "ELIG.MIN_AGE": _reach_min_age,
    "ENTRANCE.CCA_BEFORE_SERVICE": _reach_cca,
    "ENTRANCE.SERVICE_ORDER": _reach_service_order,
}
REACH_BY_SUBJECT: dict[str, _Reach] = {
    "note": lambda f, ix: [f.subject_id],
    "group_session": _reach_session,
    "authorization": _reach_authorization,
    "plan": _reach_plan,
}


def held_notes(findings: Iterable[Finding], ix: _Index) -> dict[int, list[Finding]]:
    """Note id -> the deny findings that hold it (only notes being scrubbed)."""
    out: dict[int, list[Finding]] = defaultdict(list)
    for f in findings:
        if f.severity != "deny":
            continue
        reach = REACH_BY_RULE.get(f.rule_id) or REACH_BY_SUBJECT.get(f.subject_type, _from_date)
        for note_id in reach(f, ix):
            if note_id in ix.ids and f not in out[note_id]:
                out[note_id].append(f)
    return out


def engine_findings(notes: Sequence[_Note], as_of: dt.date) -> tuple[list[Finding], _Index]:
    people = sorted({n.person_id for n in notes})
    data = extract(person_ids=people) if len(people) <= SLICE_LIMIT else extract()
    # A few people (a release, a small agency): the engine's prepared statements are faster.
    live = len(people) <= LIVE_LIMIT
    findings = run_packs(data, as_of=as_of, live=live) if people else []
    return findings, _Index(list(notes), data)


# ---------------------------------------------------------------- the scrub


def scrub_notes(notes: QuerySet[ServiceNote], *, today: dt.date | None = None) -> dict[int, Draft]:
    """Note id -> its draft line and the reasons that hold it, for every note of `notes`."""
    rows = _read_notes(notes)
    if not rows:
        return {}
    today = today or timezone.localdate()
    as_of = max(today, max(n.date for n in rows))
    findings, ix = engine_findings(rows, as_of)
    by_note = held_notes(findings, ix)

    person_ids = notes.values("person_id")
    diagnoses: dict[int, list[tuple[bool, dt.date, int, str, str, dt.date | None]]] = defaultdict(
        list
    )
    for pid, pk, code, category, primary, start, end in Diagnosis.objects.filter(
        person_id__in=person_ids
    ).values_list("person_id", "pk", "code", "category", "is_primary", "start", "end"):
        diagnoses[pid].append((not primary, start, pk, code, category, end))
    for items in diagnoses.values():
        items.sort()
    auths: dict[int, list[tuple[dt.date, dt.date, str, int]]] = defaultdict(list)
    for pid, start, end, number, payer in (
        Authorization.objects.filter(person_id__in=person_ids, status__in=APPROVED)
        .order_by("start", "pk")
        .values_list("person_id", "start", "end", "number", "payer_id")
    ):
        auths[pid].append((start, end, number, payer))
    consents: dict[int, list[Consent]] = defaultdict(list)
    for consent in Consent.objects.filter(person_id__in=person_ids, recipient_payer__isnull=False):
        if consent.covers(Purpose.PAYMENT):
            consents[consent.person_id].append(consent)
    billed_originals = set(
        ClaimLine.objects.filter(
            is_current=True, status__in=BILLED, note__amendment__in=notes
        ).values_list("note_id", flat=True)
    )
    rates = _rates()
    packs = _Packs()
    rate_cache: dict[tuple[object, ...], _Rate | None] = {}

    drafts: dict[int, Draft] = {}
    for n in rows:
        d = Draft(n.id, n.person_id, n.payer_id, n.agency_id, n.date)
        drafts[n.id] = d
        if n.status != NoteStatus.SIGNED:
            d.void = True
            continue
        for f in by_note.get(n.id, []):
            d.reasons.append(reason_from_finding(f))
        if n.amends_id is not None and n.amends_id in billed_originals:
            d.reasons.append(
                Reason(
                    "BILLING.AMENDS_BILLED_NOTE",
                    "Amends a note already billed",
                    f"{X12_837P}, loop 2300 CLM05-3 (frequency 7: replacement of a prior claim)",
                    f"note {n.id} amends note {n.amends_id}, which is on a claim already sent",
                    "Send a replacement claim (frequency 7) for the claim that carries the "
                    "original note; the replacement bills this amendment instead.",
                )
            )
        pack = packs.for_note(n)
        if pack is None:
            d.reasons.append(
                Reason(
                    "BILLING.NO_POLICY",
                    "No policy in force",
                    "PeerPath policy packs (peerpath/policy/packs)",
                    f"no policy pack covers {n.state or 'this state'} on {n.date}",
                    "Ask an administrator to add or extend the state's policy pack.",
                )
            )
            continue
        _build(
            d,
            n,
            pack,
            rates.get((n.agency_id, n.payer_id), []),
            auths,
            diagnoses,
            consents,
            rate_cache,
        )
    return drafts


def _param_reason(
    pack: Pack, key: str, day: dt.date, rule_id: str, title: str, evidence: str, fix: str
) -> Reason:
    try:
        citation = _cite(citation_for(pack, key, day))
    except LookupError:
        citation = f"policy pack {pack.id}: parameter {key} (no value on {day})"
    return Reason(rule_id, title, citation, evidence, fix, pack.id)


def _value(pack: Pack, key: str, day: dt.date) -> object:
    try:
        return pack.value(key, day)
    except LookupError:
        return None


def _build(
    d: Draft,
    n: _Note,
    pack: Pack,
    rates: Sequence[_Rate],
    auths: Mapping[int, list[tuple[dt.date, dt.date, str, int]]],
    diagnoses: Mapping[int, list[tuple[bool, dt.date, int, str, str, dt.date | None]]],
    consents: Mapping[int, list[Consent]],
    rate_cache: dict[tuple[object, ...], _Rate | None],
) -> None:
    day = n.date
    # Code and modifiers, from the pack: the group modifier first, then the modality's.
    code = _value(pack, "billing.procedure_code", day)
    if not isinstance(code, str) or not code:
        d.reasons.append(
            _param_reason(
                pack,
                "billing.procedure_code",
                day,
                "BILLING.PROCEDURE_CODE",
                "No procedure code in the policy",
                f"the {pack.id} pack names no procedure code on {day}",
                "Ask an administrator to set the pack's procedure code.",
            )
        )
        code = ""
    d.procedure_code = code
    modifiers: list[str] = []
    if n.kind == "group":
        group = _value(pack, "billing.group_modifier", day)
        if isinstance(group, str) and group:
            modifiers.append(group)
    by_modality = _value(pack, "modality.modifiers", day)
    if isinstance(by_modality, Mapping):
        extra = by_modality.get(n.modality)
        if isinstance(extra, str) and extra:
            modifiers.append(extra)
    d.modifiers = modifiers

    d.units = max(0, pack_units(n.minutes, pack, day))
    if d.units < 1:
        d.reasons.append(
            _param_reason(
                pack,
                "units.min_minutes_first_unit",
                day,
                "BILLING.NO_UNITS",
                "Too short for one unit",
                f"{n.minutes} minutes make no billable unit",
                "Check the start and end times on the note. A contact shorter than the "
                "minimum for one unit is kept as a record but not billed.",
            )
        )

    pos_map = _value(pack, "billing.place_of_service", day)
    pos = pos_map.get(n.setting) if isinstance(pos_map, Mapping) else None
    if isinstance(pos, str) and pos:
        d.place_of_service = pos
    else:
        d.reasons.append(
            _param_reason(
                pack,
                "billing.place_of_service",
                day,
                "BILLING.PLACE_OF_SERVICE",
                "No place-of-service code for the setting",
                f"setting {n.setting} has no place-of-service code in the {pack.id} pack",
                "Ask an administrator to map this setting to a place-of-service code in the "
                "pack, or correct the setting on the note by an amendment.",
            )
        )

    d.rendering_npi = n.npi
    if not _npi_is_valid(n.npi):
        d.reasons.append(
            Reason(
                "BILLING.RENDERING_NPI",
                "Rendering provider NPI missing or invalid",
                f"{X12_837P}, loop 2310B NM109; {NPI_RULE}",
                "the peer specialist who gave the service has no NPI on file"
                if not n.npi
                else "the peer specialist's NPI fails its check digit",
                "Enter the peer specialist's 10-digit NPI on their staff record (look it up in "
                "NPPES), then release the line.",
            )
        )

    covering = [
        a for a in auths.get(n.person_id, []) if a[3] == n.payer_id and _active(a[0], a[1], day)
    ]
    if covering:
        d.authorization_number = covering[0][2]

    key = (n.agency_id, n.payer_id, code, tuple(modifiers), day)
    if key not in rate_cache:
        rate_cache[key] = rate_for(rates, code, modifiers, day)
    rate = rate_cache[key]
    if rate is None:
        shown = " ".join([code, *modifiers]).strip()
        d.reasons.append(
            Reason(
                "BILLING.CONTRACT_RATE",
                "No contract rate for the service",
                "the agency's contract with the payer (organizations: payer contract rates)",
                f"no rate for {shown} on {day} in the contract with this payer",
                "Add the payer's rate for this code and modifiers, with its source and start "
                "date, to the contract; then release the line.",
            )
        )
    else:
        d.charge = (rate.rate * d.units).quantize(Decimal("0.01"))

    open_dx = [x for x in diagnoses.get(n.person_id, []) if _active(x[1], x[5], day)]
    valid: list[tuple[str, str]] = []
    for _, _, _, dx_code, category, _ in open_dx:
        problem = _icd10_problem(dx_code)
        if problem:
            d.reasons.append(
                Reason(
                    "BILLING.DIAGNOSIS_CODE",
                    "Diagnosis code not valid for a claim",
                    f"{X12_837P}, loop 2300 HI; ICD-10-CM code set",
                    problem,
                    "Correct the diagnosis on the person's record with a billable ICD-10-CM code.",
                )
            )
            continue
        valid.append((_normalize(dx_code), category))
    if not valid:
        d.reasons.append(
            Reason(
                "BILLING.DIAGNOSIS",
                "No diagnosis open on the date of service",
                f"{X12_837P}, loop 2300 HI (a claim needs at least one diagnosis)",
                f"no diagnosis on the person's record is open on {day}",
                "Record the person's diagnosis, with its start date, from the clinician's "
                "assessment; then release the line.",
            )
        )
    sud = [c for c, cat in valid if cat == "SUD" or _category(c) == "SUD"]
    if sud:
        consented = any(
            c.recipient_payer_id == n.payer_id and c.active_on(day)
            for c in consents.get(n.person_id, [])
        )
        if consented:
            d.part2_codes = sud
        else:
            d.reasons.append(
                Reason(
                    "BILLING.PART2_CONSENT",
                    "Substance-use diagnosis without consent to tell the payer",
                    PART2,
                    f"{', '.join(sud)} would go to the payer, and the person has no active "
                    f"consent to share substance-use records with it for payment on {day}",
                    "Ask the person whether they consent to share these records with the payer "
                    "for payment, and record the consent; without it the line cannot be billed "
                    "with this diagnosis.",
                )
            )
            valid = [(c, cat) for c, cat in valid if c not in sud]
    d.diagnosis_codes = [c for c, _ in valid][:MAX_POINTERS_PER_LINE]


def scrub_scope(**filters: Any) -> Q:
    """Signed notes billable in a scope (agency, payer, through a date)."""
    q = Q(status=NoteStatus.SIGNED)
    if filters.get("agency") is not None:
        q &= Q(person__agency=filters["agency"])
    if filters.get("payer") is not None:
        q &= Q(person__payer=filters["payer"])
    if filters.get("through") is not None:
        q &= Q(date__lte=filters["through"])
    return q
