"""Factories for access tests: staff members who can sign in, supervision spans."""

from __future__ import annotations

import datetime as dt

import factory

from peerpath.staff.models import SupervisionAssignment
from tests.factories import StaffFactory, UserFactory


class StaffUserFactory(StaffFactory):
    """A staff member with a user account."""

    user = factory.SubFactory(UserFactory)


class SupervisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupervisionAssignment

    supervisor = factory.SubFactory(StaffUserFactory, role="supervisor", credential="QP")
    staff = factory.SubFactory(
        StaffUserFactory, agency=factory.SelfAttribute("..supervisor.agency")
    )
    start = dt.date(2026, 3, 2)
