from decimal import Decimal

import pytest

from slas.funnel import DEFAULT_RATES, RATE_KEYS, reverse_funnel


def plan(**overrides):
    kwargs = {
        "revenue_goal": Decimal("1000000"),
        "avg_deal_size": Decimal("25000"),
        "rates": dict(DEFAULT_RATES),
        "periods": 12,
    }
    kwargs.update(overrides)
    return reverse_funnel(**kwargs)


def test_default_rates_cover_every_stage_in_funnel_order():
    assert tuple(DEFAULT_RATES) == RATE_KEYS
    assert DEFAULT_RATES["lead_to_mql"] == Decimal("0.20")
    assert DEFAULT_RATES["opportunity_to_won"] == Decimal("0.25")


def test_default_rates_cannot_be_mutated_by_accident():
    with pytest.raises(TypeError):
        DEFAULT_RATES["lead_to_mql"] = Decimal("0.9")


def test_totals_match_hand_computed_numbers_with_default_rates():
    # 1,000,000 / 25,000 = 40 won; /0.25 = 160 opps; /0.5 = 320 SQLs; /0.5 = 640 SALs;
    # 640 / 0.7 = 914.28.. -> 915 MQLs; 915 / 0.2 = 4575 leads.
    total = plan().total
    assert total.won == 40
    assert total.opportunities == 160
    assert total.sqls == 320
    assert total.sals == 640
    assert total.mqls == 915
    assert total.leads == 4575


def test_per_period_numbers_are_each_rounded_up():
    # 40/12 = 3.33 -> 4; 160/12 = 13.3 -> 14; 320/12 = 26.7 -> 27; 640/12 = 53.3 -> 54;
    # 915/12 = 76.25 -> 77; 4575/12 = 381.25 -> 382.
    per = plan().per_period
    assert (per.won, per.opportunities, per.sqls, per.sals, per.mqls, per.leads) == (
        4,
        14,
        27,
        54,
        77,
        382,
    )


def test_each_step_rounds_up_before_the_next_step():
    # 10,000 / 3,000 = 3.33 -> 4 won; 4 / 0.3 = 13.33 -> 14 opps (not 11.1/0.3 chained);
    # 14 / 0.5 = 28 SQLs; 28 / 0.9 = 31.1 -> 32 SALs; 32 / 0.7 = 45.7 -> 46 MQLs;
    # 46 / 0.15 = 306.67 -> 307 leads.
    rates = {
        "lead_to_mql": Decimal("0.15"),
        "mql_to_sal": Decimal("0.7"),
        "sal_to_sql": Decimal("0.9"),
        "sql_to_opportunity": Decimal("0.5"),
        "opportunity_to_won": Decimal("0.3"),
    }
    total = plan(revenue_goal=Decimal("10000"), avg_deal_size=Decimal("3000"), rates=rates).total
    assert total.as_dict() == {
        "leads": 307,
        "mqls": 46,
        "sals": 32,
        "sqls": 28,
        "opportunities": 14,
        "won": 4,
    }


def test_rates_of_one_pass_the_count_straight_through():
    rates = dict.fromkeys(RATE_KEYS, Decimal(1))
    result = plan(
        revenue_goal=Decimal("100000"), avg_deal_size=Decimal("30000"), rates=rates, periods=3
    )
    assert set(result.total.as_dict().values()) == {4}
    assert set(result.per_period.as_dict().values()) == {2}


def test_exact_division_is_not_rounded_up():
    result = plan(revenue_goal=Decimal("50000"), avg_deal_size=Decimal("25000"), periods=1)
    assert result.total.won == 2
    assert result.per_period == result.total


def test_rows_list_stages_from_top_of_funnel_down():
    rows = plan().rows()
    assert rows[0] == ("leads", 4575, 382)
    assert rows[-1] == ("won", 40, 4)
    assert [r[0] for r in rows] == ["leads", "mqls", "sals", "sqls", "opportunities", "won"]


