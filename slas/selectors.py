"""Reads across agreement models: lists, a version's full content, measured funnel rates, readiness to send. Comparisons are slas.compare, the history timeline slas.timeline.

Every function issues a fixed number of queries whatever the number of versions,
parts or history rows (pages rely on it; tests count)."""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import uuid4

from django.apps import apps
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import permissions
from slas import funnel
from slas.models import (
    PART_MODELS,
    UPCOMING_STATUSES,
    Agreement,
    Version,
    VersionStatus,
)

#: How many days before a version's review date its managers get the to-do "start the
#: next version" on their home page (it stays until a newer version is under way).
REVIEW_TODO_DAYS = 14

# Lists -----------------------------------------------------------------------------------


def without_next_version_under_way(versions: QuerySet[Version]) -> QuerySet[Version]:
    """Those of `versions` whose agreement has no newer version under way (a draft, one
    awaiting signatures or scheduled): the review is done once the next one is started."""
    newer = Version.objects.filter(
        agreement_id=OuterRef("agreement_id"),
        number__gt=OuterRef("number"),
        status__in=UPCOMING_STATUSES,
    )
    return versions.exclude(Exists(newer))


def version_local_today(version: Version, now: datetime.datetime) -> datetime.date:
    return now.astimezone(zoneinfo.ZoneInfo(version.calendar_timezone)).date()


def versions_due_for_review(user) -> list[Version]:
    """Versions in force, of agreements where `user` manages a party team, whose review
    date is at most `REVIEW_TODO_DAYS` away (in the version's calendar zone) or past, and
    whose next version is not under way yet. Oldest review date first."""
    managed = permissions.manager_team_ids(user)
    if not managed:
        return []
    now = timezone.now()
    candidates = without_next_version_under_way(
        Version.objects.filter(
            status=VersionStatus.ACTIVE,
            agreement__parties__in=managed,
            # A day of slack covers every time zone; the exact check is below.
            review_date__lte=now.date() + datetime.timedelta(days=REVIEW_TODO_DAYS + 1),
        )
        .distinct()
        .select_related("agreement")
        .only("number", "review_date", "calendar_timezone", "agreement__title")
    )
    return sorted(
        (
            v
            for v in candidates
            if (v.review_date - version_local_today(v, now)).days <= REVIEW_TODO_DAYS
        ),
        key=lambda v: (v.review_date, v.agreement.title),
    )


def agreement_list_for(user) -> QuerySet[Agreement]:
    return (
        permissions.visible_agreements(user)
        .prefetch_related(
            "parties", Prefetch("versions", queryset=Version.objects.order_by("-number"))
        )
        .order_by("title")
    )


def agreement_summaries_for(user, *, limit: int) -> list[Agreement]:
    """The first `limit` agreements the user sees, by title, each with its versions newest
    first as `version_list`, with what a summary of them shows (number, status, dates).
    Two queries."""
    agreements = list(permissions.visible_agreements(user).only("title").order_by("title")[:limit])
    versions: dict[int, list[Version]] = {agreement.pk: [] for agreement in agreements}
    for version in (
        Version.objects.filter(agreement__in=list(versions))
        .only("agreement", "number", "status", "effective_date", "end_date")
        .order_by("-number")
    ):
        versions[version.agreement_id].append(version)
    for agreement in agreements:
        agreement.version_list = versions[agreement.pk]
    return agreements


def version_default_base(versions: Iterable[Version]) -> Version | None:
    """Which version "New version" starts from unless told: the one in force, else the
    newest one (a first version still awaiting signatures, say); never a draft."""
    candidates = [v for v in versions if not v.is_draft]
    in_force = [v for v in candidates if v.status == VersionStatus.ACTIVE]
    return (in_force or sorted(candidates, key=lambda v: v.number, reverse=True) or [None])[0]


@dataclass(frozen=True)
class BaseNotice:
    """A draft copied from (or last rebased onto) `base`, while `in_force`, newer, governs:
    sent as it is, it would undo what `in_force` changed. It is rebased before it is sent."""

    base: Version
    in_force: Version


