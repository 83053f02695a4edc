"""Failed sign-ins lock out one user at one address (django-axes), never a whole office.

Five failures for a username from an address pause that username at that address for
fifteen minutes; a success clears the count; an admin can unlock; the client's address
comes from the proxy's header only with DJANGO_TRUST_PROXY=1.
"""

import datetime

import pytest
import time_machine
from django.test import Client, override_settings
from django.utils import timezone

from portal.demo import DEMO_PASSWORD

OFFICE = "203.0.113.10"
ELSEWHERE = "198.51.100.7"
LOCKED = "Too many failed sign-in attempts"


def sign_in(address, username, password, **headers):
    client = Client(REMOTE_ADDR=address, **headers)
    response = client.post("/accounts/login/", {"username": username, "password": password})
    return client, response


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db
class TestSignInLockout:
    def test_failures_for_other_names_from_an_address_do_not_lock_out_a_colleague(self, cast):
        # given five failed sign-ins for made-up names from the office's address
        for n in range(5):
            sign_in(OFFICE, f"nobody{n}", "wrong-password")

        # when Alice signs in from the same address
        client, response = sign_in(OFFICE, "alice", DEMO_PASSWORD)

        # then she is in
        assert response.status_code == 302
        assert signed_in(client)

    def test_someone_elsewhere_cannot_lock_a_named_user_out(self, cast):
        # given five failed sign-ins as alice from another address
        for _ in range(5):
            sign_in(ELSEWHERE, "alice", "wrong-password")

        # when Alice signs in from her own address
        client, response = sign_in(OFFICE, "alice", DEMO_PASSWORD)

        # then she is in
        assert signed_in(client)

    def test_five_failures_lock_the_user_at_that_address_even_with_the_right_password(self, cast):
        # given five failed sign-ins as alice from the office
        for _ in range(5):
            sign_in(OFFICE, "alice", "wrong-password")

        # when the right password comes from the same address
        client, response = sign_in(OFFICE, "alice", DEMO_PASSWORD)

        # then it is refused with a 429 saying why
        assert response.status_code == 429
        assert LOCKED in response.content.decode()
        assert not signed_in(client)

    def test_a_success_clears_the_count(self, cast):
        # given four failures, a success, and four more failures
        for _ in range(4):
            sign_in(OFFICE, "alice", "wrong-password")
        assert signed_in(sign_in(OFFICE, "alice", DEMO_PASSWORD)[0])
        for _ in range(4):
            sign_in(OFFICE, "alice", "wrong-password")

        # when she signs in again
        client, _response = sign_in(OFFICE, "alice", DEMO_PASSWORD)

        # then she is in: the first four no longer count
        assert signed_in(client)

    def test_the_locked_out_user_is_told_when_to_retry(self, cast):
        # given alice locked out at 09:00 UTC
        with time_machine.travel(
            datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC), tick=False
        ):
            for _ in range(5):
                sign_in(OFFICE, "alice", "wrong-password")

        # when she tries again a minute later
        with time_machine.travel(
            datetime.datetime(2026, 3, 2, 9, 1, tzinfo=datetime.UTC), tick=False
        ):
            _client, response = sign_in(OFFICE, "alice", DEMO_PASSWORD)

        # then the page names the time the pause ends (15 minutes after the last failure)
        page = response.content.decode()
        assert "9:15" in page
        assert "14 minutes" in page

    def test_the_lock_ends_after_fifteen_minutes(self, cast):
        start = timezone.now()
        for _ in range(5):
            sign_in(OFFICE, "alice", "wrong-password")

        with time_machine.travel(start + datetime.timedelta(minutes=15, seconds=1)):
            client, _response = sign_in(OFFICE, "alice", DEMO_PASSWORD)

        assert signed_in(client)

    def test_an_admin_can_unlock_a_user(self, cast):
        # given alice locked out
        for _ in range(5):
            sign_in(OFFICE, "alice", "wrong-password")
        assert not signed_in(sign_in(OFFICE, "alice", DEMO_PASSWORD)[0])

        # when an admin deletes her access attempts in the admin
        from axes.models import AccessAttempt

        admin = Client()
        admin.force_login(cast.admin)
        attempts = list(AccessAttempt.objects.filter(username="alice"))
        assert attempts
        response = admin.post(
            "/admin/axes/accessattempt/",
            {
                "action": "delete_selected",
                "_selected_action": [a.pk for a in attempts],
                "post": "yes",
            },
        )
        assert response.status_code == 302

        # then she can sign in again
        assert signed_in(sign_in(OFFICE, "alice", DEMO_PASSWORD)[0])

    def test_the_forwarded_address_is_ignored_unless_the_proxy_is_trusted(self, cast):
        # given failures as alice, each claiming another client address in the header
        for n in range(5):
            sign_in(OFFICE, "alice", "wrong-password", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")

        # when she signs in from the same connection with yet another claimed address
        client, response = sign_in(
            OFFICE, "alice", DEMO_PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99"
        )

        # then the header was not believed: all five counted against the connection
        assert response.status_code == 429
        assert not signed_in(client)

    @override_settings(TRUST_PROXY=True, PROXY_COUNT=1)
    def test_behind_a_trusted_proxy_each_client_address_counts_on_its_own(self, cast):
        # given five failures as alice from one client behind the proxy
        for _ in range(5):
            sign_in(OFFICE, "alice", "wrong-password", HTTP_X_FORWARDED_FOR=ELSEWHERE)

        # when she signs in from another client behind the same proxy
        client, _response = sign_in(
            OFFICE, "alice", DEMO_PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99"
        )

        # then she is in
        assert signed_in(client)
