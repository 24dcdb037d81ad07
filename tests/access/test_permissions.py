import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import reverse

from peerpath.access.models import AccessLogEntry
from peerpath.access.permissions import Declaration, declare, undeclared_urls, url_declarations
from tests.access.factories import StaffUserFactory
from tests.factories import CaseloadFactory, PersonFactory, UserFactory

VIEWS = "tests.access.urls_views"


def test_every_project_url_is_declared():
    assert undeclared_urls() == []


def test_project_declarations_include_public_pages_and_the_admin_site():
    by_route = {e.route: e.declaration for e in url_declarations()}
    assert by_route["health"] == Declaration("public")
    assert by_route[""] == Declaration("public")
    assert by_route["admin/"] == Declaration("admin-site")


@override_settings(ROOT_URLCONF="tests.access.urls_undeclared")
def test_a_url_added_without_a_declaration_is_reported():
    assert undeclared_urls() == [
        "forgotten/<int:person_id>/ -> tests.access.urls_undeclared.forgotten"
    ]


@pytest.mark.parametrize(
    ("roles", "person_param"),
    [("everyone", None), ({"cpss", "wizard"}, None), (set(), None), ("public", "person_id")],
)
def test_a_bad_declaration_is_refused_at_import(roles, person_param):
    with pytest.raises(ImproperlyConfigured):
        declare(roles=roles, person_param=person_param)


@pytest.fixture
def site(db):
    cpss = StaffUserFactory(role="cpss")
    mine = CaseloadFactory(staff=cpss, person__agency=cpss.agency, start="2020-01-01").person
    theirs = PersonFactory(agency=cpss.agency)
    return cpss.user, mine, theirs


@override_settings(ROOT_URLCONF=VIEWS)
def test_not_signed_in_is_sent_to_sign_in(client, site):
    url = reverse("t-person", args=[site[1].pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("signin"))
    assert "next=" in response["Location"]


@override_settings(ROOT_URLCONF=VIEWS)
def test_a_person_in_scope_is_shown_and_logged_once(client, site):
    user, mine, _ = site
    client.force_login(user)
    response = client.get(reverse("t-person", args=[mine.pk]))
    assert response.status_code == 200
    entry = AccessLogEntry.objects.get()
    assert (entry.action, entry.person_id, entry.username) == ("view", mine.pk, user.username)


@override_settings(ROOT_URLCONF=VIEWS)
def test_a_person_out_of_scope_is_not_found_not_forbidden(client, site):
    user, _, theirs = site
    client.force_login(user)
    assert client.get(reverse("t-person", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("t-person", args=[999999])).status_code == 404
    assert not AccessLogEntry.objects.exists()


@override_settings(ROOT_URLCONF=VIEWS)
def test_the_wrong_role_is_forbidden(client, site):
    client.force_login(site[0])
    assert client.get(reverse("t-audit")).status_code == 403
    auditor = StaffUserFactory(role="auditor", agency=site[1].agency).user
    client.force_login(auditor)
    assert client.get(reverse("t-audit")).status_code == 200
    assert client.get(reverse("t-person", args=[site[1].pk])).status_code == 403


@override_settings(ROOT_URLCONF=VIEWS)
def test_authenticated_pages_take_any_signed_in_user(client, db):
    client.force_login(UserFactory())
    assert client.get(reverse("t-me")).status_code == 200
