"""Addresses no page could answer get a plain refusal, never a server error: numbers too
large for a record id (in the path or the query string) and odd encoded paths under /static/."""

import pytest
from django.test import Client

from tests.access.factories import StaffUserFactory

pytestmark = pytest.mark.django_db
HUGE = "9" * 25


@pytest.fixture
def client(settings):
    settings.PEERPATH_REQUIRE_2FA = False
    client = Client(raise_request_exception=False)
    client.force_login(StaffUserFactory(role="billing").user)
    return client


@pytest.mark.parametrize(
    "query", [f"/billing/?payer={HUGE}", f"/day/?staff={HUGE}", f"/billing/?payer=-{HUGE}"]
)
def test_a_huge_number_in_the_query_is_a_plain_400_naming_the_parameter(client, query):
    response = client.get(query)
    assert response.status_code == 400
    text = response.content.decode()
    assert "too large" in text and HUGE not in text
    assert query.split("?")[1].split("=")[0] in text


@pytest.mark.parametrize("path", [f"/notes/{HUGE}/", f"/people/{HUGE}/"])
def test_a_huge_number_in_the_path_is_a_plain_404(client, path):
    assert client.get(path).status_code == 404


def test_ordinary_numbers_still_work(client):
    assert client.get("/billing/?payer=12").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/static/%00",
        "/static/%2e%2e/%2e%2e/settings.py",
        "/static/..%2f..%2fsettings.py",
        "/static/%ff%fe",
        "/static/%c0%ae%c0%ae/",
        "/static/a%5c..%5c..%5cx",
        "/static/" + "a" * 5000,
        "/static/css/%2e%2e%2f%2e%2e%2fsettings.py",
    ],
)
def test_encoded_paths_under_static_are_not_found(settings, path):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    response = Client(raise_request_exception=False).get(path)
    assert response.status_code in (400, 404)
    assert b"SECRET" not in response.content
