"""The content hash covers every field of a version and of every part, and nothing else."""

import datetime
import hashlib
from decimal import Decimal

import pytest
from django.db import models

from slas.models import (
    Commitment,
    EscalationStep,
    Holiday,
    NurtureTrack,
    ReasonCode,
    ScoringRule,
    Section,
    Term,
    Version,
)
from slas.signing.seal import (
    PART_EXCLUDED,
    VERSION_EXCLUDED,
    version_content_hash,
    version_export_bytes,
    version_part_relations,
)
from slas.signing.services import version_send_for_signature
from slas.tests.signing_factories import (
    AgreementFactory,
    VersionFactory,
    add_every_part,
    marketing_sales,
)

pytestmark = pytest.mark.django_db


def changed(obj, field, cast):
    """A different valid value for `field` of `obj`."""
    value = getattr(obj, field.attname)
    if field.is_relation:
        return cast.marketing.pk if value != cast.marketing.pk else cast.sales.pk
    if field.choices:
        return next(choice for choice, _label in field.choices if choice != value)
    if isinstance(field, models.JSONField):
        if isinstance(value, list):
            return [*value, 6] if all(isinstance(v, int) for v in value) else [*value, "video"]
        return {**value, "extra": 1}
    if isinstance(field, models.DecimalField):
        return (value or Decimal(0)) + Decimal("1.5")
    if isinstance(field, (models.IntegerField, models.PositiveIntegerField)):
        return (value or 0) + 1
    if isinstance(field, models.DateField):
        return value + datetime.timedelta(days=1)
    if isinstance(field, models.TimeField):
        return value.replace(hour=(value.hour + 1) % 24)
    if isinstance(field, (models.CharField, models.TextField)):
        value = value or ""
        if field.max_length and len(value) >= field.max_length:
            return value[:-1] + ("X" if value[-1] != "X" else "Y")
        return value + "x"
    raise AssertionError(f"No mutation for {field!r}")


def test_every_part_model_of_a_version_is_covered():
    # given / when
    models_covered = {model for _accessor, model in version_part_relations()}
    # then
    assert {
        Term,
        ScoringRule,
        ReasonCode,
        NurtureTrack,
        Commitment,
        Holiday,
        Section,
        EscalationStep,
    } <= models_covered


def test_the_hash_is_the_same_when_nothing_changes(cast):
    # given
    _agreement, _v2, v3 = marketing_sales(cast)
    # when
    first, second = version_content_hash(v3), version_content_hash(Version.objects.get(pk=v3.pk))
    # then
    assert first == second
    assert len(first) == 64


def test_the_hash_does_not_depend_on_row_ids_or_insertion_order(cast):
    # given
    _agreement, _v2, v3 = marketing_sales(cast)
    before = version_content_hash(v3)
    terms = list(v3.terms.order_by("pk").values("term", "definition", "position"))
    # when the same terms are written again, in reverse order, with new ids
    v3.terms.all().delete()
    for row in reversed(terms):
        Term.objects.create(version=v3, **row)
    # then
    assert version_content_hash(v3) == before


def test_the_export_is_the_canonical_json_whose_sha256_is_the_hash(cast):
    _agreement, _v2, v3 = marketing_sales(cast)
    assert hashlib.sha256(version_export_bytes(v3)).hexdigest() == version_content_hash(v3)


def test_changing_any_single_field_of_the_version_changes_the_hash(cast):
    # given
    _agreement, _v2, v3 = marketing_sales(cast)
    original = version_content_hash(v3)
    fields = [f for f in Version._meta.concrete_fields if f.name not in VERSION_EXCLUDED]
    assert {"effective_date", "end_date", "review_date", "working_days", "mql_threshold"} <= {
        f.name for f in fields
    }
    for field in fields:
        old = getattr(v3, field.attname)
        # when
        setattr(v3, field.attname, changed(v3, field, cast))
        v3.save()
        # then
        assert version_content_hash(v3) != original, field.name
        setattr(v3, field.attname, old)
        v3.save()
        assert version_content_hash(v3) == original, field.name


@pytest.mark.parametrize(
    "accessor",
    [
        "terms",
        "scoring_rules",
        "reason_codes",
        "nurture_tracks",
        "commitments",
        "holidays",
        "sections",
        "escalation_steps",
        "incentives",
    ],
)
def test_changing_any_single_field_of_any_part_changes_the_hash(cast, accessor):
    # given
    _agreement, _v2, v3 = marketing_sales(cast)
    original = version_content_hash(v3)
    part = getattr(v3, accessor).order_by("pk").first()
    fields = [f for f in part._meta.concrete_fields if f.name not in PART_EXCLUDED]
    assert fields
    for field in fields:
        old = getattr(part, field.attname)
        # when
        setattr(part, field.attname, changed(part, field, cast))
        part.save()
        # then
        assert version_content_hash(v3) != original, f"{accessor}.{field.name}"
        setattr(part, field.attname, old)
        part.save()
        assert version_content_hash(v3) == original, f"{accessor}.{field.name}"


def test_adding_or_removing_a_part_changes_the_hash(cast):
    _agreement, _v2, v3 = marketing_sales(cast)
    original = version_content_hash(v3)
    term = Term.objects.create(version=v3, term="Nurture", definition="Follow-up.", position=9)
    assert version_content_hash(v3) != original
    term.delete()
    assert version_content_hash(v3) == original
    v3.holidays.all().delete()
    assert version_content_hash(v3) != original


def test_changing_the_parties_or_the_agreement_title_or_purpose_changes_the_hash(cast):
    # given an agreement with only a draft (once a version left draft they are locked)
    agreement = AgreementFactory(parties=[cast.marketing, cast.sales])
    draft = VersionFactory(agreement=agreement, number=1)
    add_every_part(draft, cast.sales)
    original, title = version_content_hash(draft), agreement.title
    # when / then
    agreement.parties.add(cast.customer_success)
    assert version_content_hash(draft) != original
    agreement.parties.remove(cast.customer_success)
    assert version_content_hash(draft) == original
    agreement.title = "Another title"
    agreement.save()
    assert version_content_hash(draft) != original
    agreement.title = title
    agreement.save()
    assert version_content_hash(draft) == original
    agreement.purpose = "Another purpose"
    agreement.save()
    assert version_content_hash(draft) != original


def test_a_party_team_renamed_changes_the_live_content_not_what_was_sealed(cast):
    # given a version sent for signature (its sealed copy is stored)
    agreement, v2, v3 = marketing_sales(cast)
    version_send_for_signature(version=v3, actor=cast.alice)
    v3.refresh_from_db()
    sealed = version_export_bytes(v3)
    # when
    cast.sales.name = "Revenue"
    cast.sales.save()
    # then the live content moved on, the sealed copy did not
    assert version_content_hash(v3) != v3.content_hash
    assert version_export_bytes(v3) == sealed
    assert hashlib.sha256(sealed).hexdigest() == v3.content_hash


def test_lifecycle_fields_are_not_content(cast):
    # given
    _agreement, _v2, v3 = marketing_sales(cast)
    original = version_content_hash(v3)
    # when signing writes its own fields
    v3.status = "pending_signature"
    v3.content_hash = original
    v3.save(update_fields=["status", "content_hash"])
    # then
    assert version_content_hash(v3) == original
