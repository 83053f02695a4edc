"""Shared incentives: what each party team has earned under a version's incentive rules in a
period, and what it would earn at the current pace (docs/incentives.md).

`rule_evaluate` is pure: it takes the counted cycles and the statuses of the commitments
the condition looks at. `version_incentives` loads them for a version in force (its own
cycles, its stored compliance results), `draft_incentives` for a draft on a past period
(the agreement's cycles, the what-if results of the draft's commitments).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils import timezone

from leads.models import Cycle
from reports.selectors import VersionCompliance, compliance_for_versions
from reports.whatif import WhatIf
from slas import sentences
from slas.models import Incentive, IncentiveCondition, IncentiveMeasure, Version
from slas.periods import Period, period_containing, periods_between

CENT = Decimal("0.01")
#: The commitment kinds a "speed" condition looks at.
SPEED_KINDS = frozenset({"first_contact_within"})
#: Commitment statuses that fail a condition (docs/incentives.md#conditions).
FAILED = "missed"


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CountedCycle:
    """A cycle as the incentive rules read it."""

    id: int
    lead_id: int
    marketing_team_id: int
    sales_team_id: int
    won_at: dt.datetime | None
    sql_at: dt.datetime | None


@dataclass(frozen=True)
class CommitmentStatus:
    """A commitment's result in the rule's period, as the condition reads it."""

    commitment_id: int
    kind: str
    period: str  # "month" | "quarter"
    status: str  # the engine's: met, missed, on_track, at_risk, no_data
    title: str = ""


@dataclass
class RuleResult:
    rule: Incentive
    period: Period
    complete: bool
    units: int  # deals, SQLs or commitments met so far
    revenue: Decimal | None  # revenue rules: won deals x average deal size
    gross: Decimal  # before the cap and the condition
    capped: bool
    condition: str  # "none", "met", "pending", "at_risk", "failed"
    failing: list[CommitmentStatus]
    earned: Decimal
    projected: Decimal
    cycle_ids: list[int] = field(default_factory=list)
    commitment_ids: list[int] = field(default_factory=list)


def _counted_instant(rule: Incentive, cycle: CountedCycle) -> dt.datetime | None:
    if rule.measure == IncentiveMeasure.SQLS:
        return cycle.sql_at
    return cycle.won_at


def _team_cycles(rule: Incentive, cycles: Iterable[CountedCycle]) -> list[CountedCycle]:
    """The team's outcomes: leads it sourced (marketing team) or handled (sales team)."""
    team = rule.owner_team_id
    return [c for c in cycles if team in (c.marketing_team_id, c.sales_team_id)]


def condition_status(
    rule: Incentive, statuses: Iterable[CommitmentStatus], *, complete: bool
) -> tuple[str, list[CommitmentStatus]]:
    """(status, failing commitments) of the rule's condition in its period."""
    if rule.condition == IncentiveCondition.NONE:
        return "none", []
    scope = [s for s in statuses if s.period == rule.period]
    if rule.condition == IncentiveCondition.SPEED_MET:
        scope = [s for s in scope if s.kind in SPEED_KINDS]
    failing = [s for s in scope if s.status == FAILED]
    if failing:
        return "failed", failing
    if complete:
        return "met", []
    if any(s.status == "at_risk" for s in scope):
        return "at_risk", [s for s in scope if s.status == "at_risk"]
    return "pending", []


def _capped(rule: Incentive, amount: Decimal) -> tuple[Decimal, bool]:
    if rule.cap is not None and amount > rule.cap:
        return rule.cap, True
    return amount, False


def rule_evaluate(
    rule: Incentive,
    period: Period,
    *,
    cycles: Iterable[CountedCycle],
    statuses: Iterable[CommitmentStatus],
    avg_deal_size: Decimal | None,
    now: dt.datetime,
) -> RuleResult:
    """One rule in one period, exactly (docs/incentives.md#amounts)."""
    statuses = list(statuses)
    complete = period.end <= now
    until = min(period.end, now)
    counted: list[int] = []
    commitment_ids: list[int] = []
    revenue = None
    if rule.measure == IncentiveMeasure.COMMITMENTS_MET:
        met = [s for s in statuses if s.period == rule.period and s.status == "met"]
        commitment_ids = [s.commitment_id for s in met]
        units = len(met)
    else:
        for cycle in _team_cycles(rule, cycles):
            instant = _counted_instant(rule, cycle)
            if instant is not None and period.start <= instant < until:
                counted.append(cycle.id)
        units = len(counted)
    if rule.measure == IncentiveMeasure.REVENUE:
        revenue = Decimal(units) * (avg_deal_size or Decimal(0))
        gross = cents(revenue * (rule.rate_percent or Decimal(0)) / Decimal(100))
    else:
        gross = cents(Decimal(units) * (rule.amount or Decimal(0)))
    condition, failing = condition_status(rule, statuses, complete=complete)
    paid, capped = _capped(rule, gross)
    earned = Decimal("0.00") if condition == "failed" else paid
    if complete or condition == "failed":
        projected = earned
    elif rule.measure == IncentiveMeasure.COMMITMENTS_MET:
        # On course: met already, or on track to be met.
        on_course = sum(
            1 for s in statuses if s.period == rule.period and s.status in ("met", "on_track")
        )
        projected = _capped(rule, cents(Decimal(on_course) * (rule.amount or Decimal(0))))[0]
    else:
        elapsed = _microseconds(now - period.start)
        total = _microseconds(period.end - period.start)
        pace = cents(gross * Decimal(total) / Decimal(elapsed)) if elapsed > 0 else gross
        projected = _capped(rule, pace)[0]
    return RuleResult(
        rule=rule,
        period=period,
        complete=complete,
        units=units,
        revenue=revenue,
        gross=gross,
        capped=capped,
        condition=condition,
        failing=failing,
        earned=earned,
        projected=projected,
        cycle_ids=counted,
        commitment_ids=commitment_ids,
    )


