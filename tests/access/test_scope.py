import datetime as dt
from types import SimpleNamespace

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory, override_settings
from django.utils import timezone

from peerpath.access.models import AccessLogEntry, BreakGlassGrant
from peerpath.access.scope import (
    can_change_person,
    can_see_narratives,
    can_view_person,
    people_visible_to,
)
from peerpath.access.services import break_glass, verify_chain
from peerpath.audit.models import ChangeRecord
from tests.access.factories import StaffUserFactory, SupervisionFactory
from tests.factories import (
    AgencyFactory,
    AuthorizationFactory,
    CaseloadFactory,
    PayerFactory,
    PersonFactory,
    UserFactory,
)

DAY = dt.date(2026, 4, 6)
REASON = "Crisis call tonight; her peer specialist is out sick."


@pytest.fixture
def agency(db):
    """One agency: two peer specialists with a person each, a supervisor of the first, a
    person on nobody's caseload; and a person of another agency."""
    home = AgencyFactory()
    cpss = StaffUserFactory(agency=home, role="cpss")
    colleague = StaffUserFactory(agency=home, role="cpss")
    mine = CaseloadFactory(staff=cpss, person__agency=home).person
    theirs = CaseloadFactory(staff=colleague, person__agency=home).person
    nobodys = PersonFactory(agency=home)
    elsewhere = PersonFactory()
    supervision = SupervisionFactory(supervisor__agency=home, staff=cpss)
    return SimpleNamespace(
        agency=home,
        cpss=cpss.user,
        colleague=colleague.user,
        supervisor=supervision.supervisor.user,
        mine=mine,
        theirs=theirs,
        nobodys=nobodys,
        elsewhere=elsewhere,
    )


def visible(user, on=DAY):
    return set(people_visible_to(user, on=on))


def staff_user(agency, role, **kw):
    return StaffUserFactory(agency=agency, role=role, **kw).user


def test_peer_specialist_sees_only_their_caseload(agency):
    assert visible(agency.cpss) == {agency.mine}


def test_guessing_an_id_outside_the_caseload_does_not_show_the_person(agency):
    for guessed in (agency.theirs, agency.nobodys, agency.elsewhere):
        assert not people_visible_to(agency.cpss, on=DAY).filter(pk=guessed.pk).exists()
        assert not can_view_person(agency.cpss, guessed, on=DAY)


def test_caseload_spans_are_inclusive_and_open_ended(agency):
    cpss = agency.cpss.staff
    ended = CaseloadFactory(staff=cpss, person__agency=agency.agency, end=DAY).person
    later = CaseloadFactory(staff=cpss, person__agency=agency.agency, start=DAY).person
    assert {ended, later} <= visible(agency.cpss)
    assert ended not in visible(agency.cpss, on=DAY + dt.timedelta(days=1))
    assert later not in visible(agency.cpss, on=DAY - dt.timedelta(days=1))
    assert agency.mine not in visible(agency.cpss, on=dt.date(2026, 3, 1))


def test_visible_people_default_to_today(agency):
    today = timezone.localdate()
    current = CaseloadFactory(
        staff=agency.cpss.staff, person__agency=agency.agency, start=today, end=today
    ).person
    assert current in people_visible_to(agency.cpss)
    assert current not in visible(agency.cpss, on=today - dt.timedelta(days=1))


def test_break_glass_with_a_reason_shows_the_person_and_is_logged(agency):
    request = RequestFactory().post("/", REMOTE_ADDR="10.0.0.5")
    grant = break_glass(user=agency.cpss, person=agency.theirs, reason=REASON, request=request)
    assert can_view_person(agency.cpss, agency.theirs, on=DAY)
    assert visible(agency.cpss) == {agency.mine, agency.theirs}
    entry = AccessLogEntry.objects.get()
    assert grant.log_entry == entry
    assert (entry.action, entry.person_id, entry.reason) == (
        "break_glass",
        agency.theirs.pk,
        REASON,
    )
    assert (entry.username, entry.ip) == (agency.cpss.username, "10.0.0.5")
    assert grant.expires_at - grant.granted_at == dt.timedelta(hours=4)
    assert ChangeRecord.objects.filter(record_type="access.BreakGlassGrant").count() == 1
    assert verify_chain().ok
    # The grant is the user's own: colleagues gain nothing from it.
    assert agency.theirs not in visible(StaffUserFactory(agency=agency.agency).user)


def test_break_glass_expires(agency):
    with time_machine.travel(dt.datetime(2026, 4, 6, 20, tzinfo=dt.UTC), tick=False):
        break_glass(user=agency.cpss, person=agency.theirs, reason=REASON)
    with time_machine.travel(dt.datetime(2026, 4, 6, 23, 59, tzinfo=dt.UTC), tick=False):
        assert agency.theirs in visible(agency.cpss)
    with time_machine.travel(dt.datetime(2026, 4, 7, 0, 0, tzinfo=dt.UTC), tick=False):
        assert agency.theirs not in visible(agency.cpss)


@override_settings(PEERPATH_BREAK_GLASS_HOURS=1)
def test_break_glass_lasts_the_configured_hours(agency):
    grant = break_glass(user=agency.cpss, person=agency.theirs, reason=REASON)
    assert grant.expires_at - grant.granted_at == dt.timedelta(hours=1)