def version_base_notice(version: Version, versions: Iterable[Version] = ()) -> BaseNotice | None:
    """The notice for a draft based on a version older than the one in force, else None.

    `versions`: the agreement's versions if at hand (else read). A draft with no known
    base (made before bases were kept) is not flagged.
    """
    if not version.is_draft or version.based_on_id is None:
        return None
    versions = list(versions) or list(
        Version.objects.filter(agreement_id=version.agreement_id, status=VersionStatus.ACTIVE)
    )
    in_force = next((v for v in versions if v.status == VersionStatus.ACTIVE), None)
    if in_force is None or in_force.pk == version.based_on_id:
        return None
    base = next((v for v in versions if v.pk == version.based_on_id), None) or version.based_on
    if in_force.number < base.number:
        return None  # based on a newer version (scheduled, say): nothing in force is lost
    return BaseNotice(base=base, in_force=in_force)


def version_in_force(agreement_id: int, at: datetime.datetime) -> Version | None:
    """The version of the agreement in force at instant `at` (None: ungoverned)."""
    return (
        Version.objects.filter(agreement_id=agreement_id, in_force_from__lte=at)
        .filter(Q(in_force_until__isnull=True) | Q(in_force_until__gt=at))
        .order_by("-in_force_from")
        .first()
    )


def versions_with_parts(queryset: QuerySet[Version] | None = None) -> QuerySet[Version]:
    """Versions with their agreement, parties and every part prefetched (constant queries)."""
    queryset = Version.objects.all() if queryset is None else queryset
    with_team = {"commitments", "process_steps", "incentives"}  # parts that name their owner team
    prefetches = [
        Prefetch(name, queryset=PART_MODELS[name].objects.select_related("owner_team"))
        if name in with_team
        else name
        for name in PART_MODELS
    ]
    return queryset.select_related("agreement", "created_by").prefetch_related(
        "agreement__parties", *prefetches
    )


# Content ---------------------------------------------------------------------------------

#: The document's components in reading order: (key, title, version fields, part names).
COMPONENTS: list[tuple[str, Any, tuple[str, ...], tuple[str, ...]]] = [
    (
        "frame",
        gettext_lazy("Parties and term"),
        ("effective_date", "end_date", "review_date", "change_summary", "reporting_cadence"),
        (),
    ),
    (
        "goals",
        gettext_lazy("Shared goals"),
        (
            "revenue_goal_amount",
            "revenue_goal_currency",
            "revenue_goal_period_months",
            "avg_deal_size",
            "goal_statements",
        ),
        (),
    ),
    ("definitions", gettext_lazy("Definitions"), (), ("terms",)),
    ("qualification", gettext_lazy("Lead qualification"), ("mql_threshold",), ("scoring_rules",)),
    (
        "handoff",
        gettext_lazy("Lead handoff"),
        (
            "handoff_trigger",
            "handoff_information",
            "first_contact_hours",
            "return_attempts",
            "return_days",
        ),
        ("reason_codes", "escalation_steps"),
    ),
    ("nurturing", gettext_lazy("Lead nurturing"), (), ("nurture_tracks",)),
    (
        "management",
        gettext_lazy("Lead management"),
        ("attempts_required", "channels", "attempt_interval_hours"),
        (),
    ),
    ("kpis", gettext_lazy("KPIs and commitments"), (), ("commitments",)),
    ("incentives", gettext_lazy("Shared incentives"), (), ("incentives",)),
    (
        "calendar",
        gettext_lazy("Business calendar"),
        ("calendar_timezone", "working_days", "work_start", "work_end"),
        ("holidays",),
    ),
    ("sections", gettext_lazy("Other provisions"), (), ("sections",)),
    ("process", gettext_lazy("Lead process map"), (), ("process_steps",)),
]
COMPONENT_TITLES = {key: title for key, title, _f, _p in COMPONENTS}


