import time

import pytest
from django.test import Client, override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-demo-passphrase"


def user_with_role(role, username):
    user = UserFactory(username=username)
    user.set_password(PASSWORD)
    user.save()
    if role:
        StaffFactory(user=user, role=role, agency__name=f"Agency of {username}")
    return user


def sign_in(client, username, password=PASSWORD):
    return client.post("/signin/", {"username": username, "password": password})


def test_peer_specialist_signs_in_with_a_password_only():
    user_with_role("cpss", "sam")
    client = Client()
    response = sign_in(client, "sam")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 302  # a peer specialist starts on their day page
    assert client.get("/day/").status_code == 200


def test_account_locks_after_repeated_failures_even_with_the_right_password():
    user_with_role("cpss", "sam")
    client = Client()
    for _ in range(4):
        assert sign_in(client, "sam", "wrong").status_code == 200
    assert sign_in(client, "sam", "wrong").status_code == 429  # the fifth failure locks
    locked = sign_in(client, "sam")
    assert locked.status_code == 429
    assert b"Sign-in paused" in locked.content
    assert client.get("/admin/").status_code == 302


@override_settings(PEERPATH_IDLE_MINUTES=15)
def test_idle_session_ends_after_the_quiet_stretch():
    user_with_role("cpss", "sam")
    client = Client()
    sign_in(client, "sam")
    session = client.session
    session["last_seen"] = time.time() - 16 * 60
    session.save()
    response = client.get("/")
    assert response.status_code == 302 and "expired=1" in response["Location"]
    assert "_auth_user_id" not in client.session


@override_settings(PEERPATH_IDLE_MINUTES=15)
def test_the_last_request_time_is_written_once_a_minute_not_on_every_page():
    user_with_role("cpss", "sam")
    client = Client()
    sign_in(client, "sam")
    client.get("/")
    first = client.session["last_seen"]
    client.get("/")  # seconds later: the session is not written again
    assert client.session["last_seen"] == first
    session = client.session
    session["last_seen"] = time.time() - 61
    session.save()
    client.get("/")  # a minute later it is, and the person stays signed in
    assert client.session["last_seen"] > time.time() - 5
    assert "_auth_user_id" in client.session
    # Never late: 15 minutes after the recorded time, the person is signed out.
    session = client.session
    session["last_seen"] = time.time() - 15 * 60 - 1
    session.save()
    assert "expired=1" in client.get("/")["Location"]


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)  # the wrong code below would delay the right one
def test_supervisor_cannot_finish_sign_in_without_the_second_factor():
    user = user_with_role("supervisor", "quinn")
    client = Client()
    assert sign_in(client, "quinn").status_code == 302
    blocked = client.get("/")
    assert blocked.status_code == 302 and blocked["Location"] == "/signin/setup/"
    # Set up the app: the page shows the key; a wrong code is refused.
    assert client.get("/signin/setup/").status_code == 200
    device = TOTPDevice.objects.get(user=user)
    assert client.post("/signin/setup/", {"token": "000000"}).status_code == 200
    code = f"{totp(device.bin_key):06d}"
    assert client.post("/signin/setup/", {"token": code}).status_code == 302
    assert client.get("/")["Location"] == "/team/"  # in: a supervisor starts on their board


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
def test_supervisor_with_a_device_is_asked_for_a_code_every_sign_in():
    user = user_with_role("supervisor", "quinn")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    sign_in(client, "quinn")
    assert client.get("/admin/")["Location"] == "/signin/verify/"
    assert client.post("/signin/verify/", {"token": "12345a"}).status_code == 200
    assert (
        client.post("/signin/verify/", {"token": f"{totp(device.bin_key):06d}"}).status_code == 302
    )
    assert client.get("/")["Location"] == "/team/"  # in: a supervisor starts on their board


def test_administrator_needs_the_second_factor_too():
    user = UserFactory(username="root", is_superuser=True, is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    client = Client()
    sign_in(client, "root")
    assert client.get("/admin/")["Location"] == "/signin/setup/"


def test_admin_login_page_goes_through_peerpath_sign_in():
    response = Client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/signin/")


def test_pages_carry_a_content_security_policy_and_no_store_when_signed_in():
    user_with_role("cpss", "sam")
    client = Client()
    anonymous = client.get("/signin/")
    assert "default-src 'self'" in anonymous["Content-Security-Policy"]
    assert anonymous["X-Frame-Options"] == "DENY"
    sign_in(client, "sam")
    assert client.get("/")["Cache-Control"] == "no-store"


def test_sign_in_form_requires_csrf():
    user_with_role("cpss", "sam")
    client = Client(enforce_csrf_checks=True)
    assert sign_in(client, "sam").status_code == 403


def test_sign_out_is_a_post():
    user_with_role("cpss", "sam")
    client = Client()
    sign_in(client, "sam")
    assert client.get("/signout/").status_code == 405
    assert client.post("/signout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_design_system_files_are_found_by_the_static_finders():
    from django.contrib.staticfiles import finders

    for path in (
        "vendor/uswds/css/uswds.min.css",
        "vendor/uswds/js/uswds.min.js",
        "vendor/htmx/htmx.min.js",
        "peerpath/app.css",
    ):
        assert finders.find(path), path


def test_signed_in_non_staff_user_opening_the_admin_is_told_it_is_not_theirs():
    user_with_role("billing", "bea")
    client = Client()
    sign_in(client, "bea")
    response = client.get("/admin/", follow=True)
    assert len(response.redirect_chain) <= 2  # no loop between the admin and the sign-in
    assert response.status_code == 403
    assert b"isn't available to you" in response.content
