"""After the second factor, `next` leads only to a page of this site."""

import pytest
from django.test import Client, override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.accounts.test_signin import sign_in, user_with_role

pytestmark = pytest.mark.django_db


def verified(next_value):
    user = user_with_role("supervisor", "quinn")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    sign_in(client, "quinn")
    code = f"{totp(device.bin_key):06d}"
    return client.post(f"/signin/verify/?next={next_value}", {"token": code})


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
@pytest.mark.parametrize(
    "outside",
    ["https://evil.example/", "//evil.example/path", "https:evil.example", "/\\evil.example"],
)
def test_an_outside_address_in_next_goes_home_instead(outside):
    response = verified(outside)
    assert response.status_code == 302
    assert response["Location"] == "/"


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
def test_a_page_of_this_site_in_next_is_followed():
    response = verified("/team/")
    assert response.status_code == 302 and response["Location"] == "/team/"
