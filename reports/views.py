"""Reports pages: home, a version's compliance, drill-downs, the agreement across
versions, what-if on a draft, and the monthly report (page, PDF, CSV).

Every view: authorize (permission-filtered querysets, 404 otherwise), read through
reports.selectors, shape for the template (reports.presenters), render.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from leads.cycles import clock_business_us, clock_stopped
from portal import charts, dates, numbers, permissions
from reports import exports, incentives, presenters, process, selectors, specs
from reports import monthly as monthly_module
from reports import whatif as whatif_module
from reports.engine import COUNT_KINDS
from reports.steps import CYCLE_STAGES
from slas.clock import US_PER_SECOND, clock_pause
from slas.glossary import glossaries_load, version_glossary
from slas.periods import Period, periods_between
from slas.process import present as process_present
from slas.process.flowchart import ChartFigure

RECENT_PERIODS = 6


def _version_or_404(user, pk: int):
    return permissions.get_visible_or_404(
        permissions.visible_versions(user).select_related("agreement"), pk=pk
    )


def _agreement_or_404(user, pk: int):
    return permissions.get_visible_or_404(permissions.visible_agreements(user), pk=pk)


# Shaping ------------------------------------------------------------------------


def _cell(version, line, result):
    if result is None:
        return None
    kind = line.spec.kind
    bucket = specs.BUCKETS[kind][0]
    return {
        "result": result,
        "status_label": presenters.status_label(result.status),
        "actual": presenters.format_actual(kind, result.actual),
        "target": presenters.format_target(kind, result.target),
        "fraction": presenters.format_fraction(kind, result.numerator, result.denominator),
        "problems": result.counts.get(bucket, 0) if kind not in COUNT_KINDS else None,
        "problems_text": presenters.problem_text(bucket, result.counts.get(bucket, 0)),
        "at_risk": result.counts.get("at_risk", 0),
        "url": reverse("reports:breakdown", args=[version.pk, line.commitment.pk, result.label])
        + f"?list={bucket}",
    }


def _running(labels, tz):
    """The running period's index among `labels`: the charts draw it as partial."""
    return presenters.running_index(labels, tz, timezone.now())


def _period_and_version(key: str) -> str:
    """A cross-version chart's point, "2026-08 v2", as "August 2026 v2" in the reader's
    language."""
    label, _space, version = key.rpartition(" ")
    return f"{dates.period(label)} {version}" if label else dates.period(key)


def _trend_chart(card, labels, tz="UTC"):
    series = presenters.rate_series(card, labels)
    if not series:
        return None
    return charts.line_chart(
        [
            charts.Series(name=name, values=values, css_class=f"series-{i % 6}")
            for i, (name, values) in enumerate(series)
        ],
        x_labels=[dates.period(label) for label in labels],
        percent=True,
        height=220,
        title=_("%(team)s: rates by period") % {"team": card.team.name},
        partial=_running(labels, tz),
    )


def _volume_chart(comp, labels):
    line = comp.line_of("mql_volume")
    labels = [lb for lb in labels if line is not None and line.result(lb)]
    bars = presenters.volume_bars(comp, labels)
    if bars is None:
        return None
    values, targets, highlight = bars
    return charts.bar_chart(
        [dates.period(label) for label in labels],
        values,
        highlight=highlight,
        target=targets,
        height=200,
        title=_("MQLs handed off per period (highlighted: below target)"),
        partial=_running(labels, comp.version.calendar_timezone),
    )


def _headline(comp, label):
    tiles = []
    for kind in ("first_contact_within", "acceptance_rate", "mql_volume"):
        line = comp.line_of(kind)
        if line is None:
            continue
        r = line.result(label)
        if r is None:
            continue
        tiles.append(
            {
                "title": presenters.commitment_title(kind, dict(line.spec.params)),
                "team": line.commitment.owner_team.name,
                "actual": presenters.format_actual(kind, r.actual),
                "target": presenters.format_target(kind, r.target),
                "status": r.status,
                "status_label": presenters.status_label(r.status),
                "detail": (
                    _("projected %(n)s") % {"n": numbers.number(r.projected, 0)}
                    if kind in COUNT_KINDS and r.projected is not None and r.status != "met"
                    else presenters.format_fraction(kind, r.numerator, r.denominator)
                ),
                "url": _cell(comp.version, line, r)["url"],
            }
        )
    return tiles


