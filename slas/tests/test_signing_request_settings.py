"""Signature request settings chosen when sending: reminders and expiry, validated, kept
on the agreement (the defaults of its next send), and the expiry told to the signer on the
sign page and in the request's notification and e-mail."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from portal import dates
from portal.emails import email_text
from portal.models import Notification
from slas.models import Agreement
from slas.signing.jobs import signing_reminders_send, signing_requests_expire
from slas.signing.models import RoundStatus, SigningRound
from slas.signing.rounds import SigningError
from slas.signing.services import version_send_for_signature
from slas.tests.signing_factories import marketing_sales

pytestmark = pytest.mark.django_db

SENT = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


@pytest.fixture
def world(cast):
    with time_machine.travel(SENT, tick=False):
        agreement, _v2, v3 = marketing_sales(cast)
    return agreement, v3


def _send_url(version):
    return reverse("slas:signing_send", args=[version.pk])


class TestSendPage:
    def test_the_send_page_offers_the_agreements_reminder_and_expiry_days(
        self, client, cast, world
    ):
        _agreement, v3 = world
        client.force_login(cast.alice)
        html = client.get(_send_url(v3)).content.decode()
        assert 'name="reminder_after_days"' in html and 'value="3"' in html
        assert 'name="reminder_every_days"' in html and 'value="2"' in html
        assert 'name="request_expiry_days"' in html and 'value="30"' in html

    def test_alice_sends_with_her_own_reminder_and_expiry(self, client, cast, world):
        agreement, v3 = world
        client.force_login(cast.alice)
        with time_machine.travel(SENT, tick=False):
            response = client.post(
                _send_url(v3),
                {
                    "order": "parallel",
                    "reminder_after_days": "2",
                    "reminder_every_days": "1",
                    "request_expiry_days": "7",
                },
            )
        assert response.status_code == 302
        agreement.refresh_from_db()
        assert (
            agreement.reminder_after_days,
            agreement.reminder_every_days,
            agreement.request_expiry_days,
        ) == (2, 1, 7)
        # the record of the sending says what was asked
        entry = agreement.audit_entries.get(action="sent")
        assert entry.data["request_expiry_days"] == 7 and entry.data["reminder_after_days"] == 2

    @pytest.mark.parametrize(
        ("values", "message"),
        [
            ({"request_expiry_days": "0"}, "A request stays open between 1 and 90 days."),
            ({"request_expiry_days": "120"}, "A request stays open between 1 and 90 days."),
            (
                {"reminder_after_days": "10", "request_expiry_days": "7"},
                "The first reminder must come before the request expires (day 7).",
            ),
            ({"reminder_after_days": "0"}, "The first reminder comes after 1 to 60 days."),
            ({"reminder_every_days": "-1"}, "Remind every 0 to 30 days (0: one reminder only)."),
        ],
    )
    def test_settings_out_of_range_are_refused_with_a_clear_message(
        self, client, cast, world, values, message
    ):
        agreement, v3 = world
        client.force_login(cast.alice)
        data = {
            "order": "parallel",
            "reminder_after_days": "3",
            "reminder_every_days": "2",
            "request_expiry_days": "30",
        }
        response = client.post(_send_url(v3), {**data, **values})
        assert response.status_code == 200
        assert message in response.content.decode()
        assert not SigningRound.objects.filter(version=v3).exists()

    def test_the_service_refuses_a_reminder_after_the_expiry_too(self, cast, world):
        _agreement, v3 = world
        with pytest.raises(SigningError) as error:
            version_send_for_signature(
                version=v3, actor=cast.alice, reminder_after_days=9, request_expiry_days=5
            )
        assert error.value.code == "invalid"
        assert set(error.value.field_errors) == {"reminder_after_days"}


class TestTheSignerIsTold:
    def test_the_sign_page_shows_when_the_request_expires(self, client, cast, world):
        _agreement, v3 = world
        with time_machine.travel(SENT, tick=False):
            version_send_for_signature(version=v3, actor=cast.alice, request_expiry_days=7)
        client.force_login(cast.carol)
        html = client.get(reverse("slas:signing_sign", args=[v3.pk])).content.decode()
        with translation.override("en"):
            expected = dates.when(SENT + 7 * DAY)
        assert 'data-testid="request-expires"' in html
        assert expected in html
        # and the version page says it beside "Review and sign"
        page = client.get(v3.get_absolute_url()).content.decode()
        assert 'data-testid="panel-request-expires"' in page and expected in page

    def test_the_request_notification_and_its_email_name_the_expiry(self, cast, world):
        _agreement, v3 = world
        with time_machine.travel(SENT, tick=False):
            version_send_for_signature(version=v3, actor=cast.alice, request_expiry_days=10)
        notification = Notification.objects.get(recipient=cast.carol, kind="signing.requested")
        with translation.override("en"):
            expected = dates.when(SENT + 10 * DAY)
            assert expected in str(notification.body_text)
            assert expected in email_text(notification)

    def test_the_scheduler_uses_the_days_chosen_when_sending(self, cast, world):
        agreement, v3 = world
        with time_machine.travel(SENT, tick=False):
            version_send_for_signature(
                version=v3,
                actor=cast.alice,
                reminder_after_days=1,
                reminder_every_days=0,
                request_expiry_days=4,
            )
        with time_machine.travel(SENT + DAY, tick=False):
            assert signing_reminders_send() > 0
        with time_machine.travel(SENT + 3 * DAY, tick=False):
            assert signing_reminders_send() == 0  # one reminder only
            assert signing_requests_expire() == 0
        with time_machine.travel(SENT + 4 * DAY, tick=False):
            assert signing_requests_expire() == 1
        assert SigningRound.objects.get(version=v3).status == RoundStatus.EXPIRED
        assert Agreement.objects.get(pk=agreement.pk).request_expiry_days == 4


class TestApi:
    def _client(self, user):
        from rest_framework.test import APIClient

        from portal.tokens import api_token_create

        _token, raw = api_token_create(user=user, name="test", scope="write")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    def test_the_api_sends_with_reminder_and_expiry_days(self, cast, world):
        agreement, v3 = world
        answer = self._client(cast.alice).post(
            reverse("api_signing_send", args=[v3.pk]),
            {"reminder_after_days": 4, "reminder_every_days": 0, "request_expiry_days": 12},
            format="json",
        )
        assert answer.status_code == 201, answer.content
        agreement.refresh_from_db()
        assert (agreement.reminder_after_days, agreement.request_expiry_days) == (4, 12)

    def test_the_api_refuses_a_first_reminder_after_the_expiry_with_a_400(self, cast, world):
        agreement, v3 = world
        answer = self._client(cast.alice).post(
            reverse("api_signing_send", args=[v3.pk]),
            {"reminder_after_days": 20, "request_expiry_days": 10},
            format="json",
        )
        assert answer.status_code == 400, answer.content
        body = answer.json()
        assert body["code"] == "invalid"
        assert "reminder_after_days" in body["errors"]
        assert not SigningRound.objects.filter(version=v3).exists()
