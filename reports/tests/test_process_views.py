"""The lead-process map on the compliance page: the flowchart's figures for a period equal
a hand count on stored cycles, each figure opens its leads, and the step SLA is a line on
its owner's scorecard (docs/compliance.md#process-steps).

Version 2 is in force from 15 March 2026 (Europe/Bucharest, Mon-Fri 09-17); the page is
read on 8 April 2026 at 12:00, so March is over.
"""

import re
from decimal import Decimal

import pytest
import time_machine

from reports.tests.factories import (
    AgreementFactory,
    VersionFactory,
    commitments,
    lead,
    local,
    story,
)
from slas.process.models import ProcessStep
from slas.testing import version_take_effect

NOW = local(4, 8, 12)


@pytest.fixture
def mapped(cast):
    agreement = AgreementFactory()
    agreement.parties.set([cast.marketing, cast.sales])
    v1 = VersionFactory(agreement=agreement, number=1)
    v2 = VersionFactory(agreement=agreement, number=2)
    for v in (v1, v2):
        commitments(v, marketing=cast.marketing, sales=cast.sales)
    steps = {}
    for position, (name, stages, team, hours) in enumerate(
        [
            ("Visitor", [], cast.marketing, None),
            ("Lead", ["lead"], cast.marketing, None),
            ("MQL", ["mql"], cast.marketing, None),
            ("SAL", ["sal"], cast.sales, Decimal(8)),
            ("SQL", ["sql"], cast.sales, None),
            ("Recycle", ["recycled"], cast.marketing, None),
        ]
    ):
        steps[name] = ProcessStep.objects.create(
            version=v2,
            name=name,
            stages=stages,
            owner_team=team,
            sla_hours=hours,
            position=position,
        )
    version_take_effect(v1, in_force_from=local(1, 1, 0), in_force_until=local(3, 15, 0))
    version_take_effect(v2, in_force_from=local(3, 15, 0))
    # Hand count for March, SAL step (8 business hours):
    # Ann: SAL Fri 20 Mar 13:00 -> SQL Mon 23 Mar 13:00 = 4 + 4 = 8 h: met, converted
    ann = story(
        lead(v2.agreement, cast, first_name="Ann"),
        ("mql", local(3, 20, 9)),
        ("sal", local(3, 20, 13)),
        ("sql", local(3, 23, 13)),
    )
    # Bo: SAL Tue 24 Mar 09:00 -> recycled Wed 25 Mar 13:00 = 8 + 4 = 12 h: breached
    bo = story(
        lead(v2.agreement, cast, first_name="Bo"),
        ("mql", local(3, 24, 9)),
        ("sal", local(3, 24, 9, 0)),
        ("recycled", local(3, 25, 13), "no_budget"),
    )
    # Cy: handed off 26 March, never accepted (MQL only)
    cy = story(lead(v2.agreement, cast, first_name="Cy"), ("mql", local(3, 26, 10)))
    return v2, steps, {"ann": ann, "bo": bo, "cy": cy}


def _row(html: str, name: str) -> list[str]:
    row = re.search(
        rf'<tr data-testid="flow-row"><th scope="row">\d+\. <bdi>{name}</bdi></th>(.*?)</tr>',
        html,
        re.S,
    )
    assert row, name
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row[1], re.S)
    ]


@time_machine.travel(NOW, tick=False)
def test_the_flowchart_figures_equal_a_hand_count(client, cast, mapped):
    v2, _steps, _leads = mapped
    client.force_login(cast.erin)
    html = client.get(f"/reports/versions/{v2.pk}/?period=2026-03").content.decode()
    assert 'data-testid="process-map"' in html and "<svg" in html
    # stages, owner, SLA, then: entered, to next step, median time in step, SLA breaches
    assert _row(html, "MQL")[3:] == ["3", "66.7%", "0 min", "—"]
    assert _row(html, "SAL")[3:] == ["2", "50%", "8 h 0 min", "1"]
    assert _row(html, "Recycle")[3:] == ["1", "—", "—", "—"]
    assert _row(html, "Visitor")[3:] == ["—", "—", "—", "—"]
    assert _row(html, "Lead")[3:] == ["—", "—", "—", "—"]  # before any handoff


@time_machine.travel(NOW, tick=False)
def test_each_figure_opens_the_leads_behind_it(client, cast, mapped):
    v2, steps, leads = mapped
    client.force_login(cast.erin)
    url = f"/reports/versions/{v2.pk}/steps/{steps['SAL'].pk}/2026-03/"
    breached = client.get(url + "?list=breached").content.decode()
    assert f"/leads/{leads['bo'].pk}/" in breached and f"/leads/{leads['ann'].pk}/" not in breached
    assert "12 h 0 min" in breached
    converted = client.get(url + "?list=converted").content.decode()
    assert (
        f"/leads/{leads['ann'].pk}/" in converted and f"/leads/{leads['bo'].pk}/" not in converted
    )
    assert (
        client.get(f"/reports/versions/{v2.pk}/steps/{steps['SAL'].pk}/1999-01/").status_code == 404
    )


