"""`seed_demo` (what `make run` calls every time) never destroys anyone's work.

It seeds only an empty database; a database holding anything is kept as it is. Erasing is
`seed_demo --reset` (`make demo-reset`), which lists what it erases and asks first.
"""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from portal.models import Team

pytestmark = pytest.mark.django_db(transaction=True)


def seed_demo(*args, answer=None, monkeypatch=None) -> str:
    out = io.StringIO()
    if answer is not None:
        monkeypatch.setattr("builtins.input", lambda prompt: answer)
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_seeding_twice_keeps_a_change_someone_made_in_between():
    # given the demo, in which Alice renamed her team and changed her password
    seed_demo()
    marketing = Team.objects.get(name="Marketing")
    marketing.name = "Growth"
    marketing.save()
    alice = get_user_model().objects.get(username="alice")
    alice.set_password("alice-own-password-2026")
    alice.save()
    teams_before = Team.objects.count()

    # when `make run` seeds again
    output = seed_demo()

    # then nothing was touched, and it says so
    assert "already holds data" in output
    assert "make demo-reset" in output
    assert Team.objects.filter(name="Growth").exists()
    assert not Team.objects.filter(name="Marketing").exists()
    assert Team.objects.count() == teams_before
    alice.refresh_from_db()
    assert alice.check_password("alice-own-password-2026")


def test_reset_says_what_it_erases_then_builds_the_demo_anew():
    # given the demo with a change
    seed_demo()
    Team.objects.filter(name="Marketing").update(name="Growth")

    # when it is reset without questions
    output = seed_demo("--reset", "--noinput")

    # then it listed what it erased, and the change is gone
    assert "This erases everything in the database" in output
    assert "teams" in output
    assert "Erased." in output
    assert "Demo ready" in output
    assert Team.objects.filter(name="Marketing").exists()
    assert not Team.objects.filter(name="Growth").exists()


def test_reset_asks_first_and_an_answer_other_than_yes_erases_nothing(monkeypatch):
    get_user_model().objects.create_user(username="zoe", password="zoe-own-password-2026")

    with pytest.raises(CommandError, match="nothing was erased"):
        seed_demo("--reset", answer="no", monkeypatch=monkeypatch)

    assert get_user_model().objects.filter(username="zoe").exists()
    assert not Team.objects.exists()  # and no demo was seeded over it


def test_a_database_with_only_someone_elses_data_gets_no_demo():
    # a real company's first person, made with createsuperuser
    get_user_model().objects.create_superuser(username="boss", password="boss-password-2026")

    output = seed_demo()

    assert "already holds data" in output
    assert "Demo sign-ins" not in output  # no demo people to sign in as
    assert not Team.objects.exists()


def test_the_demo_leaves_the_planner_statistics_of_what_it_seeded():
    # when the demo is seeded (autovacuum may be off, or not have run yet)
    seed_demo()
    # then the database has analyzed the tables it filled
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables "
                "WHERE relname = 'leads_lead'"
            )
        else:
            cursor.execute("SELECT count(*) > 0 FROM sqlite_stat1 WHERE tbl = 'leads_lead'")
        assert cursor.fetchone()[0]


def test_the_demo_meetings_sit_at_their_cadences_times():
    """The demo's stand-up, retrospective and monthly review are held at the times their
    cadences give, in the agreement's calendar, not at whatever minute the demo was
    seeded (a stand-up at 00:01 before)."""
    from zoneinfo import ZoneInfo

    from reports.rituals.agenda import version_now
    from reports.rituals.models import Meeting, RitualCadence

    seed_demo()
    meetings = Meeting.objects.exclude(kind="lead_review")
    assert {m.kind for m in meetings} == {"standup", "retrospective", "monthly_review"}
    for meeting in meetings:
        cadence = RitualCadence.objects.get(agreement=meeting.agreement, kind=meeting.kind)
        zone = ZoneInfo(version_now(meeting.agreement_id).calendar_timezone)
        local = meeting.scheduled_for.astimezone(zone)
        assert local.time() == cadence.time, (meeting.kind, local)
        assert local.date().isoformat() in meeting.title
