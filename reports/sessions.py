"""A review session's compliance headline: every commitment of every version in force during the session's period, with the numbers the compliance pages show, worded as they word them. The session page (leads.reviews) shows it through the `{% session_headline %}` tag of this app, so reviews do not import reports (docs/architecture.md)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Q
from django.urls import reverse

from leads.reviews.models import (
    ReviewSession,
)
from reports import presenters
from reports.engine import CommitmentSpec
from reports.selectors import compliance_for_versions
from reports.specs import BUCKETS
from slas.models import Version


@dataclass
class HeadlineLine:
    """One commitment of a version that governed the session's period, and its result."""

    version: Version
    commitment: object  # slas.models.Commitment
    spec: CommitmentSpec
    result: object | None  # reports.models.ComplianceResult of that period; None if not scored


@dataclass
class HeadlineTeam:
    team: object  # portal.models.Team owning the commitments
    lines: list[HeadlineLine] = field(default_factory=list)


@dataclass
class SessionHeadline:
    period_label: str
    versions: list[Version]  # in force during the period, oldest first
    teams: list[HeadlineTeam]  # in the order the versions list their commitments


def _result_for(line, session: ReviewSession):
    """The line's result for the session's period: the same period, else the one of the
    commitment's (longer) period that covers it. A commitment measured over shorter
    periods than the session has no single number here: the compliance page has them."""
    exact = line.result(session.period_label)
    if exact is not None:
        return exact
    return next(
        (
            r
            for r in line.results
            if r.period_start <= session.period_start and r.period_end >= session.period_end
        ),
        None,
    )


def session_headline(session: ReviewSession, *, now: dt.datetime | None = None) -> SessionHeadline:
    """The compliance numbers of the session's period, as the compliance pages show them.

    Every commitment of every version of the agreement in force during the period, with
    actual, target and status from reports.selectors.compliance_for_versions (stored
    results; a fixed number of queries whatever the data size), grouped by owner team.
    """
    versions = list(
        Version.objects.filter(
            agreement_id=session.agreement_id,
            in_force_from__isnull=False,
            in_force_from__lt=session.period_end,
        )
        .filter(Q(in_force_until__isnull=True) | Q(in_force_until__gt=session.period_start))
        .order_by("in_force_from", "number")
    )
    comps = compliance_for_versions(versions, now=now) if versions else {}
    teams: dict[int, HeadlineTeam] = {}
    for version in versions:
        for card in comps[version.pk].scorecards:
            team = teams.setdefault(card.team.pk, HeadlineTeam(team=card.team))
            team.lines.extend(
                HeadlineLine(version, line.commitment, line.spec, _result_for(line, session))
                for line in card.lines
            )
    return SessionHeadline(
        period_label=session.period_label, versions=versions, teams=list(teams.values())
    )


def session_headline_worded(session, *, now=None) -> dict:
    """The session's compliance headline, worded as on the compliance pages."""
    headline = session_headline(session, now=now)
    several = len(headline.versions) > 1
    teams = []
    for team in headline.teams:
        rows = []
        for line in team.lines:
            kind, result = line.spec.kind, line.result
            title = presenters.commitment_title(kind, dict(line.spec.params))
            row = {
                "kind": kind,
                "title": f"{title} (v{line.version.number})" if several else title,
                "target": presenters.format_target(kind, line.commitment.target),
                "result": result,
            }
            if result is not None:
                bucket = BUCKETS[kind][0]
                row.update(
                    actual=presenters.format_actual(kind, result.actual),
                    fraction=presenters.format_fraction(kind, result.numerator, result.denominator),
                    status_label=presenters.status_label(result.status),
                    url=reverse(
                        "reports:breakdown",
                        args=[line.version.pk, line.commitment.pk, result.label],
                    )
                    + f"?list={bucket}",
                )
            rows.append(row)
        teams.append({"team": team.team, "rows": rows})
    versions = [
        {
            "version": version,
            "url": f"{reverse('reports:version', args=[version.pk])}?"
            + urlencode({"period": session.period_label}),
        }
        for version in headline.versions
    ]
    return {"teams": teams, "versions": versions}
