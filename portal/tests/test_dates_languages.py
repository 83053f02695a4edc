"""Dates and numbers as each language writes them (portal.dates, portal.numbers): month
names in the language's own case, Persian in the Solar Hijri calendar with Persian
digits, Arabic with Arabic-Indic digits, Japanese with 年月日; numbers with the
language's separators and digits."""

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from portal import dates, numbers
from portal.text import Text

AT = dt.datetime(2026, 12, 6, 3, 55, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("lang", "day", "when", "month"),
    [
        ("en", "6 Dec 2026", "6 Dec 2026, 03:55", "December 2026"),
        ("ro", "6 decembrie 2026", "6 decembrie 2026, 03:55", "decembrie 2026"),
        ("ja", "2026年12月6日", "2026年12月6日 03:55", "2026年12月"),
        ("ar", "٦ ديسمبر ٢٠٢٦", "٦ ديسمبر ٢٠٢٦، ٠٣:٥٥", "ديسمبر ٢٠٢٦"),
        # a month of the portal (a monthly report) is a Gregorian one, named in Persian
        ("fa", "۱۵ آذر ۱۴۰۵", "۱۵ آذر ۱۴۰۵، ۰۳:۵۵", "دسامبر ۲۰۲۶"),
    ],
)
def test_a_date_reads_as_each_language_writes_it(lang, day, when, month):
    # given a calendar date and an instant on it, read in UTC
    with translation.override(lang), timezone.override("UTC"):
        # when each is written in the language
        shown = dates.day(AT.date()), dates.when(AT), dates.month(AT.date())
    # then the words, order, calendar and digits are the language's
    assert shown == (day, when, month)


@pytest.mark.parametrize(
    "month_number, name",
    [(1, "ianuarie"), (3, "martie"), (5, "mai"), (8, "august"), (11, "noiembrie")],
)
def test_romanian_writes_month_names_in_lower_case(month_number, name):
    with translation.override("ro"):
        shown = dates.day(dt.date(2027, month_number, 2))
    assert shown == f"2 {name} 2027"


@pytest.mark.parametrize(
    ("gregorian", "solar"),
    [
        # the last day of 1404 and Nowruz, the first of 1405 (the year turns on 21 March)
        (dt.date(2026, 3, 20), "۲۹ اسفند ۱۴۰۴"),
        (dt.date(2026, 3, 21), "۱ فروردین ۱۴۰۵"),
        # 1403 is a leap year: Esfand has 30 days and Nowruz 1404 falls on 21 March 2025
        (dt.date(2025, 3, 20), "۳۰ اسفند ۱۴۰۳"),
        (dt.date(2025, 3, 21), "۱ فروردین ۱۴۰۴"),
        # Nowruz 1399 fell on 20 March 2020
        (dt.date(2020, 3, 20), "۱ فروردین ۱۳۹۹"),
        (dt.date(2020, 3, 19), "۲۹ اسفند ۱۳۹۸"),
        # a Gregorian new year is no Persian one
        (dt.date(2026, 12, 31), "۱۰ دی ۱۴۰۵"),
        (dt.date(2027, 1, 1), "۱۱ دی ۱۴۰۵"),
    ],
)
def test_persian_dates_are_solar_hijri_across_the_year_boundary(gregorian, solar):
    with translation.override("fa"):
        assert dates.day(gregorian) == solar


def test_a_persian_instant_takes_the_solar_day_of_the_readers_zone():
    # given 21:30 UTC on 20 March 2026: already Nowruz in Tehran (UTC+03:30)
    at = dt.datetime(2026, 3, 20, 21, 30, tzinfo=dt.UTC)
    with translation.override("fa"), timezone.override("Asia/Tehran"):
        tehran = dates.when(at)
    with translation.override("fa"), timezone.override("UTC"):
        utc = dates.when(at)
    # then the day and the year come from the reader's wall clock
    assert tehran == "۱ فروردین ۱۴۰۵، ۰۱:۰۰"
    assert utc == "۲۹ اسفند ۱۴۰۴، ۲۱:۳۰"


def test_the_template_filters_are_the_same_helpers():
    template = Template("{% load dates numbers %}{{ d|day }}|{{ d|month }}|{{ n|number:1 }}")
    with translation.override("fa"):
        shown = template.render(Context({"d": dt.date(2026, 3, 21), "n": 1234.56}))
    assert shown == "۱ فروردین ۱۴۰۵|مارس ۲۰۲۶|۱٬۲۳۴٫۶"


def test_iso_stays_iso_in_every_language():
    with translation.override("fa"):
        assert dates.iso(dt.date(2026, 3, 21)) == "2026-03-21"
        assert dates.iso(AT) == "2026-12-06T03:55:00+00:00"


@pytest.mark.parametrize(
    ("lang", "whole", "decimal"),
    [
        ("en", "1,250,000", "1,234.5"),
        ("ja", "1,250,000", "1,234.5"),
        ("ro", "1.250.000", "1.234,5"),
        ("ar", "١٬٢٥٠٬٠٠٠", "١٬٢٣٤٫٥"),
        ("fa", "۱٬۲۵۰٬۰۰۰", "۱٬۲۳۴٫۵"),
    ],
)
def test_numbers_use_the_languages_separators_and_digits(lang, whole, decimal):
    with translation.override(lang):
        assert numbers.number(1250000) == whole
        assert numbers.number(Decimal("1234.50"), 1) == decimal


