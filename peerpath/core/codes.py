"""Code sets: ICD-10-CM (offline, via simple-icd-10-cm), NPI check digits, Medicaid ID shapes.

The ICD-10-CM table takes a few seconds to load, so it is imported on first use only.
"""

from __future__ import annotations

import functools
import re
from types import ModuleType

# 42 CFR 2.11 defines substance use disorder to exclude tobacco and caffeine, so F17
# (nicotine dependence) is not Part 2 data although it sits in the F10-F19 block.
_SUD_PREFIXES = tuple(f"F1{d}" for d in range(10) if d != 7)


@functools.cache
def _icd() -> ModuleType:
    import simple_icd_10_cm

    module: ModuleType = simple_icd_10_cm
    return module


def normalize_icd10(code: str) -> str:
    """Upper-case, trimmed, with the dot after the third character (F33.1)."""
    raw = code.strip().upper().replace(".", "")
    if len(raw) > 3:
        return f"{raw[:3]}.{raw[3:]}"
    return raw


def icd10_problem(code: str) -> str | None:
    """Why a code cannot be used on a record or claim, or None when it is a billable code."""
    norm = normalize_icd10(code)
    if not re.fullmatch(r"[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?", norm):
        return (
            f"'{code}' is not shaped like an ICD-10-CM code (letter, two characters, dot, up to 4)"
        )
    icd = _icd()
    if not icd.is_valid_item(norm):
        return f"'{code}' is not in the ICD-10-CM code set"
    if not icd.is_leaf(norm):
        return f"'{code}' is a category, not a billable code: pick a more specific code under it"
    return None


def icd10_description(code: str) -> str:
    return str(_icd().get_description(normalize_icd10(code)))


def diagnosis_category(code: str) -> str:
    """SUD (Part 2 protected), MH (other mental and behavioural disorders), or OTHER."""
    norm = normalize_icd10(code)
    if norm.startswith(_SUD_PREFIXES):
        return "SUD"
    if norm.startswith("F"):
        return "MH"
    return "OTHER"


def npi_is_valid(npi: str) -> bool:
    """NPI check digit: Luhn over the prefix 80840 followed by the 10-digit NPI."""
    if not re.fullmatch(r"\d{10}", npi):
        return False
    digits = [int(c) for c in "80840" + npi]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def npi_with_check_digit(first_nine: str) -> str:
    """Complete a 9-digit NPI stem with its check digit (used by the demo generator)."""
    for check in range(10):
        candidate = f"{first_nine}{check}"
        if npi_is_valid(candidate):
            return candidate
    raise ValueError(first_nine)  # unreachable: one digit always satisfies Luhn


# Shapes of state Medicaid IDs. NC: 9 digits then a letter (NC Medicaid ID card, secondary);
# SC: 10 digits (SC Healthy Connections card, secondary); TX: 9 digits (Your Texas Benefits
# card, secondary). Other states fall back to 6-15 letters/digits (assumed).
MEDICAID_ID_SHAPES: dict[str, tuple[str, str]] = {
    "NC": (r"\d{9}[A-Z]", "9 digits followed by a letter, e.g. 123456789T"),
    "SC": (r"\d{10}", "10 digits"),
    "TX": (r"\d{9}", "9 digits"),
}
_FALLBACK_SHAPE = (r"[A-Z0-9]{6,15}", "6 to 15 letters or digits")


def medicaid_id_problem(medicaid_id: str, state: str) -> str | None:
    pattern, human = MEDICAID_ID_SHAPES.get(state.upper(), _FALLBACK_SHAPE)
    if re.fullmatch(pattern, medicaid_id):
        return None
    # The ID itself is not echoed: messages may reach logs, and the ID is PHI.
    return f"not a valid {state.upper()} Medicaid ID: expected {human}"
