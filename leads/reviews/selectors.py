"""Reads for feedback, review sessions, action items and the feedback analysis.

Every read starts from a permission-filtered queryset (portal.permissions), and list
reads fetch related rows up front so a page's query count does not grow with its rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from leads.models import Cycle, Lead, LeadEvent
from leads.reviews.models import (
    ActionItem,
    ActionStatus,
    Feedback,
    ReviewedLead,
    ReviewSession,
    SessionAttendee,
)
from portal import permissions
from portal.models import Membership, Role
from slas.models import Agreement, ReasonCode
from slas.periods import Period, period_containing

NONE = "__none__"  # a filter value meaning "not set" (empty source, no campaign...)

DIMENSIONS = ("source", "campaign", "industry", "company_size", "rep", "period")


# Feedback --------------------------------------------------------------------------------


def feedback_for_lead(lead: Lead) -> QuerySet[Feedback]:
    return (
        Feedback.objects.filter(lead=lead)
        .select_related("author", "replied_by")
        .order_by("-created_at", "-id")
    )


def lead_sourcer_id(lead: Lead) -> int | None:
    """Who brought the lead in: the actor of its `created` event (None: an import or
    system without a person)."""
    return (
        LeadEvent.objects.filter(lead=lead, kind="created", actor__isnull=False)
        .order_by("occurred_at", "id")
        .values_list("actor_id", flat=True)
        .first()
    )


VERDICTS = {
    "poor": Q(rating__lte=2),
    "fair": Q(rating=3),
    "good": Q(rating__gte=4),
    "comment": Q(rating__isnull=True),
}


def feedback_on_my_leads(
    user,
    *,
    verdict: str = "",
    reason: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
    replied: str = "",
) -> QuerySet[Feedback]:
    """Feedback others left on the leads `user` brought in (the `created` event names
    him) or owns, newest first; only leads of his teams' pairs (`visible_feedback`).
    Dates are days in the reader's time zone, both included."""
    sourced = LeadEvent.objects.filter(kind="created", actor=user).values("lead_id")
    queryset = (
        permissions.visible_feedback(user)
        .filter(Q(lead__owner=user) | Q(lead_id__in=sourced))
        .exclude(author=user)
    )
    if verdict in VERDICTS:
        queryset = queryset.filter(VERDICTS[verdict])
    if reason:
        # The codes are slugs: their quoted form is found in the list's JSON text on
        # every database (SQLite has no JSON containment).
        queryset = queryset.filter(reason_codes__icontains=f'"{reason}"')
    zone = timezone.get_current_timezone()
    if since is not None:
        start = dt.datetime.combine(since, dt.time.min, tzinfo=zone)
        queryset = queryset.filter(created_at__gte=start)
    if until is not None:
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        queryset = queryset.filter(created_at__lt=end)
    if replied == "yes":
        queryset = queryset.filter(replied_at__isnull=False)
    elif replied == "no":
        queryset = queryset.filter(replied_at__isnull=True)
    return queryset.select_related("lead", "author", "replied_by").order_by("-created_at", "-id")


# Review sessions -------------------------------------------------------------------------


def party_people(team_ids: Iterable[int]) -> QuerySet:
    """Reps and managers of the given teams: who may be invited, own an action, be picked."""
    ids = Membership.objects.filter(
        team_id__in=list(team_ids), role__in=[Role.REP, Role.MANAGER]
    ).values("user_id")
    return get_user_model().objects.filter(pk__in=ids).order_by("first_name", "username")


def review_sessions_for(user) -> QuerySet[ReviewSession]:
    return (
        permissions.visible_review_sessions(user)
        .select_related("agreement", "organizer", "marketing_team", "sales_team")
        .annotate(
            lead_count=Count("leads", distinct=True),
            open_actions=Count("actions", filter=~Q(actions__status="done"), distinct=True),
        )
        .order_by("-scheduled_for", "-id")
    )


def upcoming_review_sessions_of(user, *, now: dt.datetime, limit: int) -> list[ReviewSession]:
    """The next sessions the user is invited to, soonest first (invited means visible, so
    no visibility join: the home page asks this on every visit), with what it shows of them."""
    return list(
        ReviewSession.objects.filter(attendees__user=user, scheduled_for__gte=now)
        .only("title", "period_label", "scheduled_for")
        .order_by("scheduled_for", "id")[:limit]
    )


