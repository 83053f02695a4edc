"""Reports pages, exports and API: access, what they show, constant query counts."""

import csv
import io
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leads.derive import IngestContext
from leads.ingest.importers import events_import
from leads.models import Cycle
from portal.tests.pdftext import pdf_text
from reports.models import ComplianceResult
from reports.presenters import result_in_month
from reports.selectors import compliance_for_versions
from reports.specs import BUCKETS
from reports.tests.factories import (
    AgreementFactory,
    VersionFactory,
    commitments,
    feedback,
    lead,
    local,
    story,
    two_versions,
)
from slas.models import Commitment
from slas.testing import version_take_effect

NOW = local(4, 8, 12)


@pytest.fixture
def world(cast):
    agreement, v1, v2 = two_versions(cast)
    late = story(
        lead(agreement, cast, first_name="Late", last_name="Larry"),
        ("mql", local(3, 16, 10)),
        ("attempt", local(3, 18, 10)),
    )
    rejected = story(
        lead(agreement, cast, first_name="Rita", last_name="Rejected"),
        ("mql", local(3, 17, 10)),
        ("attempt", local(3, 17, 11)),
        ("recycled", local(3, 17, 12), "no_need"),
    )
    feedback(rejected, cast.dan, local(3, 18, 9))
    waiting = story(
        lead(agreement, cast, first_name="Wanda", last_name="Waiting"),
        ("mql", local(4, 8, 9)),
    )
    draft = VersionFactory(agreement=agreement, number=3, status="draft", first_contact_hours=2)
    commitments(draft, marketing=cast.marketing, sales=cast.sales, hours=2)
    return agreement, v1, v2, draft, {"late": late, "rejected": rejected, "waiting": waiting}


def get(client, user, url):
    client.force_login(user)
    with time_machine.travel(NOW, tick=False):
        return client.get(url)