@time_machine.travel(NOW, tick=False)
def test_the_step_sla_is_a_line_on_its_owners_scorecard(client, cast, mapped):
    v2, _steps, _leads = mapped
    client.force_login(cast.erin)
    html = client.get(f"/reports/versions/{v2.pk}/?period=2026-03").content.decode()
    row = re.search(r'<tr data-testid="step-sla-row">(.*?)</tr>', html, re.S)[1]
    assert "Step SLA: SAL" in row and "50%" in row and "1/2" in row and "1 breach" in row


@time_machine.travel(NOW, tick=False)
def test_people_outside_the_parties_cannot_open_a_steps_leads(client, cast, mapped):
    v2, steps, _leads = mapped
    client.force_login(cast.mallory)
    url = f"/reports/versions/{v2.pk}/steps/{steps['SAL'].pk}/2026-03/"
    assert client.get(url).status_code == 404


def test_the_figures_read_right_after_a_write_include_it(client, cast, mapped):
    # given the page read once (its figures kept in the cache)
    v2, _steps, leads = mapped
    client.force_login(cast.erin)
    with time_machine.travel(NOW, tick=False):
        before = client.get(f"/reports/versions/{v2.pk}/?period=2026-03").content.decode()
    assert _row(before, "SAL")[3] == "2"
    # when Cy is accepted in March
    story(leads["cy"], ("sal", local(3, 27, 9)))
    # then the next read counts Cy in SAL, and as converted from MQL
    with time_machine.travel(NOW, tick=False):
        after = client.get(f"/reports/versions/{v2.pk}/?period=2026-03").content.decode()
    assert _row(after, "SAL")[3] == "3"
    assert _row(after, "MQL")[3:5] == ["3", "100%"]


def test_a_running_step_clock_that_breaches_shows_without_any_write(client, cast, mapped):
    # given Cy accepted on Friday 27 March 09:00, 8 business hours to leave SAL
    v2, _steps, leads = mapped
    story(leads["cy"], ("sal", local(3, 27, 9)))
    client.force_login(cast.erin)
    url = f"/reports/versions/{v2.pk}/?period=2026-03"
    # when the page is read on Monday just before work starts (8 h used: at risk), then
    # minutes later (breached), the figures still in the cache
    with time_machine.travel(local(3, 30, 8, 58), tick=False):
        before = client.get(url).content.decode()
    with time_machine.travel(local(3, 30, 9, 5), tick=False):
        after = client.get(url).content.decode()
    # then only Bo is breached before nine, Bo and Cy after
    assert _row(before, "SAL")[-1] == "1"
    assert _row(after, "SAL")[-1] == "2"


def test_a_repeated_contact_attempt_keeps_the_step_figures_cached_and_right(client, cast, mapped):
    # given Ann contacted once, and the page read (its step figures kept in the cache)
    from leads.models import Cycle
    from reports.process import (
        cycles_marker,
        step_def,
        steps_measured,
        version_calendar,
        version_cycles,
        version_steps,
    )
    from reports.steps import step_figures_until
    from slas.periods import period_containing

    v2, _steps, leads = mapped
    story(leads["ann"], ("attempt", local(3, 20, 10)))
    client.force_login(cast.erin)
    url = f"/reports/versions/{v2.pk}/?period=2026-03"
    with time_machine.travel(NOW, tick=False):
        before = client.get(url).content.decode()
    marker = cycles_marker(v2)
    ids = set(Cycle.objects.filter(lead=leads["ann"]).values_list("id", flat=True))
    # when she is tried again (only the attempts count of her cycle changes)
    story(leads["ann"], ("attempt", local(3, 23, 10)))
    # then her cycle row is updated in place (same id, two attempts), the marker the
    # step figures are cached under stands, and the page reads the same figures
    assert set(Cycle.objects.filter(lead=leads["ann"]).values_list("id", flat=True)) == ids
    assert Cycle.objects.get(lead=leads["ann"]).attempts == 2
    assert cycles_marker(v2) == marker
    with time_machine.travel(NOW, tick=False):
        after = client.get(url).content.decode()
    for name in ("MQL", "SAL", "SQL"):
        assert _row(after, name) == _row(before, name)
    # and the cached figures equal a computation from the stored cycles
    period = period_containing(version_calendar(v2).tz, "month", local(3, 20))
    steps = version_steps(v2)
    cached = steps_measured(v2, steps, [period], now=NOW)
    fresh, _until = step_figures_until(
        [step_def(s) for s in steps],
        version_cycles(v2, before=period.end, now=NOW),
        [period],
        version_calendar(v2),
        now=NOW,
    )
    assert cached == fresh


def test_a_first_contact_replaces_the_cycle_row(cast, mapped):
    # given Cy never contacted
    from leads.models import Cycle
    from reports.process import cycles_marker

    v2, _steps, leads = mapped
    marker = cycles_marker(v2)
    old = Cycle.objects.get(lead=leads["cy"]).pk
    # when she is contacted (the first contact stops her clock: facts change)
    story(leads["cy"], ("attempt", local(3, 26, 11)))
    # then her row is replaced and the marker moves
    assert Cycle.objects.get(lead=leads["cy"]).pk != old
    assert cycles_marker(v2) != marker
