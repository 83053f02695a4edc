"""Reads across agreement models: lists, a version's full content, comparisons,
the history timeline, measured funnel rates.

Every function issues a fixed number of queries whatever the number of versions,
parts or history rows (pages rely on it; tests count).
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from portal import permissions
from portal.models import Team
from slas import funnel
from slas.history import Source, split_reason
from slas.models import (
    PART_MODELS,
    Agreement,
    Commitment,
    Version,
    VersionStatus,
)
from slas.redline import redline_html
from slas.stages import stage_label

# Lists -----------------------------------------------------------------------------------


def agreement_list_for(user) -> QuerySet[Agreement]:
    return (
        permissions.visible_agreements(user)
        .prefetch_related(
            "parties", Prefetch("versions", queryset=Version.objects.order_by("-number"))
        )
        .order_by("title")
    )


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
    prefetches = [
        Prefetch("commitments", queryset=Commitment.objects.select_related("owner_team"))
        if name == "commitments"
        else name
        for name in PART_MODELS
    ]
    return queryset.select_related("agreement", "created_by").prefetch_related(
        "agreement__parties", *prefetches
    )


def editable_drafts_for(user) -> QuerySet[Version]:
    """Drafts this user may edit: of agreements where they manage a party team (or staff)."""
    drafts = Version.objects.filter(status=VersionStatus.DRAFT).select_related("agreement")
    if getattr(user, "is_staff", False):
        return drafts.order_by("agreement__title")
    return (
        drafts.filter(agreement__parties__in=permissions.manager_team_ids(user))
        .distinct()
        .order_by("agreement__title")
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
    (
        "calendar",
        gettext_lazy("Business calendar"),
        ("calendar_timezone", "working_days", "work_start", "work_end"),
        ("holidays",),
    ),
    ("sections", gettext_lazy("Other provisions"), (), ("sections",)),
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


# Compare ---------------------------------------------------------------------------------


def _norm(text: Any) -> str:
    return " ".join(str(text or "").split()).lower()


#: What makes two rows of a part "the same row" across versions: a row whose key is in
#: both versions shows as changed (with a redline of each changed field), a key only in
#: one as added or removed. Rows sharing a key pair up identical rows first, then in
#: document order (position). So a rule whose value or points change is one changed
#: rule, while a renamed term is a removed term and an added one.
PART_KEYS = {
    "terms": lambda p: _norm(p["term"]),
    "scoring_rules": lambda p: (_norm(p["attribute"]), p["dimension"], p["operator"]),
    "reason_codes": lambda p: p["code"],
    "nurture_tracks": lambda p: _norm(p["name"]),
    "commitments": lambda p: (
        p["owner_team"]["id"],
        p["kind"],
        (p["params"] or {}).get("from_stage"),
        (p["params"] or {}).get("to_stage"),
    ),
    "holidays": lambda p: p["date"],
    "sections": lambda p: _norm(p["title"]),
    "escalation_steps": lambda p: p["action"],
}
#: Fields that only order rows; moving a row is not a change of the agreement.
IGNORED_IN_COMPARE = {"position"}


def _choices_label(model, name: str, value: Any) -> str | None:
    try:
        model_field = model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - not a model field (e.g. owner_team dict)
        return None
    if model_field.choices and not isinstance(value, (list, dict)):
        return str(dict(model_field.flatchoices).get(value, value))
    return None


def display_value(model, name: str, value: Any) -> str:
    """A readable string for a content value (choices by label, numbers without noise)."""
    if value is None or value == "":
        return "—"
    label = _choices_label(model, name, value)
    if label is not None:
        return label
    if name == "working_days" and isinstance(value, list):
        days = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
        return ", ".join(days[d] for d in sorted(value) if isinstance(d, int) and 0 <= d <= 6)
    if isinstance(value, dict):
        if "name" in value and "id" in value:
            return str(value["name"])
        return ", ".join(f"{k}={v}" for k, v in sorted(value.items())) or "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    return str(value)


@dataclass
class FieldChange:
    name: str
    label: str
    old: str
    new: str
    redline: str  # safe HTML


@dataclass
class PartChange:
    label: str
    changes: list[FieldChange]


@dataclass
class PartDiff:
    name: str
    title: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[PartChange] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.removed or self.changed)


@dataclass
class ComponentDiff:
    key: str
    title: str
    fields: list[FieldChange]
    parts: list[PartDiff]

    @property
    def has_changes(self) -> bool:
        return bool(self.fields) or any(p.has_changes for p in self.parts)


@dataclass
class Comparison:
    old: Version
    new: Version
    components: list[ComponentDiff]

    @property
    def has_changes(self) -> bool:
        return any(c.has_changes for c in self.components)

    def as_dict(self) -> dict[str, Any]:
        return {
            "old": {"id": self.old.pk, "number": self.old.number, "status": str(self.old.status)},
            "new": {"id": self.new.pk, "number": self.new.number, "status": str(self.new.status)},
            "has_changes": self.has_changes,
            "components": [
                {
                    "key": c.key,
                    "title": str(c.title),
                    "fields": [_field_change_dict(f) for f in c.fields],
                    "parts": [
                        {
                            "name": p.name,
                            "title": str(p.title),
                            "added": p.added,
                            "removed": p.removed,
                            "changed": [
                                {
                                    "label": ch.label,
                                    "fields": [_field_change_dict(f) for f in ch.changes],
                                }
                                for ch in p.changed
                            ],
                        }
                        for p in c.parts
                    ],
                }
                for c in self.components
            ],
        }


def _field_change_dict(change: FieldChange) -> dict[str, str]:
    return {
        "field": change.name,
        "label": change.label,
        "old": change.old,
        "new": change.new,
        "redline": str(change.redline),
    }


def _field_change(model, name: str, old: Any, new: Any) -> FieldChange | None:
    if old == new:
        return None
    old_text, new_text = display_value(model, name, old), display_value(model, name, new)
    try:
        label = str(model._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001
        label = name
    return FieldChange(
        name=name,
        label=label[:1].upper() + label[1:],
        old=old_text,
        new=new_text,
        redline=redline_html(
            old_text if old not in (None, "") else "", new_text if new not in (None, "") else ""
        ),
    )


def part_label(part_name: str, data: dict[str, Any]) -> str:
    model = PART_MODELS[part_name]
    if part_name == "terms":
        return data["term"]
    if part_name == "scoring_rules":
        return (
            f"{data['attribute']} {display_value(model, 'operator', data['operator'])} "
            f"{data['value']} ({display_value(model, 'dimension', data['dimension'])})"
        )
    if part_name == "reason_codes":
        return f"{data['label']} ({data['code']})"
    if part_name == "nurture_tracks":
        return data["name"]
    if part_name == "commitments":
        kind = display_value(model, "kind", data["kind"])
        params = data.get("params") or {}
        detail = ""
        if "from_stage" in params:
            detail = " " + _("%(from)s → %(to)s") % {
                "from": _stage_label(params.get("from_stage")),
                "to": _stage_label(params.get("to_stage")),
            }
        return f"{data['owner_team']['name']} · {kind}{detail}"
    if part_name == "holidays":
        return f"{data['date']} {data.get('name') or ''}".strip()
    if part_name == "sections":
        return data["title"]
    if part_name == "escalation_steps":
        return f"{data['at_percent']}% · {display_value(model, 'action', data['action'])}"
    return str(data)


def _same_row(a: dict, b: dict) -> bool:
    return all(a.get(n) == b.get(n) for n in a.keys() | b.keys() if n not in IGNORED_IN_COMPARE)


def _match_rows(key, old: list[dict], new: list[dict]) -> tuple[dict[int, dict], list[dict]]:
    """Pair rows of two versions: {index in `new`: its row in `old`}, and the old rows left.

    Within one key, identical rows pair first (an unchanged rule is never reported as
    changed because a sibling rule changed), then the rest in document order.
    """
    pending: dict[Any, list[int]] = defaultdict(list)
    for index, item in enumerate(old):
        pending[key(item)].append(index)
    pairs: dict[int, int] = {}
    for index, item in enumerate(new):
        candidates = pending.get(key(item), [])
        same = next((c for c in candidates if _same_row(old[c], item)), None)
        if same is not None:
            candidates.remove(same)
            pairs[index] = same
    for index, item in enumerate(new):
        candidates = pending.get(key(item))
        if index not in pairs and candidates:
            pairs[index] = candidates.pop(0)
    matched = set(pairs.values())
    left = [item for index, item in enumerate(old) if index not in matched]
    return {index: old[o] for index, o in pairs.items()}, left


def _stage_label(stage: Any) -> str:
    return stage_label(str(stage)) if stage else "—"


def _number(value: Any) -> str:
    try:
        number = Decimal(str(value))
    except ArithmeticError:  # decimal.InvalidOperation: not a number, show it as it is
        return str(value)
    return format(number.normalize(), "f") if number == number.to_integral() else str(number)


def commitment_terms(kind: str, params: dict[str, Any] | None) -> str:
    """A commitment's parameters as words: "within 24 business hours", "from SQL to
    Opportunity" (empty when the kind has none)."""
    params = dict(params or {})
    words = []
    if "hours" in params:
        hours = params.pop("hours")
        count = math.ceil(hours) if isinstance(hours, (int, float)) else 2  # plural form
        words.append(
            ngettext(
                "within %(hours)s business hour",
                "within %(hours)s business hours",
                count,
            )
            % {"hours": _number(hours)}
        )
    if "attempts" in params:
        attempts = params.pop("attempts")
        count = attempts if isinstance(attempts, int) else 2
        words.append(
            ngettext(
                "at least %(attempts)s contact attempt before a recycle",
                "at least %(attempts)s contact attempts before a recycle",
                count,
            )
            % {"attempts": attempts}
        )
    if "from_stage" in params or "to_stage" in params:
        words.append(
            _("from %(from_stage)s to %(to_stage)s")
            % {
                "from_stage": _stage_label(params.pop("from_stage", None)),
                "to_stage": _stage_label(params.pop("to_stage", None)),
            }
        )
    words.extend(f"{name}: {value}" for name, value in sorted(params.items()))
    return ", ".join(words)


