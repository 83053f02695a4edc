"""CSV and PDF of the monthly report, and the JSON shape of a version's compliance.

All three read the selectors' objects (reports.selectors) and format through
reports.presenters, so the numbers are the page's numbers.
"""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal import csvsafe, dates, numbers, pdf
from reports.monthly import MonthlyReport
from reports.presenters import (
    CONDITION_LABELS,
    commitment_stages,
    commitment_title,
    format_actual,
    format_fraction,
    format_target,
    labels_until,
    period_note,
    rate_series,
    result_in_month,
    stage_label,
    status_label,
    volume_bars,
)
from reports.selectors import VersionCompliance
from slas.glossary import Definition, Glossary


def stage_definitions(glossary: Glossary | None, stages) -> list[tuple[str, Definition]]:
    """(stage, definition) of these stages that the glossary's version defines."""
    if glossary is None:
        return []
    found = [(stage, glossary.of(stage)) for stage in dict.fromkeys(stages)]
    return [(stage, definition) for stage, definition in found if definition is not None]


def _definitions_json(glossary: Glossary | None, stages) -> list[dict]:
    return [
        {
            "stage": stage,
            "stage_label": stage_label(stage),
            "term": definition.term,
            "definition": definition.text,
            "version": definition.version_number,
        }
        for stage, definition in stage_definitions(glossary, stages)
    ]


def version_compliance_json(comp: VersionCompliance, glossary: Glossary | None = None) -> dict:
    """A version's compliance as the API gives it. `glossary`: the version's stage
    definitions (slas.glossary), given with the stages each commitment counts."""
    version = comp.version
    lines = [line for card in comp.scorecards for line in card.lines]
    stages = [
        stage
        for line in lines
        for stage in commitment_stages(line.spec.kind, dict(line.spec.params))
    ]
    return {
        "version": {
            "id": version.pk,
            "agreement_id": version.agreement_id,
            "agreement": version.agreement.title,
            "number": version.number,
            "status": version.status,
            "state": version.state.value,
            "state_label": version.state_label,
            "in_force_from": comp.in_force[0] if comp.in_force else None,
            "in_force_until": comp.in_force[1] if comp.in_force else None,
            "time_zone": comp.calendar.tz,
        },
        "stage_definitions": _definitions_json(glossary, stages),
        "as_of": comp.now,
        "periods": comp.labels,
        "ungoverned_handoffs": comp.ungoverned,
        "scorecards": [
            {
                "team": {"id": card.team.pk, "name": card.team.name},
                "commitments": [
                    {
                        "id": line.commitment.pk,
                        "kind": line.spec.kind,
                        "title": commitment_title(line.spec.kind, dict(line.spec.params)),
                        "stages": commitment_stages(line.spec.kind, dict(line.spec.params)),
                        "params": {
                            k: v for k, v in line.spec.params.items() if k != "reason_codes"
                        },
                        "period_kind": line.spec.period,
                        "target": str(line.commitment.target),
                        "results": [
                            {
                                "period": r.label,
                                "start": r.period_start,
                                "end": r.period_end,
                                "actual": r.actual,
                                "target": str(r.target),
                                "status": r.status,
                                "numerator": r.numerator,
                                "denominator": r.denominator,
                                "cycles": r.counts,
                            }
                            for r in line.results
                        ],
                    }
                    for line in card.lines
                ],
            }
            for card in comp.scorecards
        ],
    }


#: Periods in the PDF's trend charts (as many as the version page shows by default).
TREND_PERIODS = 6


def _scorecard_rows(report: MonthlyReport, *, plain: bool = False) -> list[list[str]]:
    """One row per commitment with a result for the month: version, team, title,
    actual, target, cycles, status, and which period the result covers when it is
    not the month (a quarterly commitment: "2026-Q1 (to date)"), else ""."""
    rows = []
    month = report.period.label
    for comp in report.compliances:
        for card in comp.scorecards:
            for line in card.lines:
                result = result_in_month(line, month)
                if result is None:
                    continue
                rows.append(
                    [
                        f"v{comp.version.number}",
                        card.team.name,
                        commitment_title(line.spec.kind, dict(line.spec.params)),
                        format_actual(line.spec.kind, result.actual, plain=plain),
                        format_target(line.spec.kind, result.target, plain=plain),
                        format_fraction(
                            line.spec.kind, result.numerator, result.denominator, plain=plain
                        ),
                        status_label(result.status),
                        period_note(result, month, report.now, plain=plain),
                    ]
                )
    return rows


