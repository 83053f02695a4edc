"""API tokens under attack: guessed tokens and anonymous callers are rate limited per
address, and no token lives longer than API_TOKEN_MAX_DAYS (a year by default)."""

import datetime
from unittest import mock

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from portal.models import ApiToken
from portal.token_views import TokenForm
from portal.tokens import api_token_create

ATTACKER = "203.0.113.66"
URL = "/api/v1/notifications/"


@pytest.fixture(autouse=True)
def _fresh_counts():
    cache.clear()
    yield
    cache.clear()


def rates(**overrides):
    return mock.patch.object(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {**SimpleRateThrottle.THROTTLE_RATES, **overrides},
    )


@pytest.mark.django_db
class TestGuessedTokens:
    def test_failed_token_attempts_from_one_address_are_throttled(self, cast):
        client = APIClient(REMOTE_ADDR=ATTACKER)
        with rates(token_failure="5/min"):
            # given five guessed tokens refused
            codes = [
                client.get(URL, HTTP_AUTHORIZATION=f"Bearer abcd{n}.guess").status_code
                for n in range(5)
            ]
            # when the address guesses again
            response = client.get(URL, HTTP_AUTHORIZATION="Bearer abcd9.guess")

        # then it is told to slow down, with Retry-After, in the API's error body
        assert codes == [401] * 5
        assert response.status_code == 429
        assert int(response["Retry-After"]) > 0
        assert response.json()["code"] == "throttled"

    def test_guesses_from_one_address_do_not_stop_a_good_token_elsewhere(self, cast):
        _, raw = api_token_create(user=cast.dan, name="cli")
        with rates(token_failure="5/min"):
            for n in range(6):
                APIClient(REMOTE_ADDR=ATTACKER).get(URL, HTTP_AUTHORIZATION=f"Bearer x{n}.y")

            response = APIClient(REMOTE_ADDR="198.51.100.7").get(
                URL, HTTP_AUTHORIZATION=f"Bearer {raw}"
            )

        assert response.status_code == 200

    def test_the_anonymous_rate_fires(self, cast):
        client = APIClient(REMOTE_ADDR=ATTACKER)
        with rates(anon="3/min"):
            codes = [client.get(URL).status_code for _ in range(3)]
            response = client.get(URL)

        assert codes == [401] * 3
        assert response.status_code == 429
        assert int(response["Retry-After"]) > 0


@pytest.mark.django_db
class TestTokenLifetime:
    def test_a_token_asked_for_without_expiry_gets_the_maximum_lifetime(self, cast, settings):
        settings.API_TOKEN_MAX_DAYS = 365

        token, _raw = api_token_create(user=cast.dan, name="cli", expires_in_days=None)

        assert token.expires_at is not None
        assert token.expires_at - token.created_at <= datetime.timedelta(days=365, seconds=1)

    def test_a_token_cannot_be_made_to_outlive_the_maximum(self, cast, settings):
        settings.API_TOKEN_MAX_DAYS = 30

        token, _raw = api_token_create(user=cast.dan, name="cli", expires_in_days=365)

        assert token.expires_at - token.created_at <= datetime.timedelta(days=30, seconds=1)

    def test_an_old_token_without_expiry_stops_working_after_the_maximum(self, cast, settings):
        # given a token stored without an expiry (made before the maximum existed)
        settings.API_TOKEN_MAX_DAYS = 365
        token, raw = api_token_create(user=cast.dan, name="cli")
        ApiToken.objects.filter(pk=token.pk).update(expires_at=None)

        # when it is used a year and a day after it was made
        with time_machine.travel(timezone.now() + datetime.timedelta(days=366)):
            response = APIClient().get(URL, HTTP_AUTHORIZATION=f"Bearer {raw}")

        # then it is refused as expired
        assert response.status_code == 401
        assert "expired" in response.json()["detail"]

    def test_the_profile_page_offers_no_token_that_never_expires(self, settings):
        settings.API_TOKEN_MAX_DAYS = 365

        choices = [value for value, _label in TokenForm().fields["expires"].choices]

        assert "0" not in choices
        assert choices[-1] == "365"
