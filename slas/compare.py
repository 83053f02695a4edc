"""Compare two versions: component by component, rows matched by their key, each field's change worded as the page shows it (display values, commitment terms). A fixed number of queries whatever the number of parts."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from difflib import SequenceMatcher
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import dates
from slas import sentences
from slas.models import (
    PART_MODELS,
    Commitment,
    Operator,
    ScoringRule,
    Version,
)
from slas.redline import redline_html, tokenize
from slas.selectors import COMPONENTS, version_content, versions_with_parts

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
    "process_steps": lambda p: _norm(p["name"]),
    "incentives": lambda p: (p["owner_team"]["id"], _norm(p["name"])),
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


def _model_field(model, name: str):
    try:
        return model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - not a model field
        return None


def _is_prose(model, name: str) -> bool:
    """Free text people write in sentences: diffed word by word. Everything else is a
    value (a date, a number, a name, a choice), compared whole: old -> new."""
    model_field = _model_field(model, name)
    return name == "description" or (
        model_field is not None and model_field.get_internal_type() == "TextField"
    )


def list_items(model, name: str, value: Any, row: dict | None = None) -> list[str] | None:
    """The items of a list value, as people read them (None: not a list): weekday and
    channel names, the values of an "is one of" rule."""
    if isinstance(value, list):
        if name == "working_days":
            return sentences.working_day_names(v for v in value if isinstance(v, int))
        if name == "channels":
            return sentences.channel_names(value)
        return [str(v) for v in value]
    if model is ScoringRule and name == "value" and (row or {}).get("operator") == Operator.IN:
        return sentences.rule_values(Operator.IN, value)
    return None


def display_value(
    model, name: str, value: Any, *, row: dict | None = None, zone: str | None = None
) -> str:
    """A content value as the document reads it: choices by label, dates as calendar
    dates and instants in the reader's zone (portal.dates), numbers without noise, lists
    as lists, a commitment's parameters as the sentence they make (slas.sentences).

    `row`: the other values of the row (a commitment's kind, a rule's operator); `zone`:
    the calendar zone an instant belongs to (named when the reader's differs)."""
    if value is None or value == "" or value == []:
        return "—"
    row = row or {}
    if model is Commitment and name == "params":
        return sentences.commitment_rule(row.get("kind", ""), value)
    if model is Commitment and name == "target":
        return sentences.commitment_target(row.get("kind", ""), value)
    if model is ScoringRule and name == "attribute":
        return capfirst(sentences.attribute_label(value))
    label = _choices_label(model, name, value)
    if label is not None:
        return label
    items = list_items(model, name, value, row)
    if items is not None:
        return sentences.and_list(items) if isinstance(value, list) else sentences.or_list(items)
    if isinstance(value, dict):
        if "name" in value and "id" in value:
            return str(value["name"])
        return ", ".join(f"{k}: {v}" for k, v in sorted(value.items())) or "—"
    if isinstance(value, datetime.datetime):
        return dates.when(value, zone)
    if isinstance(value, datetime.date):
        return dates.day(value)
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    if isinstance(value, (Decimal, float)) and not isinstance(value, bool):
        return sentences.number(value)
    return str(value)


@dataclass
class FieldChange:
    """One field's change. `mode` says how it reads: "value" (old -> new, whole),
    "list" (items `added` and `removed`) or "prose" (a word-by-word redline)."""

    name: str
    label: str
    old: str
    new: str
    redline: str  # safe HTML
    mode: str = "value"
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


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


def _side(version: Version) -> dict[str, Any]:
    return {
        "id": version.pk,
        "number": version.number,
        "status": str(version.status),
        "state": str(version.state),
    }


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
            "old": _side(self.old),
            "new": _side(self.new),
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


def _field_change_dict(change: FieldChange) -> dict[str, Any]:
    return {
        "field": change.name,
        "label": change.label,
        "old": change.old,
        "new": change.new,
        "redline": str(change.redline),
        "mode": change.mode,
        "added": change.added,
        "removed": change.removed,
    }


#: Below this share of words in common, a rewritten text reads better as the old text
#: struck through and the new one inserted than as a word-by-word patchwork.
PROSE_MIN_COMMON = 0.4

#: Labels of fields whose own name says little where they are shown.
FIELD_LABELS = {(Commitment, "params"): gettext_lazy("commitment")}


def _field_label(model, name: str) -> str:
    label = FIELD_LABELS.get((model, name))
    if label is None:
        model_field = _model_field(model, name)
        label = model_field.verbose_name if model_field is not None else name
    return capfirst(str(label))


def _same_year_days(old: Any, new: Any) -> bool:
    dates_only = all(
        isinstance(v, datetime.date) and not isinstance(v, datetime.datetime) for v in (old, new)
    )
    return dates_only and old.year == new.year


def _value_redline(old_text: str, new_text: str, old: Any, new: Any) -> str:
    """old -> new, each whole (a date, a number, a name: never diffed digit by digit)."""
    parts = []
    if old not in (None, "", []):
        parts.append(format_html("<del>{}</del>", old_text))
    if new not in (None, "", []):
        parts.append(format_html("<ins>{}</ins>", new_text))
    return mark_safe(' <span class="dir-arrow">→</span> '.join(parts))  # noqa: S308 - escaped


def _prose_redline(old_text: str, new_text: str) -> str:
    """Words for prose; a text rewritten through reads as old struck, new inserted."""
    matcher = SequenceMatcher(None, tokenize(old_text), tokenize(new_text), autojunk=False)
    if old_text and new_text and matcher.ratio() < PROSE_MIN_COMMON:
        return format_html("<del>{}</del> <ins>{}</ins>", old_text, new_text)
    return redline_html(old_text, new_text)


def _list_redline(added: list[str], removed: list[str]) -> str:
    """A list's change: the items added and the items removed, each whole."""
    parts = [format_html("<ins>+ {}</ins>", item) for item in added]
    parts += [format_html("<del>− {}</del>", item) for item in removed]
    return mark_safe(" ".join(parts))  # noqa: S308 - every item escaped by format_html


def _field_change(
    model,
    name: str,
    old: Any,
    new: Any,
    *,
    old_row: dict | None = None,
    new_row: dict | None = None,
    zone: str | None = None,
) -> FieldChange | None:
    """How one field changed, read as what it is: a value (old -> new), a list (added and
    removed items) or prose (word by word). `old_row` / `new_row`: the rest of each row
    (a commitment's kind, a rule's operator), for values that read with it."""
    if old == new:
        return None
    old_row = old_row if old_row is not None else new_row
    new_row = new_row if new_row is not None else old_row
    if _same_year_days(old, new):
        old_text, new_text = dates.day_short(old), dates.day_short(new)
    else:
        old_text = display_value(model, name, old, row=old_row, zone=zone)
        new_text = display_value(model, name, new, row=new_row, zone=zone)
    if old_text == new_text:
        return None  # the same thing said the same way (e.g. 24 and 24.00)
    change = FieldChange(
        name=name, label=_field_label(model, name), old=old_text, new=new_text, redline=""
    )
    old_items = list_items(model, name, old, old_row) if old not in (None, "") else []
    new_items = list_items(model, name, new, new_row) if new not in (None, "") else []
    if old_items is not None and new_items is not None and (old_items or new_items):
        added = [item for item in new_items if item not in old_items]
        removed = [item for item in old_items if item not in new_items]
        if added or removed:
            change.mode, change.added, change.removed = "list", added, removed
            change.redline = _list_redline(added, removed)
            return change
    if _is_prose(model, name):
        change.mode = "prose"
        change.redline = _prose_redline(
            old_text if old not in (None, "") else "", new_text if new not in (None, "") else ""
        )
        return change
    change.redline = _value_redline(old_text, new_text, old, new)
    return change


def part_label(part_name: str, data: dict[str, Any]) -> str:
    """A row of a part as the document reads it: a rule as its sentence (slas.sentences)."""
    model = PART_MODELS[part_name]
    if part_name == "terms":
        return data["term"]
    if part_name == "scoring_rules":
        return _("%(condition)s (%(dimension)s)") % {
            "condition": sentences.scoring_rule_condition(
                data["attribute"], data["operator"], data["value"]
            ),
            "dimension": display_value(model, "dimension", data["dimension"]),
        }
    if part_name == "reason_codes":
        return f"{data['label']} ({data['code']})"
    if part_name == "nurture_tracks":
        return data["name"]
    if part_name == "commitments":
        owner = data["owner_team"]
        owner_name = owner["name"] if isinstance(owner, dict) else str(owner)
        rule = sentences.commitment_rule(data["kind"], data.get("params"))
        return f"{owner_name} · {rule}"
    if part_name == "holidays":
        return sentences.holiday_sentence(data["date"], data.get("name") or "")
    if part_name == "sections":
        return data["title"]
    if part_name == "escalation_steps":
        return sentences.escalation_step_sentence(data["at_percent"], data["action"])
    if part_name == "process_steps":
        return data["name"]
    if part_name == "incentives":
        return f"{data['owner_team']['name']} · {data['name']}"
    return str(data)


def _same_row(a: dict, b: dict) -> bool:
    return all(a.get(n) == b.get(n) for n in a.keys() | b.keys() if n not in IGNORED_IN_COMPARE)


def _match_rows(key, old: list[dict], new: list[dict]) -> tuple[dict[int, dict], list[dict]]:
    """Pair rows of two versions: {index in `new`: its row in `old`}, and the old rows left.

    Within one key, identical rows pair first (an unchanged rule is never reported as
    changed because a sibling rule changed), then the rest in document order.
    """
    pairs = _pair_indices(key, old, new)
    matched = set(pairs.values())
    left = [item for index, item in enumerate(old) if index not in matched]
    return {index: old[o] for index, o in pairs.items()}, left


def _pair_indices(key, old: list[dict], new: list[dict]) -> dict[int, int]:
    """{index in `new`: index in `old`} of the rows that are "the same row" (PART_KEYS)."""
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
    return pairs


def _diff_parts(part_name: str, old: list[dict], new: list[dict]) -> PartDiff:
    model = PART_MODELS[part_name]
    diff = PartDiff(name=part_name, title=str(capfirst(model._meta.verbose_name_plural)))
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
            for change in [
                _field_change(
                    model,
                    name,
                    previous.get(name),
                    item.get(name),
                    old_row=previous,
                    new_row=item,
                )
            ]
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
            for change in [
                _field_change(
                    Version,
                    name,
                    before[name],
                    after[name],
                    zone=after.get("calendar_timezone"),
                )
            ]
            if change is not None
        ]
        part_diffs = [_diff_parts(name, before[name], after[name]) for name in parts]
        components.append(
            ComponentDiff(key=key, title=title, fields=field_changes, parts=part_diffs)
        )
    return Comparison(old=old, new=new, components=components)


