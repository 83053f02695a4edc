"""The placeholder "First contact within H business hours" is never stored as a
commitment's description: saved empty, the commitment reads from its parameters."""

import importlib
from decimal import Decimal

from django.apps import apps

from slas import forms, services
from slas.models import Commitment, Version
from slas.tests.factories import activate

migration = importlib.import_module("slas.migrations.0014_commitment_placeholder_descriptions")


def test_a_description_that_is_the_kinds_name_is_saved_empty(cast, draft):
    # when a manager saves the kind's name as the description
    commitment = draft.commitments.get(kind="first_contact_within")
    services.version_part_update(
        actor=cast.alice,
        instance=commitment,
        data={"description": "First contact within H business hours"},
    )
    # then nothing of it is stored
    assert Commitment.objects.get(pk=commitment.pk).description == ""


def test_a_placeholder_in_another_language_is_not_stored_either(cast, draft):
    from django.utils import translation

    with translation.override("ro"):
        placeholder = str(Commitment._meta.get_field("kind").choices[1][1])
    commitment = draft.commitments.get(kind="first_contact_within")
    services.version_part_update(
        actor=cast.alice, instance=commitment, data={"description": placeholder}
    )
    assert Commitment.objects.get(pk=commitment.pk).description == ""


def test_the_form_saves_the_persons_own_words(cast, draft):
    # given the commitments form with a description of its own
    commitment = draft.commitments.get(kind="first_contact_within")
    form = forms.CommitmentForm(
        data={
            "owner_team": cast.sales.pk,
            "kind": "first_contact_within",
            "hours": "16",
            "target": "90",
            "period": "month",
            "description": "Phone first, then e-mail.",
            "position": "0",
        },
        instance=commitment,
        version=draft,
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["description"] == "Phone first, then e-mail."


def test_the_form_offers_no_placeholder_to_keep(cast, draft):
    form = forms.CommitmentForm(version=draft)
    assert not form["description"].value()
    assert "business hours" not in str(form["description"])


def test_the_funnel_planners_commitment_reads_from_its_parameters(cast, draft):
    # given a draft without an MQL volume commitment
    draft.commitments.filter(kind="mql_volume").delete()
    # when the planner writes one
    created = services.version_commitment_set_mql_volume(
        actor=cast.alice, version=draft, target=140
    )
    # then it carries no description written in the planner's language
    assert Commitment.objects.get(pk=created.pk).description == ""
    assert created.target == Decimal(140)


def test_the_migration_clears_placeholders_of_drafts_and_leaves_signed_versions(cast, draft):
    # given a signed version and its draft copy, each with a placeholder stored earlier
    commitment = draft.commitments.get(kind="first_contact_within")
    Commitment.objects.filter(pk=commitment.pk).update(
        description="First contact within H business hours."
    )
    activate(draft)
    v2 = services.version_amend(actor=cast.alice, agreement=draft.agreement)
    copied = v2.commitments.get(kind="first_contact_within")
    Commitment.objects.filter(pk=copied.pk).update(
        description="first contact within H business hours"
    )
    own = v2.commitments.get(kind="mql_volume")
    Commitment.objects.filter(pk=own.pk).update(description="Sales accepts most of them.")
    # when the migration runs
    migration.clear_placeholder_descriptions(apps, None)
    # then the draft's placeholder is cleared, its own words stay, the signed one is sealed
    assert Commitment.objects.get(pk=copied.pk).description == ""
    assert Commitment.objects.get(pk=own.pk).description == "Sales accepts most of them."
    assert Version.objects.get(pk=draft.pk).status != "draft"
    assert Commitment.objects.get(pk=commitment.pk).description.startswith("First contact")
