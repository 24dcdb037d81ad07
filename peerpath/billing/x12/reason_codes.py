"""The table of 835 reason codes PeerPath knows (reason_codes.yaml beside this file).

CARC: why a payer adjusted a claim or line (paid less than billed, or nothing).
RARC: a remark that explains a CARC further.
Group codes: who carries the adjusted amount (CO the provider, PR the person, ...).

`rules_for` answers the billing team's question "what would have caught this before the
claim went out": the remark codes are the more specific, so their rules come first.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

# The claim scrub's own checks (peerpath/billing/scrub.py) that the table names: each holds a
# claim line before it is billed, as a policy rule does.
SCRUB_CHECKS = {
    "BILLING.PLACE_OF_SERVICE": "No place-of-service code for the setting",
    "BILLING.RENDERING_NPI": "Rendering provider NPI missing or invalid",
    "BILLING.PROCEDURE_CODE": "No procedure code in the policy",
    "BILLING.DIAGNOSIS_CODE": "Diagnosis code not valid for a claim",
    "BILLING.DIAGNOSIS": "No diagnosis open on the date of service",
}


@dataclass(frozen=True)
class ReasonCode:
    kind: str  # "CARC" or "RARC"
    code: str
    meaning: str
    rules: tuple[str, ...] = ()
    safeguard: str = ""
    denies: bool = True  # False: prices the service (person's share, fee schedule)

    @property
    def label(self) -> str:
        return f"{self.kind} {self.code}"


@dataclass(frozen=True)
class ReasonCodes:
    carc: Mapping[str, ReasonCode]
    rarc: Mapping[str, ReasonCode]
    groups: Mapping[str, str] = field(default_factory=dict)

    def rules_for(self, carc: str, rarcs: Iterable[str] = ()) -> tuple[str, ...]:
        """Rule ids that would have caught a denial for `carc` with remarks `rarcs`: each
        remark's rules first (more specific), then the CARC's; no repeats."""
        found: list[str] = []
        for code in (*(self.rarc.get(r) for r in rarcs), self.carc.get(carc)):
            if code is None:
                continue
            found.extend(r for r in code.rules if r not in found)
        return tuple(found)

    def denies(self, carc: str) -> bool:
        """Whether an adjustment with this CARC refuses (part of) a service, rather than
        pricing it. Unknown codes count as refusals."""
        code = self.carc.get(carc)
        return code.denies if code is not None else True

    def safeguards_for(self, carc: str, rarcs: Iterable[str] = ()) -> tuple[str, ...]:
        found: list[str] = []
        for code in (*(self.rarc.get(r) for r in rarcs), self.carc.get(carc)):
            if code is not None and code.safeguard and code.safeguard not in found:
                found.append(code.safeguard)
        return tuple(found)


def _codes(kind: str, raw: Mapping[str, Any]) -> dict[str, ReasonCode]:
    out: dict[str, ReasonCode] = {}
    for code, entry in raw.items():
        if not isinstance(entry, Mapping) or not entry.get("meaning"):
            raise ValueError(f"reason_codes.yaml: {kind} {code} needs a meaning")
        unknown = set(entry) - {"meaning", "rules", "safeguard", "denies"}
        if unknown:
            raise ValueError(f"reason_codes.yaml: {kind} {code} has unknown keys {sorted(unknown)}")
        out[str(code)] = ReasonCode(
            kind=kind,
            code=str(code),
            meaning=str(entry["meaning"]),
            rules=tuple(str(r) for r in entry.get("rules") or ()),
            safeguard=str(entry.get("safeguard") or ""),
            denies=bool(entry.get("denies", True)),
        )
    return out


@functools.cache
def reason_codes() -> ReasonCodes:
    text = resources.files("peerpath.billing.x12").joinpath("reason_codes.yaml").read_text()
    data = yaml.safe_load(text)
    return ReasonCodes(
        carc=_codes("CARC", data["carc"]),
        rarc=_codes("RARC", data["rarc"]),
        groups={str(k): str(v) for k, v in data["groups"].items()},
    )
