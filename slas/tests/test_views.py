"""Pages: who may read and edit, the editor's saves and conflicts, safe Markdown, and
query counts that do not grow with data."""

import datetime
import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.html import escape

from slas import services, timeline
from slas.history import Source
from slas.models import Commitment, Version
from slas.tests.factories import activate

pytestmark = pytest.mark.django_db


@pytest.fixture
def versions(cast, draft):
    """v1 active, v2 draft."""
    activate(draft)
    v2 = services.version_amend(actor=cast.alice, agreement=draft.agreement)
    return draft, v2


def _pages(agreement, v1, v2):
    return [
        "/agreements/",
        f"/agreements/{agreement.pk}/",
        f"/agreements/{agreement.pk}/history/",
        f"/agreements/{agreement.pk}/compare/?a={v1.pk}&b={v2.pk}",
        f"/agreements/versions/{v1.pk}/",
        f"/agreements/versions/{v2.pk}/",
    ]


class TestPermissionCast:
    def test_erin_reads_everything_but_edits_nothing(self, client, cast, versions):
        v1, v2 = versions
        client.force_login(cast.erin)
        for url in _pages(v1.agreement, v1, v2):
            assert client.get(url).status_code == 200, url
        assert (
            client.get(
                f"/agreements/versions/{v2.pk}/edit/terms/".replace("terms", "definitions")
            ).status_code
            == 403
        )
        assert client.post(f"/agreements/{v1.agreement.pk}/new-version/").status_code == 403

    @pytest.mark.parametrize("who", ["bob", "dan"])
    def test_reps_of_the_parties_read_but_cannot_edit(self, client, cast, versions, who):
        v1, v2 = versions
        client.force_login(getattr(cast, who))
        assert client.get(f"/agreements/versions/{v2.pk}/").status_code == 200
        page = client.get(f"/agreements/versions/{v2.pk}/").content.decode()
        assert 'data-testid="edit-version"' not in page
        assert client.get(f"/agreements/versions/{v2.pk}/edit/goals/").status_code == 403
        response = client.post(
            f"/agreements/versions/{v2.pk}/edit/goals/",
            {"edit_revision": v2.edit_revision, "v-goal_statements": "rep edit"},
        )
        assert response.status_code == 403
        assert client.get(f"/agreements/versions/{v2.pk}/planner/").status_code == 403
        assert Version.objects.get(pk=v2.pk).goal_statements != "rep edit"

    def test_mallory_gets_404_on_the_marketing_sales_agreement(self, client, cast, versions):
        v1, v2 = versions
        client.force_login(cast.mallory)
        for url in _pages(v1.agreement, v1, v2)[1:]:
            assert client.get(url).status_code == 404, url
        assert client.get(f"/agreements/versions/{v2.pk}/edit/goals/").status_code == 404
        assert client.post(f"/agreements/{v1.agreement.pk}/new-version/").status_code == 404
        assert v1.agreement.title not in client.get("/agreements/").content.decode()

    def test_reps_cannot_open_the_new_agreement_page(self, client, cast):
        client.force_login(cast.bob)
        assert client.get("/agreements/new/").status_code == 403


