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