def review_session_detail(user, pk: int) -> ReviewSession:
    """The session with everything its minutes show, in a fixed number of queries."""
    queryset = permissions.visible_review_sessions(user).select_related(
        "agreement", "organizer", "marketing_team", "sales_team"
    )
    session = permissions.get_visible_or_404(queryset, pk=pk)
    session.attendee_rows = list(
        SessionAttendee.objects.filter(session=session).select_related("user")
    )
    feedback = Feedback.objects.select_related("author", "replied_by").order_by(
        "-created_at", "-id"
    )
    session.reviewed = list(
        ReviewedLead.objects.filter(session=session)
        .select_related("lead", "lead__owner", "cycle", "decided_by")
        .prefetch_related(Prefetch("lead__feedback", queryset=feedback))
    )
    session.action_rows = list(
        ActionItem.objects.filter(session=session).select_related("owner", "reviewed_lead__lead")
    )
    for item in session.action_rows:
        item.session = session  # permission checks read it; no query per row
    return session


@dataclass(frozen=True)
class Candidate:
    lead_id: int
    cycle_id: int
    because: str
    at: dt.datetime


def review_candidates(
    *, session: ReviewSession, kind: str, lead_source: str = "", owner_id: int | None = None
) -> list[Candidate]:
    """Leads of the session's teams and agreement with the event `kind` inside its period.

    A lead counts in the period in which the event happened (rejected_at, a move to
    recycled, won_at, lost_at; for "handed_off", the handoff). One entry per lead: its
    latest matching cycle.
    """
    start, end = session.period_start, session.period_end
    cycles = Cycle.objects.filter(
        agreement_id=session.agreement_id,
        lead__sales_team_id=session.sales_team_id,
        lead__marketing_team_id=session.marketing_team_id,
    )
    if lead_source:
        cycles = cycles.filter(lead__lead_source=lead_source)
    if owner_id:
        cycles = cycles.filter(lead__owner_id=owner_id)
    columns = {
        "rejected": "rejected_at",
        "won": "won_at",
        "lost": "lost_at",
        "handed_off": "handoff_at",
    }
    found: dict[int, Candidate] = {}
    if kind in columns:
        column = columns[kind]
        rows = cycles.filter(**{f"{column}__gte": start, f"{column}__lt": end}).values_list(
            "lead_id", "id", column
        )
        for lead_id, cycle_id, at in rows:
            if lead_id not in found or found[lead_id].at < at:
                found[lead_id] = Candidate(lead_id, cycle_id, kind, at)
    elif kind == "recycled":
        rows = cycles.filter(handoff_at__lt=end).filter(
            Q(ended_at__isnull=True) | Q(ended_at__gt=start)
        )
        for lead_id, cycle_id, exits in rows.values_list("lead_id", "id", "exits"):
            for at_text, to_stage, _reason in exits:
                at = dt.datetime.fromisoformat(at_text)
                if to_stage == "recycled" and start <= at < end:
                    if lead_id not in found or found[lead_id].at < at:
                        found[lead_id] = Candidate(lead_id, cycle_id, kind, at)
    else:
        raise ValueError(f"unknown selection {kind!r}")
    return sorted(found.values(), key=lambda c: (c.at, c.lead_id))


# Action items ----------------------------------------------------------------------------


def action_items_open_for(user) -> QuerySet[ActionItem]:
    return (
        ActionItem.objects.filter(owner=user)
        .exclude(status=ActionStatus.DONE)
        .select_related("session")
        .order_by("due_date", "id")
    )


def action_items_overdue(now: dt.datetime) -> QuerySet[ActionItem]:
    """Open items whose due date has passed (in the portal's time zone) as of `now`.

    For the notification sweep: one reminder per item and day is a good dedupe key
    (`action_item_overdue:<id>:<today>`); `owner` and `session` are fetched with it.
    """
    today = timezone.localdate(now)
    return (
        ActionItem.objects.exclude(status=ActionStatus.DONE)
        .filter(due_date__lt=today)
        .select_related("owner", "session")
        .order_by("due_date", "id")
    )


def leads_awaiting_feedback(user, *, since: dt.datetime) -> QuerySet[Cycle]:
    """Cycles the user owns that were rejected or sales-recycled since `since` and have no
    feedback from anyone after their handoff (the feedback-coverage commitment)."""
    has_feedback = Feedback.objects.filter(
        lead_id=OuterRef("lead_id"), created_at__gt=OuterRef("handoff_at")
    )
    return (
        Cycle.objects.filter(owner=user)
        .filter(Q(rejected_at__gte=since) | Q(sales_recycle_at__gte=since))
        .filter(~Exists(has_feedback))
        .select_related("lead")
        # the latest return first, whichever way it came back (two columns, one of them
        # empty: ordered by each, the empty ones sorted first on PostgreSQL, last on SQLite)
        .order_by(Coalesce("rejected_at", "sales_recycle_at").desc(), "-id")
    )


# Analysis --------------------------------------------------------------------------------


