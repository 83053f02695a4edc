"""Visitor to lead conversion (issue 19 §2, seed 004): leads created / visitors in the
period, computed by hand (docs/compliance.md#visitor_to_lead)."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leads.visitors.models import VisitorCount
from leads.visitors.selectors import visitor_facts
from leads.visitors.services import visitor_count_set, visitor_counts_import_csv
from reports import results, selectors
from reports.engine import CommitmentSpec, VisitorFacts, evaluate
from reports.tests.factories import TZ, AgreementFactory, VersionFactory, lead, local
from slas.clock import BusinessCalendar
from slas.models import Commitment
from slas.periods import period_containing
from slas.testing import version_take_effect

MARCH = period_containing(TZ, "month", local(3, 10))
ALWAYS = (dt.datetime(2020, 1, 1, tzinfo=dt.UTC), None)
CAL = BusinessCalendar(tz=TZ)


def _spec(target=2):
    return CommitmentSpec(id=1, kind="visitor_to_lead", target=target, version_id=1)


def test_visitor_conversion_is_leads_created_over_visitors_by_hand():
    # given 3,000 visitors in March (2,000 organic + 1,000 paid) and 75 leads created
    facts = {MARCH.start: VisitorFacts(leads=75, visitors=3000)}
    # when
    result = evaluate(
        _spec(target=2), MARCH, [], calendar=CAL, in_force=ALWAYS, now=local(4, 2), visitors=facts
    )
    # then 75 / 3,000 = 2.5 %, at least the 2 % target: met
    assert (result.numerator, result.denominator) == (75, 3000)
    assert result.actual == pytest.approx(2.5)
    assert result.status == "met"
    missed = evaluate(
        _spec(target=3), MARCH, [], calendar=CAL, in_force=ALWAYS, now=local(4, 2), visitors=facts
    )
    assert missed.status == "missed"


def test_no_visitor_count_is_no_data():
    result = evaluate(_spec(), MARCH, [], calendar=CAL, in_force=ALWAYS, now=local(4, 2))
    assert result.status == "no_data" and result.actual is None


@pytest.mark.django_db
def test_the_csv_upload_and_the_period_facts_add_up(cast):
    agreement = AgreementFactory()
    agreement.parties.set([cast.marketing, cast.sales])
    # given a web-analytics export of two sources for March, one for April
    written, errors = visitor_counts_import_csv(
        actor=cast.alice,
        agreement=agreement,
        text="month,source,visitors\n2026-03,organic,2000\n2026-03,paid,1000\n2026-04,organic,5\n",
    )
    assert (written, errors) == (3, [])
    for day in (2, 15, 31):
        lead(agreement, cast, created_at=local(3, day))
    lead(agreement, cast, created_at=local(4, 1))
    # when
    facts = visitor_facts(agreement.pk, [MARCH])
    # then
    assert facts[MARCH.start] == VisitorFacts(leads=3, visitors=3000)


@pytest.mark.django_db
def test_the_facts_of_several_periods_each_count_their_own_months(cast):
    agreement = AgreementFactory()
    agreement.parties.set([cast.marketing, cast.sales])
    # given visitors and leads in February, March and April
    visitor_counts_import_csv(
        actor=cast.alice,
        agreement=agreement,
        text="month,source,visitors\n2026-02,organic,100\n2026-03,organic,2000\n"
        "2026-03,paid,1000\n2026-04,organic,5\n",
    )
    for month, day in ((2, 10), (3, 2), (3, 31), (4, 1)):
        lead(agreement, cast, created_at=local(month, day))
    february = period_containing(TZ, "month", local(2, 10))
    q1 = period_containing(TZ, "quarter", local(2, 10))
    # when the facts of February, March and the first quarter are read together
    facts = visitor_facts(agreement.pk, [february, MARCH, q1], TZ)
    # then each period counts its own months: the quarter January to March, not April
    assert facts[february.start] == VisitorFacts(leads=1, visitors=100)
    assert facts[MARCH.start] == VisitorFacts(leads=2, visitors=3000)
    assert q1.start != february.start and facts[q1.start] == VisitorFacts(leads=3, visitors=3100)


@pytest.mark.django_db
def test_a_bad_csv_row_writes_nothing_and_says_which_row(cast):
    agreement = AgreementFactory()
    written, errors = visitor_counts_import_csv(
        actor=cast.alice,
        agreement=agreement,
        text="month,source,visitors\n2026-03,organic,2000\n2026-13,paid,-4\n",
    )
    assert written == 0 and errors and errors[0].startswith("Row 3")
    assert not VisitorCount.objects.exists()


@pytest.mark.django_db
def test_the_marketing_scorecard_shows_visitor_conversion(client, cast):
    # given a version in force all March with a 2 % visitor-to-lead commitment of marketing
    agreement = AgreementFactory()
    agreement.parties.set([cast.marketing, cast.sales])
    v1 = VersionFactory(agreement=agreement, number=1)
    Commitment.objects.create(
        version=v1, owner_team=cast.marketing, kind="visitor_to_lead", target=Decimal(2)
    )
    version_take_effect(v1, in_force_from=local(3, 1, 0))
    visitor_count_set(
        actor=cast.alice,
        agreement=agreement,
        month=dt.date(2026, 3, 1),
        source="organic",
        visitors=400,
    )
    for day in range(2, 11):  # 9 leads: 9 / 400 = 2.25 %
        lead(agreement, cast, created_at=local(3, day))
    # when
    client.force_login(cast.erin)
    with time_machine.travel(local(4, 2), tick=False):
        html = client.get(f"/reports/versions/{v1.pk}/?period=2026-03").content.decode()
    # then
    assert "Visitors who became leads" in html
    assert "2.2%" in html or "2.3%" in html
    # a count entered later changes the figure at the next read (never stored as fresh)
    visitor_count_set(
        actor=cast.alice,
        agreement=agreement,
        month=dt.date(2026, 3, 1),
        source="paid",
        visitors=500,
    )
    with time_machine.travel(local(4, 2, 11), tick=False):
        html = client.get(f"/reports/versions/{v1.pk}/?period=2026-03").content.decode()
    assert "1%" in html  # 9 / 900


@pytest.mark.django_db
def test_rereading_visitor_conversion_reads_no_cycles_and_stores_nothing(cast, monkeypatch):
    # given a version in force since March with a visitor-to-lead commitment and a volume
    # commitment, read once in May (the volume's results stored, visitor_to_lead never)
    agreement = AgreementFactory()
    agreement.parties.set([cast.marketing, cast.sales])
    v1 = VersionFactory(agreement=agreement, number=1)
    for kind, target in (("visitor_to_lead", 2), ("mql_volume", 5)):
        Commitment.objects.create(
            version=v1, owner_team=cast.marketing, kind=kind, target=Decimal(target)
        )
    version_take_effect(v1, in_force_from=local(3, 1, 0))
    for month, visitors in ((3, 400), (4, 500)):
        visitor_count_set(
            actor=cast.alice,
            agreement=agreement,
            month=dt.date(2026, month, 1),
            source="organic",
            visitors=visitors,
        )
    for month, day in ((3, 2), (3, 9), (4, 3)):
        lead(agreement, cast, created_at=local(month, day))
    now = local(5, 2)
    selectors.compliance_for_versions([v1], now=now)
    cycle_reads = []
    monkeypatch.setattr(results, "load_facts", lambda *a, **kw: cycle_reads.append(a) or ([], {}))
    # when it is read again
    with CaptureQueriesContext(connection) as queries:
        comp = selectors.compliance_for_versions([v1], now=now)[v1.pk]
    # then visitor_to_lead is recomputed from one count of the visitors of all its
    # periods, without the version's cycles, and not stored (never read back as fresh):
    # so without the facts revision a stored result is checked against
    assert cycle_reads == []
    assert sum('"leads_visitorcount"' in q["sql"] for q in queries) == 1
    assert not [q["sql"] for q in queries if '"reports_factsrevision"' in q["sql"]]
    assert not [q["sql"] for q in queries if q["sql"].startswith(("INSERT", "UPDATE"))]
    line = next(
        line
        for card in comp.scorecards
        for line in card.lines
        if line.spec.kind == "visitor_to_lead"
    )
    by_label = {row.label: (row.numerator, row.denominator) for row in line.results}
    assert by_label["2026-03"] == (2, 400)
    assert by_label["2026-04"] == (1, 500)
