"""What a commitment is evaluated on: its spec (kind, target, period, parameters), its version's context (calendar, in-force interval, periods) and the cycle facts loaded for it. Pure reads; docs/compliance.md defines each figure."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from leads.cycles import STAGE_RANK, CycleFacts
from leads.models import Cycle
from leads.reviews.models import Feedback
from reports.engine import KINDS, CommitmentSpec
from slas.calendars import version_calendar
from slas.clock import BusinessCalendar
from slas.frozen import frozen_parts, version_frozen_key
from slas.governing import holidays_of
from slas.models import Commitment, ReasonCode, Version
from slas.periods import Period, periods_between

# Bump when the engine's meaning changes, so stored results are recomputed.
ENGINE_REVISION = "3"  # 2: exact clocks; 3: attempts_before_recycle lists "overridden"

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
    "sales_recycle_override",
    "attempts",
    "exits",
)

# The engine's cycle lists per kind; the first is what a scorecard cell links to.
BUCKETS = {
    "mql_volume": ("counted",),
    "first_contact_within": ("breached", "at_risk", "open", "met"),
    "acceptance_rate": ("rejected", "accepted", "undecided"),
    "attempts_before_recycle": ("short", "overridden", "met"),
    "reason_documented": ("undocumented", "documented"),
    "feedback_coverage": ("uncovered", "covered"),
    "conversion_rate": ("not_converted", "converted"),
    "visitor_to_lead": ("counted",),  # no cycles behind it: leads and entered counts
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
        sales_recycle_override=row["sales_recycle_override"],
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
        # in UTC: the same instants hash the same whatever zone the objects carry (a
        # version read in another process, or set in its calendar's zone)
        "in_force": [
            t.astimezone(dt.UTC).isoformat() if t else None for t in (ctx_in_force or (None, None))
        ],
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
    # The parts of a version out of draft never change (slas.frozen): holidays and
    # reason codes from the shared cache. Commitments name their owner team, whose name
    # may change: read each time.
    keys = {v.pk: version_frozen_key(v) for v in versions}
    holidays = holidays_of(ids, keys)
    codes = frozen_parts("reason-codes-1", ids, keys, _reason_codes_load, empty=[])
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


def _reason_codes_load(version_ids: list[int]) -> dict[int, list[str]]:
    codes: dict[int, list[str]] = defaultdict(list)
    rows = ReasonCode.objects.filter(version_id__in=version_ids).values_list("version_id", "code")
    for version_id, code in rows:
        codes[version_id].append(code)
    return codes


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
