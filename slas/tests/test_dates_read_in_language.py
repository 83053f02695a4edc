"""Dates the agreement pages write from stored values (history's changes, the audit log's
details) are written when read, in the reader's language and zone, never as Python's
`str()` of a datetime ("2026-08-27 21:00:00+00:00") or the stored ISO text."""

import datetime as dt
from types import SimpleNamespace

from django.utils import timezone, translation

from slas.compare import display_value
from slas.models import Version
from slas.signing.views import _audit_details


def test_a_history_change_of_an_instant_reads_in_the_readers_language_and_zone():
    # given a version's in-force end as history stores it
    until = dt.datetime(2026, 8, 27, 21, 0, tzinfo=dt.UTC)
    # when it is shown in Romanian in Bucharest, and in Persian in Tehran
    with translation.override("ro"), timezone.override("Europe/Bucharest"):
        romanian = display_value(Version, "in_force_until", until)
    with translation.override("fa"), timezone.override("Asia/Tehran"):
        persian = display_value(Version, "in_force_until", until)
    # then each reads its own calendar and wall clock
    assert romanian == "28 august 2026, 00:00"
    assert persian == "۶ شهریور ۱۴۰۵، ۰۰:۳۰"


def test_a_history_change_of_a_date_reads_as_the_day_it_is():
    with translation.override("ja"), timezone.override("Pacific/Honolulu"):
        assert display_value(Version, "end_date", dt.date(2027, 1, 31)) == "2027年1月31日"


def test_the_audit_log_writes_its_stored_instants_and_days_when_read():
    # given an audit entry's details, stored as ISO 8601 text
    entry = SimpleNamespace(
        data={"by_version": 2, "in_force_until": "2026-08-27T21:00:00Z", "end_date": "2027-05-31"}
    )
    # when it is read in Japanese in Tokyo
    with translation.override("ja"), timezone.override("Asia/Tokyo"):
        details = dict(_audit_details(entry))
    # then the instant is Tokyo's wall clock and the end date its day, in Japanese
    assert "2026年8月28日 06:00" in details.values()
    assert "2027年5月31日" in details.values()


def test_a_holiday_is_named_by_its_day_in_the_readers_language():
    from slas.compare import part_label

    with translation.override("fa"):
        persian = part_label("holidays", {"date": "2026-12-25", "name": "Christmas"})
    with translation.override("ro"):
        romanian = part_label("holidays", {"date": dt.date(2026, 12, 25), "name": "Crăciun"})
    assert persian == "۴ دی ۱۴۰۵ (Christmas)"
    assert romanian == "25 decembrie 2026 (Crăciun)"
