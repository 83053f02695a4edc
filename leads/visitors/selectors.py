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
    for the months the period covers, its local months in ``tz``). Two queries, whatever
    the number of periods."""
    zone = ZoneInfo(tz)
    spans = [
        (
            period,
            period.start.astimezone(zone).date().replace(day=1),
            (period.end - dt.timedelta(microseconds=1)).astimezone(zone).date(),
        )
        for period in periods
    ]
    if not spans:
        return {}
    by_month = dict(
        VisitorCount.objects.filter(
            agreement_id=agreement_id,
            month__gte=min(first for _p, first, _l in spans),
            month__lte=max(last for _p, _f, last in spans),
        )
        .values_list("month")
        .annotate(n=Sum("visitors"))
        .values_list("month", "n")
    )
    leads = Lead.objects.filter(
        agreement_id=agreement_id,
        created_at__gte=min(p.start for p, _f, _l in spans),
        created_at__lt=max(p.end for p, _f, _l in spans),
    ).aggregate(
        **{
            f"p{i}": Count("id", filter=Q(created_at__gte=p.start, created_at__lt=p.end))
            for i, (p, _f, _l) in enumerate(spans)
        }
    )
    return {
        period.start: (
            leads[f"p{i}"],
            sum(n or 0 for month, n in by_month.items() if first <= month <= last),
        )
        for i, (period, first, last) in enumerate(spans)
    }


def visitor_counts_of(agreement_id: int):
    return VisitorCount.objects.filter(agreement_id=agreement_id).select_related("updated_by")
