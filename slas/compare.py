"""Compare two versions: component by component, rows matched by their key, each field's change worded as the page shows it (display values, commitment terms). A fixed number of queries whatever the number of parts."""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from slas.models import (
    PART_MODELS,
    Version,
)
from slas.redline import redline_html
from slas.selectors import COMPONENTS, version_content, versions_with_parts
from slas.stages import stage_label

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
    title = str(PART_MODELS[name]._meta.verbose_name_plural).capitalize()
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
