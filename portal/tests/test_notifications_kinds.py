"""Every kind the code sends is registered, reaches the right people once, and follows
the recipient's email preference (frozen clock)."""

import datetime as dt
from unittest import mock

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse

from portal import notifications as n
from portal.models import Notification
from slas.models import VersionStatus
from slas.signing.activation import version_end_instant
from slas.signing.jobs import (
    signing_reminders_send,
    signing_requests_expire,
    versions_activate_due,
    versions_expire_due,
)
from slas.signing.services import signing_decline, signing_withdraw, version_send_for_signature
from slas.tests.signing_factories import local_midnight, marketing_sales
from slas.tests.test_signing_services import sign

UTC = dt.UTC
SENT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday
DAY = dt.timedelta(days=1)
MARKETING_AND_SALES = {"alice", "bob", "mihai", "carol", "dan", "sara", "tariq"}


def recipients(kind: str) -> list[str]:
    return sorted(
        Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True)
    )


@pytest.fixture
def world(cast):
    """Marketing ⇄ Sales: v2 in force, v3 a draft; the clock frozen on a Monday morning."""
    with time_machine.travel(SENT, tick=False):
        agreement, v2, v3 = marketing_sales(cast)
        yield cast, agreement, v2, v3


# The registry --------------------------------------------------------------------------


@pytest.mark.django_db
class TestRegistry:
    def test_the_writer_refuses_any_kind_missing_from_the_registry(self, cast):
        # given the names the registry used to list, which no code sends
        for old in ("lead_handed", "signature_requested", "version_activated"):
            # when one is written, then it is refused
            with pytest.raises(n.UnknownKind):
                n.notification_create(recipient=cast.dan, kind=old, title="T", dedupe_key=old)
        assert not Notification.objects.exists()

    def test_every_kind_has_a_label_a_group_and_a_reason(self):
        for kind in n.KIND_LIST:
            assert str(kind.label) and str(kind.group) and str(kind.reason), kind.code
        assert len(n.KINDS) == len(n.KIND_LIST)

    def test_the_preferences_page_lists_the_kinds_signing_and_leads_send(self, client, cast):
        client.force_login(cast.dan)
        body = client.get(reverse("notification_preferences")).content.decode()
        for code in ("signing.requested", "signing.activated", "signing.superseded"):
            assert f'name="{code}"' in body
        assert 'name="lead_assigned"' in body
        assert 'name="signing.signed"' not in body  # in the portal only, nothing to choose


