"""A stage name on the lead pages shows the definition agreed in the version that governs
the lead (issue 16, section 7; rule in slas/glossary.py): the version governing its latest
cycle, else the version in force now."""

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from leads.models import Lead
from reports.tests.factories import (
    AgreementFactory,
    VersionFactory,
    feedback,
    lead,
    local,
    story,
)
from slas.glossary import term_anchor
from slas.models import Term
from slas.testing import version_take_effect

NOW = local(4, 14, 11)  # a Tuesday; v2 in force since 15 March
V1_MQL = "V1 says: a lead scoring 60 or more."
V2_MQL = "V2 says: a lead scoring 80 or more, or asking for a demo."


def two_glossaries(cast):
    """v1 (1 January to 15 March) and v2 (since 15 March) define MQL differently."""
    agreement = AgreementFactory()
    agreement.parties.set([cast.marketing, cast.sales])
    v1 = VersionFactory(agreement=agreement, number=1)
    v2 = VersionFactory(agreement=agreement, number=2)
    terms = {
        v1: Term.objects.create(version=v1, term="MQL", definition=V1_MQL),
        v2: Term.objects.create(
            version=v2, term="Marketing-qualified lead (mql)", definition=V2_MQL
        ),
    }
    Term.objects.create(version=v1, term="Lead", definition="V1 says: anyone who wrote to us.")
    Term.objects.create(version=v2, term="lead", definition="V2 says: a contact with interest.")
    version_take_effect(v1, in_force_from=local(1, 1, 0), in_force_until=local(3, 15, 0))
    version_take_effect(v2, in_force_from=local(3, 15, 0))
    return agreement, v1, v2, terms


def handed_off(agreement, cast, at, **fields):
    return story(lead(agreement, cast, stage="mql", **fields), ("mql", at))


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.django_db
def test_a_lead_handed_off_under_v1_shows_v1s_mql_definition_after_v2_took_force(
    client, cast, frozen
):
    # given a lead handed off on 2 March, under v1, still an MQL in April under v2
    agreement, v1, v2, terms = two_glossaries(cast)
    old = handed_off(agreement, cast, local(3, 2, 10))
    client.force_login(cast.dan)
    # when dan opens its page
    page = client.get(old.get_absolute_url()).content.decode()
    # then its stage badge gives v1's definition and links to it in v1's document
    assert V1_MQL in page
    assert V2_MQL not in page
    assert f"{reverse('slas:version_detail', args=[v1.pk])}#{term_anchor(terms[v1].pk)}" in page


@pytest.mark.django_db
def test_a_lead_never_handed_off_shows_the_definition_of_the_version_in_force_now(
    client, cast, frozen
):
    # given a lead that never reached MQL
    agreement, v1, v2, terms = two_glossaries(cast)
    fresh = lead(agreement, cast, stage="lead")
    client.force_login(cast.dan)
    # when dan opens its page
    page = client.get(fresh.get_absolute_url()).content.decode()
    # then the badge gives the definition of v2, in force now
    assert "V2 says: a contact with interest." in page
    assert "V1 says: anyone who wrote to us." not in page


@pytest.mark.django_db
def test_each_queue_row_shows_the_definition_of_the_version_governing_its_handoff(
    client, cast, frozen
):
    # given one lead handed off under v1 and one under v2
    agreement, v1, v2, terms = two_glossaries(cast)
    handed_off(agreement, cast, local(3, 2, 10), first_name="Olda")
    handed_off(agreement, cast, local(4, 14, 9), first_name="Nuovo")
    client.force_login(cast.dan)
    # when dan opens his queue
    response = client.get(reverse("leads:queue"))
    # then each row carries its own version's glossary, and the page shows both texts
    by_name = {row.lead.first_name: row.glossary for row in response.context["rows"]}
    assert by_name["Olda"].of("mql").text == V1_MQL
    assert by_name["Nuovo"].of("mql").text == V2_MQL
    page = response.content.decode()
    assert V1_MQL in page and V2_MQL in page


