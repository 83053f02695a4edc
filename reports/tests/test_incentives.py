"""Incentive amounts computed by hand (docs/incentives.md).

One version in force from 1 January 2026 (Europe/Bucharest, Mon-Fri 09:00-17:00), average
deal 25,000.00 USD, two monthly commitments: marketing hands off at least 10 MQLs (missed
in April: 4), sales makes first contact within 4 business hours for 90% (met in April:
4 of 4 within the hour).

April 2026: four MQLs, all reach SQL in April; three are won in April (1, 2 and 4).

Rules, by hand:
- R1 marketing, 150.00 per won deal, cap 400.00, no condition: 3 x 150 = 450.00,
  capped -> 400.00.
- R2 marketing, 1.5% of revenue, speed condition: revenue 3 x 25,000 = 75,000.00;
  x 1.5% = 1,125.00; first contact met -> 1,125.00.
- R3 sales, 33.33 per SQL, condition "both scorecards meet every commitment": 4 x 33.33 =
  133.32 but the MQL volume is missed -> 0.00.
- R4 sales, 200.00 per commitment met (both sides): first contact met, volume missed ->
  1 x 200 = 200.00.
Marketing earns 1,525.00, sales 200.00.

May 2026, seen on 16 May 00:00 local (15 of 31 days gone): one deal won on 5 May.
- R1: 150.00 so far; at this pace 150 x 31 / 15 = 310.00 (under the cap).
- R2: 25,000 x 1.5% = 375.00 so far; at this pace 375 x 31 / 15 = 775.00.
"""

import csv
import io
import re
from decimal import Decimal

import pytest
import time_machine

from portal.tests.pdftext import pdf_text
from reports import incentives
from reports.tests.factories import AgreementFactory, VersionFactory, lead, local, story
from slas.models import Commitment, Incentive
from slas.periods import period_containing
from slas.testing import version_take_effect

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def world(cast):
    return paying_version(cast)


def paying_version(cast):
    """The version described above, with its April and May leads."""
    agreement = AgreementFactory()
    agreement.parties.set([cast.marketing, cast.sales])
    version = VersionFactory(agreement=agreement, number=1, avg_deal_size=D("25000"))
    Commitment.objects.create(
        version=version, owner_team=cast.marketing, kind="mql_volume", target=D(10)
    )
    Commitment.objects.create(
        version=version,
        owner_team=cast.sales,
        kind="first_contact_within",
        params={"hours": 4},
        target=D(90),
        position=1,
    )
    rules = {
        "R1": dict(owner_team=cast.marketing, measure="won_deals", amount=D("150"), cap=D("400")),
        "R2": dict(
            owner_team=cast.marketing,
            measure="revenue",
            rate_percent=D("1.5"),
            condition="speed_met",
        ),
        "R3": dict(owner_team=cast.sales, measure="sqls", amount=D("33.33"), condition="all_met"),
        "R4": dict(owner_team=cast.sales, measure="commitments_met", amount=D("200")),
    }
    for position, (name, fields) in enumerate(rules.items()):
        Incentive.objects.create(version=version, name=name, position=position, **fields)
    version_take_effect(version, in_force_from=local(1, 1, 0))
    april = [
        ((4, 1), (4, 2), (4, 10)),
        ((4, 6), (4, 7), (4, 20)),
        ((4, 8), (4, 9), None),
        ((4, 14), (4, 15), (4, 28)),
    ]
    for mql, sql, won in april:
        steps = [
            ("mql", local(*mql, 10)),
            ("attempt", local(*mql, 10, 30)),
            ("sal", local(*mql, 11)),
            ("sql", local(*sql, 10)),
        ]
        if won:
            steps += [("opportunity", local(*sql, 12)), ("won", local(*won, 10))]
        story(lead(agreement, cast), *steps)
    story(
        lead(agreement, cast),
        ("mql", local(5, 4, 10)),
        ("attempt", local(5, 4, 10, 30)),
        ("sal", local(5, 4, 11)),
        ("sql", local(5, 4, 12)),
        ("opportunity", local(5, 4, 13)),
        ("won", local(5, 5, 10)),
    )
    return version


def _by_name(report):
    return {r.rule.name: r for r in report.results}


