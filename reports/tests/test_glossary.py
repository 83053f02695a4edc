"""A stage name on the compliance pages and the monthly report shows the definition agreed
in the version of the page (issue 16, section 7; rule in slas/glossary.py): a compliance
page and its drill-downs use their version, the monthly report the version in force at the
end of the month."""

import pytest
import time_machine
from django.urls import reverse

from reports.tests.factories import AgreementFactory, VersionFactory, commitments, local, story
from reports.tests.factories import lead as make_lead
from slas.models import Term
from slas.testing import version_take_effect

V1_MQL = "V1 says: a lead scoring 60 or more."
V2_MQL = "V2 says: a lead scoring 80 or more, or asking for a demo."


@pytest.fixture
def world(cast):
    """v1 (1 January to 15 March) and v2 (since 15 March) define MQL differently; a lead
    handed off under each."""
    agreement = AgreementFactory()
    agreement.parties.set([cast.marketing, cast.sales])
    v1 = VersionFactory(agreement=agreement, number=1)
    v2 = VersionFactory(agreement=agreement, number=2)
    for version, text in ((v1, V1_MQL), (v2, V2_MQL)):
        commitments(version, marketing=cast.marketing, sales=cast.sales)
        Term.objects.create(version=version, term="MQL", definition=text)
    version_take_effect(v1, in_force_from=local(1, 1, 0), in_force_until=local(3, 15, 0))
    version_take_effect(v2, in_force_from=local(3, 15, 0))
    story(make_lead(agreement, cast), ("mql", local(2, 10, 10)))
    story(make_lead(agreement, cast), ("mql", local(3, 17, 10)))
    with time_machine.travel(local(4, 8, 12), tick=False):
        yield agreement, v1, v2


def page_of(client, cast, url: str) -> str:
    client.force_login(cast.erin)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_each_version_compliance_page_shows_its_own_mql_definition(client, cast, world):
    # given two versions defining MQL differently
    agreement, v1, v2 = world
    # when each version's compliance page is opened
    first = page_of(client, cast, reverse("reports:version", args=[v1.pk]))
    second = page_of(client, cast, reverse("reports:version", args=[v2.pk]))
    # then each shows its own definition with its commitments, never the other's
    assert V1_MQL in first and V2_MQL not in first
    assert V2_MQL in second and V1_MQL not in second


@pytest.mark.django_db
def test_a_compliance_drill_down_shows_the_definition_of_its_version(client, cast, world):
    # given v1's MQL volume commitment
    agreement, v1, v2 = world
    volume = v1.commitments.get(kind="mql_volume")
    # when its February drill-down is opened
    page = page_of(client, cast, reverse("reports:breakdown", args=[v1.pk, volume.pk, "2026-02"]))
    # then it says what an MQL was under v1
    assert V1_MQL in page and V2_MQL not in page


@pytest.mark.django_db
def test_the_monthly_funnel_shows_the_definitions_in_force_at_the_end_of_the_month(
    client, cast, world
):
    # given v1 until 15 March and v2 after
    agreement, v1, v2 = world
    # when the February and March reports are opened
    february = page_of(client, cast, reverse("reports:monthly", args=[agreement.pk, "2026-02"]))
    march = page_of(client, cast, reverse("reports:monthly", args=[agreement.pk, "2026-03"]))
    # then February's funnel uses v1's words, March's (v2 in force at its end) v2's
    funnel = 'data-testid="funnel"'
    assert V1_MQL in february[february.index(funnel) :].split("</ol>")[0]
    assert V2_MQL in march[march.index(funnel) :].split("</ol>")[0]


@pytest.mark.django_db
def test_the_monthly_csv_carries_the_stage_definitions_in_force_at_the_end_of_the_month(
    client, cast, world
):
    # given v1 until 15 March and v2 after
    agreement, v1, v2 = world
    # when the February and March CSVs are downloaded
    february = page_of(client, cast, reverse("reports:monthly_csv", args=[agreement.pk, "2026-02"]))
    march = page_of(client, cast, reverse("reports:monthly_csv", args=[agreement.pk, "2026-03"]))
    # then each carries the MQL definition of the version in force at the month's end
    rows = [line for line in february.splitlines() if line.startswith("stage definition,")]
    assert rows == [f"stage definition,MQL,{V1_MQL},,v1: MQL,"]
    assert V2_MQL in march and V1_MQL not in march


@pytest.mark.django_db
def test_the_monthly_pdf_carries_the_stage_definitions_in_force_at_the_end_of_the_month(
    client, cast, world
):
    from portal.tests.pdftext import has_words, pdf_text

    # given v1 until 15 March and v2 after
    agreement, v1, v2 = world
    client.force_login(cast.erin)
    # when the February and March PDFs are downloaded
    february = client.get(reverse("reports:monthly_pdf", args=[agreement.pk, "2026-02"]))
    march = client.get(reverse("reports:monthly_pdf", args=[agreement.pk, "2026-03"]))
    # then each defines MQL as the version in force at the month's end does
    february_text, march_text = pdf_text(february.content), pdf_text(march.content)
    assert has_words(february_text, V1_MQL) and not has_words(february_text, V2_MQL)
    assert has_words(march_text, V2_MQL)


@pytest.mark.django_db
def test_the_compliance_api_carries_the_stage_definitions_of_its_version(client, cast, world):
    # given two versions defining MQL differently
    agreement, v1, v2 = world
    client.force_login(cast.erin)
    # when each version's compliance is read through the API
    first = client.get(f"/api/v1/compliance/versions/{v1.pk}/").json()
    listed = client.get("/api/v1/compliance/versions/", {"agreement": agreement.pk}).json()
    # then each names the stages its commitments count, with its own definitions
    assert {
        "stage": "mql",
        "stage_label": "MQL",
        "term": "MQL",
        "definition": V1_MQL,
        "version": 1,
    } in first["stage_definitions"]
    volume = next(
        c for card in first["scorecards"] for c in card["commitments"] if c["kind"] == "mql_volume"
    )
    assert volume["stages"] == ["mql"]
    by_version = {body["version"]["number"]: body for body in listed["results"]}
    assert [d["definition"] for d in by_version[2]["stage_definitions"] if d["stage"] == "mql"] == [
        V2_MQL
    ]
