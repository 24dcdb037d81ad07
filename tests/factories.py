"""Factories for test data: a small, valid NC agency by default."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from peerpath.authorizations.models import Authorization
from peerpath.core.codes import npi_with_check_digit
from peerpath.organizations.models import Agency, ContractRate, Payer, PayerContract, Site
from peerpath.people.models import Assessment, Diagnosis, Episode, Person, ServiceOrder
from peerpath.plans.models import CrisisPlan, Goal, Intervention, Plan
from peerpath.services.models import GroupSession, ServiceNote
from peerpath.staff.models import CaseloadAssignment, Certification, StaffMember

TZ = dt.UTC


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Hope Street Peer Center {n}")
    state = "NC"
    npi = factory.Sequence(lambda n: npi_with_check_digit(f"{123400000 + n:09d}"))
    tax_id = "561234567"


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    agency = factory.SubFactory(AgencyFactory)
    name = factory.Sequence(lambda n: f"Main Street office {n}")


class PayerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payer

    name = factory.Sequence(lambda n: f"Blue Ridge Health Partners {n}")
    payer_id = factory.Sequence(lambda n: f"BRHP{n}")
    state = "NC"


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PayerContract

    agency = factory.SubFactory(AgencyFactory)
    payer = factory.SubFactory(PayerFactory)
    number = factory.Sequence(lambda n: f"C-{n:04d}")
    start = dt.date(2019, 11, 1)


class RateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContractRate

    contract = factory.SubFactory(ContractFactory)
    start = dt.date(2019, 11, 1)
    rate_per_unit = Decimal("11.97")
    source = "LME-MCO fee schedule 2019"


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffMember

    role = "cpss"
    first_name = factory.Sequence(lambda n: f"Sam{n}")
    last_name = "Rivera"
    credential = "CPSS"
    agency = factory.SubFactory(AgencyFactory)
    npi = factory.Sequence(lambda n: npi_with_check_digit(f"{155500000 + n:09d}"))
    hire_date = dt.date(2024, 1, 8)


class CertificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certification

    staff = factory.SubFactory(StaffFactory)
    kind = "NC Certified Peer Support Specialist"
    start = dt.date(2023, 12, 1)
    end = dt.date(2027, 12, 1)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    agency = factory.SubFactory(AgencyFactory)
    payer = factory.SubFactory(PayerFactory)
    first_name = factory.Sequence(lambda n: f"Alex{n}")
    last_name = "Morgan"
    date_of_birth = dt.date(1985, 4, 2)
    medicaid_id = factory.Sequence(lambda n: f"{900000000 + n:09d}T")


class EpisodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Episode

    person = factory.SubFactory(PersonFactory)
    start = dt.date(2026, 3, 2)


class DiagnosisFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Diagnosis

    person = factory.SubFactory(PersonFactory)
    code = "F33.1"
    description = "Major depressive disorder, recurrent, moderate"
    category = "MH"
    is_primary = True
    start = dt.date(2025, 1, 1)


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    person = factory.SubFactory(PersonFactory)
    date = dt.date(2026, 2, 20)
    author_name = "Dana Lee"
    author_credential = "LCSW"
    medical_necessity = True
    needs_areas = factory.LazyFunction(lambda: ["symptom_skills", "daily_living"])


class ServiceOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceOrder

    person = factory.SubFactory(PersonFactory)
    signed_by = "Pat Chen"
    credential = "MD"
    signed_on = dt.date(2026, 2, 25)


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan

    person = factory.SubFactory(PersonFactory)
    status = "active"
    start = dt.date(2026, 3, 2)
    review_due = dt.date(2027, 3, 1)


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Goal

    plan = factory.SubFactory(PlanFactory)
    own_words = "I want to get my own apartment by spring."


class InterventionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Intervention

    goal = factory.SubFactory(GoalFactory)
    activity = "peer_mentoring"
    description = "Share my own experience of finding housing; practice calls to landlords."


class CrisisPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CrisisPlan

    plan = factory.SubFactory(PlanFactory)
    triggers = "Loud arguments at home; missing sleep"
    early_signs = "I stop answering texts"
    what_helps = "A walk with my sister; calling the warm line"
    contacts = factory.LazyFunction(
        lambda: [{"name": "Rosa", "relationship": "sister", "phone": "919-555-0101"}]
    )
    updated_on = dt.date(2026, 3, 2)


class AuthorizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Authorization

    person = factory.SubFactory(PersonFactory)
    payer = factory.SelfAttribute("person.payer")
    number = factory.Sequence(lambda n: f"PA{n:07d}")
    requested_at = dt.datetime(2026, 2, 25, 9, tzinfo=TZ)
    units_requested = 200
    units_approved = 200
    start = dt.date(2026, 3, 2)
    end = dt.date(2026, 8, 28)
    status = "approved"
    decided_at = dt.datetime(2026, 2, 27, 9, tzinfo=TZ)


class CaseloadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseloadAssignment

    staff = factory.SubFactory(StaffFactory)
    person = factory.SubFactory(PersonFactory)
    start = dt.date(2026, 3, 2)


class GroupSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GroupSession

    agency = factory.SubFactory(AgencyFactory)
    topic = "Building my support network"
    date = dt.date(2026, 4, 7)
    start_time = dt.time(10, 0)
    end_time = dt.time(11, 0)


class NoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceNote

    person = factory.SubFactory(PersonFactory)
    staff = factory.SubFactory(StaffFactory, agency=factory.SelfAttribute("..person.agency"))
    date = dt.date(2026, 4, 6)
    start_time = dt.time(10, 0)
    end_time = dt.time(10, 45)
    activity = "peer_mentoring"
    intervention_text = "We practiced what to say when calling a landlord."
    response = "Alex made two calls and smiled afterwards."