def test_a_completed_month_pays_by_hand_with_a_cap_and_a_failed_condition(cast, world):
    april = period_containing("Europe/Bucharest", "month", local(4, 10))
    report = incentives.version_incentives(world, april, now=local(5, 4, 9))
    r = _by_name(report)
    assert (r["R1"].units, r["R1"].gross, r["R1"].capped, r["R1"].earned) == (
        3,
        D("450.00"),
        True,
        D("400.00"),
    )
    assert (r["R2"].revenue, r["R2"].condition, r["R2"].earned) == (
        D("75000.00"),
        "met",
        D("1125.00"),
    )
    assert (r["R3"].units, r["R3"].gross, r["R3"].condition, r["R3"].earned) == (
        4,
        D("133.32"),
        "failed",
        D("0.00"),
    )
    assert [s.kind for s in r["R3"].failing] == ["mql_volume"]
    # named as the agreement words it, the target in its unit (it read "MQL volume ≥ 10.00")
    assert r["R3"].failing[0].title.startswith("MQLs handed off: at least ")
    assert ".00" not in r["R3"].failing[0].title
    assert (r["R4"].units, r["R4"].earned) == (1, D("200.00"))
    # a completed period projects what it earned
    assert all(x.projected == x.earned for x in report.results)
    totals = {t.team.name: t.earned for t in report.teams}
    assert totals == {"Marketing": D("1525.00"), "Sales": D("200.00")}
    assert report.earned == D("1725.00")


def test_an_open_month_projects_at_the_current_pace(cast, world):
    now = local(5, 16, 0)
    may = period_containing("Europe/Bucharest", "month", now)
    r = _by_name(incentives.version_incentives(world, may, now=now))
    assert (r["R1"].earned, r["R1"].projected) == (D("150.00"), D("310.00"))
    assert (r["R2"].earned, r["R2"].projected) == (D("375.00"), D("775.00"))
    assert r["R2"].condition in ("pending", "at_risk")


def test_each_figure_names_the_deals_behind_it(cast, world):
    april = period_containing("Europe/Bucharest", "month", local(4, 10))
    r = _by_name(incentives.version_incentives(world, april, now=local(5, 4, 9)))
    from leads.models import Cycle

    won = set(
        Cycle.objects.filter(won_at__gte=april.start, won_at__lt=april.end).values_list(
            "id", flat=True
        )
    )
    assert set(r["R1"].cycle_ids) == won and len(won) == 3
    assert len(r["R3"].cycle_ids) == 4


class TestPage:
    def test_erin_and_the_managers_see_the_page_reps_do_not(self, client, cast, world):
        url = f"/reports/versions/{world.pk}/incentives/?period=2026-04"
        with time_machine.travel(local(5, 4, 9), tick=False):
            for who, status in (
                ("erin", 200),
                ("alice", 200),
                ("carol", 200),
                ("bob", 403),
                ("dan", 403),
                ("mallory", 404),
            ):
                client.force_login(getattr(cast, who))
                assert client.get(url).status_code == status, who
            client.force_login(cast.erin)
            page = client.get(url).content.decode()
        assert "1,525.00" in page or "1525.00" in page
        assert f"/reports/versions/{world.pk}/incentives/" in page

    def test_the_payroll_csv_has_one_line_per_team_and_rule(self, client, cast, world):
        client.force_login(cast.carol)
        with time_machine.travel(local(5, 4, 9), tick=False):
            response = client.get(f"/reports/versions/{world.pk}/incentives/2026-04.csv")
        assert response.status_code == 200
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        header, body = rows[0], rows[1:]
        earned = header.index("earned")
        assert [(row[header.index("rule")], row[earned]) for row in body] == [
            ("R1", "400.00"),
            ("R2", "1125.00"),
            ("R3", "0.00"),
            ("R4", "200.00"),
        ]
        assert {row[header.index("currency")] for row in body} == {"USD"}
        assert {row[header.index("final")] for row in body} == {"yes"}

    def test_a_rule_opens_its_deals(self, client, cast, world):
        client.force_login(cast.erin)
        rule = world.incentives.get(name="R1")
        with time_machine.travel(local(5, 4, 9), tick=False):
            page = client.get(f"/reports/versions/{world.pk}/incentives/{rule.pk}/2026-04/")
        assert page.status_code == 200
        assert page.content.decode().count('data-testid="counted-lead"') == 3


