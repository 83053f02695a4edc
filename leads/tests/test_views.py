"""Lead pages: queue, lead page actions, permissions, query counts."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from leads.derive import IngestContext
from leads.ingest.store import lead_events_ingest
from leads.models import Cycle, Lead, LeadEvent
from leads.tests.factories import parsed

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 24, 11, tzinfo=UTC)  # Tuesday 13:00 in Bucharest


def handoffs(cast, n: int, owner="dan@example.com", start=0):
    items = []
    for i in range(start, start + n):
        at = NOW - dt.timedelta(hours=2 + i)
        items += [
            parsed(
                f"Q{i}",
                "created",
                at - dt.timedelta(hours=1),
                lead={"first_name": f"Lead{i}", "job_title": "VP Sales", "company": "Acme"},
            ),
            parsed(f"Q{i}", "stage_changed", at, to_stage="mql"),
            parsed(f"Q{i}", "owner_changed", at, outcome=owner),
        ]
    context = IngestContext(
        marketing_team=cast.marketing, sales_team=cast.sales, handoff_on_score=False
    )
    lead_events_ingest(items=items, context=context)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.django_db
def test_my_leads_lists_my_handoffs_nearest_deadline_first_with_clock_and_score(
    client, cast, sla, frozen
):
    # given three handoffs for dan and one for sara
    handoffs(cast, 3)
    handoffs(cast, 1, owner="sara@example.com", start=10)
    client.force_login(cast.dan)
    # when dan opens his queue
    response = client.get(reverse("leads:queue"))
    # then he sees his three leads, the oldest handoff (nearest deadline) first
    rows = response.context["rows"]
    assert [r.lead.external_id for r in rows] == ["Q2", "Q1", "Q0"]
    assert all(r.clock.state in ("ok", "at_risk") for r in rows)
    assert "left" in rows[0].clock.label
    assert rows[0].score.fit == 25  # VP
    assert b"Lead10" not in response.content


@pytest.mark.django_db
def test_the_queue_query_count_does_not_grow_with_leads(
    client, cast, sla, frozen, django_assert_max_num_queries
):
    handoffs(cast, 2)
    client.force_login(cast.dan)
    client.get(reverse("leads:queue"))
    with django_assert_max_num_queries(20) as small:
        client.get(reverse("leads:queue"))
    baseline = len(small)
    handoffs(cast, 20, start=2)
    with django_assert_max_num_queries(baseline):
        response = client.get(reverse("leads:queue"))
    assert len(response.context["rows"]) == 22


@pytest.mark.django_db
def test_the_lead_page_query_count_does_not_grow_with_events(
    client, cast, sla, frozen, django_assert_max_num_queries
):
    handoffs(cast, 1)
    lead = Lead.objects.get(external_id="Q0")
    client.force_login(cast.dan)
    with django_assert_max_num_queries(40) as small:
        client.get(lead.get_absolute_url())
    baseline = len(small)
    for i in range(15):
        client.post(
            reverse("leads:lead_contact", args=[lead.pk]),
            {"channel": "email", "outcome": f"try {i}"},
        )
    with django_assert_max_num_queries(baseline):
        client.get(lead.get_absolute_url())


@pytest.mark.django_db
def test_logging_a_call_then_accepting_stops_the_clock(client, cast, sla, frozen):
    handoffs(cast, 1)
    lead = Lead.objects.get(external_id="Q0")
    client.force_login(cast.dan)
    response = client.post(
        reverse("leads:lead_contact", args=[lead.pk]),
        {"channel": "phone", "outcome": "talked", "note": "wants a demo"},
    )
    assert response.status_code == 302
    response = client.post(reverse("leads:lead_move", args=[lead.pk]), {"to_stage": "sal"})
    assert response.status_code == 302
    page = client.get(lead.get_absolute_url())
    assert page.context["view"].clock.state == "met"
    assert Lead.objects.get(pk=lead.pk).stage == "sal"


@pytest.mark.django_db
def test_a_recycle_without_reason_re_renders_the_page_with_the_message_and_the_note(
    client, cast, sla, frozen
):
    handoffs(cast, 1)
    lead = Lead.objects.get(external_id="Q0")
    client.force_login(cast.dan)
    response = client.post(
        reverse("leads:lead_move", args=[lead.pk]),
        {"to_stage": "recycled", "reason_code": "", "note": "my careful note"},
    )
    assert response.status_code == 400
    assert "needs a reason code" in response.content.decode()
    assert "my careful note" in response.content.decode()
    assert Lead.objects.get(pk=lead.pk).stage == "mql"


@pytest.mark.django_db
def test_a_contact_attempt_with_an_unknown_channel_shows_the_fields_error_and_only_its(
    client, cast, sla, frozen
):
    """The lead page writes a field's error list only when it has errors (an empty one
    costs a template render, and the page has a dozen fields)."""
    handoffs(cast, 1)
    lead = Lead.objects.get(external_id="Q0")
    client.force_login(cast.dan)
    response = client.post(
        reverse("leads:lead_contact", args=[lead.pk]), {"channel": "pigeon", "outcome": "x"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert page.count('class="errorlist"') == 1
    assert "Select a valid choice. pigeon is not one of the available choices." in page
    assert 'class="errorlist"' not in client.get(lead.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_a_forbidden_move_posted_by_hand_is_refused_with_a_message(client, cast, sla, frozen):
    handoffs(cast, 1)
    lead = Lead.objects.get(external_id="Q0")
    client.force_login(cast.dan)
    response = client.post(reverse("leads:lead_move", args=[lead.pk]), {"to_stage": "won"})
    assert response.status_code == 400
    assert "cannot move from MQL to Won" in response.content.decode()


@pytest.mark.django_db
def test_who_may_see_and_work_a_lead(client, cast, sla, frozen):
    handoffs(cast, 1)
    lead = Lead.objects.get(external_id="Q0")
    url = reverse("leads:lead_contact", args=[lead.pk])
    # mallory (customer success) does not see it at all
    client.force_login(cast.mallory)
    assert client.get(lead.get_absolute_url()).status_code == 404
    # sara sees it (same team) but may not work dan's lead
    client.force_login(cast.sara)
    assert client.get(lead.get_absolute_url()).status_code == 200
    assert client.post(url, {"channel": "phone"}).status_code == 403
    # bob (marketing) sees it but may not reassign it
    client.force_login(cast.bob)
    assert (
        client.post(
            reverse("leads:lead_reassign", args=[lead.pk]), {"owner": cast.sara.pk}
        ).status_code
        == 403
    )
    assert LeadEvent.objects.filter(lead=lead, kind="contact_attempt").count() == 0


@pytest.mark.django_db
def test_a_manager_sees_the_team_queue_and_reassigns(client, cast, sla, frozen):
    handoffs(cast, 2)
    client.force_login(cast.carol)
    response = client.get(reverse("leads:team_queue"))
    assert len(response.context["rows"]) == 2
    lead = Lead.objects.get(external_id="Q0")
    response = client.post(reverse("leads:lead_reassign", args=[lead.pk]), {"owner": cast.sara.pk})
    assert response.status_code == 302
    assert Cycle.objects.get(lead=lead).owner_id == cast.sara.pk
    client.force_login(cast.dan)
    assert client.get(reverse("leads:team_queue")).status_code == 403


def attempts(external_id: str, n: int, start: int = 0):
    items = [
        parsed(
            external_id,
            "contact_attempt",
            NOW - dt.timedelta(minutes=90 - i),
            channel="email",
            outcome=f"try {i}",
        )
        for i in range(start, start + n)
    ]
    context = IngestContext(
        marketing_team=Lead.objects.get(external_id=external_id).marketing_team,
        sales_team=Lead.objects.get(external_id=external_id).sales_team,
        handoff_on_score=False,
    )
    lead_events_ingest(items=items, context=context)


@pytest.mark.django_db
def test_the_full_timeline_is_reachable_by_older_events_links(
    client, cast, sla, frozen, monkeypatch, django_assert_max_num_queries
):
    # given a lead with 14 events (created, handoff, owner, score, 10 attempts), pages of 5
    monkeypatch.setattr("leads.views.TIMELINE_PAGE_SIZE", 5)
    handoffs(cast, 1)
    attempts("Q0", 10)
    lead = Lead.objects.get(external_id="Q0")
    every = list(lead.events.order_by("-occurred_at", "-id").values_list("pk", flat=True))
    assert len(every) == 14
    client.force_login(cast.dan)
    # when dan follows "Older events" from the newest page to the end
    seen, url, pages = [], lead.get_absolute_url(), []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        pages.append(response)
        seen += [e.pk for e in response.context["events"]]
        older = response.context["timeline"].older_than
        url = f"{lead.get_absolute_url()}?before={older}" if older else None
    # then he saw every event once, newest first, in pages of 5, 5 and 4
    assert seen == every
    assert [len(p.context["events"]) for p in pages] == [5, 5, 4]
    assert "Older events" in pages[0].content.decode()
    assert "Older events" not in pages[-1].content.decode()
    assert "Newest events" in pages[1].content.decode()
    # and an older page costs the same number of queries however long the timeline is
    second = f"{lead.get_absolute_url()}?before={pages[0].context['timeline'].older_than}"
    with django_assert_max_num_queries(60) as small:
        client.get(second)
    attempts("Q0", 30, start=10)
    with django_assert_max_num_queries(len(small)):
        response = client.get(second)
    assert len(response.context["events"]) == 5


@pytest.mark.django_db
def test_a_bad_before_parameter_shows_the_newest_events(client, cast, sla, frozen):
    handoffs(cast, 1)
    lead = Lead.objects.get(external_id="Q0")
    client.force_login(cast.dan)
    for before in ("abc", "999999999", ""):
        response = client.get(f"{lead.get_absolute_url()}?before={before}")
        assert response.status_code == 200
        assert not response.context["timeline"].paged
        assert len(response.context["events"]) == lead.events.count()


@pytest.mark.django_db
def test_the_lead_page_offers_the_reason_codes_of_the_version_governing_its_cycle(
    client, cast, frozen
):
    # given a cycle handed off under v1, while v2 (other reason codes) is in force now
    from leads.tests.test_services import v1_cycle, v1_then_v2

    v1_then_v2(cast)
    lead = v1_cycle(cast)
    client.force_login(cast.dan)
    # when dan opens the lead page
    response = client.get(lead.get_absolute_url())
    # then the recycle and disqualify forms offer v1's codes, not v2's
    view = response.context["view"]
    assert view.cycle_rules.number == 1 and view.rules.number == 2
    forms = {m["to"]: m["form"] for m in response.context["move_forms"]}
    for to in ("recycled", "disqualified"):
        codes = [code for code, _label in forms[to].fields["reason_code"].choices if code]
        assert codes == ["wrong_data"]
    # and posting v1's code recycles the lead
    posted = client.post(
        reverse("leads:lead_move", args=[lead.pk]),
        {"to_stage": "recycled", "reason_code": "wrong_data"},
    )
    assert posted.status_code == 302
    assert Lead.objects.get(pk=lead.pk).stage == "recycled"


@pytest.mark.django_db
def test_nurturing_a_closed_lead_re_renders_the_page_with_the_message(client, cast, sla, frozen):
    # given a lead dan disqualified
    handoffs(cast, 1)
    lead = Lead.objects.get(external_id="Q0")
    client.force_login(cast.dan)
    client.post(
        reverse("leads:lead_move", args=[lead.pk]),
        {"to_stage": "disqualified", "reason_code": "student"},
    )
    assert Lead.objects.get(pk=lead.pk).stage == "disqualified"
    # when a nurture request is posted for it
    response = client.post(
        reverse("leads:lead_nurture", args=[lead.pk]), {"track": "Education track"}
    )
    # then the page says why, and the lead has no track
    assert response.status_code == 400
    assert "This lead is closed" in response.content.decode()
    assert Lead.objects.get(pk=lead.pk).nurture_track == ""


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lang", "handed_off", "fit"),
    [("fa", "۳ آذر ۱۴۰۵", "۲۵"), ("ar", "٢٤ نوفمبر ٢٠٢٦", "٢٥"), ("ro", "24 noiembrie 2026", "25")],
)
def test_the_lead_page_writes_dates_and_numbers_as_the_reader_does(
    client, cast, sla, frozen, lang, handed_off, fit
):
    # given a lead handed off this morning, scored 25 for fit (VP)
    handoffs(cast, 1)
    lead = Lead.objects.get(external_id="Q0")
    client.force_login(cast.dan)
    client.cookies["django_language"] = lang
    # when Dan reads its page in the language
    page = client.get(lead.get_absolute_url()).content.decode()
    # then the handoff date and the score are in its calendar and digits
    assert handed_off in page
    assert f"<strong>{fit}</strong>" in page


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "ro", "ja"])
def test_the_timeline_names_kinds_and_channels_in_the_readers_language(
    client, cast, sla, frozen, lang
):
    from django.utils import translation

    handoffs(cast, 1)
    lead = Lead.objects.get(external_id="Q0")
    client.force_login(cast.dan)
    client.post(reverse("leads:lead_contact", args=[lead.pk]), {"channel": "phone"})
    client.cookies["django_language"] = lang
    page = client.get(lead.get_absolute_url()).content.decode()
    with translation.override(lang):
        for event in LeadEvent.objects.filter(lead=lead):
            assert f"<strong>{event.get_kind_display()}</strong>" in page
        attempt = LeadEvent.objects.get(lead=lead, kind="contact_attempt")
        assert f" · {attempt.get_channel_display()}\n" in page
