"""The incentives pages of a version: what each party team has earned in a period and
would earn at the current pace, the deals behind each figure, and the payroll CSV
(docs/incentives.md). Managers of a party team and execs only
(`permissions.can_view_incentives`); others who can see the version get a 403, the rest a 404."""

from __future__ import annotations

import io

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from leads.models import Cycle
from portal import csvsafe, permissions
from reports import incentives as engine
from reports import presenters
from slas.models import IncentiveMeasure

CONDITION_TONES = {
    "none": "neutral",
    "met": "met",
    "pending": "on_track",
    "at_risk": "at_risk",
    "failed": "missed",
}


def _version(request, pk: int):
    version = permissions.get_visible_or_404(
        permissions.visible_versions(request.user).select_related("agreement"), pk=pk
    )
    permissions.require(permissions.can_view_incentives(request.user, version.agreement))
    return version


def _period(version, label: str | None, now):
    periods = engine.incentive_periods(version, now=now)
    if label is None:
        return periods, (periods[0] if periods else None)
    return periods, next((p for p in periods if p.label == label), None)


def _row(version, result: engine.RuleResult) -> dict:
    rule = result.rule
    return {
        "result": result,
        "rule": rule,
        "units_url": reverse(
            "reports:incentive_leads", args=[version.pk, rule.pk, result.period.label]
        ),
        "condition_label": presenters.CONDITION_LABELS[result.condition],
        "condition_tone": CONDITION_TONES[result.condition],
        "failing": [
            presenters.commitment_title(s.kind, {}) if not s.title else s.title
            for s in result.failing
        ],
    }


@login_required
def incentives(request, pk: int):
    version = _version(request, pk)
    now = timezone.now()
    periods, period = _period(version, request.GET.get("period"), now)
    if period is None and request.GET.get("period") is not None:
        periods, period = _period(version, None, now)
    report = engine.version_incentives(version, period, now=now) if period else None
    teams = []
    if report is not None:
        for total in report.teams:
            teams.append(
                {"total": total, "rows": [_row(version, result) for result in total.results]}
            )
    return render(
        request,
        "reports/incentives.html",
        {
            "version": version,
            "agreement": version.agreement,
            "periods": periods,
            "period": period,
            "report": report,
            "teams": teams,
            "currency": version.revenue_goal_currency,
            "empty_reason": _empty_reason(version, now) if period is None else "",
        },
    )


def _empty_reason(version, now) -> str:
    if not version.in_force_from or version.in_force_from > now:
        return _("This version has not been in force: nothing is earned under it yet.")
    return _("This version has no incentive rules.")


@login_required
def incentive_leads(request, pk: int, rule_pk: int, label: str):
    version = _version(request, pk)
    rule = permissions.get_visible_or_404(
        version.incentives.select_related("owner_team"), pk=rule_pk
    )
    now = timezone.now()
    _periods, period = _period(version, label, now)
    if period is None or engine.period_kind(period) != rule.period:
        raise Http404
    report = engine.version_incentives(version, period, now=now)
    result = next(r for r in report.results if r.rule.pk == rule.pk)
    cycles = [
        c
        for c in Cycle.objects.filter(pk__in=result.cycle_ids)
        .select_related("lead", "owner")
        .order_by("won_at", "sql_at", "id")
        if permissions.can_view_lead(request.user, c.lead)
    ]
    commitments = list(
        version.commitments.filter(pk__in=result.commitment_ids).select_related("owner_team")
    )
    return render(
        request,
        "reports/incentive_leads.html",
        {
            "version": version,
            "agreement": version.agreement,
            "period": period,
            "row": _row(version, result),
            "rule": rule,
            "cycles": cycles,
            "commitments": commitments,
            "counts_deals": rule.measure in (IncentiveMeasure.WON_DEALS, IncentiveMeasure.REVENUE),
            "currency": version.revenue_goal_currency,
            "tz": version.calendar_timezone,
        },
    )


#: Payroll columns: stable English keys (a payroll import maps them once).
CSV_COLUMNS = [
    "agreement",
    "version",
    "period",
    "team",
    "rule",
    "pays_for",
    "units",
    "revenue",
    "amount_each",
    "rate_percent",
    "before_cap",
    "cap",
    "condition",
    "condition_status",
    "earned",
    "projected",
    "currency",
    "final",
]


def _money(value) -> str:
    return "" if value is None else f"{value:.2f}"


@login_required
def incentives_csv(request, pk: int, label: str):
    version = _version(request, pk)
    now = timezone.now()
    _periods, period = _period(version, label, now)
    if period is None:
        raise Http404
    report = engine.version_incentives(version, period, now=now)
    out = io.StringIO()
    writer = csvsafe.writer(out)
    writer.writerow(CSV_COLUMNS)
    for result in report.results:
        rule = result.rule
        writer.writerow(
            [
                version.agreement.title,
                version.number,
                period.label,
                rule.owner_team.name,
                rule.name,
                rule.measure,
                result.units,
                _money(result.revenue),
                _money(rule.amount),
                _money(rule.rate_percent),
                _money(result.gross),
                _money(rule.cap),
                rule.condition,
                result.condition,
                _money(result.earned),
                _money(result.projected),
                report.currency,
                "yes" if result.complete else "no",
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    filename = f"incentives-agreement{version.agreement_id}-v{version.number}-{period.label}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
