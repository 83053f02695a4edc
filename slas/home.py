"""Home-page sections of the agreement area: drafts a manager can edit, and a summary of
the agreements of the person's teams."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal import dates, numbers, permissions
from portal.home import HomeItem, HomeSection
from slas import selectors
from slas.models import Agreement, VersionStatus
from slas.signing import home as signing_home

#: Agreements the summary shows.
SUMMARY = 10


def _when_due(days: int) -> str:
    if days > 0:
        return numbers.fill(ngettext("in %(days)s day", "in %(days)s days", days), {"days": days})
    if days == 0:
        return _("today")
    return numbers.fill(ngettext("%(days)s day ago", "%(days)s days ago", -days), {"days": -days})


def _reviews_due(user) -> list[HomeSection]:
    """A to-do per version in force whose review date is near or past (`selectors.versions_due_for_review`)."""
    versions = selectors.versions_due_for_review(user)
    if not versions:
        return []
    now = timezone.now()
    items = []
    for version in versions:
        days = (version.review_date - selectors.version_local_today(version, now)).days
        items.append(
            HomeItem(
                title=_("Review %(agreement)s · v%(number)s")
                % {"agreement": version.agreement.title, "number": numbers.number(version.number)},
                url=version.get_absolute_url(),
                detail=_(
                    "Review date %(date)s (%(when)s). Start the next version from v%(number)s, "
                    "the version in force."
                )
                % {
                    "date": dates.day(version.review_date),
                    "when": _when_due(days),
                    "number": numbers.number(version.number),
                },
                badge=_("Review due") if days <= 0 else _("Review soon"),
                tone="warning" if days <= 0 else "info",
                action_url=reverse("slas:version_amend", args=[version.agreement_id]),
                action_label=_("Start the next version"),
            )
        )
    return [HomeSection(title=_("Reviews due"), items=items, order=15)]


def _own_sections(user, agreements: list[Agreement] | None) -> list[HomeSection]:
    """`agreements`: those the summary shows, with their versions (None: no summary)."""
    result = _reviews_due(user)
    if permissions.is_manager(user):
        drafts = list(
            permissions.editable_drafts(user)
            .select_related("agreement")
            .only("number", "status", "change_summary", "agreement__title")
            .order_by("agreement__title")[:10]
        )
        result.append(
            HomeSection(
                title=_("Drafts you can edit"),
                items=[
                    HomeItem(
                        title=f"{draft.agreement.title} · v{draft.number}",
                        url=reverse("slas:version_edit", args=[draft.pk, "frame"]),
                        detail=draft.change_summary[:120]
                        or _("No change summary yet: write one before sending it for signature."),
                        badge=draft.state_label,
                        tone=draft.state_tone,
                        badge_title=draft.state_explanation,
                    )
                    for draft in drafts
                ],
                empty_text=_("No open drafts. Start a new version from an agreement's page."),
                more_url=reverse("slas:agreement_list"),
                more_label=_("All agreements"),
                order=20,
            )
        )
    if agreements is not None:
        items = []
        for agreement in agreements:
            versions = agreement.version_list
            active = next((v for v in versions if v.status == VersionStatus.ACTIVE), None)
            in_flight = [v for v in versions if v.is_upcoming]
            detail = (
                _("v%(number)s in force until %(end)s")
                % {"number": numbers.number(active.number), "end": dates.day(active.end_date)}
                if active
                else _("No version in force")
            )
            if in_flight:
                detail += " · " + ", ".join(f"v{v.number}: {v.state_label}" for v in in_flight)
            items.append(
                HomeItem(
                    title=agreement.title,
                    url=agreement.get_absolute_url(),
                    detail=detail,
                    badge=active.state_label if active else "",
                    tone=active.state_tone if active else "",
                    badge_title=active.state_explanation if active else "",
                )
            )
        result.append(
            HomeSection(
                title=_("Agreements"),
                items=items,
                empty_text=_("None of your teams has an agreement yet."),
                more_url=reverse("slas:agreement_list"),
                order=30,
            )
        )
    return result


def sections(user) -> list[HomeSection]:
    """This app's home-page sections: drafts and reviews due, then signing (requests to sign, versions taking force).

    The agreements and their versions are read once: the summary shows the first ten, and
    when that is every agreement the user sees, the versions being signed are among them."""
    if not (permissions.team_ids(user) or permissions.is_exec(user)):
        # no team: no agreement to see, so none being signed either
        return _own_sections(user, None) + signing_home.sections(user, agreements=[])
    # one more than shown: fewer than that is every agreement the user sees
    agreements = selectors.agreement_summaries_for(user, limit=SUMMARY + 1)
    every = agreements if len(agreements) <= SUMMARY else None
    return _own_sections(user, agreements[:SUMMARY]) + signing_home.sections(user, agreements=every)
