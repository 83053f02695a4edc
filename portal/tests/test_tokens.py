import datetime

import pytest
import time_machine
from django.urls import path
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from portal.tokens import api_token_create, api_token_revoke


class Echo(APIView):
    def get(self, request):
        return Response({"user": request.user.username})

    def post(self, request):
        return Response({"user": request.user.username}, status=201)


urlpatterns = [path("echo/", Echo.as_view())]


@pytest.fixture
def api(settings):
    settings.ROOT_URLCONF = __name__
    return APIClient()


@pytest.mark.django_db
class TestApiTokens:
    def test_a_valid_token_authenticates_its_user(self, api, cast):
        _, raw = api_token_create(user=cast.dan, name="cli")
        response = api.get("/echo/", HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert response.status_code == 200 and response.json() == {"user": "dan"}

    def test_only_a_hash_of_the_secret_is_stored(self, cast):
        token, raw = api_token_create(user=cast.dan, name="cli")
        assert raw.split(".")[1] not in token.key_hash

    def test_a_wrong_secret_is_refused(self, api, cast):
        token, _ = api_token_create(user=cast.dan, name="cli")
        response = api.get("/echo/", HTTP_AUTHORIZATION=f"Bearer {token.prefix}.wrong")
        assert response.status_code == 401

    def test_a_revoked_token_is_refused(self, api, cast):
        token, raw = api_token_create(user=cast.dan, name="cli")
        api_token_revoke(token=token)
        assert api.get("/echo/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401

    def test_an_expired_token_is_refused(self, api, cast):
        _, raw = api_token_create(user=cast.dan, name="cli", expires_in_days=1)
        with time_machine.travel(
            datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(days=2)
        ):
            assert api.get("/echo/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401

    def test_a_read_scoped_token_cannot_write(self, api, cast):
        _, raw = api_token_create(user=cast.dan, name="cli", scope="read")
        assert api.post("/echo/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 403
        _, raw = api_token_create(user=cast.dan, name="ci", scope="write")
        assert api.post("/echo/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 201


@pytest.mark.django_db
class TestTokenPages:
    def test_a_user_creates_a_token_and_sees_the_secret_once(self, client, cast):
        client.force_login(cast.dan)
        response = client.post(
            "/people/me/tokens/", {"name": "HubSpot sync", "scope": "write", "expires": "30"}
        )
        content = response.content.decode()
        token = cast.dan.api_tokens.get()
        assert f"{token.prefix}." in content
        assert f"{token.prefix}." not in client.get("/people/me/tokens/").content.decode()

    def test_a_user_revokes_their_token(self, client, cast):
        token, _ = api_token_create(user=cast.dan, name="cli")
        client.force_login(cast.dan)
        client.post(f"/people/me/tokens/{token.pk}/revoke/")
        token.refresh_from_db()
        assert token.revoked_at is not None

    def test_nobody_revokes_someone_elses_token(self, client, cast):
        token, _ = api_token_create(user=cast.dan, name="cli")
        client.force_login(cast.mallory)
        assert client.post(f"/people/me/tokens/{token.pk}/revoke/").status_code == 404
        token.refresh_from_db()
        assert token.revoked_at is None


@pytest.mark.django_db
def test_the_api_answers_429_with_retry_after_when_a_token_exceeds_its_rate(api, cast):
    from unittest import mock

    from django.core.cache import cache

    from portal.throttling import PerTokenRateThrottle

    # given a limit of 3 requests a minute per token
    cache.clear()
    _, raw = api_token_create(user=cast.dan, name="cli")
    with mock.patch.object(PerTokenRateThrottle, "THROTTLE_RATES", {"api": "3/min"}):
        # when the token makes a fourth request within the minute
        codes = [
            api.get("/echo/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code for _ in range(3)
        ]
        response = api.get("/echo/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    cache.clear()
    # then it is refused with a Retry-After
    assert codes == [200, 200, 200]
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
