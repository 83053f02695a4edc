"""Compliance reads: the one selector behind the pages, the API and the exports.

``compliance_for_versions`` returns, for each version, both parties' scorecards:
every commitment in every period the version was in force, with actual, target,
status and the sizes of the cycle lists behind the number. Results come from the
pure engine (reports.engine) and are stored in ``ComplianceResult``; a render
reads the stored rows (a fixed number of queries whatever the data size) and
recomputes only the rows that are missing, stale or expired (see
reports.models); a recomputed row is stored only if the facts behind it did not
change while it was computed (``FactsRevision``). ``commitment_breakdown``
evaluates one commitment in one period live, for the drill-down lists (with time
left on open clocks).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from leads.cycles import STAGE_RANK, CycleFacts
from leads.models import Cycle
from leads.reviews.models import Feedback
from reports.engine import KINDS, CommitmentSpec, MetricResult, evaluate
from reports.models import ComplianceResult, FactsRevision
from reports.services import results_store
from slas.calendars import version_calendar
from slas.clock import BusinessCalendar
from slas.models import Commitment, Holiday, ReasonCode, Version
from slas.periods import Period, period_containing, periods_between
from slas.selectors import agreement_list_for as agreements

# Bump when the engine's meaning changes, so stored results are recomputed.
ENGINE_REVISION = "1"

STAGE_COLUMNS = {
    "sal": "sal_at",
    "sql": "sql_at",
    "opportunity": "opportunity_at",
    "won": "won_at",
    "lost": "lost_at",
}
CYCLE_FIELDS = (
    "id",
    "lead_id",
    "number",
    "handoff_event_id",
    "handoff_at",
    "ended_at",
    "version_id",
    "first_contact_at",
    "clock_stop_at",
    "clock_stop_kind",
    "accepted_at",
    "rejected_at",
    "rejected_to",
    "rejected_reason_code",
    *STAGE_COLUMNS.values(),
    "sales_recycle_at",
    "sales_recycle_from",
    "attempts_before_sales_recycle",
    "attempts",
    "exits",
)

# The engine's cycle lists per kind; the first is what a scorecard cell links to.
BUCKETS = {
    "mql_volume": ("counted",),
    "first_contact_within": ("breached", "at_risk", "open", "met"),
    "acceptance_rate": ("rejected", "accepted", "undecided"),
    "attempts_before_recycle": ("short", "met"),
    "reason_documented": ("undocumented", "documented"),
    "feedback_coverage": ("uncovered", "covered"),
    "conversion_rate": ("not_converted", "converted"),
}
assert set(BUCKETS) == KINDS


# Facts ------------------------------------------------------------------------


def facts_from_row(row: dict) -> CycleFacts:
    """A stored Cycle row (as a dict of CYCLE_FIELDS) as the engine's CycleFacts."""
    stage_entered = {"mql": row["handoff_at"]}
    for stage, column in STAGE_COLUMNS.items():
        if row[column] is not None:
            stage_entered[stage] = row[column]
    exits = []
    for at, to, reason in row["exits"] or ():
        when = dt.datetime.fromisoformat(at)
        exits.append((when, to, reason))
        if to not in stage_entered or when < stage_entered[to]:
            stage_entered[to] = when
    return CycleFacts(
        number=row["number"],
        handoff_event_id=row["handoff_event_id"],
        handoff_at=row["handoff_at"],
        ended_at=row["ended_at"],
        version_id=row["version_id"],
        lead_id=row["lead_id"],
        first_contact_at=row["first_contact_at"],
        clock_stop_at=row["clock_stop_at"],
        clock_stop_kind=row["clock_stop_kind"],
        rejected_at=row["rejected_at"],
        rejected_to=row["rejected_to"],
        rejected_reason_code=row["rejected_reason_code"],
        accepted_at=row["accepted_at"],
        stage_entered=stage_entered,
        sales_recycle_at=row["sales_recycle_at"],
        sales_recycle_from=row["sales_recycle_from"],
        attempts_before_sales_recycle=row["attempts_before_sales_recycle"] or 0,
        contact_attempts=row["attempts"],
        exits=exits,
    )


