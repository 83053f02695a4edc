"""Reminders, request expiry and the lifecycle job, on a frozen clock."""

import datetime

import pytest
import time_machine
from django.conf import settings

from portal.models import Notification
from slas.audit.models import AuditEntry
from slas.models import VersionStatus
from slas.signing.jobs import signing_reminders_send, signing_requests_expire
from slas.signing.models import RoundStatus, SigningOrder
from slas.signing.tasks import versions_lifecycle_run
from slas.tests.signing_factories import local_midnight, marketing_sales
from slas.tests.test_signing_services import sign

pytestmark = pytest.mark.django_db

SENT = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


def reminders(user):
    return list(Notification.objects.filter(recipient=user, kind="signing.reminder").order_by("pk"))


@pytest.fixture
def sent(cast):
    from slas.signing.services import version_send_for_signature

    with time_machine.travel(SENT, tick=False):
        agreement, v2, v3 = marketing_sales(cast)
        version_send_for_signature(version=v3, actor=cast.alice)
    return agreement, v3


def test_the_first_reminder_comes_after_n_days_then_every_m_days(cast, sent):
    # given defaults: after 3 days, then every 2 days
    _agreement, _v3 = sent
    with time_machine.travel(SENT + 3 * DAY - datetime.timedelta(minutes=1), tick=False):
        assert signing_reminders_send() == 0
    # when
    with time_machine.travel(SENT + 3 * DAY, tick=False):
        signing_reminders_send()
        signing_reminders_send()  # a job run twice sends once
    # then both pending teams' managers got exactly one reminder
    assert len(reminders(cast.carol)) == 1
    assert len(reminders(cast.alice)) == 1
    with time_machine.travel(SENT + 5 * DAY - datetime.timedelta(minutes=1), tick=False):
        signing_reminders_send()
    assert len(reminders(cast.carol)) == 1
    with time_machine.travel(SENT + 5 * DAY, tick=False):
        signing_reminders_send()
    assert len(reminders(cast.carol)) == 2
    # a job that missed runs catches up with one reminder, not a burst
    with time_machine.travel(SENT + 9 * DAY, tick=False):
        signing_reminders_send()
    assert len(reminders(cast.carol)) == 3
    with time_machine.travel(SENT + 11 * DAY, tick=False):
        signing_reminders_send()
    assert len(reminders(cast.carol)) == 4


def test_a_signed_request_gets_no_reminder(cast, sent):
    _agreement, v3 = sent
    with time_machine.travel(SENT + DAY, tick=False):
        sign(v3, cast.carol)
    with time_machine.travel(SENT + 3 * DAY, tick=False):
        signing_reminders_send()
    assert reminders(cast.carol) == []
    assert len(reminders(cast.alice)) == 1


def test_the_agreement_sets_the_reminder_days(cast, sent):
    agreement, _v3 = sent
    agreement.reminder_after_days = 1
    agreement.reminder_every_days = 1
    agreement.save()
    with time_machine.travel(SENT + 2 * DAY, tick=False):
        signing_reminders_send()
    assert len(reminders(cast.carol)) == 1
    with time_machine.travel(SENT + 3 * DAY, tick=False):
        signing_reminders_send()
    assert len(reminders(cast.carol)) == 2


def test_sequential_requests_are_reminded_from_when_they_open(cast):
    from slas.signing.services import version_send_for_signature

    with time_machine.travel(SENT, tick=False):
        _agreement, _v2, v3 = marketing_sales(cast)
        version_send_for_signature(version=v3, actor=cast.alice, order=SigningOrder.SEQUENTIAL)
    with time_machine.travel(SENT + 2 * DAY, tick=False):
        sign(v3, cast.alice)
    with time_machine.travel(SENT + 4 * DAY, tick=False):
        signing_reminders_send()
    assert reminders(cast.carol) == []
    with time_machine.travel(SENT + 5 * DAY, tick=False):
        signing_reminders_send()
    assert len(reminders(cast.carol)) == 1


def test_an_unsigned_request_expires_and_the_version_returns_to_draft(cast, sent):
    # given
    agreement, v3 = sent
    with time_machine.travel(SENT + DAY, tick=False):
        sign(v3, cast.alice)
    with time_machine.travel(SENT + 30 * DAY - datetime.timedelta(seconds=1), tick=False):
        assert signing_requests_expire() == 0
    # when
    with time_machine.travel(SENT + 30 * DAY, tick=False):
        assert signing_requests_expire() == 1
        assert signing_requests_expire() == 0
    # then
    v3.refresh_from_db()
    assert v3.status == VersionStatus.DRAFT
    rnd = v3.signing_rounds.get()
    assert rnd.status == RoundStatus.EXPIRED
    assert rnd.requests.get(team=cast.marketing).signature.voided_at is not None
    for user in (cast.alice, cast.carol):
        assert user.notifications.filter(kind="signing.expired").count() == 1
    assert AuditEntry.objects.filter(agreement=agreement, action="request_expired").count() == 1


def test_the_lifecycle_job_expires_then_activates(cast):
    # given v2 ends before a signed v3 starts
    from slas.signing.services import version_send_for_signature

    start = datetime.date(2026, 6, 1)
    with time_machine.travel(SENT, tick=False):
        _agreement, v2, v3 = marketing_sales(
            cast, v3_effective=start, v2_end=datetime.date(2026, 5, 15)
        )
        version_send_for_signature(version=v3, actor=cast.alice)
        sign(v3, cast.alice)
        sign(v3, cast.carol)
    # when
    with time_machine.travel(local_midnight(datetime.date(2026, 5, 16)), tick=False):
        assert versions_lifecycle_run() == {"expired": 1, "activated": 0}
    with time_machine.travel(local_midnight(start), tick=False):
        assert versions_lifecycle_run() == {"expired": 0, "activated": 1}
    # then: an expiry leaves a gap, which is allowed (only supersession joins intervals)
    v2.refresh_from_db()
    v3.refresh_from_db()
    assert v2.status == VersionStatus.EXPIRED
    assert v2.in_force_until == local_midnight(datetime.date(2026, 5, 16))
    assert v3.status == VersionStatus.ACTIVE and v3.in_force_from == local_midnight(start)


def test_the_jobs_are_scheduled():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "slas.signing_tasks.signing_reminders_send",
        "slas.signing_tasks.signing_requests_expire",
        "slas.signing_tasks.versions_lifecycle_run",
    } <= tasks
    from portal.celery import app

    app.loader.import_default_modules()
    assert "slas.signing_tasks.versions_lifecycle_run" in app.tasks
