"""Stored results follow the facts: the versions' `FactsRevision` is bumped by every change of the facts behind their results, so a reader that computed from the old facts does not store its result (see reports.models); a writer that does not know the old cycles (leads.signals.cycles_changed with `touched`) drops the stored results it may have fed. Writers that know them adjust the rows instead (reports.results)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import F, Q

from reports.models import ComplianceResult, FactsRevision
from slas.selectors import generation_replace

#: A completed month's figures of the monthly report counted from the cycles and the
#: feedback (reports.monthly) are kept in the shared cache under this generation, which
#: every write of the cycles' columns they read (`MONTH_COLUMNS`) and of feedback replaces.
MONTH_FIGURES_GENERATION = "reports:month:token"
MONTH_COLUMNS = (
    "agreement_id",
    "handoff_at",
    "sal_at",
    "sql_at",
    "opportunity_at",
    "won_at",
    "lost_at",
    "rejected_at",
    "rejected_reason_code",
)


def month_figures_changed() -> None:
    """Cycles or feedback a monthly report counts were written: the months' figures kept
    under the present generation are not read again."""
    generation_replace(MONTH_FIGURES_GENERATION)


def facts_revision_bump(version_ids: Iterable[int]) -> None:
    """Count one more change of the facts behind these versions' stored results. Call
    it before dropping their rows, in the transaction that changes the facts: the bump
    holds the revision rows' locks until commit, so a reader storing results from the
    old facts either sees the new revision (and stores nothing) or stores first and
    has its rows dropped (see reports.models)."""
    ids = sorted({version_id for version_id in version_ids if version_id is not None})
    if not ids:
        return
    FactsRevision.objects.bulk_create(
        [FactsRevision(version_id=version_id, value=0) for version_id in ids],
        ignore_conflicts=True,
    )
    FactsRevision.objects.filter(version_id__in=ids).update(value=F("value") + 1)


def results_invalidate(touched: Iterable[tuple[int | None, dt.datetime]]) -> None:
    """Drop stored results of each version from the period of its earliest touched
    handoff onwards: a cycle counts in the period of its handoff, or (conversion
    rates) of a later stage entry, never earlier. Bumps the versions' facts revision
    first."""
    earliest: dict[int, dt.datetime] = {}
    for version_id, handoff_at in touched:
        if version_id is not None and (
            version_id not in earliest or handoff_at < earliest[version_id]
        ):
            earliest[version_id] = handoff_at
    if not earliest:
        return
    facts_revision_bump(earliest)
    condition = Q()
    for version_id, handoff_at in earliest.items():
        condition |= Q(version_id=version_id, period_end__gt=handoff_at)
    ComplianceResult.objects.filter(condition).delete()
