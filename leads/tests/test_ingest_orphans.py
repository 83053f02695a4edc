"""What the events table's foreign key on the lead guards (PostgreSQL, two connections): a
lead deleted while an import writes events for it leaves no orphan event.

The importer locks the batch's existing leads (FOR UPDATE) but a deletion through the ORM
collects the lead's events first, without waiting for that lock, and only then waits to
delete the lead row itself: when it gets it, the import has committed events it never
saw. Only the database's foreign key refuses that deletion (at its commit), so the key
stays; see docs/architecture.md#the-events-tables-foreign-keys.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction

from leads.derive import IngestContext
from leads.ingest.formats import ParsedEvent
from leads.ingest.store import lead_events_ingest
from leads.models import Lead, LeadEvent

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("two connections at once only on PostgreSQL (SQLite serialises writes)")


def item(n: int, at: dt.datetime) -> ParsedEvent:
    return ParsedEvent(
        row=n,
        source="crm",
        event_id=f"e{n}",
        lead_external_id="L1",
        kind="contact_attempt" if n else "created",
        occurred_at=at,
        channel="phone" if n else "",
    )


def test_a_lead_deleted_during_an_import_leaves_no_orphan_event(cast):
    context = IngestContext(
        marketing_team=cast.marketing, sales_team=cast.sales, handoff_on_score=False
    )
    start = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
    lead_events_ingest(items=[item(0, start)], context=context)
    lead = Lead.objects.get(external_id="L1")
    importing, deleting = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def importer():
        try:
            with transaction.atomic():
                later = [item(n, start + dt.timedelta(hours=n)) for n in range(1, 4)]
                lead_events_ingest(items=later, context=context)
                importing.set()  # the lead is locked, its new events written
                deleting.wait(5)
                threading.Event().wait(0.5)  # the deleter has collected and now waits
        finally:
            connections.close_all()

    def deleter():
        importing.wait(5)
        try:
            deleting.set()
            Lead.objects.get(pk=lead.pk).delete()
            outcome["deleted"] = True
        except IntegrityError as refused:
            outcome["refused"] = refused
        finally:
            connections.close_all()

    threads = [threading.Thread(target=importer), threading.Thread(target=deleter)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    # the deletion that collected the events before the import committed is refused
    assert "refused" in outcome, outcome
    # and no event points at a lead that is not there
    assert not LeadEvent.objects.exclude(lead_id__in=Lead.objects.values("pk")).exists()
    assert LeadEvent.objects.filter(lead_id=lead.pk).count() == 4
