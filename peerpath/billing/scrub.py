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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from peerpath.authorizations.models import Authorization
from peerpath.consent.models import Consent, Purpose
from peerpath.core import codes
from peerpath.organizations.models import ContractRate
from peerpath.people.models import Diagnosis
from peerpath.policy.api import (
    Citation,
    ClaimCheck,
    Finding,
    NoteVariant,
    Pack,
    ReachIndex,
    check_amends_billed,
    check_diagnoses,
    check_npi,
    check_part2,
    check_rate,
    held_notes,
    no_policy,
    note_variants,
    scrub_findings,
    shape_line,
)
from peerpath.services.models import NoteStatus, ServiceNote, minutes_between

from .models import MAX_POINTERS_PER_LINE, ClaimLine, LineStatus

APPROVED = ("approved", "partial")
BILLED = (LineStatus.SUBMITTED, LineStatus.PAID, LineStatus.PARTLY_PAID, LineStatus.DENIED)

# The same few codes and NPIs recur on thousands of lines: check each once.
_icd10_problem = functools.lru_cache(maxsize=8192)(codes.icd10_problem)
_npi_is_valid = functools.lru_cache(maxsize=65536)(codes.npi_is_valid)
_normalize = functools.lru_cache(maxsize=8192)(codes.normalize_icd10)
_category = functools.lru_cache(maxsize=8192)(codes.diagnosis_category)


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


def reason_from_check(c: ClaimCheck) -> Reason:
    return Reason(c.rule_id, c.title, c.citation, c.evidence, c.fix, c.pack_id)


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


def engine_findings(
    notes: Sequence[_Note], as_of: dt.date
) -> tuple[list[Finding], ReachIndex, dict[int, NoteVariant]]:
    """One run of the engine over the people of `notes` (findings kept for them inside the
    SQL), the index the findings' reach is read against, and each note's variant and
    units."""
    people = sorted({n.person_id for n in notes})
    found, data = scrub_findings(people, as_of=as_of)
    variants = note_variants(data, as_of=as_of)
    return found.objects(), ReachIndex(list(notes), data), variants


# ---------------------------------------------------------------- the scrub


def scrub_notes(notes: QuerySet[ServiceNote], *, today: dt.date | None = None) -> dict[int, Draft]:
    """Note id -> its draft line and the reasons that hold it, for every note of `notes`."""
    rows = _read_notes(notes)
    if not rows:
        return {}
    today = today or timezone.localdate()
    as_of = max(today, max(n.date for n in rows))
    findings, ix, variants = engine_findings(rows, as_of)
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
    # Consent counts on the day the claim would go out (today), not the service date: a
    # consent revoked since the service no longer lets a substance-use code leave.
    consents: dict[int, list[Consent]] = defaultdict(list)
    for consent in Consent.objects.filter(person_id__in=person_ids, recipient_payer__isnull=False):
        if consent.covers(Purpose.PAYMENT) and consent.active_on(today):
            consents[consent.person_id].append(consent)
    billed_originals = set(
        ClaimLine.objects.filter(
            is_current=True, status__in=BILLED, note__amendment__in=notes
        ).values_list("note_id", flat=True)
    )
    rates = _rates()
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
        chosen = variants.get(n.id)
        if chosen is None:
            d.reasons.append(reason_from_check(no_policy(n.state, n.date)))
            continue
        pack = chosen.variant.pack
        if n.amends_id is not None and n.amends_id in billed_originals:
            d.reasons.append(
                reason_from_check(
                    check_amends_billed(pack, n.date, note_id=n.id, amends_id=n.amends_id)
                )
            )
        _build(
            d,
            n,
            pack,
            chosen.units,
            rates.get((n.agency_id, n.payer_id), []),
            auths,
            diagnoses,
            consents,
            rate_cache,
        )
    return drafts


def _build(
    d: Draft,
    n: _Note,
    pack: Pack,
    units: int,
    rates: Sequence[_Rate],
    auths: Mapping[int, list[tuple[dt.date, dt.date, str, int]]],
    diagnoses: Mapping[int, list[tuple[bool, dt.date, int, str, str, dt.date | None]]],
    consents: Mapping[int, list[Consent]],
    rate_cache: dict[tuple[object, ...], _Rate | None],
) -> None:
    """The line the engine shapes for the note (code, modifiers, units, place of service)
    and the claim checks, each asked of the engine with the facts read here."""
    day = n.date
    line = shape_line(
        pack,
        day=day,
        kind=n.kind,
        modality=n.modality,
        setting=n.setting,
        minutes=n.minutes,
        units=units,
    )
    d.procedure_code, d.modifiers, d.units = line.code, line.modifiers, line.units
    d.place_of_service = line.place_of_service
    d.reasons.extend(reason_from_check(c) for c in line.checks)

    d.rendering_npi = n.npi
    npi = check_npi(pack, day, npi=n.npi, valid=_npi_is_valid(n.npi))
    if npi is not None:
        d.reasons.append(reason_from_check(npi))

    covering = [
        a for a in auths.get(n.person_id, []) if a[3] == n.payer_id and _active(a[0], a[1], day)
    ]
    if covering:
        d.authorization_number = covering[0][2]

    key = (n.agency_id, n.payer_id, line.code, tuple(line.modifiers), day)
    if key not in rate_cache:
        rate_cache[key] = rate_for(rates, line.code, line.modifiers, day)
    rate = rate_cache[key]
    if rate is None:
        shown = " ".join([line.code, *line.modifiers]).strip()
        missing = check_rate(pack, day, found=False, shown=shown)
        if missing is not None:
            d.reasons.append(reason_from_check(missing))
    else:
        d.charge = (rate.rate * d.units).quantize(Decimal("0.01"))

    open_dx = [x for x in diagnoses.get(n.person_id, []) if _active(x[1], x[5], day)]
    valid: list[tuple[str, str]] = []
    problems: list[str] = []
    for _, _, _, dx_code, category, _ in open_dx:
        problem = _icd10_problem(dx_code)
        if problem:
            problems.append(problem)
            continue
        valid.append((_normalize(dx_code), category))
    d.reasons.extend(
        reason_from_check(c)
        for c in check_diagnoses(pack, day, problems=problems, valid=len(valid))
    )
    sud = [c for c, cat in valid if cat == "SUD" or _category(c) == "SUD"]
    if sud:
        # `consents` holds those active on the day of disclosure (see scrub_notes).
        consented = any(c.recipient_payer_id == n.payer_id for c in consents.get(n.person_id, []))
        held = check_part2(pack, day, sud_codes=sud, consented=consented)
        if held is None:
            d.part2_codes = sud
        else:
            d.reasons.append(reason_from_check(held))
            valid = [(c, cat) for c, cat in valid if c not in sud]
    d.diagnosis_codes = [c for c, _ in valid][:MAX_POINTERS_PER_LINE]


def scrub_scope(**filters: Any) -> Q:
    """Signed notes billable in a scope (agency, payer, through a date). Historic notes
    imported from another system are never billed from here: that system billed them, or
    not; the audit still judges them."""
    q = Q(status=NoteStatus.SIGNED, legacy_source="")
    if filters.get("agency") is not None:
        q &= Q(person__agency=filters["agency"])
    if filters.get("payer") is not None:
        q &= Q(person__payer=filters["payer"])
    if filters.get("through") is not None:
        q &= Q(date__lte=filters["through"])
    return q
