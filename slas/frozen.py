"""The parts of activated versions, read from the shared cache rather than the database.

A version's parts (holidays, scoring rules, reason codes, nurture tracks, commitments,
terms) never change once the version has left draft: slas.models refuses every write to
them (saves, bulk writes, deletes). So what a page reads of an activated version's parts
is the same on every page, and the pages that read it on every request (the queues, the
lead page, a logged contact attempt) take it from the cache: a query and its ORM work
each, replaced by one cache read for all of them.

Nothing needs invalidating, since nothing can write these parts. The key names the version
by its id *and* its content hash (what was sent for signature), so a database seeded anew,
whose ids start again, never reads another version's parts; a version without a hash (a
draft, or one whose signing round was voided) is never kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

#: Long enough to outlive a working day of pages; the entries are small and never wrong.
FROZEN_PARTS_SECONDS = 24 * 3600

T = TypeVar("T")


def frozen_key(version_id: int, *, status: str, content_hash: str) -> str | None:
    """What names a version's frozen parts in the cache; None: they may still change."""
    if status == "draft" or not content_hash:
        return None
    return f"{version_id}:{content_hash}"


def version_frozen_key(version) -> str | None:
    """frozen_key of a Version row (None when its status or hash was not read)."""
    if {"status", "content_hash"} & version.get_deferred_fields():
        return None
    return frozen_key(version.pk, status=version.status, content_hash=version.content_hash)


def frozen_parts(
    kind: str,
    version_ids: list[int],
    keys: dict[int, str | None],
    load: Callable[[list[int]], dict[int, T]],
    *,
    empty: T,
) -> dict[int, T]:
    """``kind`` of each version's parts, by version id: from the cache for the versions
    with a key (``keys``, frozen_key's), the rest by ``load`` (which then fills the cache
    for them). A version ``load`` finds nothing for has ``empty``."""
    cache_keys = {pk: f"frozen:{kind}:{keys[pk]}" for pk in version_ids if keys.get(pk)}
    found = cache.get_many(list(cache_keys.values())) if cache_keys else {}
    parts = {pk: found[key] for pk, key in cache_keys.items() if key in found}
    missing = [pk for pk in version_ids if pk not in parts]
    if missing:
        loaded = load(missing)
        for pk in missing:
            parts[pk] = loaded.get(pk, empty)
        fresh = {cache_keys[pk]: parts[pk] for pk in missing if pk in cache_keys}
        if fresh:
            cache.set_many(fresh, FROZEN_PARTS_SECONDS)
    return parts
