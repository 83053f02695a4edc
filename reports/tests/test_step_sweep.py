"""Step SLA warnings (docs/compliance.md#step-sla): the scheduler tells the managers of the
step's owner team once when a running step clock turns at risk and once when it breaches.

Version 2 (Europe/Bucharest, Mon-Fri 09-17) is in force from 15 March 2026; the SAL step
has an 8-business-hour SLA, owned by Sales (Carol manages it)."""

from decimal import Decimal

import pytest

from portal.models import Notification
from reports.step_sweep import step_clocks_sweep
from reports.tests.factories import AgreementFactory, VersionFactory, lead, local, story
from slas.process.models import ProcessStep
from slas.testing import version_take_effect

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted(cast):
    agreement = AgreementFactory()
    agreement.parties.set([cast.marketing, cast.sales])
    v2 = VersionFactory(agreement=agreement, number=2)
    ProcessStep.objects.create(
        version=v2, name="SAL", stages=["sal"], owner_team=cast.sales, sla_hours=Decimal(8)
    )
    version_take_effect(v2, in_force_from=local(3, 15, 0))
    # accepted on Friday 20 March at 13:00: 4 h on Friday, the rest from Monday 09:00
    return story(
        lead(agreement, cast, first_name="Sam"),
        ("mql", local(3, 20, 9)),
        ("sal", local(3, 20, 13)),
    )


def kinds_for(user):
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_nothing_is_said_while_the_step_clock_has_time(cast, accepted):
    # Monday 23 March 09:30: 4.5 h of 8 used (the weekend counts nothing)
    assert step_clocks_sweep(now=local(3, 23, 9, 30)) == 0
    assert kinds_for(cast.carol) == []


def test_the_owner_teams_managers_hear_once_at_risk_and_once_at_breach(cast, accepted):
    # Monday 11:00: 6 h used, a quarter left: at risk
    step_clocks_sweep(now=local(3, 23, 11))
    step_clocks_sweep(now=local(3, 23, 11, 30))
    assert kinds_for(cast.carol) == ["step_at_risk"]
    # Monday 13:01: past 8 h: breached, said once
    step_clocks_sweep(now=local(3, 23, 13, 1))
    step_clocks_sweep(now=local(3, 23, 14))
    assert kinds_for(cast.carol) == ["step_at_risk", "step_breached"]
    breach = Notification.objects.get(recipient=cast.carol, kind="step_breached")
    assert breach.url.startswith("/reports/versions/")
    assert kinds_for(cast.alice) == []  # Marketing does not own the step


def test_a_clock_that_stopped_in_time_says_nothing(cast, accepted):
    story(accepted, ("sql", local(3, 23, 10)))
    assert step_clocks_sweep(now=local(3, 24, 12)) == 0
