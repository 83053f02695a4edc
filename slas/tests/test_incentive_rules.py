"""The version part "incentives": its rules, the editor, the document, compare, new
versions, the API and the admin (docs/incentives.md)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from slas import compare, services
from slas.models import Incentive
from slas.tests.factories import activate

pytestmark = pytest.mark.django_db
JSON = "application/json"


def _add(cast, version, **data):
    data.setdefault("owner_team", cast.marketing)
    data.setdefault("name", "Deals bonus")
    data.setdefault("measure", "won_deals")
    return services.version_part_create(
        actor=cast.alice, version=version, part="incentives", data=data
    )


class TestRules:
    def test_a_rule_paying_an_amount_per_won_deal_with_a_cap_is_kept_exactly(self, cast, draft):
        rule = _add(cast, draft, amount=Decimal("150.25"), cap=Decimal("1000"), condition="all_met")
        rule.refresh_from_db()
        assert (rule.amount, rule.cap, rule.condition) == (
            Decimal("150.25"),
            Decimal("1000.00"),
            "all_met",
        )

    def test_a_revenue_rule_needs_a_rate_and_no_amount(self, cast, draft):
        with pytest.raises(ValidationError) as error:
            _add(cast, draft, measure="revenue", amount=Decimal("10"))
        assert {"rate_percent", "amount"} <= set(error.value.message_dict)

    def test_a_count_rule_needs_an_amount_and_no_rate(self, cast, draft):
        with pytest.raises(ValidationError) as error:
            _add(cast, draft, measure="sqls", rate_percent=Decimal("5"))
        assert {"rate_percent", "amount"} <= set(error.value.message_dict)

    @pytest.mark.parametrize(
        "data, field",
        [
            ({"amount": Decimal("0")}, "amount"),
            ({"amount": Decimal("5"), "cap": Decimal("0")}, "cap"),
            ({"measure": "revenue", "rate_percent": Decimal("120")}, "rate_percent"),
        ],
    )
    def test_amounts_rates_and_caps_must_make_sense(self, cast, draft, data, field):
        with pytest.raises(ValidationError) as error:
            _add(cast, draft, **data)
        assert field in error.value.message_dict

    def test_a_teams_rule_names_are_unique(self, cast, draft):
        with pytest.raises(ValidationError):
            _add(cast, draft, name="Won deals from our leads", amount=Decimal("5"))

    def test_the_team_paid_is_a_party(self, cast, draft):
        with pytest.raises(ValidationError) as error:
            _add(cast, draft, owner_team=cast.customer_success, amount=Decimal("5"))
        assert "owner_team" in error.value.message_dict


class TestVersions:
    def test_a_new_version_copies_the_rules_and_compare_shows_a_changed_cap(self, cast, draft):
        _add(cast, draft, amount=Decimal("100"), cap=Decimal("500"))
        activate(draft)
        v2 = services.version_amend(actor=cast.alice, agreement=draft.agreement)
        assert v2.incentives.count() == draft.incentives.count() == 2  # with fill_draft's
        copied = v2.incentives.get(name="Deals bonus")
        assert (copied.amount, copied.cap, copied.owner_team) == (
            Decimal("100.00"),
            Decimal("500.00"),
            cast.marketing,
        )
        services.version_part_update(
            actor=cast.alice, instance=copied, data={"cap": Decimal("800")}
        )
        component = {c.key: c for c in compare.version_compare(draft, v2).components}["incentives"]
        rules = component.parts[0]
        assert rules.name == "incentives" and not rules.added and not rules.removed
        assert [c.label for c in rules.changed] == ["Marketing · Deals bonus"]
        change = rules.changed[0].changes[0]
        assert (change.name, change.old, change.new) == ("cap", "500", "800")

    def test_the_document_shows_each_rule_in_the_agreement_currency(self, client, cast, draft):
        _add(cast, draft, amount=Decimal("150"), cap=Decimal("900"), condition="speed_met")
        client.force_login(cast.erin)
        page = client.get(draft.get_absolute_url()).content.decode()
        assert 'id="c-incentives"' in page
        assert "150.00 USD each" in page and "900.00 USD" in page
        assert "Only if every speed commitment is met" in page

    def test_the_editor_adds_a_rule(self, client, cast, draft):
        for rule in draft.incentives.all():  # fill_draft's, so the form has no other row
            services.version_part_delete(actor=cast.alice, instance=rule)
        draft.refresh_from_db()
        client.force_login(cast.alice)
        url = f"/agreements/versions/{draft.pk}/edit/incentives/"
        form = client.get(url)
        assert form.status_code == 200
        response = client.post(
            url,
            {
                "edit_revision": draft.edit_revision,
                "incentives-TOTAL_FORMS": "1",
                "incentives-INITIAL_FORMS": "0",
                "incentives-0-owner_team": cast.sales.pk,
                "incentives-0-name": "SQLs accepted",
                "incentives-0-measure": "sqls",
                "incentives-0-amount": "20",
                "incentives-0-rate_percent": "",
                "incentives-0-cap": "",
                "incentives-0-condition": "none",
                "incentives-0-period": "month",
                "incentives-0-position": "0",
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        rule = draft.incentives.get()
        assert (rule.owner_team, rule.amount, rule.cap) == (cast.sales, Decimal("20.00"), None)


class TestApi:
    def test_a_manager_adds_a_rule_and_a_bad_one_answers_400(self, client, cast, draft):
        client.force_login(cast.alice)
        base = f"/api/v1/versions/{draft.pk}/incentives/"
        created = client.post(
            base,
            {
                "owner_team": cast.marketing.pk,
                "name": "Revenue share",
                "measure": "revenue",
                "rate_percent": "2.5",
                "cap": "5000",
                "condition": "all_met",
            },
            content_type=JSON,
            HTTP_IF_MATCH=f'"{draft.edit_revision}"',
        )
        assert created.status_code == 201, created.content
        assert created.json()["rate_percent"] == "2.50"
        bad = client.post(
            base,
            {"owner_team": cast.marketing.pk, "name": "x", "measure": "revenue"},
            content_type=JSON,
            HTTP_IF_MATCH=created["ETag"],
        )
        assert bad.status_code == 400 and "rate_percent" in bad.json()["errors"]
        client.force_login(cast.erin)
        listed = client.get(base + f"?owner_team={cast.marketing.pk}&measure=revenue").json()
        assert [row["name"] for row in listed["results"]] == ["Revenue share"]

    def test_the_schema_lists_the_incentive_operations(self, client, cast):
        schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
        text = schema.content.decode()
        assert "/api/v1/versions/{version_pk}/incentives/" in text


def test_the_admin_edits_incentives_inline():
    from slas.admin import INLINES

    assert any(inline.model is Incentive for inline in INLINES)
