"""Reads of the visitor stage: counts of an agreement, and the facts of `visitor_to_lead`
per period (docs/compliance.md#visitor_to_lead)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.db.models import Sum

from leads.models import Lead
from leads.visitors.models import VisitorCount
from slas.periods import Period


def visitor_facts(
    agreement_id: int, periods: Iterable[Period], tz: str = "UTC"
) -> dict[dt.datetime, tuple[int, int]]:
    """Per period start: (leads of the agreement created in the period, visitors counted
    for the months the period covers, its local months in ``tz``)."""
    out = {}
    zone = ZoneInfo(tz)
    for period in periods:
        first = period.start.astimezone(zone).date()
        last = (period.end - dt.timedelta(microseconds=1)).astimezone(zone).date()
        visitors = VisitorCount.objects.filter(
            agreement_id=agreement_id, month__gte=first.replace(day=1), month__lte=last
        ).aggregate(n=Sum("visitors"))["n"]
        leads = Lead.objects.filter(
            agreement_id=agreement_id, created_at__gte=period.start, created_at__lt=period.end
        ).count()
        out[period.start] = (leads, visitors or 0)
    return out


def visitor_counts_of(agreement_id: int):
    return VisitorCount.objects.filter(agreement_id=agreement_id).select_related("updated_by")
