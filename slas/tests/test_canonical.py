import hashlib
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slas.canonical import canonical_json, content_hash

SAMPLE = {
    "title": "SLA Marketing ↔ Vânzări",
    "version": 3,
    "response_hours": Decimal("4.00"),
    "effective": date(2026, 1, 1),
    "signed_at": datetime(2026, 1, 2, 9, 30, tzinfo=UTC),
    "stages": ("lead", "mql"),
    "tags": {"b", "a"},
    "active": True,
    "notes": None,
}


def test_output_is_compact_sorted_utf8_json():
    assert canonical_json({"b": 1, "a": [1, 2], "c": "ș"}) == '{"a":[1,2],"b":1,"c":"ș"}'.encode()


def test_key_order_does_not_matter():
    reordered = dict(reversed(list(SAMPLE.items())))
    assert canonical_json(reordered) == canonical_json(SAMPLE)
    assert content_hash(reordered) == content_hash(SAMPLE)


def test_nested_key_order_does_not_matter():
    assert content_hash({"x": {"a": 1, "b": 2}}) == content_hash({"x": {"b": 2, "a": 1}})


def test_same_input_gives_same_hash():
    assert content_hash(SAMPLE) == content_hash(dict(SAMPLE))


def test_hash_is_sha256_hex_of_canonical_json():
    assert content_hash(SAMPLE) == hashlib.sha256(canonical_json(SAMPLE)).hexdigest()
    assert len(content_hash(SAMPLE)) == 64


CHANGES = {
    "title": "SLA Marketing ↔ Vanzari",
    "version": 4,
    "response_hours": Decimal("4.01"),
    "effective": date(2026, 1, 2),
    "signed_at": datetime(2026, 1, 2, 9, 30, 1, tzinfo=UTC),
    "stages": ("mql", "lead"),
    "tags": {"a", "c"},
    "active": False,
    "notes": "",
}


@pytest.mark.parametrize("key", sorted(CHANGES))
def test_changing_any_single_value_changes_the_hash(key):
    assert content_hash(dict(SAMPLE, **{key: CHANGES[key]})) != content_hash(SAMPLE)


def test_adding_or_renaming_a_key_changes_the_hash():
    assert content_hash(dict(SAMPLE, extra=1)) != content_hash(SAMPLE)
    renamed = dict(SAMPLE)
    renamed["Title"] = renamed.pop("title")
    assert content_hash(renamed) != content_hash(SAMPLE)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1.50"), '"1.5"'),
        (Decimal("1.5"), '"1.5"'),
        (Decimal("100"), '"100"'),
        (Decimal("1E+2"), '"100"'),
        (Decimal("0.000"), '"0"'),
        (Decimal("-0"), '"0"'),
        (Decimal("-12.3400"), '"-12.34"'),
        (Decimal("0.0001"), '"0.0001"'),
    ],
)
def test_decimals_become_normalised_plain_strings(value, expected):
    assert canonical_json(value) == expected.encode()


def test_aware_datetimes_are_converted_to_utc_with_z():
    bucharest = timezone(timedelta(hours=2))
    value = datetime(2026, 3, 1, 11, 0, tzinfo=bucharest)
    assert canonical_json(value) == b'"2026-03-01T09:00:00Z"'
    assert content_hash(value) == content_hash(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))


def test_microseconds_are_kept():
    value = datetime(2026, 3, 1, 9, 0, 0, 123456, tzinfo=UTC)
    assert canonical_json(value) == b'"2026-03-01T09:00:00.123456Z"'


def test_naive_datetimes_are_rejected():
    with pytest.raises(ValueError, match="naive datetime"):
        canonical_json(datetime(2026, 3, 1, 9, 0))


def test_dates_and_times_use_iso_8601():
    assert canonical_json([date(2026, 12, 31), time(8, 5)]) == b'["2026-12-31","08:05:00"]'


def test_uuids_become_strings():
    value = UUID("12345678-1234-5678-1234-567812345678")
    assert canonical_json(value) == b'"12345678-1234-5678-1234-567812345678"'


def test_sets_are_sorted_and_tuples_become_lists():
    assert canonical_json({"s": {3, 1, 2}, "t": (1, "a")}) == b'{"s":[1,2,3],"t":[1,"a"]}'
    assert canonical_json(frozenset({"b", "a"})) == b'["a","b"]'


def test_sets_of_mixed_types_sort_deterministically():
    assert canonical_json({1, "1", None}) == canonical_json({None, "1", 1})


def test_list_order_still_matters():
    assert content_hash([1, 2]) != content_hash([2, 1])


def test_unicode_is_not_escaped():
    assert canonical_json("مدة — 四時間 — ț").decode("utf-8") == '"مدة — 四時間 — ț"'


@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), float("-inf"), Decimal("NaN"), Decimal("-Infinity")]
)
def test_non_finite_numbers_are_rejected(value):
    with pytest.raises(ValueError, match="non-finite"):
        canonical_json({"x": [value]})


def test_finite_floats_are_allowed():
    assert canonical_json(0.5) == b"0.5"


def test_non_string_keys_are_rejected():
    with pytest.raises(TypeError, match="keys must be strings"):
        canonical_json({1: "a"})


def test_unsupported_types_are_rejected():
    with pytest.raises(TypeError, match="object"):
        canonical_json(object())


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.decimals(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)


@given(st.dictionaries(st.text(), json_values, max_size=6))
def test_hash_is_independent_of_insertion_order(data):
    assert content_hash(dict(reversed(list(data.items())))) == content_hash(data)


@given(json_values)
def test_canonical_json_is_stable_and_valid_utf8(data):
    first = canonical_json(data)
    assert first == canonical_json(data)
    first.decode("utf-8")
