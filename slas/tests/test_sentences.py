"""Every rule of a version reads as the sentence it says, in the reader's language, never as
its stored values (`job_title`, `hours=24`, "Software,Financial Services")."""

from decimal import Decimal

import pytest
from django.utils import translation

from slas import sentences
from slas.models import commitment_description_clean


class TestScoringRules:
    def test_a_contains_rule_reads_with_the_attribute_as_people_call_it(self):
        assert sentences.scoring_rule_condition("job_title", "contains", "VP") == (
            'Job title contains "VP"'
        )

    def test_an_is_one_of_rule_joins_its_values_as_a_list(self):
        text = sentences.scoring_rule_condition(
            "industry", "in", "Software,Financial Services,Telecommunications"
        )
        assert text == "Industry is one of Software, Financial Services or Telecommunications"

    def test_numbers_read_as_numbers(self):
        assert sentences.scoring_rule_condition("company_size", "gte", "200") == (
            "Company size is at least 200"
        )
        assert sentences.scoring_rule_condition("visits", "lte", "5.0") == (
            "Website visits is at most 5"
        )

    def test_an_unknown_attribute_reads_de_snake_cased(self):
        assert sentences.scoring_rule_condition("lead_score", "equals", "A") == (
            'Lead score is "A"'
        )

    def test_the_whole_rule_carries_its_points(self):
        rule = {
            "attribute": "job_title",
            "operator": "contains",
            "value": "VP",
            "points": 25,
            "dimension": "fit",
        }
        assert sentences.scoring_rule_sentence(rule) == 'Job title contains "VP": 25 fit points'

    def test_a_list_is_joined_in_the_readers_language(self):
        with translation.override("ro"):
            text = sentences.or_list(["A", "B", "C"])
        assert text.startswith("A, B ") and text.endswith(" C") and " or " not in text


class TestCommitments:
    @pytest.mark.parametrize(
        ("kind", "params", "expected"),
        [
            ("first_contact_within", {"hours": 24}, "First contact within 24 business hours"),
            ("first_contact_within", {"hours": 1}, "First contact within 1 business hour"),
            ("first_contact_within", {"hours": 4.5}, "First contact within 4.5 business hours"),
            (
                "attempts_before_recycle",
                {"attempts": 6},
                "At least 6 contact attempts before a recycle",
            ),
            (
                "conversion_rate",
                {"from_stage": "mql", "to_stage": "sql"},
                "Conversion from MQL to SQL",
            ),
            ("mql_volume", {}, "MQLs handed off"),
        ],
    )
    def test_a_commitment_reads_from_its_parameters(self, kind, params, expected):
        assert sentences.commitment_rule(kind, params) == expected

    def test_no_placeholder_and_no_raw_parameters(self):
        text = sentences.commitment_rule("first_contact_within", {"hours": 16})
        assert " H " not in text and "hours=" not in text and "16" in text

    def test_a_target_reads_in_its_unit(self):
        assert sentences.commitment_target("mql_volume", Decimal("130.00")) == "130 MQLs"
        assert sentences.commitment_target("acceptance_rate", Decimal("70.00")) == "70%"
        assert sentences.commitment_target("first_contact_within", Decimal("92.50")) == "92.5%"

    def test_the_whole_commitment(self):
        commitment = {
            "kind": "first_contact_within",
            "params": {"hours": 24},
            "target": Decimal(90),
            "period": "month",
        }
        assert sentences.commitment_sentence(commitment) == (
            "First contact within 24 business hours: at least 90%, monthly"
        )

    def test_sentences_are_in_the_readers_language(self):
        with translation.override("ro"):
            text = sentences.commitment_rule(
                "conversion_rate", {"from_stage": "mql", "to_stage": "won"}
            )
        with translation.override("en"):
            english = sentences.commitment_rule(
                "conversion_rate", {"from_stage": "mql", "to_stage": "won"}
            )
        assert english == "Conversion from MQL to Won"
        assert "MQL" in text  # the stage keeps its name; the words around it are Romanian's

    @pytest.mark.parametrize(
        "placeholder",
        [
            "First contact within H business hours",
            "first contact within H business hours.",
            "  MQL volume ",
            "Attempts before recycle",
        ],
    )
    def test_a_description_that_is_a_kinds_name_is_a_placeholder(self, placeholder):
        assert commitment_description_clean(placeholder) == ""

    def test_a_description_in_the_persons_own_words_stays(self):
        text = "First contact within 16 business hours, phone first."
        assert commitment_description_clean(f" {text} ") == text


class TestOtherCriteria:
    def test_a_holiday_reads_as_a_calendar_date(self):
        import datetime

        assert sentences.holiday_sentence(datetime.date(2026, 12, 25), "Christmas") == (
            "25 Dec 2026 (Christmas)"
        )

    def test_working_days_and_channels_read_as_names(self):
        assert sentences.and_list(sentences.working_day_names([2, 0, 1])) == (
            "Monday, Tuesday and Wednesday"
        )
        assert sentences.and_list(sentences.channel_names(["phone", "email"])) == (
            "Phone and Email"
        )


@pytest.mark.parametrize(("lang", "percent"), [("fa", "۵۰٪"), ("ar", "٥٠٪"), ("en", "50%")])
def test_an_escalation_step_writes_its_percentage_as_the_language_does(lang, percent):
    """Seen: 'در ۵۰% از مهلت اولین تماس' (the Latin sign after Persian digits)."""
    with translation.override(lang):
        assert percent in sentences.escalation_step_sentence(50, "remind_owner")
