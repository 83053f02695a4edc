"""The monthly report of an agreement: goal progress, the funnel of the month's handoffs, rejection reasons and each commitment's result in the month (docs/compliance.md#monthly-report)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from leads.models import Cycle
from leads.reviews.models import Feedback
from reports.incentives import IncentiveReport, version_incentives
from reports.selectors import VersionCompliance, compliance_for_versions
from slas.models import ReasonCode, Version
from slas.periods import Period

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
    # The monthly incentive rules of the version in force at the end of the month.
    incentives: IncentiveReport | None = None


def agreement_timezone(agreement_id: int) -> str:
    latest = (
        Version.objects.filter(agreement_id=agreement_id)
        .order_by("-in_force_from", "-number")
        .values_list("calendar_timezone", flat=True)
        .first()
    )
    return latest or "UTC"


def monthly_report(
    agreement, period: Period, *, now: dt.datetime | None = None, with_incentives: bool = False
) -> MonthlyReport:
    """The review meeting's pack for one month: goal progress, funnel conversion
    of the month's handoffs, both scorecards of every version in force during the
    month, top rejection reasons and feedback; with `with_incentives` (for readers
    `permissions.can_view_incentives` lets see them), the month's incentives."""
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
        incentives=_incentives(version, period, now) if with_incentives else None,
    )


def _incentives(version: Version | None, period: Period, now: dt.datetime):
    """The month's incentive report, when the version has monthly rules."""
    if version is None or not version.incentives.filter(period="month").exists():
        return None
    return version_incentives(version, period, now=now)


def _no_reason() -> str:
    from django.utils.translation import gettext

    return gettext("(no reason given)")
