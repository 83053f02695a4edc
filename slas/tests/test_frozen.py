"""The parts of activated versions come from the shared cache (slas/frozen.py): read from
the database once, then the same on every page; never kept for a version whose parts may
still change, never read for another version (issue 18 §5)."""

import datetime as dt

import pytest
from django.core.cache import cache

from leads.derive import version_rules_load
from reports.specs import version_contexts
from slas import demo
from slas.exceptions import VersionLocked
from slas.frozen import frozen_key, version_frozen_key
from slas.glossary import glossaries_load
from slas.governing import VersionIndex
from slas.models import (
    Agreement,
    Commitment,
    Holiday,
    NurtureTrack,
    ReasonCode,
    ScoringRule,
    Term,
    Version,
    VersionStatus,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_force(cast):
    """The demo agreement's version in force (activated, its content hash sealed)."""
    demo.seed()
    agreement = Agreement.objects.get(title=demo.MARKETING_SALES)
    version = agreement.versions.get(status=VersionStatus.ACTIVE)
    assert version.content_hash
    if not version.holidays.exists():  # pragma: no cover - the demo gives it holidays
        pytest.skip("the demo's version has no holidays")
    return version


def _read(version_id: int):
    index = VersionIndex()
    rules = version_rules_load([version_id], index=index)[version_id]
    glossary = glossaries_load([version_id], index=index)[version_id]
    return index.version(version_id).calendar, rules, glossary


def test_frozen_key_names_only_versions_whose_parts_cannot_change():
    assert frozen_key(3, status="active", content_hash="ab") == "3:ab"
    assert frozen_key(3, status="superseded", content_hash="ab") == "3:ab"
    assert frozen_key(3, status="draft", content_hash="ab") is None
    assert frozen_key(3, status="active", content_hash="") is None


def test_an_activated_versions_parts_are_read_once_then_from_the_cache(
    in_force, django_assert_num_queries
):
    # given the parts read once (the index's versions; holidays; rules; glossary)
    cache.clear()
    with django_assert_num_queries(7):
        first = _read(in_force.pk)
    # when a later page reads them: only the versions of the index are a query
    with django_assert_num_queries(1):
        again = _read(in_force.pk)
    # then it reads the same
    assert again == first
    assert first[0].holidays == {h.date for h in in_force.holidays.all()}
    assert [r.value for r in first[1].rules] == list(
        in_force.scoring_rules.order_by("position", "id").values_list("value", flat=True)
    )
    assert first[1].reasons and first[1].tracks and first[1].recycle_rule
    assert first[2].definitions


def test_scoring_only_reads_from_the_cache_the_rules_alone(in_force):
    _read(in_force.pk)
    index = VersionIndex()
    rules = version_rules_load([in_force.pk], index=index, scoring_only=True)[in_force.pk]
    assert rules.rules and not (rules.reasons or rules.tracks or rules.recycle_rule)


def test_a_version_without_a_content_hash_is_read_from_the_database_each_time(
    in_force, django_assert_num_queries
):
    # given the version in force with no sealed content (its round voided, say)
    Version.objects.filter(pk=in_force.pk).update(content_hash="")
    _read(in_force.pk)
    # then every read asks the database again
    with django_assert_num_queries(7):
        _read(in_force.pk)


def test_a_version_seeded_anew_under_the_same_id_reads_its_own_parts(in_force):
    # given the parts of the version with this id cached under another content hash (a
    # database seeded anew: the ids start again)
    cache.clear()
    stale = in_force.content_hash
    Version.objects.filter(pk=in_force.pk).update(content_hash="0" * 64)
    _read(in_force.pk)
    Version.objects.filter(pk=in_force.pk).update(content_hash=stale)
    cache.set_many(
        {
            f"frozen:holidays-1:{in_force.pk}:{'0' * 64}": [dt.date(2000, 1, 1)],
            f"frozen:terms-1:{in_force.pk}:{'0' * 64}": (),
        }
    )
    # when it is read under its own hash
    calendar, _rules, glossary = _read(in_force.pk)
    # then what was kept under the other one is not read
    assert dt.date(2000, 1, 1) not in calendar.holidays
    assert calendar.holidays == {h.date for h in in_force.holidays.all()}
    assert glossary.definitions


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (Holiday, {"date": dt.date(2031, 1, 1), "name": "new"}),
        (ScoringRule, {"attribute": "industry", "operator": "equals", "value": "x", "points": 1}),
        (ReasonCode, {"code": "new", "label": "New", "applies_to": "any"}),
        (NurtureTrack, {"name": "New track"}),
        (Term, {"term": "SQL", "definition": "new"}),
        (Commitment, {"kind": "attempts_before_recycle", "params": {"attempts": 9}}),
    ],
)
def test_no_write_changes_the_parts_kept(in_force, model, fields):
    """What the cache keeps needs no invalidation: every write to the parts of a version
    out of draft is refused (slas.models), a single row's or a bulk one's."""
    with pytest.raises(VersionLocked):
        model.objects.create(version=in_force, **fields)
    rows = model.objects.filter(version=in_force)
    if rows.exists():
        with pytest.raises(VersionLocked):
            rows.update(position=99)
        with pytest.raises(VersionLocked):
            rows.delete()


def test_compliance_reads_holidays_and_reason_codes_from_the_cache(
    in_force, django_assert_num_queries
):
    now = in_force.in_force_from + dt.timedelta(days=40)
    first = version_contexts([in_force], now)[in_force.pk]
    # a second read: the commitments alone (their owner team's name may change)
    with django_assert_num_queries(1):
        again = version_contexts([in_force], now)[in_force.pk]
    assert again.calendar == first.calendar and again.reason_codes == first.reason_codes
    assert [c.spec_hash for c in again.commitments] == [c.spec_hash for c in first.commitments]


def test_a_version_read_without_its_status_or_hash_is_not_kept(in_force):
    assert version_frozen_key(Version.objects.get(pk=in_force.pk))
    assert version_frozen_key(Version.objects.only("number").get(pk=in_force.pk)) is None
