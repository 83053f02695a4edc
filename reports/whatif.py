"""What-if: a draft's commitments evaluated on a completed period as if the draft had been in force all period, next to the versions that were (docs/compliance.md#what-if)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from reports.engine import CommitmentSpec, MetricResult, evaluate
from reports.models import ComplianceResult
from reports.selectors import CommitmentLine, compliance_for_versions
from reports.specs import _cycle_queryset, _needs_late_entries, load_facts, version_contexts
from slas.models import Commitment, Version
from slas.periods import Period, period_containing


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
