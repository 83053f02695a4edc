"""Pages of the feedback analysis: feedback grouped by a dimension over recent periods, the leads behind a figure, and the CSV export."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leads.models import Lead
from leads.reviews import selectors, services
from leads.selectors import leads_glossaries
from portal import charts, csvsafe, dates, permissions
from slas.periods import Period

DIMENSION_LABELS = {
    "source": gettext_lazy("Lead source"),
    "campaign": gettext_lazy("Campaign"),
    "industry": gettext_lazy("Industry"),
    "company_size": gettext_lazy("Company size"),
    "rep": gettext_lazy("Rep"),
    "period": gettext_lazy("Period"),
}


def _analysis_scope(request) -> tuple[selectors.AnalysisScope, list, list[Period]]:
    """Read the analysis filters from the query string (unknown values fall back to defaults)."""
    agreements = list(permissions.visible_agreements(request.user).order_by("title"))
    wanted = request.GET.get("agreement", "")
    agreement = next((a for a in agreements if str(a.pk) == wanted), None)
    if agreement is None and agreements:
        with_leads = set(
            Lead.objects.filter(agreement__in=agreements)
            .values_list("agreement_id", flat=True)
            .distinct()[:50]
        )
        agreement = next((a for a in agreements if a.pk in with_leads), agreements[0])
    tz, cadence = services.agreement_reporting_frame(agreement) if agreement else ("UTC", "month")
    available = list(reversed(services.recent_periods(tz, cadence, now=timezone.now(), count=12)))
    labels = [p.label for p in available]
    start = request.GET.get("from", "")
    end = request.GET.get("to", "")
    first = labels.index(start) if start in labels else max(0, len(labels) - 6)
    last = labels.index(end) if end in labels else len(labels) - 1
    if last < first:
        first, last = last, first
    filters = {dim: request.GET[dim] for dim in selectors.DIMENSIONS if request.GET.get(dim)}
    scope = selectors.AnalysisScope(
        agreement=agreement,
        tz=tz,
        cadence=cadence,
        periods=available[first : last + 1],
        filters=filters,
        reason=request.GET.get("reason", ""),
        rejected_reason=request.GET.get("rejected_reason", ""),
        rated=request.GET.get("rated") == "1",
    )
    return scope, agreements, available


def _scope_query(scope: selectors.AnalysisScope, **extra) -> str:
    params = {
        "agreement": scope.agreement.pk if scope.agreement else "",
        "from": scope.periods[0].label,
        "to": scope.periods[-1].label,
        **scope.filters,
    }
    params.update({k: v for k, v in extra.items() if v is not None})
    return urlencode({k: v for k, v in params.items() if v != ""})


@login_required
def analysis(request):
    scope, agreements, available = _analysis_scope(request)
    dimension = request.GET.get("by", "source")
    if dimension not in selectors.DIMENSIONS:
        dimension = "source"
    result = selectors.feedback_analysis(request.user, scope, dimension)
    leads_url = reverse("reviews:analysis_leads")
    rows = []
    for group in result.groups:
        query = {dimension: group.value}
        rows.append(
            {
                "group": group,
                "label": (
                    _("(not set)")
                    if group.value == selectors.NONE
                    else dates.period(group.label)
                    if dimension == "period"
                    else group.label
                ),
                "leads_url": f"{leads_url}?{_scope_query(scope, **query)}",
                "rated_url": f"{leads_url}?{_scope_query(scope, rated=1, **query)}",
                "cells": [
                    (
                        group.reasons.get(code, 0),
                        f"{leads_url}?{_scope_query(scope, reason=code, **query)}",
                    )
                    for code, _label in result.reason_columns
                ],
            }
        )
    trend_labels = [dates.period(g.label) for g in result.trend]
    # The period still running is drawn as partial ("to date"), not as a drop.
    now = timezone.now()
    running = next((i for i, p in enumerate(scope.periods) if p.start <= now < p.end), None)
    rating_chart = charts.line_chart(
        [charts.Series(_("Average rating"), [g.avg_rating for g in result.trend], "series-0")],
        x_labels=trend_labels,
        y_label=_("rating (1-5)"),
        title=_("Average rating per period"),
        partial=running,
    )
    top_codes = [code for code, _label in result.reason_columns[:3]]
    reason_series = [
        charts.Series(label, [g.reasons.get(code, 0) for g in result.trend], f"series-{i}")
        for i, (code, label) in enumerate(result.reason_columns[:3])
    ]
    reasons_chart = (
        charts.line_chart(
            reason_series,
            x_labels=trend_labels,
            title=_("Leads citing the top reasons per period"),
            partial=running,
        )
        if top_codes
        else None
    )
    trend_rows = [
        {
            "group": g,
            "leads_url": f"{leads_url}?{_scope_query(scope, period=g.value)}",
            "rated_url": f"{leads_url}?{_scope_query(scope, period=g.value, rated=1)}",
            "cells": [
                (
                    g.reasons.get(code, 0),
                    f"{leads_url}?{_scope_query(scope, period=g.value, reason=code)}",
                )
                for code in top_codes
            ],
        }
        for g in result.trend
    ]
    rejections = [
        {
            "code": code,
            "label": label or (_("(no reason given)") if code == selectors.NONE else code),
            "count": count,
            "url": f"{leads_url}?{_scope_query(scope, rejected_reason=code)}",
        }
        for code, label, count in result.rejection_reasons
    ]
    return render(
        request,
        "leads/reviews/analysis.html",
        {
            "scope": scope,
            "result": result,
            "rows": rows,
            "agreements": agreements,
            "available": available,
            "dimension": dimension,
            "dimension_links": [
                (key, label, f"{reverse('reviews:analysis')}?{_scope_query(scope, by=key)}")
                for key, label in DIMENSION_LABELS.items()
            ],
            "dimension_label": DIMENSION_LABELS[dimension],
            "rating_chart": rating_chart,
            "reasons_chart": reasons_chart,
            "rejections": rejections,
            "totals_url": f"{leads_url}?{_scope_query(scope)}",
            "totals_rated_url": f"{leads_url}?{_scope_query(scope, rated=1)}",
            "trend_rows": trend_rows,
            "trend_reasons": result.reason_columns[:3],
            "export_url": f"{reverse('reviews:analysis_export')}?{_scope_query(scope, by=dimension)}",
            "filters": [(DIMENSION_LABELS[k], v) for k, v in scope.filters.items()],
            "clear_url": f"{reverse('reviews:analysis')}?{urlencode({'agreement': scope.agreement.pk if scope.agreement else '', 'by': dimension})}",
        },
    )


@login_required
def analysis_leads(request):
    scope, _agreements, _available = _analysis_scope(request)
    leads = list(selectors.analysis_leads(request.user, scope)[:500])
    leads_glossaries(leads)
    labels = selectors.reason_labels(scope.agreement)
    described = [
        (DIMENSION_LABELS[k], v if v != selectors.NONE else _("(not set)"))
        for k, v in scope.filters.items()
    ]
    if scope.reason:
        described.append((_("Reason in feedback"), labels.get(scope.reason, scope.reason)))
    if scope.rejected_reason:
        described.append(
            (_("Rejected with reason"), labels.get(scope.rejected_reason, _("(no reason given)")))
        )
    if scope.rated:
        described.append((_("Feedback"), _("with a rating")))
    return render(
        request,
        "leads/reviews/analysis_leads.html",
        {
            "scope": scope,
            "leads": leads,
            "described": described,
            "back_url": f"{reverse('reviews:analysis')}?{_scope_query(scope)}",
        },
    )


@login_required
def analysis_export(request):
    scope, _agreements, _available = _analysis_scope(request)
    dimension = request.GET.get("by", "source")
    if dimension not in selectors.DIMENSIONS:
        dimension = "source"
    result = selectors.feedback_analysis(request.user, scope, dimension)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"feedback-by-{dimension}-{scope.periods[0].label}-{scope.periods[-1].label}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csvsafe.writer(response)
    codes = [code for code, _label in result.reason_columns]
    writer.writerow([dimension, "feedback_entries", "leads", "rated", "average_rating", *codes])
    for group in result.groups:
        avg = f"{group.avg_rating:.2f}" if group.avg_rating is not None else ""
        value = "" if group.value == selectors.NONE else group.label
        writer.writerow(
            [
                value,
                group.entries,
                group.leads,
                group.rated,
                avg,
                *[group.reasons.get(c, 0) for c in codes],
            ]
        )
    return response
