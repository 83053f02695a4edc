"""Reads for the lead pages: queues with their SLA clocks, score explanations, timelines.

Query counts do not grow with the number of leads: cycles come with their leads in one
query, versions and their rules are loaded once per page (VersionIndex, version rules).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from leads.cycles import clock_business_us, clock_stopped
from leads.derive import VersionRules, lead_score, version_rules_load
from leads.lifecycle import ACTIVE_STAGES, ALLOWED_MOVES, RecycleRule, is_sales_recycle
from leads.models import Cycle, Lead, LeadEvent
from leads.scoring import LEAD_FIELDS, Score
from portal import numbers, permissions
from slas.clock import US_PER_SECOND, Allowance, Pause, clock_pause
from slas.glossary import Glossary, glossaries_load
from slas.governing import VersionIndex


def duration_text(seconds: float) -> str:
    """Business time as people say it: "3 h 20 min", "45 min", "2 d 1 h" (8 h days not
    assumed), in the language's digits."""
    minutes = int(abs(seconds) // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        text = _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    elif hours:
        text = _("%(h)d h") % {"h": hours}
    else:
        text = ngettext("%(m)d min", "%(m)d min", minutes) % {"m": minutes}
    return numbers.digits(text)


@dataclass
class Clock:
    """The first-contact clock of a cycle as a person reads it."""

    state: str  # "overdue" | "at_risk" | "ok" | "met" | "breached" | "ungoverned"
    label: str
    seconds_left: float | None = None
    #: Why a running clock is not counting now and when it resumes (None: counting).
    pause: Pause | None = None
    #: The governing version's calendar zone (the reader's is named where it differs).
    zone: str = ""

    @property
    def tone(self) -> str:
        return {
            "overdue": "danger",
            "breached": "danger",
            "at_risk": "warning",
            "ok": "success",
            "met": "success",
        }.get(self.state, "")

    @property
    def running(self) -> bool:
        return self.state in ("overdue", "at_risk", "ok")


def cycle_clock(cycle: Cycle, index: VersionIndex, now: dt.datetime) -> Clock:
    """The clock as of ``now``, judged by the compliance pages' rule (slas.clock.Allowance,
    compared exactly) on the governing version's window and calendar."""
    version = next(
        (v for v in index.versions(cycle.agreement_id) if v.id == cycle.version_id), None
    )
    if version is None:
        return Clock("ungoverned", _("no SLA clock (no version in force at handoff)"))
    allowance = Allowance.of(version.first_contact_hours)
    used = clock_business_us(cycle, version.calendar, now)
    stopped = clock_stopped(cycle, now)
    state = allowance.state(used, stopped=stopped)
    left = allowance.left_us(used) / US_PER_SECOND
    if stopped and state == "met":
        return Clock("met", _("stopped after %(t)s") % {"t": duration_text(used / US_PER_SECOND)})
    if stopped:
        return Clock("breached", _("stopped %(t)s late") % {"t": duration_text(-left)})
    pause, zone = clock_pause(version.calendar, now), version.calendar.tz
    if state == "breached":
        return Clock(
            "overdue", _("overdue by %(t)s") % {"t": duration_text(-left)}, left, pause, zone
        )
    return Clock(
        "at_risk" if state == "at_risk" else "ok",
        _("%(t)s left") % {"t": duration_text(left)},
        left,
        pause,
        zone,
    )


@dataclass
class QueueRow:
    lead: Lead
    cycle: Cycle
    clock: Clock
    score: Score
    glossary: Glossary | None = None  # the stage definitions of the governing version


def lead_glossary_version(
    *, cycle: Cycle | None, agreement_id: int | None, index: VersionIndex, now: dt.datetime
) -> int | None:
    """The version whose definitions a lead's stage names show (slas/glossary.py): the one
    governing its latest cycle, else (never handed off, or handed off when none was in
    force) the one in force now."""
    if cycle is not None and cycle.version_id is not None:
        return cycle.version_id
    current = index.governing(agreement_id, now)
    return current.id if current else None


class RulesCache:
    """Version rules by id and the version in force now per agreement, loaded lazily
    (``scoring_only``: their scoring rules alone, version_rules_load)."""

    def __init__(self, index: VersionIndex, now: dt.datetime, *, scoring_only: bool = False):
        self.index = index
        self.now = now
        self.scoring_only = scoring_only
        self._rules: dict[int, VersionRules] = {}

    def current(self, agreement_id: int | None) -> VersionRules | None:
        version = self.index.governing(agreement_id, self.now)
        return self.of(version.id if version else None)

    def of(self, version_id: int | None) -> VersionRules | None:
        if version_id is None:
            return None
        if version_id not in self._rules:
            self._rules.update(
                version_rules_load([version_id], scoring_only=self.scoring_only, index=self.index)
            )
        return self._rules.get(version_id)

    def load(self, version_ids) -> None:
        """Load these versions' rules together (one set of queries for all)."""
        wanted = {pk for pk in version_ids if pk is not None and pk not in self._rules}
        if wanted:
            self._rules.update(
                version_rules_load(wanted, scoring_only=self.scoring_only, index=self.index)
            )


def clock_running(now: dt.datetime) -> Q:
    """Cycles whose first-contact clock has not stopped by ``now``: a stop stamped later
    has not happened yet (docs/compliance.md, facts stamped after now)."""
    return Q(clock_stop_at__isnull=True) | Q(clock_stop_at__gt=now)


def _queue_cycles(queryset: QuerySet[Cycle], now: dt.datetime | None) -> QuerySet[Cycle]:
    return (
        _open_work(queryset)
        .annotate(
            running=Case(
                When(clock_running(now or timezone.now()), then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("running", *QUEUE_ORDER)
    )


def queue_rows(cycles, *, now: dt.datetime | None = None) -> list[QueueRow]:
    now = now or timezone.now()
    index = VersionIndex()
    rules = RulesCache(index, now, scoring_only=True)  # a queue shows scores, no reasons
    rows = []
    for cycle in cycles:
        lead = cycle.lead
        rows.append(
            QueueRow(
                lead,
                cycle,
                cycle_clock(cycle, index, now),
                lead_score(lead, rules.current(lead.agreement_id)),
            )
        )
    governing = {
        row.cycle.pk: lead_glossary_version(
            cycle=row.cycle, agreement_id=row.lead.agreement_id, index=index, now=now
        )
        for row in rows
    }
    glossaries = glossaries_load(governing.values(), index=index)
    for row in rows:
        row.glossary = glossaries.get(governing[row.cycle.pk])
    return rows


# Nearest deadline first (ungoverned handoffs, without one, last); the partial indexes on
# open cycles (leads.models.Cycle) hold this order.
QUEUE_ORDER = (F("deadline_at").asc(nulls_last=True), "handoff_at", "id")


# The columns a queue row reads (QueueRow, leads/queue.html): its clock, its order, and
# of its lead the name, the stage, the flag, the owner and what scores it (LEAD_FIELDS,
# attributes); a cycle has some thirty columns, most of them dates.
QUEUE_CYCLE_FIELDS = ("lead", "agreement", "version", "handoff_at", "deadline_at", "clock_stop_at")
QUEUE_LEAD_FIELDS = (*LEAD_FIELDS, "attributes", "agreement", "stage", "flagged", "owner")


def _open_work(queryset: QuerySet[Cycle], *, closed: bool = False) -> QuerySet[Cycle]:
    """The latest cycle of each lead, of leads still in the funnel (``closed``: of leads
    won, lost, disqualified or recycled instead), with the columns its row reads."""
    active = Q(lead__stage__in=ACTIVE_STAGES)
    queryset = (
        queryset.filter(ended_at__isnull=True)
        .select_related("lead")
        .only(*QUEUE_CYCLE_FIELDS, *(f"lead__{name}" for name in QUEUE_LEAD_FIELDS))
    )
    return queryset.exclude(active) if closed else queryset.filter(active)


@dataclass
class QueuePage:
    """One page of a queue, counted no further than the next page's first row."""

    rows: list[QueueRow]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1


def queue_page(
    queryset: QuerySet[Cycle],
    *,
    number: int = 1,
    size: int = 50,
    closed: bool = False,
    now: dt.datetime | None = None,
) -> QueuePage:
    """A page of open work from ``queryset`` (my_cycles, team_cycles, filtered further):
    clocks running at ``now`` first, then the other open cycles, each nearest deadline
    first; ``closed``: the cycles of closed leads instead, latest handoff first.

    No count over the whole queue: each part is read in index order (the partial
    indexes on open cycles) no further than the page and one row more, which says
    whether there is a next page. Queries: two for the rows (three on a page after the
    running clocks end), and queue_rows' own."""
    now = now or timezone.now()
    number = max(1, number)
    offset = (number - 1) * size
    if closed:
        page = list(
            _open_work(queryset, closed=True).order_by("-handoff_at", "-id")[
                offset : offset + size + 1
            ]
        )
    else:
        base = _open_work(queryset)
        running = base.filter(clock_running(now)).order_by(*QUEUE_ORDER)
        # The page's own rows only: the ones before it are skipped by the database
        # (building them took a later page most of its time), and counted, no further
        # than the page's start, only when the running clocks end before it.
        page = list(running[offset : offset + size + 1])
        if len(page) <= size:
            before = offset + len(page) if page or not offset else running[:offset].count()
            skip = max(0, offset - before)
            stopped = base.exclude(clock_running(now)).order_by(*QUEUE_ORDER)
            page += list(stopped[skip : skip + size + 1 - len(page)])
    return QueuePage(queue_rows(page[:size], now=now), number, len(page) > size)


def my_cycles(user) -> QuerySet[Cycle]:
    """Cycles of the leads I own and see (any state, unordered): the queue's source.
    Filtered on the cycle's owner (the lead's current owner, kept on its cycles), which
    the partial index of open cycles by owner serves."""
    return Cycle.objects.filter(permissions.visible_leads_q(user, through="lead__"), owner=user)


def team_cycles(user) -> QuerySet[Cycle]:
    """Cycles of the leads of the sales teams I manage (all teams for execs and staff),
    with their leads' owners, whom the team queue names."""
    cycles = Cycle.objects.filter(permissions.visible_leads_q(user, through="lead__"))
    cycles = cycles.select_related("lead__owner")
    if not (permissions.is_exec(user)):
        cycles = cycles.filter(lead__sales_team__in=permissions.manager_team_ids(user))
    return cycles


def my_queue(user, *, now: dt.datetime | None = None) -> QuerySet[Cycle]:
    """Open cycles of handed-off leads I own, clocks running at ``now`` first, nearest
    deadline first (a page of it: queue_page)."""
    return _queue_cycles(my_cycles(user), now)


def team_queue(user, *, now: dt.datetime | None = None) -> QuerySet[Cycle]:
    """Open cycles of the sales teams I manage, in queue order (a page: queue_page)."""
    return _queue_cycles(team_cycles(user), now)


def lead_timeline(lead: Lead) -> QuerySet[LeadEvent]:
    return lead.events.select_related("actor").order_by("-occurred_at", "-id")


@dataclass
class TimelinePage:
    events: list[LeadEvent]
    older_than: int | None  # event id for the "Older events" link (None: no older events)
    paged: bool  # not the newest page


def lead_timeline_page(lead: Lead, *, before: str | None, size: int) -> TimelinePage:
    """One page of the lead's timeline, newest first, by keyset on (occurred_at, id):
    the events older than event `before` (an id of this lead's events; anything else
    gives the newest page). Two queries at most, however long the timeline."""
    events = lead_timeline(lead)
    anchor = None
    if before and before.isdigit():
        anchor = lead.events.filter(pk=int(before)).values_list("occurred_at", "id").first()
    if anchor is not None:
        at, pk = anchor
        events = events.filter(Q(occurred_at__lt=at) | Q(occurred_at=at, id__lt=pk))
    rows = list(events[: size + 1])
    older = rows[size - 1].pk if len(rows) > size else None
    shown = rows[:size]
    _events_labelled(shown)
    return TimelinePage(shown, older, anchor is not None)


def _events_labelled(events: list[LeadEvent]) -> None:
    """Give each event its kind and channel as the reader's language names them
    (`kind_label`, `channel_label`: what get_kind_display and get_channel_display say),
    the choices read once for the page: get_FOO_display hashes every lazy label of its
    field's choices, a translation each, on every call."""
    if not events:
        return
    kinds, channels = (
        {value: str(label) for value, label in LeadEvent._meta.get_field(name).flatchoices}
        for name in ("kind", "channel")
    )
    for event in events:
        event.kind_label = kinds.get(event.kind, event.kind)
        event.channel_label = channels.get(event.channel, event.channel)


def leads_glossaries(leads: list[Lead], *, now: dt.datetime | None = None) -> None:
    """Give each lead (as `lead.glossary`) the stage definitions of the version governing
    it (`lead_glossary_version`), for lists of leads: at most five queries, however many."""
    now = now or timezone.now()
    latest: dict[int, Cycle] = {}
    for cycle in Cycle.objects.filter(lead__in=[lead.pk for lead in leads]).only(
        "lead_id", "number", "version_id"
    ):
        if cycle.lead_id not in latest or cycle.number > latest[cycle.lead_id].number:
            latest[cycle.lead_id] = cycle
    index = VersionIndex()
    governing = {
        lead.pk: lead_glossary_version(
            cycle=latest.get(lead.pk), agreement_id=lead.agreement_id, index=index, now=now
        )
        for lead in leads
    }
    glossaries = glossaries_load(governing.values())
    for lead in leads:
        lead.glossary = glossaries.get(governing[lead.pk])


def timeline_glossaries(
    lead: Lead,
    events: list[LeadEvent],
    *,
    fallback: Glossary | None,
    cycles: list[Cycle] | None = None,
) -> None:
    """Give each event (as `event.glossary`) the stage definitions its stage name shows:
    those of the version governing the cycle it belongs to (the lead's latest handoff at
    or before it), else `fallback`, the lead's (slas/glossary.py). Two queries at most,
    however long the timeline; one when `cycles`, all the lead's, are given (LeadPage)."""
    if cycles is None:
        cycles = list(
            Cycle.objects.filter(lead=lead)
            .order_by("handoff_at", "number")
            .values_list("handoff_at", "version_id")
        )
    else:
        ordered = sorted(cycles, key=lambda cycle: (cycle.handoff_at, cycle.number))
        cycles = [(cycle.handoff_at, cycle.version_id) for cycle in ordered]
    # The fallback is the glossary of the lead's own version, usually one of these.
    known = {fallback.version_id: fallback} if fallback is not None else {}
    glossaries = known | glossaries_load(
        version_id for _at, version_id in cycles if version_id not in known
    )
    for event in events:
        version_id = None
        for handoff_at, cycle_version_id in cycles:
            if handoff_at > event.occurred_at:
                break
            version_id = cycle_version_id
        event.glossary = glossaries.get(version_id) if version_id else fallback


def lead_cycle_attempts(*, lead: Lead, at: dt.datetime) -> int | None:
    """Contact attempts in the lead's cycle open at `at` (since its latest handoff up to
    then, by event order) and up to `at`: what compliance counts before a recycle made
    at `at` (docs/compliance.md#attempts_before_recycle). None: no cycle (no handoff)."""
    handoff = (
        LeadEvent.objects.filter(
            lead_id=lead.pk, kind="stage_changed", to_stage="mql", occurred_at__lte=at
        )
        .order_by("-occurred_at", "-id")
        .values_list("occurred_at", "id")
        .first()
    )
    if handoff is None:
        return None
    handoff_at, handoff_id = handoff
    return (
        LeadEvent.objects.filter(lead_id=lead.pk, kind="contact_attempt", occurred_at__lte=at)
        .filter(Q(occurred_at__gt=handoff_at) | Q(occurred_at=handoff_at, id__gt=handoff_id))
        .count()
    )


@dataclass
class RecycleCheck:
    """A sales recycle's attempts rule as the lead page shows it: attempts so far in the
    cycle against the K of the version governing it."""

    attempts: int
    rule: RecycleRule

    @property
    def short(self) -> bool:
        return self.attempts < self.rule.attempts


@dataclass
class LeadPage:
    lead: Lead
    cycle: Cycle | None
    clock: Clock | None
    score: Score
    rules: VersionRules | None  # the version in force now: scores, nurture tracks
    moves: list[str]
    reasons: dict[str, list[tuple[str, str]]]
    cycle_rules: VersionRules | None = None  # the version governing the current cycle
    recycle: RecycleCheck | None = None  # a sales recycle's attempts rule (None: no rule)
    glossary: Glossary | None = None  # the stage definitions of the governing version
    cycles: list[Cycle] = field(default_factory=list)  # all the lead's, by number


def lead_page(lead: Lead, *, now: dt.datetime | None = None) -> LeadPage:
    """The lead page's facts. Reason choices come from the version governing the lead's
    current cycle (in force at its latest handoff), as services.lead_event_record checks
    them; a lead never handed off uses the version in force now. An ungoverned cycle
    accepts any code, so it offers the current version's codes."""
    now = now or timezone.now()
    index = VersionIndex()
    cache = RulesCache(index, now)
    cycles = list(Cycle.objects.filter(lead=lead).order_by("number"))  # the timeline's too
    cycle = cycles[-1] if cycles else None
    current = index.governing(lead.agreement_id, now)
    # The version in force now and the one governing the cycle, read together.
    cache.load([current.id if current else None, cycle.version_id if cycle else None])
    rules = cache.current(lead.agreement_id)
    clock = cycle_clock(cycle, index, now) if cycle is not None else None
    cycle_rules = rules
    if cycle is not None and cycle.version_id is not None:
        cycle_rules = cache.of(cycle.version_id)
    moves = sorted(ALLOWED_MOVES.get(lead.stage, ()), key=_move_order)
    reasons = {
        to: (cycle_rules.reason_choices(lead.stage, to) if cycle_rules else [])
        for to in moves
        if to in ("recycled", "disqualified")
    }
    # The attempts rule is the governing version's (an ungoverned cycle has none), as
    # services.lead_event_record applies it.
    recycle = None
    governing = cache.of(cycle.version_id) if cycle is not None else None
    rule = governing.recycle_rule if governing else None
    if rule is not None and "recycled" in moves and is_sales_recycle(lead.stage, "recycled"):
        recycle = RecycleCheck(lead_cycle_attempts(lead=lead, at=now) or 0, rule)
    glossary_version = lead_glossary_version(
        cycle=cycle, agreement_id=lead.agreement_id, index=index, now=now
    )
    return LeadPage(
        lead,
        cycle,
        clock,
        lead_score(lead, rules),
        rules,
        moves,
        reasons,
        cycle_rules,
        recycle,
        glossaries_load([glossary_version], index=index).get(glossary_version),
        cycles,
    )


def _move_order(stage: str) -> int:
    order = ["mql", "sal", "sql", "opportunity", "won", "lost", "recycled", "disqualified"]
    return order.index(stage) if stage in order else 99