@pytest.mark.parametrize(
    "reason", ["", "   ", "need to see", "aaaaaaaaaaaaaaaaaaaaaaaa", "emergency!!!!!!!!!!!!!!!!"]
)
def test_break_glass_without_a_real_reason_is_refused_and_writes_nothing(agency, reason):
    with pytest.raises(ValidationError) as err:
        break_glass(user=agency.cpss, person=agency.theirs, reason=reason)
    assert "reason" in err.value.message_dict
    assert not BreakGlassGrant.objects.exists()
    assert not AccessLogEntry.objects.exists()
    assert not ChangeRecord.objects.exists()
    assert not can_view_person(agency.cpss, agency.theirs, on=DAY)


@pytest.mark.parametrize("role", ["billing", "auditor", "admin", "um_reviewer"])
def test_only_clinical_staff_may_break_glass(agency, role):
    user = staff_user(agency.agency, role, payer=PayerFactory())
    with pytest.raises(PermissionDenied):
        break_glass(user=user, person=agency.theirs, reason=REASON)
    assert not AccessLogEntry.objects.exists()


def test_break_glass_is_only_for_people_of_ones_own_agency(agency):
    with pytest.raises(PermissionDenied):
        break_glass(user=agency.cpss, person=agency.elsewhere, reason=REASON)
    assert not AccessLogEntry.objects.exists()


def test_supervisor_sees_the_team_people_only(agency):
    assert visible(agency.supervisor) == {agency.mine}
    assert not can_view_person(agency.supervisor, agency.theirs, on=DAY)


def test_supervisor_sees_a_team_only_while_supervising_it(agency):
    span = agency.supervisor.staff.supervisees.get()
    span.end = DAY
    span.save()
    assert visible(agency.supervisor, on=DAY) == {agency.mine}
    assert visible(agency.supervisor, on=DAY + dt.timedelta(days=1)) == set()


def test_mhp_sees_the_people_of_the_peer_specialists_they_supervise(agency):
    mhp = SupervisionFactory(
        supervisor__agency=agency.agency, supervisor__role="mhp", staff=agency.colleague.staff
    ).supervisor.user
    assert visible(mhp) == {agency.theirs}


def test_supervisor_may_break_glass_too(agency):
    break_glass(user=agency.supervisor, person=agency.nobodys, reason=REASON)
    assert visible(agency.supervisor) == {agency.mine, agency.nobodys}


def test_um_reviewer_sees_only_people_with_a_request_before_their_payer(agency):
    payer = PayerFactory()
    reviewer = UserFactory()
    StaffUserFactory(user=reviewer, role="um_reviewer", agency=None, payer=payer)
    AuthorizationFactory(person=agency.mine, payer=payer, status="requested", units_approved=None)
    AuthorizationFactory(person=agency.theirs)  # another payer's request
    assert visible(reviewer) == {agency.mine}
    assert can_see_narratives(reviewer, agency.mine)
    assert not can_see_narratives(reviewer, agency.theirs)
    assert not can_change_person(reviewer, agency.mine)


def test_auditor_sees_every_person_of_the_agency_but_changes_nothing(agency):
    auditor = staff_user(agency.agency, "auditor")
    assert visible(auditor) == {agency.mine, agency.theirs, agency.nobodys}
    assert not any(can_change_person(auditor, p) for p in visible(auditor))
    assert can_see_narratives(auditor, agency.mine)


def test_payer_auditor_without_an_agency_sees_the_payers_members(agency):
    auditor = staff_user(None, "auditor", payer=agency.mine.payer)
    assert visible(auditor) == {agency.mine}


def test_billing_sees_the_agency_but_no_narratives_and_changes_nothing_clinical(agency):
    billing = staff_user(agency.agency, "billing")
    assert visible(billing) == {agency.mine, agency.theirs, agency.nobodys}
    assert not can_see_narratives(billing)
    assert not can_see_narratives(billing, agency.mine)
    assert not can_change_person(billing, agency.mine)


def test_clinical_staff_change_the_people_in_their_scope_only(agency):
    assert can_change_person(agency.cpss, agency.mine, on=DAY)
    assert not can_change_person(agency.cpss, agency.theirs, on=DAY)
    assert can_change_person(agency.supervisor, agency.mine, on=DAY)
    assert can_see_narratives(agency.cpss, agency.mine)


def test_agency_admin_sees_the_agency_and_a_superuser_everyone(agency):
    admin = staff_user(agency.agency, "admin")
    assert visible(admin) == {agency.mine, agency.theirs, agency.nobodys}
    root = UserFactory(is_superuser=True)
    assert {agency.elsewhere, agency.mine} <= visible(root)
    assert can_change_person(root, agency.elsewhere)


def test_no_staff_record_or_no_sign_in_sees_no_one(agency):
    assert visible(AnonymousUser()) == set()
    assert visible(None) == set()
    assert visible(UserFactory()) == set()
    assert not can_see_narratives(AnonymousUser())


def test_inactive_or_departed_staff_see_no_one(agency):
    staff = agency.cpss.staff
    staff.end_date = DAY - dt.timedelta(days=1)
    staff.save()
    assert visible(agency.cpss) == set()
    agency.colleague.is_active = False
    agency.colleague.save()
    assert visible(agency.colleague) == set()
