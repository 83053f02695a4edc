import datetime as dt

import pytest

from leads.cycle_rows import cycles_computed, lead_cycles_refresh
from leads.models import Cycle, Lead, LeadEvent
from slas.models import Agreement, Version

UTC = dt.UTC


@pytest.fixture
def agreement_with_versions(cast):
    agreement = Agreement.objects.create(title="SLA")
    agreement.parties.set([cast.marketing, cast.sales])
    common = dict(
        effective_date=dt.date(2026, 1, 1),
        end_date=dt.date(2027, 1, 1),
        review_date=dt.date(2026, 7, 1),
    )
    v1 = Version.objects.create(
        agreement=agreement,
        number=1,
        status="superseded",
        first_contact_hours=8,
        in_force_from=dt.datetime(2026, 1, 1, tzinfo=UTC),
        in_force_until=dt.datetime(2026, 3, 1, tzinfo=UTC),
        **common,
    )
    v2 = Version.objects.create(
        agreement=agreement,
        number=2,
        status="active",
        first_contact_hours=16,
        in_force_from=dt.datetime(2026, 3, 1, tzinfo=UTC),
        **common,
    )
    return agreement, v1, v2


def event(lead, kind, at, **fields):
    return LeadEvent.objects.create(lead=lead, kind=kind, occurred_at=at, **fields)


@pytest.mark.django_db
def test_cycles_are_pinned_to_the_version_in_force_at_each_handoff(cast, agreement_with_versions):
    agreement, v1, v2 = agreement_with_versions
    lead = Lead.objects.create(
        external_id="L1",
        agreement=agreement,
        marketing_team=cast.marketing,
        sales_team=cast.sales,
        owner=cast.dan,
        created_at=dt.datetime(2026, 2, 1, tzinfo=UTC),
    )
    # given a handoff under v1 (Monday 2026-02-23 10:00 UTC), a rejection, and a second handoff under v2
    event(lead, "stage_changed", dt.datetime(2026, 2, 23, 10, tzinfo=UTC), to_stage="mql")
    event(lead, "contact_attempt", dt.datetime(2026, 2, 24, 10, tzinfo=UTC), channel="phone")
    event(
        lead,
        "stage_changed",
        dt.datetime(2026, 3, 2, 10, tzinfo=UTC),
        to_stage="recycled",
        reason_code="no_need",
    )
    event(lead, "stage_changed", dt.datetime(2026, 3, 10, 10, tzinfo=UTC), to_stage="mql")

    # when the facts are refreshed
    assert lead_cycles_refresh([lead.pk]) == 2

    # then each cycle keeps its governing version, deadline and clock
    first, second = Cycle.objects.filter(lead=lead).order_by("number")
    assert first.version_id == v1.pk and second.version_id == v2.pk
    assert first.deadline_at == dt.datetime(2026, 2, 24, 10, tzinfo=UTC)  # 8 business hours later
    assert first.clock_business_seconds == 8 * 3600
    assert first.ended_at == second.handoff_at
    assert first.exits == [["2026-03-02T10:00:00+00:00", "recycled", "no_need"]]
    # 7 h on Tuesday, 8 h on Wednesday, 1 h on Thursday
    assert second.deadline_at == dt.datetime(2026, 3, 12, 10, tzinfo=UTC)
    assert second.clock_stop_at is None


@pytest.mark.django_db
def test_a_handoff_before_any_version_is_ungoverned(cast, agreement_with_versions):
    agreement, _, _ = agreement_with_versions
    lead = Lead.objects.create(
        external_id="L2",
        agreement=agreement,
        marketing_team=cast.marketing,
        sales_team=cast.sales,
        created_at=dt.datetime(2025, 12, 1, tzinfo=UTC),
    )
    event(lead, "stage_changed", dt.datetime(2025, 12, 2, 10, tzinfo=UTC), to_stage="mql")
    (row,) = cycles_computed([lead.pk])
    assert row.version_id is None and row.deadline_at is None