# Pages --------------------------------------------------------------------------


@login_required
def index(request):
    """Reports home: every visible agreement, its versions and their headline status."""
    agreements = list(selectors.agreement_list_for(request.user))
    versions = [v for a in agreements for v in a.versions.all()]
    in_force = [v for v in versions if v.in_force_from is not None]
    comps = selectors.compliance_for_versions(in_force) if in_force else {}
    rows = []
    for agreement in agreements:
        items = []
        for version in agreement.versions.all():
            comp = comps.get(version.pk)
            label = comp.current_label if comp else None
            items.append(
                {
                    "version": version,
                    "comp": comp,
                    "label": label,
                    "counts": comp.counts(label) if comp and label else {},
                    "ungoverned": comp.ungoverned if comp else 0,
                }
            )
        rows.append({"agreement": agreement, "versions": items})
    return render(request, "reports/index.html", {"rows": rows})


def _step_url(version, step_pk: int, label: str, name: str) -> str:
    return reverse("reports:process_step", args=[version.pk, step_pk, label]) + f"?list={name}"


def _step_rows(version, lines, labels):
    """The step SLA lines of one scorecard: per period, kept / (kept + breached)."""
    rows = []
    for line in lines:
        cells = []
        for lb in labels:
            figures = line.cells.get(lb)
            if figures is None or not figures.entered:
                cells.append(None)
                continue
            percent = figures.sla_percent
            kept, measured = len(figures.met), len(figures.met) + len(figures.breached)
            cells.append(
                {
                    "label": lb,
                    "actual": "—" if percent is None else presenters.format_percent(percent),
                    "fraction": f"{numbers.number(kept)}/{numbers.number(measured)}",
                    "breached": len(figures.breached),
                    "at_risk": len(figures.at_risk),
                    "url": _step_url(version, line.step.pk, lb, "breached"),
                }
            )
        rows.append(
            {
                "step": line.step,
                "hours": process_present.hours_label(line.step.sla_hours),
                "cells": cells,
            }
        )
    return rows


def _flow_period(periods: dict, label: str | None, asked: str | None):
    """The flowchart's period: ``label`` (the page's), else the one asked for, else the
    version's latest month (a version without commitments has no scorecard periods)."""
    months = [p for key, p in periods.items() if "Q" not in key]
    period = periods.get(label or "") or periods.get(asked or "")
    if period is None and months:
        period = max(months, key=lambda p: p.start)
    return period


def _flow_context(version, comp, label: str | None, *, steps, period, measured) -> dict:
    """The flowchart of the version's steps with the figures of ``period``
    (``_flow_period``; ``measured``: ``process.steps_measured`` covering it)."""
    if not steps:
        return {}
    label = period.label if period is not None else label
    rows = process_present.flow_rows(steps)
    heads = []
    if period is not None:
        figures = process.process_figures(
            version, period, now=comp.now, steps=steps, measured=measured
        )
        heads = [_("Entered"), _("To next step"), _("Median time in step"), _("SLA breaches")]
        for row in rows:
            f = figures.of(row.step.pk)
            row.figures = _step_figures(version, row.step, f, period.label)
    return {
        "flow_rows": rows,
        "flow_figure_heads": heads,
        "flow_period": period,
        "chart": process_present.flow_chart(rows, rtl=translation.get_language_bidi()),
        "flow_caption": numbers.fill(
            _("The lead process of version %(number)s with its figures for %(period)s."),
            {"number": version.number, "period": dates.period(label)},
        )
        if period
        else numbers.fill(_("The lead process of version %(number)s."), {"number": version.number}),
    }