@dataclass
class AnalysisScope:
    """What the analysis looks at: one agreement, a range of its reporting periods, filters."""

    agreement: Agreement | None
    tz: str
    cadence: str
    periods: list[Period]  # oldest first
    filters: dict[str, str] = field(default_factory=dict)  # dimension -> value (NONE = empty)
    reason: str = ""
    rejected_reason: str = ""
    rated: bool = False  # only feedback with a rating (the leads behind an average)

    @property
    def start(self) -> dt.datetime:
        return self.periods[0].start

    @property
    def end(self) -> dt.datetime:
        return self.periods[-1].end


@dataclass
class FeedbackRow:
    feedback_id: int
    lead_id: int
    rating: int | None
    reason_codes: list[str]
    values: dict[str, str]


def _feedback_rows(user, scope: AnalysisScope) -> list[FeedbackRow]:
    """Feedback in scope with the lead attributes the analysis groups by (one query)."""
    queryset = permissions.visible_feedback(user).filter(
        created_at__gte=scope.start, created_at__lt=scope.end
    )
    if scope.agreement is not None:
        queryset = queryset.filter(lead__agreement=scope.agreement)
    rows = queryset.annotate(campaign=KeyTextTransform("campaign", "lead__attributes")).values_list(
        "id",
        "lead_id",
        "rating",
        "reason_codes",
        "created_at",
        "lead__lead_source",
        "campaign",
        "lead__industry",
        "lead__company_size",
        "lead__owner_id",
    )
    result = []
    for fid, lead_id, rating, codes, created, source, campaign, industry, size, owner in rows:
        values = {
            "source": source or NONE,
            "campaign": str(campaign) if campaign else NONE,
            "industry": industry or NONE,
            "company_size": size or NONE,
            "rep": str(owner) if owner else NONE,
            "period": period_containing(scope.tz, scope.cadence, created).label,
        }
        if any(values[dim] != wanted for dim, wanted in scope.filters.items()):
            continue
        result.append(FeedbackRow(fid, lead_id, rating, list(codes or []), values))
    return result


def reason_labels_visible(user) -> dict[str, str]:
    """code -> label over the agreements `user` sees (the newest version's wording wins)."""
    return dict(
        ReasonCode.objects.filter(version__agreement__in=permissions.visible_agreements(user))
        .order_by("version__number", "position")
        .values_list("code", "label")
    )


def reason_labels(agreement: Agreement | None) -> dict[str, str]:
    """code -> label across the agreement's versions (the newest version's wording wins)."""
    queryset = ReasonCode.objects.order_by("version__number", "position")
    if agreement is not None:
        queryset = queryset.filter(version__agreement=agreement)
    return dict(queryset.values_list("code", "label"))


@dataclass
class GroupRow:
    value: str
    label: str
    entries: int = 0
    leads: int = 0
    rated: int = 0
    rating_sum: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def avg_rating(self) -> float | None:
        return self.rating_sum / self.rated if self.rated else None


def _group(rows: list[FeedbackRow], dimension: str) -> dict[str, GroupRow]:
    groups: dict[str, GroupRow] = {}
    lead_sets: dict[str, set[int]] = defaultdict(set)
    reason_sets: dict[tuple[str, str], set[int]] = defaultdict(set)
    for row in rows:
        value = row.values[dimension]
        group = groups.setdefault(value, GroupRow(value=value, label=value))
        group.entries += 1
        lead_sets[value].add(row.lead_id)
        if row.rating is not None:
            group.rated += 1
            group.rating_sum += row.rating
        for code in row.reason_codes:
            reason_sets[(value, code)].add(row.lead_id)
    for value, group in groups.items():
        group.leads = len(lead_sets[value])
    for (value, code), leads in reason_sets.items():
        groups[value].reasons[code] = len(leads)
    return groups


@dataclass
class Analysis:
    scope: AnalysisScope
    dimension: str
    groups: list[GroupRow]
    reason_columns: list[tuple[str, str]]  # (code, label), most cited first
    totals: GroupRow
    trend: list[GroupRow]  # one per period of the scope, oldest first
    rejection_reasons: list[tuple[str, str, int]]  # (code, label, rejected leads)


