"""Receiving a prior-authorization request as a Da Vinci PAS-shaped Bundle.

Another system (an EHR, a clearinghouse) sends the Bundle it would send a payer's PAS
endpoint: a Claim with use = preauthorization as the request, with the Patient it points to.
`read_request` checks it before anything is written:

1. it parses as a FHIR R4 Bundle with fhir.resources R4B (structure and types);
2. it holds exactly one Claim with use = preauthorization, with one item;
3. the Claim's patient is a person in the sender's scope, found by Medicaid ID (the Patient's
   identifier of system `urn:peerpath:medicaid-id`, or the reference's own identifier);
4. the insurer, if it names a payer id, is the person's payer; the provider, if it names an
   NPI, is the person's agency;
5. the item asks for HCPCS H0038 (peer support; what PeerPath requests), a whole number of
   units (1 to 100,000), on a serviced period with a start and an end on or after it;
6. priority `normal` is a standard request, `stat` an expedited one; a `related` claim with
   relationship `prior` makes it a request for a continued stay; `supportingInfo` of
   category `freeFormMessage` (valueString) is the note to the reviewer.

Every problem is named by its element (`Claim.item[0].quantity.value`), never by repeating
what was sent. The request is then made by `authorization_send`, as from the chart: the
policy engine checks it first, and its refusals are named by element as well.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pydantic
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from fhir.resources.R4B.bundle import Bundle

from peerpath.authorizations.services import RequestDraft
from peerpath.people.models import Person

from .fhir import HCPCS, MEDICAID_ID, NPI, _is_hcpcs
from .security import ApiError

PEER_SUPPORT = "H0038"
MAX_UNITS = 100_000
_PRIORITY = {"normal": "standard", "stat": "expedited"}

# The service's field names, as the elements of the Claim that carry them.
ELEMENT_OF = {
    "units_requested": "Claim.item[0].quantity.value",
    "start": "Claim.item[0].servicedPeriod.start",
    "end": "Claim.item[0].servicedPeriod.end",
    "urgency": "Claim.priority",
    "provider_note": "Claim.supportingInfo",
    "kind": "Claim.related",
    "payer": "Claim.insurer",
    "__all__": "Claim",
}


@dataclass(frozen=True)
class PasRequest:
    person: Person
    draft: RequestDraft


def _refuse(errors: list[dict[str, str]]) -> ApiError:
    return ApiError(422, "Invalid PAS request", "The request was not made.", errors)


def _loc(loc: tuple[Any, ...]) -> str:
    out = "Bundle"
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _codes(concept: Any) -> list[tuple[str | None, str | None]]:
    if not isinstance(concept, dict):
        return []
    return [
        (c.get("system"), c.get("code")) for c in concept.get("coding", []) if isinstance(c, dict)
    ]


def _date(value: Any) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _whole(value: Any) -> int | None:
    try:
        number = float(value)
        return int(number) if number == int(number) else None
    except (TypeError, ValueError, OverflowError):
        return None


def _patient(bundle: dict[str, Any], claim: dict[str, Any]) -> tuple[str | None, str]:
    """The Medicaid ID of the Claim's patient, and the element that names it."""
    ref = claim.get("patient") or {}
    ident = ref.get("identifier") if isinstance(ref, dict) else None
    if isinstance(ident, dict) and ident.get("system") == MEDICAID_ID and ident.get("value"):
        return str(ident["value"]), "Claim.patient.identifier"
    target = ref.get("reference") if isinstance(ref, dict) else None
    if not target:
        return None, "Claim.patient"
    for entry in bundle.get("entry", []):
        resource = entry.get("resource") or {}
        if resource.get("resourceType") != "Patient":
            continue
        names = {entry.get("fullUrl"), f"Patient/{resource.get('id')}"}
        if target in names:
            for i in resource.get("identifier", []):
                if i.get("system") == MEDICAID_ID and i.get("value"):
                    return str(i["value"]), "Patient.identifier"
            return None, "Patient.identifier"
    return None, "Claim.patient.reference"


