import pytest

from slas.audit.chain import audit_verify
from slas.audit.models import AuditEntry
from slas.services import agreement_create, version_amend, version_update

pytestmark = pytest.mark.django_db


def test_creating_amending_and_editing_a_draft_append_to_the_audit_chain(cast):
    # given Alice starts an agreement (draft v1)
    agreement = agreement_create(
        actor=cast.alice, title="Marketing ⇄ Sales", parties=[cast.marketing, cast.sales]
    )
    draft = agreement.versions.get()
    # when Carol edits the draft
    version_update(actor=cast.carol, version=draft, data={"change_summary": "First agreement."})
    # then the chain says who did what, in order, and verifies
    entries = list(AuditEntry.objects.filter(agreement=agreement).order_by("seq"))
    assert [(e.action, e.actor_id, e.version_number) for e in entries] == [
        ("created", cast.alice.pk, 1),
        ("edited", cast.carol.pk, 1),
    ]
    assert audit_verify(agreement=agreement).intact


def test_a_new_version_is_recorded_as_created_from_the_previous_one(cast):
    from django.utils import timezone

    from slas.testing import version_take_effect

    agreement = agreement_create(
        actor=cast.alice, title="SLA", parties=[cast.marketing, cast.sales]
    )
    version_take_effect(agreement.versions.get(), in_force_from=timezone.now())
    v2 = version_amend(actor=cast.carol, agreement=agreement)
    last = AuditEntry.objects.filter(agreement=agreement).order_by("-seq").first()
    assert (last.action, last.version_number, last.data["copied_from"]) == ("created", v2.number, 1)
