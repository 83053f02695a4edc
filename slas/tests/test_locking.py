"""Anything that is not a draft is immutable, on every write path: model saves and
deletes, bulk queryset writes, services, the web editor, the API and the admin. Only
the signing services' lifecycle-only saves go through."""

import datetime
import json
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from slas import services
from slas.exceptions import VersionLocked
from slas.models import PART_MODELS, Term, Version, VersionStatus
from slas.tests.factories import activate, set_status

pytestmark = pytest.mark.django_db

LOCKED_STATUSES = [s for s in VersionStatus.values if s != VersionStatus.DRAFT]


@pytest.fixture
def active(draft):
    return activate(draft)


class TestModelGuard:
    @pytest.mark.parametrize("status", LOCKED_STATUSES)
    def test_saving_a_non_draft_version_is_refused_with_a_clear_message(self, draft, status):
        # given
        version = set_status(draft, status)
        # when
        version.change_summary = "sneaky"
        with pytest.raises(VersionLocked) as error:
            version.save()
        # then
        assert "can no longer be changed" in str(error.value)
        assert Version.objects.get(pk=version.pk).change_summary == "First agreement."

    def test_a_stale_instance_cannot_write_a_version_that_was_locked_meanwhile(self, draft):
        # given an editor holding the draft while it is sent for signature
        stale = Version.objects.get(pk=draft.pk)
        set_status(draft, VersionStatus.PENDING_SIGNATURE)
        # when / then
        stale.goal_statements = "changed after sending"
        with pytest.raises(VersionLocked):
            stale.save()

    def test_the_signing_lifecycle_only_save_goes_through(self, active):
        # given an active version
        now = timezone.now()
        active.in_force_from = now
        active.in_force_until = now + datetime.timedelta(days=1)
        active.status = VersionStatus.SUPERSEDED
        active.content_hash = "a" * 64
        # when
        active.save(update_fields=["status", "in_force_from", "in_force_until", "content_hash"])
        # then
        assert Version.objects.get(pk=active.pk).status == VersionStatus.SUPERSEDED

    def test_update_fields_mixing_lifecycle_and_content_is_refused(self, active):
        active.status = VersionStatus.SUPERSEDED
        active.goal_statements = "x"
        with pytest.raises(VersionLocked):
            active.save(update_fields=["status", "goal_statements"])

    def test_a_full_save_cannot_move_the_status_of_a_draft(self, draft):
        draft.status = VersionStatus.ACTIVE
        with pytest.raises(VersionLocked) as error:
            draft.save()
        assert "signature" in str(error.value)

    @pytest.mark.parametrize("part", list(PART_MODELS))
    def test_every_part_of_a_locked_version_refuses_change_add_and_delete(self, active, part):
        # given
        model = PART_MODELS[part]
        row = model.objects.filter(version=active).first()
        assert row is not None, f"the draft fixture has no {part}"
        # when / then: change
        row.position = 99
        with pytest.raises(VersionLocked):
            row.save()
        # add (a copy of the row)
        copy = model.objects.get(pk=row.pk)
        copy.pk = None
        copy._state.adding = True
        with pytest.raises(VersionLocked):
            copy.save()
        # delete
        with pytest.raises(VersionLocked):
            model.objects.get(pk=row.pk).delete()
        assert model.objects.filter(pk=row.pk).exists()

    def test_bulk_writes_on_locked_parts_are_refused(self, active):
        terms = Term.objects.filter(version=active)
        with pytest.raises(VersionLocked):
            terms.update(definition="bulk")
        with pytest.raises(VersionLocked):
            terms.delete()
        with pytest.raises(VersionLocked):
            Term.objects.bulk_create([Term(version=active, term="New", definition="d")])
        with pytest.raises(VersionLocked):
            Version.objects.filter(pk=active.pk).update(goal_statements="bulk")
        assert not Term.objects.filter(version=active, definition="bulk").exists()

    def test_deleting_the_agreement_of_a_locked_version_is_refused(self, active):
        with pytest.raises(VersionLocked):
            active.agreement.delete()
        assert Version.objects.filter(pk=active.pk).exists()

    def test_a_draft_and_its_parts_may_be_deleted(self, draft):
        draft.delete()
        assert not Term.objects.filter(version_id=draft.pk).exists()


