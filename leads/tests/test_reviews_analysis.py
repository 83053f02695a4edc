"""The feedback analysis equals a hand count on a small fixture; its numbers open their leads."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import escape

from leads.reviews.selectors import NONE, AnalysisScope, analysis_leads, feedback_analysis
from leads.reviews.services import feedback_create
from leads.tests.review_factories import agreement_in_force, handed_off_lead, move, rejected_lead
from slas.periods import periods_between

UTC = dt.UTC
NOW = dt.datetime(2025, 4, 15, 12, tzinfo=UTC)


def at(month, day):
    return dt.datetime(2025, month, day, 10, tzinfo=UTC)


@pytest.fixture
def fixture(cast):
    """Three leads, five entries (hand counts in the tests), plus noise outside the scope."""
    version = agreement_in_force(cast, since=dt.datetime(2024, 1, 1, tzinfo=UTC))
    l1 = rejected_lead(
        cast,
        version,
        at(3, 9),
        reason="no_budget",
        lead_source="Webinar",
        industry="Software",
        attributes={"campaign": "spring"},
    )
    l2 = rejected_lead(
        cast,
        version,
        at(4, 1),
        reason="wrong_data",
        lead_source="Webinar",
        industry="Retail",
        owner=cast.sara,
    )
    l3 = handed_off_lead(cast, version, at(2, 1), lead_source="Trade show", industry="Software")
    move(l3, "sal", at(2, 2))
    feedback_create(lead=l1, author=cast.dan, rating=2, reason_codes=["no_budget"], now=at(3, 10))
    feedback_create(
        lead=l1, author=cast.carol, rating=4, reason_codes=["no_budget", "no_need"], now=at(3, 12)
    )
    feedback_create(lead=l2, author=cast.sara, rating=1, reason_codes=["wrong_data"], now=at(4, 2))
    feedback_create(lead=l3, author=cast.dan, rating=5, now=at(2, 10))
    feedback_create(lead=l3, author=cast.bob, note="Met at the booth", now=at(3, 1))
    # noise: another agreement, and feedback before the scope
    other = agreement_in_force(cast)
    noise = rejected_lead(cast, other, at(3, 9), reason="no_budget", lead_source="Webinar")
    feedback_create(
        lead=noise, author=cast.dan, rating=1, reason_codes=["no_budget"], now=at(3, 10)
    )
    old = rejected_lead(cast, version, dt.datetime(2024, 6, 3, tzinfo=UTC), lead_source="Webinar")
    feedback_create(
        lead=old,
        author=cast.dan,
        rating=1,
        reason_codes=["no_budget"],
        now=dt.datetime(2024, 6, 4, tzinfo=UTC),
    )
    return {"version": version, "l1": l1, "l2": l2, "l3": l3}


def scope_for(version, **kwargs):
    periods = periods_between("UTC", "month", at(1, 1), at(5, 1) - dt.timedelta(days=1))
    return AnalysisScope(
        agreement=version.agreement, tz="UTC", cadence="month", periods=periods, **kwargs
    )


@pytest.mark.django_db
class TestHandCount:
    def test_by_lead_source(self, cast, fixture):
        result = feedback_analysis(cast.alice, scope_for(fixture["version"]), "source")
        groups = {g.value: g for g in result.groups}
        webinar, trade = groups["Webinar"], groups["Trade show"]
        assert (webinar.entries, webinar.leads, webinar.rated) == (3, 2, 3)
        assert webinar.avg_rating == pytest.approx(7 / 3)
        assert webinar.reasons == {"no_budget": 1, "no_need": 1, "wrong_data": 1}
        assert (trade.entries, trade.leads, trade.rated, trade.avg_rating) == (2, 1, 1, 5)
        assert (result.totals.entries, result.totals.leads, result.totals.avg_rating) == (5, 3, 3.0)
        assert result.reason_columns[0] == ("no_budget", "No budget this year")

    def test_by_campaign_industry_rep_and_period(self, cast, fixture):
        scope = scope_for(fixture["version"])
        campaign = {
            g.value: g.entries for g in feedback_analysis(cast.alice, scope, "campaign").groups
        }
        industry = {
            g.value: g.entries for g in feedback_analysis(cast.alice, scope, "industry").groups
        }
        rep = {g.label: g.entries for g in feedback_analysis(cast.alice, scope, "rep").groups}
        assert campaign == {"spring": 2, NONE: 3}
        assert industry == {"Software": 4, "Retail": 1}
        assert rep == {"Dan Dumitrescu": 4, "Sara Sato": 1}
        trend = feedback_analysis(cast.alice, scope, "period").trend
        assert [(g.label, g.entries, g.avg_rating) for g in trend] == [
            ("2025-01", 0, None),
            ("2025-02", 1, 5.0),
            ("2025-03", 3, 3.0),
            ("2025-04", 1, 1.0),
        ]

    def test_top_rejection_reasons(self, cast, fixture):
        result = feedback_analysis(cast.alice, scope_for(fixture["version"]), "source")
        assert [(code, n) for code, _label, n in result.rejection_reasons] == [
            ("no_budget", 1),
            ("wrong_data", 1),
        ]

    def test_each_number_opens_exactly_the_leads_behind_it(self, cast, fixture):
        version = fixture["version"]
        by_reason = analysis_leads(
            cast.alice, scope_for(version, filters={"source": "Webinar"}, reason="no_budget")
        )
        assert set(by_reason) == {fixture["l1"]}
        webinar = analysis_leads(cast.alice, scope_for(version, filters={"source": "Webinar"}))
        assert set(webinar) == {fixture["l1"], fixture["l2"]}
        rejected = analysis_leads(cast.alice, scope_for(version, rejected_reason="wrong_data"))
        assert set(rejected) == {fixture["l2"]}
        no_campaign = analysis_leads(cast.alice, scope_for(version, filters={"campaign": NONE}))
        assert set(no_campaign) == {fixture["l2"], fixture["l3"]}

    def test_mallory_sees_nothing(self, cast, fixture):
        result = feedback_analysis(cast.mallory, scope_for(fixture["version"]), "source")
        assert result.totals.entries == 0 and result.rejection_reasons == []


@pytest.mark.django_db
class TestAnalysisPages:
    def test_the_page_shows_the_counts_and_links_them(self, client, cast, fixture):
        client.force_login(cast.alice)
        agreement = fixture["version"].agreement.pk
        with time_machine.travel(NOW, tick=False):
            response = client.get(reverse("reviews:analysis"), {"agreement": agreement})
            assert response.status_code == 200
            html = response.content.decode()
            assert "<svg" in html
            rows = {r["group"].value: r for r in response.context["rows"]}
            codes = [c for c, _l in response.context["result"].reason_columns]
            cell_count, cell_url = rows["Webinar"]["cells"][codes.index("no_budget")]
            assert cell_count == 1
            listed = client.get(cell_url)
            assert [lead.pk for lead in listed.context["leads"]] == [fixture["l1"].pk]

    def test_every_count_is_written_in_the_readers_digits(self, client, cast, fixture, settings):
        """In Arabic the tables' counts (entries, leads, each reason, the zeros too) use
        Arabic-Indic digits, as the cards and averages above them already did."""
        import re

        client.force_login(cast.alice)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
        agreement = fixture["version"].agreement.pk
        with time_machine.travel(NOW, tick=False):
            html = client.get(reverse("reviews:analysis"), {"agreement": agreement}).content
        cells = re.findall(r'<td class="num">(.*?)</td>', html.decode(), flags=re.S)
        texts = [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]
        assert len(texts) > 10
        assert [t for t in texts if re.search(r"[0-9]", t)] == []
        assert "١" in texts and "٠" in texts

    def test_periods_are_named_as_the_reader_names_months(self, client, cast, fixture, settings):
        """The trend table and the table by period name each month ("martie 2025"), as
        the period pickers above them do, not by its id ("2025-03")."""
        client.force_login(cast.alice)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ro"
        agreement = fixture["version"].agreement.pk
        with time_machine.travel(NOW, tick=False):
            trend = client.get(reverse("reviews:analysis"), {"agreement": agreement})
            by_period = client.get(
                reverse("reviews:analysis"), {"agreement": agreement, "by": "period"}
            )
        for html in (trend.content.decode(), by_period.content.decode()):
            assert '<th scope="row">martie 2025</th>' in html
            assert '<th scope="row">2025-03</th>' not in html

    def test_csv_export_has_one_row_per_group(self, client, cast, fixture):
        client.force_login(cast.alice)
        with time_machine.travel(NOW, tick=False):
            response = client.get(
                reverse("reviews:analysis_export"),
                {"agreement": fixture["version"].agreement.pk, "by": "source"},
            )
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        webinar = next(r for r in rows if r["source"] == "Webinar")
        assert (webinar["feedback_entries"], webinar["leads"], webinar["no_budget"]) == (
            "3",
            "2",
            "1",
        )
        assert webinar["average_rating"] == "2.33"

    def test_entries_averages_totals_and_trend_points_open_their_leads(self, client, cast, fixture):
        # given a trade-show lead with only a comment (no rating) in March
        version = fixture["version"]
        commented = handed_off_lead(cast, version, at(3, 4), lead_source="Trade show")
        feedback_create(lead=commented, author=cast.bob, note="Only a comment", now=at(3, 5))
        client.force_login(cast.alice)

        def leads_at(url):
            response = client.get(url)
            assert response.status_code == 200
            return {lead.pk for lead in response.context["leads"]}

        with time_machine.travel(NOW, tick=False):
            # when Alice opens the analysis page
            response = client.get(reverse("reviews:analysis"), {"agreement": version.agreement.pk})
            context = response.context
            rows = {r["group"].value: r for r in context["rows"]}
            trend = {r["group"].value: r for r in context["trend_rows"]}
            html = response.content.decode()
            # then the entries of a source open its leads, its average the rated ones
            assert f'href="{escape(rows["Trade show"]["leads_url"])}" data-testid="entries"' in html
            assert leads_at(rows["Trade show"]["leads_url"]) == {fixture["l3"].pk, commented.pk}
            assert leads_at(rows["Trade show"]["rated_url"]) == {fixture["l3"].pk}
            # and the totals card links both numbers
            assert 'data-testid="total-rating"' in html
            assert leads_at(context["totals_rated_url"]) == {
                fixture["l1"].pk,
                fixture["l2"].pk,
                fixture["l3"].pk,
            }
            # and each trend point is a linked number in the table under the chart
            assert html.count('data-testid="trend-row"') == len(context["scope"].periods)
            march = trend["2025-03"]
            assert march["group"].entries == 4
            assert leads_at(march["leads_url"]) == {
                fixture["l1"].pk,
                fixture["l3"].pk,
                commented.pk,
            }
            assert leads_at(march["rated_url"]) == {fixture["l1"].pk}
            codes = [code for code, _label in context["trend_reasons"]]
            count, url = march["cells"][codes.index("no_budget")]
            assert count == 1 and leads_at(url) == {fixture["l1"].pk}

    def test_the_leads_page_names_its_periods_by_label(self, client, cast, fixture):
        # given a scope of several periods
        client.force_login(cast.alice)
        with time_machine.travel(NOW, tick=False):
            # when the leads behind a number are listed
            response = client.get(
                reverse("reviews:analysis_leads"),
                {"agreement": fixture["version"].agreement.pk, "from": "2025-01", "to": "2025-04"},
            )
        # then the header reads "2025-01 – 2025-04", not a Python repr
        html = response.content.decode()
        assert "Period(" not in html
        assert "2025-01 – 2025-04" in html

    def test_the_leads_page_lists_a_lead_without_an_owner(self, client, cast, fixture):
        # given a lead with feedback and no owner (as imports leave them)
        fixture["l2"].owner = None
        fixture["l2"].save(update_fields=["owner"])
        client.force_login(cast.alice)
        with time_machine.travel(NOW, tick=False):
            # when the leads behind the numbers are listed
            response = client.get(
                reverse("reviews:analysis_leads"),
                {"agreement": fixture["version"].agreement.pk, "from": "2025-01", "to": "2025-04"},
            )
        # then the page answers, with the lead and no rep
        assert response.status_code == 200
        assert fixture["l2"] in response.context["leads"]
