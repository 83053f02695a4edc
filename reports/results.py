"""Stored results: a version's commitments evaluated per period by the pure engine and kept in `ComplianceResult` rows, read back while fresh (same spec hash, facts revision and `valid_until` not passed) and recomputed otherwise. This is the one read path that writes: a recomputed row is stored only if the version's facts revision did not move meanwhile (docs/compliance.md#stored-results).

Writers keep the stored rows up to date (`results_adjust`, in the writer's transaction):
every figure is a sum of per-cycle parts, so a row is adjusted by taking the changed
cycles' old part out and putting their new part in (reports.engine.evaluate_adjusted),
only for the commitments and periods whose part changed; a write that changes no
figure touches no row and leaves the facts revision alone."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from leads.cycles import CycleFacts
from leads.models import Cycle
from leads.reviews.models import Feedback
from leads.visitors.selectors import visitor_facts
from reports.engine import (
    CYCLELESS_KINDS,
    Contribution,
    FeedbackSource,
    MetricResult,
    contribution,
    evaluate,
    evaluate_adjusted,
    projection,
)
from reports.facts import facts_revision_bump
from reports.models import ComplianceResult, FactsRevision
from reports.services import results_store
from reports.specs import (
    CYCLE_FIELDS,
    CommitmentContext,
    VersionContext,
    _cycle_queryset,
    _needs_late_entries,
    facts_from_row,
    load_facts,
    version_contexts,
)
from slas.models import Version
from slas.periods import Period


def _evaluate_many(
    ctx: VersionContext,
    wanted: list[tuple[CommitmentContext, Period]],
    now: dt.datetime,
) -> list[tuple[CommitmentContext, MetricResult]]:
    if not wanted or ctx.in_force is None:
        return []
    specs = [line.spec for line, _ in wanted]
    facts: list[CycleFacts] = []
    feedback: dict[int, list] = {}
    # visitor_to_lead, never stored as fresh, is recomputed on every read: alone, it
    # must not read the version's cycles (it has none; a thousand rows per page).
    cycle_wanted = [(line, p) for line, p in wanted if line.spec.kind not in CYCLELESS_KINDS]
    if cycle_wanted:
        qs = _cycle_queryset(
            version_id=ctx.version.pk,
            in_force=ctx.in_force,
            start=min(p.start for _, p in cycle_wanted),
            end=max(p.end for _, p in cycle_wanted),
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
        due=_due_json(result.due),
        facts_revision=revision,
    )


def _due_json(due: dict[int, dt.datetime]) -> dict[str, str]:
    return {str(key): at.isoformat() for key, at in due.items()}


def _due_read(row: ComplianceResult) -> dict[int, dt.datetime] | None:
    if row.due is None:
        return None
    return {int(key): dt.datetime.fromisoformat(at) for key, at in row.due.items()}


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
    if not ids:
        return {}
    found = dict(
        FactsRevision.objects.filter(version_id__in=ids).values_list("version_id", "value")
    )
    return {version_id: found.get(version_id, 0) for version_id in ids}


def _expired(row: ComplianceResult | None, line: CommitmentContext, now: dt.datetime) -> bool:
    """Whether a stored row is current but for the passing of time, and knows which
    cycles came due (``visitor_to_lead`` has no cycles: it is always recomputed)."""
    return (
        row is not None
        and row.due is not None
        and row.kind != "visitor_to_lead"
        and row.spec_hash == line.spec_hash
        and row.computed_at <= now
        and row.valid_until is not None
        and row.valid_until <= now
    )


Expired = tuple[VersionContext, CommitmentContext, Period, ComplianceResult]


def _brought_forward(
    expired: list[Expired], now: dt.datetime
) -> tuple[list[ComplianceResult], list[Expired]]:
    """Expired rows brought forward to ``now`` by reading only the cycles that came due
    (their ``due`` instant passed): each such cycle's part as of just before the row
    expired (what the row holds: no part changed before ``valid_until``) out, its part
    as of now in (engine.evaluate_adjusted). The period's own instants (its end, a count's
    projection) need no cycle. The rows are read again with their versions' facts
    revisions (one statement) before the cycles, and stored only if the revisions did not
    move (results_store), as a recomputation is. Returns the rows brought forward, and those
    to recompute (a row changed meanwhile, a cycle come due that is not there: its
    writer dropped or adjusted the row, or the revision moved)."""
    # The rows again with their versions' revisions, in one statement (one snapshot).
    current = ComplianceResult.objects.annotate(
        revision_now=Coalesce(
            Subquery(
                FactsRevision.objects.filter(version_id=OuterRef("version_id")).values("value")
            ),
            0,
        )
    ).in_bulk([row.pk for *_, row in expired])
    came_due: dict[int, list[int]] = {}
    for _ctx, line, _period, old in expired:
        row = current.get(old.pk)
        if row is not None and _expired(row, line, now):
            came_due[row.pk] = [key for key, at in _due_read(row).items() if at <= now]
    keys = {key for found in came_due.values() for key in found}
    cycles = (
        {
            c.key: c
            for c in map(
                facts_from_row,
                Cycle.objects.filter(handoff_event_id__in=keys).values(*CYCLE_FIELDS),
            )
        }
        if keys
        else {}
    )
    feedback: dict[int, list[dt.datetime]] = defaultdict(list)
    leaving = {c.lead_id for c in cycles.values() if c.exits or c.rejected_at}
    if leaving and any(row.kind == "feedback_coverage" for *_, row in expired):
        for lead_id, created_at in Feedback.objects.filter(lead_id__in=leaving).values_list(
            "lead_id", "created_at"
        ):
            feedback[lead_id].append(created_at)
    forward, again = [], []
    for item in expired:
        ctx, line, period, old = item
        row = current.get(old.pk)
        due_keys = came_due.get(old.pk)
        facts = [cycles.get(key) for key in due_keys or ()]
        if due_keys is None or any(c is None or not _scored(ctx, c) for c in facts):
            again.append(item)
            continue
        held_until = row.valid_until - dt.timedelta(microseconds=1)
        removed, added = (
            contribution(
                line.spec,
                period,
                facts,
                calendar=ctx.calendar,
                in_force=ctx.in_force,
                now=at,
                feedback_at=feedback,
            )
            for at in (held_until, now)
        )
        result = _row_adjusted(row, line.spec, period, ctx, removed, added, now)
        if result is None:
            again.append(item)
            continue
        row.due = _due_json(result.due)
        row.computed_at = now
        row.facts_revision = row.revision_now
        forward.append(row)
    kept = {row.pk for row in results_store(forward)}
    refused = {row.pk for row in forward} - kept
    again += [item for item in expired if item[3].pk in refused]
    return [row for row in forward if row.pk in kept], again


def results_for(
    contexts: dict[int, VersionContext], now: dt.datetime
) -> dict[tuple[int, dt.datetime], ComplianceResult]:
    """Results of every commitment in every period, keyed by (commitment id, period
    start): one query for the stored rows of those periods (only theirs: the home page
    asks for the latest period alone), rows expired by time alone brought forward
    from the cycles that came due (``_brought_forward``), plus recomputation of what is
    missing. The facts revisions of the versions to recompute are read before their
    cycles, and a recomputed row is stored only if its version's revision has not moved
    since (reports.services.results_store)."""
    starts = {
        p.start for ctx in contexts.values() for line in ctx.commitments for p in line.periods
    }
    stored = {
        (row.commitment_id, row.period_start): row
        for row in ComplianceResult.objects.filter(
            version_id__in=list(contexts), period_start__in=starts
        )
    }
    results = {}
    wanted: dict[int, list[tuple[CommitmentContext, Period]]] = {}
    expired: list[Expired] = []
    for ctx in contexts.values():
        for line in ctx.commitments:
            for period in line.periods:
                row = stored.get((line.commitment.pk, period.start))
                if _fresh(row, line, now):
                    row.projected = projection(
                        line.spec, period, row.numerator, in_force=ctx.in_force, now=now
                    )
                    results[(line.commitment.pk, period.start)] = row
                elif _expired(row, line, now):
                    expired.append((ctx, line, period, row))
                else:
                    wanted.setdefault(ctx.version.pk, []).append((line, period))
    if expired:
        forward, again = _brought_forward(expired, now)
        for row in forward:
            results[(row.commitment_id, row.period_start)] = row
        for ctx, line, period, _row in again:
            wanted.setdefault(ctx.version.pk, []).append((line, period))
    if not wanted:
        return results
    # Before any fact is read: the revisions of the versions with a result to store (a
    # cycleless kind, visitor_to_lead, is never stored: it is recomputed on every read).
    revisions = facts_revisions(
        version_id
        for version_id, lines in wanted.items()
        if any(line.spec.kind not in CYCLELESS_KINDS for line, _period in lines)
    )
    fresh_rows = []
    for version_id, lines in wanted.items():
        fresh_rows += [
            _stored(line, r, now, revisions.get(version_id, 0))
            for line, r in _evaluate_many(contexts[version_id], lines, now)
        ]
    # A result valid only at `now` (visitor_to_lead, before its period too) is never
    # read back: not stored.
    results_store(
        [
            row
            for row in fresh_rows
            if row.kind not in CYCLELESS_KINDS
            and (row.valid_until is None or now < row.valid_until)
        ]
    )
    for row in fresh_rows:
        results[(row.commitment_id, row.period_start)] = row
    return results


def _scored(ctx: VersionContext, cycle: CycleFacts) -> bool:
    """Whether the version's results count this cycle (as `_cycle_queryset`): its own,
    handed off inside its in-force interval."""
    if ctx.in_force is None or cycle.version_id != ctx.version.pk:
        return False
    start, end = ctx.in_force
    return cycle.handoff_at >= start and (end is None or cycle.handoff_at < end)


RESULT_ADJUSTED_FIELDS = [
    "actual",
    "numerator",
    "denominator",
    "target",
    "status",
    "projected",
    "counts",
    "valid_until",
    "due",
    "facts_revision",
]


def _row_adjusted(row, spec, period, ctx, removed, added, now):
    """Set the stored row's figures to its old ones with the `removed` contributions taken
    out and the `added` put in, and return the result; None (the row untouched) when the
    sums would not hold, e.g. a share taken out that was never in: a reader recomputes."""
    result, sizes = evaluate_adjusted(
        spec,
        period,
        numerator=row.numerator,
        denominator=row.denominator,
        counts=row.counts,
        valid_until=row.valid_until,
        due=_due_read(row),
        removed=removed,
        added=added,
        calendar=ctx.calendar,
        in_force=ctx.in_force,
        now=now,
    )
    if result.numerator < 0 or result.denominator < 0 or min(sizes.values(), default=0) < 0:
        return None
    _assign(row, result, sizes)
    return result


def _assign(row: ComplianceResult, result: MetricResult, sizes: dict[str, int]) -> None:
    row.actual = result.actual
    row.numerator = result.numerator
    row.denominator = result.denominator
    row.target = result.target
    row.status = result.status
    row.projected = result.projected
    row.counts = sizes
    row.valid_until = result.valid_until


def _touched(
    pairs: Iterable[tuple[CycleFacts | None, CycleFacts | None]],
    contexts: dict[int, VersionContext],
    kinds: frozenset[str] | None = None,
) -> dict[tuple, list]:
    """(version, commitment, period start) -> [line, period, old cycles, new cycles]: every
    commitment (of ``kinds``, or all) and period a cycle of a pair counts in, before or
    after (its handoff's period, and its stage entries' for conversion rates)."""
    touched: dict[tuple, list] = {}
    for pair in pairs:
        for side, cycle in enumerate(pair):
            ctx = contexts.get(cycle.version_id) if cycle and cycle.version_id else None
            if ctx is None or not _scored(ctx, cycle):
                continue
            instants = {cycle.handoff_at, *cycle.stage_entered.values()}
            for line in ctx.commitments:
                if kinds is not None and line.spec.kind not in kinds:
                    continue
                for period in line.periods:
                    if any(period.contains(t) for t in instants):
                        key = (ctx.version.pk, line.commitment.pk, period.start)
                        entry = touched.setdefault(key, [line, period, [], []])
                        entry[2 + side].append(cycle)
    return touched


def _adjust(
    touched: dict[tuple, list],
    contexts: dict[int, VersionContext],
    *,
    feedback: tuple[FeedbackSource, FeedbackSource],
    now: dt.datetime,
) -> int:
    """Adjust the stored rows of ``touched`` (see ``_touched``): the old cycles' part (with
    the feedback before) out, the new cycles' part (with the feedback after) in, where the
    parts differ. Returns the number of (commitment, period) pairs whose figures changed."""
    differ: dict[tuple, tuple[CommitmentContext, Period, Contribution, Contribution]] = {}
    for key, (line, period, old, new) in touched.items():
        ctx = contexts[key[0]]
        parts = [
            contribution(
                line.spec,
                period,
                cycles,
                calendar=ctx.calendar,
                in_force=ctx.in_force,
                now=now,
                feedback_at=feedback_at,
            )
            for cycles, feedback_at in ((old, feedback[0]), (new, feedback[1]))
        ]
        if parts[0] != parts[1]:
            differ[key] = (line, period, parts[0], parts[1])
    if not differ:
        return 0

    changed_versions = sorted({key[0] for key in differ})
    facts_revision_bump(changed_versions)  # locks the revision rows until commit
    revisions = facts_revisions(changed_versions)
    rows = ComplianceResult.objects.filter(
        version_id__in=changed_versions,
        commitment_id__in={key[1] for key in differ},
        period_start__in={key[2] for key in differ},
    )
    adjusted, dropped = [], []
    for row in rows:
        found = differ.get((row.version_id, row.commitment_id, row.period_start))
        if found is None:
            continue
        line, period, removed, added = found
        if not _fresh(row, line, now):
            dropped.append(row.pk)
            continue
        ctx = contexts[row.version_id]
        result = _row_adjusted(row, line.spec, period, ctx, removed, added, now)
        if result is None:
            dropped.append(row.pk)  # not the sum it should be: let a reader recompute it
            continue
        if row.due is not None:  # a row from before `due` keeps not knowing it
            row.due = _due_json(result.due)
        row.facts_revision = revisions[row.version_id]
        adjusted.append(row)
    if dropped:
        ComplianceResult.objects.filter(pk__in=dropped).delete()
    if adjusted:
        ComplianceResult.objects.bulk_update(adjusted, RESULT_ADJUSTED_FIELDS)
    return len(differ)


def _contexts_of(cycles: Iterable[CycleFacts], now: dt.datetime) -> dict[int, VersionContext]:
    version_ids = {c.version_id for c in cycles if c.version_id}
    if not version_ids:
        return {}
    return version_contexts(list(Version.objects.filter(pk__in=version_ids)), now)


def results_adjust(
    changes: Iterable[tuple[dict | None, dict | None]], *, now: dt.datetime | None = None
) -> int:
    """Adjust the stored results the changed cycles fed, in the writer's transaction.

    ``changes``: (old, new) Cycle rows as column dicts (leads.signals.cycles_changed).
    For every commitment and period a changed cycle counts in (its handoff's, and its
    stage entries' for conversion rates), the cycles' old and new parts are computed;
    where they differ, the version's facts revision is bumped (so a reader that read
    the old cycles does not store its result) and the stored row, if still fresh, is
    adjusted; a row that is not fresh is dropped. Returns the number of (commitment,
    period) pairs whose figures changed."""
    now = now or timezone.now()
    pairs = [
        (facts_from_row(old) if old else None, facts_from_row(new) if new else None)
        for old, new in changes
    ]
    contexts = _contexts_of((c for pair in pairs for c in pair if c), now)
    if not contexts:
        return 0
    feedback: dict[int, list[dt.datetime]] = defaultdict(list)
    with_exits = {c.lead_id for pair in pairs for c in pair if c and (c.exits or c.rejected_at)}
    if with_exits and any(
        line.spec.kind == "feedback_coverage"
        for ctx in contexts.values()
        for line in ctx.commitments
    ):
        for lead_id, created_at in Feedback.objects.filter(lead_id__in=with_exits).values_list(
            "lead_id", "created_at"
        ):
            feedback[lead_id].append(created_at)
    return _adjust(_touched(pairs, contexts), contexts, feedback=(feedback, feedback), now=now)


FeedbackInstant = tuple[int, dt.datetime]  # (lead id, created at) of one feedback entry


def results_adjust_feedback(
    *,
    before: FeedbackInstant | None,
    after: FeedbackInstant | None,
    now: dt.datetime | None = None,
) -> int:
    """Adjust the stored feedback_coverage results of the cycles of the leads of one
    feedback entry written (``before`` None), deleted (``after`` None) or changed, in the
    writer's transaction and after its write: each cycle's part with the lead's feedback
    before out, with the feedback after in (as ``results_adjust``). Only the lead and the
    creation instant count, so an entry that keeps both changes nothing and reads nothing.
    Returns the number of (commitment, period) pairs whose figures changed."""
    if before == after:
        return 0
    now = now or timezone.now()
    lead_ids = {instant[0] for instant in (before, after) if instant is not None}
    # Only cycles that left the funnel (rejected, or exits) count feedback at all.
    facts = [
        facts_from_row(row)
        for row in Cycle.objects.filter(lead_id__in=lead_ids, version__isnull=False)
        .filter(~Q(exits=[]) | Q(rejected_at__isnull=False))
        .values(*CYCLE_FIELDS)
    ]
    contexts = _contexts_of(facts, now)
    touched = _touched(((c, c) for c in facts), contexts, frozenset({"feedback_coverage"}))
    if not touched:
        return 0
    times_after: dict[int, list[dt.datetime]] = defaultdict(list)
    for lead_id, created_at in Feedback.objects.filter(lead_id__in=lead_ids).values_list(
        "lead_id", "created_at"
    ):
        times_after[lead_id].append(created_at)
    times_before = {lead_id: list(times) for lead_id, times in times_after.items()}
    if after is not None:
        times_before[after[0]].remove(after[1])
    if before is not None:
        times_before.setdefault(before[0], []).append(before[1])
    return _adjust(touched, contexts, feedback=(times_before, times_after), now=now)
