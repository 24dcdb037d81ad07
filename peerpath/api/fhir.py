"""A person's record as FHIR R4 (validated with fhir.resources.R4B), and the agency as bulk
NDJSON.

Resources: Patient; Coverage (the Medicaid payer); Condition per diagnosis (ICD-10-CM);
CarePlan per signed plan version, with a Goal per goal; Encounter per signed service note
(HCPCS H0038); Consent per Part 2 consent; Claim (use = preauthorization) per authorization
request and ClaimResponse per decision, in the shape of Da Vinci PAS; ExplanationOfBenefit
per posted remittance (one claim of an 835, line by line); QuestionnaireResponse per outcome
measure (peerpath.outcomes.exports).

42 CFR Part 2: SUD diagnoses, plans, notes and outcome measures within an SUD diagnosis's
span, measures of an instrument about substance use recovery (see peerpath.consent.part2),
and remittances of claims that carry an SUD code or bill a Part 2 note, go out only under
the person's active consent to the recipient for the purpose, and then carry the security
labels 42CFRPart2 and R (restricted) and a no-redisclosure obligation. Without it they are
left out, and so are the consents (a Part 2 consent itself says the person has an SUD
record); nothing in the bundle says anything was held back.

fhir.resources checks structure and types, not code bindings: `value_set_problems` is our
own check of the codes we use against the value sets FHIR binds them to.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from peerpath.authorizations.models import Authorization, AuthStatus
from peerpath.billing.remittance_models import ClaimPayment
from peerpath.consent import part2
from peerpath.consent.models import Consent
from peerpath.consent.services import active_consent
from peerpath.core import codes
from peerpath.organizations.models import Agency, Payer
from peerpath.outcomes import exports as measure_exports
from peerpath.outcomes.models import Administration
from peerpath.people.models import Person
from peerpath.plans.models import Plan, PlanStatus
from peerpath.services.models import NoteStatus, ServiceNote

ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
HCPCS = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
ADJUDICATION = "http://terminology.hl7.org/CodeSystem/adjudication"
CARC = "https://x12.org/codes/claim-adjustment-reason-codes"
CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
OBLIGATION = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
NPI = "http://hl7.org/fhir/sid/us-npi"
MEDICAID_ID = "urn:peerpath:medicaid-id"  # the state's Medicaid ID; the payer says which
_NS = uuid.UUID("6f0c1e2a-8a51-4c3e-9d0e-4f5e8b9a7c11")

PART2_LABELS = [
    {"system": ACT_CODE, "code": "42CFRPart2", "display": "42 CFR Part 2"},
    {"system": CONFIDENTIALITY, "code": "R", "display": "restricted"},
    {"system": OBLIGATION, "code": "NORDSCLCD", "display": "no redisclosure without consent"},
]

# The value sets FHIR binds (required or extensible) for the codes we send.
VALUE_SETS: dict[tuple[str, str], frozenset[str]] = {
    ("Patient", "gender"): frozenset({"male", "female", "other", "unknown"}),
    ("Coverage", "status"): frozenset({"active", "cancelled", "draft", "entered-in-error"}),
    ("Condition", "clinicalStatus"): frozenset(
        {"active", "recurrence", "relapse", "inactive", "remission", "resolved"}
    ),
    ("Condition", "verificationStatus"): frozenset(
        {"unconfirmed", "provisional", "differential", "confirmed", "refuted", "entered-in-error"}
    ),
    ("CarePlan", "status"): frozenset(
        {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}
    ),
    ("CarePlan", "intent"): frozenset({"proposal", "plan", "order", "option"}),
    ("Goal", "lifecycleStatus"): frozenset(
        {
            "proposed",
            "planned",
            "accepted",
            "active",
            "on-hold",
            "completed",
            "cancelled",
            "entered-in-error",
            "rejected",
        }
    ),
    ("Encounter", "status"): frozenset(
        {
            "planned",
            "arrived",
            "triaged",
            "in-progress",
            "onleave",
            "finished",
            "cancelled",
            "entered-in-error",
            "unknown",
        }
    ),
    ("Encounter", "class"): frozenset({"AMB", "HH", "VR", "FLD", "EMER"}),
    ("Consent", "status"): frozenset(
        {"draft", "proposed", "active", "rejected", "inactive", "entered-in-error"}
    ),
    ("Consent", "scope"): frozenset({"adr", "research", "patient-privacy", "treatment"}),
    ("Claim", "status"): frozenset({"active", "cancelled", "draft", "entered-in-error"}),
    ("Claim", "use"): frozenset({"claim", "preauthorization", "predetermination"}),
    ("Claim", "type"): frozenset({"institutional", "oral", "pharmacy", "professional", "vision"}),
    ("Claim", "priority"): frozenset({"stat", "normal", "deferred"}),
    ("ClaimResponse", "outcome"): frozenset({"queued", "complete", "error", "partial"}),
    ("ClaimResponse", "status"): frozenset({"active", "cancelled", "draft", "entered-in-error"}),
    ("ClaimResponse", "use"): frozenset({"claim", "preauthorization", "predetermination"}),
    ("ExplanationOfBenefit", "status"): frozenset(
        {"active", "cancelled", "draft", "entered-in-error"}
    ),
    ("ExplanationOfBenefit", "use"): frozenset({"claim", "preauthorization", "predetermination"}),
    ("ExplanationOfBenefit", "outcome"): frozenset({"queued", "complete", "error", "partial"}),
    ("ExplanationOfBenefit", "type"): frozenset(
        {"institutional", "oral", "pharmacy", "professional", "vision"}
    ),
    ("QuestionnaireResponse", "status"): frozenset(
        {"in-progress", "completed", "amended", "entered-in-error", "stopped"}
    ),
    ("meta", "security"): frozenset(c["code"] for c in PART2_LABELS),
}


def _id(kind: str, pk: object) -> str:
    return str(uuid.uuid5(_NS, f"{kind}/{pk}"))


def _ref(kind: str, pk: object) -> dict[str, str]:
    return {"reference": f"urn:uuid:{_id(kind, pk)}"}


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _local(day: dt.date, at: dt.time) -> str:
    when = dt.datetime.combine(day, at)
    return timezone.make_aware(when).isoformat()


def _protect(resource: dict[str, Any], protected: bool) -> dict[str, Any]:
    if protected:
        resource["meta"] = {"security": [dict(c) for c in PART2_LABELS]}
    return resource


def _payer_ref(payer: Payer) -> dict[str, Any]:
    return {
        "identifier": {"system": "urn:peerpath:payer-id", "value": payer.payer_id},
        "display": payer.name,
    }


def _agency_ref(agency: Agency) -> dict[str, Any]:
    return {"identifier": {"system": NPI, "value": agency.npi}, "display": agency.name}


def patient(p: Person) -> dict[str, Any]:
    gender = {"F": "female", "M": "male"}.get(p.sex, "unknown")
    name: dict[str, Any] = {"use": "official", "family": p.last_name, "given": [p.first_name]}
    names = [name]
    if p.preferred_name:
        names.append({"use": "usual", "family": p.last_name, "given": [p.preferred_name]})
    res: dict[str, Any] = {
        "resourceType": "Patient",
        "id": _id("Patient", p.pk),
        "identifier": [{"system": MEDICAID_ID, "value": p.medicaid_id}],
        "name": names,
        "gender": gender,
        "birthDate": p.date_of_birth.isoformat(),
    }
    telecom = [{"system": "phone", "value": p.phone}] if p.phone else []
    if p.email:
        telecom.append({"system": "email", "value": p.email})
    if telecom:
        res["telecom"] = telecom
    if p.address or p.city:
        res["address"] = [
            {
                k: v
                for k, v in {
                    "line": [p.address] if p.address else None,
                    "city": p.city or None,
                    "state": p.state or None,
                    "postalCode": p.postal_code or None,
                }.items()
                if v
            }
        ]
    return res


def coverage(p: Person) -> dict[str, Any]:
    return {
        "resourceType": "Coverage",
        "id": _id("Coverage", p.pk),
        "status": "active",
        "type": {"coding": [{"system": ACT_CODE, "code": "SUBSIDIZ", "display": "subsidized"}]},
        "subscriberId": p.medicaid_id,
        "beneficiary": _ref("Patient", p.pk),
        "payor": [_payer_ref(p.payer)],
    }


def condition(d: Any, protected: bool) -> dict[str, Any]:
    clinical = "resolved" if d.end is not None and d.end <= timezone.localdate() else "active"
    res: dict[str, Any] = {
        "resourceType": "Condition",
        "id": _id("Condition", d.pk),
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": clinical,
                }
            ]
        },
        "verificationStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                    "code": "confirmed",
                }
            ]
        },
        "code": {"coding": [{"system": ICD10, "code": d.code, "display": d.description}]},
        "subject": _ref("Patient", d.person_id),
        "onsetDateTime": d.start.isoformat(),
    }
    if d.end is not None:
        res["abatementDateTime"] = d.end.isoformat()
    return _protect(res, protected)


_PLAN_STATUS: dict[str, str] = {
    PlanStatus.ACTIVE.value: "active",
    PlanStatus.SUPERSEDED.value: "revoked",
    PlanStatus.CLOSED.value: "completed",
    PlanStatus.DRAFT.value: "draft",
}
_GOAL_STATUS = {"active": "active", "achieved": "completed", "changed": "cancelled"}


def care_plan(plan: Plan, protected: bool) -> list[dict[str, Any]]:
    goals = list(plan.goals.all())
    out: list[dict[str, Any]] = []
    for g in goals:
        out.append(
            _protect(
                {
                    "resourceType": "Goal",
                    "id": _id("Goal", g.pk),
                    "lifecycleStatus": _GOAL_STATUS.get(g.status, "active"),
                    "description": {"text": g.own_words},
                    "subject": _ref("Patient", plan.person_id),
                    "expressedBy": _ref("Patient", plan.person_id),
                },
                protected,
            )
        )
    activities = [
        {
            "detail": {
                "kind": "ServiceRequest",
                "code": {"coding": [{"system": HCPCS, "code": "H0038"}], "text": i.activity},
                "status": "in-progress" if plan.status == PlanStatus.ACTIVE else "completed",
                "description": i.description,
                "goal": [_ref("Goal", g.pk)],
            }
        }
        for g in goals
        for i in g.interventions.all()
    ]
    res: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": _id("CarePlan", plan.pk),
        "status": _PLAN_STATUS.get(str(plan.status), "unknown"),
        "intent": "plan",
        "title": f"Person-centered plan, version {plan.version}",
        "subject": _ref("Patient", plan.person_id),
        "period": {"start": plan.start.isoformat(), "end": plan.review_due.isoformat()},
        "goal": [_ref("Goal", g.pk) for g in goals],
    }
    if plan.strengths:
        res["description"] = plan.strengths
    if activities:
        res["activity"] = activities
    return [_protect(res, protected), *out]


_CLASS = {"in_person": ("AMB", "ambulatory"), "audio_video": ("VR", "virtual")}


def encounter(n: ServiceNote, protected: bool) -> dict[str, Any]:
    code, display = _CLASS.get(n.modality, ("VR", "virtual"))
    if n.modality == "in_person" and n.setting in ("home", "community", "natural_environment"):
        code, display = ("FLD", "field") if n.setting != "home" else ("HH", "home health")
    return _protect(
        {
            "resourceType": "Encounter",
            "id": _id("Encounter", n.pk),
            "status": "finished",
            "class": {"system": ACT_CODE, "code": code, "display": display},
            "type": [
                {
                    "coding": [
                        {"system": HCPCS, "code": "H0038", "display": "Self-help/peer services"}
                    ]
                }
            ],
            "subject": _ref("Patient", n.person_id),
            "period": {"start": _local(n.date, n.start_time), "end": _local(n.date, n.end_time)},
            "length": {
                "value": n.minutes,
                "unit": "min",
                "system": "http://unitsofmeasure.org",
                "code": "min",
            },
        },
        protected,
    )


def consent(c: Consent, on: dt.date) -> dict[str, Any]:
    provision: dict[str, Any] = {"type": "permit", "period": {"start": c.effective.isoformat()}}
    last = c.expires
    if c.revoked_on is not None:
        last = min(x for x in (c.expires, c.revoked_on - dt.timedelta(days=1)) if x is not None)
    if last is not None:
        provision["period"]["end"] = last.isoformat()
    provision["purpose"] = [
        {"system": ACT_CODE, "code": {"treatment": "TREAT", "payment": "HPAYMT"}.get(p, "HOPERAT")}
        for p in c.purposes
    ]
    return _protect(
        {
            "resourceType": "Consent",
            "id": _id("Consent", c.pk),
            "status": "active" if c.active_on(on) else "inactive",
            "scope": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                        "code": "patient-privacy",
                    }
                ]
            },
            "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
            "patient": _ref("Patient", c.person_id),
            "dateTime": c.signed_on.isoformat(),
            "organization": [{"display": c.recipient_label}],
            "policyRule": {"coding": [{"system": ACT_CODE, "code": "OPTIN"}]},
            "provision": provision,
        },
        True,
    )


_PRIORITY = {"expedited": "stat", "standard": "normal"}


def pa_claim(a: Authorization) -> dict[str, Any]:
    """The request as a Da Vinci PAS-shaped Claim (use = preauthorization)."""
    return {
        "resourceType": "Claim",
        "id": _id("Claim", a.pk),
        "status": "cancelled" if a.status == AuthStatus.WITHDRAWN else "active",
        "type": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/claim-type",
                    "code": "professional",
                }
            ]
        },
        "use": "preauthorization",
        "patient": _ref("Patient", a.person_id),
        "created": a.requested_at.isoformat(),
        "insurer": _payer_ref(a.payer),
        "provider": _agency_ref(a.person.agency),
        "priority": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/processpriority",
                    "code": _PRIORITY.get(a.urgency, "normal"),
                }
            ]
        },
        "insurance": [{"sequence": 1, "focal": True, "coverage": _ref("Coverage", a.person_id)}],
        "item": [
            {
                "sequence": 1,
                "productOrService": {"coding": [{"system": HCPCS, "code": a.procedure_code}]},
                "servicedPeriod": {"start": a.start.isoformat(), "end": a.end.isoformat()},
                "quantity": {"value": a.units_requested, "unit": "units"},
            }
        ],
    }


def pa_queued(a: Authorization) -> dict[str, Any]:
    """The answer to a request received and waiting for the payer's reviewer: a
    ClaimResponse with outcome `queued` (as a PAS endpoint answers a pended request)."""
    return {
        "resourceType": "ClaimResponse",
        "id": _id("ClaimResponse", a.pk),
        "identifier": [{"system": "urn:peerpath:authorization", "value": str(a.pk)}],
        "status": "active",
        "type": {"coding": [{"system": CLAIM_TYPE, "code": "professional"}]},
        "use": "preauthorization",
        "patient": _ref("Patient", a.person_id),
        "created": a.requested_at.isoformat(),
        "insurer": _payer_ref(a.payer),
        "request": _ref("Claim", a.pk),
        "outcome": "queued",
        "disposition": f"{a.get_status_display()}: sent to the payer for review",
    }


def pa_answer(a: Authorization) -> dict[str, Any]:
    """The decision as a ClaimResponse, or a queued one while the request waits."""
    return pa_response(a) or pa_queued(a)


def pa_response(a: Authorization) -> dict[str, Any] | None:
    """The payer's decision as a ClaimResponse, or None while it is pending."""
    if a.status not in (AuthStatus.APPROVED, AuthStatus.PARTIAL, AuthStatus.DENIED):
        return None
    adjudication = [
        {
            "category": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/adjudication",
                        "code": "eligible" if a.status != AuthStatus.DENIED else "submitted",
                    }
                ]
            },
            "value": float(a.units_approved or 0),
        }
    ]
    res: dict[str, Any] = {
        "resourceType": "ClaimResponse",
        "id": _id("ClaimResponse", a.pk),
        "status": "active",
        "type": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/claim-type",
                    "code": "professional",
                }
            ]
        },
        "use": "preauthorization",
        "patient": _ref("Patient", a.person_id),
        "created": _iso(a.decided_at),
        "insurer": _payer_ref(a.payer),
        "request": _ref("Claim", a.pk),
        "outcome": "complete" if a.status == AuthStatus.APPROVED else "partial",
        "disposition": a.get_status_display(),
        "item": [{"itemSequence": 1, "adjudication": adjudication}],
    }
    if a.number:
        res["preAuthRef"] = a.number
        res["preAuthPeriod"] = {"start": a.start.isoformat(), "end": a.end.isoformat()}
    if a.reason:
        res["disposition"] = f"{a.get_status_display()}: {a.reason}"[:1000]
    return res