# Rebase: carry a draft's changes onto a newer version -------------------------------------

#: A draft's own frame: its dates and change summary are its own, never taken from the
#: version it is rebased onto.
REBASE_OWN_FIELDS = frozenset({"effective_date", "end_date", "review_date", "change_summary"})


@dataclass
class MergeNote:
    """One thing a rebase decided: what (`label`), the draft's value, the newer version's."""

    label: str
    mine: str = ""
    theirs: str = ""


@dataclass
class Merge:
    """How to rebase `mine` (based on `base`) onto `theirs`: the writes for
    `slas.services.version_edit`, what comes from `theirs` and where `mine` was kept."""

    base: Version
    theirs: Version
    fields: dict[str, Any] = field(default_factory=dict)
    update: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)
    delete: list[Any] = field(default_factory=list)
    create: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    taken: list[MergeNote] = field(default_factory=list)
    kept: list[MergeNote] = field(default_factory=list)


def _row_values(part) -> dict[str, Any]:
    """A part's own values, as a row of a new part of the same kind takes them."""
    return {
        f.attname: getattr(part, f.attname)
        for f in part._meta.concrete_fields
        if f.name not in ("id", "version", "position")
    }


def version_merge(base: Version, mine: Version, theirs: Version) -> Merge:
    """A three-way merge: the draft `mine` was copied from `base`; `theirs` is newer.

    Field by field and row by row (rows paired as the comparison pairs them,
    `PART_KEYS`): what the draft did not change takes `theirs`' value (changed, added or
    removed there); what the draft changed stays the draft's, and where `theirs` changed
    it too, differently, the draft's value is kept and said (`kept`). The draft's dates
    and change summary are its own. Nothing is written here.
    """
    fetched = {v.pk: v for v in versions_with_parts().filter(pk__in=[base.pk, mine.pk, theirs.pk])}
    base, mine, theirs = fetched[base.pk], fetched[mine.pk], fetched[theirs.pk]
    merge = Merge(base=base, theirs=theirs)
    contents = {v.pk: version_content(v)["components"] for v in (base, mine, theirs)}
    for key, _title, fields, parts in COMPONENTS:
        b, m, t = (contents[v.pk][key] for v in (base, mine, theirs))
        for name in fields:
            if name in REBASE_OWN_FIELDS or b[name] == t[name] or m[name] == t[name]:
                continue
            change = _field_change(Version, name, m[name], t[name])
            if m[name] == b[name]:
                merge.fields[name] = getattr(theirs, name)
                merge.taken.append(MergeNote(change.label, change.old, change.new))
            else:
                merge.kept.append(MergeNote(change.label, change.old, change.new))
        for name in parts:
            _merge_part(merge, name, base, mine, theirs, b[name], m[name], t[name])
    return merge