def feedback_analysis(user, scope: AnalysisScope, dimension: str) -> Analysis:
    """Ratings and reason codes grouped by `dimension`, a trend over periods, and the
    top reasons given when sales rejected marketing's leads. Counts of reasons are
    distinct leads (the leads a number links to); entries and ratings count feedback."""
    if dimension not in DIMENSIONS:
        raise ValueError(dimension)
    rows = _feedback_rows(user, scope)
    labels = reason_labels(scope.agreement)
    groups = _group(rows, dimension)
    totals = _group(
        [
            FeedbackRow(r.feedback_id, r.lead_id, r.rating, r.reason_codes, {"all": "all"})
            for r in rows
        ],
        "all",
    ).get("all", GroupRow(value="all", label="all"))
    order = {code: i for i, code in enumerate(labels)}
    cited = sorted(
        totals.reasons.items(), key=lambda kv: (-kv[1], order.get(kv[0], len(order)), kv[0])
    )
    reason_columns = [(code, labels.get(code, code)) for code, _n in cited]
    if dimension == "rep":
        user_ids = [int(v) for v in groups if v != NONE]
        names = {
            u.pk: u.get_full_name() or u.username
            for u in get_user_model().objects.filter(pk__in=user_ids)
        }
        for value, group in groups.items():
            if value != NONE:
                group.label = names.get(int(value), value)
    by_period = _group(rows, "period")
    trend = [by_period.get(p.label, GroupRow(value=p.label, label=p.label)) for p in scope.periods]
    ordered = sorted(groups.values(), key=lambda g: (-g.entries, g.label))
    return Analysis(
        scope=scope,
        dimension=dimension,
        groups=ordered,
        reason_columns=reason_columns,
        totals=totals,
        trend=trend,
        rejection_reasons=_rejection_reasons(user, scope, labels),
    )


def _rejected_cycles(user, scope: AnalysisScope) -> QuerySet[Cycle]:
    """Cycles sales rejected inside the scope (a rejection counts in the period it happened)."""
    start, end = scope.start, scope.end
    period = scope.filters.get("period")
    if period:
        match = [p for p in scope.periods if p.label == period]
        start, end = (match[0].start, match[0].end) if match else (start, start)
    queryset = Cycle.objects.filter(
        lead__in=permissions.visible_leads(user), rejected_at__gte=start, rejected_at__lt=end
    )
    if scope.agreement is not None:
        queryset = queryset.filter(agreement=scope.agreement)
    lookups = {
        "source": "lead__lead_source",
        "campaign": "campaign",
        "industry": "lead__industry",
        "company_size": "lead__company_size",
        "rep": "lead__owner_id",
    }
    if "campaign" in scope.filters:
        queryset = queryset.annotate(campaign=KeyTextTransform("campaign", "lead__attributes"))
    for dim, value in scope.filters.items():
        if dim not in lookups:
            continue
        if value != NONE:
            queryset = queryset.filter(**{lookups[dim]: value})
        elif dim in ("rep", "campaign"):
            queryset = queryset.filter(**{f"{lookups[dim]}__isnull": True})
        else:
            queryset = queryset.filter(**{lookups[dim]: ""})
    return queryset


def _rejection_reasons(
    user, scope: AnalysisScope, labels: dict[str, str]
) -> list[tuple[str, str, int]]:
    counts = (
        _rejected_cycles(user, scope)
        .values("rejected_reason_code")
        .annotate(leads=Count("lead_id", distinct=True))
        .order_by("-leads", "rejected_reason_code")
    )
    return [
        (
            row["rejected_reason_code"] or NONE,
            labels.get(row["rejected_reason_code"], ""),
            row["leads"],
        )
        for row in counts
    ]


def analysis_leads(user, scope: AnalysisScope) -> QuerySet[Lead]:
    """The leads behind a number of the analysis page (same scope, same counting)."""
    if scope.rejected_reason:
        code = "" if scope.rejected_reason == NONE else scope.rejected_reason
        ids = set(
            _rejected_cycles(user, scope)
            .filter(rejected_reason_code=code)
            .values_list("lead_id", flat=True)
        )
    else:
        ids = {
            row.lead_id
            for row in _feedback_rows(user, scope)
            if (not scope.reason or scope.reason in row.reason_codes)
            and (not scope.rated or row.rating is not None)
        }
    return (
        Lead.objects.filter(pk__in=ids)
        .select_related("owner")
        .annotate(feedback_count=Count("feedback"))
        .order_by("-created_at", "-id")
    )


def lead_feedback_panel(lead, user) -> dict:
    """Entries of `lead` (newest first) with what `user` may do with them.

    The `{% lead_feedback lead user as fb %}` tag gives it to templates: `fb.entries`, `fb.may_comment`,
    `fb.may_rate`, `fb.create_url`. Each entry carries `.may_edit` and `.reason_labels`.
    """
    entries = list(feedback_for_lead(lead))
    labels = reason_labels(lead.agreement) if lead.agreement_id and entries else {}
    now = timezone.now()
    for entry in entries:
        entry.lead = lead  # the permission checks read it: no query per entry
        entry.may_edit = permissions.can_edit_feedback(user, entry, now)
        entry.may_reply = not entry.has_reply and permissions.can_reply_to_feedback(user, entry)
        entry.reason_labels = [labels.get(code, code) for code in entry.reason_codes]
    return {
        "entries": entries,
        "may_comment": permissions.can_comment_on_lead(user, lead),
        "may_rate": permissions.can_rate_lead(user, lead),
        "create_url": reverse("reviews:feedback_create", args=[lead.pk]),
    }
