"""The extract formats a program-integrity audit reads, declared once as data.

Two tiers, each a set of files in one folder, `<name>.parquet` or `<name>.csv`:

- the *claims tier*, what a state or an MCO has: claim headers, lines and diagnoses shaped
  after the T-MSIS "other services" (OT) file, plus prior authorizations, beneficiary
  eligibility spans, other services and provider credentials when present;
- the *records tier*: the policy engine's own documented tables (peerpath.policy.tables),
  which PeerPath exports from its database (`peerpath audit export`).

Each column says whether it is required, its Arrow type and what it means. `peerpath audit
schema` prints these declarations; the reader (peerpath.integrity.extract) checks files
against them. Field names follow T-MSIS where one exists (named in `tmsis`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import pyarrow as pa

from peerpath.policy.tables import SCHEMAS as RECORD_SCHEMAS

_S, _D, _I, _F = pa.string(), pa.date32(), pa.int64(), pa.float64()


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    required: bool
    meaning: str
    tmsis: str = ""


@dataclass(frozen=True)
class FileFormat:
    name: str
    tier: str  # "claims" or "records"
    required: bool  # whether a run of its tier needs the file
    meaning: str
    columns: tuple[Column, ...]

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([(c.name, c.type) for c in self.columns])

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _c(
    name: str, type_: pa.DataType, meaning: str, *, required: bool = True, tmsis: str = ""
) -> Column:
    return Column(name, type_, required, meaning, tmsis)


# Adjustment indicator values (T-MSIS ADJUSTMENT-IND): the ones a final-version resolution
# needs. Any other value (credit/debit gross adjustments) is refused by the reader.
ORIGINAL, VOID, REPLACEMENT = "0", "1", "4"
ADJUSTMENT_VALUES = (ORIGINAL, VOID, REPLACEMENT)

CLAIMS_TIER: Mapping[str, FileFormat] = MappingProxyType(
    {
        "claim_headers": FileFormat(
            "claim_headers",
            "claims",
            True,
            "One row per claim version (original, void or replacement) as adjudicated.",
            (
                _c("claim_id", _S, "This version's claim number (ICN)", tmsis="ICN-ORIG/ICN-ADJ"),
                _c(
                    "original_claim_id",
                    _S,
                    "The claim number of the original this version adjusts or voids (empty on "
                    "an original)",
                    required=False,
                    tmsis="ICN-ORIG",
                ),
                _c(
                    "adjustment_claim_id",
                    _S,
                    "The claim number given to the adjustment (informational)",
                    required=False,
                    tmsis="ICN-ADJ",
                ),
                _c(
                    "adjustment_indicator",
                    _S,
                    "0 original, 1 void, 4 replacement",
                    tmsis="ADJUSTMENT-IND",
                ),
                _c(
                    "adjudication_date",
                    _D,
                    "Date the payer adjudicated this version",
                    tmsis="ADJUDICATION-DATE",
                ),
                _c(
                    "beneficiary_id",
                    _S,
                    "The person's Medicaid id",
                    tmsis="MSIS-IDENTIFICATION-NUM",
                ),
                _c("billing_npi", _S, "Billing provider NPI", tmsis="BILLING-PROV-NPI-NUM"),
                _c("payer", _S, "Payer or managed-care plan id", tmsis="PLAN-ID-NUMBER"),
                _c(
                    "state",
                    _S,
                    "The payer's state (two letters); picks the policy pack",
                    tmsis="SUBMITTING-STATE",
                ),
                _c(
                    "service_from",
                    _D,
                    "First date of service on the claim",
                    tmsis="BEGINNING-DATE-OF-SERVICE",
                ),
                _c(
                    "service_to",
                    _D,
                    "Last date of service on the claim",
                    tmsis="ENDING-DATE-OF-SERVICE",
                ),
                _c("charged", _F, "Total charged", required=False, tmsis="TOT-BILLED-AMT"),
                _c("paid", _F, "Total paid", required=False, tmsis="TOT-MEDICAID-PAID-AMT"),
            ),
        ),
        "claim_lines": FileFormat(
            "claim_lines",
            "claims",
            True,
            "One row per service line of a claim version.",
            (
                _c(
                    "claim_id",
                    _S,
                    "The claim version the line belongs to",
                    tmsis="ICN-ORIG/ICN-ADJ",
                ),
                _c("line_number", _I, "Line number within the claim", tmsis="LINE-NUM-ORIG"),
                _c("service_date", _D, "Date of service", tmsis="BEGINNING-DATE-OF-SERVICE"),
                _c(
                    "procedure_code",
                    _S,
                    "HCPCS procedure code (H0038 for peer support)",
                    tmsis="PROCEDURE-CODE",
                ),
                _c(
                    "modifier_1",
                    _S,
                    "First procedure modifier",
                    required=False,
                    tmsis="PROCEDURE-CODE-MOD-1",
                ),
                _c(
                    "modifier_2",
                    _S,
                    "Second procedure modifier",
                    required=False,
                    tmsis="PROCEDURE-CODE-MOD-2",
                ),
                _c(
                    "modifier_3",
                    _S,
                    "Third procedure modifier",
                    required=False,
                    tmsis="PROCEDURE-CODE-MOD-3",
                ),
                _c(
                    "modifier_4",
                    _S,
                    "Fourth procedure modifier",
                    required=False,
                    tmsis="PROCEDURE-CODE-MOD-4",
                ),
                _c("units", _I, "Units billed", tmsis="SERVICE-QUANTITY-ACTUAL"),
                _c("place_of_service", _S, "CMS place-of-service code", tmsis="PLACE-OF-SERVICE"),
                _c(
                    "rendering_npi",
                    _S,
                    "Rendering provider (peer specialist) NPI",
                    tmsis="SERVICING-PROV-NPI-NUM",
                ),
                _c("charged", _F, "Amount charged on the line", tmsis="BILLED-AMT"),
                _c("paid", _F, "Amount paid on the line", tmsis="MEDICAID-PAID-AMT"),
            ),
        ),
        "claim_diagnoses": FileFormat(
            "claim_diagnoses",
            "claims",
            False,
            "Diagnosis codes of each claim version.",
            (
                _c("claim_id", _S, "The claim version", tmsis="ICN-ORIG/ICN-ADJ"),
                _c(
                    "beneficiary_id",
                    _S,
                    "The person's Medicaid id",
                    tmsis="MSIS-IDENTIFICATION-NUM",
                ),
                _c(
                    "sequence", _I, "1 for the principal diagnosis, then 2, 3 ...", tmsis="DGNS-SEQ"
                ),
                _c("code", _S, "ICD-10-CM code", tmsis="DGNS-CD"),
            ),
        ),
        "eligibility": FileFormat(
            "eligibility",
            "claims",
            False,
            "Beneficiary Medicaid eligibility spans, with the person's date of birth.",
            (
                _c(
                    "beneficiary_id",
                    _S,
                    "The person's Medicaid id",
                    tmsis="MSIS-IDENTIFICATION-NUM",
                ),
                _c("start", _D, "First day of eligibility", tmsis="ENROLLMENT-EFF-DATE"),
                _c(
                    "end",
                    _D,
                    "Last day (empty while open)",
                    required=False,
                    tmsis="ENROLLMENT-END-DATE",
                ),
                _c("date_of_birth", _D, "Date of birth", required=False, tmsis="BIRTH-DATE"),
                _c("state", _S, "The state", required=False, tmsis="SUBMITTING-STATE"),
            ),
        ),
        "prior_authorizations": FileFormat(
            "prior_authorizations",
            "claims",
            False,
            "Prior authorizations of peer support.",
            (
                _c("auth_number", _S, "The payer's authorization number"),
                _c("beneficiary_id", _S, "The person's Medicaid id"),
                _c("status", _S, "approved, partial, denied or requested"),
                _c("start", _D, "First day authorized"),
                _c("end", _D, "Last day authorized", required=False),
                _c("units_approved", _I, "Units approved", required=False),
                _c("kind", _S, "initial or concurrent (continued stay)", required=False),
                _c("requested_on", _D, "Date requested", required=False),
            ),
        ),
        "other_service_lines": FileFormat(
            "other_service_lines",
            "claims",
            False,
            "Other behavioral-health services the person received (for concurrency checks).",
            (
                _c("service_id", _S, "An id of the service (claim and line)"),
                _c("beneficiary_id", _S, "The person's Medicaid id"),
                _c("category", _S, "Service category (ACTT, CST, ...)"),
                _c("service_date", _D, "Date of service"),
                _c("start_min", _I, "Start, minutes after midnight", required=False),
                _c("end_min", _I, "End, minutes after midnight", required=False),
            ),
        ),
        "provider_credentials": FileFormat(
            "provider_credentials",
            "claims",
            False,
            "Peer specialist certifications by rendering NPI.",
            (
                _c("npi", _S, "Rendering provider NPI"),
                _c("start", _D, "Certification start"),
                _c("end", _D, "Certification expiry (empty if it does not expire)", required=False),
            ),
        ),
    }
)

# Records tier: every engine table; `person_id`-style ids are required, the rest optional
# (a missing column makes the rules reading it "not assessable").
_RECORD_KEYS = {"context"}


def _records() -> dict[str, FileFormat]:
    out: dict[str, FileFormat] = {}
    for name, schema in RECORD_SCHEMAS.items():
        if name in _RECORD_KEYS:
            continue
        first = schema.names[0]
        columns = tuple(
            Column(f.name, f.type, f.name == first, "see docs/rules.md (the engine's tables)")
            for f in schema
        )
        out[name] = FileFormat(name, "records", False, f"The engine's `{name}` table.", columns)
    return out


RECORDS_TIER: Mapping[str, FileFormat] = MappingProxyType(_records())
FORMATS: Mapping[str, FileFormat] = MappingProxyType({**CLAIMS_TIER, **RECORDS_TIER})


def _type(t: pa.DataType) -> str:
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_list(t):
        return "list"
    return {"int64": "integer", "double": "number", "bool": "bool"}.get(str(t), "text")


def describe(tier: str | None = None) -> str:
    """The formats as plain text (what `peerpath audit schema` prints)."""
    lines: list[str] = []
    for fmt in FORMATS.values():
        if tier and fmt.tier != tier:
            continue
        need = "required" if fmt.required else "optional"
        lines.append(f"{fmt.name}.parquet | {fmt.name}.csv   ({fmt.tier} tier, {need})")
        lines.append(f"  {fmt.meaning}")
        for c in fmt.columns:
            flag = "required" if c.required else "optional"
            tm = f" [T-MSIS {c.tmsis}]" if c.tmsis else ""
            lines.append(f"  {c.name:<22} {_type(c.type):<8} {flag:<8} {c.meaning}{tm}")
        lines.append("")
    return "\n".join(lines)
