"""Reads for utilization review: the queue of requests before a payer and what a reviewer
needs on one request's page, in a fixed number of queries whatever the queue's size.

Decision timeframes are the pack's `decision.expedited_hours` and `decision.standard_days`,
read from the pack in force (for the payer's state) on the day the request was received:
CMS-0057-F's 72 hours / 7 calendar days apply to requests from 2026-01-01 and are never
written here as numbers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from peerpath.core.formatting import day
from peerpath.people.models import Assessment, Person, ServiceOrder
from peerpath.people.selectors import Chart, person_chart
from peerpath.policy.api import (
    RECORD_FOR,
    Citation,
    Criterion,
    Determination,
    Figure,
    Pack,
    Timeframe,
    continued_stay_criteria,
    decision_timeframes,
    determine_eligibility,
    figure,
    pack_in_force,
)
from peerpath.staff.models import StaffMember

from .models import Authorization, AuthStatus


@dataclass(frozen=True)
class Clock:
    """When a decision on a request is due, by the pack in force on the day it came in."""

    pack_id: str | None
    due: dt.datetime | None
    timeframe: str  # e.g. "72 hours (expedited)"; "" when no timeframe applies
    citation: Citation | None
    now: dt.datetime
    decided_at: dt.datetime | None = None

    @property
    def left(self) -> dt.timedelta | None:
        if self.due is None:
            return None
        return self.due - (self.decided_at or self.now)

    @property
    def overdue(self) -> bool:
        left = self.left
        return left is not None and left < dt.timedelta(0)

    @property
    def left_text(self) -> str:
        """ "1 day 4 h left", "overdue by 5 h", "" without a due time."""
        left = self.left
        if left is None:
            return ""
        text = _span(abs(left))
        if self.decided_at is not None:
            return f"decided {text} late" if left < dt.timedelta(0) else "decided in time"
        return f"overdue by {text}" if left < dt.timedelta(0) else f"{text} left"


def _span(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''} {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min"


def pack_for(auth: Authorization, on: dt.date) -> Pack | None:
    """The pack (contract variant) judging the authorization's person on `on`."""
    chosen = pack_in_force(auth.person_id, on)
    return chosen.pack if chosen is not None else None


def decision_clock(auth: Authorization, *, now: dt.datetime) -> Clock:
    """The due time of `auth` from the engine's decision timeframe for the person on the
    (local) day it was received."""
    return decision_clocks([auth], now=now)[0]


def decision_clocks(auths: list[Authorization], *, now: dt.datetime) -> list[Clock]:
    """The clocks of many requests, with one run of the engine's relation."""
    received = [timezone.localtime(a.requested_at).date() for a in auths]
    frames = decision_timeframes(
        [
            (a.person_id, day, a.urgency == "expedited")
            for a, day in zip(auths, received, strict=True)
        ]
    )
    return [_clock(a, f, now) for a, f in zip(auths, frames, strict=True)]


def _clock(auth: Authorization, frame: Timeframe | None, now: dt.datetime) -> Clock:
    decided = auth.decided_at if auth.status != AuthStatus.REQUESTED else None
    if frame is None:
        return Clock(None, None, "", None, now, decided)
    if frame.delta is None:
        return Clock(frame.pack_id, None, "", frame.citation, now, decided)
    return Clock(
        frame.pack_id, auth.requested_at + frame.delta, frame.words, frame.citation, now, decided
    )


@dataclass(frozen=True)
class QueueRow:
    authorization: Authorization
    clock: Clock


def pending_for(reviewer: StaffMember) -> QuerySet[Authorization]:
    """Requests waiting for a decision before the reviewer's payer (none without a payer)."""
    if reviewer.payer_id is None:
        return Authorization.objects.none()
    return Authorization.objects.filter(
        payer_id=reviewer.payer_id, status=AuthStatus.REQUESTED
    ).select_related("person", "payer")


def review_queue(reviewer: StaffMember, *, now: dt.datetime) -> list[QueueRow]:
    """The reviewer's pending requests, soonest due first (requests without a timeframe
    after those with one, oldest first). One query."""
    auths = list(pending_for(reviewer))
    rows = [QueueRow(a, c) for a, c in zip(auths, decision_clocks(auths, now=now), strict=True)]
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    rows.sort(key=lambda r: (r.clock.due or far, r.authorization.requested_at, r.authorization.pk))
    return rows


@dataclass
class RequestReview:
    authorization: Authorization
    person: Person
    chart: Chart
    assessment: Assessment | None
    needs: list[str]
    service_order: ServiceOrder | None
    determination: Determination | None
    clock: Clock
    prior: list[Any]  # AuthorizationUse of the person's other authorizations
    # 42 CFR Part 2: what of the record identifies a substance use disorder, and whether the
    # person's consent lets it go to this payer for payment.
    part2_consent: Any = None
    part2_withheld: str = ""
    # For a continued stay: the continued-stay criteria, judged on the request itself.
    stay: list[Criterion] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """Criteria by status, keyed met, not_met and missing (usable in templates)."""
        found = {"met": 0, "not_met": 0, "missing": 0}
        for c in self.criteria:
            found[c.status.replace(" ", "_")] += 1
        return found

    @property
    def criteria(self) -> list[Criterion]:
        found = self.determination.criteria if self.determination is not None else []
        return [*found, *self.stay]

    @property
    def unmet(self) -> list[Criterion]:
        return [c for c in self.criteria if c.status != "met"]