def test_plan_keeps_its_inputs():
    result = plan()
    assert result.revenue_goal == Decimal("1000000")
    assert result.avg_deal_size == Decimal("25000")
    assert result.periods == 12
    assert result.rates == dict(DEFAULT_RATES)


def test_labelled_rows_name_each_stage_for_people():
    from django.utils import translation

    with translation.override("ro"):
        rows = [(stage, str(label)) for stage, label, _t, _p in plan().labelled_rows()]
    assert rows[0] == ("leads", "Leaduri") and rows[1] == ("mqls", "MQL-uri")
    assert [r[0] for r in rows] == [r[0] for r in plan().rows()]
    assert plan().labelled_rows()[-1][2:] == (40, 4)


@pytest.mark.parametrize("goal", [Decimal(0), Decimal("-1")])
def test_goal_must_be_positive(goal):
    with pytest.raises(ValueError, match="Revenue goal must be greater than 0"):
        plan(revenue_goal=goal)


@pytest.mark.parametrize("size", [Decimal(0), Decimal("-500")])
def test_deal_size_must_be_positive(size):
    with pytest.raises(ValueError, match="Average deal size must be greater than 0"):
        plan(avg_deal_size=size)


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), "abc", None])
def test_goal_must_be_a_finite_number(value):
    with pytest.raises(ValueError, match="Revenue goal must be a"):
        plan(revenue_goal=value)


@pytest.mark.parametrize("rate", [Decimal(0), Decimal("-0.1"), Decimal("1.01"), Decimal(20)])
def test_rates_outside_zero_to_one_are_rejected_with_the_stage_named(rate):
    rates = dict(DEFAULT_RATES, mql_to_sal=rate)
    with pytest.raises(ValueError, match="MQL → SAL must be greater than 0 and at most 1"):
        plan(rates=rates)


def test_missing_rates_are_named():
    rates = dict(DEFAULT_RATES)
    del rates["sal_to_sql"]
    with pytest.raises(ValueError, match="Missing conversion rate\\(s\\): sal_to_sql"):
        plan(rates=rates)


def test_unknown_rates_are_named():
    with pytest.raises(ValueError, match="Unknown conversion rate\\(s\\): lead_to_won"):
        plan(rates=dict(DEFAULT_RATES, lead_to_won=Decimal("0.1")))


@pytest.mark.parametrize("periods", [0, -3])
def test_periods_must_be_at_least_one(periods):
    with pytest.raises(ValueError, match="at least 1"):
        plan(periods=periods)


@pytest.mark.parametrize("periods", [1.5, "12", True])
def test_periods_must_be_a_whole_number(periods):
    with pytest.raises(ValueError, match="whole number"):
        plan(periods=periods)


def test_integer_and_string_inputs_are_accepted_as_decimals():
    result = plan(revenue_goal=1000000, avg_deal_size="25000")
    assert result.total.won == 40


def test_the_plan_starts_from_visitors_when_the_visitor_rate_is_known():
    # given 1,000,000 / 25,000 = 40 deals; 40 / 0.25 = 160 opportunities; / 0.5 = 320 SQLs;
    # / 0.5 = 640 SALs; / 0.7 = 914.28 -> 915 MQLs; / 0.2 = 4,575 leads; / 0.025 = 183,000
    plan = reverse_funnel(
        revenue_goal=Decimal(1_000_000),
        avg_deal_size=Decimal(25_000),
        rates=dict(DEFAULT_RATES),
        periods=12,
        visitor_to_lead=Decimal("0.025"),
    )
    assert plan.rows()[:2] == [("visitors", 183_000, 15_250), ("leads", 4_575, 382)]
    without = reverse_funnel(
        revenue_goal=Decimal(1_000_000),
        avg_deal_size=Decimal(25_000),
        rates=dict(DEFAULT_RATES),
        periods=12,
    )
    assert without.rows()[0][0] == "leads" and without.visitors is None
