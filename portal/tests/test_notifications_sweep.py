"""What the sweep finds due, for whom, and that it never says it twice (frozen clock)."""

import datetime as dt

import pytest
import time_machine

from leads.sweep import lead_clocks_sweep
from portal.models import Notification
from portal.schedule import sweep_all
from portal.tests.leadclocks import active_agreement, contact, handed_lead
from reports.sweep import monthly_report_sweep
from slas.sweep import agreement_dates_sweep, version_expiry_sweep

UTC = dt.UTC
# Monday 2 March 2026, 09:00 UTC; 8 business hours (09-17 UTC) -> deadline 17:00 that day.
HANDOFF = dt.datetime(2026, 3, 2, 9, tzinfo=UTC)


def at(hour: int, minute: int = 0, day: int = 2) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def received(kind: str) -> list[tuple[str, str]]:
    return sorted(
        Notification.objects.filter(kind=kind).values_list("recipient__username", "dedupe_key")
    )


def sweep(now):
    with time_machine.travel(now, tick=False):
        return lead_clocks_sweep(now=now)


@pytest.fixture
def version(cast):
    return active_agreement(cast, hours=8)


@pytest.mark.django_db
class TestLeadClocks:
    def test_a_lead_is_at_risk_for_its_owner_once_a_quarter_of_the_window_is_left(
        self, cast, version
    ):
        lead = handed_lead(cast, version, at=HANDOFF)
        # given 5 h 59 of 8 h gone, nothing yet
        assert sweep(at(14, 59)) == 0
        # when 6 h are gone (2 h = 25% left)
        assert sweep(at(15)) == 1
        # then Dan, the owner, hears it with the link and the reason; nobody else
        (notification,) = Notification.objects.all()
        assert notification.recipient == cast.dan
        assert notification.kind == "lead_at_risk"
        assert notification.url == lead.get_absolute_url()
        assert str(lead) in notification.title and "2 h" in notification.title
        assert "quarter" in notification.reason
        # and never twice
        assert sweep(at(15, 1)) == 0
        assert sweep(at(16, 59)) == 0
        assert Notification.objects.count() == 1

    def test_a_breach_tells_the_owner_and_the_sales_managers_once(self, cast, version):
        handed_lead(cast, version, at=HANDOFF)
        sweep(at(15))
        # given the window is exactly used up: not yet a breach
        assert sweep(at(17)) == 0
        # when business time passes the window (Tuesday 09:01)
        assert sweep(at(9, 1, day=3)) == 2
        # then Dan and Carol (Sales manager) are told; not Alice, not Sara
        assert [u for u, _ in received("lead_breached")] == ["carol", "dan"]
        carol = Notification.objects.get(kind="lead_breached", recipient=cast.carol)
        assert "You manage Sales" in carol.reason and "Dan" in carol.reason
        assert sweep(at(12, day=3)) == 0
        assert sweep(at(12, day=10)) == 0

    def test_a_clock_first_seen_breached_gets_the_breach_not_a_stale_warning(self, cast, version):
        # given the sweep did not run all day (broker down)
        handed_lead(cast, version, at=HANDOFF)
        # when it runs the next day
        sweep(at(10, day=3))
        # then only the breach was written
        assert received("lead_at_risk") == []
        assert len(received("lead_breached")) == 2

    def test_a_contacted_lead_is_quiet(self, cast, version):
        lead = handed_lead(cast, version, at=HANDOFF)
        contact(lead, at=at(11))
        assert sweep(at(15)) == 0
        assert sweep(at(10, day=3)) == 0
        assert not Notification.objects.exists()

    def test_the_clock_runs_on_the_version_calendar(self, cast):
        # given a Tokyo calendar (09-17 JST = 00-08 UTC) and a handoff at 09:00 JST Monday
        version = active_agreement(cast, hours=8, tz="Asia/Tokyo")
        handed_lead(cast, version, at=dt.datetime(2026, 3, 2, 0, tzinfo=UTC))
        # then at 05:59 UTC (14:59 JST) nothing, at 06:00 UTC at risk
        assert sweep(dt.datetime(2026, 3, 2, 5, 59, tzinfo=UTC)) == 0
        assert sweep(dt.datetime(2026, 3, 2, 6, 0, tzinfo=UTC)) == 1
        # and evenings and the weekend do not count
        assert sweep(dt.datetime(2026, 3, 2, 23, 0, tzinfo=UTC)) == 0

    def test_escalation_steps_fire_at_their_percentage_for_their_people(self, cast):
        version = active_agreement(
            cast,
            hours=8,
            steps=((50, "remind_owner"), (100, "notify_manager"), (150, "allow_reassign")),
        )
        handed_lead(cast, version, at=HANDOFF)
        # at 50% the owner is reminded
        sweep(at(13))
        assert [u for u, _ in received("lead_escalation")] == ["dan"]
        # at 100% the manager is told
        sweep(at(17))
        assert [u for u, _ in received("lead_escalation")] == ["carol", "dan"]
        # at 150% (Tuesday 13:00) the manager may reassign
        sweep(at(12, 59, day=3))
        assert len(received("lead_escalation")) == 2
        sweep(at(13, day=3))
        escalations = received("lead_escalation")
        assert len(escalations) == 3
        assert any(key.endswith(":150:allow_reassign") for _, key in escalations)
        reassign = Notification.objects.get(dedupe_key__endswith=":150:allow_reassign")
        assert "may now be reassigned" in reassign.title
        # and none twice
        assert sweep(at(15, day=4)) == 0

    def test_a_recycled_lead_that_is_handed_again_is_a_new_clock(self, cast, version):
        from leads.cycle_rows import lead_cycles_refresh
        from leads.models import LeadEvent

        lead = handed_lead(cast, version, at=HANDOFF)
        sweep(at(10, day=3))
        LeadEvent.objects.create(
            lead=lead, kind="stage_changed", occurred_at=at(11, day=3), to_stage="recycled"
        )
        LeadEvent.objects.create(
            lead=lead, kind="stage_changed", occurred_at=at(9, day=4), to_stage="mql"
        )
        lead_cycles_refresh([lead.pk])
        # the facts were rebuilt (new Cycle rows), yet the first breach is not repeated
        assert sweep(at(10, day=5)) == 2
        assert len(received("lead_breached")) == 4

    def test_the_sweep_reads_a_constant_number_of_queries(
        self, cast, version, django_assert_max_num_queries
    ):
        for _ in range(2):
            handed_lead(cast, version, at=HANDOFF)
        sweep(at(10, day=3))
        for _ in range(8):
            handed_lead(cast, version, at=HANDOFF)
        # 5 reads, then 1 insert per new notification (16) plus savepoints and email
        # bookkeeping; nothing per already-notified lead.
        with django_assert_max_num_queries(5 + 16 * 6):
            assert sweep(at(11, day=3)) == 16