@pytest.mark.parametrize(
    ("value", "places", "shown"),
    [
        (Decimal("3.0"), -1, "3"),
        (3.25, -1, "3.3"),
        (3.5, 2, "3.50"),
        (Decimal("2.5"), 0, "3"),
        (-1234.5, 0, "-1,235"),
        (999, None, "999"),
        (0.5, None, "0.5"),
        (None, None, ""),
        ("n/a", None, "n/a"),
    ],
)
def test_number_rounds_half_up_to_the_places_asked(value, places, shown):
    with translation.override("en"):
        assert numbers.number(value, places) == shown


def test_a_stored_message_names_its_month_when_read():
    # given a notification text naming a month, stored by a task running in English
    with translation.override("en"):
        stored = Text("%(month)s report", month=dates.Month.of(dt.date(2026, 11, 30))).spec()
    # when it is read in Romanian and in Japanese
    with translation.override("ro"):
        romanian = str(Text.from_spec(stored))
    with translation.override("ja"):
        japanese = str(Text.from_spec(stored))
    # then the month is kept as data and written in each reader's language
    assert stored["params"]["month"] == {"month": "2026-11"}
    assert (romanian, japanese) == ("noiembrie 2026 report", "2026年11月 report")


@pytest.mark.parametrize(("lang", "shown"), [("en", "14:05"), ("fa", "۱۴:۰۵"), ("ar", "١٤:٠٥")])
def test_a_time_of_day_is_written_in_the_readers_zone_and_digits(lang, shown):
    at = dt.datetime(2026, 12, 6, 12, 5, tzinfo=dt.UTC)
    with translation.override(lang), timezone.override("Europe/Bucharest"):
        assert dates.clock(at) == shown


@pytest.mark.parametrize(
    ("lang", "label", "shown"),
    [
        ("en", "2026-11", "November 2026"),
        ("ro", "2026-11", "noiembrie 2026"),
        ("ja", "2026-11", "2026年11月"),
        ("fa", "2026-11", "نوامبر ۲۰۲۶"),
        ("ar", "2026-Q1", "٢٠٢٦-Q١"),
        ("en", "2026-Q1", "2026-Q1"),
    ],
)
def test_a_reporting_period_label_reads_as_the_language_writes_it(lang, label, shown):
    with translation.override(lang):
        assert dates.period(label) == shown


def test_an_exact_instant_keeps_its_seconds_and_names_the_readers_zone():
    # given the instant a signature was made (the certificate used to print it as
    # "2026-05-19 21:00:07 UTC", the same in every language)
    at = dt.datetime(2026, 5, 19, 21, 0, 7, tzinfo=dt.UTC)
    with translation.override("en"), timezone.override("Europe/Bucharest"):
        english = dates.exact(at)
    with translation.override("ro"), timezone.override("UTC"):
        romanian = dates.exact(at)
    with translation.override("fa"), timezone.override("UTC"):
        persian = dates.exact(at)
    # then it reads in the reader's language and zone, to the second, the zone named
    assert english == "20 May 2026, 00:00:07 (Europe/Bucharest)"
    assert romanian.startswith("19 mai 2026") and "21:00:07" in romanian
    assert "۲۱:۰۰:۰۷" in persian and "UTC" in persian


@pytest.mark.parametrize(
    ("lang", "attempts", "minutes"),
    [
        ("en", "6 attempts", "in 1,250 minutes"),
        ("ar", "٦ attempts", "in ١٬٢٥٠ minutes"),
        ("fa", "۶ attempts", "in ۱٬۲۵۰ minutes"),
    ],
)
def test_a_count_in_a_translated_sentence_is_written_in_the_languages_digits(
    lang, attempts, minutes
):
    # given sentences with a count, as ngettext gives them (%(n)s or %(n)d)
    with translation.override(lang):
        # when the counts are filled in
        shown = (
            numbers.fill("%(n)s attempts", {"n": 6}),
            numbers.fill("in %(n)d minutes", {"n": 1250}),
            numbers.fill("%(rate).1f and %(who)s", {"rate": 2.25, "who": "Dan"}),
        )
    # then each count is in the language's digits; a formatted float and a name stay
    assert shown == (attempts, minutes, "2.2 and Dan")


@pytest.mark.parametrize(("lang", "expected"), [("ar", "بعد ٦"), ("fa", "بعد ۶"), ("ro", "بعد 6")])
def test_a_stored_message_writes_its_numbers_in_the_readers_digits(lang, expected):
    # given a stored message with a count
    stored = Text("بعد %(n)s", n=6).spec()
    # when read in the language
    with translation.override(lang):
        shown = str(Text.from_spec(stored))
    # then the count is in the reader's digits
    assert shown == expected


@pytest.mark.parametrize("language", ["en", "ro", "ar", "fa", "ja", "de"])
def test_a_whole_number_reads_the_same_by_the_quick_path_as_by_decimal(language):
    # `number` writes ints without Decimal (a page writes hundreds); the text must be the
    # one the general path writes for the same value, with and without grouping
    from decimal import Decimal

    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=300, deadline=None)
    @given(st.integers(min_value=-(10**15), max_value=10**15), st.booleans())
    def same(value, grouping):
        assert numbers.number(value, language=language, grouping=grouping) == numbers.number(
            Decimal(value), language=language, grouping=grouping
        )

    same()
