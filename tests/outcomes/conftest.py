from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.access.factories import StaffUserFactory, SupervisionFactory
from tests.factories import CaseloadFactory, EpisodeFactory, PayerFactory, PersonFactory


@pytest.fixture(autouse=True)
def no_second_factor(settings):  # type: ignore[no-untyped-def]
    settings.PEERPATH_REQUIRE_2FA = False


def today() -> dt.date:
    return timezone.localdate()


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def client_for(staff) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(staff.user)
    return client


@pytest.fixture
def team(db):  # type: ignore[no-untyped-def]
    """A supervisor, a peer specialist, and one person on the peer's caseload, admitted
    `admitted_days_ago` days ago (120)."""
    peer = StaffUserFactory(role="cpss", hire_date=today() - days(3000))
    qp = SupervisionFactory(
        staff=peer, supervisor__agency=peer.agency, start=today() - days(400)
    ).supervisor
    payer = PayerFactory(state=peer.agency.state)
    person = PersonFactory(agency=peer.agency, payer=payer)
    EpisodeFactory(person=person, start=today() - days(120))
    CaseloadFactory(staff=peer, person=person, start=today() - days(120))
    return {"peer": peer, "qp": qp, "person": person, "payer": payer}
