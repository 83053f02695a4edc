"""A meeting's agenda, built from the data when the meeting is created (docs/rituals.md).

Sections, in this order, each only when it applies to the kind:
- `commitments`: commitments of the version in force missed or at risk (a monthly review
  looks at the month under review and the current period, the others at the current period);
- `breaches`: first-contact clocks of the agreement that breached in the window: the
  deadline fell in it and the clock had not stopped by then (first contact or rejection);
- `rejected`: leads rejected back to marketing in the window that no review session has
  on its agenda yet;
- `actions`: open action items of the agreement's earlier meetings, and of its review
  sessions (overdue ones first);
- `incentives` (monthly review): each team's earnings for the month under review, and the
  rules whose condition failed;
- `review_session` (lead review): the session that holds the leads to review.

The window: a monthly review covers the last completed month (in the version's calendar
zone); the other kinds cover the time since the previous meeting of the same kind of the
agreement, or the last 7 days for the first one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from leads.models import Cycle
from leads.reviews.models import ActionItem, ReviewedLead, ReviewSession
from portal import dates
from reports import presenters
from reports.incentives import version_incentives
from reports.rituals.models import Meeting, MeetingAction, MeetingKind
from reports.selectors import compliance_for_versions
from slas.models import ReasonCode, Version, VersionStatus
from slas.periods import Period, period_containing

FIRST_WINDOW = dt.timedelta(days=7)
LISTED = 20  # items listed per section; the count says how many there are


def version_now(agreement_id: int) -> Version | None:
    return (
        Version.objects.filter(agreement_id=agreement_id, status=VersionStatus.ACTIVE)
        .select_related("agreement")
        .first()
    )


def review_month(tz: str, at: dt.datetime) -> Period:
    """The last completed month before `at`, in the calendar zone."""
    current = period_containing(tz, "month", at)
    return period_containing(tz, "month", current.start - dt.timedelta(seconds=1))


def agenda_window(
    agreement_id: int, kind: str, at: dt.datetime, tz: str
) -> tuple[dt.datetime, dt.datetime]:
    if kind == MeetingKind.MONTHLY_REVIEW:
        month = review_month(tz, at)
        return month.start, month.end
    previous = (
        Meeting.objects.filter(agreement_id=agreement_id, kind=kind, scheduled_for__lt=at)
        .order_by("-scheduled_for")
        .values_list("scheduled_for", flat=True)
        .first()
    )
    return (previous or at - FIRST_WINDOW), at


def _item(label: str, *, detail: str = "", url: str = "", tone: str = "") -> dict[str, str]:
    return {"label": label, "detail": detail, "url": url, "tone": tone}


def _section(key: str, items: list[dict], count: int | None = None) -> dict[str, Any]:
    return {"key": key, "count": len(items) if count is None else count, "items": items[:LISTED]}


def _commitments(version: Version, labels: list[str], now: dt.datetime) -> dict:
    comp = compliance_for_versions([version], now=now)[version.pk]
    items = []
    for label in labels:
        for line in comp.lines:
            result = line.result(label)
            if result is None or result.status not in ("missed", "at_risk"):
                continue
            kind = line.spec.kind
            items.append(
                _item(
                    presenters.commitment_title(kind, dict(line.spec.params)),
                    detail=_("%(team)s · %(label)s · %(actual)s against %(target)s")
                    % {
                        "team": line.commitment.owner_team.name,
                        "label": label,
                        "actual": presenters.format_actual(kind, result.actual),
                        "target": presenters.format_target(kind, result.target),
                    },
                    url=reverse("reports:breakdown", args=[version.pk, line.commitment.pk, label]),
                    tone=result.status,
                )
            )
    return _section("commitments", items)


def _breaches(agreement_id: int, start: dt.datetime, end: dt.datetime) -> dict:
    breached = (
        Cycle.objects.filter(agreement_id=agreement_id, deadline_at__gte=start, deadline_at__lt=end)
        # The clock stops at the first contact or the rejection (leads/cycles.py).
        .filter(Q(clock_stop_at__isnull=True) | Q(clock_stop_at__gt=F("deadline_at")))
        .select_related("lead", "owner")
        .order_by("deadline_at", "id")
    )
    count = breached.count()
    items = [
        _item(
            str(cycle.lead),
            detail=(cycle.owner.get_full_name() or cycle.owner.username) if cycle.owner else "",
            url=reverse("leads:lead_detail", args=[cycle.lead_id]),
            tone="missed",
        )
        for cycle in breached[:LISTED]
    ]
    return _section("breaches", items, count)


def _rejected(
    agreement_id: int, start: dt.datetime, end: dt.datetime, labels: dict[str, str]
) -> dict:
    on_a_review = ReviewedLead.objects.filter(cycle__isnull=False).values("cycle_id")
    rejected = (
        Cycle.objects.filter(agreement_id=agreement_id, rejected_at__gte=start, rejected_at__lt=end)
        .exclude(pk__in=on_a_review)
        .select_related("lead")
        .order_by("rejected_at", "id")
    )
    count = rejected.count()
    items = [
        _item(
            str(cycle.lead),
            detail=labels.get(cycle.rejected_reason_code, cycle.rejected_reason_code)
            or _("(no reason given)"),
            url=reverse("leads:lead_detail", args=[cycle.lead_id]),
            tone="warning",
        )
        for cycle in rejected[:LISTED]
    ]
    return _section("rejected", items, count)


def open_actions(agreement_id: int) -> list[MeetingAction]:
    """Action items of the agreement's meetings not done yet: carried to every meeting."""
    return list(
        MeetingAction.objects.filter(meeting__agreement_id=agreement_id, done_at__isnull=True)
        .select_related("owner", "meeting")
        .order_by("due_date", "id")
    )


