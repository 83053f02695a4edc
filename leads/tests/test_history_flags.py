"""Flags mean a real rule break: real third-party rows, turned into both CSV formats and
imported as history, flag no lead; the breaks a source can record still do.

The rows are samples of ../shared/datasets (leads/tests/data/README.md says which)."""

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from leads.derive import IngestContext
from leads.ingest.importers import IssueReport, events_import
from leads.models import Cycle, Lead

DATA = Path(__file__).parent / "data"
EVENTS_HEADER = [
    "source",
    "event_id",
    "lead_external_id",
    "kind",
    "occurred_at",
    "actor_email",
    "to_stage",
    "channel",
    "outcome",
    "reason_code",
    "note",
    "company",
    "lead_source",
]
HUBSPOT_HEADER = [
    "Record ID",
    "Create Date",
    "Original Source",
    "Lifecycle Stage",
    "Became a Lead Date",
    "Became a Marketing Qualified Lead Date",
    "Became a Sales Qualified Lead Date",
    "Became an Opportunity Date",
    "Became a Customer Date",
]


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _csv(header: list[str], rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _import(cast, data: bytes, fmt: str):
    issues = io.StringIO()
    context = IngestContext(
        marketing_team=cast.marketing, sales_team=cast.sales, handoff_on_score=False
    )
    summary = events_import(
        stream=io.BytesIO(data),
        format=fmt,
        tz="Europe/Bucharest",
        context=context,
        on_issue=IssueReport(issues),
    )
    assert not summary.error and not summary.failed, issues.getvalue()
    return summary


def hubspot_export(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """X Education leads as HubSpot would export the same contacts: the contact was
    created a lead (Create Date = Became a Lead Date, as HubSpot stamps a new lead);
    a converted lead was handed off the next day, became an SQL two days later
    (HubSpot has no SAL) and a customer two weeks after that. The file has no times:
    the contacts are spread over working hours of March 2026."""
    export = []
    for n, row in enumerate(rows):
        created = dt.datetime(2026, 3, 2, 9) + dt.timedelta(days=n // 6, hours=n % 6)

        def stamp(days: int, created=created) -> str:
            return f"{created + dt.timedelta(days=days):%Y-%m-%d %H:%M}"

        converted = row["Converted"] == "1"
        export.append(
            {
                "Record ID": row["Lead Number"],
                "Create Date": stamp(0),
                "Original Source": row["Lead Source"],
                "Lifecycle Stage": "customer" if converted else "lead",
                "Became a Lead Date": stamp(0),
                "Became a Marketing Qualified Lead Date": stamp(1) if converted else "",
                "Became a Sales Qualified Lead Date": stamp(3) if converted else "",
                "Became an Opportunity Date": "",
                "Became a Customer Date": stamp(17) if converted else "",
            }
        )
    return export


def _deal_event(row: dict[str, str], n: int, kind: str, when: str, **fields) -> dict:
    key = row["opportunity_id"]
    return {
        "source": "maven",
        "event_id": f"{key}-{n}",
        "lead_external_id": key,
        "kind": kind,
        "occurred_at": when,
        "company": row["account"],
        **fields,
    }


def events_file(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Maven deals as the portal's events: the deal's lead was created and handed off
    (mql) on its engage date, contacted by Dan and accepted (sal: "Engaging") that day,
    and won or lost on its close date, as Maven records it (no SQL or opportunity
    step). A Prospecting deal has no dates: it was created and handed off on the day
    after the last engage date of the file (2017-12-28)."""
    events = []
    for row in rows:
        day = row["engage_date"] or "2017-12-28"
        events.append(_deal_event(row, 1, "created", f"{day} 09:00", lead_source="Maven"))
        events.append(_deal_event(row, 2, "stage_changed", f"{day} 09:05", to_stage="mql"))
        if row["deal_stage"] == "Prospecting":
            continue
        dan = {"actor_email": "dan@example.com"}
        events.append(
            _deal_event(row, 3, "contact_attempt", f"{day} 11:00", channel="phone", **dan)
        )
        events.append(_deal_event(row, 4, "stage_changed", f"{day} 14:00", to_stage="sal", **dan))
        if row["deal_stage"] in ("Won", "Lost"):
            closed = f"{row['close_date']} 16:00"
            to = row["deal_stage"].lower()
            events.append(_deal_event(row, 5, "stage_changed", closed, to_stage=to, **dan))
    return events


@pytest.mark.django_db
def test_a_hubspot_export_of_real_contacts_flags_none_of_them(cast, sla):
    # given 24 real X Education leads as a HubSpot contacts export
    rows = _rows("x_education_leads_sample.csv")
    export = hubspot_export(rows)
    # when it is imported
    _import(cast, _csv(HUBSPOT_HEADER, export), "hubspot")
    # then every contact is a lead, none of them flagged
    leads = Lead.objects.filter(source="hubspot")
    assert leads.count() == len(rows) == 24
    flagged = {lead.external_id: lead.flag_note for lead in leads if lead.flagged}
    assert flagged == {}
    # and the 9 converted ones are won, with one accepted cycle each (SQL counts as accepted)
    won = leads.filter(stage="won")
    assert won.count() == sum(row["Converted"] == "1" for row in rows) == 9
    assert Cycle.objects.filter(lead__in=won, accepted_at__isnull=False).count() == 9


@pytest.mark.django_db
def test_an_events_file_of_real_deals_flags_none_of_them(cast, sla):
    # given 26 real Maven deals as the portal's events
    rows = _rows("maven_sales_pipeline_sample.csv")
    # when they are imported
    _import(cast, _csv(EVENTS_HEADER, events_file(rows)), "events")
    # then no lead is flagged
    leads = Lead.objects.filter(source="maven")
    assert leads.count() == len(rows) == 26
    assert {lead.external_id: lead.flag_note for lead in leads if lead.flagged} == {}
    # and each lead is where Maven says its deal is
    expected = {"Won": "won", "Lost": "lost", "Engaging": "sal", "Prospecting": "mql"}
    stages = dict(leads.values_list("external_id", "stage"))
    assert stages == {row["opportunity_id"]: expected[row["deal_stage"]] for row in rows}


@pytest.mark.django_db
def test_the_breaks_a_hubspot_export_can_record_still_flag_the_contact(cast, sla):
    # given real contacts whose recorded path breaks the lifecycle: a customer that was
    # never handed off (no MQL: no SLA clock), and one that became an opportunity after
    # it became a customer (won is final)
    rows = _rows("x_education_leads_sample.csv")[:2]
    export = hubspot_export(rows)
    no_handoff, reopened = export
    no_handoff.update(
        {
            "Became a Marketing Qualified Lead Date": "",
            "Became a Sales Qualified Lead Date": "",
            "Became a Customer Date": "2026-03-20 10:00",
        }
    )
    reopened.update(
        {
            "Became a Marketing Qualified Lead Date": "2026-03-03 10:00",
            "Became a Sales Qualified Lead Date": "",
            "Became a Customer Date": "2026-03-20 10:00",
            "Became an Opportunity Date": "2026-03-25 10:00",
        }
    )
    # when the export is imported
    _import(cast, _csv(HUBSPOT_HEADER, export), "hubspot")
    # then each is flagged with its own break, and only that
    notes = {lead.external_id: lead.flag_note for lead in Lead.objects.all()}
    assert "without a handoff" in notes[no_handoff["Record ID"]]
    assert len(notes[no_handoff["Record ID"]].splitlines()) == 1
    assert "final" in notes[reopened["Record ID"]]
    assert len(notes[reopened["Record ID"]].splitlines()) == 1


@pytest.mark.django_db
def test_the_breaks_an_events_file_can_record_still_flag_the_lead(cast, sla):
    # given real deals: one reopened after it was won, one recycled without a reason
    rows = _rows("maven_sales_pipeline_sample.csv")[:2]
    events = events_file(rows)
    won_key, recycled_key = rows[0]["opportunity_id"], rows[1]["opportunity_id"]
    events.append(
        {
            "source": "maven",
            "event_id": f"{won_key}-6",
            "lead_external_id": won_key,
            "kind": "stage_changed",
            "occurred_at": "2017-04-03 10:00",
            "to_stage": "sal",
        }
    )
    for event in events:
        if event["event_id"] == f"{recycled_key}-5":
            event["to_stage"] = "recycled"  # instead of won, and without a reason code
    # when the file is imported
    _import(cast, _csv(EVENTS_HEADER, events), "events")
    # then each lead is flagged with its own break, and only that
    notes = {lead.external_id: lead.flag_note for lead in Lead.objects.all()}
    assert "final" in notes[won_key] and len(notes[won_key].splitlines()) == 1
    assert "needs a reason code" in notes[recycled_key]
    assert len(notes[recycled_key].splitlines()) == 1