@pytest.mark.django_db
class TestSigningKindsFollowPreferences:
    """Each signing kind is registered: with email off for it, nobody gets an email."""

    def everyone_turns_email_off(self, cast, kind):
        from django.contrib.auth import get_user_model

        for user in get_user_model().objects.all():
            n.notification_preferences_update(user=user, choices={kind: "off"})

    def assert_in_the_portal_only(self, kind):
        titles = set(Notification.objects.filter(kind=kind).values_list("title", flat=True))
        assert titles, kind
        assert not titles & {m.subject for m in mail.outbox}
        assert not Notification.objects.filter(kind=kind).exclude(email_delivery="off").exists()

    @pytest.mark.parametrize(
        "kind",
        [
            "signing.requested",
            "signing.declined",
            "signing.withdrawn",
            "signing.activated",
            "signing.superseded",
        ],
    )
    def test_a_signing_event_with_email_off_stays_in_the_portal(
        self, world, kind, django_capture_on_commit_callbacks
    ):
        # given everyone turned email off for the kind
        cast, _agreement, _v2, v3 = world
        self.everyone_turns_email_off(cast, kind)
        # when the event happens
        with django_capture_on_commit_callbacks(execute=True):
            version_send_for_signature(version=v3, actor=cast.alice)
            if kind == "signing.declined":
                signing_decline(version=v3, user=cast.carol, comment="Too fast.")
            elif kind == "signing.withdrawn":
                signing_withdraw(version=v3, user=cast.alice)
            elif kind in ("signing.activated", "signing.superseded"):
                sign(v3, cast.carol)
                sign(v3, cast.alice)
        # then it is in the portal, and not in anyone's mailbox
        self.assert_in_the_portal_only(kind)

    def test_reminders_and_expired_requests_with_email_off_stay_in_the_portal(
        self, world, django_capture_on_commit_callbacks
    ):
        cast, _agreement, _v2, v3 = world
        self.everyone_turns_email_off(cast, "signing.reminder")
        self.everyone_turns_email_off(cast, "signing.expired")
        with django_capture_on_commit_callbacks(execute=True):
            version_send_for_signature(version=v3, actor=cast.alice)
        with (
            time_machine.travel(SENT + 3 * DAY, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            signing_reminders_send()
        with (
            time_machine.travel(SENT + 30 * DAY, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            signing_requests_expire()
        self.assert_in_the_portal_only("signing.reminder")
        self.assert_in_the_portal_only("signing.expired")

    def test_a_round_signed_before_its_effective_date_is_announced_in_the_portal_only(
        self, cast, django_capture_on_commit_callbacks
    ):
        with time_machine.travel(SENT, tick=False):
            _agreement, _v2, v3 = marketing_sales(cast, v3_effective=SENT.date() + 10 * DAY)
            self.everyone_turns_email_off(cast, "signing.completed")
            with django_capture_on_commit_callbacks(execute=True):
                version_send_for_signature(version=v3, actor=cast.alice)
                sign(v3, cast.carol)
                sign(v3, cast.alice)
        self.assert_in_the_portal_only("signing.completed")


# Audience: all party members --------------------------------------------------------------


@pytest.mark.django_db
class TestVersionActivatedAndSuperseded:
    def test_both_are_told_to_every_party_member_once(self, world):
        # given v3 sent, with Erin (no party team) named as an extra signer
        cast, _agreement, v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice, signers=[cast.erin])
        sign(v3, cast.erin)
        sign(v3, cast.carol)
        # when the last party signs, v3 takes effect and v2 is superseded
        sign(v3, cast.alice)
        v2.refresh_from_db()
        assert v2.status == VersionStatus.SUPERSEDED
        # then every member of Marketing and Sales, and Erin who signed, hears both
        assert recipients("signing.activated") == sorted(MARKETING_AND_SALES | {"erin"})
        assert recipients("signing.superseded") == sorted(MARKETING_AND_SALES)
        superseded = Notification.objects.filter(kind="signing.superseded").first()
        assert str(v2) in superseded.title and str(v3) in superseded.title
        assert superseded.url == reverse("slas:version_detail", args=[v2.pk])
        bob = Notification.objects.get(kind="signing.activated", recipient=cast.bob)
        assert bob.reason == str(n.KINDS["signing.activated"].reason)
        erin = Notification.objects.get(kind="signing.activated", recipient=cast.erin)
        assert "sign" in erin.reason
        # and the lifecycle job running again says nothing twice
        before = Notification.objects.count()
        assert versions_activate_due(now=SENT + DAY) == 0
        assert Notification.objects.count() == before

    def test_a_scheduled_version_is_activated_and_told_once_when_its_date_comes(self, cast):
        start = SENT.date() + 10 * DAY
        with time_machine.travel(SENT, tick=False):
            _agreement, _v2, v3 = marketing_sales(cast, v3_effective=start)
            version_send_for_signature(version=v3, actor=cast.alice)
            sign(v3, cast.carol)
            sign(v3, cast.alice)
        assert recipients("signing.activated") == []
        assert recipients("signing.completed") == sorted(MARKETING_AND_SALES)
        with time_machine.travel(local_midnight(start) + dt.timedelta(minutes=5), tick=False):
            assert versions_activate_due() == 1
            assert versions_activate_due() == 0
        assert recipients("signing.activated") == sorted(MARKETING_AND_SALES)
        assert recipients("signing.superseded") == sorted(MARKETING_AND_SALES)


@pytest.mark.django_db
class TestRoundEndings:
    def test_a_decline_tells_every_party_member_and_the_named_signers_but_the_decliner(self, world):
        cast, _agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice, signers=[cast.erin])
        signing_decline(version=v3, user=cast.carol, comment="16 hours is too short.")
        assert recipients("signing.declined") == sorted(
            (MARKETING_AND_SALES - {"carol"}) | {"erin"}
        )

    def test_a_withdrawal_tells_every_party_member_but_the_sender(self, world):
        cast, _agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        signing_withdraw(version=v3, user=cast.alice, comment="One more change.")
        assert recipients("signing.withdrawn") == sorted(MARKETING_AND_SALES - {"alice"})

    def test_an_expired_request_tells_every_party_member_once(self, world):
        cast, _agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice, signers=[cast.erin])
        later = SENT + 30 * DAY
        assert signing_requests_expire(now=later) == 1
        assert signing_requests_expire(now=later + DAY) == 0
        assert recipients("signing.expired") == sorted(MARKETING_AND_SALES | {"erin"})


@pytest.mark.django_db
def test_an_expired_version_is_announced_once_per_person(cast, django_capture_on_commit_callbacks):
    from slas.sweep import version_expiry_sweep

    # given v3 signed by both parties (a completed round) and in force until its end date
    with time_machine.travel(SENT, tick=False):
        _agreement, _v2, v3 = marketing_sales(cast)
        version_send_for_signature(version=v3, actor=cast.alice)
        sign(v3, cast.carol)
        sign(v3, cast.alice)
    v3.refresh_from_db()
    end = version_end_instant(v3)
    # when its end has come: the signing job and the sweep both run, twice
    with (
        time_machine.travel(end + dt.timedelta(minutes=5), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        now = end + dt.timedelta(minutes=5)
        assert versions_expire_due(now=now) == 1
        version_expiry_sweep(now=now)
        versions_expire_due(now=now)
        version_expiry_sweep(now=now)
    v3.refresh_from_db()
    assert v3.status == VersionStatus.EXPIRED
    # then each party manager got exactly one "has expired", and one email of it
    expired = Notification.objects.filter(title__contains="has expired")
    people = [row.recipient.username for row in expired]
    assert sorted(people) == ["alice", "carol"]
    assert sorted(m.to[0] for m in mail.outbox if "has expired" in m.subject) == [
        "alice@example.com",
        "carol@example.com",
    ]


# Scheduling ------------------------------------------------------------------------------


# The digest task reads the recipients from the digest hour on (NOTIFICATION_DIGEST_HOUR,
# the reader's evening): run at that time of day the test reads the database.
@pytest.mark.django_db
def test_celery_beat_runs_every_part_of_the_sweep():
    from portal import schedule, tasks

    # given every scheduled portal task, with the sweep recorded instead of run
    ran: set[str] = set()

    def record(*, now, parts=schedule.ALL_PARTS):
        ran.update(parts)
        return {}

    with mock.patch.object(schedule, "sweep_all", side_effect=record):
        for entry in settings.CELERY_BEAT_SCHEDULE.values():
            module, _, name = entry["task"].rpartition(".")
            if module == "portal.tasks":
                getattr(tasks, name)()
    # then each part of the sweep is run by one of them, overdue action items included
    assert "actions" in ran
    assert set(schedule.ALL_PARTS) <= ran


# The demo --------------------------------------------------------------------------------

# A Wednesday, 11:00 in Bucharest (the demo's calendar): business time is running.
DEMO_NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_the_demo_clocks_give_dan_at_risk_and_breach_notifications_within_minutes(cast):
    from leads import demo as leads_demo
    from leads.models import Cycle, Lead
    from leads.sweep import lead_clocks_sweep
    from slas import demo as slas_demo

    def sweep_at(now):
        with time_machine.travel(now, tick=False):
            return lead_clocks_sweep(now=now)

    def dans(kind):
        return set(cast.dan.notifications.filter(kind=kind).values_list("dedupe_key", flat=True))

    # given the demo seeded (the cast, the agreements, the leads)
    with time_machine.travel(DEMO_NOW, tick=False):
        slas_demo.seed()
        leads_demo.seed()
    # when the sweep runs right after `make run`
    sweep_at(DEMO_NOW + dt.timedelta(seconds=30))
    # then Dan has a breach (and his manager hears it) and an at-risk lead
    breached, at_risk = dans("lead_breached"), dans("lead_at_risk")
    assert len(breached) >= 1 and len(at_risk) >= 1
    assert cast.carol.notifications.filter(kind="lead_breached").exists()
    # and within minutes another lead breaches and another turns at risk
    sweep_at(DEMO_NOW + dt.timedelta(minutes=2))
    assert len(dans("lead_breached")) > len(breached)
    sweep_at(DEMO_NOW + dt.timedelta(minutes=5))
    assert len(dans("lead_at_risk")) > len(at_risk)

    # when the demo is seeded again a day later (a second `make run`)
    counts = Lead.objects.count(), Cycle.objects.count()
    live = set(
        Lead.objects.filter(external_id__in=leads_demo._live_clock_keys()).values_list(
            "pk", flat=True
        )
    )
    later = DEMO_NOW + DAY
    with time_machine.travel(later, tick=False):
        leads_demo.seed()
    # then the same leads have fresh clocks: nothing added, the sweep has news again
    assert (Lead.objects.count(), Cycle.objects.count()) == counts
    assert (
        set(
            Lead.objects.filter(external_id__in=leads_demo._live_clock_keys()).values_list(
                "pk", flat=True
            )
        )
        == live
    )
    before_breached, before_at_risk = dans("lead_breached"), dans("lead_at_risk")
    sweep_at(later + dt.timedelta(seconds=30))
    assert dans("lead_breached") - before_breached
    assert dans("lead_at_risk") - before_at_risk
