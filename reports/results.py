"""Stored results: a version's commitments evaluated per period by the pure engine and kept in `ComplianceResult` rows, read back while fresh (same spec hash, facts revision and `valid_until` not passed) and recomputed otherwise. This is the one read path that writes: a recomputed row is stored only if the version's facts revision did not move meanwhile (docs/compliance.md#stored-results)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from leads.cycles import CycleFacts
from leads.visitors.selectors import visitor_facts
from reports.engine import MetricResult, evaluate
from reports.models import ComplianceResult, FactsRevision
from reports.services import results_store
from reports.specs import (
    CommitmentContext,
    VersionContext,
    _cycle_queryset,
    _needs_late_entries,
    load_facts,
)
from slas.periods import Period


def _evaluate_many(
    ctx: VersionContext,
    wanted: list[tuple[CommitmentContext, Period]],
    now: dt.datetime,
) -> list[tuple[CommitmentContext, MetricResult]]:
    if not wanted or ctx.in_force is None:
        return []
    specs = [line.spec for line, _ in wanted]
    start = min(p.start for _, p in wanted)
    end = max(p.end for _, p in wanted)
    qs = _cycle_queryset(
        version_id=ctx.version.pk,
        in_force=ctx.in_force,
        start=start,
        end=end,
        late_entries=_needs_late_entries(specs),
    )
    facts, feedback = load_facts(
        qs, with_feedback=any(s.kind == "feedback_coverage" for s in specs)
    )
    visitors = (
        visitor_facts(
            ctx.version.agreement_id,
            sorted(
                {p for line, p in wanted if line.spec.kind == "visitor_to_lead"},
                key=lambda p: p.start,
            ),
            ctx.calendar.tz,
        )
        if any(s.kind == "visitor_to_lead" for s in specs)
        else None
    )
    by_period: dict[Period, list[CycleFacts]] = defaultdict(list)
    periods = {p for _, p in wanted}
    ordered = sorted(periods, key=lambda p: p.start)
    for c in facts:
        # a cycle belongs to the periods of its handoff and of its stage entries
        instants = {c.handoff_at, *c.stage_entered.values()}
        for p in ordered:
            if any(p.contains(t) for t in instants):
                by_period[p].append(c)
    return [
        (
            line,
            evaluate(
                line.spec,
                period,
                by_period.get(period, []),
                calendar=ctx.calendar,
                in_force=ctx.in_force,
                now=now,
                feedback_at=feedback,
                visitors=visitors,
            ),
        )
        for line, period in wanted
    ]


def _stored(
    line: CommitmentContext, result: MetricResult, now: dt.datetime, revision: int
) -> ComplianceResult:
    return ComplianceResult(
        version_id=line.spec.version_id,
        commitment_id=line.commitment.pk,
        kind=line.spec.kind,
        period_start=result.period.start,
        period_end=result.period.end,
        label=result.period.label,
        actual=result.actual,
        numerator=result.numerator,
        denominator=result.denominator,
        target=result.target,
        status=result.status,
        projected=result.projected,
        counts={name: len(keys) for name, keys in result.cycles.items()},
        spec_hash=line.spec_hash,
        computed_at=now,
        valid_until=result.valid_until,
        facts_revision=revision,
    )


def _fresh(row: ComplianceResult | None, line: CommitmentContext, now: dt.datetime) -> bool:
    return (
        row is not None
        and row.spec_hash == line.spec_hash
        and row.computed_at <= now
        and (row.valid_until is None or now < row.valid_until)
    )


def facts_revisions(version_ids: Iterable[int]) -> dict[int, int]:
    """The current facts revision of each version (0 when it never changed)."""
    ids = list(version_ids)
    found = dict(
        FactsRevision.objects.filter(version_id__in=ids).values_list("version_id", "value")
    )
    return {version_id: found.get(version_id, 0) for version_id in ids}


def results_for(
    contexts: dict[int, VersionContext], now: dt.datetime
) -> dict[tuple[int, dt.datetime], ComplianceResult]:
    """Results of every commitment in every period, keyed by (commitment id, period
    start): one query for the stored rows, plus recomputation of what is missing. The
    facts revisions of the versions to recompute are read before their cycles, and a
    recomputed row is stored only if its version's revision has not moved since
    (reports.services.results_store)."""
    stored = {
        (row.commitment_id, row.period_start): row
        for row in ComplianceResult.objects.filter(version_id__in=list(contexts))
    }
    results = {}
    wanted: dict[int, list[tuple[CommitmentContext, Period]]] = {}
    for ctx in contexts.values():
        for line in ctx.commitments:
            for period in line.periods:
                row = stored.get((line.commitment.pk, period.start))
                if _fresh(row, line, now):
                    results[(line.commitment.pk, period.start)] = row
                else:
                    wanted.setdefault(ctx.version.pk, []).append((line, period))
    if not wanted:
        return results
    revisions = facts_revisions(wanted)  # before any cycle is read
    fresh_rows = []
    for version_id, lines in wanted.items():
        fresh_rows += [
            _stored(line, r, now, revisions[version_id])
            for line, r in _evaluate_many(contexts[version_id], lines, now)
        ]
    results_store(fresh_rows)
    for row in fresh_rows:
        results[(row.commitment_id, row.period_start)] = row
    return results