def _diff_parts(part_name: str, old: list[dict], new: list[dict]) -> PartDiff:
    model = PART_MODELS[part_name]
    diff = PartDiff(name=part_name, title=str(model._meta.verbose_name_plural).capitalize())
    pairs, removed = _match_rows(PART_KEYS[part_name], old, new)
    for index, item in enumerate(new):
        previous = pairs.get(index)
        if previous is None:
            diff.added.append(part_label(part_name, item))
            continue
        changes = [
            change
            for name in item
            if name not in IGNORED_IN_COMPARE
            for change in [_field_change(model, name, previous.get(name), item.get(name))]
            if change is not None
        ]
        if changes:
            diff.changed.append(PartChange(label=part_label(part_name, item), changes=changes))
    diff.removed.extend(part_label(part_name, item) for item in removed)
    return diff


def version_compare(old: Version, new: Version) -> Comparison:
    """Per component, what was added, removed or changed from `old` to `new`."""
    old_content, new_content = version_content(old), version_content(new)
    components = []
    for key, title, fields, parts in COMPONENTS:
        before, after = old_content["components"][key], new_content["components"][key]
        field_changes = [
            change
            for name in fields
            for change in [_field_change(Version, name, before[name], after[name])]
            if change is not None
        ]
        part_diffs = [_diff_parts(name, before[name], after[name]) for name in parts]
        components.append(
            ComponentDiff(key=key, title=title, fields=field_changes, parts=part_diffs)
        )
    return Comparison(old=old, new=new, components=components)


