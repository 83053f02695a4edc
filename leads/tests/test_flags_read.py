"""A lead's flags are stored as data (the instant, a stable code, the untranslated
reason and its values) and written when read: in the reader's language and time zone
on the page, as an ISO 8601 instant and a code (with the text in the request's
language) in the API. Whoever or whatever wrote them, in whatever language."""

import datetime as dt
import importlib
import zoneinfo

import pytest
from django.utils import timezone, translation
from rest_framework.test import APIClient

from leads.derive import IngestContext
from leads.ingest.store import lead_events_ingest
from leads.lifecycle import EventIn, derive_state
from leads.models import Lead
from leads.tests.factories import parsed
from portal import dates
from portal.models import TokenScope, profile_time_zone_set
from portal.tokens import api_token_create

UTC = dt.UTC
HANDOFF = dt.datetime(2026, 11, 20, 9, tzinfo=UTC)
WON = HANDOFF + dt.timedelta(days=1)
REOPENED = dt.datetime(2026, 11, 22, 22, 30, tzinfo=UTC)  # 23 Nov 02:00 in Tehran
FINAL = "A lead in stage %(from)s cannot move any more (it is final)."
FINAL_FA = "سرنخی که در مرحلهٔ موفق است دیگر جابه‌جا نمی‌شود (مرحلهٔ نهایی است)."


def reopened_deal() -> list[EventIn]:
    return [
        EventIn(1, HANDOFF, "stage_changed", to_stage="mql"),
        EventIn(2, WON, "stage_changed", to_stage="won"),
        EventIn(3, REOPENED, "stage_changed", to_stage="sal"),
    ]


def test_a_flag_is_stored_as_an_instant_a_code_and_the_untranslated_reason():
    # given a deal reopened after it was won, replayed by a writer reading Romanian
    with translation.override("ro"):
        state = derive_state(reopened_deal())
    # then the flag is data, in no language
    assert state.flags == [
        {
            "at": "2026-11-22T22:30:00+00:00",
            "code": "final_stage",
            "msgid": FINAL,
            "params": {"from": {"msgid": "Won", "params": {}}},
        }
    ]


def test_a_flag_reads_in_the_readers_language_and_time_zone():
    # given a lead flagged by a writer reading English
    with translation.override("en"):
        lead = Lead(flagged=True, flags=derive_state(reopened_deal()).flags)
    # when a Persian reader in Tehran reads it
    with translation.override("fa"), timezone.override(zoneinfo.ZoneInfo("Asia/Tehran")):
        [flag] = lead.flag_list()
        reason, note = str(flag.reason), lead.flag_note
        when = dates.when(REOPENED)
    # then the reason is Persian, the instant is Tehran's, in the Solar Hijri calendar
    assert (flag.at, flag.code, reason) == (REOPENED, "final_stage", FINAL_FA)
    assert when.startswith("۲ آذر ۱۴۰۵")  # 23 November 2026, 02:00 in Tehran
    assert note == f"{when}: {FINAL_FA}"
    assert not any(digit in note for digit in "0123456789")


def history(cast, items, mode="history"):
    context = IngestContext(
        marketing_team=cast.marketing, sales_team=cast.sales, handoff_on_score=False, mode=mode
    )
    with translation.override("en"):
        return lead_events_ingest(items=items, context=context)


@pytest.mark.django_db
def test_the_lead_page_and_the_api_read_an_imported_flag_each_in_their_own_terms(client, cast, sla):
    # given an import, run in English, of a deal reopened after it was won
    history(
        cast,
        [
            parsed("F1", "stage_changed", HANDOFF, to_stage="mql"),
            parsed("F1", "owner_changed", HANDOFF, outcome="dan@example.com"),
            parsed("F1", "stage_changed", WON, to_stage="won"),
            parsed("F1", "stage_changed", REOPENED, to_stage="sal"),
        ],
    )
    lead = Lead.objects.get(external_id="F1")
    assert lead.flagged
    # when Dan, in Tehran, reads its page in Persian
    profile_time_zone_set(user=cast.dan, time_zone="Asia/Tehran")
    client.force_login(cast.dan)
    client.cookies["django_language"] = "fa"
    page = client.get(lead.get_absolute_url()).content.decode()
    # then the reason is Persian and the instant Tehran's, in Persian digits
    with translation.override("fa"), timezone.override(zoneinfo.ZoneInfo("Asia/Tehran")):
        when = dates.when(REOPENED)
    assert FINAL_FA in page
    assert when in page
    assert "2026-11-22 22:30" not in page
    # and the API gives the instant in ISO 8601, the code, and the text in its language
    api = APIClient()
    api.credentials(
        HTTP_AUTHORIZATION="Bearer "
        + api_token_create(user=cast.dan, name="d", scope=TokenScope.READ)[1]
    )
    body = api.get(f"/api/v1/leads/{lead.pk}/", HTTP_ACCEPT_LANGUAGE="fa").json()
    assert body["flags"] == [
        {"at": "2026-11-22T22:30:00Z", "code": "final_stage", "text": FINAL_FA}
    ]


@pytest.mark.django_db
def test_a_move_the_portal_did_not_apply_flags_the_lead_in_the_readers_language(cast, sla):
    # given a live source's forbidden move (mql to won), refused while English was active
    history(
        cast,
        [
            parsed("F2", "stage_changed", HANDOFF, to_stage="mql", event_id="w1"),
            parsed("F2", "stage_changed", WON, to_stage="won", event_id="w2"),
        ],
        mode="live",
    )
    lead = Lead.objects.get(external_id="F2")
    [flag] = lead.flag_list()
    # when it is read in English and in Romanian
    with translation.override("en"):
        english = str(flag.reason)
    with translation.override("ro"):
        romanian = str(flag.reason)
    # then it has its code and says why in each language (the stage names too)
    assert flag.code == "move_not_applied"
    assert "cannot move from MQL to Won" in english
    assert romanian != english and "MQL" in romanian and "Won" not in romanian


def test_flag_notes_written_as_text_before_become_data_as_well_as_they_can():
    # given the text the portal stored before (UTC instants, reasons in English)
    convert = importlib.import_module("leads.migrations.0013_lead_flags_as_data").flags_from_note
    note = (
        "2026-11-22 22:30: A lead in stage Won cannot move any more (it is final).\n"
        "a line without an instant"
    )
    # when it is converted
    flags = convert(note)
    # then each line keeps its instant and its words
    assert flags == [
        {
            "at": "2026-11-22T22:30:00+00:00",
            "code": "legacy",
            "msgid": "A lead in stage Won cannot move any more (it is final).",
            "params": {},
        },
        {"at": None, "code": "legacy", "msgid": "a line without an instant", "params": {}},
    ]