class TestMonthlyReport:
    def test_managers_read_the_months_incentives_reps_do_not(self, client, cast, world):
        url = f"/reports/agreements/{world.agreement_id}/monthly/2026-04/"
        with time_machine.travel(local(5, 4, 9), tick=False):
            client.force_login(cast.alice)
            page = client.get(url).content.decode()
            csv_text = client.get(url[:-1] + ".csv").content.decode()
            pdf = client.get(url[:-1] + ".pdf")
            client.force_login(cast.bob)
            rep_page = client.get(url).content.decode()
            rep_csv = client.get(url[:-1] + ".csv").content.decode()
        assert 'data-testid="monthly-incentives"' in page and "1,525.00" in page
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert "incentives Marketing,R1,400.00 USD" in csv_text
        assert "incentives Sales,R3,0.00 USD,,,failed" in csv_text
        assert 'data-testid="monthly-incentives"' not in rep_page
        assert "incentives" not in rep_csv


class TestWhatIf:
    def test_a_drafts_rules_are_evaluated_on_the_last_completed_period(self, client, cast, world):
        from reports.whatif import whatif

        draft = VersionFactory(
            agreement=world.agreement, number=2, avg_deal_size=D("30000"), status="draft"
        )
        Commitment.objects.create(
            version=draft,
            owner_team=cast.sales,
            kind="first_contact_within",
            params={"hours": 4},
            target=D(90),
        )
        Incentive.objects.create(
            version=draft,
            owner_team=cast.marketing,
            name="Revenue share",
            measure="revenue",
            rate_percent=D("2"),
            cap=D("1500"),
            condition="speed_met",
        )
        april = period_containing("Europe/Bucharest", "month", local(4, 10))
        data = whatif(draft, april, now=local(5, 4, 9))
        (result,) = incentives.draft_incentives(data, now=local(5, 4, 9))
        # 3 deals x 30,000 = 90,000 x 2% = 1,800.00, capped at 1,500.00; speed met
        assert (result.revenue, result.gross, result.condition, result.earned) == (
            D("90000.00"),
            D("1800.00"),
            "met",
            D("1500.00"),
        )
        client.force_login(cast.alice)
        with time_machine.travel(local(5, 4, 9), tick=False):
            page = client.get(f"/reports/versions/{draft.pk}/what-if/?period=2026-04")
        assert 'data-testid="whatif-incentives"' in page.content.decode()
        assert "1,500.00" in page.content.decode()


class TestApi:
    def test_the_api_gives_the_amounts_exactly_to_those_who_read_pay(self, client, cast, world):
        url = f"/api/v1/incentives/versions/{world.pk}/?period=2026-04"
        with time_machine.travel(local(5, 4, 9), tick=False):
            client.force_login(cast.erin)
            body = client.get(url).json()
            statuses = {}
            for who in ("bob", "mallory"):
                client.force_login(getattr(cast, who))
                statuses[who] = client.get(url).status_code
            client.force_login(cast.alice)
            bad = client.get(url.replace("2026-04", "1999-01"))
        assert statuses == {"bob": 403, "mallory": 404}
        assert body["final"] is True and body["currency"] == "USD"
        assert {t["team"]["name"]: t["earned"] for t in body["teams"]} == {
            "Marketing": "1525.00",
            "Sales": "200.00",
        }
        r3 = next(r for r in body["rules"] if r["name"] == "R3")
        assert (r3["before_cap"], r3["condition_status"], r3["earned"]) == (
            "133.32",
            "failed",
            "0.00",
        )
        assert bad.status_code == 400 and "period" in bad.json()["errors"]


def test_the_monthly_pdf_names_each_rules_condition_as_the_page_does(client, cast, world):
    # given April's rules: R1 without a condition, R2's met, R3's failed
    url = f"/reports/agreements/{world.agreement_id}/monthly/2026-04.pdf"
    client.force_login(cast.alice)
    with time_machine.travel(local(5, 4, 9), tick=False):
        text = pdf_text(client.get(url).content)
    # then the PDF's incentives table words each condition, not its code
    table = text[text.index("Shared incentives") :]
    assert "no condition" in table and "condition met" in table
    assert "condition failed: nothing paid" in table
    assert not re.search(r"USD\s*(none|met|failed)\b", table), table