# CLP02 of the 835: what the payer did with the claim.
_CLAIM_STATUS = {
    "1": "Processed as primary",
    "2": "Processed as secondary",
    "3": "Processed as tertiary",
    "4": "Denied",
    "19": "Processed as primary, forwarded",
    "22": "Reversal of previous payment",
}
# The adjudication categories we send (the FHIR code system "adjudication").
ADJUDICATION_CATEGORIES = frozenset({"submitted", "eligible", "benefit", "copay", "deductible"})


def _money(value: Any) -> dict[str, Any]:
    return {"value": float(value), "currency": "USD"}


def _adjudication(code: str, amount: Any, reason: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {
        "category": {"coding": [{"system": ADJUDICATION, "code": code}]},
        "amount": _money(amount),
    }
    if reason:
        out["reason"] = {"coding": [{"system": CARC, "code": reason}]}
    return out


def explanation_of_benefit(cp: ClaimPayment, protected: bool) -> dict[str, Any]:
    """A posted remittance (one claim of an 835, with its lines) as an
    ExplanationOfBenefit: what was charged, allowed and paid, line by line, and why a line
    was refused (the CARC)."""
    claim = cp.claim
    items = []
    for n, lp in enumerate(cp.lines.all(), start=1):
        line = lp.line
        adjudication = [_adjudication("submitted", lp.charge)]
        if lp.allowed is not None:
            adjudication.append(_adjudication("eligible", lp.allowed))
        adjudication.append(_adjudication("benefit", lp.paid, lp.denial_reason))
        items.append(
            {
                "sequence": line.line_number or n,
                "productOrService": {"coding": [{"system": HCPCS, "code": line.procedure_code}]},
                "servicedDate": line.service_date.isoformat(),
                "quantity": {"value": float(lp.units_paid)},
                "net": _money(lp.charge),
                "adjudication": adjudication,
            }
        )
    posted = cp.payment.file.posted_at
    res: dict[str, Any] = {
        "resourceType": "ExplanationOfBenefit",
        "id": _id("ExplanationOfBenefit", cp.pk),
        "identifier": [
            {"system": "urn:peerpath:payer-claim-number", "value": cp.payer_claim_number}
        ]
        if cp.payer_claim_number
        else [],
        "status": "active",
        "type": {"coding": [{"system": CLAIM_TYPE, "code": "professional"}]},
        "use": "claim",
        "patient": _ref("Patient", claim.person_id),
        "billablePeriod": {
            "start": claim.first_service_date.isoformat(),
            "end": claim.last_service_date.isoformat(),
        },
        "created": posted.isoformat(),
        "insurer": _payer_ref(claim.payer),
        "provider": _agency_ref(claim.person.agency),
        "outcome": "complete",
        "disposition": _CLAIM_STATUS.get(cp.status_code, f"Claim status {cp.status_code}"),
        "insurance": [{"focal": True, "coverage": _ref("Coverage", claim.person_id)}],
        "total": [
            {
                "category": {"coding": [{"system": ADJUDICATION, "code": "submitted"}]},
                "amount": _money(cp.charge),
            },
            {
                "category": {"coding": [{"system": ADJUDICATION, "code": "benefit"}]},
                "amount": _money(cp.paid),
            },
        ],
        "payment": {"amount": _money(cp.paid)},
    }
    if not res["identifier"]:
        del res["identifier"]
    if cp.payment.paid_on is not None:
        res["payment"]["date"] = cp.payment.paid_on.isoformat()
    if items:
        res["item"] = items
    return _protect(res, protected)


def questionnaire_response(a: Administration, protected: bool) -> dict[str, Any]:
    """An outcome measure as a QuestionnaireResponse (the outcomes export's, with the ids
    and references of this bundle)."""
    res = measure_exports.questionnaire_response(a)
    res["id"] = _id("QuestionnaireResponse", a.pk)
    res["subject"] = _ref("Patient", a.person_id)
    res.pop("author", None)  # staff are not in the bundle
    return _protect(res, protected)


def _claim_is_part2(cp: ClaimPayment, p2_notes: set[int]) -> bool:
    codes_sent = list(cp.claim.diagnosis_codes or [])
    if any(part2.is_part2_code(str(c)) for c in codes_sent):
        return True
    return any(lp.line.note_id in p2_notes for lp in cp.lines.all())


@dataclass
class Export:
    resources: list[dict[str, Any]] = field(default_factory=list)
    part2_included: bool = False
    part2_withheld: int = 0  # for the sender only; never part of the resources


def person_resources(
    person: Person, *, recipient: Payer | None = None, purpose: str = "payment",
    on: dt.date | None = None,
) -> Export:  # fmt: skip
    """The person's record as FHIR resources for `recipient` (the person's payer by default)
    and `purpose`; Part 2 items only under an active consent."""
    day = on or timezone.localdate()
    payer = recipient or person.payer
    allowed = active_consent(person, payer=payer, purpose=purpose, on=day) is not None
    out = Export(resources=[patient(person), coverage(person)])
    diagnoses = list(person.diagnoses.order_by("start", "pk"))
    p2_plans = part2.part2_plan_ids(person)
    p2_notes = part2.part2_note_ids(person)
    for d in diagnoses:
        protected = part2.is_part2_diagnosis(d)
        if protected and not allowed:
            out.part2_withheld += 1
            continue
        out.part2_included |= protected
        out.resources.append(condition(d, protected))
    plans = (
        Plan.objects.filter(person=person)
        .exclude(status=PlanStatus.DRAFT)
        .prefetch_related("goals__interventions")
        .order_by("version")
    )
    for plan in plans:
        protected = plan.pk in p2_plans
        if protected and not allowed:
            out.part2_withheld += 1
            continue
        out.part2_included |= protected
        out.resources.extend(care_plan(plan, protected))
    notes = ServiceNote.objects.filter(person=person).exclude(status=NoteStatus.DRAFT)
    for n in notes.order_by("date", "start_time", "pk"):
        protected = n.pk in p2_notes
        if protected and not allowed:
            out.part2_withheld += 1
            continue
        out.part2_included |= protected
        out.resources.append(encounter(n, protected))
    if allowed:
        for c in Consent.objects.filter(person=person).select_related("recipient_payer"):
            out.part2_included = True
            out.resources.append(consent(c, day))
    auths = Authorization.objects.filter(person=person).select_related("payer", "person__agency")
    for a in auths.order_by("requested_at", "pk"):
        out.resources.append(pa_claim(a))
        response = pa_response(a)
        if response is not None:
            out.resources.append(response)
    remits = (
        ClaimPayment.objects.filter(claim__person=person)
        .select_related("claim__payer", "claim__person__agency", "payment__file")
        .prefetch_related("lines__line")
        .order_by("pk")
    )
    for cp in remits:
        protected = _claim_is_part2(cp, p2_notes)
        if protected and not allowed:
            out.part2_withheld += 1
            continue
        out.part2_included |= protected
        out.resources.append(explanation_of_benefit(cp, protected))
    p2_measures = part2.part2_measure_ids(person)
    measures = Administration.objects.filter(person=person).prefetch_related("answers")
    for m in measures.order_by("date", "pk"):
        protected = m.pk in p2_measures
        if protected and not allowed:
            out.part2_withheld += 1
            continue
        out.part2_included |= protected
        out.resources.append(questionnaire_response(m, protected))
    return out


def bundle(resources: list[dict[str, Any]], kind: str = "collection") -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": kind,
        "timestamp": timezone.now().isoformat(),
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources],
    }