# History ---------------------------------------------------------------------------------

_HISTORY_SKIP = {
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user",
    "history_user_id",
    "history_relation",
    "id",
    "version",
    "version_id",
    "edit_revision",
    "updated_at",
    "created_at",
    "content_hash",
}


HISTORY_KIND_LABELS = {
    "created": gettext_lazy("added"),
    "changed": gettext_lazy("changed"),
    "removed": gettext_lazy("removed"),
    "status": gettext_lazy("status"),
}


@dataclass
class HistoryChange:
    """One row of history: a created, changed or removed object of the agreement."""

    when: datetime.datetime
    user: Any
    source: str
    reason: str
    version_number: int | None
    version_id: int | None
    kind: str  # "created" | "changed" | "removed" | "status"
    subject: str
    changes: list[FieldChange]

    @property
    def kind_label(self) -> str:
        return str(HISTORY_KIND_LABELS.get(self.kind, self.kind))


@dataclass
class HistoryEntry:
    """Rows saved together by one action (same user, reason and version, within seconds)."""

    when: datetime.datetime
    user: Any
    source: str
    reason: str
    version_number: int | None
    version_id: int | None
    items: list[HistoryChange]

    @property
    def is_status_change(self) -> bool:
        return any(item.kind == "status" for item in self.items)

    @property
    def source_label(self) -> str:
        """Where the edit came from, for people ("web form", "API"... translated)."""
        return str(dict(Source.choices).get(self.source, self.source))

    @property
    def user_name(self) -> str:
        if self.user is None:
            return _("system")
        return self.user.get_full_name() or self.user.username


