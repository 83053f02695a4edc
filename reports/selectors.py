"""The compliance pages' reads: a version's scorecards (both parties' commitments with their results), the agreement's versions, drill-downs into one commitment and period, ungoverned handoffs. Results come from reports.results; specs and facts from reports.specs."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import timezone

from leads.models import Cycle
from leads.reviews.models import Feedback
from reports.engine import CommitmentSpec, MetricResult
from reports.models import ComplianceResult
from reports.results import _evaluate_many, results_for
from reports.specs import version_contexts
from slas.clock import BusinessCalendar
from slas.models import Commitment, ReasonCode, Version
from slas.periods import Period, periods_between
from slas.selectors import agreement_list_for as agreements

# Pages ----------------------------------------------------------------------------


@dataclass
class CommitmentLine:
    commitment: Commitment
    spec: CommitmentSpec
    results: list[ComplianceResult]  # chronological

    @property
    def latest(self) -> ComplianceResult | None:
        return self.results[-1] if self.results else None

    def result(self, label: str) -> ComplianceResult | None:
        return next((r for r in self.results if r.label == label), None)


@dataclass
class Scorecard:
    team: object
    lines: list[CommitmentLine] = field(default_factory=list)


@dataclass
class VersionCompliance:
    version: Version
    calendar: BusinessCalendar
    in_force: tuple[dt.datetime, dt.datetime | None] | None
    now: dt.datetime
    scorecards: list[Scorecard]
    # Every period label, chronological: by end, and a quarter after its last month
    # (2026-01, 2026-02, 2026-03, 2026-Q1, 2026-04, ...), so quarterly commitments get
    # their own columns next to monthly ones.
    labels: list[str]
    ungoverned: int
    current: str | None = None  # the period that started last (a month before its quarter)

    @property
    def was_in_force(self) -> bool:
        return self.in_force is not None and self.in_force[0] <= self.now

    @property
    def lines(self) -> list[CommitmentLine]:
        return [line for card in self.scorecards for line in card.lines]

    def line_of(self, kind: str) -> CommitmentLine | None:
        return next((line for line in self.lines if line.spec.kind == kind), None)

    def counts(self, label: str) -> dict[str, int]:
        """How many commitments are met / missed / on track / at risk in a period."""
        tally: dict[str, int] = defaultdict(int)
        for line in self.lines:
            result = line.result(label)
            if result is not None:
                tally[result.status] += 1
        return dict(tally)

    @property
    def current_label(self) -> str | None:
        return self.current


def _ungoverned(now: dt.datetime):
    """Handoffs made while no version of their agreement was in force, by ``now``: one
    stamped later has not happened yet (docs/compliance.md, "Facts stamped after now")."""
    return Cycle.objects.filter(version__isnull=True, handoff_at__lte=now)


def ungoverned_counts(agreement_ids: Iterable[int], *, now: dt.datetime) -> dict[int, int]:
    """Handoffs of each agreement made while no version was in force (by ``now``)."""
    return dict(
        _ungoverned(now)
        .filter(agreement_id__in=list(agreement_ids))
        .values_list("agreement_id")
        .annotate(n=Count("id"))
        .values_list("agreement_id", "n")
    )


def compliance_for_versions(
    versions: list[Version],
    *,
    now: dt.datetime | None = None,
    with_ungoverned: bool = True,
    latest_only: bool = False,
) -> dict[int, VersionCompliance]:
    """Both parties' scorecards of each version (see module docstring). Without
    ``with_ungoverned`` (the home page, which does not show it) ``ungoverned`` is 0,
    not counted. With ``latest_only`` (the home page, which shows the current period) each
    commitment has only its latest period: the current one, or for a quarterly commitment
    the quarter containing it; the current label is the same as with every period."""
    now = now or timezone.now()
    contexts = version_contexts(versions, now)
    if latest_only:
        for ctx in contexts.values():
            for line in ctx.commitments:
                line.periods = line.periods[-1:]
    results = results_for(contexts, now)
    ungoverned = (
        ungoverned_counts({v.agreement_id for v in versions}, now=now) if with_ungoverned else {}
    )
    out = {}
    for version in versions:
        ctx = contexts[version.pk]
        cards: dict[int, Scorecard] = {}
        periods: dict[str, Period] = {}
        for line in ctx.commitments:
            team = line.commitment.owner_team
            card = cards.setdefault(team.pk, Scorecard(team=team))
            rows = [results[(line.commitment.pk, p.start)] for p in line.periods]
            card.lines.append(CommitmentLine(line.commitment, line.spec, rows))
            for p in line.periods:
                periods.setdefault(p.label, p)
        ordered = sorted(periods.values(), key=lambda p: (p.end, -p.start.timestamp()))
        latest = max(periods.values(), key=lambda p: (p.start, -p.end.timestamp()), default=None)
        out[version.pk] = VersionCompliance(
            version=version,
            calendar=ctx.calendar,
            in_force=ctx.in_force,
            now=now,
            scorecards=list(cards.values()),
            labels=[p.label for p in ordered],
            ungoverned=ungoverned.get(version.agreement_id, 0),
            current=latest.label if latest else None,
        )
    return out


def version_compliance(version: Version, *, now: dt.datetime | None = None) -> VersionCompliance:
    return compliance_for_versions([version], now=now)[version.pk]


def agreement_list_for(user):
    """Visible agreements with their versions (newest first): two queries."""
    return agreements(user)


# Drill-down -------------------------------------------------------------------------


@dataclass
class Breakdown:
    """One commitment in one period, evaluated live: the engine's result with its
    cycle lists and the time left on open clocks."""

    commitment: Commitment
    spec: CommitmentSpec
    period: Period
    result: MetricResult
    calendar: BusinessCalendar
    now: dt.datetime


def find_period(periods: list[Period], label: str | None) -> Period | None:
    if not periods:
        return None
    if label is None:
        return periods[-1]
    return next((p for p in periods if p.label == label), None)


def commitment_breakdown(
    version: Version, commitment: Commitment, label: str | None, *, now: dt.datetime | None = None
) -> Breakdown | None:
    """None when the period is not one of the commitment's periods in this version."""
    now = now or timezone.now()
    ctx = version_contexts([version], now)[version.pk]
    line = next((line for line in ctx.commitments if line.commitment.pk == commitment.pk), None)
    if line is None:
        return None
    period = find_period(line.periods, label)
    if period is None:
        return None
    ((_, result),) = _evaluate_many(ctx, [(line, period)], now)
    return Breakdown(line.commitment, line.spec, period, result, ctx.calendar, now)