def request_review(auth: Authorization, *, now: dt.datetime) -> RequestReview:
    """What the reviewer weighs: the record summary as of the requested start date, the
    pack's eligibility and entrance criteria on that date, and the decision clock."""
    person = auth.person
    chart = person_chart(person, on=auth.start, recent_notes=0)
    assessment = person.assessments.order_by("-date", "-pk").first()
    service_order = person.service_orders.order_by("-signed_on", "-pk").first()
    pack = pack_for(auth, auth.start)
    needs: list[str] = []
    if assessment is not None:
        labels = _needs_labels(pack, auth.start)
        needs = [labels.get(code, code.replace("_", " ")) for code in assessment.needs_areas]
    determination, stay = request_criteria(auth)
    return RequestReview(
        authorization=auth,
        person=person,
        chart=chart,
        assessment=assessment,
        needs=needs,
        service_order=service_order,
        determination=determination,
        clock=decision_clock(auth, now=now),
        prior=[u for u in chart.authorizations if u.authorization.pk != auth.pk],
        stay=stay,
    )


def request_criteria(auth: Authorization) -> tuple[Determination | None, list[Criterion]]:
    """The engine's eligibility decision on the requested start date and, for a continued
    stay, the continued-stay criteria judged on the request itself."""
    determination = determine_eligibility(auth.person_id, on=auth.start)
    stay: list[Criterion] = []
    if auth.kind == "concurrent" and determination is not None:
        stay = continued_stay_criteria(
            auth.person_id,
            start=auth.start,
            end=auth.end,
            on=timezone.localtime(auth.requested_at).date(),
        )
    return determination, stay


def _needs_labels(pack: Pack | None, on: dt.date) -> dict[str, str]:
    if pack is None or "eligibility.needs_areas" not in pack.parameters:
        return {}
    try:
        areas = pack.value("eligibility.needs_areas", on)
    except LookupError:
        return {}
    labels: dict[str, str] = {}
    if isinstance(areas, list | tuple):
        for area in areas:
            if hasattr(area, "get") and area.get("code"):
                labels[str(area["code"])] = str(area.get("label") or area["code"])
    return labels


def suggested_reason(criteria: list[Criterion]) -> str:
    """A starting point for a denial: each criterion not met or missing, with its evidence
    and source. The reviewer edits it into the specific reason."""
    lines = []
    for c in criteria:
        if c.status == "met":
            continue
        evidence = f": {c.evidence}" if c.evidence else ""
        lines.append(f"{c.title} ({c.status}){evidence}. Source: {c.citation.short()}.")
    return "\n".join(lines)


# ---- evidence attached by the provider, shown against each criterion ------------------------


def attached_evidence(auth: Authorization) -> dict[str, list[str]]:
    """The records attached to a request, in plain words, by the record kind a criterion
    reads (`RECORD_FOR`): assessments, service_orders, diagnoses, notes, plans."""
    out: dict[str, list[str]] = {}
    if auth.assessment is not None:
        a = auth.assessment
        necessity = "shows" if a.medical_necessity else "does not show"
        out["assessments"] = [
            f"CCA of {day(a.date)} by {a.author_name}, {a.author_credential} "
            f"({necessity} medical necessity)"
        ]
    if auth.service_order is not None:
        o = auth.service_order
        out["service_orders"] = [
            f"Service order for {o.procedure_code} signed {day(o.signed_on)} by {o.signed_by}, "
            f"{o.credential}"
        ]
    if auth.plan is not None:
        out["plans"] = [f"Plan version {auth.plan.version} from {day(auth.plan.start)}"]
    notes = list(auth.progress_notes.order_by("date"))
    if notes:
        out["notes"] = [
            f"{len(notes)} signed note{'s' if len(notes) != 1 else ''} from "
            f"{day(notes[0].date)} to {day(notes[-1].date)}"
        ]
    return out


@dataclass(frozen=True)
class CriterionRow:
    criterion: Criterion
    attached: list[str]


def criteria_rows(review: RequestReview) -> list[CriterionRow]:
    attached = attached_evidence(review.authorization)
    return [
        CriterionRow(c, attached.get(RECORD_FOR.get(c.rule_id, ""), [])) for c in review.criteria
    ]


def next_request(reviewer: StaffMember, *, now: dt.datetime) -> Authorization | None:
    """The request the reviewer should take next: the soonest due in their queue."""
    rows = review_queue(reviewer, now=now)
    return rows[0].authorization if rows else None


# ---- the notice of decision ------------------------------------------------------------------

APPEAL_KEYS = (
    "appeal.request_days",
    "appeal.standard_resolution_days",
    "appeal.expedited_resolution_hours",
    "appeal.state_fair_hearing_days",
    "appeal.continue_benefits_days",
)


@dataclass(frozen=True)
class Notice:
    authorization: Authorization
    person: Person
    on: dt.date
    adverse: bool
    appeal: dict[str, Figure]  # key without "appeal." -> the cited figure
    appeal_by: dt.date | None
    continue_by: dt.date | None


def notice(auth: Authorization) -> Notice:
    """What the notice of a decision says, with the appeal timeframes of the pack in force
    for the person on the day of the decision (42 CFR 438.404 lists what it must say)."""
    if auth.decided_at is None:
        raise ValueError("A notice is written once the request is decided.")
    on = timezone.localtime(auth.decided_at).date()
    appeal: dict[str, Figure] = {}
    for key in APPEAL_KEYS:
        fig = figure(auth.person_id, key, on)
        if fig is not None and isinstance(fig.value, int):
            appeal[key.removeprefix("appeal.")] = fig
    adverse = auth.status in (AuthStatus.DENIED, AuthStatus.PARTIAL)
    request_days = appeal.get("request_days")
    cont = appeal.get("continue_benefits_days")
    return Notice(
        authorization=auth,
        person=auth.person,
        on=on,
        adverse=adverse,
        appeal=appeal,
        appeal_by=on + dt.timedelta(days=int(str(request_days.value))) if request_days else None,
        continue_by=on + dt.timedelta(days=int(str(cont.value))) if cont else None,
    )
