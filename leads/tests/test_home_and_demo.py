"""Home-page items for leads, and the demo seed."""

import datetime as dt

import pytest
import time_machine

from leads.derive import IngestContext
from leads.ingest.store import lead_events_ingest
from leads.models import Cycle, Lead
from leads.tests.factories import parsed

NOW = dt.datetime(2026, 11, 24, 11, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_the_home_page_lists_my_running_clocks(client, cast, sla):
    with time_machine.travel(NOW, tick=False):
        lead_events_ingest(
            items=[
                parsed("H1", "stage_changed", NOW - dt.timedelta(hours=20), to_stage="mql"),
                parsed(
                    "H1", "owner_changed", NOW - dt.timedelta(hours=20), outcome="dan@example.com"
                ),
            ],
            context=IngestContext(
                marketing_team=cast.marketing, sales_team=cast.sales, handoff_on_score=False
            ),
        )
        client.force_login(cast.dan)
        page = client.get("/").content.decode()
    assert "Leads waiting for first contact" in page and "left" in page


@pytest.mark.django_db
def test_the_demo_seeds_history_under_both_versions_with_live_queues_and_is_idempotent(cast, sla):
    from leads import demo

    # when the demo is seeded twice
    demo.seed()
    leads, cycles = Lead.objects.count(), Cycle.objects.count()
    demo.seed()
    # then nothing changed the second time
    assert (Lead.objects.count(), Cycle.objects.count()) == (leads, cycles)
    # and there are ~3000 leads, cycles under v1 and v2, breaches and reasons
    assert leads >= 3000
    versions = set(Cycle.objects.values_list("version__number", flat=True))
    assert {1, 2} <= versions
    assert Cycle.objects.filter(clock_business_seconds__gt=24 * 3600).exists()
    assert Cycle.objects.exclude(rejected_reason_code="").exists()
    # and what is flagged is a real rule break: exactly the sales recycles short of the six
    # attempts versions 1 and 2 ask for, the short list of compliance
    flagged = Lead.objects.filter(flagged=True)
    codes = [flag["code"] for flags in flagged.values_list("flags", flat=True) for flag in flags]
    assert codes and set(codes) == {"recycle_attempts_short"}
    short = Cycle.objects.filter(
        sales_recycle_at__isnull=False, attempts_before_sales_recycle__lt=6
    ).values_list("lead_id", flat=True)
    assert set(flagged.values_list("pk", flat=True)) == set(short)
    # and dan and sara have clocks at risk right now
    from leads import selectors

    for user in (cast.dan, cast.sara):
        rows = selectors.queue_rows(selectors.my_queue(user)[:10])
        assert any(r.clock.state == "at_risk" for r in rows), user
