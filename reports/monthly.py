"""The monthly report of an agreement: goal progress, the funnel of the month's handoffs, rejection reasons and each commitment's result in the month (docs/compliance.md#monthly-report)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from leads.models import Cycle, Lead
from leads.reviews.models import Feedback
from portal import numbers
from reports.facts import MONTH_FIGURES_GENERATION
from reports.incentives import IncentiveReport, version_incentives
from reports.selectors import VersionCompliance, compliance_for_versions
from slas import funnel as planner
from slas.glossary import Glossary, version_glossary
from slas.models import ReasonCode, Version
from slas.periods import Period, period_containing
from slas.selectors import funnel_rates_for, generation_token

# Monthly report ----------------------------------------------------------------------

#: How long a completed month's figures are kept at most (the generation is what keeps
#: them right; this only bounds a token a failed cache write left in place).
MONTH_CACHE_SECONDS = 600


@dataclass
class FunnelStep:
    stage: str
    count: int
    rate: float | None  # share of the previous step, percent


@dataclass
class GoalProgress:
    """The revenue goal in two comparisons of like with like: the month against the
    month's share of the goal, and the goal period so far against the goal so far. Won
    deals count in the month they were won; revenue is won deals × the average deal."""

    currency: str
    goal_amount: Decimal
    goal_months: int
    deal_size: Decimal
    start: dt.date  # first day of the goal period (the month the version takes effect)
    running: bool  # the month is not over: its figures are to date
    month_won: int
    month_needed: int  # ceil(goal deals / goal months)
    month_revenue: Decimal
    month_goal: Decimal  # goal / goal months
    elapsed_months: int  # months of the goal period up to and including this one
    to_date_won: int
    to_date_needed: int  # ceil(goal deals × elapsed / goal months)
    to_date_revenue: Decimal
    to_date_goal: Decimal  # goal × elapsed / goal months


@dataclass
class MqlVolumePlan:
    """MQLs a month three ways: what the planner says the revenue goal needs (the
    agreement's measured conversion rates), what the commitment promises, what arrived."""

    planner: int
    commitment: int | None  # a month's worth of the version's mql_volume target
    arrived: int
    won_per_mql: Decimal  # the planner's chance that an MQL becomes a won deal
    explanation: str


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
    # The stage definitions of `version` (slas.glossary): the words the funnel is read in.
    glossary: Glossary | None = None
    goal: GoalProgress | None = None
    volume: MqlVolumePlan | None = None
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
    now = now or timezone.now()
    versions = list(
        Version.objects.filter(agreement=agreement, in_force_from__lt=period.end)
        .filter(Q(in_force_until__isnull=True) | Q(in_force_until__gt=period.start))
        .select_related("agreement")
        .order_by("in_force_from")
    )
    comps = compliance_for_versions(versions, now=now) if versions else {}
    version = versions[-1] if versions else None
    figures = month_figures(agreement, period, goal_start=_goal_start(version, period), now=now)
    counts = figures["funnel"]
    funnel = []
    previous = None
    for stage in ("mql", "sal", "sql", "opportunity", "won"):
        n = counts[stage]
        rate = 100.0 * n / previous if previous else None
        funnel.append(FunnelStep(stage, n, rate))
        previous = n
    won = figures["won"]
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
    reasons = [(code, labels.get(code, code or _no_reason()), n) for code, n in figures["reasons"]]
    feedback = figures["feedback"]
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
        feedback_rating=feedback["total"] / feedback["rated"] if feedback["rated"] else None,
        now=now,
        glossary=version_glossary(version.pk) if version is not None else None,
        goal=goal_progress(version, period, now=now, wins=figures["wins"]),
        volume=mql_volume_plan(
            agreement, version, period, arrived=counts["mql"], running=period.end > now
        ),
        incentives=_incentives(version, period, now, comps.get(version.pk) if version else None)
        if with_incentives
        else None,
    )


