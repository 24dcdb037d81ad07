"""What the API reads and answers (pydantic models, shown in the OpenAPI)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, Schema
from pydantic import field_validator

# A record id as the database holds it.
RecordId = Annotated[int, Field(ge=1, le=2**31 - 1)]


def _local_time(value: dt.time) -> dt.time:
    if value.tzinfo is not None:
        raise ValueError("A local time of day (the agency's), without a time zone.")
    return value


class FieldError(Schema):
    field: str = Field(description="The field at fault: a body field, a query parameter.")
    message: str


class Problem(Schema):
    """An error, as application/problem+json (RFC 9457)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    errors: list[FieldError] = []


class TokenInfo(Schema):
    name: str
    prefix: str
    capabilities: list[str] = Field(description="What the token may do now.")
    expires_at: dt.datetime
    user: str


class PayerOut(Schema):
    id: int
    name: str
    payer_id: str


class PersonSummary(Schema):
    id: int
    display_name: str
    first_name: str
    last_name: str
    date_of_birth: dt.date
    medicaid_id: str
    payer: PayerOut


class PersonPage(Schema):
    items: list[PersonSummary]
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` for the next page; null on the last page."
    )


class DiagnosisOut(Schema):
    id: int
    code: str
    description: str
    is_primary: bool
    start: dt.date
    end: dt.date | None


class CoverageOut(Schema):
    payer: PayerOut
    medicaid_id: str


class PersonDetail(PersonSummary):
    preferred_name: str
    pronouns: str
    sex: str
    coverage: CoverageOut
    diagnoses: list[DiagnosisOut]
    part2_withheld: bool = Field(
        description="Some records are protected by 42 CFR Part 2 and were left out: there is "
        "no consent to share them with your organization."
    )


class ObjectiveOut(Schema):
    id: int
    description: str
    target_date: dt.date | None


class InterventionOut(Schema):
    id: int
    activity: str
    description: str
    frequency: str


class GoalOut(Schema):
    id: int
    order: int
    own_words: str
    whole_health_factor: str
    status: str
    objectives: list[ObjectiveOut]
    interventions: list[InterventionOut]


class PlanOut(Schema):
    id: int
    version: int
    status: str
    start: dt.date
    review_due: dt.date
    strengths: str
    goals: list[GoalOut]


class NoteOut(Schema):
    id: int
    person_id: int
    staff_id: int
    date: dt.date
    start_time: str = Field(
        pattern=r"^\d{2}:\d{2}(:\d{2})?$", description="Local time of day (the agency's), HH:MM:SS."
    )
    end_time: str = Field(pattern=r"^\d{2}:\d{2}(:\d{2})?$", description="Local time of day.")
    minutes: int
    kind: str
    modality: str
    setting: str
    activity: str
    goal_id: int | None
    intervention_id: int | None
    status: str
    signed_at: dt.datetime | None
    intervention_text: str | None = Field(None, description="Null without read_narratives.")
    purpose: str | None = None
    response: str | None = None
    next_steps: str | None = None


class NotePage(Schema):
    items: list[NoteOut]
    next_cursor: str | None = None


class NoteIn(Schema):
    date: dt.date
    start_time: dt.time
    end_time: dt.time
    intervention_id: int = Field(description="The plan intervention the note is about.")
    modality: str = "in_person"
    setting: str = "community"
    intervention_text: str = Field("", max_length=10000)
    purpose: str = Field("", max_length=10000)
    response: str = Field("", max_length=10000)
    next_steps: str = Field("", max_length=10000)

    _times = field_validator("start_time", "end_time")(_local_time)


class FindingOut(Schema):
    rule_id: str
    severity: str = Field(description="deny, warn or info")
    category: str
    title: str
    explanation: str
    fix: str
    citation: str
    assumed: bool


class RefusalOut(Schema):
    field: str = Field(description="The note field it is about (as in NoteIn).")
    message: str


class CheckOut(Schema):
    allowed_to_sign: bool = Field(
        description="Signing would refuse nothing and no finding denies the note."
    )
    refusals: list[RefusalOut] = Field(
        description="What signing would refuse, as the note page says it: an empty "
        "narrative, a future date, an end before the start, a date outside the person's "
        "episodes of care."
    )
    findings: list[FindingOut]


class AuthorizationOut(Schema):
    id: int
    person_id: int
    payer: PayerOut
    number: str
    kind: str
    urgency: str
    procedure_code: str
    requested_at: dt.datetime
    units_requested: int
    start: dt.date
    end: dt.date
    status: str
    units_approved: int | None
    units_used: int | None = Field(None, description="Signed notes' units within its dates.")
    units_left: int | None = None
    decided_at: dt.datetime | None
    reason: str


class AuthorizationRequestIn(Schema):
    units_requested: int = Field(ge=1, le=100000)
    start: dt.date
    end: dt.date
    kind: str = Field("initial", description="initial or concurrent")
    urgency: str = Field("standard", description="standard or expedited")
    provider_note: str = Field(
        "",
        max_length=5000,
        description="What the reviewer should know; for an expedited request, why waiting "
        "could harm the person's health or recovery (required then).",
    )


class DecisionIn(Schema):
    status: str = Field(description="approved, partial or denied")
    units_approved: int | None = Field(None, ge=1, le=100000)
    number: str = Field("", max_length=30)
    reason: str = Field("", max_length=5000)


class SignIn(Schema):
    sign_reason: str = Field(
        "",
        max_length=2000,
        description="Why you sign although a finding would stop the note being paid (then "
        "the note goes to your supervisor's review). Not needed otherwise.",
    )


# ---- group sessions ----------------------------------------------------------------------


class GroupAttendeeOut(Schema):
    person_id: int
    display_name: str
    checked_in_at: dt.datetime | None
    note_id: int | None = Field(None, description="The attendee's note in this group, if any.")
    note_status: str | None = None


class GroupOut(Schema):
    id: int
    topic: str
    date: dt.date
    start_time: str = Field(pattern=r"^\d{2}:\d{2}(:\d{2})?$", description="Local time of day.")
    end_time: str = Field(pattern=r"^\d{2}:\d{2}(:\d{2})?$", description="Local time of day.")
    modality: str
    setting: str
    activity: str
    facilitator_ids: list[int]
    attendee_count: int = Field(description="Everyone checked in, seen or not.")
    attendees: list[GroupAttendeeOut] | None = Field(
        None,
        description="The attendees in your scope (only when one group is read; null in lists).",
    )
    shared_narrative: str | None = Field(None, description="Null without read_narratives.")


class GroupPage(Schema):
    items: list[GroupOut]
    next_cursor: str | None = None


class GroupIn(Schema):
    topic: str = Field(min_length=1, max_length=200)
    date: dt.date
    start_time: dt.time
    end_time: dt.time
    activity: str = Field("skills_group", max_length=30)
    modality: str = Field("in_person", max_length=20)
    setting: str = Field("community", max_length=30)
    co_facilitator_ids: list[RecordId] = Field(
        [], max_length=10, description="Peer specialists of your agency leading it with you."
    )

    _times = field_validator("start_time", "end_time")(_local_time)


class CheckInIn(Schema):
    person_ids: list[RecordId] = Field(min_length=1, max_length=100)


# ---- findings ----------------------------------------------------------------------------


class PersonFindingOut(FindingOut):
    subject_type: str
    subject_id: int
    date: dt.date | None
    evidence: str
    pack_id: str


class FindingPage(Schema):
    items: list[PersonFindingOut]
    next_cursor: str | None = None


# ---- claims ------------------------------------------------------------------------------


class HoldOut(Schema):
    rule_id: str
    title: str
    fix: str
    citation: str


class ClaimLineOut(Schema):
    id: int
    claim_id: int | None
    note_id: int
    service_date: dt.date
    procedure_code: str
    modifiers: list[str]
    units: int
    charge: str = Field(description="Dollars, as a decimal string.")
    status: str = Field(description="ready, held, submitted, paid, partly_paid, denied or void")
    paid_amount: str | None
    authorization_number: str
    holds: list[HoldOut] = Field(description="What holds the line back, with the fix.")


class ClaimLinePage(Schema):
    items: list[ClaimLineOut]
    next_cursor: str | None = None


class ClaimPaymentOut(Schema):
    id: int
    status_code: str = Field(description="CLP02 of the 835.")
    charge: str
    paid: str
    person_share: str
    payer_claim_number: str
    paid_on: dt.date | None
    trace_number: str


class ClaimOut(Schema):
    id: int
    payer: PayerOut
    patient_control_number: str
    payer_claim_number: str
    frequency: str = Field(description="1 original, 7 replacement, 8 void")
    first_service_date: dt.date
    last_service_date: dt.date
    total_charge: str
    status: str = Field(
        description="submitted, paid, partly_paid, denied, replaced or voided",
    )
    created_at: dt.datetime
    lines: list[ClaimLineOut]
    payments: list[ClaimPaymentOut]


class ClaimPage(Schema):
    items: list[ClaimOut]
    next_cursor: str | None = None


# ---- outcome measures --------------------------------------------------------------------


class MeasureAnswerOut(Schema):
    item: int
    value: int | None
    not_applicable: bool


class MeasureOut(Schema):
    id: int
    person_id: int
    instrument: str
    occasion: str
    date: dt.date
    status: str
    mode: str
    total: float | None
    reached: bool | None = Field(description="The instrument's threshold reached, if it has one.")
    domain_means: dict[str, float | None]
    units_before: int | None
    staff_id: int | None
    answers: list[MeasureAnswerOut]


class MeasurePage(Schema):
    items: list[MeasureOut]
    next_cursor: str | None = None


class MeasureIn(Schema):
    instrument: str = Field(max_length=30, description="BARC-10, MHSIP-ACS ...")
    date: dt.date
    occasion: str = Field("other", description="admission, follow_up, discharge or other")
    mode: str = Field("paper", description="phone, paper or interview")
    answers: dict[str, str] = Field(
        description="Item number -> the answer's key, as the instrument defines them "
        '("" leaves an item unanswered).',
    )