def _step_figures(version, step, f, label: str) -> list[ChartFigure]:
    """A step's four figures, each linking to its leads; "—" where nothing is measured."""
    if f is None or not set(step.stages or ()) & CYCLE_STAGES:
        return [ChartFigure(name, "—") for name in _figure_names()]
    conversion = f.conversion_percent
    median = f.median_us
    names = _figure_names()
    return [
        ChartFigure(
            names[0], numbers.number(len(f.entered)), _step_url(version, step.pk, label, "entered")
        ),
        ChartFigure(
            names[1],
            "—" if conversion is None else presenters.format_percent(conversion),
            _step_url(version, step.pk, label, "converted") if conversion is not None else "",
        ),
        ChartFigure(
            names[2],
            "—" if median is None else presenters.format_duration(median / US_PER_SECOND),
            _step_url(version, step.pk, label, "left") if median is not None else "",
        ),
        ChartFigure(
            names[3],
            "—" if step.sla_hours is None else numbers.number(len(f.breached)),
            _step_url(version, step.pk, label, "breached") if step.sla_hours is not None else "",
        ),
    ]


def _figure_names() -> list[str]:
    return [_("entered"), _("to next"), _("median"), _("breaches")]


@login_required
def version_compliance(request, pk: int):
    version = _version_or_404(request.user, pk)
    comp = selectors.version_compliance(version)
    if not comp.was_in_force:
        return render(request, "reports/version_empty.html", {"version": version})
    label = request.GET.get("period")
    if label not in comp.labels:
        label = comp.current_label
    show_all = request.GET.get("show") == "all"
    labels = comp.labels if show_all else comp.labels[-RECENT_PERIODS:]
    if label not in labels:
        labels = comp.labels
        show_all = True
    # Step SLAs are counted by the scorecards' periods; a version without commitments has
    # none, so its recent months.
    steps = process.version_steps(version)
    periods = process.version_period_map(version, now=comp.now)
    step_labels = labels or [key for key in periods if "Q" not in key][-RECENT_PERIODS:]
    flow_period = _flow_period(periods, label, request.GET.get("period"))
    # The flowchart's and the step SLA lines' figures in one pass over the cycles.
    measured = process.steps_measured(
        version,
        steps,
        list(
            {
                p: None
                for p in [periods[lb] for lb in step_labels if lb in periods] + [flow_period]
                if p is not None
            }
        ),
        now=comp.now,
    )
    step_lines = process.step_sla_lines(
        version, step_labels, now=comp.now, steps=steps, measured=measured
    )
    cards = []
    for card in comp.scorecards:
        # A scorecard shows the periods its commitments are counted by (no quarter
        # columns without a quarterly commitment).
        card_labels = [lb for lb in labels if any(line.result(lb) for line in card.lines)]
        rows = [
            {
                "line": line,
                "title": presenters.commitment_title(line.spec.kind, dict(line.spec.params)),
                "stages": presenters.commitment_stages(line.spec.kind, dict(line.spec.params)),
                "target": presenters.format_target(line.spec.kind, line.commitment.target),
                "cells": [_cell(version, line, line.result(lb)) for lb in card_labels],
            }
            for line in card.lines
        ]
        cards.append(
            {
                "team": card.team,
                "labels": card_labels,
                "rows": rows,
                "step_rows": _step_rows(version, step_lines.get(card.team.pk, []), card_labels),
                "chart": _trend_chart(card, card_labels, version.calendar_timezone),
            }
        )
    # A team that owns a step SLA but no commitment still gets its scorecard.
    shown = {card["team"].pk for card in cards}
    for team_id, lines in step_lines.items():
        if team_id not in shown:
            cards.append(
                {
                    "team": lines[0].step.owner_team,
                    "labels": step_labels,
                    "rows": [],
                    "step_rows": _step_rows(version, lines, step_labels),
                    "chart": None,
                }
            )
    return render(
        request,
        "reports/version_compliance.html",
        {
            **_flow_context(
                version, comp, label, steps=steps, period=flow_period, measured=measured
            ),
            "version": version,
            "agreement": version.agreement,
            "comp": comp,
            "label": label,
            "labels": labels,
            "all_labels": comp.labels,
            "show_all": show_all,
            "has_more": len(comp.labels) > RECENT_PERIODS,
            "tiles": _headline(comp, label),
            "counts": comp.counts(label),
            "cards": cards,
            "glossary": version_glossary(version.pk),
            "volume_chart": _volume_chart(comp, labels),
        },
    )