def _merge_part(merge: Merge, name, base, mine, theirs, b, m, t) -> None:
    title = str(capfirst(PART_MODELS[name]._meta.verbose_name_plural))
    mine_parts, theirs_parts = list(getattr(mine, name).all()), list(getattr(theirs, name).all())
    key = PART_KEYS[name]
    in_mine = {bi: mi for mi, bi in _pair_indices(key, b, m).items()}
    in_theirs = {bi: ti for ti, bi in _pair_indices(key, b, t).items()}

    def note(row: dict, mine_row: dict | None, theirs_row: dict | None) -> MergeNote:
        def text(item):
            return part_label(name, item) if item is not None else "—"

        return MergeNote(f"{title}: {part_label(name, row)}", text(mine_row), text(theirs_row))

    for bi, row in enumerate(b):
        mi, ti = in_mine.get(bi), in_theirs.get(bi)
        mine_row = m[mi] if mi is not None else None
        theirs_row = t[ti] if ti is not None else None
        if theirs_row is not None and _same_row(theirs_row, row):
            continue  # theirs did not touch it: the draft's row (or its removal) stands
        if mine_row is not None and _same_row(mine_row, row):
            if theirs_row is None:
                merge.delete.append(mine_parts[mi])
                merge.taken.append(note(row, mine_row, None))
            else:
                merge.update.append((mine_parts[mi], _row_values(theirs_parts[ti])))
                merge.taken.append(note(row, mine_row, theirs_row))
        elif mine_row is None or theirs_row is None or not _same_row(mine_row, theirs_row):
            merge.kept.append(note(row, mine_row, theirs_row))
    added_by_mine = [mi for mi in range(len(m)) if mi not in in_mine.values()]
    added_by_theirs = [ti for ti in range(len(t)) if ti not in in_theirs.values()]
    both = _pair_indices(key, [m[mi] for mi in added_by_mine], [t[ti] for ti in added_by_theirs])
    for position, ti in enumerate(added_by_theirs):
        twin = both.get(position)
        if twin is None:
            merge.create.append((name, _row_values(theirs_parts[ti])))
            merge.taken.append(note(t[ti], None, t[ti]))
        elif not _same_row(m[added_by_mine[twin]], t[ti]):
            merge.kept.append(note(t[ti], m[added_by_mine[twin]], t[ti]))