def _row_values(row, model) -> dict[str, Any]:
    values = {}
    for model_field in model._meta.concrete_fields:
        if model_field.name in _HISTORY_SKIP or model_field.name == "agreement":
            continue
        if model_field.name == "owner_team":
            values["owner_team"] = row.owner_team_id
            continue
        values[model_field.name] = getattr(row, model_field.attname)
    return values


def _history_changes(
    rows_by_model: list[tuple[str | None, Any, list]], version_numbers: dict[int, int], teams
) -> list[HistoryChange]:
    changes: list[HistoryChange] = []
    for part_name, model, rows in rows_by_model:
        previous: dict[int, dict[str, Any]] = {}
        for row in rows:
            values = _row_values(row, model)
            source, reason = split_reason(row.history_change_reason)
            version_id = row.id if model is Version else getattr(row, "version_id", None)
            if model is Agreement:
                version_id = None
            label_data = dict(values)
            if "owner_team" in label_data:
                label_data["owner_team"] = {
                    "id": values["owner_team"],
                    "name": teams.get(values["owner_team"], "?"),
                }
            if model is Version:
                subject = _("Version %(number)s") % {"number": row.number}
            elif model is Agreement:
                subject = _("Agreement")
            else:
                subject = f"{str(model._meta.verbose_name).capitalize()} · {part_label(part_name, label_data)}"
            before = previous.get(row.id)
            previous[row.id] = values
            common = {
                "when": row.history_date,
                "user": row.history_user,
                "source": source,
                "reason": reason,
                "version_number": version_numbers.get(version_id),
                "version_id": version_id,
                "subject": subject,
            }
            if row.history_type == "+":
                changes.append(HistoryChange(kind="created", changes=[], **common))
            elif row.history_type == "-":
                changes.append(HistoryChange(kind="removed", changes=[], **common))
            else:
                diffs = [
                    change
                    for name, value in values.items()
                    if before is not None
                    for change in [
                        _field_change(
                            model,
                            name,
                            _team_display(before.get(name), teams, name),
                            _team_display(value, teams, name),
                        )
                    ]
                    if change is not None
                ]
                if not diffs:
                    continue  # a revision bump or a no-op save: nothing to read
                kind = "status" if any(d.name == "status" for d in diffs) else "changed"
                changes.append(HistoryChange(kind=kind, changes=diffs, **common))
    return changes


def _team_display(value, teams, name):
    if name == "owner_team" and value is not None:
        return {"id": value, "name": teams.get(value, "?")}
    return value