def pas_request_bundle(a: Authorization) -> dict[str, Any]:
    """A prior-authorization request as a Da Vinci PAS-shaped Bundle: the Claim first, then
    the Patient and Coverage it points to."""
    return bundle([pa_claim(a), patient(a.person), coverage(a.person)], kind="collection")


def parse(resource: dict[str, Any]) -> Any:
    """The resource as a fhir.resources R4B model (raises on anything not valid R4)."""
    return get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def _codes(value: Any) -> Iterator[tuple[str | None, str | None]]:
    if isinstance(value, dict):
        if "coding" in value:
            for c in value["coding"]:
                yield c.get("system"), c.get("code")
        elif "code" in value:
            yield value.get("system"), value.get("code")
    elif isinstance(value, str):
        yield None, value


def value_set_problems(resource: dict[str, Any]) -> list[str]:
    """Codes in the resource outside the value sets FHIR binds; ICD-10-CM and HCPCS codes
    that are not valid codes of their systems."""
    kind = resource.get("resourceType", "")
    problems: list[str] = []
    for (rtype, element), allowed in VALUE_SETS.items():
        if rtype == "meta":
            for label in resource.get("meta", {}).get("security", []):
                if label.get("code") not in allowed:
                    problems.append(f"{kind}.meta.security: unknown label {label.get('code')}")
            continue
        if rtype != kind or element not in resource:
            continue
        for _, code in _codes(resource[element]):
            if code not in allowed:
                problems.append(f"{kind}.{element}: {code!r} is not in its value set")
    if kind == "Condition":
        for system, code in _codes(resource.get("code", {})):
            if system != ICD10:
                problems.append(f"Condition.code: system {system} is not ICD-10-CM")
            elif code is None or codes.icd10_problem(code):
                problems.append(f"Condition.code: {code!r} is not a billable ICD-10-CM code")
    for element in ("type", "item"):
        for entry in resource.get(element, []) if isinstance(resource.get(element), list) else []:
            for coding in (entry.get("productOrService") or {}).get("coding", []) + (
                entry.get("coding", []) if kind == "Encounter" else []
            ):
                if coding.get("system") == HCPCS and not _is_hcpcs(coding.get("code", "")):
                    problems.append(f"{kind}.{element}: {coding.get('code')!r} is not HCPCS")
    if kind in ("ExplanationOfBenefit", "ClaimResponse"):
        problems += _adjudication_problems(resource)
    if kind == "QuestionnaireResponse":
        problems += _answer_problems(resource)
    return problems