@pytest.mark.django_db
class TestAgreementDates:
    def run(self, when):
        with time_machine.travel(when, tick=False):
            return agreement_dates_sweep(now=when)

    def test_review_due_reaches_party_managers_30_7_and_1_days_before(self, cast):
        active_agreement(cast, review=dt.date(2026, 7, 1), end=dt.date(2027, 1, 1))
        noon = dt.time(12, tzinfo=UTC)
        assert self.run(dt.datetime.combine(dt.date(2026, 5, 31), noon)) == 0
        assert self.run(dt.datetime.combine(dt.date(2026, 6, 1), noon)) == 2  # 30 days
        assert self.run(dt.datetime.combine(dt.date(2026, 6, 2), noon)) == 0
        assert self.run(dt.datetime.combine(dt.date(2026, 6, 24), noon)) == 2  # 7 days
        assert self.run(dt.datetime.combine(dt.date(2026, 6, 30), noon)) == 2  # 1 day
        assert self.run(dt.datetime.combine(dt.date(2026, 7, 1), noon)) == 0
        rows = received("agreement_review_due")
        assert {u for u, _ in rows} == {"alice", "carol"}  # managers of Marketing and Sales
        assert len(rows) == 6
        title = Notification.objects.filter(kind="agreement_review_due").first().title
        assert "Review of" in title

    def test_after_an_outage_only_the_most_pressing_step_is_sent(self, cast):
        active_agreement(cast, review=dt.date(2026, 7, 1))
        assert self.run(dt.datetime(2026, 6, 28, 12, tzinfo=UTC)) == 2
        assert all(key.endswith(":7") for _, key in received("agreement_review_due"))

    def test_end_date_approaching_uses_the_version_time_zone(self, cast):
        active_agreement(cast, tz="Pacific/Auckland", end=dt.date(2026, 12, 31))
        # 30 Dec 12:00 UTC is already 31 Dec in Auckland: the day itself, the "1 day" step
        assert self.run(dt.datetime(2026, 12, 30, 12, tzinfo=UTC)) == 2
        assert [k.rsplit(":", 1)[1] for _, k in received("agreement_end_approaching")] == ["1", "1"]

    def test_a_version_expires_once_on_its_end_date(self, cast):
        active_agreement(cast, end=dt.date(2026, 12, 31))
        day_before = dt.datetime(2026, 12, 30, 23, tzinfo=UTC)
        with time_machine.travel(day_before, tick=False):
            assert version_expiry_sweep(now=day_before) == 0
        on_the_day = dt.datetime(2026, 12, 31, 0, 5, tzinfo=UTC)
        with time_machine.travel(on_the_day, tick=False):
            assert version_expiry_sweep(now=on_the_day) == 2
            assert version_expiry_sweep(now=on_the_day) == 0
        assert {u for u, _ in received("version_expired")} == {"alice", "carol"}

    def test_drafts_and_superseded_versions_are_quiet(self, cast):
        version = active_agreement(cast, review=dt.date(2026, 7, 1))
        version.status = "superseded"
        version.save(update_fields=["status"])
        assert self.run(dt.datetime(2026, 6, 30, 12, tzinfo=UTC)) == 0


