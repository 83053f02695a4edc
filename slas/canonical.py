"""Deterministic (canonical) JSON and content hashes.

The same logical value always serialises to the same bytes, so
:func:`content_hash` can fingerprint documents, versions and certificates:

* object keys sorted, no insignificant whitespace, UTF-8 (not ``\\uXXXX``);
* keys must be strings (mixed key types cannot be ordered unambiguously);
* ``Decimal`` as its normalised plain string (``Decimal("1.50")`` -> ``"1.5"``,
  ``Decimal("1E+2")`` -> ``"100"``, ``-0`` -> ``"0"``);
* ``datetime`` must be timezone-aware and is converted to UTC with a ``Z``
  suffix; ``date`` and ``time`` use ISO 8601;
* ``UUID`` as its canonical hyphenated string;
* ``set``/``frozenset`` become lists sorted by each element's canonical form;
  tuples become lists;
* NaN and infinities (float or Decimal) are rejected with ``ValueError``;
  unsupported types raise ``TypeError``.

Type information is not recorded: ``Decimal("1.5")`` and the string ``"1.5"``
(or a ``date`` and its ISO string) produce the same bytes and the same hash.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID


def _decimal_str(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"Cannot canonicalise non-finite Decimal {value!r}.")
    if value.is_zero():
        return "0"
    return format(value.normalize(), "f")


def _datetime_str(value: datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"Cannot canonicalise naive datetime {value!r}; make it timezone-aware.")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def _prepare(obj: Any) -> Any:
    """Convert ``obj`` into plain JSON types (dict/list/str/int/float/bool/None)."""
    if obj is None or isinstance(obj, (str, bool, int)):
        return obj
    if isinstance(obj, float):
        if not math.isfinite(obj):
            raise ValueError(f"Cannot canonicalise non-finite float {obj!r}.")
        return obj
    if isinstance(obj, Decimal):
        return _decimal_str(obj)
    if isinstance(obj, datetime):  # before date: datetime is a date subclass
        return _datetime_str(obj)
    if isinstance(obj, (date, time)):
        return obj.isoformat()
    if isinstance(obj, UUID):
        return str(obj)
    if isinstance(obj, Mapping):
        result = {}
        for key, value in obj.items():
            if not isinstance(key, str):
                raise TypeError(f"Object keys must be strings, got {type(key).__name__} {key!r}.")
            result[key] = _prepare(value)
        return result
    if isinstance(obj, (list, tuple)):
        return [_prepare(item) for item in obj]
    if isinstance(obj, (set, frozenset)):
        items = [_prepare(item) for item in obj]
        return sorted(items, key=_dumps)
    raise TypeError(f"Cannot canonicalise value of type {type(obj).__name__}.")


def _dumps(prepared: Any) -> str:
    return json.dumps(
        prepared,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def canonical_json(obj: Any) -> bytes:
    """Serialise ``obj`` to canonical UTF-8 JSON bytes (see module docstring)."""
    return _dumps(_prepare(obj)).encode("utf-8")


def content_hash(obj: Any) -> str:
    """SHA-256 hex digest of :func:`canonical_json` of ``obj``."""
    return hashlib.sha256(canonical_json(obj)).hexdigest()