def _months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from `start`'s month to `end`'s month, both included."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _goal_start_date(version: Version, period: Period) -> dt.date:
    """First day of the goal period: the month the version takes effect (else the
    report's month)."""
    if version.effective_date:
        return version.effective_date.replace(day=1)
    year, month = (int(part) for part in period.label.split("-"))
    return dt.date(year, month, 1)


def _goal_start(version: Version | None, period: Period) -> dt.datetime | None:
    """The instant the version's goal period starts, if it has a revenue goal (None
    without one: no wins to date are counted)."""
    if version is None or not version.revenue_goal_amount or not version.avg_deal_size:
        return None
    tz = version.calendar_timezone
    noon = dt.datetime.combine(_goal_start_date(version, period), dt.time(12), ZoneInfo(tz))
    return period_containing(tz, "month", noon).start


def goal_progress(
    version: Version | None, period: Period, *, now: dt.datetime, wins: dict[str, int]
) -> GoalProgress | None:
    """``wins``: the month's and the goal period's wins to date (`month_figures`)."""
    if version is None or not version.revenue_goal_amount or not version.avg_deal_size:
        return None
    goal, deal = version.revenue_goal_amount, version.avg_deal_size
    months = version.revenue_goal_period_months or 12
    year, month = (int(part) for part in period.label.split("-"))
    month_start = dt.date(year, month, 1)
    start = _goal_start_date(version, period)
    elapsed = max(0, min(months, _months_between(start, month_start)))
    month_won = wins["month"]
    to_date_won = wins["to_date"] if elapsed else 0
    goal_deals = goal / deal
    return GoalProgress(
        currency=version.revenue_goal_currency,
        goal_amount=goal,
        goal_months=months,
        deal_size=deal,
        start=start,
        running=period.end > now,
        month_won=month_won,
        month_needed=math.ceil(goal_deals / months),
        month_revenue=deal * month_won,
        month_goal=(goal / months).quantize(Decimal("0.01")),
        elapsed_months=elapsed,
        to_date_won=to_date_won,
        to_date_needed=math.ceil(goal_deals * elapsed / months),
        to_date_revenue=deal * to_date_won,
        to_date_goal=(goal * elapsed / months).quantize(Decimal("0.01")),
    )


def _monthly_commitment(version: Version) -> int | None:
    line = version.commitments.filter(kind="mql_volume").order_by("position", "id").first()
    if line is None:
        return None
    per_month = line.target / 3 if line.period == "quarter" else line.target
    return math.ceil(per_month)


def month_figures(
    agreement, period: Period, *, goal_start: dt.datetime | None, now: dt.datetime
) -> dict:
    """What the report counts in the cycles and feedback of ``period``: the funnel of its
    handoffs, the deals won in it (``won``: the whole month; ``wins``: the month and the
    goal period from ``goal_start``, both to ``now``), the top rejection reasons and the
    feedback on the agreement's leads (how many, how many rated, their ratings' sum).

    What a completed stretch of time holds is kept in the shared cache under the month
    figures' generation (reports.facts.month_figures_changed: replaced by every write of
    the cycles' columns they read and of feedback): a completed month's figures (counted,
    15-20 ms of its page at 1,000,000 events), and the goal period's wins before the month
    (counted, they read every won cycle since). A running month's own are counted on every
    read (time adds to them)."""
    if period.end <= now:
        return _kept(
            agreement,
            ("month", period.start, period.end, goal_start),
            lambda: _month_counted(agreement, period, goal_start=goal_start, now=now),
        )
    return _month_counted(agreement, period, goal_start=goal_start, now=now)


def _kept(agreement, parts: tuple, count):
    """``count()``, kept in the shared cache under ``parts`` and the month figures'
    generation (counted anew while the cache does not answer)."""
    token = generation_token(MONTH_FIGURES_GENERATION)
    if not token:
        return count()
    key = ":".join(
        (
            "reports:month:2",
            connection.settings_dict["NAME"],  # one cache may serve several databases
            str(agreement.pk),
            *(part.isoformat() if part else "" for part in parts[1:]),
            parts[0],
            token,
        )
    )
    found = cache.get(key)
    if found is None:
        found = count()
        cache.set(key, found, MONTH_CACHE_SECONDS)
    return found