def _adjudication_problems(resource: dict[str, Any]) -> list[str]:
    """Adjudication categories from the FHIR adjudication code system, reasons as CARCs,
    amounts in dollars."""
    kind = resource["resourceType"]
    problems: list[str] = []
    entries = [
        (f"item[{i}].adjudication", a)
        for i, item in enumerate(resource.get("item", []))
        for a in item.get("adjudication", [])
    ] + [("total", t) for t in resource.get("total", [])]
    for where, entry in entries:
        for system, code in _codes(entry.get("category", {})):
            if system != ADJUDICATION or code not in ADJUDICATION_CATEGORIES:
                problems.append(f"{kind}.{where}.category: {code!r} is not in its value set")
        for system, code in _codes(entry.get("reason", {})) if "reason" in entry else []:
            if system != CARC or not (code or "").isalnum() or len(code or "") > 5:
                problems.append(f"{kind}.{where}.reason: {code!r} is not a CARC")
        amount = entry.get("amount")
        if amount is not None and amount.get("currency") != "USD":
            problems.append(f"{kind}.{where}.amount: currency is not USD")
    return problems


def _answer_problems(resource: dict[str, Any]) -> list[str]:
    """The questionnaire is an instrument PeerPath knows; each coded answer is one of its
    options, to an item it has."""
    from peerpath.outcomes.instruments import instruments

    by_url = {measure_exports.questionnaire_url(i): i for i in instruments().values()}
    inst = by_url.get(resource.get("questionnaire", ""))
    if inst is None:
        return [f"QuestionnaireResponse.questionnaire: {resource.get('questionnaire')!r} unknown"]
    problems: list[str] = []
    system = f"{measure_exports.ANSWER_SYSTEM}{inst.fhir_code}"
    keys = {o.key for o in inst.options}
    items = {str(n) for n in inst.item_numbers}
    for item in resource.get("item", []):
        link = item.get("linkId")
        if link in ("score", "not-done"):
            continue
        if link not in items:
            problems.append(f"QuestionnaireResponse.item: {inst.code} has no item {link!r}")
        for answer in item.get("answer", []):
            coding = answer.get("valueCoding", {})
            if coding.get("system") != system or coding.get("code") not in keys:
                problems.append(
                    f"QuestionnaireResponse.item {link}: {coding.get('code')!r} is not an answer"
                )
    return problems


def _is_hcpcs(code: str) -> bool:
    return len(code) == 5 and code[0].isalpha() and code[1:].isdigit()


def agency_ndjson(agency: Agency, *, purpose: str = "payment") -> dict[str, list[str]]:
    """The agency's people as bulk-data NDJSON, one list of lines per resource type."""
    files: dict[str, list[str]] = {}
    people = Person.objects.filter(agency=agency).select_related("payer", "agency")
    for person in people.order_by("pk").iterator(chunk_size=200):
        for r in person_resources(person, purpose=purpose).resources:
            files.setdefault(r["resourceType"], []).append(json.dumps(r, ensure_ascii=False))
    return files