def cycles_by_key(keys: Iterable[int]):
    """Cycle rows (with lead and owner) for engine keys (handoff event ids), in order."""
    keys = list(keys)
    rows = Cycle.objects.filter(handoff_event_id__in=keys).select_related(
        "lead", "owner", "version"
    )
    by_key = {row.handoff_event_id: row for row in rows}
    return [by_key[k] for k in keys if k in by_key]


def feedback_for_leads(lead_ids: Iterable[int]) -> dict[int, list[Feedback]]:
    out: dict[int, list[Feedback]] = defaultdict(list)
    for item in Feedback.objects.filter(lead_id__in=list(lead_ids)).select_related("author"):
        out[item.lead_id].append(item)
    return out


def reason_labels(version_ids: Iterable[int]) -> dict[tuple[int, str], str]:
    return {
        (version_id, code): label
        for version_id, code, label in ReasonCode.objects.filter(
            version_id__in=list(version_ids)
        ).values_list("version_id", "code", "label")
    }


def ungoverned_cycles(agreement_id: int, *, now: dt.datetime):
    """The agreement's ungoverned handoffs by ``now``, newest first."""
    return (
        _ungoverned(now)
        .filter(agreement_id=agreement_id)
        .select_related("lead")
        .order_by("-handoff_at")
    )


# What-if -----------------------------------------------------------------------------


def agreement_past_periods(agreement_id: int, tz: str, kind: str, now: dt.datetime) -> list[Period]:
    """Completed periods (latest first) since the agreement's first version took effect."""
    first = (
        Version.objects.filter(agreement_id=agreement_id, in_force_from__isnull=False)
        .order_by("in_force_from")
        .values_list("in_force_from", flat=True)
        .first()
    )
    if first is None:
        return []
    periods = [p for p in periods_between(tz, kind, first, now) if p.end <= now]  # type: ignore[arg-type]
    return list(reversed(periods))
