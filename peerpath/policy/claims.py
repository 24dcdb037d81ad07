"""What a note is billed as, and what a claim itself needs: a named engine relation and the
`BILLING.*` checks, each cited to pack data.

The variant judging each note's day comes from the assignment relation and its units from
`note_units` (the same the rules count); the code, modifiers and place of service from
that variant's parameters. The claim checks cite their basis from the pack too:
`billing.claim_format` (the X12 837P guide), `billing.rendering_npi_required` (the NPI
rule), `billing.part2_consent_required` (42 CFR Part 2) and `billing.contract_rate_required`
(the agency's contract with the payer). The billing scrub reads the records (rates, NPIs,
diagnoses, consents) and asks these functions; it holds no policy of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from . import assign
from .engine import EVALUATOR, Citation, citation_for
from .parameters import Pack, load_packs

READS: dict[str, tuple[str, ...]] = {
    "claim_line": (
        "billing.procedure_code",
        "billing.group_modifier",
        "billing.retired_codes",
        "billing.place_of_service",
        "modality.modifiers",
    ),
    "claim_checks": (
        "billing.claim_format",
        "billing.rendering_npi_required",
        "billing.part2_consent_required",
        "billing.contract_rate_required",
    ),
}

# The claim checks (ids and titles), for pages that name a check by its id.
CHECKS: Mapping[str, str] = {
    "BILLING.NO_POLICY": "No policy in force",
    "BILLING.PROCEDURE_CODE": "No procedure code in the policy",
    "BILLING.RETIRED_CODE": "Code no longer accepted",
    "BILLING.NO_UNITS": "Too short for one unit",
    "BILLING.PLACE_OF_SERVICE": "No place-of-service code for the setting",
    "BILLING.RENDERING_NPI": "Rendering provider NPI missing or invalid",
    "BILLING.CONTRACT_RATE": "No contract rate for the service",
    "BILLING.DIAGNOSIS_CODE": "Diagnosis code not valid for a claim",
    "BILLING.DIAGNOSIS": "No diagnosis open on the date of service",
    "BILLING.PART2_CONSENT": "Substance-use diagnosis without consent to tell the payer",
    "BILLING.AMENDS_BILLED_NOTE": "Amends a note already billed",
}


@dataclass(frozen=True)
class ClaimCheck:
    """Why a line cannot be billed yet: the check, its citation (from the pack, marked when
    only assumed), the evidence and the fix."""

    rule_id: str
    title: str
    citation: str
    evidence: str
    fix: str
    pack_id: str = ""
    assumed: bool = False


def _cite(c: Citation) -> str:
    # Citation.short() says "assumed" in words when the figure is a placeholder.
    return f"{c.short()}, parameter {c.parameter}"


def _check(pack: Pack, key: str, day: dt.date, rule_id: str, evidence: str, fix: str) -> ClaimCheck:
    try:
        c = citation_for(pack, key, day)
        citation, assumed = _cite(c), c.assumed
    except LookupError:
        citation, assumed = f"policy pack {pack.id}: parameter {key} (no value on {day})", True
    return ClaimCheck(rule_id, CHECKS[rule_id], citation, evidence, fix, pack.id, assumed)


def _value(pack: Pack, key: str, day: dt.date) -> object:
    try:
        return pack.value(key, day)
    except LookupError:
        return None


@dataclass(frozen=True)
class NoteVariant:
    variant: assign.Variant
    units: int


def note_variants(data: Mapping[str, pa.Table], *, as_of: dt.date) -> dict[int, NoteVariant]:
    """Note id -> the variant judging its day and its units, for every note in `data`
    (notes on a day no pack judges are left out)."""
    prepared = EVALUATOR.prepare(data, as_of=as_of)
    con = duckdb.connect()
    try:
        con.register("notes", data["notes"].select(["note_id", "person_id", "date"]))
        con.register("assignments", prepared["assignments"])
        con.register("note_units", prepared["note_units"])
        rows = con.sql(
            "SELECT n.note_id, a.variant, COALESCE(u.units, 0) FROM notes n JOIN assignments a "
            'ON a.person_id = n.person_id AND n.date BETWEEN a.start AND a."end" '
            "LEFT JOIN note_units u ON u.note_id = n.note_id"
        ).fetchall()
    finally:
        con.close()
    packs = load_packs()
    overrides = assign.contract_overrides(data)
    variants: dict[str, assign.Variant] = {}
    out: dict[int, NoteVariant] = {}
    for note_id, vid, units in rows:
        if vid not in variants:
            variants[vid] = assign.variant_for(vid, packs, overrides)
        out[note_id] = NoteVariant(variants[vid], int(units))
    return out


@dataclass
class LineShape:
    code: str = ""
    modifiers: list[str] = field(default_factory=list)
    units: int = 0
    place_of_service: str = ""
    checks: list[ClaimCheck] = field(default_factory=list)


def shape_line(
    pack: Pack, *, day: dt.date, kind: str, modality: str, setting: str, minutes: int, units: int
) -> LineShape:
    """The code (group modifier first, then the modality's), units and place of service
    the variant gives a note, with the checks that fail."""
    line = LineShape(units=max(0, units))
    code = _value(pack, "billing.procedure_code", day)
    if isinstance(code, str) and code:
        line.code = code
    else:
        line.checks.append(
            _check(
                pack,
                "billing.procedure_code",
                day,
                "BILLING.PROCEDURE_CODE",
                f"the {pack.id} pack names no procedure code on {day}",
                "Ask an administrator to set the pack's procedure code.",
            )
        )
    if kind == "group":
        group = _value(pack, "billing.group_modifier", day)
        if isinstance(group, str) and group:
            line.modifiers.append(group)
    by_modality = _value(pack, "modality.modifiers", day)
    if isinstance(by_modality, Mapping):
        extra = by_modality.get(modality)
        if isinstance(extra, str) and extra:
            line.modifiers.append(extra)
    shown = "-".join([line.code, *line.modifiers])
    for retired in _value(pack, "billing.retired_codes", day) or ():  # type: ignore[attr-defined]
        last = retired.get("last_day") if isinstance(retired, Mapping) else None
        if retired.get("code") == shown and last and day > dt.date.fromisoformat(str(last)):
            line.checks.append(
                _check(
                    pack,
                    "billing.retired_codes",
                    day,
                    "BILLING.RETIRED_CODE",
                    f"{shown} was last accepted on {last}",
                    "Bill the service with the code the policy names now.",
                )
            )
    if line.units < 1:
        line.checks.append(
            _check(
                pack,
                "units.min_minutes_first_unit",
                day,
                "BILLING.NO_UNITS",
                f"{minutes} minutes make no billable unit",
                "Check the start and end times on the note. A contact shorter than the "
                "minimum for one unit is kept as a record but not billed.",
            )
        )
    pos_map = _value(pack, "billing.place_of_service", day)
    pos = pos_map.get(setting) if isinstance(pos_map, Mapping) else None
    if isinstance(pos, str) and pos:
        line.place_of_service = pos
    else:
        line.checks.append(
            _check(
                pack,
                "billing.place_of_service",
                day,
                "BILLING.PLACE_OF_SERVICE",
                f"setting {setting} has no place-of-service code in the {pack.id} pack",
                "Ask an administrator to map this setting to a place-of-service code in the "
                "pack, or correct the setting on the note by an amendment.",
            )
        )
    return line


def no_policy(state: str, day: dt.date) -> ClaimCheck:
    return ClaimCheck(
        "BILLING.NO_POLICY",
        CHECKS["BILLING.NO_POLICY"],
        "PeerPath policy packs (peerpath/policy/packs): no pack is in force",
        f"no policy pack covers {state or 'this state'} on {day}",
        "Ask an administrator to add or extend the state's policy pack.",
    )


def _required(pack: Pack, key: str, day: dt.date) -> bool:
    return _value(pack, key, day) not in (None, False)


def check_npi(pack: Pack, day: dt.date, *, npi: str, valid: bool) -> ClaimCheck | None:
    if valid or not _required(pack, "billing.rendering_npi_required", day):
        return None
    return _check(
        pack,
        "billing.rendering_npi_required",
        day,
        "BILLING.RENDERING_NPI",
        "the peer specialist who gave the service has no NPI on file"
        if not npi
        else "the peer specialist's NPI fails its check digit",
        "Enter the peer specialist's 10-digit NPI on their staff record (look it up in "
        "NPPES), then release the line.",
    )


def check_rate(pack: Pack, day: dt.date, *, found: bool, shown: str) -> ClaimCheck | None:
    if found or not _required(pack, "billing.contract_rate_required", day):
        return None
    return _check(
        pack,
        "billing.contract_rate_required",
        day,
        "BILLING.CONTRACT_RATE",
        f"no rate for {shown} on {day} in the contract with this payer",
        "Add the payer's rate for this code and modifiers, with its source and start "
        "date, to the contract; then release the line.",
    )


def check_diagnoses(
    pack: Pack, day: dt.date, *, problems: Sequence[str], valid: int
) -> list[ClaimCheck]:
    if not _required(pack, "billing.claim_format", day):
        return []
    out = [
        _check(
            pack,
            "billing.claim_format",
            day,
            "BILLING.DIAGNOSIS_CODE",
            problem,
            "Correct the diagnosis on the person's record with a billable ICD-10-CM code.",
        )
        for problem in problems
    ]
    if not valid:
        out.append(
            _check(
                pack,
                "billing.claim_format",
                day,
                "BILLING.DIAGNOSIS",
                f"no diagnosis on the person's record is open on {day}",
                "Record the person's diagnosis, with its start date, from the clinician's "
                "assessment; then release the line.",
            )
        )
    return out


def check_part2(
    pack: Pack, day: dt.date, *, sud_codes: Sequence[str], consented: bool
) -> ClaimCheck | None:
    if not sud_codes or consented or not _required(pack, "billing.part2_consent_required", day):
        return None
    return _check(
        pack,
        "billing.part2_consent_required",
        day,
        "BILLING.PART2_CONSENT",
        f"{', '.join(sud_codes)} would go to the payer, and the person has no active "
        f"consent to share substance-use records with it for payment on {day}",
        "Ask the person whether they consent to share these records with the payer "
        "for payment, and record the consent; without it the line cannot be billed "
        "with this diagnosis.",
    )


def check_amends_billed(pack: Pack, day: dt.date, *, note_id: int, amends_id: int) -> ClaimCheck:
    return _check(
        pack,
        "billing.claim_format",
        day,
        "BILLING.AMENDS_BILLED_NOTE",
        f"note {note_id} amends note {amends_id}, which is on a claim already sent",
        "Send a replacement claim (frequency 7) for the claim that carries the "
        "original note; the replacement bills this amendment instead.",
    )