class TestServices:
    def test_the_services_refuse_every_edit_of_an_active_version(self, cast, active):
        term = active.terms.first()
        with pytest.raises(VersionLocked):
            services.version_update(actor=cast.alice, version=active, data={"goal_statements": "x"})
        with pytest.raises(VersionLocked):
            services.version_part_create(
                actor=cast.alice,
                version=active,
                part="terms",
                data={"term": "X", "definition": "Y"},
            )
        with pytest.raises(VersionLocked):
            services.version_part_update(actor=cast.alice, instance=term, data={"definition": "Y"})
        with pytest.raises(VersionLocked):
            services.version_part_delete(actor=cast.alice, instance=term)
        with pytest.raises(VersionLocked):
            services.version_commitment_set_mql_volume(actor=cast.alice, version=active, target=5)


class TestWebEditor:
    def test_the_editor_of_an_active_version_redirects_with_the_lock_message(
        self, client, cast, active
    ):
        # given
        client.force_login(cast.alice)
        # when
        response = client.post(
            f"/agreements/versions/{active.pk}/edit/goals/",
            {
                "edit_revision": active.edit_revision,
                "v-goal_statements": "changed",
                "v-revenue_goal_currency": "USD",
                "v-revenue_goal_period_months": 12,
            },
            follow=True,
        )
        # then
        assert "can no longer be changed" in response.content.decode()
        active.refresh_from_db()
        assert active.goal_statements == "One million in new business."

    def test_the_planner_refuses_to_write_into_an_active_version(self, client, cast, active):
        client.force_login(cast.alice)
        response = client.post(
            f"/agreements/versions/{active.pk}/planner/apply/",
            {"edit_revision": active.edit_revision, "mql_target": 5, "period": "month"},
            follow=True,
        )
        assert "can no longer be changed" in response.content.decode()
        assert active.commitments.get(kind="mql_volume").target == Decimal(100)


class TestApi:
    def test_the_api_answers_409_with_a_clear_body_for_every_write(self, client, cast, active):
        client.force_login(cast.alice)
        term = active.terms.first()
        base = f"/api/v1/versions/{active.pk}"
        responses = [
            client.patch(f"{base}/", {"goal_statements": "x"}, content_type="application/json"),
            client.post(
                f"{base}/terms/", {"term": "X", "definition": "Y"}, content_type="application/json"
            ),
            client.patch(
                f"{base}/terms/{term.pk}/", {"definition": "Y"}, content_type="application/json"
            ),
            client.delete(f"{base}/terms/{term.pk}/"),
        ]
        for response in responses:
            assert response.status_code == 409, response.content
            assert response.json()["code"] == "version_locked"
            assert "can no longer be changed" in response.json()["detail"]
        term.refresh_from_db()
        assert term.definition != "Y"


class TestAdmin:
    def test_the_admin_shows_a_locked_version_read_only_and_refuses_a_post(
        self, client, cast, active
    ):
        client.force_login(cast.admin)
        url = f"/admin/slas/version/{active.pk}/change/"
        page = client.get(url)
        assert page.status_code == 200
        assert 'name="goal_statements"' not in page.content.decode()
        response = client.post(url, {"goal_statements": "admin edit"})
        assert response.status_code == 403
        active.refresh_from_db()
        assert active.goal_statements == "One million in new business."

    def test_the_admin_edits_a_draft_with_an_admin_change_reason(self, client, cast, draft):
        # given the admin's change form of a draft, posted back as it was shown
        client.force_login(cast.admin)
        url = f"/admin/slas/version/{draft.pk}/change/"
        page = client.get(url)
        form = page.context["adminform"].form
        data = {}
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            if value is None:
                value = ""
            if isinstance(value, list):
                value = json.dumps(value)
            data[name] = value
        data["goal_statements"] = "Edited in the admin."
        for inline in page.context["inline_admin_formsets"]:
            management = inline.formset.management_form
            for key in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
                data[f"{management.prefix}-{key}"] = management.initial.get(key, 0)
            for subform in inline.formset.forms:
                for name, field in subform.fields.items():
                    value = subform.initial.get(name, field.initial)
                    if hasattr(value, "pk"):
                        value = value.pk
                    if isinstance(value, (dict, list)):
                        value = json.dumps(value)
                    data[f"{subform.prefix}-{name}"] = "" if value is None else value
        response = client.post(url, data)
        assert response.status_code == 302
        draft.refresh_from_db()
        assert draft.goal_statements == "Edited in the admin."
        row = Version.history.filter(id=draft.pk).latest("history_date")
        assert row.history_change_reason == "admin: version"
        assert row.history_user == cast.admin