def monthly_csv(report: MonthlyReport) -> str:
    out = io.StringIO()
    writer = csvsafe.writer(out)
    writer.writerow([_("section"), _("item"), _("value"), _("target"), _("detail"), _("status")])
    goal = report.goal
    if goal is not None:
        # Like with like, as the page: the month against the month's share of the goal,
        # the goal period to date against the goal to date; money in the agreement's
        # currency, plain numbers.
        month = _("month, to date") if goal.running else _("month")
        to_date = _("goal period to date (%(n)s of %(months)s months)") % {
            "n": goal.elapsed_months,
            "months": goal.goal_months,
        }
        for scope, won, needed, revenue, target in (
            (month, goal.month_won, goal.month_needed, goal.month_revenue, goal.month_goal),
            (
                to_date,
                goal.to_date_won,
                goal.to_date_needed,
                goal.to_date_revenue,
                goal.to_date_goal,
            ),
        ):
            writer.writerow([_("goal"), _("deals won"), won, needed, scope, ""])
            writer.writerow(
                [
                    _("goal"),
                    _("revenue (won x average deal), %(currency)s") % {"currency": goal.currency},
                    f"{revenue:.2f}",
                    f"{target:.2f}",
                    scope,
                    "",
                ]
            )
    for step in report.funnel:
        writer.writerow(
            [
                _("funnel"),
                stage_label(step.stage),
                step.count,
                "",
                "" if step.rate is None else f"{step.rate:.1f}%",
                "",
            ]
        )
    # The stages as the version in force at the end of the month defines them.
    for stage, definition in stage_definitions(report.glossary, [s.stage for s in report.funnel]):
        writer.writerow(
            [
                _("stage definition"),
                stage_label(stage),
                definition.text,
                "",
                _("v%(n)s: %(term)s") % {"n": definition.version_number, "term": definition.term},
                "",
            ]
        )
    for version, team, title, actual, target, fraction, status, note in _scorecard_rows(
        report, plain=True
    ):
        # A quarterly commitment's detail says which quarter the numbers are of.
        detail = " · ".join(part for part in (note, fraction) if part)
        writer.writerow(
            [f"{_('scorecard')} {team} {version}", title, actual, target, detail, status]
        )
    for _code, label, n in report.reasons:
        writer.writerow([_("rejection reason"), label, n, "", "", ""])
    writer.writerow([_("feedback"), _("entries"), report.feedback_count, "", "", ""])
    for team, rule, earned, projected, condition in _incentive_rows(report, plain=True):
        writer.writerow([f"{_('incentives')} {team}", rule, earned, "", projected, condition])
    return out.getvalue()


def _incentive_rows(report: MonthlyReport, *, plain: bool = False) -> list[list[str]]:
    """(team, rule, earned, projection, condition) of the month's incentive rules; the
    amounts in the reader's digits (portal.numbers), or `plain` for the CSV (1125.00)."""
    incentives = report.incentives
    if incentives is None:
        return []

    def money(amount) -> str:
        return f"{amount:.2f}" if plain else numbers.number(amount, 2)

    rows = []
    for result in incentives.results:
        projected = (
            ""
            if result.complete
            else _("%(amount)s at this pace") % {"amount": money(result.projected)}
        )
        rows.append(
            [
                result.rule.owner_team.name,
                result.rule.name,
                f"{money(result.earned)} {incentives.currency}",
                projected,
                result.condition if plain else str(CONDITION_LABELS[result.condition]),
            ]
        )
    return rows


def _scorecard_charts(report: MonthlyReport) -> list[pdf.Block]:
    """The version page's charts for each version in force during the month, over the
    periods up to the month: each side's rates (lines) and the MQL volume against its
    target (bars, highlighted when below)."""
    blocks: list[pdf.Block] = []
    for comp in report.compliances:
        labels = labels_until(comp.labels, report.period.label, TREND_PERIODS)
        if not labels:
            continue
        for card in comp.scorecards:
            series = rate_series(card, labels)
            if series:
                blocks.append(
                    pdf.LineChart(
                        _("%(team)s · v%(n)s: rates by period")
                        % {"team": card.team.name, "n": numbers.number(comp.version.number)},
                        [dates.period(label) for label in labels],
                        series,
                        percent=True,
                    )
                )
        bars = volume_bars(comp, labels)
        if bars is not None:
            values, targets, highlight = bars
            blocks.append(
                pdf.BarChart(
                    _("v%(n)s: MQLs handed off per period against target (highlighted: below)")
                    % {"n": numbers.number(comp.version.number)},
                    [dates.period(label) for label in labels],
                    values,
                    targets=targets,
                    highlight=frozenset(highlight),
                )
            )
    return blocks