@pytest.mark.django_db
class TestMonthlyReport:
    def run(self, when):
        with time_machine.travel(when, tick=False):
            return monthly_report_sweep(now=when)

    def test_the_report_is_announced_on_the_first_business_day_to_all_party_members(self, cast):
        version = active_agreement(cast)
        # 1 March 2026 is a Sunday: the first business day is Monday 2 March
        assert self.run(dt.datetime(2026, 3, 1, 12, tzinfo=UTC)) == 0
        count = self.run(dt.datetime(2026, 3, 2, 8, tzinfo=UTC))
        members = {"alice", "bob", "mihai", "carol", "dan", "sara", "tariq"}
        assert count == len(members)
        assert {u for u, _ in received("monthly_report_ready")} == members
        notification = Notification.objects.filter(kind="monthly_report_ready").first()
        # and it links to that agreement's report of February
        assert notification.url == f"/reports/agreements/{version.agreement_id}/monthly/2026-02/"
        assert "February 2026" in notification.title
        # once a month
        assert self.run(dt.datetime(2026, 3, 3, 8, tzinfo=UTC)) == 0
        assert self.run(dt.datetime(2026, 4, 1, 8, tzinfo=UTC)) == len(members)
        april = Notification.objects.filter(kind="monthly_report_ready", dedupe_key__endswith="03")
        assert {n.url for n in april} == {
            f"/reports/agreements/{version.agreement_id}/monthly/2026-03/"
        }

    def test_a_holiday_moves_the_first_business_day(self, cast):
        active_agreement(cast, holidays=(dt.date(2026, 4, 1),))
        assert self.run(dt.datetime(2026, 4, 1, 12, tzinfo=UTC)) == 0
        assert self.run(dt.datetime(2026, 4, 2, 12, tzinfo=UTC)) > 0

    def test_a_version_that_began_this_month_has_no_report_yet(self, cast):
        active_agreement(cast, in_force_from=dt.datetime(2026, 3, 1, 12, tzinfo=UTC))
        assert self.run(dt.datetime(2026, 3, 2, 12, tzinfo=UTC)) == 0


@pytest.mark.django_db
def test_a_sweep_in_a_rolled_back_transaction_writes_and_sends_nothing(
    cast, version, django_capture_on_commit_callbacks
):
    from django.core import mail
    from django.db import transaction

    handed_lead(cast, version, at=HANDOFF)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            assert sweep(at(10, day=3)) == 2
            raise RuntimeError
    assert callbacks == []
    assert mail.outbox == []
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_sweep_all_emails_each_due_notification_once(
    cast, version, django_capture_on_commit_callbacks
):
    from django.core import mail

    handed_lead(cast, version, at=HANDOFF)
    now = at(10, day=3)
    with time_machine.travel(now, tick=False), django_capture_on_commit_callbacks(execute=True):
        sweep_all(now=now)
        sweep_all(now=now)
    assert sorted(m.to[0] for m in mail.outbox) == ["carol@example.com", "dan@example.com"]


@pytest.mark.django_db
def test_an_overdue_action_item_tells_its_owner_once(cast):
    from leads.reviews.models import ActionItem
    from leads.reviews.services import review_session_schedule
    from leads.reviews.sweep import action_items_sweep
    from leads.tests.review_factories import agreement_in_force
    from slas.periods import period_containing

    # given an action item of Alice's, due on 10 March
    version = agreement_in_force(cast)
    session = review_session_schedule(
        organizer=cast.carol,
        agreement=version.agreement,
        marketing_team_id=cast.marketing.pk,
        sales_team_id=cast.sales.pk,
        period=period_containing("UTC", "month", dt.datetime(2026, 2, 15, tzinfo=UTC)),
        cadence="month",
        scheduled_for=dt.datetime(2026, 3, 3, tzinfo=UTC),
        attendee_ids=[cast.alice.pk],
    )
    ActionItem.objects.create(
        session=session,
        owner=cast.alice,
        title="Fix the webinar form",
        due_date=dt.date(2026, 3, 10),
    )
    # when the sweep runs on the due date, the day after, and again
    with time_machine.travel(dt.datetime(2026, 3, 10, 12, tzinfo=UTC), tick=False):
        assert action_items_sweep(now=dt.datetime(2026, 3, 10, 12, tzinfo=UTC)) == 0
    with time_machine.travel(dt.datetime(2026, 3, 11, 12, tzinfo=UTC), tick=False):
        assert action_items_sweep(now=dt.datetime(2026, 3, 11, 12, tzinfo=UTC)) == 1
        assert action_items_sweep(now=dt.datetime(2026, 3, 11, 12, tzinfo=UTC)) == 0
    # then Alice got exactly one notification, with a link to the minutes
    (note,) = cast.alice.notifications.filter(kind="action_item_overdue")
    assert "Fix the webinar form" in note.title and "#action-" in note.url