def _pause(kind: str, cycle, breakdown):
    """A first-contact clock still running at the breakdown's now, paused (after hours,
    a day off, a holiday): why, and when it resumes (slas.clock.clock_pause)."""
    if kind != "first_contact_within" or cycle.handoff_event_id not in breakdown.result.time_left:
        return None
    return clock_pause(breakdown.calendar, breakdown.now)


def _detail(kind: str, bucket: str, cycle, breakdown, reasons, feedback) -> str:
    """One line of text saying why a cycle is in this list, as of the breakdown's now: a
    fact stamped later has not happened yet (docs/compliance.md), as the engine reads it."""
    now = breakdown.now
    if kind == "first_contact_within":
        if cycle.handoff_event_id in breakdown.result.time_left:
            left = breakdown.result.time_left[cycle.handoff_event_id]
            return _("%(left)s of business time left") % {"left": presenters.format_duration(left)}
        used = clock_business_us(cycle, breakdown.calendar, now) / US_PER_SECOND
        values = {"used": presenters.format_duration(used)}
        if not clock_stopped(cycle, now):
            return _("still waiting after %(used)s of business time") % values
        if cycle.clock_stop_kind == "contact":
            return _("contacted after %(used)s of business time") % values
        return _("rejected after %(used)s of business time") % values
    if kind in ("acceptance_rate", "reason_documented", "feedback_coverage"):
        parts = []
        exits = [(to, code) for at, to, code in cycle.exits if dt.datetime.fromisoformat(at) <= now]
        if cycle.rejected_at and cycle.rejected_at <= now:
            code = cycle.rejected_reason_code
            parts.append(
                _("rejected to %(to)s: %(reason)s")
                % {
                    "to": presenters.stage_label(cycle.rejected_to),
                    "reason": reasons.get((cycle.version_id, code), code or _("no reason given")),
                }
            )
        elif exits:
            to, code = exits[-1]
            parts.append(
                _("moved to %(to)s: %(reason)s")
                % {
                    "to": presenters.stage_label(to),
                    "reason": reasons.get((cycle.version_id, code), code or _("no reason given")),
                }
            )
        items = [item for item in feedback.get(cycle.lead_id, []) if item.created_at <= now]
        if items:
            latest = items[0]
            text = latest.went_wrong or latest.helped or latest.note
            parts.append(
                _("feedback %(rating)s★ %(text)s")
                % {"rating": latest.rating or "–", "text": text[:80]}
            )
        return " · ".join(parts)
    if kind == "attempts_before_recycle":
        line = _("%(n)s attempts before the recycle from %(stage)s") % {
            "n": cycle.attempts_before_sales_recycle or 0,
            "stage": presenters.stage_label(cycle.sales_recycle_from),
        }
        override = cycle.sales_recycle_override
        if override and cycle.handoff_event_id in breakdown.result.cycles.get("overridden", ()):
            line += " · " + _("short, overridden by %(who)s: %(reason)s") % {
                "who": override.get("by_name") or "?",
                "reason": override.get("reason") or "",
            }
        return line
    if kind == "conversion_rate":
        return _("%(n)s contact attempts") % {"n": cycle.attempts}
    return ""