def _definition_blocks(report: MonthlyReport) -> list[pdf.Block]:
    """The funnel's stages as the version in force at the month's end defines them."""
    found = stage_definitions(report.glossary, [step.stage for step in report.funnel])
    if not found:
        return []
    return [
        pdf.Table(
            [_("Stage"), _("Definition")],
            [
                [
                    stage_label(stage),
                    _("%(text)s (v%(n)s: %(term)s)")
                    % {
                        "text": definition.text,
                        "n": numbers.number(definition.version_number),
                        "term": definition.term,
                    },
                ]
                for stage, definition in found
            ],
        )
    ]


def monthly_pdf_blocks(report: MonthlyReport) -> list[pdf.Block]:
    """The monthly report as PDF blocks: the page's sections, with its charts."""
    blocks: list[pdf.Block] = []
    goal = report.goal
    if goal is not None:
        money = lambda amount: f"{numbers.number(amount, 0)} {goal.currency}"  # noqa: E731
        blocks += [
            pdf.Heading(_("Goal progress")),
            pdf.KeyValues(
                [
                    (
                        _("This month, to date") if goal.running else _("This month"),
                        _(
                            "%(won)s deals won against the month's share of the goal, "
                            "%(needed)s; %(revenue)s of revenue against %(target)s."
                        )
                        % {
                            "won": numbers.number(goal.month_won),
                            "needed": numbers.number(goal.month_needed),
                            "revenue": money(goal.month_revenue),
                            "target": money(goal.month_goal),
                        },
                    ),
                    (
                        _("Goal period to date: %(n)s of %(months)s months")
                        % {
                            "n": numbers.number(goal.elapsed_months),
                            "months": numbers.number(goal.goal_months),
                        },
                        _(
                            "%(won)s deals won against the goal to date, %(needed)s; "
                            "%(revenue)s of revenue against %(target)s."
                        )
                        % {
                            "won": numbers.number(goal.to_date_won),
                            "needed": numbers.number(goal.to_date_needed),
                            "revenue": money(goal.to_date_revenue),
                            "target": money(goal.to_date_goal),
                        },
                    ),
                ]
            ),
        ]
    scorecard_rows = [
        [version, team, f"{title}\n{note}" if note else title, *rest]
        for version, team, title, *rest, note in _scorecard_rows(report)
    ]
    blocks += [
        pdf.Heading(_("Funnel of the month's handoffs")),
        pdf.BarChart(
            _("Leads at each stage"),  # under the heading above: not its words again
            [stage_label(step.stage) for step in report.funnel],
            [step.count for step in report.funnel],
        ),
        pdf.Table(
            [_("Stage"), _("Leads"), _("Of previous step")],
            [
                [
                    stage_label(step.stage),
                    numbers.number(step.count),
                    "" if step.rate is None else numbers.percent(step.rate, 1),
                ]
                for step in report.funnel
            ],
        ),
        *_definition_blocks(report),
        pdf.Heading(_("Scorecards")),
        pdf.Table(
            [
                _("Version"),
                _("Team"),
                _("Commitment"),
                _("Actual"),
                _("Target"),
                _("Cycles"),
                _("Status"),
            ],
            scorecard_rows,
        ),
        *_scorecard_charts(report),
        pdf.Heading(_("Top rejection reasons")),
        pdf.Table(
            [_("Reason"), _("Rejections")],
            [[label, numbers.number(n)] for _c, label, n in report.reasons],
        )
        if report.reasons
        else pdf.Paragraph(_("No rejections this month.")),
        pdf.Heading(_("Lead-quality feedback")),
        pdf.Paragraph(
            ngettext(
                "%(n)s feedback entry; average rating %(rating)s.",
                "%(n)s feedback entries; average rating %(rating)s.",
                report.feedback_count,
            )
            % {
                "n": numbers.number(report.feedback_count),
                "rating": "—"
                if report.feedback_rating is None
                else numbers.number(report.feedback_rating, 1),
            }
        ),
    ]
    incentive_rows = _incentive_rows(report)
    if incentive_rows:
        blocks += [
            pdf.Heading(_("Shared incentives")),
            pdf.Table(
                [_("Team"), _("Rule"), _("Earned"), _("Projection"), _("Condition")],
                incentive_rows,
            ),
        ]
    return blocks


def monthly_pdf(report: MonthlyReport, *, compress: bool = True) -> bytes:
    blocks = monthly_pdf_blocks(report)
    generated = dates.when(report.now)
    return pdf.build_pdf(
        # The month by its name in the reader's language ("noiembrie 2026", "آبان ۱۴۰۵").
        title=_("%(agreement)s · monthly report %(period)s")
        % {
            "agreement": report.agreement.title,
            "period": f"\u2066{dates.period(report.period.label)}\u2069",
        },
        subtitle=_("Generated %(when)s") % {"when": generated},
        blocks=blocks,
        meta={"subject": _("SLA monthly review")},
        compress=compress,
    )