def _microseconds(delta: dt.timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@dataclass
class TeamTotal:
    team: object
    earned: Decimal
    projected: Decimal
    results: list[RuleResult]


@dataclass
class IncentiveReport:
    version: Version
    period: Period
    currency: str
    results: list[RuleResult]
    now: dt.datetime

    @property
    def complete(self) -> bool:
        return self.period.end <= self.now

    @property
    def teams(self) -> list[TeamTotal]:
        totals: dict[int, TeamTotal] = {}
        for result in self.results:
            team = result.rule.owner_team
            total = totals.setdefault(
                team.pk, TeamTotal(team, Decimal("0.00"), Decimal("0.00"), [])
            )
            total.earned += result.earned
            total.projected += result.projected
            total.results.append(result)
        return list(totals.values())

    @property
    def earned(self) -> Decimal:
        return sum((r.earned for r in self.results), Decimal("0.00"))

    @property
    def projected(self) -> Decimal:
        return sum((r.projected for r in self.results), Decimal("0.00"))


def _rules(version: Version) -> list[Incentive]:
    return list(
        Incentive.objects.filter(version=version)
        .select_related("owner_team")
        .order_by("position", "id")
    )


def counted_cycles(queryset) -> list[CountedCycle]:
    return [
        CountedCycle(*row)
        for row in queryset.values_list(
            "id",
            "lead_id",
            "lead__marketing_team_id",
            "lead__sales_team_id",
            "won_at",
            "sql_at",
        ).order_by("id")
    ]


def _window_cycles(queryset, start: dt.datetime, end: dt.datetime) -> list[CountedCycle]:
    return counted_cycles(
        queryset.filter(Q(won_at__gte=start, won_at__lt=end) | Q(sql_at__gte=start, sql_at__lt=end))
    )


def incentive_periods(version: Version, *, now: dt.datetime | None = None) -> list[Period]:
    """The periods of the version's rules (months, quarters) since it took force, latest
    first; empty when it never was in force or has no rules."""
    now = now or timezone.now()
    if version.in_force_from is None or version.in_force_from > now:
        return []
    kinds = sorted(set(Incentive.objects.filter(version=version).values_list("period", flat=True)))
    end = min(now, version.in_force_until) if version.in_force_until else now
    end = max(end, version.in_force_from + dt.timedelta(microseconds=1))
    periods = [
        p
        for kind in kinds
        for p in periods_between(version.calendar_timezone, kind, version.in_force_from, end)  # type: ignore[arg-type]
    ]
    return sorted(periods, key=lambda p: (p.end, -p.start.timestamp()), reverse=True)


def period_kind(period: Period) -> str:
    return "quarter" if "-Q" in period.label else "month"


def version_incentives(
    version: Version,
    period: Period,
    *,
    now: dt.datetime | None = None,
    comp: VersionCompliance | None = None,
) -> IncentiveReport:
    """The version's rules counted by `period`'s kind, on the cycles it governs. ``comp``:
    the version's compliance as of ``now``, when the caller already has it."""
    now = now or timezone.now()
    rules = [r for r in _rules(version) if r.period == period_kind(period)]
    statuses: list[CommitmentStatus] = []
    if rules:
        if comp is None:
            comp = compliance_for_versions([version], now=now)[version.pk]
        for line in comp.lines:
            result = line.result(period.label)
            if result is not None:
                statuses.append(
                    CommitmentStatus(
                        line.commitment.pk,
                        line.spec.kind,
                        line.commitment.period,
                        result.status,
                        sentences.commitment_sentence(line.commitment),
                    )
                )
    cycles = (
        _window_cycles(Cycle.objects.filter(version=version), period.start, period.end)
        if rules
        else []
    )
    results = [
        rule_evaluate(
            rule,
            period,
            cycles=cycles,
            statuses=statuses,
            avg_deal_size=version.avg_deal_size,
            now=now,
        )
        for rule in rules
    ]
    return IncentiveReport(version, period, version.revenue_goal_currency, results, now)


def draft_incentives(data: WhatIf, *, now: dt.datetime | None = None) -> list[RuleResult]:
    """What-if: the draft's rules on the what-if's period (each rule on the period of its
    own kind that contains the period's start), counted on the agreement's cycles whatever
    version governed them, the condition read from the draft's commitments evaluated there."""
    now = now or timezone.now()
    draft = data.draft
    statuses = [
        CommitmentStatus(
            line.commitment.pk,
            line.spec.kind,
            line.commitment.period,
            line.result.status,
            sentences.commitment_sentence(line.commitment),
        )
        for line in data.lines
    ]
    results = []
    for rule in _rules(draft):
        period = period_containing(draft.calendar_timezone, rule.period, data.period.start)  # type: ignore[arg-type]
        cycles = _window_cycles(
            Cycle.objects.filter(agreement_id=draft.agreement_id), period.start, period.end
        )
        results.append(
            rule_evaluate(
                rule,
                period,
                cycles=cycles,
                statuses=[s for s in statuses if s.period == rule.period],
                avg_deal_size=draft.avg_deal_size,
                now=now,
            )
        )
    return results
