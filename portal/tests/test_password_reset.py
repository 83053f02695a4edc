"""A forgotten password is reset by e-mail (Django's flow): throttled per address and per
e-mail, and answering the same whether the address belongs to someone or not."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from portal.demo import DEMO_PASSWORD

NEW_PASSWORD = "a-new-long-passphrase-42"  # noqa: S105
RESET = "/accounts/password/reset/"


@pytest.fixture(autouse=True)
def _fresh_counts():
    cache.clear()
    yield
    cache.clear()


def ask(email, address="203.0.113.10"):
    return Client(REMOTE_ADDR=address).post(RESET, {"email": email})


def link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", message.body).group(1)


@pytest.mark.django_db
class TestPasswordReset:
    def test_the_sign_in_page_links_to_the_reset(self, client):
        assert RESET in client.get("/accounts/login/").content.decode()

    def test_a_forgotten_password_is_reset_through_the_emailed_link(self, cast):
        # given alice asks for a reset
        response = ask("alice@example.com")
        assert response.status_code == 302
        assert len(mail.outbox) == 1
        assert mail.outbox[0].to == ["alice@example.com"]

        # when she follows the link and chooses a new password
        client = Client()
        form_page = client.get(link_in(mail.outbox[0]), follow=True)
        assert form_page.status_code == 200
        done = client.post(
            form_page.redirect_chain[-1][0],
            {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )

        # then she signs in with it, and the old one no longer works
        assert done.status_code == 302
        cast.alice.refresh_from_db()
        assert cast.alice.check_password(NEW_PASSWORD)
        assert not cast.alice.check_password(DEMO_PASSWORD)

    def test_the_answer_is_the_same_whether_the_address_is_known_or_not(self, cast):
        # when a known and an unknown address ask
        known = ask("alice@example.com", address="203.0.113.1")
        unknown = ask("nobody@example.com", address="203.0.113.2")

        # then both get the same answer; only the known one gets a mail
        assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
        assert [m.to for m in mail.outbox] == [["alice@example.com"]]
        done_known = Client().get(known["Location"]).content.decode()
        assert "If an account uses this address" in done_known

    def test_requests_from_one_address_are_throttled(self, cast):
        # given five requests from one address
        for n in range(5):
            assert ask(f"someone{n}@example.com").status_code == 302

        # when it asks again
        response = ask("alice@example.com")

        # then it is told to wait, and nothing is sent
        assert response.status_code == 429
        assert "Too many password reset requests" in response.content.decode()
        assert mail.outbox == []

    def test_requests_for_one_email_are_throttled_without_saying_so(self, cast):
        # given three resets asked for alice from three addresses
        for n in range(3):
            ask("alice@example.com", address=f"198.51.100.{n}")
        assert len(mail.outbox) == 3

        # when a fourth address asks for her again
        response = ask("ALICE@example.com", address="198.51.100.9")

        # then the answer is the usual one, but no fourth mail floods her inbox
        assert response.status_code == 302
        assert len(mail.outbox) == 3

    def test_a_reset_lifts_a_sign_in_lockout(self, cast):
        # given alice locked out at her address
        office = Client(REMOTE_ADDR="203.0.113.10")
        for _ in range(5):
            office.post("/accounts/login/", {"username": "alice", "password": "wrong"})
        locked = office.post("/accounts/login/", {"username": "alice", "password": DEMO_PASSWORD})
        assert locked.status_code == 429

        # when she resets her password
        ask("alice@example.com")
        client = Client()
        form_page = client.get(link_in(mail.outbox[0]), follow=True)
        client.post(
            form_page.redirect_chain[-1][0],
            {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )

        # then she can sign in with the new one at once
        office.post("/accounts/login/", {"username": "alice", "password": NEW_PASSWORD})
        assert "_auth_user_id" in office.session

    def test_a_used_link_no_longer_works(self, cast):
        ask("alice@example.com")
        link = link_in(mail.outbox[0])
        client = Client()
        form_page = client.get(link, follow=True)
        client.post(
            form_page.redirect_chain[-1][0],
            {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )

        again = Client().get(link, follow=True)

        assert "no longer valid" in again.content.decode()
