"""The person banner: who this is and what needs care, at the top of every page about one
person. The pack in force and the units come from the policy engine (peerpath.policy.api);
nothing here decides policy. A fixed number of queries, whatever the size of the record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch

from peerpath.authorizations.models import Authorization
from peerpath.consent.models import Consent
from peerpath.consent.part2 import sud_diagnoses
from peerpath.core import formatting as fmt
from peerpath.plans.models import Plan
from peerpath.policy.api import PackInForce, authorization_units, pack_in_force
from peerpath.schedule.models import Appointment, AppointmentStatus
from peerpath.services.selectors import Attention, _attention, current_plan

from .models import Person

MISSED_DAYS = 30
MISSED_ALERT = 2  # missed appointments (no-shows and cancellations) in MISSED_DAYS


@dataclass
class Banner:
    person: Person
    on: dt.date
    age: int
    pack: PackInForce | None
    plan: Plan | None
    authorization: Authorization | None
    units_left: int | None
    consents: list[str] = field(default_factory=list)
    alerts: list[Attention] = field(default_factory=list)
    discharged: dt.date | None = None

    @property
    def review_overdue(self) -> bool:
        return self.plan is not None and self.plan.review_due < self.on


def person_banner(person: Person, *, on: dt.date, agency_staff: bool = True) -> Banner:
    """The banner of `person` on `on`. `agency_staff=False` (payer staff) leaves out the
    flags that would tell that the person has a substance use disorder (42 CFR Part 2)."""
    person = (
        Person.objects.select_related("payer")
        .prefetch_related(
            Prefetch(
                "plans",
                queryset=Plan.objects.select_related("crisis_plan").order_by("-version"),
            )
        )
        .get(pk=person.pk)
    )
    plan = current_plan(list(person.plans.all()), on)
    # Every authorization is counted (as the chart does), so that the number of queries does
    # not depend on whether one covers today.
    auths = list(Authorization.objects.filter(person=person).order_by("-start"))
    counted = authorization_units([a.pk for a in auths], on=on)
    auth = next(
        (a for a in auths if a.status in ("approved", "partial") and a.start <= on <= a.end),
        None,
    )
    left = None
    if auth is not None and auth.units_approved is not None:
        left = counted[auth.pk].left
    banner = Banner(
        person=person,
        on=on,
        age=person.age_on(on),
        pack=pack_in_force(person.pk, on),
        plan=plan,
        authorization=auth,
        units_left=left,
        alerts=_attention(plan, auth, left, on),
    )
    episode = person.episodes.order_by("-start").only("end").first()
    if episode is not None and episode.end is not None and episode.end <= on:
        banner.discharged = episode.end
        banner.alerts.insert(0, Attention(f"Discharged {fmt.day_short(episode.end)}", "info"))
    missed = Appointment.objects.filter(
        person=person,
        date__gte=on - dt.timedelta(days=MISSED_DAYS),
        date__lte=on,
        status__in=(AppointmentStatus.NO_SHOW, AppointmentStatus.CANCELLED),
    ).count()
    if missed >= MISSED_ALERT:
        banner.alerts.append(
            Attention(f"{missed} missed or cancelled appointments in {MISSED_DAYS} days")
        )
    if agency_staff:
        banner.consents = _consent_flags(person, on)
    return banner


def _consent_flags(person: Person, on: dt.date) -> list[str]:
    """Plain flags: whom the person's substance use records may go to, and for what."""
    if not sud_diagnoses(person).exists():
        return []
    flags = []
    for c in Consent.objects.filter(person=person).select_related("recipient_payer"):
        if (
            c.effective <= on
            and (c.expires is None or on <= c.expires)
            and (c.revoked_on is None or on < c.revoked_on)
        ):
            who = c.recipient_payer.name if c.recipient_payer else c.recipient_name
            flags.append(f"Part 2 consent: {who} ({', '.join(c.purposes)})")
    return flags or ["Part 2: no consent on file to share substance use records"]