@login_required
def breakdown(request, pk: int, commitment_pk: int, label: str):
    version = _version_or_404(request.user, pk)
    commitment = permissions.get_visible_or_404(
        version.commitments.select_related("owner_team"), pk=commitment_pk
    )
    data = selectors.commitment_breakdown(version, commitment, label)
    if data is None:
        raise Http404
    kind = data.spec.kind
    buckets = specs.BUCKETS[kind]
    bucket = request.GET.get("list")
    if bucket not in buckets:
        bucket = buckets[0]
    keys = list(dict.fromkeys(data.result.cycles.get(bucket, [])))
    if bucket == "open" or bucket == "at_risk":
        keys.sort(key=lambda k: data.result.time_left.get(k, 0))
    page = Paginator(keys, 50).get_page(request.GET.get("page"))
    cycles = [
        c
        for c in selectors.cycles_by_key(page.object_list)
        if permissions.can_view_lead(request.user, c.lead)
    ]
    reasons = selectors.reason_labels({version.pk})
    feedback = (
        selectors.feedback_for_leads({c.lead_id for c in cycles})
        if kind in ("acceptance_rate", "reason_documented", "feedback_coverage")
        else {}
    )
    rows = [
        {
            "cycle": c,
            "detail": _detail(kind, bucket, c, data, reasons, feedback),
            "pause": _pause(kind, c, data),
        }
        for c in cycles
    ]
    tabs = [
        {
            "name": name,
            "label": presenters.BUCKET_LABELS[name],
            "count": len(set(data.result.cycles.get(name, []))),
            "current": name == bucket,
        }
        for name in buckets
    ]
    return render(
        request,
        "reports/breakdown.html",
        {
            "version": version,
            "agreement": version.agreement,
            "commitment": commitment,
            "title": presenters.commitment_title(kind, dict(data.spec.params)),
            "stages": presenters.commitment_stages(kind, dict(data.spec.params)),
            "glossary": version_glossary(version.pk),
            "period": data.period,
            "result": data.result,
            "actual": presenters.format_actual(kind, data.result.actual),
            "target": presenters.format_target(kind, data.result.target),
            "status_label": presenters.status_label(data.result.status),
            "tabs": tabs,
            "bucket": bucket,
            "bucket_label": presenters.BUCKET_LABELS[bucket],
            "rows": rows,
            "page": page,
            "tz": data.calendar.tz,
        },
    )


def _step_list_labels() -> dict[str, str]:
    return {
        "entered": _("Entered the step"),
        "converted": _("Reached the next step"),
        "not_converted": _("Did not reach the next step"),
        "left": _("Left the step (timed)"),
        "breached": _("Step SLA breached"),
        "at_risk": _("Step SLA at risk"),
        "met": _("Step SLA met"),
    }


@login_required
def process_step(request, pk: int, step_pk: int, label: str):
    """The leads behind one figure of one step of the flowchart (or a step SLA cell)."""
    version = _version_or_404(request.user, pk)
    step = permissions.get_visible_or_404(
        version.process_steps.select_related("owner_team"), pk=step_pk
    )
    now = timezone.now()
    period = process.version_period_map(version, now=now).get(label)
    if period is None:
        raise Http404
    figures = process.process_figures(version, period, now=now).of(step.pk)
    names = _step_list_labels()
    name = request.GET.get("list")
    if name not in names:
        name = "entered"
    keys = list(getattr(figures, name)) if figures is not None else []
    page = Paginator(keys, 50).get_page(request.GET.get("page"))
    cycles = [
        c
        for c in selectors.cycles_by_key(page.object_list)
        if permissions.can_view_lead(request.user, c.lead)
    ]
    calendar = process.version_calendar(version)
    step_def = process.step_def(step)
    rows = []
    for c in cycles:
        facts = specs.facts_from_row({f: getattr(c, f) for f in specs.CYCLE_FIELDS})
        clock = process.step_clock(facts, step_def, calendar, now=now)
        rows.append(
            {
                "cycle": c,
                "span": clock.span,
                "time": presenters.format_duration(clock.used_us / US_PER_SECOND),
                "state": clock.state,
            }
        )
    tabs = [
        {
            "name": n,
            "label": text,
            "count": len(getattr(figures, n)) if figures is not None else 0,
            "current": n == name,
        }
        for n, text in names.items()
    ]
    return render(
        request,
        "reports/process_step.html",
        {
            "version": version,
            "agreement": version.agreement,
            "step": step,
            "sla": process_present.hours_label(step.sla_hours),
            "period": period,
            "tabs": tabs,
            "list": name,
            "list_label": names[name],
            "rows": rows,
            "page": page,
            "tz": calendar.tz,
            "state_labels": {
                "met": _("Met"),
                "breached": _("Breached"),
                "open": _("Open"),
                "at_risk": _("At risk"),
            },
        },
    )


