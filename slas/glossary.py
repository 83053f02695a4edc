"""The agreed definitions of the lead stages, as a version's glossary (its terms) gives them:
what a stage badge, the queue, the lead page and the reports show next to a stage name.

Which term defines a stage (`term_stage`): a term whose name, compared case-insensitively
and with spaces and hyphens alike, is the stage's key (`mql`) or its label (`MQL`,
`Opportunity`), either alone, followed by "lead" ("Recycled lead") or as the
abbreviation in parentheses after a long name ("Marketing-qualified lead (MQL)"). When
several terms of a version define one stage, the first in the document's order does.

Which version's glossary a page shows is the caller's rule (docs/compliance.md, "Stage
definitions"): a lead's is the version governing its latest cycle, else the one in force
now; a compliance page's is its version; the monthly report's is the version in force at
the end of the month. `glossaries_load` loads many versions in two queries, so a page
builds its glossaries once, whatever the number of rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils import translation

from slas.frozen import frozen_parts
from slas.models import Term, Version
from slas.stages import Stage

if TYPE_CHECKING:
    from slas.governing import VersionIndex

_PARENTHESISED = re.compile(r"^(?P<long>.*?)\s*\((?P<short>[^()]+)\)\s*$")
_SEPARATORS = re.compile(r"[\s\-_]+")


def _normal(text: str) -> str:
    return _SEPARATORS.sub(" ", text).strip().casefold()


@cache
def _stage_names() -> dict[str, str]:
    """Every accepted spelling of a stage (key and source label, each with "lead")."""
    names: dict[str, str] = {}
    for stage in Stage:
        # The label's source text: a term is written once, whatever the reader's
        # language, so whether it matches must not change with the language of the page.
        with translation.override(None):
            label = str(stage.label)
        for name in (stage.value, label):
            names.setdefault(_normal(name), stage.value)
            names.setdefault(_normal(f"{name} lead"), stage.value)
    return names


def term_stage(term: str) -> str | None:
    """The stage a term defines (its key), or None: the rule in the module docstring."""
    names = _stage_names()
    found = names.get(_normal(term))
    if found is None and (match := _PARENTHESISED.match(term)):
        found = names.get(_normal(match["short"])) or names.get(_normal(match["long"]))
    return found


def term_anchor(term_id: int) -> str:
    """The anchor of a term in its version's document (templates/slas/version_detail.html)."""
    return f"term-{term_id}"


@dataclass(frozen=True)
class Definition:
    stage: str
    term: str
    text: str
    version_id: int
    version_number: int
    anchor: str

    @property
    def url(self) -> str:
        return f"{reverse('slas:version_detail', args=[self.version_id])}#{self.anchor}"


@dataclass(frozen=True)
class Glossary:
    """The stage definitions of one version (a stage its terms do not define: None)."""

    version_id: int
    version_number: int
    definitions: dict[str, Definition] = field(default_factory=dict)

    def of(self, stage: str) -> Definition | None:
        return self.definitions.get(stage)


def glossaries_load(
    version_ids: Iterable[int | None], *, index: VersionIndex | None = None
) -> dict[int, Glossary]:
    """The glossaries of these versions, by version id (two queries, however many; one
    when the caller's VersionIndex, `index`, holds them all: their numbers)."""
    ids = sorted({pk for pk in version_ids if pk is not None})
    if not ids:
        return {}
    numbers: dict[int, int] = {}
    for pk in ids if index is not None else ():
        version = index.version(pk)
        if version is not None:
            numbers[pk] = version.number
    unread = [pk for pk in ids if pk not in numbers]
    if unread:
        numbers.update(Version.objects.filter(pk__in=unread).values_list("pk", "number"))
    definitions: dict[int, dict[str, Definition]] = {pk: {} for pk in numbers}
    # An activated version's terms never change (slas.frozen): from the cache.
    keys = index.frozen_keys(numbers) if index is not None else {}
    terms = frozen_parts("terms-1", list(numbers), keys, _terms_load, empty=())
    for version_id, rows in terms.items():
        for pk, term, text in rows:
            stage = term_stage(term)
            if stage is not None and stage not in definitions[version_id]:
                definitions[version_id][stage] = Definition(
                    stage, term, text, version_id, numbers[version_id], term_anchor(pk)
                )
    return {pk: Glossary(pk, numbers[pk], definitions[pk]) for pk in numbers}


def _terms_load(version_ids: list[int]) -> dict[int, tuple[tuple[int, str, str], ...]]:
    """The versions' terms in the document's order: (pk, term, definition)."""
    terms: dict[int, list[tuple[int, str, str]]] = {pk: [] for pk in version_ids}
    rows = Term.objects.filter(version_id__in=version_ids).order_by("position", "id")
    for pk, version_id, term, text in rows.values_list("pk", "version_id", "term", "definition"):
        terms[version_id].append((pk, term, text))
    return {pk: tuple(found) for pk, found in terms.items()}


def version_glossary(version_id: int | None) -> Glossary | None:
    """One version's glossary (None: no version governs)."""
    return glossaries_load([version_id]).get(version_id) if version_id else None
