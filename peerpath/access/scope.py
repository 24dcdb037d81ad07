"""Who may see whom: roles and the people in each user's scope (minimum necessary).

| role | sees |
|---|---|
| cpss | people on their caseload that day, plus people with an unexpired break-glass grant |
| supervisor, mhp | people on the caseloads of the peer specialists they supervise that day (and on
  their own caseload), plus their own break-glass grants |
| billing, auditor, admin | every person of their agency (an auditor who works for a payer and
  no agency: that payer's members) |
| um_reviewer | people with an authorization request before the reviewer's payer |
| anyone else | no one |

A Django superuser counts as admin and, being the site administrator, sees every person.
Staff whose employment has ended (end_date before the day) see no one.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from peerpath.authorizations.models import Authorization
from peerpath.people.models import Person
from peerpath.staff.models import CaseloadAssignment, Role, StaffMember, SupervisionAssignment

from .capabilities import Cap, has
from .models import BreakGlassGrant

User = AbstractBaseUser | AnonymousUser | None

CLINICAL_ROLES = frozenset({Role.CPSS.value, Role.SUPERVISOR.value, Role.MHP.value})
SUPERVISING_ROLES = frozenset({Role.SUPERVISOR.value, Role.MHP.value})
AGENCY_WIDE_ROLES = frozenset({Role.BILLING.value, Role.AUDITOR.value, Role.ADMIN.value})
# What each role may *do* (change a record, read narratives, break the glass) is in the
# permission registry, `peerpath.access.capabilities`; this module says *whom* they see.


def is_signed_in(user: User) -> bool:
    return bool(user is not None and user.is_authenticated and getattr(user, "is_active", True))


def staff_of(user: User) -> StaffMember | None:
    """The user's staff record, or None (anonymous users, users without one)."""
    if not is_signed_in(user):
        return None
    try:
        staff: StaffMember = user.staff  # type: ignore[union-attr]
    except (StaffMember.DoesNotExist, AttributeError):
        return None
    return staff


def role_of(user: User) -> str | None:
    """The user's role (a `Role` value); "admin" for a superuser; None for no role."""
    if not is_signed_in(user):
        return None
    if getattr(user, "is_superuser", False):
        return Role.ADMIN.value
    staff = staff_of(user)
    return str(staff.role) if staff is not None else None


def _today() -> dt.date:
    return timezone.localdate()


def employed_on(staff: StaffMember, day: dt.date) -> bool:
    return staff.end_date is None or staff.end_date >= day


def _active_on(day: dt.date) -> Q:
    return Q(start__lte=day) & (Q(end__isnull=True) | Q(end__gte=day))


def _grants(staff: StaffMember, at: dt.datetime) -> QuerySet[BreakGlassGrant]:
    """The staff member's break-glass grants in force at `at`."""
    if staff.user_id is None:
        return BreakGlassGrant.objects.none()
    return BreakGlassGrant.objects.filter(
        user_id=staff.user_id, granted_at__lte=at, expires_at__gt=at
    )


def people_visible_to(user: User, *, on: dt.date | None = None) -> QuerySet[Person]:
    """The people `user` may see on day `on` (today by default). Break-glass grants count
    while they are unexpired now."""
    day = on or _today()
    none = Person.objects.none()
    if not is_signed_in(user):
        return none
    if getattr(user, "is_superuser", False):
        return Person.objects.all()
    staff = staff_of(user)
    if staff is None or not employed_on(staff, day):
        return none
    role = staff.role
    if role in CLINICAL_ROLES:
        if staff.agency_id is None:
            return none
        if role in SUPERVISING_ROLES:
            supervisees = SupervisionAssignment.objects.filter(
                _active_on(day), supervisor=staff
            ).values("staff_id")
            caseload = CaseloadAssignment.objects.filter(_active_on(day)).filter(
                Q(staff_id__in=supervisees) | Q(staff=staff)
            )
        else:
            caseload = CaseloadAssignment.objects.filter(_active_on(day), staff=staff)
        granted = _grants(staff, timezone.now()).values("person_id")
        return Person.objects.filter(
            Q(pk__in=caseload.values("person_id")) | Q(pk__in=granted),
            agency_id=staff.agency_id,
        )
    if role in AGENCY_WIDE_ROLES:
        if staff.agency_id is not None:
            return Person.objects.filter(agency_id=staff.agency_id)
        if role == Role.AUDITOR and staff.payer_id is not None:
            return Person.objects.filter(payer_id=staff.payer_id)
        return none
    if role == Role.UM_REVIEWER:
        if staff.payer_id is None:
            return none
        before_payer = Authorization.objects.filter(payer_id=staff.payer_id).values("person_id")
        return Person.objects.filter(pk__in=before_payer)
    return none


def whole_agency_of(user: User, *, on: dt.date | None = None) -> int | None:
    """The agency whose people are exactly the people `user` sees on day `on` (agency-wide
    staff in employment), or None when `people_visible_to` is any other set. Lets a screen
    read figures kept per agency instead of counting over the people."""
    if not is_signed_in(user) or getattr(user, "is_superuser", False):
        return None
    staff = staff_of(user)
    if staff is None or staff.agency_id is None or staff.role not in AGENCY_WIDE_ROLES:
        return None
    if not employed_on(staff, on or _today()):
        return None
    return int(staff.agency_id)


def can_view_person(user: User, person: Person, *, on: dt.date | None = None) -> bool:
    return people_visible_to(user, on=on).filter(pk=person.pk).exists()


def can_change_person(user: User, person: Person, *, on: dt.date | None = None) -> bool:
    """May change the person's record. Auditors and UM reviewers never change records;
    billing staff change nothing clinical."""
    return has(user, Cap.CHANGE_RECORD) and can_view_person(user, person, on=on)


def can_see_narratives(user: User, person: Person | None = None) -> bool:
    """May read what notes say (interventions, responses, plans in the person's words).

    Billing staff never do. Without `person`: whether the role ever may; with `person`: for
    that person (every role needs the person in scope, UM reviewers included)."""
    if not has(user, Cap.READ_NARRATIVES):
        return False
    if person is None:
        return True
    return can_view_person(user, person)


def can_break_glass(user: User) -> bool:
    return has(user, Cap.BREAK_GLASS)
