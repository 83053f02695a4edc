"""A version's review date raises a to-do on the home page of every manager of its party
teams, with "Start the next version"; it goes once a newer version is under way."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from portal.home import home_sections
from portal.models import Notification
from slas import selectors, services
from slas.models import VersionStatus
from slas.sweep import agreement_dates_sweep

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 6, 20, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def in_force(cast, draft):
    """v1 in force, its review date on 1 July 2026 (11 days after NOW)."""
    draft.review_date = datetime.date(2026, 7, 1)
    draft.save(update_fields=["review_date"])
    draft.status = VersionStatus.ACTIVE
    draft.in_force_from = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    draft.save(update_fields=["status", "in_force_from"])
    return draft


def _review_items(user):
    return [
        item
        for section in home_sections(user)
        for item in section.items
        if item.action_label == "Start the next version"
    ]


@time_machine.travel(NOW, tick=False)
def test_both_parties_managers_see_the_review_to_do_with_its_action(cast, in_force):
    for manager in (cast.alice, cast.carol):
        items = _review_items(manager)
        assert len(items) == 1, manager
        item = items[0]
        assert item.action_url == reverse("slas:version_amend", args=[in_force.agreement_id])
        assert "1 Jul 2026" in item.detail and "in 11 days" in item.detail
        assert f"v{in_force.number}" in item.title


@time_machine.travel(NOW, tick=False)
def test_reps_and_execs_get_no_review_to_do(cast, in_force):
    for person in (cast.bob, cast.dan, cast.erin):
        assert _review_items(person) == []


def test_the_to_do_appears_fourteen_days_before_and_stays_once_the_date_passed(cast, in_force):
    with time_machine.travel(datetime.datetime(2026, 6, 16, 9, 0, tzinfo=datetime.UTC)):
        assert selectors.versions_due_for_review(cast.alice) == []
    with time_machine.travel(datetime.datetime(2026, 6, 17, 9, 0, tzinfo=datetime.UTC)):
        assert selectors.versions_due_for_review(cast.alice) == [in_force]
    with time_machine.travel(datetime.datetime(2026, 7, 3, 9, 0, tzinfo=datetime.UTC)):
        assert selectors.versions_due_for_review(cast.alice) == [in_force]
        assert "2 days ago" in _review_items(cast.alice)[0].detail


@time_machine.travel(NOW, tick=False)
def test_the_action_starts_a_draft_from_the_version_in_force_and_the_to_do_goes(
    client, cast, in_force
):
    # when Carol presses "Start the next version" on her home page
    client.force_login(cast.carol)
    home = client.get("/").content.decode()
    assert "Start the next version" in home
    response = client.post(reverse("slas:version_amend", args=[in_force.agreement_id]))
    # then a draft based on the version in force is open, and the to-do is gone for both
    draft = in_force.agreement.versions.get(status=VersionStatus.DRAFT)
    assert draft.based_on == in_force
    assert response.url == reverse("slas:version_edit", args=[draft.pk, "frame"])
    assert _review_items(cast.carol) == [] and _review_items(cast.alice) == []
    assert "Start the next version" not in client.get("/").content.decode()


@time_machine.travel(NOW, tick=False)
def test_a_discarded_draft_brings_the_to_do_back(cast, in_force):
    draft = services.version_amend(actor=cast.alice, agreement=in_force.agreement)
    assert _review_items(cast.alice) == []
    services.version_discard(actor=cast.alice, version=draft, comment="")
    assert len(_review_items(cast.alice)) == 1


def test_the_review_notification_is_not_sent_once_the_next_version_is_under_way(cast, in_force):
    with time_machine.travel(NOW, tick=False):
        services.version_amend(actor=cast.alice, agreement=in_force.agreement)
    with time_machine.travel(datetime.datetime(2026, 6, 24, 9, 0, tzinfo=datetime.UTC)):
        agreement_dates_sweep(now=datetime.datetime(2026, 6, 24, 9, 0, tzinfo=datetime.UTC))
    assert not Notification.objects.filter(kind="agreement_review_due").exists()


def test_the_review_notification_still_comes_while_nothing_is_under_way(cast, in_force):
    at = datetime.datetime(2026, 6, 24, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(at, tick=False):
        agreement_dates_sweep(now=at)
    assert Notification.objects.filter(kind="agreement_review_due", recipient=cast.alice).exists()