def _part_dict(part) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for model_field in part._meta.concrete_fields:
        if model_field.name in ("id", "version"):
            continue
        if model_field.name == "owner_team":
            data["owner_team"] = {"id": part.owner_team_id, "name": part.owner_team.name}
            continue
        data[model_field.name] = getattr(part, model_field.attname)
    return data


def _ensure_prefetched(version: Version) -> Version:
    cache = getattr(version, "_prefetched_objects_cache", {})
    if all(name in cache for name in PART_MODELS):
        return version
    return versions_with_parts().get(pk=version.pk)


def version_content(version: Version) -> dict[str, Any]:
    """Everything a version says, as plain values, deterministic (for the content hash).

    Parts are listed in their document order (position, then id; holidays by date);
    ids are left out, so a copy of a version has the same content. Lifecycle and
    bookkeeping fields (status, in-force interval, hash, edit revision) are not content.
    """
    version = _ensure_prefetched(version)
    agreement = version.agreement
    content: dict[str, Any] = {
        "agreement": {"id": agreement.pk, "title": agreement.title, "purpose": agreement.purpose},
        "parties": [
            {"id": team.pk, "name": team.name}
            for team in sorted(agreement.parties.all(), key=lambda t: (t.name, t.pk))
        ],
        "number": version.number,
        "components": {},
    }
    for key, _title, fields, parts in COMPONENTS:
        component: dict[str, Any] = {}
        for name in fields:
            value = getattr(version, name)
            if name == "working_days" and isinstance(value, list):
                value = sorted(value)
            component[name] = value
        for name in parts:
            component[name] = [_part_dict(part) for part in getattr(version, name).all()]
        content["components"][key] = component
    return content


# Funnel planner --------------------------------------------------------------------------

#: Fewer observations than this and the planner keeps the editable default for a rate.
MIN_SAMPLE = 30


@dataclass
class MeasuredRates:
    rates: dict[str, Decimal]
    measured: dict[str, bool]
    samples: dict[str, int]

    @property
    def any_measured(self) -> bool:
        return any(self.measured.values())


#: An agreement's funnel counts (its cycles by stage reached) are kept in the shared cache
#: under a token that every write of cycles' stages replaces (`funnel_counts_changed`),
#: and for ten minutes at most: counted, they scan every cycle of the agreement.
FUNNEL_CACHE_SECONDS = 600
_FUNNEL_GENERATION_KEY = "slas:funnel:token"


def generation_token(key: str) -> str | None:
    """The present token of the generation kept in the shared cache under ``key`` (made
    when missing): figures kept under it are read while no write replaced it. None while
    the cache does not answer (then nothing is kept)."""
    token = cache.get(key)
    if token is None:  # never set, evicted, or the cache is down
        cache.add(key, uuid4().hex, None)
        token = cache.get(key)
    return token


def _generation_new(key: str) -> None:
    cache.set(key, uuid4().hex, None)


def generation_replace(key: str) -> None:
    """A write changed what the figures kept under generation ``key`` count: they are not
    read again. The token is replaced now (a read later in the writer's own transaction
    counts again) and once more on commit (a reader that counted the old rows in between
    kept them under the token replaced now)."""
    _generation_new(key)
    transaction.on_commit(lambda: _generation_new(key))


def funnel_counts_changed() -> None:
    """Cycles were added, removed or reached another stage: the funnel counts kept under
    the present token are not read again (`generation_replace`)."""
    generation_replace(_FUNNEL_GENERATION_KEY)


def _funnel_cycle_counts(agreement: Agreement) -> dict[str, int]:
    Cycle = apps.get_model("leads", "Cycle")
    token = generation_token(_FUNNEL_GENERATION_KEY)
    key = (
        f"slas:funnel:1:{connection.settings_dict['NAME']}:{agreement.pk}:{token}"
        if token
        else None
    )
    found = cache.get(key) if key else None
    if found is None:
        found = Cycle.objects.filter(agreement=agreement).aggregate(
            mqls=Count("id"),
            sals=Count("sal_at"),
            sqls=Count("sql_at"),
            opportunities=Count("opportunity_at"),
            won=Count("won_at"),
        )
        if key:
            cache.set(key, found, FUNNEL_CACHE_SECONDS)
    return found