@pytest.mark.django_db
def test_the_version_page_shows_both_scorecards_with_linked_cells(client, cast, world):
    _, _, v2, _, _ = world
    response = get(client, cast.erin, reverse("reports:version", args=[v2.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Marketing scorecard" in html and "Sales scorecard" in html
    fc = v2.commitments.get(kind="first_contact_within")
    assert reverse("reports:breakdown", args=[v2.pk, fc.pk, "2026-03"]) + "?list=breached" in html
    assert "Ungoverned handoffs" in html
    assert "<svg" in html  # trend chart, rendered on the server


@pytest.mark.django_db
def test_the_page_focuses_the_chosen_period_and_ignores_unknown_ones(client, cast, world):
    _, _, v2, _, _ = world
    ok = get(client, cast.erin, reverse("reports:version", args=[v2.pk]) + "?period=2026-03")
    assert ok.context["label"] == "2026-03"
    bad = get(client, cast.erin, reverse("reports:version", args=[v2.pk]) + "?period=nope")
    assert bad.context["label"] == "2026-04"


@pytest.mark.django_db
def test_a_draft_shows_an_empty_state_pointing_to_what_if(client, cast, world):
    _, _, _, draft, _ = world
    response = get(client, cast.alice, reverse("reports:version", args=[draft.pk]))
    assert response.status_code == 200
    assert reverse("reports:whatif", args=[draft.pk]) in response.content.decode()
    assert "has not been in force yet" in response.content.decode()


@pytest.mark.django_db
def test_people_outside_the_parties_get_404(client, cast, world):
    agreement, _, v2, _, _ = world
    fc = v2.commitments.get(kind="first_contact_within")
    for url in [
        reverse("reports:version", args=[v2.pk]),
        reverse("reports:breakdown", args=[v2.pk, fc.pk, "2026-03"]),
        reverse("reports:agreement", args=[agreement.pk]),
        reverse("reports:monthly", args=[agreement.pk, "2026-03"]),
        reverse("reports-api:compliance-version-detail", args=[v2.pk]),
    ]:
        assert get(client, cast.mallory, url).status_code == 404, url


@pytest.mark.django_db
def test_the_breaches_list_leads_to_the_lead(client, cast, world):
    _, _, v2, _, leads = world
    fc = v2.commitments.get(kind="first_contact_within")
    url = reverse("reports:breakdown", args=[v2.pk, fc.pk, "2026-03"]) + "?list=breached"
    response = get(client, cast.carol, url)
    html = response.content.decode()
    assert reverse("leads:lead_detail", args=[leads["late"].pk]) in html
    assert reverse("leads:lead_detail", args=[leads["rejected"].pk]) not in html
    assert "Late Larry" in html
    # the period is named as the reader names months, not by its id
    assert "· March 2026</h1>" in html and "2026-03</h1>" not in html


@pytest.mark.django_db
def test_rejections_show_their_reason_and_feedback(client, cast, world):
    _, _, v2, _, leads = world
    acceptance = v2.commitments.get(kind="acceptance_rate")
    url = reverse("reports:breakdown", args=[v2.pk, acceptance.pk, "2026-03"]) + "?list=rejected"
    html = get(client, cast.alice, url).content.decode()
    assert "Rita Rejected" in html and "no_need" in html and "Wrong persona" in html


@pytest.mark.django_db
def test_open_clocks_show_the_business_time_left(client, cast, world):
    _, _, v2, _, _ = world
    fc = v2.commitments.get(kind="first_contact_within")
    url = reverse("reports:breakdown", args=[v2.pk, fc.pk, "2026-04"]) + "?list=at_risk"
    html = get(client, cast.carol, url).content.decode()
    # handed off 09:00, now 12:00: 1 h of 4 left
    assert "Wanda Waiting" in html and "1 h 0 min of business time left" in html


@pytest.mark.django_db
def test_what_if_scores_the_draft_on_last_periods_leads_next_to_the_version_then(
    client, cast, world
):
    _, _, v2, draft, _ = world
    url = reverse("reports:whatif", args=[draft.pk]) + "?period=2026-03"
    response = get(client, cast.alice, url)
    lines = {line["title"]: line for line in response.context["lines"]}
    # with a 2-hour window the March leads: one contacted after 1 h, one after 16 h
    fc = lines["First contact within 2 business hours"]
    assert (fc["actual"], fc["fraction"]) == ("50%", "1/2")
    then = {t["version"].number: t for t in fc["then"]}
    assert then[2]["actual"] == "50%" and then[1]["actual"] == "—"
    assert response.context["data"].cycles == 2


@pytest.mark.django_db
def test_the_api_gives_the_numbers_of_the_page(client, cast, world):
    _, _, v2, _, _ = world
    page = get(client, cast.erin, reverse("reports:version", args=[v2.pk]))
    api = get(
        client, cast.erin, reverse("reports-api:compliance-version-detail", args=[v2.pk])
    ).json()
    cards = {c["team"]["name"]: c for c in api["scorecards"]}
    sales = {c["kind"]: c for c in cards["Sales"]["commitments"]}
    march = next(r for r in sales["first_contact_within"]["results"] if r["period"] == "2026-03")
    line = page.context["comp"].line_of("first_contact_within")
    assert march["actual"] == line.result("2026-03").actual == 50.0
    assert march["cycles"]["breached"] == 1
    listing = get(client, cast.erin, reverse("reports-api:compliance-version-list")).json()
    assert {v["version"]["number"] for v in listing["results"]} == {1, 2}


@pytest.mark.django_db
def test_the_monthly_report_comes_as_page_csv_and_pdf(client, cast, world):
    agreement, _, _, _, _ = world
    page = get(client, cast.erin, reverse("reports:monthly", args=[agreement.pk, "2026-03"]))
    assert page.status_code == 200
    report = page.context["report"]
    assert [(s.stage, s.count) for s in report.funnel][:2] == [("mql", 2), ("sal", 0)]
    assert report.reasons == [("no_need", "no_need", 1)]
    rows = list(
        csv.reader(
            io.StringIO(
                get(
                    client,
                    cast.erin,
                    reverse("reports:monthly_csv", args=[agreement.pk, "2026-03"]),
                ).content.decode()
            )
        )
    )
    assert ["rejection reason", "no_need", "1", "", "", ""] in rows
    assert any(r[1] == "First contact within 4 business hours" and r[2] == "50%" for r in rows)
    pdf = get(client, cast.erin, reverse("reports:monthly_pdf", args=[agreement.pk, "2026-03"]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    latest = get(client, cast.erin, reverse("reports:monthly_latest", args=[agreement.pk]))
    assert latest.url == reverse("reports:monthly", args=[agreement.pk, "2026-03"])


@pytest.mark.django_db
def test_reports_home_lists_agreements_versions_and_their_status(client, cast, world):
    _, _, v2, draft, _ = world
    html = get(client, cast.erin, reverse("reports:index")).content.decode()
    assert reverse("reports:version", args=[v2.pk]) in html
    assert reverse("reports:whatif", args=[draft.pk]) in html
    agreement_page = get(client, cast.erin, reverse("reports:agreement", args=[v2.agreement_id]))
    assert agreement_page.status_code == 200 and "<svg" in agreement_page.content.decode()


def _queries(client, url):
    with time_machine.travel(NOW, tick=False):
        client.get(url)  # warm the stored results
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
    return len(ctx)


@pytest.mark.django_db
def test_page_queries_do_not_grow_with_the_data(client, cast, world):
    agreement, _, v2, _, _ = world
    client.force_login(cast.erin)
    urls = [
        reverse("reports:version", args=[v2.pk]),
        reverse("reports:index"),
        reverse("reports:agreement", args=[agreement.pk]),
        reverse("reports-api:compliance-version-detail", args=[v2.pk]),
        reverse("reports:monthly", args=[agreement.pk, "2026-03"]),
    ]
    small = [_queries(client, url) for url in urls]
    for i in range(12):
        more = story(
            lead(agreement, cast),
            ("mql", local(3, 2 + i, 10)),
            ("attempt", local(3, 2 + i, 15)),
            ("sal", local(3, 3 + i, 15)),
        )
        feedback(more, cast.dan, local(3, 4 + i, 9))  # the monthly report's feedback
    assert [_queries(client, url) for url in urls] == small


@pytest.mark.django_db
def test_verify_finds_a_planted_inconsistency_and_rebuild_repairs_it(cast, world):
    # given maintained facts that agree with the events
    out = io.StringIO()
    call_command("compliance_rebuild", "--verify", stdout=out)
    assert "No differences" in out.getvalue()
    # when one cycle's facts are changed behind the event writer's back
    Cycle.objects.filter(lead__first_name="Rita").update(rejected_reason_code="planted")
    # then --verify reports the difference and fails
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 difference"):
        call_command("compliance_rebuild", "--verify", stdout=out)
    assert "rejected_reason_code stored='planted' computed='no_need'" in out.getvalue()
    # and a rebuild repairs it
    call_command("compliance_rebuild", stdout=io.StringIO())
    call_command("compliance_rebuild", "--verify", stdout=io.StringIO())


@pytest.mark.django_db
def test_the_home_page_lists_commitments_at_risk_for_managers_not_reps(client, cast, world):
    home_for_carol = get(client, cast.carol, reverse("home")).content.decode()
    assert "Commitments at risk this period" in home_for_carol
    assert "MQLs handed off" in home_for_carol  # 1 in April, projected far below 31
    home_for_dan = get(client, cast.dan, reverse("home")).content.decode()
    assert "Commitments at risk this period" not in home_for_dan


def monthly(client, user, agreement, label, fmt=""):
    name = f"reports:monthly_{fmt}" if fmt else "reports:monthly"
    return get(client, user, reverse(name, args=[agreement.pk, label]))


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.fixture
def quarterly_world(cast):
    """The world's agreement and March/April leads, where v2 also promises first
    contact within 8 business hours counted by quarter (commitments are fixed once
    a version is in force, so this one is added before v2 takes effect)."""
    from reports.tests.factories import AgreementFactory
    from slas.models import Commitment
    from slas.testing import version_take_effect

    agreement = AgreementFactory()
    agreement.parties.set([cast.marketing, cast.sales])
    v1 = VersionFactory(agreement=agreement, number=1)
    v2 = VersionFactory(agreement=agreement, number=2)
    for v in (v1, v2):
        commitments(v, marketing=cast.marketing, sales=cast.sales)
    quarterly = Commitment.objects.create(
        version=v2,
        owner_team=cast.sales,
        kind="first_contact_within",
        params={"hours": 8},
        target=90,
        period="quarter",
        position=99,
    )
    version_take_effect(v1, in_force_from=local(1, 1, 0), in_force_until=local(3, 15, 0))
    version_take_effect(v2, in_force_from=local(3, 15, 0))
    story(lead(agreement, cast), ("mql", local(3, 16, 10)), ("attempt", local(3, 18, 10)))
    story(lead(agreement, cast), ("mql", local(3, 17, 10)), ("attempt", local(3, 17, 11)))
    story(lead(agreement, cast), ("mql", local(4, 8, 9)))
    return agreement, v2, quarterly


@pytest.mark.django_db
def test_a_quarterly_commitment_shows_the_quarter_of_the_month_in_page_csv_and_pdf(
    client, cast, quarterly_world
):
    # given v2 also promises first contact within 8 business hours, counted by quarter
    from reports import exports

    agreement, v2, quarterly = quarterly_world
    title = "First contact within 8 business hours"
    # when the March report is opened (the quarter ended on 1 April, now is 8 April)
    page = monthly(client, cast.erin, agreement, "2026-03")
    # then the page shows the quarter's result, saying which quarter it is
    rows = [row for card in page.context["cards"] for row in card["rows"] if row["title"] == title]
    assert len(rows) == 1
    assert rows[0]["cell"]["actual"] == "50%"  # March leads: one contacted in 1 h, one in 16 h
    assert rows[0]["note"] == "2026-Q1 (whole quarter)"
    assert "2026-Q1 (whole quarter)" in page.content.decode()
    assert rows[0]["cell"]["url"].startswith(
        reverse("reports:breakdown", args=[v2.pk, quarterly.pk, "2026-Q1"])
    )
    # and so do the CSV (in the detail column) and the PDF (under the title)
    csv_row = next(
        r
        for r in csv_rows(monthly(client, cast.erin, agreement, "2026-03", "csv"))
        if r[1] == title
    )
    assert csv_row[2:5] == ["50%", "≥ 90%", "2026-Q1 (whole quarter) · 1/2"]
    scorecards = next(
        b
        for b in exports.monthly_pdf_blocks(page.context["report"])
        if getattr(b, "header", None) and "Commitment" in b.header
    )
    assert [title + "\n2026-Q1 (whole quarter)", "50%"] in [r[2:4] for r in scorecards.rows]


@pytest.mark.django_db
def test_a_quarter_still_running_reads_to_date(client, cast, quarterly_world):
    # given a quarterly commitment and the April report, during the second quarter
    agreement, _, _ = quarterly_world
    # when the report is opened
    page = monthly(client, cast.erin, agreement, "2026-04")
    # then the quarter's result so far is shown as such
    notes = [row["note"] for card in page.context["cards"] for row in card["rows"]]
    assert "2026-Q2 (to date)" in notes
    assert notes.count("") == len(notes) - 1  # monthly commitments need no note


@pytest.mark.django_db
def test_the_version_page_gives_a_quarterly_commitment_its_quarter_columns(
    client, cast, quarterly_world
):
    # given v2 promises most things by month and first contact within 8 h by quarter
    _, v2, quarterly = quarterly_world
    # when its compliance page is opened on 8 April
    page = get(client, cast.erin, reverse("reports:version", args=[v2.pk]))
    # then each quarter has a column after its last month, and the month is current
    assert page.context["labels"] == ["2026-03", "2026-Q1", "2026-04", "2026-Q2"]
    assert page.context["label"] == "2026-04"
    rows = {
        row["line"].commitment.pk: row for card in page.context["cards"] for row in card["rows"]
    }
    quarter_cells = [cell and cell["actual"] for cell in rows[quarterly.pk]["cells"]]
    assert quarter_cells == [None, "50%", None, quarter_cells[3]] and quarter_cells[3]
    sales = next(card for card in page.context["cards"] if card["team"] == cast.sales)
    monthly_row = next(row for row in sales["rows"] if row["line"].commitment != quarterly)
    assert [cell is not None for cell in monthly_row["cells"]] == [True, False, True, False]
    # and the Marketing scorecard, all monthly, shows no quarter columns
    marketing = next(card for card in page.context["cards"] if card["team"] == cast.marketing)
    assert marketing["labels"] == ["2026-03", "2026-04"]
    assert reverse("reports:breakdown", args=[v2.pk, quarterly.pk, "2026-Q1"]) in (
        page.content.decode()
    )


@pytest.mark.django_db
def test_the_monthly_pdf_draws_the_funnel_and_both_scorecards_charts(client, cast, world):
    # given the March report (v1 until the 15th, then v2)
    from portal import pdf
    from reports import exports

    agreement, _, _, _, _ = world
    report = monthly(client, cast.erin, agreement, "2026-03").context["report"]
    # when its PDF is laid out
    blocks = exports.monthly_pdf_blocks(report)
    # then the funnel is a bar chart of the stages, by their names
    bars = [b for b in blocks if isinstance(b, pdf.BarChart)]
    funnel = bars[0]
    assert funnel.labels == ["MQL", "SAL", "SQL", "Opportunity", "Won"]
    assert funnel.values[:2] == [2, 0]
    # and each version's scorecards have their rate trends and the volume against target
    lines = [b.title for b in blocks if isinstance(b, pdf.LineChart)]
    assert lines == [
        "Marketing · v1: rates by period",
        "Sales · v1: rates by period",
        "Marketing · v2: rates by period",
        "Sales · v2: rates by period",
    ]
    volume = [b for b in bars[1:] if "v2" in b.title][0]
    assert volume.labels == ["March 2026"]
    assert volume.values == [2] and volume.targets == [17.0]  # 31 a month, 17 days of it
    assert volume.highlight == {0}
    v1_volume = [b for b in bars[1:] if "v1" in b.title][0]
    assert v1_volume.labels == ["January 2026", "February 2026", "March 2026"]
    # and the document carries them (text written around the charts)
    shown = pdf_text(exports.monthly_pdf(report))
    assert "rates by period" in shown and "Opportunity" in shown


@pytest.mark.django_db
def test_the_version_page_draws_the_volume_target_and_says_what_is_wrong_in_words(
    client, cast, world
):
    # given v2, in force in March and April
    _, _, v2, _, _ = world
    # when its page is opened
    response = get(client, cast.erin, reverse("reports:version", args=[v2.pk]))
    # then the volume chart marks the target of each period
    assert response.context["volume_chart"].count('class="chart-target"') == 2
    html = response.content.decode()
    # and the cells count their problems in whole phrases
    assert "1 breached" in html and "1 rejected" in html and "1 at risk" in html


@pytest.mark.django_db
def test_stages_reach_people_by_their_names_in_their_language(client, cast, world):
    # given Rita's lead was recycled in March
    agreement, _, v2, _, _ = world
    acceptance = v2.commitments.get(kind="acceptance_rate")
    url = reverse("reports:breakdown", args=[v2.pk, acceptance.pk, "2026-03"]) + "?list=rejected"
    # when the rejections are read in English and in Romanian
    english = get(client, cast.alice, url).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ro"
    romanian = get(client, cast.alice, url).content.decode()
    # then the stage is named, never shown as its code
    assert "to Recycled: no_need" in english and "to recycled" not in english
    assert "Reciclat" in romanian
    # and the monthly report's funnel and CSV name the stages too
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = monthly(client, cast.erin, agreement, "2026-03").content.decode()
    assert ">Opportunity</span> 0" in page and "OPPORTUNITY" not in page
    funnel = [
        r[1]
        for r in csv_rows(monthly(client, cast.erin, agreement, "2026-03", "csv"))
        if r[0] == "funnel"
    ]
    assert funnel == ["MQL", "SAL", "SQL", "Opportunity", "Won"]


@pytest.mark.parametrize(
    ("label", "quarter"),
    [
        ("2026-01", "2026-Q1"),
        ("2026-03", "2026-Q1"),
        ("2026-04", "2026-Q2"),
        ("2026-12", "2026-Q4"),
    ],
)
def test_a_month_belongs_to_its_quarter(label, quarter):
    from reports.presenters import quarter_of_month

    assert quarter_of_month(label) == quarter
    assert quarter_of_month(quarter) == quarter  # a quarter's label stays itself


def test_stage_labels_and_problem_phrases_read_as_words():
    from reports.presenters import commitment_title, problem_text, stage_label

    # given / when / then
    assert stage_label("opportunity") == "Opportunity" and stage_label("legacy") == "legacy"
    assert commitment_title("conversion_rate", {"from_stage": "sal", "to_stage": "won"}) == (
        "Conversion from SAL to Won"  # the agreement's own words (slas.sentences)
    )
    assert problem_text("undocumented", 2) == "2 without an agreed reason"


# --- facts stamped after now, and leads without an owner (issue 16, section 8) --------


@pytest.mark.django_db
def test_a_handoff_stamped_in_the_future_is_not_counted_or_listed_as_ungoverned(client, cast):
    # given an agreement whose only version expired on 1 March, a lead handed off on
    # 20 March (ungoverned) and one whose handoff is stamped tomorrow
    agreement = AgreementFactory()
    agreement.parties.set([cast.marketing, cast.sales])
    v1 = VersionFactory(agreement=agreement, number=1)
    commitments(v1, marketing=cast.marketing, sales=cast.sales)
    version_take_effect(
        v1, in_force_from=local(1, 1, 0), in_force_until=local(3, 1, 0), status="expired"
    )
    story(lead(agreement, cast, first_name="Past", last_name="Paula"), ("mql", local(3, 20, 10)))
    story(lead(agreement, cast, first_name="Future", last_name="Fred"), ("mql", local(4, 9, 10)))
    # when the version page, its API answer, the agreement page and the list are read today
    page = get(client, cast.erin, reverse("reports:version", args=[v1.pk]))
    api = get(client, cast.erin, reverse("reports-api:compliance-version-detail", args=[v1.pk]))
    agreement_page = get(client, cast.erin, reverse("reports:agreement", args=[agreement.pk]))
    listing = get(client, cast.erin, reverse("reports:ungoverned", args=[agreement.pk]))
    # then only the handoff that has happened is ungoverned
    assert page.context["comp"].ungoverned == 1
    assert api.json()["ungoverned_handoffs"] == 1
    assert agreement_page.context["ungoverned"] == 1
    html = listing.content.decode()
    assert "Past Paula" in html and "Future Fred" not in html
    # and once its time has come, it is
    client.force_login(cast.erin)
    with time_machine.travel(local(4, 9, 11), tick=False):
        later = client.get(reverse("reports:ungoverned", args=[agreement.pk]))
    assert "Future Fred" in later.content.decode()


IMPORTED = (
    "source,event_id,lead_external_id,kind,occurred_at,to_stage,first_name,last_name,company\n"
    "crm,i1,X1,created,2026-03-16T07:00:00Z,,Imre,Imported,Acme\n"
    "crm,i2,X1,stage_changed,2026-03-16T08:00:00Z,mql,,,\n"
    "crm,i3,X1,stage_changed,2026-03-17T08:00:00Z,disqualified,,,\n"
)


@pytest.mark.django_db
def test_every_drill_down_lists_an_imported_lead_without_an_owner(client, cast, world):
    # given a lead imported from a CSV file (imports never assign owners), handed off
    # under v2 and disqualified
    _, _, v2, _, _ = world
    context = IngestContext(
        marketing_team=cast.marketing, sales_team=cast.sales, handoff_on_score=False
    )
    summary = events_import(
        stream=io.BytesIO(IMPORTED.encode()), format="events", tz="UTC", context=context
    )
    assert summary.created == 3 and Cycle.objects.get(lead__external_id="X1").owner is None
    # when every list of every commitment of March is opened
    for commitment in v2.commitments.all():
        for bucket in BUCKETS[commitment.kind]:
            url = reverse("reports:breakdown", args=[v2.pk, commitment.pk, "2026-03"])
            response = get(client, cast.carol, f"{url}?list={bucket}")
            # then each answers, and lists the lead as unassigned where it belongs
            assert response.status_code == 200, (commitment.kind, bucket)
            if any(row["cycle"].lead.external_id == "X1" for row in response.context["rows"]):
                assert "unassigned" in response.content.decode()


@pytest.mark.django_db
def test_a_drill_down_describes_a_contact_stamped_in_the_future_as_still_waiting(
    client, cast, world
):
    # given a lead handed off on Monday 6 April 10:00 whose first call is stamped for
    # Friday 10 April, read on Wednesday 8 April 12:00 (a 4-hour window)
    agreement, _, v2, _, _ = world
    story(
        lead(agreement, cast, first_name="Tom", last_name="Tomorrow"),
        ("mql", local(4, 6, 10)),
        ("attempt", local(4, 10, 10)),
    )
    fc = v2.commitments.get(kind="first_contact_within")
    url = reverse("reports:breakdown", args=[v2.pk, fc.pk, "2026-04"]) + "?list=breached"
    # when the breaches are listed
    html = get(client, cast.carol, url).content.decode()
    # then the clock has not stopped: the lead is still waiting, not contacted
    assert "Tom Tomorrow" in html
    assert "still waiting after 18 h 0 min of business time" in html
    assert "contacted after" not in html


@pytest.mark.django_db
def test_a_drill_down_describes_a_rejection_stamped_in_the_future_as_undecided(client, cast, world):
    # given a lead handed off on Monday 6 April whose rejection is stamped for Friday
    agreement, _, v2, _, _ = world
    story(
        lead(agreement, cast, first_name="Ursula", last_name="Undecided"),
        ("mql", local(4, 6, 10)),
        ("disqualified", local(4, 10, 10), "no_need"),
    )
    acceptance = v2.commitments.get(kind="acceptance_rate")
    url = reverse("reports:breakdown", args=[v2.pk, acceptance.pk, "2026-04"]) + "?list=undecided"
    # when the undecided leads are listed on Wednesday
    html = get(client, cast.alice, url).content.decode()
    # then the lead is there, and not described as rejected
    assert "Ursula Undecided" in html
    assert "rejected to" not in html


@pytest.mark.django_db
def test_a_drill_down_shows_the_exact_time_left_on_a_fractional_window(client, cast):
    # given a commitment of first contact within 4.1 business hours, and a lead handed off
    # on Wednesday 8 April at 09:00, read at 12:00 (3 h used)
    agreement = AgreementFactory()
    agreement.parties.set([cast.marketing, cast.sales])
    v1 = VersionFactory(agreement=agreement, number=1)
    commitments(v1, marketing=cast.marketing, sales=cast.sales, hours=4.1)
    version_take_effect(v1, in_force_from=local(1, 1, 0))
    story(lead(agreement, cast, first_name="Fiona", last_name="Fraction"), ("mql", local(4, 8, 9)))
    fc = v1.commitments.get(kind="first_contact_within")
    url = reverse("reports:breakdown", args=[v1.pk, fc.pk, "2026-04"]) + "?list=open"
    # when the open clocks are listed
    html = get(client, cast.carol, url).content.decode()
    # then 1 h 6 min are left (not 1 h 5 min, as 4.1 x 3600 in floating point gave)
    assert "Fiona Fraction" in html and "1 h 6 min of business time left" in html


@pytest.mark.django_db
@pytest.mark.parametrize("at", [NOW, local(5, 20, 12)], ids=["month-and-quarter-start", "mid-q2"])
def test_the_home_page_reads_only_each_commitments_latest_period_and_finds_the_same(cast, at):
    # given a version in force since January with monthly commitments and a quarterly one
    agreement = AgreementFactory()
    agreement.parties.set([cast.marketing, cast.sales])
    version = VersionFactory(agreement=agreement, number=1)
    commitments(version, marketing=cast.marketing, sales=cast.sales, volume=2)
    Commitment.objects.create(
        version=version,
        owner_team=cast.marketing,
        kind="conversion_rate",
        params={"from_stage": "mql", "to_stage": "sql"},
        target=Decimal(25),
        period="quarter",
        position=9,
    )
    version_take_effect(version, in_force_from=local(1, 1, 0))
    story(lead(agreement, cast), ("mql", local(4, 2, 10)), ("attempt", local(4, 6, 10)))
    story(lead(agreement, cast), ("mql", local(5, 12, 9)), ("sal", local(5, 12, 10)))
    story(lead(agreement, cast), ("mql", local(5, 13, 9)))

    def shown(**options):
        """What the home page shows: each commitment's result in the current month."""
        ComplianceResult.objects.all().delete()  # computed afresh, not read back
        with time_machine.travel(at, tick=False):
            comp = compliance_for_versions([version], with_ungoverned=False, **options)
        label = comp[version.pk].current_label
        results = [(line, result_in_month(line, label)) for line in comp[version.pk].lines]
        return label, [
            (line.commitment.pk, r.label, r.status, r.actual, r.target) for line, r in results if r
        ]

    # when the home page reads only the latest periods
    label, latest = shown(latest_only=True)
    # then it finds the current month and the results that every period gives
    assert (label, latest) == shown()
    assert len(latest) == 8 and {row[1] for row in latest} >= {label}


@pytest.mark.django_db
def test_the_home_page_reads_back_only_the_stored_results_of_the_latest_periods(cast, monkeypatch):
    # given a version in force since January whose results of every period are stored
    agreement = AgreementFactory()
    agreement.parties.set([cast.marketing, cast.sales])
    version = VersionFactory(agreement=agreement, number=1)
    commitments(version, marketing=cast.marketing, sales=cast.sales, volume=2)
    version_take_effect(version, in_force_from=local(1, 1, 0))
    story(lead(agreement, cast), ("mql", local(4, 2, 10)), ("attempt", local(4, 6, 10)))
    at = local(5, 20, 12)
    with time_machine.travel(at, tick=False):
        every = compliance_for_versions([version], with_ungoverned=False)[version.pk]
        lines = len(every.lines)
        assert ComplianceResult.objects.count() == 5 * lines  # January to May
        read_back = []
        from_db = ComplianceResult.from_db.__func__
        monkeypatch.setattr(
            ComplianceResult,
            "from_db",
            classmethod(lambda cls, *a: read_back.append(from_db(cls, *a)) or read_back[-1]),
        )
        # when the home page reads the latest periods again
        with CaptureQueriesContext(connection) as queries:
            latest = compliance_for_versions([version], with_ungoverned=False, latest_only=True)
    # then it reads back the stored rows of May only, and recomputes nothing
    assert sorted(row.label for row in read_back) == ["2026-05"] * lines
    assert not [q["sql"] for q in queries if q["sql"].startswith(("INSERT", "UPDATE"))]
    assert [r.label for line in latest[version.pk].lines for r in line.results] == (
        ["2026-05"] * lines
    )