def _group(changes: list[HistoryChange]) -> list[HistoryEntry]:
    changes.sort(key=lambda c: (c.when, c.kind != "created"))
    entries: list[HistoryEntry] = []
    window = datetime.timedelta(seconds=5)
    for change in changes:
        last = entries[-1] if entries else None
        if (
            last is not None
            and last.user == change.user
            and last.reason == change.reason
            and last.source == change.source
            and last.version_id == change.version_id
            and change.kind != "status"
            and not last.is_status_change
            and change.when - last.items[-1].when <= window
        ):
            last.items.append(change)
            continue
        entries.append(
            HistoryEntry(
                when=change.when,
                user=change.user,
                source=change.source,
                reason=change.reason,
                version_number=change.version_number,
                version_id=change.version_id,
                items=[change],
            )
        )
    return entries


def _history_rows(agreement_id: int, version_ids: set[int] | None = None, since=None):
    version_rows = Version.history.filter(agreement_id=agreement_id)
    if version_ids is not None:
        version_rows = version_rows.filter(id__in=version_ids)
    version_rows = list(
        version_rows.select_related("history_user").order_by("history_date", "history_id")
    )
    numbers = {row.id: row.number for row in version_rows}
    ids = set(numbers) if version_ids is None else set(version_ids)
    rows_by_model: list[tuple[str | None, Any, list]] = [(None, Version, version_rows)]
    if version_ids is None:
        rows_by_model.insert(
            0,
            (
                None,
                Agreement,
                list(
                    Agreement.history.filter(id=agreement_id)
                    .select_related("history_user")
                    .order_by("history_date", "history_id")
                ),
            ),
        )
    for name, model in PART_MODELS.items():
        rows = model.history.filter(version_id__in=ids).select_related("history_user")
        rows_by_model.append((name, model, list(rows.order_by("history_date", "history_id"))))
    teams = dict(Team.objects.values_list("id", "name"))
    changes = _history_changes(rows_by_model, numbers, teams)
    if since is not None:
        changes = [c for c in changes if c.when > since]
    return changes


def agreement_timeline(agreement: Agreement) -> list[HistoryEntry]:
    """Every edit of the agreement and its versions, oldest first, with who, when and why.

    Fixed number of queries: one per history table, whatever the number of rows.
    """
    return _group(_history_rows(agreement.pk))


def version_changes_since(version: Version, revision: int) -> list[HistoryEntry]:
    """What was saved on this draft after it was at `revision` (for an edit conflict)."""
    base = (
        Version.history.filter(id=version.pk, edit_revision__lte=revision)
        .order_by("-history_date", "-history_id")
        .values_list("history_date", flat=True)
        .first()
    )
    return _group(_history_rows(version.agreement_id, {version.pk}, since=base))


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


def funnel_rates_for(agreement: Agreement) -> MeasuredRates:
    """Stage conversion rates measured on the agreement's leads and cycles, where enough.

    A rate is measured when its denominator has at least MIN_SAMPLE observations and
    the result is above zero; otherwise it is funnel.DEFAULT_RATES' editable default.
    """
    # The leads app's tables, named by label: slas sits below leads and does not import
    # it (docs/architecture.md); the planner only counts rows.
    Cycle, Lead = apps.get_model("leads", "Cycle"), apps.get_model("leads", "Lead")

    cycles = Cycle.objects.filter(agreement=agreement).aggregate(
        mqls=Count("id"),
        sals=Count("sal_at"),
        sqls=Count("sql_at"),
        opportunities=Count("opportunity_at"),
        won=Count("won_at"),
    )
    leads = Lead.objects.filter(agreement=agreement).aggregate(
        total=Count("id", distinct=True),
        mqls=Count("id", filter=Q(cycles__isnull=False), distinct=True),
    )
    pairs = {
        "lead_to_mql": (leads["mqls"], leads["total"]),
        "mql_to_sal": (cycles["sals"], cycles["mqls"]),
        "sal_to_sql": (cycles["sqls"], cycles["sals"]),
        "sql_to_opportunity": (cycles["opportunities"], cycles["sqls"]),
        "opportunity_to_won": (cycles["won"], cycles["opportunities"]),
    }
    rates, measured, samples = {}, {}, {}
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