@pytest.mark.django_db
def test_the_queue_query_count_stays_the_same_with_more_leads_and_versions(
    client, cast, frozen, django_assert_max_num_queries
):
    # given a queue with one lead of v1
    agreement, v1, v2, terms = two_glossaries(cast)
    handed_off(agreement, cast, local(3, 2, 10))
    client.force_login(cast.dan)
    client.get(reverse("leads:queue"))
    with django_assert_max_num_queries(40) as small:
        client.get(reverse("leads:queue"))
    baseline = len(small)
    # when ten more leads arrive, under both versions
    for day in range(3, 8):
        handed_off(agreement, cast, local(3, day, 10))
        handed_off(agreement, cast, local(4, day + 3, 10))
    # then the queue takes no more queries, and shows them all
    with django_assert_max_num_queries(baseline):
        response = client.get(reverse("leads:queue"))
    assert len(response.context["rows"]) == 11


@pytest.mark.django_db
def test_the_definition_is_there_for_screen_readers_on_hover_and_on_tap(client, cast, frozen):
    # given a lead handed off under v1
    agreement, v1, v2, terms = two_glossaries(cast)
    old = handed_off(agreement, cast, local(3, 2, 10))
    client.force_login(cast.dan)
    # when dan opens its page
    page = client.get(old.get_absolute_url()).content.decode()
    # then the badge is focusable (a tap or Tab opens the tip), has the definition as its
    # title, and says what the text is to screen readers
    badge = page[page.index('data-testid="stage"') - 120 :]
    assert 'tabindex="0"' in badge[:400]
    assert f'title="Version 1: {V1_MQL}"' in page
    assert '<span class="visually-hidden">Definition of MQL in version 1: </span>' in page


@pytest.mark.django_db
def test_a_page_in_arabic_still_shows_the_agreed_definition(client, cast, frozen):
    # given a lead handed off under v1, and dan reading in Arabic
    agreement, v1, v2, terms = two_glossaries(cast)
    old = handed_off(agreement, cast, local(3, 2, 10))
    client.force_login(cast.dan)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    # when he opens the lead and his queue
    page = client.get(old.get_absolute_url()).content.decode()
    queue = client.get(reverse("leads:queue")).content.decode()
    # then the pages are right to left and the definition, as agreed, is on both
    assert 'dir="rtl"' in page and 'dir="rtl"' in queue
    assert f"<bdi>{V1_MQL}</bdi>" in page
    assert f"<bdi>{V1_MQL}</bdi>" in queue
    assert Lead.objects.filter(pk=old.pk, stage="mql").exists()


@pytest.mark.django_db
def test_the_timeline_names_each_stage_with_the_definition_of_its_own_cycle(client, cast, frozen):
    # given a lead handed off under v1, recycled, and handed off again under v2
    agreement, v1, v2, terms = two_glossaries(cast)
    again = story(
        lead(agreement, cast, stage="mql"),
        ("mql", local(3, 2, 10)),
        ("recycled", local(3, 3, 10), "no_need"),
        ("mql", local(4, 10, 10)),
    )
    client.force_login(cast.dan)
    # when dan opens its page
    page = client.get(again.get_absolute_url()).content.decode()
    # then the badge says what an MQL is now (v2 governs the latest cycle), and the
    # timeline gives each handoff the definition of the version that governed it
    header, timeline = page.split('data-testid="timeline"')
    assert V2_MQL in header and V1_MQL not in header
    assert timeline.index(V2_MQL) < timeline.index(V1_MQL)  # newest first


@pytest.mark.django_db
def test_the_feedback_page_names_the_stage_with_the_governing_definition(client, cast, frozen):
    # given a lead handed off under v1
    agreement, v1, v2, terms = two_glossaries(cast)
    old = handed_off(agreement, cast, local(3, 2, 10))
    client.force_login(cast.dan)
    # when dan opens the feedback form on it
    page = client.get(reverse("reviews:feedback_create", args=[old.pk])).content.decode()
    # then its stage reads as v1 defined it
    assert V1_MQL in page and V2_MQL not in page


@pytest.mark.django_db
def test_the_leads_behind_a_feedback_number_name_each_stage_by_its_own_version(
    client, cast, frozen
):
    # given one lead handed off under each version, each with feedback
    agreement, v1, v2, terms = two_glossaries(cast)
    feedback(handed_off(agreement, cast, local(3, 2, 10)), cast.dan, local(3, 3, 10))
    feedback(handed_off(agreement, cast, local(4, 10, 10)), cast.dan, local(4, 13, 10))
    client.force_login(cast.alice)
    # when the analysis' leads are listed
    response = client.get(reverse("reviews:analysis_leads"), {"agreement": agreement.pk})
    # then each row speaks its own version's words
    page = response.content.decode()
    assert page.count('data-testid="lead-row"') == 2
    assert V1_MQL in page and V2_MQL in page