@login_required
def ungoverned(request, pk: int):
    agreement = _agreement_or_404(request.user, pk)
    qs = selectors.ungoverned_cycles(agreement.pk, now=timezone.now())
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/ungoverned.html",
        {
            "agreement": agreement,
            "page": page,
            "tz": monthly_module.agreement_timezone(agreement.pk),
        },
    )


@login_required
def agreement_compliance(request, pk: int):
    """The exec view: every version of one agreement, period after period."""
    agreement = _agreement_or_404(request.user, pk)
    now = timezone.now()
    versions = list(agreement.versions.select_related("agreement").order_by("number"))
    in_force = [v for v in versions if v.in_force_from is not None]
    comps = selectors.compliance_for_versions(in_force, now=now) if in_force else {}
    rows = []
    first_contact: dict[str, float | None] = {}
    acceptance: dict[str, float | None] = {}
    labels: list[str] = []
    for version in versions:
        comp = comps.get(version.pk)
        periods = []
        if comp:
            for label in comp.labels:
                counts = comp.counts(label)
                periods.append({"label": label, "counts": counts})
                if label not in labels:
                    labels.append(label)
                for kind, store in (
                    ("first_contact_within", first_contact),
                    ("acceptance_rate", acceptance),
                ):
                    line = comp.line_of(kind)
                    r = line.result(label) if line else None
                    if r is not None and r.actual is not None:
                        store[f"{label} v{version.number}"] = r.actual / 100
        rows.append({"version": version, "comp": comp, "periods": periods})
    keys = list(dict.fromkeys([*first_contact, *acceptance]))
    chart = (
        charts.line_chart(
            [
                charts.Series(
                    _("First contact in time"), [first_contact.get(k) for k in keys], "series-0"
                ),
                charts.Series(
                    _("Accepted by sales"), [acceptance.get(k) for k in keys], "series-1"
                ),
            ],
            x_labels=[_period_and_version(key) for key in keys],
            percent=True,
            title=_("Headline rates across versions"),
            partial=_running(keys, monthly_module.agreement_timezone(agreement.pk)),
        )
        if keys
        else None
    )
    return render(
        request,
        "reports/agreement_compliance.html",
        {
            "agreement": agreement,
            "rows": rows,
            "chart": chart,
            "ungoverned": selectors.ungoverned_counts([agreement.pk], now=now).get(agreement.pk, 0),
        },
    )


@login_required
def whatif(request, pk: int):
    version = _version_or_404(request.user, pk)
    if version.in_force_from is not None:
        return redirect("reports:version", pk=version.pk)
    now = timezone.now()
    tz = version.calendar_timezone
    periods = selectors.agreement_past_periods(
        version.agreement_id, tz, version.reporting_cadence, now
    )
    if not periods:
        return render(request, "reports/whatif.html", {"version": version, "periods": []})
    label = request.GET.get("period")
    period = next((p for p in periods if p.label == label), periods[0])
    data = whatif_module.whatif(version, period, now=now)
    lines = []
    for line in data.lines:
        kind = line.spec.kind
        lines.append(
            {
                "title": presenters.commitment_title(kind, dict(line.spec.params)),
                "team": line.commitment.owner_team.name,
                "period": line.result.period.label,
                "target": presenters.format_target(kind, line.result.target),
                "actual": presenters.format_actual(kind, line.result.actual),
                "fraction": presenters.format_fraction(
                    kind, line.result.numerator, line.result.denominator
                ),
                "status": line.result.status,
                "status_label": presenters.status_label(line.result.status),
                "then": [
                    {
                        "version": v,
                        "title": presenters.commitment_title(m.spec.kind, dict(m.spec.params)),
                        "target": presenters.format_target(m.spec.kind, r.target) if r else "",
                        "actual": presenters.format_actual(m.spec.kind, r.actual) if r else "—",
                        "status": r.status if r else "no_data",
                        "status_label": presenters.status_label(r.status if r else "no_data"),
                    }
                    for v, m, r in line.then
                ],
            }
        )
    return render(
        request,
        "reports/whatif.html",
        {
            "version": version,
            "agreement": version.agreement,
            "periods": periods,
            "period": period,
            "data": data,
            "lines": lines,
            # The draft's incentive rules on the same period, for those who read pay.
            "incentives": incentives.draft_incentives(data, now=now)
            if permissions.can_view_incentives(request.user, version.agreement)
            else None,
        },
    )