def funnel_rates_for(
    agreement: Agreement, *, with_visitors: bool = True, with_leads: bool = True
) -> MeasuredRates:
    """Stage conversion rates measured on the agreement's leads and cycles, where enough.

    A rate is measured when its denominator has at least MIN_SAMPLE observations and
    the result is above zero; otherwise it is funnel.DEFAULT_RATES' editable default.
    ``with_visitors=False`` leaves out the visitor stage (``visitor_to_lead``), and
    ``with_leads=False`` does not measure ``lead_to_mql`` (its default stands, marked not
    measured), for a reader that needs only the MQLs: they depend on neither, and
    ``lead_to_mql`` counts every lead of the agreement (the costliest count here).
    """
    # The leads app's tables, named by label: slas sits below leads and does not import
    # it (docs/architecture.md); the planner only counts rows.
    Lead = apps.get_model("leads", "Lead")

    cycles = _funnel_cycle_counts(agreement)
    leads = (
        Lead.objects.filter(agreement=agreement).aggregate(
            total=Count("id", distinct=True),
            mqls=Count("id", filter=Q(cycles__isnull=False), distinct=True),
        )
        if with_leads
        else {"mqls": 0, "total": 0}  # below MIN_SAMPLE: the default
    )
    pairs = {
        "lead_to_mql": (leads["mqls"], leads["total"]),
        "mql_to_sal": (cycles["sals"], cycles["mqls"]),
        "sal_to_sql": (cycles["sqls"], cycles["sals"]),
        "sql_to_opportunity": (cycles["opportunities"], cycles["sqls"]),
        "opportunity_to_won": (cycles["won"], cycles["opportunities"]),
    }
    rates, measured, samples = {}, {}, {}
    # The visitor stage: leads created in the months that have visitor counts, over those
    # visitors (UTC months: an estimate for planning). Known only with counts entered.
    VisitorCount = apps.get_model("leads", "VisitorCount")
    counts = VisitorCount.objects.filter(agreement=agreement)
    visitors = (counts.aggregate(n=Sum("visitors"))["n"] or 0) if with_visitors else 0
    months = sorted(set(counts.values_list("month", flat=True))) if visitors else []
    if visitors and months:
        created = Q()
        for month in months:
            end = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
            created |= Q(created_at__date__gte=month, created_at__date__lt=end)
        new_leads = Lead.objects.filter(agreement=agreement).filter(created).count()
        samples["visitor_to_lead"] = visitors
        if new_leads:
            rates["visitor_to_lead"] = min(
                Decimal(1), (Decimal(new_leads) / Decimal(visitors)).quantize(Decimal("0.0001"))
            )
            measured["visitor_to_lead"] = True
    for key in funnel.RATE_KEYS:
        numerator, denominator = pairs[key]
        samples[key] = denominator
        if denominator >= MIN_SAMPLE and numerator > 0:
            rate = min(
                Decimal(1), (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"))
            )
            rates[key], measured[key] = rate, True
        else:
            rates[key], measured[key] = funnel.DEFAULT_RATES[key], False
    return MeasuredRates(rates=rates, measured=measured, samples=samples)


# Readiness -------------------------------------------------------------------------------


def version_readiness_problems(version: Version) -> list[str]:
    """What still stops a draft from being sent for signature (empty: ready).

    For the signing area's `version_send_for_signature`.
    """
    from django.core.exceptions import ValidationError

    problems = []
    if not version.change_summary.strip():
        problems.append(_("Write a change summary: what this version changes and why."))
    try:
        version.full_clean(exclude=["agreement", "created_by"])
    except ValidationError as error:
        problems.extend(str(m) for messages in error.message_dict.values() for m in messages)
    if version.mql_threshold is not None and not version.scoring_rules.exists():
        problems.append(_("An MQL threshold needs scoring rules."))
    if not version.commitments.exists():
        problems.append(_("Add at least one commitment (KPI)."))
    return problems
