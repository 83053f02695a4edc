"""Compliance figures read in the reader's language (digits, separators, percent sign),
and stay plain numbers in CSV files."""

import pytest
from django.utils import translation

from reports.presenters import format_actual, format_fraction, format_target


@pytest.mark.parametrize(
    ("lang", "count", "rate", "target"),
    [
        ("en", "1,250", "92.5%", "≥ 90%"),
        ("ro", "1.250", "92,5\u00a0%", "≥ 90\u00a0%"),
        ("ja", "1,250", "92.5%", "≥ 90%"),
        ("ar", "١٬٢٥٠", "٩٢٫٥٪", "≥ ٩٠٪"),
        ("fa", "۱٬۲۵۰", "۹۲٫۵٪", "≥ ۹۰٪"),
    ],
)
def test_a_figure_reads_in_the_readers_language(lang, count, rate, target):
    with translation.override(lang):
        shown = (
            format_actual("mql_volume", 1250.0),
            format_actual("acceptance_rate", 92.5),
            format_target("acceptance_rate", 90),
        )
    assert shown == (count, rate, target)


def test_a_csv_figure_is_a_plain_number_in_every_language():
    with translation.override("fa"):
        plain = (
            format_actual("mql_volume", 1250.0, plain=True),
            format_actual("acceptance_rate", 92.5, plain=True),
            format_target("acceptance_rate", 90, plain=True),
            format_fraction("acceptance_rate", 37, 40, plain=True),
        )
    assert plain == ("1250", "92.5%", "≥ 90%", "37/40")


@pytest.mark.parametrize(
    ("lang", "lead_clock", "report_time"),
    [("en", "4 h 32 min", "4 h 32 min"), ("fa", "۴", "۳۲"), ("ar", "٤", "٣٢")],
)
def test_business_time_is_written_in_the_languages_digits(lang, lead_clock, report_time):
    from leads.selectors import duration_text
    from reports.presenters import format_duration

    with translation.override(lang):
        clock, report = duration_text(4 * 3600 + 32 * 60), format_duration(4 * 3600 + 32 * 60)
    assert lead_clock in clock and report_time in report
    assert not any(digit in clock + report for digit in "0123456789") or lang == "en"