# Versions as the engine sees them -------------------------------------------------


@dataclass
class CommitmentContext:
    commitment: Commitment
    spec: CommitmentSpec
    spec_hash: str
    periods: list[Period]


@dataclass
class VersionContext:
    version: Version
    calendar: BusinessCalendar
    in_force: tuple[dt.datetime, dt.datetime | None] | None
    reason_codes: list[str]
    commitments: list[CommitmentContext]


def commitment_spec(
    commitment: Commitment, version: Version, reason_codes: Iterable[str]
) -> CommitmentSpec:
    """The engine's view of a commitment. A first-contact commitment without an
    ``hours`` parameter uses the version's first-contact window; reason_documented
    always uses the version's reason codes."""
    params = dict(commitment.params or {})
    if commitment.kind == "first_contact_within":
        params.setdefault("hours", str(version.first_contact_hours))
    if commitment.kind == "reason_documented":
        params["reason_codes"] = sorted(reason_codes)
    return CommitmentSpec(
        id=commitment.pk,
        kind=commitment.kind,
        target=commitment.target,
        period=commitment.period,
        params=params,
        version_id=version.pk,
    )


def _spec_hash(spec: CommitmentSpec, ctx_in_force, calendar: BusinessCalendar) -> str:
    payload = {
        "engine": ENGINE_REVISION,
        "kind": spec.kind,
        "target": str(spec.target),
        "period": spec.period,
        "params": {k: str(v) if not isinstance(v, list) else v for k, v in spec.params.items()},
        "in_force": [t.isoformat() if t else None for t in (ctx_in_force or (None, None))],
        "calendar": [
            calendar.tz,
            sorted(calendar.working_days),
            calendar.start.isoformat(),
            calendar.end.isoformat(),
            sorted(d.isoformat() for d in calendar.holidays),
        ],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def version_periods(version: Version, tz: str, kind: str, now: dt.datetime) -> list[Period]:
    """Periods (chronological) the version was in force, up to ``now``."""
    if version.in_force_from is None or version.in_force_from > now:
        return []
    end = version.in_force_until if version.in_force_until is not None else now
    return periods_between(tz, kind, version.in_force_from, min(end, now))  # type: ignore[arg-type]


def version_contexts(versions: list[Version], now: dt.datetime) -> dict[int, VersionContext]:
    """Commitments, calendars and reason codes of several versions in three queries."""
    ids = [v.pk for v in versions]
    holidays: dict[int, list[dt.date]] = defaultdict(list)
    for version_id, day in Holiday.objects.filter(version_id__in=ids).values_list(
        "version_id", "date"
    ):
        holidays[version_id].append(day)
    codes: dict[int, list[str]] = defaultdict(list)
    for version_id, code in ReasonCode.objects.filter(version_id__in=ids).values_list(
        "version_id", "code"
    ):
        codes[version_id].append(code)
    commitments: dict[int, list[Commitment]] = defaultdict(list)
    for commitment in (
        Commitment.objects.filter(version_id__in=ids)
        .select_related("owner_team")
        .order_by("position", "id")
    ):
        commitments[commitment.version_id].append(commitment)
    contexts = {}
    for version in versions:
        calendar = version_calendar(version, holidays[version.pk])
        in_force = (
            (version.in_force_from, version.in_force_until) if version.in_force_from else None
        )
        lines = []
        for commitment in commitments[version.pk]:
            spec = commitment_spec(commitment, version, codes[version.pk])
            lines.append(
                CommitmentContext(
                    commitment=commitment,
                    spec=spec,
                    spec_hash=_spec_hash(spec, in_force, calendar),
                    periods=version_periods(version, calendar.tz, spec.period, now),
                )
            )
        contexts[version.pk] = VersionContext(
            version=version,
            calendar=calendar,
            in_force=in_force,
            reason_codes=codes[version.pk],
            commitments=lines,
        )
    return contexts


# Evaluation -----------------------------------------------------------------------


def _needs_late_entries(specs: Iterable[CommitmentSpec]) -> bool:
    """conversion_rate from a stage after mql counts cycles by the period they
    entered it, which may come after the period of their handoff."""
    for spec in specs:
        if spec.kind == "conversion_rate":
            rank = STAGE_RANK.get(str(spec.params.get("from_stage", "")), 99)
            if rank > STAGE_RANK["mql"]:
                return True
    return False


def _cycle_queryset(
    *,
    version_id: int | None,
    agreement_id: int | None = None,
    in_force: tuple[dt.datetime, dt.datetime | None] | None = None,
    start: dt.datetime,
    end: dt.datetime,
    late_entries: bool,
):
    """Cycles handed off or (late_entries) entering a stage in [start, end). With
    ``in_force``, only cycles handed off inside it: a cycle whose stored version has
    not been re-governed yet (reports.facts.cycles_regovern) is never scored."""
    qs = Cycle.objects.all()
    if version_id is not None:
        qs = qs.filter(version_id=version_id)
    if in_force is not None:
        qs = qs.filter(handoff_at__gte=in_force[0])
        if in_force[1] is not None:
            qs = qs.filter(handoff_at__lt=in_force[1])
    if agreement_id is not None:
        qs = qs.filter(agreement_id=agreement_id)
    if late_entries:
        entered = Q(handoff_at__gte=start)
        for column in STAGE_COLUMNS.values():
            entered |= Q(**{f"{column}__gte": start, f"{column}__lt": end})
        return qs.filter(entered, handoff_at__lt=end)
    return qs.filter(handoff_at__gte=start, handoff_at__lt=end)


def load_facts(qs, *, with_feedback: bool) -> tuple[list[CycleFacts], dict[int, list]]:
    """CycleFacts of the cycles in ``qs`` and, if asked, feedback times per lead
    of the cycles that left the funnel (two queries)."""
    facts = [facts_from_row(row) for row in qs.values(*CYCLE_FIELDS).iterator(chunk_size=5000)]
    feedback: dict[int, list] = defaultdict(list)
    if with_feedback and facts:
        exited = qs.exclude(exits=[]).values("lead_id")
        for lead_id, created_at in Feedback.objects.filter(lead_id__in=exited).values_list(
            "lead_id", "created_at"
        ):
            feedback[lead_id].append(created_at)
    return facts, feedback


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


def ungoverned_counts(agreement_ids: Iterable[int]) -> dict[int, int]:
    """Handoffs of each agreement made while no version was in force."""
    return dict(
        Cycle.objects.filter(agreement_id__in=list(agreement_ids), version__isnull=True)
        .values_list("agreement_id")
        .annotate(n=Count("id"))
        .values_list("agreement_id", "n")
    )


def compliance_for_versions(
    versions: list[Version], *, now: dt.datetime | None = None
) -> dict[int, VersionCompliance]:
    """Both parties' scorecards of each version (see module docstring)."""
    now = now or timezone.now()
    contexts = version_contexts(versions, now)
    results = results_for(contexts, now)
    ungoverned = ungoverned_counts({v.agreement_id for v in versions})
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


def ungoverned_cycles(agreement_id: int):
    return (
        Cycle.objects.filter(agreement_id=agreement_id, version__isnull=True)
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


@dataclass
class WhatIfLine:
    commitment: Commitment
    spec: CommitmentSpec
    result: MetricResult
    then: list[tuple[Version, CommitmentLine, ComplianceResult | None]]


@dataclass
class WhatIf:
    draft: Version
    period: Period
    lines: list[WhatIfLine]
    cycles: int
    then_versions: list[Version]


def _same_promise(a: CommitmentSpec, b: CommitmentSpec) -> bool:
    if a.kind != b.kind:
        return False
    if a.kind == "conversion_rate":
        return (a.params.get("from_stage"), a.params.get("to_stage")) == (
            b.params.get("from_stage"),
            b.params.get("to_stage"),
        )
    return True


def whatif(draft: Version, period: Period, *, now: dt.datetime | None = None) -> WhatIf:
    """Evaluate a draft's commitments on the cycles of its agreement handed off in a
    past period, whatever version governed them (or none), as if the draft had been
    in force for the whole period: its calendar, first-contact window, reason codes
    and targets (no proration). Each commitment uses the period of its own kind that
    contains the chosen period's start. Side by side: what the versions in force
    during the period scored for the same promise (same kind; same stages for
    conversions)."""
    now = now or timezone.now()
    ctx = version_contexts([draft], now)[draft.pk]
    own_periods = {
        line.commitment.pk: period_containing(ctx.calendar.tz, line.spec.period, period.start)  # type: ignore[arg-type]
        for line in ctx.commitments
    }
    lo = min([period.start, *(p.start for p in own_periods.values())])
    hi = max([period.end, *(p.end for p in own_periods.values())])
    specs = [line.spec for line in ctx.commitments]
    qs = _cycle_queryset(
        version_id=None,
        agreement_id=draft.agreement_id,
        start=lo,
        end=hi,
        late_entries=_needs_late_entries(specs),
    )
    facts, feedback = load_facts(
        qs, with_feedback=any(s.kind == "feedback_coverage" for s in specs)
    )
    for c in facts:
        c.version_id = draft.pk  # re-governed by the draft
    then_versions = list(
        Version.objects.filter(agreement_id=draft.agreement_id, in_force_from__lt=period.end)
        .filter(Q(in_force_until__isnull=True) | Q(in_force_until__gt=period.start))
        .exclude(pk=draft.pk)
        .select_related("agreement")
        .order_by("in_force_from")
    )
    then = compliance_for_versions(then_versions, now=now) if then_versions else {}
    lines = []
    handed_off = sum(1 for c in facts if period.contains(c.handoff_at))
    for line in ctx.commitments:
        own = own_periods[line.commitment.pk]
        result = evaluate(
            line.spec,
            own,
            facts,
            calendar=ctx.calendar,
            in_force=(own.start, own.end),
            now=now,
            feedback_at=feedback,
        )
        matches = []
        for version in then_versions:
            comp = then[version.pk]
            match = next((x for x in comp.lines if _same_promise(x.spec, line.spec)), None)
            if match is not None:
                matches.append((version, match, match.result(own.label)))
        lines.append(WhatIfLine(line.commitment, line.spec, result, matches))
    return WhatIf(draft, period, lines, handed_off, then_versions)


# Monthly report ----------------------------------------------------------------------


@dataclass
class FunnelStep:
    stage: str
    count: int
    rate: float | None  # share of the previous step, percent


@dataclass
class MonthlyReport:
    agreement: object
    period: Period
    version: Version | None  # in force at the end of the month (or last during it)
    compliances: list[VersionCompliance]
    funnel: list[FunnelStep]
    won: int
    won_needed: int | None
    revenue: object | None
    revenue_goal: object | None
    reasons: list[tuple[str, str, int]]  # (code, label, count)
    feedback_count: int
    feedback_rating: float | None
    now: dt.datetime


def agreement_timezone(agreement_id: int) -> str:
    latest = (
        Version.objects.filter(agreement_id=agreement_id)
        .order_by("-in_force_from", "-number")
        .values_list("calendar_timezone", flat=True)
        .first()
    )
    return latest or "UTC"


def monthly_report(agreement, period: Period, *, now: dt.datetime | None = None) -> MonthlyReport:
    """The review meeting's pack for one month: goal progress, funnel conversion
    of the month's handoffs, both scorecards of every version in force during the
    month, top rejection reasons and feedback."""
    import math

    from django.db.models import Avg

    now = now or timezone.now()
    versions = list(
        Version.objects.filter(agreement=agreement, in_force_from__lt=period.end)
        .filter(Q(in_force_until__isnull=True) | Q(in_force_until__gt=period.start))
        .select_related("agreement")
        .order_by("in_force_from")
    )
    comps = compliance_for_versions(versions, now=now) if versions else {}
    version = versions[-1] if versions else None
    month = Cycle.objects.filter(
        agreement=agreement, handoff_at__gte=period.start, handoff_at__lt=period.end
    )
    counts = month.aggregate(
        mql=Count("id"),
        sal=Count(
            "id",
            filter=Q(sal_at__isnull=False)
            | Q(sql_at__isnull=False)
            | Q(opportunity_at__isnull=False)
            | Q(won_at__isnull=False)
            | Q(lost_at__isnull=False),
        ),
        sql=Count(
            "id",
            filter=Q(sql_at__isnull=False)
            | Q(opportunity_at__isnull=False)
            | Q(won_at__isnull=False)
            | Q(lost_at__isnull=False),
        ),
        opportunity=Count(
            "id",
            filter=Q(opportunity_at__isnull=False)
            | Q(won_at__isnull=False)
            | Q(lost_at__isnull=False),
        ),
        won=Count("id", filter=Q(won_at__isnull=False)),
    )
    funnel = []
    previous = None
    for stage in ("mql", "sal", "sql", "opportunity", "won"):
        n = counts[stage]
        rate = 100.0 * n / previous if previous else None
        funnel.append(FunnelStep(stage, n, rate))
        previous = n
    won = Cycle.objects.filter(
        agreement=agreement, won_at__gte=period.start, won_at__lt=period.end
    ).count()
    won_needed = revenue = revenue_goal = None
    if version is not None and version.revenue_goal_amount and version.avg_deal_size:
        months = version.revenue_goal_period_months or 12
        revenue_goal = version.revenue_goal_amount / months
        won_needed = math.ceil(version.revenue_goal_amount / version.avg_deal_size / months)
        revenue = version.avg_deal_size * won
    labels = {}
    for code, label in ReasonCode.objects.filter(version__agreement=agreement).values_list(
        "code", "label"
    ):
        labels.setdefault(code, label)
    reasons = [
        (code, labels.get(code, code or _no_reason()), n)
        for code, n in Cycle.objects.filter(
            agreement=agreement, rejected_at__gte=period.start, rejected_at__lt=period.end
        )
        .values_list("rejected_reason_code")
        .annotate(n=Count("id"))
        .order_by("-n", "rejected_reason_code")
        .values_list("rejected_reason_code", "n")[:8]
    ]
    feedback = Feedback.objects.filter(
        lead__agreement=agreement, created_at__gte=period.start, created_at__lt=period.end
    ).aggregate(n=Count("id"), rating=Avg("rating"))
    return MonthlyReport(
        agreement=agreement,
        period=period,
        version=version,
        compliances=[comps[v.pk] for v in versions],
        funnel=funnel,
        won=won,
        won_needed=won_needed,
        revenue=revenue,
        revenue_goal=revenue_goal,
        reasons=reasons,
        feedback_count=feedback["n"],
        feedback_rating=feedback["rating"],
        now=now,
    )


def _no_reason() -> str:
    from django.utils.translation import gettext

    return gettext("(no reason given)")


__all__ = [
    "BUCKETS",
    "Breakdown",
    "CommitmentLine",
    "Scorecard",
    "VersionCompliance",
    "commitment_breakdown",
    "compliance_for_versions",
    "facts_from_row",
    "period_containing",
    "version_compliance",
]