def read_request(data: Any, people: QuerySet[Person]) -> PasRequest:
    """The request in the Bundle, for a person among `people`; ApiError (422) naming every
    element at fault otherwise."""
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise _refuse([{"field": "resourceType", "message": "Send a FHIR Bundle."}])
    try:
        Bundle.model_validate(data)
    except pydantic.ValidationError as exc:
        raise _refuse(
            [
                {"field": _loc(tuple(e["loc"])), "message": "Not valid FHIR R4 here."}
                for e in exc.errors()[:20]
            ]
        ) from None
    except (TypeError, ValueError):
        raise _refuse([{"field": "Bundle", "message": "Not a valid FHIR R4 Bundle."}]) from None
    claims = [
        e["resource"]
        for e in data.get("entry", [])
        if (e.get("resource") or {}).get("resourceType") == "Claim"
        and e["resource"].get("use") == "preauthorization"
    ]
    if len(claims) != 1:
        raise _refuse(
            [
                {
                    "field": "Bundle.entry",
                    "message": "Send exactly one Claim with use = preauthorization.",
                }
            ]
        )
    claim = claims[0]
    errors: list[dict[str, str]] = []

    medicaid_id, where = _patient(data, claim)
    person = people.select_related("payer", "agency").filter(medicaid_id=medicaid_id).first()
    if medicaid_id is None:
        errors.append({"field": where, "message": "Name the patient by Medicaid ID."})
    elif person is None:
        errors.append({"field": where, "message": "No person in your scope has this Medicaid ID."})
    if person is not None:
        insurer = claim.get("insurer") or {}
        payer_ident = insurer.get("identifier") if isinstance(insurer, dict) else None
        if (
            isinstance(payer_ident, dict)
            and payer_ident.get("value")
            and payer_ident["value"] != person.payer.payer_id
        ):
            errors.append(
                {"field": "Claim.insurer.identifier", "message": "Not the person's payer."}
            )
        provider = claim.get("provider") or {}
        npi = provider.get("identifier") if isinstance(provider, dict) else None
        if (
            isinstance(npi, dict)
            and npi.get("system") == NPI
            and npi.get("value")
            and npi["value"] != person.agency.npi
        ):
            errors.append(
                {"field": "Claim.provider.identifier", "message": "Not the person's agency."}
            )

    items = claim.get("item") or []
    units, start, end = 0, None, None
    if len(items) != 1:
        errors.append({"field": "Claim.item", "message": "Ask for one service line."})
    else:
        item = items[0]
        codes = _codes(item.get("productOrService"))
        hcpcs = [code for system, code in codes if system == HCPCS]
        if not hcpcs or not _is_hcpcs(hcpcs[0] or ""):
            errors.append(
                {
                    "field": "Claim.item[0].productOrService",
                    "message": "Give a HCPCS code (system " + HCPCS + ").",
                }
            )
        elif hcpcs[0] != PEER_SUPPORT:
            errors.append(
                {
                    "field": "Claim.item[0].productOrService",
                    "message": f"PeerPath requests peer support, {PEER_SUPPORT}, only.",
                }
            )
        value = _whole((item.get("quantity") or {}).get("value"))
        if (item.get("quantity") or {}).get("value") is None:
            errors.append({"field": "Claim.item[0].quantity.value", "message": "Say how many."})
        elif value is None or not 1 <= value <= MAX_UNITS:
            errors.append(
                {
                    "field": "Claim.item[0].quantity.value",
                    "message": f"A whole number of units, 1 to {MAX_UNITS:,}.",
                }
            )
        else:
            units = value
        period = item.get("servicedPeriod") or {}
        start, end = _date(period.get("start")), _date(period.get("end"))
        if start is None:
            errors.append(
                {"field": "Claim.item[0].servicedPeriod.start", "message": "Give the first day."}
            )
        if end is None:
            errors.append(
                {"field": "Claim.item[0].servicedPeriod.end", "message": "Give the last day."}
            )
        if start is not None and end is not None and end < start:
            errors.append(
                {
                    "field": "Claim.item[0].servicedPeriod.end",
                    "message": "The last day comes on or after the first day.",
                }
            )

    priority = [code for _, code in _codes(claim.get("priority"))]
    urgency = "standard"
    if priority:
        if priority[0] not in _PRIORITY:
            errors.append({"field": "Claim.priority", "message": "normal or stat."})
        else:
            urgency = _PRIORITY[priority[0]]
    kind = "initial"
    for related in claim.get("related") or []:
        if any(code == "prior" for _, code in _codes(related.get("relationship"))):
            kind = "concurrent"
    notes = [
        str(info.get("valueString", ""))
        for info in claim.get("supportingInfo") or []
        if any(code == "freeFormMessage" for _, code in _codes(info.get("category")))
    ]
    note = "\n".join(n for n in notes if n.strip())
    if len(note) > 5000:
        errors.append({"field": "Claim.supportingInfo", "message": "At most 5,000 characters."})

    if errors:
        raise _refuse(errors)
    assert person is not None and start is not None and end is not None
    return PasRequest(
        person,
        RequestDraft(
            kind=kind,
            urgency=urgency,
            units_requested=units,
            start=start,
            end=end,
            provider_note=note,
        ),
    )


def refused(exc: ValidationError) -> ApiError:
    """The service's refusal, named by the Claim's elements."""
    if hasattr(exc, "error_dict"):
        errors = [
            {"field": ELEMENT_OF.get(name, "Claim"), "message": " ".join(messages)}
            for name, messages in exc.message_dict.items()
        ]
    else:
        errors = [{"field": "Claim", "message": " ".join(exc.messages)}]
    return ApiError(422, "Refused", "The request was not made.", errors)
