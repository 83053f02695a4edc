"""Each component's rules, enforced by the services (and the forms and API through them)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from slas import services

pytestmark = pytest.mark.django_db


def _update(cast, version, **data):
    return services.version_update(actor=cast.alice, version=version, data=data)


def _add(cast, version, part, **data):
    return services.version_part_create(actor=cast.alice, version=version, part=part, data=data)


def _errors(excinfo) -> dict:
    return excinfo.value.message_dict


class TestGoals:
    def test_a_negative_revenue_goal_is_refused(self, cast, draft):
        with pytest.raises(ValidationError) as error:
            _update(cast, draft, revenue_goal_amount=Decimal(-1))
        assert "revenue_goal_amount" in _errors(error)

    def test_the_currency_is_a_three_letter_code(self, cast, draft):
        with pytest.raises(ValidationError) as error:
            _update(cast, draft, revenue_goal_currency="us")
        assert "revenue_goal_currency" in _errors(error)

    def test_a_zero_deal_size_is_refused(self, cast, draft):
        with pytest.raises(ValidationError) as error:
            _update(cast, draft, avg_deal_size=Decimal(0))
        assert "avg_deal_size" in _errors(error)


class TestFrame:
    def test_the_end_date_comes_after_the_effective_date(self, cast, draft):
        with pytest.raises(ValidationError) as error:
            _update(cast, draft, end_date=draft.effective_date)
        assert "end_date" in _errors(error)

    def test_the_review_date_falls_within_the_term(self, cast, draft):
        with pytest.raises(ValidationError) as error:
            _update(cast, draft, review_date=draft.end_date + datetime.timedelta(days=1))
        assert "review_date" in _errors(error)


class TestCalendar:
    def test_a_calendar_without_working_days_is_refused(self, cast, draft):
        with pytest.raises(ValidationError) as error:
            _update(cast, draft, working_days=[])
        assert "working_days" in _errors(error)

    def test_a_working_day_that_starts_after_it_ends_is_refused(self, cast, draft):
        with pytest.raises(ValidationError) as error:
            _update(cast, draft, work_start=datetime.time(17), work_end=datetime.time(9))
        assert "work_end" in _errors(error)

    def test_a_working_day_that_ends_when_it_starts_is_refused(self, cast, draft):
        with pytest.raises(ValidationError) as error:
            _update(cast, draft, work_start=datetime.time(9), work_end=datetime.time(9))
        assert "work_end" in _errors(error)

    def test_an_unknown_time_zone_is_refused(self, cast, draft):
        with pytest.raises(ValidationError) as error:
            _update(cast, draft, calendar_timezone="Mars/Olympus_Mons")
        assert "Mars/Olympus_Mons" in " ".join(_errors(error)["calendar_timezone"])

    def test_weekday_numbers_outside_the_week_are_refused(self, cast, draft):
        with pytest.raises(ValidationError) as error:
            _update(cast, draft, working_days=[0, 7])
        assert "working_days" in _errors(error)

    def test_a_holiday_date_appears_once(self, cast, draft):
        with pytest.raises(ValidationError):
            _add(cast, draft, "holidays", date=datetime.date(2026, 12, 25), name="Twice")


class TestQualification:
    def test_a_threshold_without_scoring_rules_is_refused(self, cast, agreement):
        # given a fresh draft without rules
        version = agreement.versions.get()
        # when / then
        with pytest.raises(ValidationError) as error:
            _update(cast, version, mql_threshold=50)
        assert "scoring rules" in " ".join(_errors(error)["mql_threshold"])

    def test_removing_the_last_rule_under_a_threshold_is_refused(self, cast, draft):
        rules = list(draft.scoring_rules.all())
        with pytest.raises(ValidationError):
            services.version_edit(
                actor=cast.alice, version=draft, expected_revision=None, delete=rules
            )
        assert draft.scoring_rules.count() == len(rules)

    def test_at_least_compares_with_a_number(self, cast, draft):
        with pytest.raises(ValidationError) as error:
            _add(
                cast,
                draft,
                "scoring_rules",
                attribute="visits",
                operator="gte",
                value="many",
                points=5,
                dimension="interest",
            )
        assert "value" in _errors(error)


class TestCommitments:
    def test_a_negative_target_is_refused(self, cast, draft):
        with pytest.raises(ValidationError) as error:
            _add(
                cast,
                draft,
                "commitments",
                owner_team=cast.marketing,
                kind="mql_volume",
                target=Decimal(-5),
            )
        assert "target" in _errors(error)

    def test_an_unknown_commitment_kind_is_refused(self, cast, draft):
        with pytest.raises(ValidationError) as error:
            _add(
                cast,
                draft,
                "commitments",
                owner_team=cast.marketing,
                kind="happiness",
                target=Decimal(5),
            )
        assert "kind" in _errors(error)

    def test_a_rate_target_above_100_percent_is_refused(self, cast, draft):
        with pytest.raises(ValidationError) as error:
            _add(
                cast,
                draft,
                "commitments",
                owner_team=cast.sales,
                kind="acceptance_rate",
                target=Decimal(120),
            )
        assert "target" in _errors(error)

    def test_first_contact_needs_its_hours(self, cast, draft):
        with pytest.raises(ValidationError) as error:
            _add(
                cast,
                draft,
                "commitments",
                owner_team=cast.sales,
                kind="first_contact_within",
                params={},
                target=Decimal(90),
            )
        assert "hours" in " ".join(_errors(error)["params"])

    def test_a_conversion_rate_goes_down_the_funnel(self, cast, draft):
        with pytest.raises(ValidationError) as error:
            _add(
                cast,
                draft,
                "commitments",
                owner_team=cast.sales,
                kind="conversion_rate",
                params={"from_stage": "sql", "to_stage": "mql"},
                target=Decimal(20),
            )
        assert "params" in _errors(error)

    def test_the_owner_team_is_a_party(self, cast, draft):
        with pytest.raises(ValidationError) as error:
            _add(
                cast,
                draft,
                "commitments",
                owner_team=cast.customer_success,
                kind="mql_volume",
                target=Decimal(5),
            )
        assert "owner_team" in _errors(error)


class TestLeadManagement:
    def test_an_unknown_channel_is_refused(self, cast, draft):
        with pytest.raises(ValidationError) as error:
            _update(cast, draft, channels=["pigeon"])
        assert "channels" in _errors(error)

    def test_at_least_one_attempt(self, cast, draft):
        with pytest.raises(ValidationError) as error:
            _update(cast, draft, attempts_required=0)
        assert "attempts_required" in _errors(error)


class TestDefinitionsAndEscalation:
    def test_a_term_is_defined_once_per_version(self, cast, draft):
        with pytest.raises(ValidationError):
            _add(cast, draft, "terms", term="MQL", definition="Again")

    def test_an_escalation_step_at_zero_percent_is_refused(self, cast, draft):
        with pytest.raises(ValidationError):
            _add(cast, draft, "escalation_steps", at_percent=0, action="remind_owner")


class TestReadiness:
    def test_a_draft_without_change_summary_is_not_ready_for_signature(self, cast, draft):
        from slas.selectors import version_readiness_problems

        assert version_readiness_problems(draft) == []
        _update(cast, draft, change_summary="")
        assert any("change summary" in p for p in version_readiness_problems(draft))