def _months(agreement, now) -> list[Period]:
    """Months (latest first) of the last two years, in the agreement's time zone."""
    tz = monthly_module.agreement_timezone(agreement.pk)
    start = now - dt.timedelta(days=730)
    return list(reversed(periods_between(tz, "month", start, now)))


def _month(months: list[Period], label: str | None, now) -> Period | None:
    """The month ``label`` among ``months`` (`_months`), else the latest completed one."""
    if label is None:
        completed = [p for p in months if p.end <= now]
        return completed[0] if completed else months[0]
    return next((p for p in months if p.label == label), None)


@login_required
def monthly(request, pk: int, label: str | None = None, fmt: str = "html"):
    agreement = _agreement_or_404(request.user, pk)
    now = timezone.now()
    months = _months(agreement, now)
    period = _month(months, label, now)
    if period is None:
        raise Http404
    if label is None:
        return redirect("reports:monthly", pk=agreement.pk, label=period.label)
    report = monthly_module.monthly_report(
        agreement,
        period,
        now=now,
        with_incentives=permissions.can_view_incentives(request.user, agreement),
    )
    filename = f"sla-report-{agreement.pk}-{period.label}"
    if fmt == "csv":
        response = HttpResponse(exports.monthly_csv(report), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    if fmt == "pdf":
        response = HttpResponse(exports.monthly_pdf(report), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
        return response
    cards, volume_charts = [], []
    # Each scorecard speaks its version's words; the funnel those of the version in force
    # at the end of the month (slas/glossary.py).
    # (the report already holds the glossary of the version in force at the month's end)
    glossaries = glossaries_load(
        [comp.version.pk for comp in report.compliances if comp.version != report.version]
    )
    if report.version is not None and report.glossary is not None:
        glossaries[report.version.pk] = report.glossary
    for comp in report.compliances:
        # The trend up to the month, as in the PDF (reports.exports).
        trend_labels = presenters.labels_until(comp.labels, period.label, exports.TREND_PERIODS)
        for card in comp.scorecards:
            rows = []
            for line in card.lines:
                # A quarterly commitment shows the quarter that contains the month.
                result = presenters.result_in_month(line, period.label)
                rows.append(
                    {
                        "title": presenters.commitment_title(
                            line.spec.kind, dict(line.spec.params)
                        ),
                        "stages": presenters.commitment_stages(
                            line.spec.kind, dict(line.spec.params)
                        ),
                        "cell": _cell(comp.version, line, result),
                        "note": presenters.period_note(result, period.label, report.now),
                    }
                )
            cards.append(
                {
                    "version": comp.version,
                    "glossary": glossaries.get(comp.version.pk),
                    "team": card.team,
                    "rows": rows,
                    "chart": _trend_chart(card, trend_labels, comp.version.calendar_timezone),
                }
            )
        volume = _volume_chart(comp, trend_labels)
        if volume is not None:
            volume_charts.append({"version": comp.version, "chart": volume})
    funnel = [
        {
            "stage": step.stage,
            "label": presenters.stage_label(step.stage),
            "count": step.count,
            "rate": step.rate,
        }
        for step in report.funnel
    ]
    funnel_chart = charts.bar_chart(
        [step["label"] for step in funnel],
        [step["count"] for step in funnel],
        height=200,
        title=_("Funnel of the month's handoffs, to date")
        if period.end > now
        else _("Funnel of the month's handoffs"),
    )
    return render(
        request,
        "reports/monthly.html",
        {
            "agreement": agreement,
            "report": report,
            "period": period,
            "cards": cards,
            "funnel": funnel,
            "funnel_glossary": glossaries.get(report.version.pk) if report.version else None,
            "funnel_chart": funnel_chart,
            "running": period.end > now,
            "volume_charts": volume_charts,
            "months": months,
        },
    )
