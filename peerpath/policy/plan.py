"""Plan requirements, a named engine relation: what the pack (and contract variant)
judging a person on a day asks of their plan: how often it is reviewed, who signs it,
whether it must hold a crisis plan, what the goals must be like, and what the state calls
it. Each figure comes with its citation (which says when it is only assumed) so the plan
builder can show where it comes from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .engine import Citation, citation_for
from .parameters import Pack

READS: dict[str, tuple[str, ...]] = {
    "plan_requirements": (
        "plan.name",
        "plan.review_interval_days",
        "plan.signers",
        "plan.crisis_plan_required",
        "plan.goal_quality",
        "supervision.supervisor_type",
    ),
}

SIGNER_ORDER = ("person", "cpss", "supervisor", "clinician")


@dataclass(frozen=True)
class PlanRequirements:
    """The pack's plan parameters on one day. Without a pack (no state policy covers the
    day) PeerPath asks only for the person's signature and leaves the review date to the
    team."""

    pack_id: str | None
    plan_name: str
    review_days: int | None
    review: Citation | None
    signers: tuple[str, ...]
    signers_cited: Citation | None
    crisis_required: bool
    crisis: Citation | None
    supervisor_type: str
    goal_quality: tuple[str, ...] = ()
    goal_quality_cited: Citation | None = None

    @property
    def measurable(self) -> bool:
        """Each goal must have a measurable step with a target date."""
        return "measurable" in self.goal_quality

    def review_due(self, start: dt.date) -> dt.date | None:
        """The latest review date the pack allows for a plan starting on `start`."""
        if self.review_days is None:
            return None
        return start + dt.timedelta(days=self.review_days)

    def signer_label(self, role: str) -> str:
        from peerpath.plans.models import SignerRole

        if role == SignerRole.SUPERVISOR and self.supervisor_type:
            kind = self.supervisor_type.replace("_", " ")
            return f"Program supervisor ({kind})"
        return str(SignerRole(role).label) if role in SignerRole.values else role


def _pack(person_id: int, on: dt.date) -> Pack | None:
    from .api import pack_in_force

    chosen = pack_in_force(person_id, on)
    return chosen.pack if chosen is not None else None


def _whole_number(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def plan_requirements(person_id: int, on: dt.date) -> PlanRequirements:
    """The plan parameters of the pack (variant) that judges the person's plan starting
    `on`."""
    pack = _pack(person_id, on)
    if pack is None:
        return PlanRequirements(
            pack_id=None,
            plan_name="plan",
            review_days=None,
            review=None,
            signers=("person",),
            signers_cited=None,
            crisis_required=False,
            crisis=None,
            supervisor_type="",
        )
    signers = pack.value("plan.signers", on)
    listed = {str(s) for s in signers} if isinstance(signers, list | tuple) else {"person"}
    name = pack.value("plan.name", on)
    supervisor = pack.value("supervision.supervisor_type", on)
    quality = pack.value("plan.goal_quality", on)
    return PlanRequirements(
        pack_id=pack.id,
        plan_name=str(name) if name else "plan",
        review_days=_whole_number(pack.value("plan.review_interval_days", on)),
        review=citation_for(pack, "plan.review_interval_days", on),
        signers=tuple(s for s in SIGNER_ORDER if s in listed | {"person"}),
        signers_cited=citation_for(pack, "plan.signers", on),
        crisis_required=pack.value("plan.crisis_plan_required", on) is True,
        crisis=citation_for(pack, "plan.crisis_plan_required", on),
        supervisor_type=str(supervisor) if supervisor else "",
        goal_quality=tuple(str(q) for q in quality) if isinstance(quality, list | tuple) else (),
        goal_quality_cited=citation_for(pack, "plan.goal_quality", on),
    )