class TestAgreementSealedFields:
    """An agreement's title, purpose and parties are sealed with its versions: once any
    version has left draft they are locked on every write path."""

    def test_the_title_and_purpose_are_refused_once_a_version_left_draft(self, active):
        # given
        agreement = active.agreement
        # when / then
        agreement.title = "Another title"
        with pytest.raises(VersionLocked) as error:
            agreement.save()
        assert "part of what was signed" in str(error.value)
        agreement.refresh_from_db()
        agreement.purpose = "Another purpose"
        with pytest.raises(VersionLocked):
            agreement.save(update_fields=["purpose"])
        agreement.refresh_from_db()
        assert agreement.title == "Marketing ⇄ Sales SLA"

    def test_the_reminder_settings_still_change(self, active):
        # given
        agreement = active.agreement
        # when
        agreement.reminder_after_days = 5
        agreement.save()
        # then
        agreement.refresh_from_db()
        assert agreement.reminder_after_days == 5

    def test_the_parties_cannot_be_added_removed_or_cleared_from_either_side(self, cast, active):
        # given
        agreement = active.agreement
        # when / then (Django runs m2m writes in the caller's transaction: a savepoint
        # per attempt keeps it usable after the refusal)
        with pytest.raises(VersionLocked), transaction.atomic():
            agreement.parties.add(cast.customer_success)
        with pytest.raises(VersionLocked), transaction.atomic():
            agreement.parties.remove(cast.sales)
        with pytest.raises(VersionLocked), transaction.atomic():
            agreement.parties.clear()
        with pytest.raises(VersionLocked), transaction.atomic():
            agreement.parties.set([cast.marketing, cast.customer_success])
        with pytest.raises(VersionLocked), transaction.atomic():
            cast.customer_success.agreements.add(agreement)
        with pytest.raises(VersionLocked), transaction.atomic():
            cast.sales.agreements.remove(agreement)
        with pytest.raises(VersionLocked), transaction.atomic():
            cast.sales.agreements.clear()
        assert set(agreement.parties.all()) == {cast.marketing, cast.sales}

    def test_setting_the_same_parties_again_is_not_a_change(self, cast, active):
        # given / when
        active.agreement.parties.set([cast.marketing, cast.sales])
        # then
        assert set(active.agreement.parties.all()) == {cast.marketing, cast.sales}

    def test_an_agreement_with_only_drafts_still_changes(self, cast, draft):
        # given
        agreement = draft.agreement
        # when
        agreement.title = "Renamed while a draft"
        agreement.save()
        agreement.parties.add(cast.customer_success)
        # then
        agreement.refresh_from_db()
        assert agreement.title == "Renamed while a draft"
        assert cast.customer_success in agreement.parties.all()

    def test_the_admin_shows_the_sealed_fields_read_only(self, client, cast, active):
        # given
        client.force_login(cast.admin)
        url = f"/admin/slas/agreement/{active.agreement_id}/change/"
        # when
        page = client.get(url)
        form = page.context["adminform"].form
        # then
        assert page.status_code == 200
        assert not {"title", "purpose", "parties"} & set(form.fields)
        assert "reminder_after_days" in form.fields

    def test_the_admin_posting_a_new_title_leaves_it_unchanged(self, client, cast, active):
        # given
        client.force_login(cast.admin)
        url = f"/admin/slas/agreement/{active.agreement_id}/change/"
        # when
        client.post(
            url,
            {
                "title": "Changed in the admin",
                "parties": [cast.marketing.pk],
                "reminder_after_days": 4,
                "reminder_every_days": 2,
                "request_expiry_days": 30,
            },
        )
        # then
        agreement = active.agreement
        agreement.refresh_from_db()
        assert agreement.title == "Marketing ⇄ Sales SLA"
        assert set(agreement.parties.all()) == {cast.marketing, cast.sales}
        assert agreement.reminder_after_days == 4

    def test_the_admin_edits_the_title_of_an_agreement_with_only_drafts(self, client, cast, draft):
        # given
        client.force_login(cast.admin)
        url = f"/admin/slas/agreement/{draft.agreement_id}/change/"
        # when
        page = client.get(url)
        # then
        assert {"title", "purpose", "parties"} <= set(page.context["adminform"].form.fields)

    def test_a_versions_agreement_and_number_are_read_only_in_the_admin(self, client, cast, draft):
        # given
        client.force_login(cast.admin)
        # when
        page = client.get(f"/admin/slas/version/{draft.pk}/change/")
        # then
        fields = set(page.context["adminform"].form.fields)
        assert not {"agreement", "number"} & fields
        assert "goal_statements" in fields
