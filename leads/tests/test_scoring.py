"""Scoring rules and their explanation (pure)."""

import pytest

from leads.scoring import Rule, matches, score

RULES = [
    Rule("job_title", "contains", "Director", 20, "fit"),
    Rule("company_size", "gte", "200", 15, "fit"),
    Rule("industry", "in", "Software, Financial Services", 10, "fit"),
    Rule("visits", "gte", "5", 15, "interest"),
    Rule("demo_requested", "equals", "yes", 40, "interest"),
    Rule("lead_source", "not_equals", "Purchased list", 5, "fit"),
]


def test_a_lead_is_scored_on_fit_and_interest_with_the_rules_that_gave_points():
    # given a director at a 250-person software company who visited 7 times
    values = {
        "job_title": "Sales DIRECTOR",
        "company_size": "201-500",
        "industry": " software ",
        "lead_source": "Web",
    }
    attributes = {"visits": 7, "demo_requested": "no"}
    # when scored
    result = score(values, attributes, RULES)
    # then fit and interest add up and each hit names its rule
    assert (result.fit, result.interest) == (20 + 15 + 10 + 5, 15)
    assert [hit.rule.attribute for hit in result.hits] == [
        "job_title",
        "company_size",
        "industry",
        "visits",
        "lead_source",
    ]
    assert result.total == 65


@pytest.mark.parametrize(
    ("operator", "rule_value", "actual", "expected"),
    [
        ("equals", "Yes", "yes", True),
        ("equals", "yes", "no", False),
        ("not_equals", "Purchased", "web", True),
        ("not_equals", "web", "WEB", False),
        ("contains", "vp", "VP of Sales", True),
        ("in", "a,b , C", "c", True),
        ("in", "a,b", "ab", False),
        ("gte", "5", "5", True),
        ("gte", "5", "4.9", False),
        ("lte", "100", "1,000+", False),
        ("lte", "100", 50, True),
        ("gte", "5", "many", False),
        ("equals", "yes", True, True),
    ],
)
def test_each_operator_compares_as_documented(operator, rule_value, actual, expected):
    assert matches(Rule("x", operator, rule_value, 1, "fit"), actual) is expected


def test_a_missing_attribute_matches_no_rule_not_even_not_equals():
    assert score({}, {}, RULES).total == 0
    assert not matches(Rule("x", "not_equals", "a", 1, "fit"), "  ")


def test_the_explanation_names_attributes_and_operators_in_the_readers_language():
    from django.utils import translation

    # given rules on a lead field, a custom attribute and a word operator
    title = Rule("job_title", "contains", "VP", 25, "fit")
    custom = Rule("webinar_count", "gte", "2", 5, "interest")
    listed = Rule("industry", "in", "Software", 10, "fit")
    # then English readers get words, not column names
    assert (title.attribute_label, title.symbol) == ("job title", "contains")
    assert (custom.attribute_label, custom.symbol) == ("webinar count", "≥")
    assert listed.symbol == "is one of"
    # and Romanian readers get them translated
    with translation.override("ro"):
        assert (title.attribute_label, title.symbol) == ("funcție", "conține")
        assert listed.symbol == "este unul dintre"
