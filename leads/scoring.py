"""Fit and interest scores from a version's qualification rules (pure: plain values in, plain out).

A rule gives its points when a lead's attribute matches: the attribute is a Lead field
(``job_title``, ``company_size``...) or a key of ``Lead.attributes`` (``visits``...).

Operators: ``equals``, ``not_equals``, ``contains``, ``in`` (comma separated list),
``gte``, ``lte``. Text comparisons ignore case and surrounding spaces. ``gte``/``lte``
compare numbers; a value such as ``"201-500"`` or ``"1,000+"`` is read by its first
number (201, 1000). A missing or empty attribute matches no rule, not even
``not_equals``: the rule cannot tell, so it gives nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.utils.translation import gettext_lazy

from slas.sentences import ATTRIBUTE_LABELS

LEAD_FIELDS = frozenset(
    {
        "source",
        "external_id",
        "first_name",
        "last_name",
        "email",
        "company",
        "job_title",
        "industry",
        "company_size",
        "lead_source",
    }
)

# How a score explanation shows a rule: mathematical signs read in every language, the
# word operators are translated (the msgids of slas.models.Operator).
SYMBOLS = {
    "equals": "=",
    "not_equals": "≠",
    "contains": gettext_lazy("contains"),
    "in": gettext_lazy("is one of"),
    "gte": "≥",
    "lte": "≤",
}
# Lead fields as people call them: the one list is the agreement's (slas.sentences).
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


@dataclass(frozen=True)
class Rule:
    attribute: str
    operator: str
    value: str
    points: int
    dimension: str  # "fit" | "interest"

    @property
    def symbol(self) -> str:
        return str(SYMBOLS.get(self.operator, self.operator))

    @property
    def attribute_label(self) -> str:
        label = ATTRIBUTE_LABELS.get(self.attribute)
        return str(label) if label is not None else self.attribute.replace("_", " ")

    @cached_property
    def expected(self) -> Any:
        """The value as `matches` compares it: a number (gte, lte), a set of texts (in)
        or a text; read once per rule, not once per lead scored."""
        if self.operator in ("gte", "lte"):
            return _number(self.value)
        if self.operator == "in":
            return frozenset(
                part.strip().casefold() for part in self.value.split(",") if part.strip()
            )
        return _text(self.value)


@dataclass(frozen=True)
class Hit:
    rule: Rule
    actual: str


@dataclass
class Score:
    fit: int = 0
    interest: int = 0
    hits: list[Hit] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.fit + self.interest


def attribute_value(values: Mapping[str, Any], attributes: Mapping[str, Any], name: str) -> Any:
    if name in LEAD_FIELDS:
        return values.get(name)
    return attributes.get(name)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    match = _NUMBER.search(str(value))
    if not match:
        return None
    try:
        return float(match.group().replace(",", ""))
    except ValueError:
        return None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).strip().casefold()


def matches(rule: Rule, actual: Any) -> bool:
    if actual is None or (isinstance(actual, str) and not actual.strip()):
        return False
    op, expected = rule.operator, rule.expected
    if op in ("gte", "lte"):
        left = _number(actual)
        if left is None or expected is None:
            return False
        return left >= expected if op == "gte" else left <= expected
    text = _text(actual)
    if op == "equals":
        return text == expected
    if op == "not_equals":
        return text != expected
    if op == "contains":
        return expected in text
    if op == "in":
        return text in expected
    return False


def score(values: Mapping[str, Any], attributes: Mapping[str, Any], rules: Iterable[Rule]) -> Score:
    """Points per dimension and the rules that gave them, in rule order."""
    result = Score()
    for rule in rules:
        actual = attribute_value(values, attributes, rule.attribute)
        if matches(rule, actual):
            result.hits.append(Hit(rule, str(actual)))
            if rule.dimension == "interest":
                result.interest += rule.points
            else:
                result.fit += rule.points
    return result
