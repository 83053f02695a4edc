"""The history timeline of an agreement (and the changes to a draft since a revision): simple-history rows of every version and part, grouped into entries by who, when and why. A fixed number of queries whatever the number of history rows."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.models import Team
from slas.compare import FieldChange, _field_change, part_label
from slas.history import Source, split_reason
from slas.models import (
    PART_MODELS,
    Agreement,
    Version,
)
from slas.selectors import COMPONENTS

# What an edit changed, in the reader's language -------------------------------------------


def what_label(what: str) -> str:
    """What an edit changed (`slas.history`: a component or part key, or an English message
    id), in the reader's language: translated here, when read, never when stored."""
    if not what:
        return ""
    for key, title, _fields, _parts in COMPONENTS:
        if what == key:
            return str(title)
    if what in PART_MODELS:
        return str(capfirst(PART_MODELS[what]._meta.verbose_name_plural))
    return _(what)


def what_component(what: str) -> str | None:
    """The component an edit was about (a component saved in the editor, or one of its
    parts written through the API), else None."""
    for key, _title, _fields, parts in COMPONENTS:
        if what == key or what in parts:
            return key
    return None


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
    "based_on",  # told by the edit's reason ("new version", "rebased onto v5")
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
    what: str
    why: str
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
    """Rows saved together by one action (same user, reason and version, within seconds).

    `what`: what the action changed (see `slas.history`); `why`: the reason the person
    gave, or "".
    """

    when: datetime.datetime
    user: Any
    source: str
    what: str
    why: str
    version_number: int | None
    version_id: int | None
    items: list[HistoryChange]

    @property
    def is_status_change(self) -> bool:
        return any(item.kind == "status" for item in self.items)

    @property
    def what_label(self) -> str:
        return what_label(self.what)

    @property
    def reason(self) -> str:
        """Why, in a word: the reason the person gave, else what was changed."""
        return self.why or self.what_label

    @property
    def component(self) -> str | None:
        return what_component(self.what)

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
            source, what, why = split_reason(row.history_change_reason)
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
                subject = (
                    f"{capfirst(model._meta.verbose_name)} · {part_label(part_name, label_data)}"
                )
            before = previous.get(row.id)
            previous[row.id] = values
            common = {
                "when": row.history_date,
                "user": row.history_user,
                "source": source,
                "what": what,
                "why": why,
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
                            old_row=before,
                            new_row=values,
                            zone=values.get("calendar_timezone"),
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
            and last.what == change.what
            and last.why == change.why
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
                what=change.what,
                why=change.why,
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


def version_edit_reasons(old: Version, new: Version) -> list[HistoryEntry]:
    """The reasons people gave for the edits that lead from one version to the other: the
    saves, with a reason, of the versions after the older up to the newer, oldest first.
    """
    low, high = sorted((old.number, new.number))
    version_ids = set(
        Version.objects.filter(
            agreement_id=old.agreement_id, number__gt=low, number__lte=high
        ).values_list("pk", flat=True)
    )
    if not version_ids:
        return []
    entries = _group(_history_rows(old.agreement_id, version_ids))
    return [entry for entry in entries if entry.why]