class TestEditor:
    def test_alice_edits_the_definitions_with_a_formset_and_sees_a_success_message(
        self, client, cast, versions
    ):
        # given
        _v1, v2 = versions
        client.force_login(cast.alice)
        page = client.get(f"/agreements/versions/{v2.pk}/edit/definitions/")
        formset = page.context["formsets"][0][1]
        data = {"edit_revision": v2.edit_revision}
        for key in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"terms-{key}"] = formset.management_form.initial[key]
        for form in formset.forms:
            for name in ("id", "term", "definition", "position"):
                value = form[name].value()
                data[f"{form.prefix}-{name}"] = (
                    getattr(value, "pk", value) if value is not None else ""
                )
        mql = next(f for f in formset.forms if f.initial.get("term") == "MQL")
        data[f"{mql.prefix}-definition"] = "A lead with at least 60 points."
        contact = next(f for f in formset.forms if f.initial.get("term") == "Contact")
        data[f"{contact.prefix}-DELETE"] = "on"
        extra = formset.forms[-1].prefix
        data[f"{extra}-term"], data[f"{extra}-definition"] = "Nurture", "Follow-up."
        # when
        response = client.post(f"/agreements/versions/{v2.pk}/edit/definitions/", data, follow=True)
        # then
        assert "Definitions saved." in response.content.decode()
        terms = dict(v2.terms.values_list("term", "definition"))
        assert terms["MQL"] == "A lead with at least 60 points."
        assert "Contact" not in terms and terms["Nurture"] == "Follow-up."
        row = v2.terms.model.history.filter(version_id=v2.pk, term="MQL").latest("history_date")
        assert (
            row.history_user == cast.alice and row.history_change_reason == "web form: definitions"
        )

    def test_the_kpi_editor_saves_a_party_as_owner_and_refuses_any_other_team(
        self, client, cast, versions
    ):
        # given the KPI editor as loaded, with a new sales commitment in the extra row
        _v1, v2 = versions
        client.force_login(cast.alice)
        url = f"/agreements/versions/{v2.pk}/edit/kpis/"
        page = client.get(url)
        formset = page.context["formsets"][0][1]
        owner_choices = [value for value, _label in formset.forms[0].fields["owner_team"].choices]
        assert set(owner_choices) == {"", cast.marketing.pk, cast.sales.pk}
        data = _formset_post(formset, "commitments", v2.edit_revision)
        extra = formset.forms[-1].prefix
        data.update(
            {
                f"{extra}-owner_team": cast.sales.pk,
                f"{extra}-kind": "acceptance_rate",
                f"{extra}-target": "75",
                f"{extra}-period": "month",
                f"{extra}-position": "5",
            }
        )
        # when another team is posted as owner
        refused = client.post(url, {**data, f"{extra}-owner_team": cast.customer_success.pk})
        # then it is refused, and the party is accepted
        assert refused.status_code == 200
        assert not v2.commitments.filter(kind="acceptance_rate").exists()
        client.post(url, data)
        assert v2.commitments.get(kind="acceptance_rate").owner_team == cast.sales

    def test_a_stale_form_is_refused_keeps_the_input_and_shows_the_other_change(
        self, client, cast, versions
    ):
        # given Alice loaded the goals at revision r, then Carol saved
        _v1, v2 = versions
        seen = v2.edit_revision
        services.version_update(
            actor=cast.carol,
            version=v2,
            data={"goal_statements": "Carol's goals"},
            expected_revision=seen,
        )
        client.force_login(cast.alice)
        # when Alice saves with the old revision
        response = client.post(
            f"/agreements/versions/{v2.pk}/edit/goals/",
            {
                "edit_revision": seen,
                "v-revenue_goal_amount": "1000000",
                "v-revenue_goal_currency": "USD",
                "v-revenue_goal_period_months": "12",
                "v-avg_deal_size": "25000",
                "v-goal_statements": "Alice's goals",
            },
        )
        # then
        assert response.status_code == 409
        html = response.content.decode()
        assert 'data-testid="edit-conflict"' in html and "Carol Cruz" in html
        assert "Alice&#x27;s goals" in html  # her input is kept
        assert Version.objects.get(pk=v2.pk).goal_statements == "Carol's goals"

    def test_an_invalid_calendar_re_renders_with_the_message_and_the_input(
        self, client, cast, versions
    ):
        _v1, v2 = versions
        client.force_login(cast.alice)
        response = client.post(
            f"/agreements/versions/{v2.pk}/edit/calendar/",
            {
                "edit_revision": v2.edit_revision,
                "v-calendar_timezone": "Nowhere/Land",
                "v-work_start": "09:00",
                "v-work_end": "17:00",
                "holidays-TOTAL_FORMS": "0",
                "holidays-INITIAL_FORMS": "0",
            },
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert "Unknown time zone" in html and "Choose at least one working day." in html
        assert 'value="Nowhere/Land"' in html

    def test_the_planner_shows_the_funnel_and_writes_the_mql_target(self, client, cast, versions):
        _v1, v2 = versions
        client.force_login(cast.alice)
        page = client.get(f"/agreements/versions/{v2.pk}/planner/")
        plan = page.context["plan"]
        assert plan.total.won == 40  # 1,000,000 / 25,000
        assert "default" in page.content.decode()
        response = client.post(
            f"/agreements/versions/{v2.pk}/planner/apply/",
            {
                "edit_revision": v2.edit_revision,
                "mql_target": plan.per_period.mqls,
                "period": "month",
            },
            follow=True,
        )
        assert v2.commitments.get(kind="mql_volume").target == plan.per_period.mqls
        assert "MQL volume commitment" in response.content.decode()

    def test_new_version_button_creates_the_draft_and_opens_the_editor(self, client, cast, draft):
        activate(draft)
        client.force_login(cast.carol)
        response = client.post(f"/agreements/{draft.agreement.pk}/new-version/")
        v2 = draft.agreement.versions.get(number=2)
        assert (
            response.status_code == 302
            and response.url == f"/agreements/versions/{v2.pk}/edit/frame/"
        )

    def test_a_manager_creates_an_agreement_from_the_form(self, client, cast):
        client.force_login(cast.carol)
        response = client.post(
            "/agreements/new/",
            {
                "title": "Sales ⇄ CS",
                "purpose": "Handover",
                "parties": [cast.sales.pk, cast.customer_success.pk],
            },
        )
        assert response.status_code == 302
        version = Version.objects.get(agreement__title="Sales ⇄ CS")
        assert response.url == version.get_absolute_url() and version.created_by == cast.carol


def _formset_post(formset, prefix: str, revision: int) -> dict:
    """The formset's data as the page shows it (every row, unchanged)."""
    data = {"edit_revision": revision}
    for key in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
        data[f"{prefix}-{key}"] = formset.management_form.initial[key]
    for form in formset.forms:
        for name, bound in ((name, form[name]) for name in form.fields if name != "DELETE"):
            value = bound.value()
            data[f"{form.prefix}-{name}"] = getattr(value, "pk", value) if value is not None else ""
    return data


class TestDocument:
    XSS = [
        "<script>alert('x')</script>",
        '<img src="x" onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">link</a>',
        "<iframe src='https://evil.example'></iframe>",
        '<p style="background:url(javascript:alert(1))">styled</p>',
    ]

    def test_markdown_xss_payloads_are_rendered_inert(self, client, cast, draft):
        for n, payload in enumerate(self.XSS):
            services.version_part_create(
                actor=cast.alice,
                version=draft,
                part="sections",
                data={"title": f"S{n}", "body": payload},
            )
        client.force_login(cast.bob)
        html = client.get(f"/agreements/versions/{draft.pk}/").content.decode()
        document = html[html.index('<article class="document') :]
        for needle in ("<script>alert", "onerror", "javascript:", "<iframe", "style="):
            assert needle not in document, needle

    def test_the_document_includes_the_signing_panel_and_every_component(self, client, cast, draft):
        client.force_login(cast.erin)
        html = client.get(f"/agreements/versions/{draft.pk}/").content.decode()
        assert html.index('class="signing-panel"') < html.index('<article class="document')
        for key in (
            "frame",
            "goals",
            "definitions",
            "qualification",
            "handoff",
            "nurturing",
            "management",
            "kpis",
            "calendar",
            "sections",
        ):
            assert f'id="c-{key}"' in html
        assert "First <strong>Tuesday</strong> of the month." in html
        assert "Monday, Tuesday, Wednesday, Thursday and Friday" in html


class TestLabels:
    def test_the_document_words_commitment_parameters(self, client, cast, draft):
        # given a conversion commitment next to the fixture's 24-hour first contact
        services.version_part_create(
            actor=cast.alice,
            version=draft,
            part="commitments",
            data={
                "owner_team": cast.sales,
                "kind": "conversion_rate",
                "params": {"from_stage": "sql", "to_stage": "opportunity"},
                "target": 30,
                "period": "quarter",
            },
        )
        client.force_login(cast.erin)
        # when
        html = client.get(f"/agreements/versions/{draft.pk}/").content.decode()
        # then
        assert "First contact within 24 business hours" in html and "hours: 24" not in html
        assert "Conversion from SQL to Opportunity" in html and "from_stage" not in html
        assert "First contact within H business hours" not in html
        assert "30%" in html

    def test_every_rule_of_the_document_reads_as_a_sentence(self, client, cast, draft):
        # given an "is one of" rule next to the fixture's job-title rule
        services.version_part_create(
            actor=cast.alice,
            version=draft,
            part="scoring_rules",
            data={
                "attribute": "industry",
                "operator": "in",
                "value": "Software,Financial Services,Telecommunications",
                "points": 10,
                "dimension": "fit",
            },
        )
        client.force_login(cast.erin)
        # when
        html = client.get(f"/agreements/versions/{draft.pk}/").content.decode()
        # then
        assert "Job title contains &quot;VP&quot;" in html and "job_title" not in html
        assert "Industry is one of Software, Financial Services or Telecommunications" in html
        assert "Software,Financial Services" not in html

    def test_a_commitment_left_without_a_description_reads_from_its_parameters(
        self, client, cast, draft
    ):
        # given the first-contact commitment whose description is the kind's name
        commitment = draft.commitments.get(kind="first_contact_within")
        Commitment.objects.filter(pk=commitment.pk).update(
            description="First contact within H business hours"
        )
        client.force_login(cast.erin)
        # when
        html = client.get(f"/agreements/versions/{draft.pk}/").content.decode()
        # then
        assert "First contact within H business hours" not in html
        assert "First contact within 24 business hours" in html

    def test_the_document_names_the_agreements_real_parties(self, client, cast):
        # given a Sales <-> Customer Success agreement
        agreement = services.agreement_create(
            actor=cast.carol,
            title="Sales ⇄ Customer Success",
            purpose="",
            parties=[cast.sales, cast.customer_success],
            effective_date=datetime.date(2026, 1, 1),
            source=Source.IMPORT,
        )
        services.version_part_create(
            actor=cast.carol,
            version=agreement.versions.get(),
            part="reason_codes",
            data={"code": "wrong_fit", "label": "Not a fit", "applies_to": "reject"},
        )
        client.force_login(cast.carol)
        # when
        html = client.get(f"/agreements/versions/{agreement.versions.get().pk}/").content.decode()
        # then the return path and lead management name those teams
        assert "Customer Success returns the lead to Sales" in html
        assert "Customer Success makes at least" in html
        assert "returns the lead to marketing" not in html and "Sales makes at least" not in html
        assert "Between Customer Success and Sales" in html
        assert "Reject (return to Sales)" in html and "return to marketing" not in html
        assert "Tell the manager of Customer Success" in html

    def test_the_planner_names_each_stage_in_the_readers_language(self, client, cast, draft):
        # given
        client.force_login(cast.alice)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ro"
        # when
        html = client.get(f"/agreements/versions/{draft.pk}/planner/").content.decode()
        # then
        plan = html[html.index('data-testid="plan"') :]
        leads = plan[plan.index('<tr data-stage="leads">') :]
        assert ">Leaduri</span>" in leads[: leads.index("</tr>")]
        mqls = plan[plan.index('<tr data-stage="mqls">') :]
        assert ">MQL-uri</span>" in mqls[: mqls.index("</tr>")]
        assert "<td>leads</td>" not in plan and "<td>opportunities</td>" not in plan

    def test_the_planner_shows_each_stage_with_its_agreed_definition(self, client, cast, draft):
        # given the draft defines MQL in its terms
        definition = draft.terms.get(term="MQL").definition
        client.force_login(cast.alice)
        # when
        html = client.get(f"/agreements/versions/{draft.pk}/planner/").content.decode()
        # then the MQL row carries the definition, through the stage badge
        plan = html[html.index('data-testid="plan"') :]
        mqls = plan[plan.index('<tr data-stage="mqls">') :]
        row = mqls[: mqls.index("</tr>")]
        assert 'data-testid="planner-stage"' in row and 'data-stage="mql"' in row
        assert escape(definition) in row

    def test_the_stage_choices_of_a_conversion_commitment_are_translated(self, cast, draft):
        from slas.forms import CommitmentForm

        with translation.override("ro"):
            choices = dict(CommitmentForm(version=draft).fields["from_stage"].choices)
        assert choices["opportunity"] == "Oportunitate" and choices["won"] == "Câștigat"
        assert set(choices) == {"", "lead", "mql", "sal", "sql", "opportunity", "won"}

    def test_a_conflict_names_the_kind_of_each_change_in_the_readers_language(
        self, client, cast, draft
    ):
        # given Carol changed a term after Alice loaded the definitions
        seen = draft.edit_revision
        services.version_part_update(
            actor=cast.carol,
            instance=draft.terms.get(term="SQL"),
            data={"definition": "Carol's SQL"},
            source=Source.API,
        )
        client.force_login(cast.alice)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ro"
        # when Alice saves the goals from the revision she saw
        response = client.post(
            f"/agreements/versions/{draft.pk}/edit/goals/",
            {
                "edit_revision": seen,
                "v-revenue_goal_amount": "1000000",
                "v-revenue_goal_currency": "USD",
                "v-revenue_goal_period_months": "12",
                "v-avg_deal_size": "25000",
                "v-goal_statements": "Alice's",
            },
        )
        # then
        assert response.status_code == 409
        conflict = response.content.decode()
        conflict = conflict[conflict.index('data-testid="edit-conflict"') :]
        assert '<span class="muted">(modificat)</span>' in conflict
        assert "(changed)" not in conflict
        assert f'<span class="pill">{Source.API.label}</span>' in conflict

    def test_the_timeline_shows_where_each_edit_came_from_by_its_label(
        self, client, cast, draft, monkeypatch
    ):
        # given an edit through the API, and a label that differs from the stored value

        services.version_update(
            actor=cast.carol, version=draft, data={"goal_statements": "x"}, source=Source.API
        )
        monkeypatch.setattr(
            timeline.HistoryEntry,
            "source_label",
            property(lambda entry: f"label of {entry.source}"),
        )
        client.force_login(cast.erin)
        # when
        html = client.get(f"/agreements/{draft.agreement.pk}/history/").content.decode()
        # then
        assert '<span class="pill">label of API</span>' in html
        assert '<span class="pill">API</span>' not in html

    def test_the_source_label_is_the_translated_choice(self):
        from slas.timeline import HistoryEntry

        entry = HistoryEntry(
            when=None,
            user=None,
            source="web form",
            what="",
            why="",
            version_number=None,
            version_id=None,
            items=[],
        )
        assert entry.source_label == str(Source.WEB.label)
        entry.source = "something else"
        assert entry.source_label == "something else"


class TestReportLinks:
    def test_a_version_that_was_in_force_links_to_its_compliance(self, client, cast, versions):
        # given v1 in force and v2 a draft
        from slas.testing import version_take_effect

        v1, v2 = versions
        version_take_effect(v1, in_force_from=timezone.now())
        client.force_login(cast.erin)
        # when
        active = client.get(f"/agreements/versions/{v1.pk}/").content.decode()
        draft = client.get(f"/agreements/versions/{v2.pk}/").content.decode()
        # then
        assert f'href="/reports/versions/{v1.pk}/" data-testid="compliance-link"' in active
        assert "whatif-link" not in active
        assert f'href="/reports/versions/{v2.pk}/what-if/" data-testid="whatif-link"' in draft
        assert "compliance-link" not in draft

    def test_a_superseded_version_that_was_never_in_force_links_to_neither(
        self, client, cast, versions
    ):
        from slas.tests.factories import set_status

        v1, _v2 = versions
        set_status(v1, "superseded")
        client.force_login(cast.erin)
        html = client.get(f"/agreements/versions/{v1.pk}/").content.decode()
        assert "compliance-link" not in html and "whatif-link" not in html


def _editor_pages(version) -> dict[str, str]:
    """Every component of the draft editor, and the planner."""
    from slas.views import EDITOR_TABS

    pages = {key: f"/agreements/versions/{version.pk}/edit/{key}/" for key, _title in EDITOR_TABS}
    pages["planner"] = f"/agreements/versions/{version.pk}/planner/"
    return pages


def _one_row_of_every_part(cast, n: int) -> list[tuple[str, dict]]:
    import datetime
    from decimal import Decimal

    return [
        ("terms", {"term": f"Term {n}", "definition": "d", "position": 20 + n}),
        (
            "scoring_rules",
            {
                "attribute": f"attr_{n}",
                "operator": "equals",
                "value": "x",
                "points": n,
                "dimension": "fit",
            },
        ),
        ("reason_codes", {"code": f"code_{n}", "label": f"Reason {n}", "applies_to": "any"}),
        ("nurture_tracks", {"name": f"Track {n}", "description": "d", "duration_days": 30}),
        (
            "commitments",
            {
                "owner_team": cast.sales if n % 2 else cast.marketing,
                "kind": "attempts_before_recycle",
                "params": {"attempts": n + 1},
                "target": Decimal(80),
                "period": "quarter",
            },
        ),
        ("holidays", {"date": datetime.date(2026, 8, 1 + n), "name": f"Day {n}"}),
        ("sections", {"title": f"Section {n}", "body": "Some *text*."}),
        ("escalation_steps", {"at_percent": 200 + n, "action": "notify_manager"}),
    ]


def _count(client, url) -> int:
    """The page's queries with nothing kept in the shared cache (the planner keeps the
    funnel counts there: a second read would cost one query less)."""
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200, url
    return len(queries)


class TestAgreementCompareForm:
    def test_the_compare_form_offers_every_version_newest_first_the_two_latest_chosen(
        self, client, cast, versions
    ):
        # given v1 in force and v2 a draft
        v1, v2 = versions
        client.force_login(cast.erin)
        # when the agreement page is read
        html = client.get(f"/agreements/{v1.agreement_id}/").content.decode()
        # then each select lists the empty choice, v2 then v1 with their states
        for name, chosen in (("a", v1), ("b", v2)):
            select = re.search(rf'<select name="{name}".*?</select>', html, re.S)[0]
            options = re.findall(r'<option value="(\d*)"( selected)?>([^<]*)</option>', select)
            assert [value for value, _sel, _label in options] == ["", str(v2.pk), str(v1.pk)]
            assert options[1][2] == f"v2 · {v2.state_label}"
            assert [value for value, sel, _label in options if sel] == [str(chosen.pk)]
        # and the page reads the versions once (not again for each select)
        with CaptureQueriesContext(connection) as queries:
            client.get(f"/agreements/{v1.agreement_id}/")
        assert sum('FROM "slas_version"' in q["sql"] for q in queries.captured_queries) == 1


class TestQueryCounts:
    def test_no_page_costs_more_queries_with_more_versions_terms_and_history(
        self, client, cast, draft
    ):
        # given a small agreement: v1 active, v2 draft
        activate(draft)
        v2 = services.version_amend(actor=cast.alice, agreement=draft.agreement)
        client.force_login(cast.erin)
        urls = _pages(draft.agreement, draft, v2) + ["/"]
        small = {url: _count(client, url) for url in urls}
        # when it grows: more terms and history on v2, another version, another agreement
        for n in range(6):
            services.version_part_create(
                actor=cast.alice,
                version=v2,
                part="terms",
                data={"term": f"Term {n}", "definition": "d"},
            )
            services.version_update(
                actor=cast.carol, version=v2, data={"goal_statements": f"edit {n}"}
            )
        from slas.tests.factories import agreement_with_draft

        agreement_with_draft(cast, title="Another")
        large = {url: _count(client, url) for url in urls}
        # then
        assert large == small

    def test_the_editor_costs_the_same_with_more_rows(self, client, cast, draft):
        client.force_login(cast.alice)
        url = f"/agreements/versions/{draft.pk}/edit/definitions/"
        small = _count(client, url)
        for n in range(5):
            services.version_part_create(
                actor=cast.alice,
                version=draft,
                part="terms",
                data={"term": f"Term {n}", "definition": "d"},
            )
        assert _count(client, url) == small

    def test_no_editor_page_nor_the_planner_costs_more_with_more_rows_versions_and_history(
        self, client, cast, draft
    ):
        # given v1 active and draft v2, and every editor page of v2 counted
        from slas.tests.factories import set_status

        client.force_login(cast.alice)
        activate(draft)
        v2 = services.version_amend(actor=cast.alice, agreement=draft.agreement)
        small = {name: _count(client, url) for name, url in _editor_pages(v2).items()}
        # when v2 gets four more rows of every part and more history, v2 replaces v1,
        # and draft v3 copies it all
        services.version_edit(
            actor=cast.carol,
            version=v2,
            expected_revision=None,
            create=[row for n in range(4) for row in _one_row_of_every_part(cast, n)],
        )
        for n in range(4):
            services.version_update(
                actor=cast.carol, version=v2, data={"goal_statements": f"edit {n}"}
            )
        set_status(draft, "superseded")
        activate(v2)
        v3 = services.version_amend(actor=cast.alice, agreement=draft.agreement)
        assert v3.commitments.count() == v2.commitments.count() == 6
        large = {name: _count(client, url) for name, url in _editor_pages(v3).items()}
        # then
        assert large == small

    def test_the_version_page_costs_the_same_with_more_versions(self, client, cast, draft):
        # given v1 active and draft v2
        from slas.tests.factories import set_status

        client.force_login(cast.alice)
        activate(draft)
        v2 = services.version_amend(actor=cast.alice, agreement=draft.agreement)
        small = _count(client, f"/agreements/versions/{v2.pk}/")
        # when v2 replaces v1 and draft v3 opens
        set_status(draft, "superseded")
        activate(v2)
        v3 = services.version_amend(actor=cast.alice, agreement=draft.agreement)
        # then the draft's page costs the same
        assert _count(client, f"/agreements/versions/{v3.pk}/") == small


def _goals_post(version, *, statements: str, **extra) -> dict:
    return {
        "edit_revision": version.edit_revision,
        "v-revenue_goal_amount": "1000000",
        "v-revenue_goal_currency": "USD",
        "v-revenue_goal_period_months": "12",
        "v-avg_deal_size": "25000",
        "v-goal_statements": statements,
        **extra,
    }


@pytest.fixture
def withdrawn(cast, draft):
    """Draft v1, sent for signature by Alice and withdrawn: a draft to be sent again."""
    from slas.signing.services import signing_withdraw, version_send_for_signature

    version_send_for_signature(version=draft, actor=cast.alice)
    signing_withdraw(version=draft, user=cast.alice, comment="One more change.")
    draft.refresh_from_db()
    return draft


class TestEditReasons:
    def test_a_reason_given_in_the_editor_is_the_why_in_history_and_compare(
        self, client, cast, versions
    ):
        # given
        v1, v2 = versions
        client.force_login(cast.alice)
        # when Alice saves the goals and says why
        response = client.post(
            f"/agreements/versions/{v2.pk}/edit/goals/",
            _goals_post(v2, statements="Two million.", edit_reason="The board doubled the goal."),
        )
        # then
        assert response.status_code == 302
        client.force_login(cast.erin)
        agreement = v1.agreement
        history = client.get(f"/agreements/{agreement.pk}/history/").content.decode()
        assert "The board doubled the goal." in history
        compared = client.get(
            f"/agreements/{agreement.pk}/compare/?a={v1.pk}&b={v2.pk}"
        ).content.decode()
        assert 'data-testid="edit-reasons"' in compared
        assert "The board doubled the goal." in compared
        assert "Alice Anders" in compared[compared.index('data-testid="edit-reasons"') :]
        audit = client.get(f"/agreements/{agreement.pk}/audit/").content.decode()
        assert "The board doubled the goal." in audit

    def test_a_draft_taken_back_from_signature_asks_why_and_keeps_the_input(
        self, client, cast, withdrawn
    ):
        # given a draft that was sent and withdrawn
        client.force_login(cast.alice)
        url = f"/agreements/versions/{withdrawn.pk}/edit/goals/"
        page = client.get(url).content.decode()
        assert "this draft was sent for signature before" in page
        revision = withdrawn.edit_revision
        # when Alice saves without a reason
        refused = client.post(url, _goals_post(withdrawn, statements="Alice's new goals"))
        # then nothing is saved, the page says why and keeps what she typed
        assert refused.status_code == 200
        html = refused.content.decode()
        assert "Say why you change this draft" in html
        assert "Alice&#x27;s new goals" in html
        withdrawn.refresh_from_db()
        assert withdrawn.edit_revision == revision
        # and with a reason it is saved
        saved = client.post(
            url,
            _goals_post(
                withdrawn, statements="Alice's new goals", edit_reason="Carol asked for it."
            ),
        )
        assert saved.status_code == 302
        withdrawn.refresh_from_db()
        assert withdrawn.goal_statements == "Alice's new goals"

    def test_the_history_reads_in_the_readers_language_whatever_language_it_was_written_in(
        self, client, cast
    ):
        # given an agreement started, and its definitions saved, by a manager reading Arabic
        from slas.tests.factories import agreement_with_draft

        client.force_login(cast.alice)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
        with translation.override("ar"):
            agreement = agreement_with_draft(cast)
        draft = agreement.versions.get()
        page = client.get(f"/agreements/versions/{draft.pk}/edit/definitions/")
        formset = page.context["formsets"][0][1]
        data = _formset_post(formset, "terms", draft.edit_revision)
        mql = next(form for form in formset.forms if form.initial.get("term") == "MQL")
        data[f"{mql.prefix}-definition"] = "A lead with at least 60 points."
        assert (
            client.post(f"/agreements/versions/{draft.pk}/edit/definitions/", data).status_code
            == 302
        )
        # when Erin reads the history in English, then in Arabic
        client.force_login(cast.erin)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        english = client.get(f"/agreements/{agreement.pk}/history/").content.decode()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
        arabic = client.get(f"/agreements/{agreement.pk}/history/").content.decode()
        # then each page is in its reader's language
        with translation.override("ar"):
            created_ar = translation.gettext("agreement created")
            definitions_ar = translation.gettext("Definitions")
        assert created_ar != "agreement created" and definitions_ar != "Definitions"
        timeline_en = english[english.index('data-testid="timeline"') :]
        timeline_ar = arabic[arabic.index('data-testid="timeline"') :]
        assert "agreement created" in timeline_en and "Definitions" in timeline_en
        assert created_ar not in timeline_en and definitions_ar not in timeline_en
        assert created_ar in timeline_ar and definitions_ar in timeline_ar
        assert "agreement created" not in timeline_ar

    def test_the_planner_asks_why_too_on_a_draft_taken_back_from_signature(
        self, client, cast, withdrawn
    ):
        # given
        client.force_login(cast.alice)
        url = f"/agreements/versions/{withdrawn.pk}/planner/apply/"
        data = {"edit_revision": withdrawn.edit_revision, "mql_target": 321, "period": "month"}
        # when the MQL target is applied without a reason
        refused = client.post(url, data, follow=True)
        # then it is refused with the reason's message
        assert "Say why you change this draft" in refused.content.decode()
        assert withdrawn.commitments.get(kind="mql_volume").target != 321
        # and with a reason it is written
        saved = client.post(url, {**data, "edit_reason": "The funnel says so."}, follow=True)
        assert "MQL volume commitment" in saved.content.decode()
        assert withdrawn.commitments.get(kind="mql_volume").target == 321


class TestAgreementPage:
    def test_the_versions_tables_compare_column_has_a_header_and_plain_cells(
        self, client, cast, draft
    ):
        # given v1 in force and its copy v2
        activate(draft)
        services.version_amend(actor=cast.alice, agreement=draft.agreement)
        client.force_login(cast.alice)
        # when
        html = client.get(draft.agreement.get_absolute_url()).content.decode()
        # then every column is headed, and the compare cell is a table cell like the others
        table = html[html.index('data-testid="versions"') : html.index("</table>")]
        head = table[table.index("<thead>") : table.index("</thead>")]
        assert "<th></th>" not in head and ">Compare</th>" in head
        assert 'class="row small"' not in table
        assert "Compare with v1" in table


class TestHistoryReadsValues:
    def test_the_in_force_instant_reads_as_a_date_and_time_and_states_as_values(
        self, client, cast, draft
    ):
        # given v1 taking force at 21:00 UTC (midnight in Bucharest)
        from slas.history import stamp

        draft.status = "active"
        draft.in_force_from = datetime.datetime(2026, 5, 19, 21, 0, tzinfo=datetime.UTC)
        stamp(draft, user=cast.carol, reason="signing: activated")
        draft.save(update_fields=["status", "in_force_from"])
        client.force_login(cast.alice)
        # when
        html = client.get(f"/agreements/{draft.agreement.pk}/history/").content.decode()
        # then the instant is written through portal.dates, never raw
        assert "2026-05-19 21:00:00+00:00" not in html and "+00:00</ins>" not in html
        assert "<ins>19 May 2026, 21:00" in html
        # and the state reads as a whole value, old -> new, not diffed word by word
        assert '<del>Draft</del> <span class="dir-arrow">→</span> <ins>In force</ins>' in html
        assert "<del>Awaiting</del>" not in html


class TestCompareReadsValues:
    def test_a_date_change_reads_as_one_date_to_another(self, client, cast, draft):
        # given v2 taking effect a week after v1
        activate(draft)
        v2 = services.version_amend(actor=cast.alice, agreement=draft.agreement)
        services.version_update(
            actor=cast.alice,
            version=v2,
            data={
                "effective_date": datetime.date(2026, 8, 28),
                "end_date": datetime.date(2027, 8, 28),
                "review_date": datetime.date(2027, 2, 26),
            },
        )
        Version.objects.filter(pk=draft.pk).update(status="draft")
        services.version_update(
            actor=cast.alice,
            version=Version.objects.get(pk=draft.pk),
            data={
                "effective_date": datetime.date(2026, 8, 21),
                "end_date": datetime.date(2027, 8, 21),
                "review_date": datetime.date(2027, 2, 19),
            },
        )
        activate(Version.objects.get(pk=draft.pk))
        client.force_login(cast.alice)
        # when
        html = client.get(
            f"/agreements/{draft.agreement.pk}/compare/?a={draft.pk}&b={v2.pk}"
        ).content.decode()
        # then
        assert '<del>21 Aug</del> <span class="dir-arrow">→</span> <ins>28 Aug</ins>' in html
        assert "2026-<del>" not in html and "<del>08</del>" not in html

    def test_a_date_change_reads_in_the_readers_language(self, client, cast, draft):
        activate(draft)
        v2 = services.version_amend(actor=cast.alice, agreement=draft.agreement)
        services.version_update(
            actor=cast.alice,
            version=v2,
            data={
                "effective_date": datetime.date(2026, 8, 28),
                "end_date": datetime.date(2027, 8, 28),
                "review_date": datetime.date(2026, 9, 1),
            },
        )
        client.force_login(cast.alice)
        client.cookies["django_language"] = "ro"
        html = client.get(
            f"/agreements/{draft.agreement.pk}/compare/?a={draft.pk}&b={v2.pk}"
        ).content.decode()
        with translation.override("ro"):
            from portal import dates

            expected = dates.day_short(datetime.date(2026, 9, 1))
        assert f"<ins>{expected}</ins>" in html


def test_text_people_wrote_takes_its_own_direction_on_a_right_to_left_page(client, cast, draft):
    # given an Arabic reader of a document written in English
    client.force_login(cast.erin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    # when
    html = client.get(f"/agreements/versions/{draft.pk}/").content.decode()
    # then the purpose, definitions and commitments' notes keep their own direction
    assert '<p dir="auto">One revenue goal.</p>' in html
    mql = draft.terms.get(term="MQL").definition
    assert f'<dd dir="auto">{escape(mql)}</dd>' in html
