"""Reads of the visitor stage: counts of an agreement, and the facts of `visitor_to_lead`
per period (docs/compliance.md#visitor_to_lead)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, Sum

from leads.models import Lead
from leads.visitors.models import VisitorCount
from slas.periods import Period


def visitor_facts(
    agreement_id: int, periods: Iterable[Period], tz: str = "UTC"
) -> dict[dt.datetime, tuple[int, int]]:
    """Per period start: (leads of the agreement created in the period, visitors counted
    for the months the period covers, its local months in ``tz``)."""
    periods = list(periods)
    if not periods:
        return {}
    zone = ZoneInfo(tz)
    months, created = {}, {}
    for i, period in enumerate(periods):
        first = period.start.astimezone(zone).date()
        last = (period.end - dt.timedelta(microseconds=1)).astimezone(zone).date()
        months[f"p{i}"] = Sum(
            "visitors", filter=Q(month__gte=first.replace(day=1), month__lte=last)
        )
        created[f"p{i}"] = Count(
            "id", filter=Q(created_at__gte=period.start, created_at__lt=period.end)
        )
    # Two queries for all the periods (a page asks for every period of a version).
    visitors = VisitorCount.objects.filter(agreement_id=agreement_id).aggregate(**months)
    leads = Lead.objects.filter(
        agreement_id=agreement_id,
        created_at__gte=min(p.start for p in periods),
        created_at__lt=max(p.end for p in periods),
    ).aggregate(**created)
    return {
        period.start: (leads[f"p{i}"], visitors[f"p{i}"] or 0) for i, period in enumerate(periods)
    }


def visitor_counts_of(agreement_id: int):
    return VisitorCount.objects.filter(agreement_id=agreement_id).select_related("updated_by")