#: A cycle's stages from SAL on; a lost deal had reached every stage before won.
_FROM_SAL = ("sal_at", "sql_at", "opportunity_at", "won_at", "lost_at")


def _reached(stage: str) -> Q:
    """Cycles that reached ``stage`` (a column of `_FROM_SAL`) or any later one."""
    q = Q()
    for column in _FROM_SAL[_FROM_SAL.index(stage) :]:
        q |= Q(**{f"{column}__isnull": False})
    return q


def _month_counted(
    agreement, period: Period, *, goal_start: dt.datetime | None, now: dt.datetime
) -> dict:
    month = Cycle.objects.filter(
        agreement=agreement, handoff_at__gte=period.start, handoff_at__lt=period.end
    )
    funnel = month.aggregate(
        mql=Count("id"),
        sal=Count("id", filter=_reached("sal_at")),
        sql=Count("id", filter=_reached("sql_at")),
        opportunity=Count("id", filter=_reached("opportunity_at")),
        won=Count("id", filter=Q(won_at__isnull=False)),
    )
    # The month's wins (to now in a running month); the goal period's to date are those
    # since its start in the month, and those before the month (kept: completed time).
    end = min(period.end, now)
    since = max(goal_start or period.start, period.start)
    wins = Cycle.objects.filter(
        agreement=agreement, won_at__gte=period.start, won_at__lt=period.end
    ).aggregate(
        whole=Count("id"),
        month=Count("id", filter=Q(won_at__lt=end)),
        to_date=Count("id", filter=Q(won_at__gte=since, won_at__lt=end)),
    )
    before = (
        _kept(
            agreement,
            ("won", goal_start, period.start),
            lambda: Cycle.objects.filter(
                agreement=agreement, won_at__gte=goal_start, won_at__lt=period.start
            ).count(),
        )
        if goal_start is not None and goal_start < period.start
        else 0
    )
    reasons = list(
        Cycle.objects.filter(
            agreement=agreement, rejected_at__gte=period.start, rejected_at__lt=period.end
        )
        .values_list("rejected_reason_code")
        .annotate(n=Count("id"))
        .order_by("-n", "rejected_reason_code")
        .values_list("rejected_reason_code", "n")[:8]
    )
    return {
        "funnel": funnel,
        "won": wins["whole"],
        "wins": {
            "month": wins["month"],
            "to_date": before + wins["to_date"] if goal_start is not None else 0,
        },
        "reasons": reasons,
        "feedback": _month_feedback(agreement, period),
    }


def _month_feedback(agreement, period: Period) -> dict:
    """The month's feedback on the agreement's leads: how many (``n``), how many rated
    (``rated``) and the sum of their ratings (``total``).

    One aggregate over the month's feedback rows (the created_at index), each row's lead
    looked up by primary key for its agreement (a scalar subquery, which PostgreSQL runs
    per row and does not turn into a join). Joined, PostgreSQL hashed every lead of the
    agreement (a scan of them all, 47-64 ms at 1,000,000 events) to keep a month's few
    thousand rows; read as rows and then checked by key, the month's rows and their ids
    travelled to Python and back (8-18 ms of a past month's page)."""
    lead_agreement = Subquery(
        Lead.objects.filter(pk=OuterRef("lead_id")).order_by().values("agreement_id")
    )
    found = (
        Feedback.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
        .alias(lead_agreement=lead_agreement)
        .filter(lead_agreement=agreement.pk)
        .order_by()
        .aggregate(n=Count("id"), rated=Count("rating"), total=Sum("rating"))
    )
    return found