def _actions(agreement_id: int, today: dt.date) -> dict:
    items = []
    for action in open_actions(agreement_id):
        overdue = action.due_date < today
        items.append(
            _item(
                action.title,
                detail=_("%(owner)s · due %(date)s · from %(meeting)s")
                % {
                    "owner": action.owner.get_full_name() or action.owner.username,
                    "date": dates.day(action.due_date),
                    "meeting": action.meeting.title,
                },
                url=action.meeting.get_absolute_url(),
                tone="missed" if overdue else "",
            )
        )
    sessions = ActionItem.objects.filter(session__agreement_id=agreement_id).exclude(status="done")
    for action in sessions.select_related("owner", "session").order_by("due_date", "id"):
        overdue = action.due_date < today
        items.append(
            _item(
                action.title,
                detail=_("%(owner)s · due %(date)s · from %(meeting)s")
                % {
                    "owner": action.owner.get_full_name() or action.owner.username,
                    "date": dates.day(action.due_date),
                    "meeting": action.session.title,
                },
                url=action.session.get_absolute_url(),
                tone="missed" if overdue else "",
            )
        )
    items.sort(key=lambda item: item["tone"] != "missed")  # overdue first, stable otherwise
    return _section("actions", items)


def _incentives(version: Version, month: Period, now: dt.datetime) -> dict:
    report = version_incentives(version, month, now=now)
    items = [
        _item(
            total.team.name,
            detail=_("%(amount)s %(currency)s earned in %(label)s")
            % {"amount": f"{total.earned:,.2f}", "currency": report.currency, "label": month.label},
            url=reverse("reports:incentives", args=[version.pk]) + f"?period={month.label}",
        )
        for total in report.teams
    ]
    for result in report.results:
        if result.condition == "failed":
            items.append(
                _item(
                    result.rule.name,
                    detail=_("condition failed: nothing paid"),
                    url=reverse(
                        "reports:incentive_leads", args=[version.pk, result.rule.pk, month.label]
                    ),
                    tone="missed",
                )
            )
    return _section("incentives", items)


def agenda_build(
    *,
    agreement_id: int,
    kind: str,
    at: dt.datetime,
    now: dt.datetime,
    review_session: ReviewSession | None = None,
) -> tuple[list[dict], Version | None]:
    """The agenda of a meeting of `kind` held at `at`, from the data as of `now`."""
    version = version_now(agreement_id)
    tz = version.calendar_timezone if version else "UTC"
    start, end = agenda_window(agreement_id, kind, at, tz)
    end = min(end, now)
    sections = []
    if version is not None:
        current = period_containing(tz, "month", now).label
        labels = [current]
        if kind == MeetingKind.MONTHLY_REVIEW:
            labels = [review_month(tz, at).label, current]
        sections.append(_commitments(version, list(dict.fromkeys(labels)), now))
    sections.append(_breaches(agreement_id, start, end))
    labels = (
        dict(ReasonCode.objects.filter(version=version).values_list("code", "label"))
        if version
        else {}
    )
    sections.append(_rejected(agreement_id, start, end, labels))
    sections.append(_actions(agreement_id, now.date()))
    if kind == MeetingKind.MONTHLY_REVIEW and version is not None:
        sections.append(_incentives(version, review_month(tz, at), now))
    if kind == MeetingKind.LEAD_REVIEW and review_session is not None:
        sections.append(
            _section(
                "review_session",
                [
                    _item(
                        review_session.title,
                        detail=_("%(n)s leads on its agenda") % {"n": review_session.leads.count()},
                        url=review_session.get_absolute_url(),
                    )
                ],
            )
        )
    return sections, version
