"""Home-page items: commitments of the active versions that are at risk or missed in
the current period, for managers and execs of the parties."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from portal import numbers, permissions
from portal.home import HomeItem, HomeSection
from reports import presenters, selectors
from reports.rituals import home as rituals_home


def sections(user) -> list[HomeSection]:
    """The commitments at risk, and the person's meetings (reports.rituals.home)."""
    return _at_risk_sections(user) + rituals_home.sections(user)


def _at_risk_sections(user) -> list[HomeSection]:
    if not (permissions.is_exec(user) or permissions.is_manager(user)):
        return []
    versions = list(
        permissions.visible_versions(user)
        .filter(status="active", in_force_from__isnull=False)
        .select_related("agreement")
    )
    if not versions:
        return []
    items = []
    for comp in selectors.compliance_for_versions(
        versions, with_ungoverned=False, latest_only=True
    ).values():
        label = comp.current_label
        for line in comp.lines:
            # a quarterly commitment counts with the quarter of the current month
            result = presenters.result_in_month(line, label) if label else None
            if result is None or result.status not in ("at_risk", "missed"):
                continue
            kind = line.spec.kind
            items.append(
                HomeItem(
                    title=presenters.commitment_title(kind, dict(line.spec.params)),
                    url=reverse("reports:version", args=[comp.version.pk]),
                    detail=_("%(team)s · %(agreement)s v%(n)s · %(actual)s against %(target)s")
                    % {
                        "team": line.commitment.owner_team.name,
                        "agreement": comp.version.agreement.title,
                        "n": numbers.number(comp.version.number),
                        "actual": presenters.format_actual(kind, result.actual),
                        "target": presenters.format_target(kind, result.target),
                    },
                    badge=presenters.status_label(result.status),
                    tone="danger" if result.status == "missed" else "warning",
                )
            )
    return [
        HomeSection(
            title=_("Commitments at risk this period"),
            items=items,
            empty_text=_("Every commitment of the versions in force is on track."),
            more_url=reverse("reports:index"),
            more_label=_("All reports"),
            order=60,
        )
    ]
