import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import reverse

from peerpath.access.capabilities import ROLE_CAPABILITIES, Cap, has, roles_with
from peerpath.access.models import AccessLogEntry
from peerpath.access.permissions import (
    Declaration,
    declare,
    declared_by_roles,
    undeclared_urls,
    url_declarations,
)
from tests.access.factories import StaffUserFactory
from tests.factories import CaseloadFactory, PersonFactory, UserFactory

VIEWS = "tests.access.urls_views"


def test_every_project_url_is_declared():
    assert undeclared_urls() == []


def test_every_project_view_declares_a_capability_not_roles():
    # A view declared the old way, `declare(roles=...)`, is listed with the capability that
    # fits its roles: declare that instead.
    assert declared_by_roles() == []


@override_settings(ROOT_URLCONF="tests.access.urls_views")
def test_a_view_declared_by_roles_is_reported_with_the_capability_to_use():
    assert declared_by_roles() == [
        "t/old/ -> tests.access.urls_views.old_page: declare decide_authorization"
    ]


def test_every_capability_is_described_and_given_to_some_role():
    from peerpath.access.capabilities import DESCRIPTIONS
    from peerpath.staff.models import Role

    assert set(DESCRIPTIONS) == set(Cap)
    assert set(ROLE_CAPABILITIES) == set(Role.values)
    assert all(roles_with(c) for c in Cap)


def test_the_registry_answers_what_each_role_may_do(db):
    cpss = StaffUserFactory(role="cpss").user
    billing = StaffUserFactory(role="billing").user
    assert has(cpss, Cap.SIGN_NOTE) and has(cpss, "write_note")
    assert not has(billing, Cap.READ_NARRATIVES)
    assert has(billing, "read_billing")
    assert not has(None, Cap.READ_PERSON)
    assert roles_with("decide_authorization") == {"um_reviewer"}
    with pytest.raises(ImproperlyConfigured):
        has(cpss, "read_everything")


def test_templates_ask_the_registry_and_an_unknown_capability_fails_loudly(db):
    from django.template import Context, Template

    from peerpath.access.capabilities import Can

    user = StaffUserFactory(role="billing").user
    template = Template("{% if can.read_billing %}B{% endif %}{% if can.write_note %}N{% endif %}")
    assert template.render(Context({"can": Can(user)})) == "B"
    with pytest.raises(ImproperlyConfigured):
        Template("{% if can.read_evrything %}x{% endif %}").render(Context({"can": Can(user)}))


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
    ("need", "person_param"),
    [("everyone", None), ("read_evrything", None), (None, None), ("public", "person_id")],
)
def test_a_bad_declaration_is_refused_at_import(need, person_param):
    with pytest.raises(ImproperlyConfigured):
        declare(need, person_param=person_param)


@pytest.mark.parametrize("roles", [{"cpss", "wizard"}, set()])
def test_bad_old_style_roles_are_refused_at_import(roles):
    with pytest.raises(ImproperlyConfigured):
        declare(roles=roles)


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


def test_docs_show_the_registry_as_it_is():
    from pathlib import Path

    from peerpath.access.capabilities import registry_table

    doc = (Path(__file__).resolve().parents[2] / "docs" / "permissions.md").read_text()
    assert registry_table() in doc, "docs/permissions.md: paste registry_table() output"