def mql_volume_plan(
    agreement, version: Version | None, period: Period, *, arrived: int, running: bool = False
) -> MqlVolumePlan | None:
    """The planner's monthly MQLs for the version's goal beside its commitment, the gap
    said in words (the planner's page computes the same: slas.funnel.reverse_funnel with
    the rates slas.selectors.funnel_rates_for measures)."""
    if version is None or not version.revenue_goal_amount or not version.avg_deal_size:
        return None
    # The funnel's own rates from MQL on: the MQLs needed depend on neither the visitor
    # rate nor lead -> MQL (they only add the visitors and leads needed before the MQLs),
    # so neither is read (lead -> MQL counts every lead of the agreement).
    measured = funnel_rates_for(agreement, with_visitors=False, with_leads=False).rates
    rates = {key: measured[key] for key in planner.RATE_KEYS}
    months = version.revenue_goal_period_months or 12
    plan = planner.reverse_funnel(
        revenue_goal=version.revenue_goal_amount,
        avg_deal_size=version.avg_deal_size,
        rates=rates,
        periods=months,
    )
    won_per_mql = Decimal(1)
    for key in planner.RATE_KEYS[1:]:
        won_per_mql *= rates[key]
    needed = plan.per_period.mqls
    commitment = _monthly_commitment(version)
    one_in = max(1, round(1 / won_per_mql)) if won_per_mql else 0
    sentences = [
        ngettext(
            "The goal needs %(won)s won deal a month; at the conversion rates the planner uses "
            "for this agreement about 1 MQL in %(one_in)s becomes a won deal, so the "
            "planner asks for %(needed)s MQLs a month.",
            "The goal needs %(won)s won deals a month; at the conversion rates the planner uses "
            "for this agreement about 1 MQL in %(one_in)s becomes a won deal, so the "
            "planner asks for %(needed)s MQLs a month.",
            plan.per_period.won,
        )
        % {
            "won": numbers.number(plan.per_period.won),
            "one_in": numbers.number(one_in),
            "needed": numbers.number(needed),
        }
    ]
    if commitment is None:
        sentences.append(gettext("The version commits to no MQL volume."))
    elif commitment > needed:
        sentences.append(
            gettext(
                "The commitment of %(commitment)s is %(gap)s more: it asks for more MQLs "
                "than the revenue goal needs, so marketing can meet the goal's need and "
                "still miss the commitment."
            )
            % {"commitment": numbers.number(commitment), "gap": numbers.number(commitment - needed)}
        )
    elif commitment < needed:
        sentences.append(
            gettext(
                "The commitment of %(commitment)s is %(gap)s fewer: meeting the commitment "
                "alone does not bring the MQLs the revenue goal needs."
            )
            % {"commitment": numbers.number(commitment), "gap": numbers.number(needed - commitment)}
        )
    else:
        sentences.append(gettext("The commitment asks for exactly what the goal needs."))
    bars = sorted({needed, commitment} - {None})
    if arrived >= bars[-1]:
        meets = gettext("enough for both") if len(bars) > 1 else gettext("enough")
    elif arrived >= bars[0]:
        meets = (
            gettext("enough for the goal's need, short of the commitment")
            if needed <= arrived
            else gettext("enough for the commitment, short of the goal's need")
        )
    else:
        meets = gettext("short of both") if len(bars) > 1 else gettext("short of it")
    sentences.append(
        (
            gettext("So far this month %(arrived)s MQLs arrived: %(meets)s.")
            if running
            else gettext("This month %(arrived)s MQLs arrived: %(meets)s.")
        )
        % {"arrived": numbers.number(arrived), "meets": meets}
    )
    return MqlVolumePlan(
        planner=needed,
        commitment=commitment,
        arrived=arrived,
        won_per_mql=won_per_mql,
        explanation=" ".join(sentences),
    )


def _incentives(version: Version | None, period: Period, now: dt.datetime, comp):
    """The month's incentive report, when the version has monthly rules (``comp``: the
    version's compliance the report already read)."""
    if version is None or not version.incentives.filter(period="month").exists():
        return None
    return version_incentives(version, period, now=now, comp=comp)


def _no_reason() -> str:
    return gettext("(no reason given)")
