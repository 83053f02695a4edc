"""Drafts: which version a new one starts from, a draft based on a version that is no
longer the one in force (flagged, rebased before it is sent), and discarding a draft."""

import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from portal.tokens import api_token_create
from slas import services
from slas.models import Version, VersionStatus
from slas.signing.services import version_send_for_signature
from slas.tests.signing_factories import AgreementFactory, VersionFactory, marketing_sales

pytestmark = pytest.mark.django_db


def api_client(user, scope="write"):
    _token, raw = api_token_create(user=user, name="drafts", scope=scope)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def world(cast):
    """v2 in force (first contact within 24 hours); v3 sent for signature (16 hours)."""
    agreement, v2, v3 = marketing_sales(cast)
    services.version_update(
        actor=cast.alice, version=v3, data={"first_contact_hours": Decimal("16")}
    )
    version_send_for_signature(version=v3, actor=cast.alice)
    v3.refresh_from_db()
    return cast, agreement, v2, v3


class TestNewVersionStartsFromTheVersionInForce:
    def test_by_default_it_copies_the_version_in_force_not_a_pending_one(self, world):
        # given v3 awaits signatures, v2 is in force
        cast, agreement, v2, _v3 = world
        # when
        v4 = services.version_amend(actor=cast.alice, agreement=agreement)
        # then
        assert v4.number == 4
        assert v4.based_on == v2
        assert v4.first_contact_hours == v2.first_contact_hours == Decimal("24")

    def test_it_copies_the_version_chosen(self, world):
        # given
        cast, agreement, _v2, v3 = world
        # when
        v4 = services.version_amend(actor=cast.alice, agreement=agreement, base=v3)
        # then
        assert v4.based_on == v3 and v4.first_contact_hours == Decimal("16")

    def test_a_version_of_another_agreement_is_refused(self, world):
        # given
        cast, agreement, _v2, _v3 = world
        other = VersionFactory(
            agreement=AgreementFactory(parties=[cast.marketing, cast.sales]), number=1
        )
        # when / then
        with pytest.raises(ValidationError):
            services.version_amend(actor=cast.alice, agreement=agreement, base=other)
        assert agreement.versions.count() == 2

    def test_without_a_version_in_force_it_starts_from_the_newest(self, cast):
        # given v1 awaits signatures, nothing is in force yet
        agreement = AgreementFactory(parties=[cast.marketing, cast.sales])
        v1 = VersionFactory(agreement=agreement, number=1)
        from slas.tests.signing_factories import add_every_part

        add_every_part(v1, cast.sales)
        version_send_for_signature(version=v1, actor=cast.alice)
        # when
        v2 = services.version_amend(actor=cast.alice, agreement=agreement)
        # then
        assert v2.based_on == v1


class TestTheNewVersionPages:
    def test_the_agreement_page_says_which_version_a_new_one_starts_from(self, client, world):
        # given
        cast, agreement, v2, _v3 = world
        client.force_login(cast.carol)
        # when
        html = client.get(agreement.get_absolute_url()).content.decode()
        # then
        assert "New version from v2" in html
        assert reverse("slas:version_amend", args=[agreement.pk]) in html

    def test_the_new_version_page_offers_every_version_the_one_in_force_chosen(self, client, world):
        # given
        cast, agreement, v2, v3 = world
        client.force_login(cast.carol)
        # when
        html = client.get(reverse("slas:version_amend", args=[agreement.pk])).content.decode()
        # then
        assert re.search(rf'<input[^>]*name="base" value="{v2.pk}"[^>]*checked', html)
        assert re.search(rf'<input[^>]*name="base" value="{v3.pk}"', html)
        assert not re.search(rf'<input[^>]*name="base" value="{v3.pk}"[^>]*checked', html)
        assert "In force" in html and "Awaiting signatures" in html

    def test_posting_a_choice_creates_the_draft_from_it(self, client, world):
        # given
        cast, agreement, _v2, v3 = world
        client.force_login(cast.carol)
        # when
        response = client.post(reverse("slas:version_amend", args=[agreement.pk]), {"base": v3.pk})
        # then
        v4 = agreement.versions.get(number=4)
        assert response.status_code == 302
        assert response.url == reverse("slas:version_edit", args=[v4.pk, "frame"])
        assert v4.based_on == v3

    def test_a_choice_from_another_agreement_is_explained_and_nothing_is_created(
        self, client, world
    ):
        # given
        cast, agreement, _v2, _v3 = world
        other = VersionFactory(
            agreement=AgreementFactory(parties=[cast.marketing, cast.sales]), number=1
        )
        client.force_login(cast.carol)
        # when
        response = client.post(
            reverse("slas:version_amend", args=[agreement.pk]), {"base": other.pk}
        )
        # then
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
        assert agreement.versions.count() == 2


class TestTheNewVersionApi:
    def test_it_starts_from_the_version_in_force_and_says_so(self, world):
        # given
        cast, agreement, v2, _v3 = world
        # when
        answer = api_client(cast.alice).post(
            reverse("version-list"), {"agreement": agreement.pk}, format="json"
        )
        # then
        assert answer.status_code == 201, answer.content
        assert answer.json()["based_on"] == {"id": v2.pk, "number": 2}

    def test_it_starts_from_the_version_given(self, world):
        # given
        cast, agreement, _v2, v3 = world
        # when
        answer = api_client(cast.alice).post(
            reverse("version-list"),
            {"agreement": agreement.pk, "from_version": v3.pk},
            format="json",
        )
        # then
        assert answer.status_code == 201, answer.content
        assert answer.json()["based_on"]["number"] == 3

    def test_a_version_of_another_agreement_is_a_400(self, world):
        # given
        cast, agreement, _v2, _v3 = world
        other = VersionFactory(
            agreement=AgreementFactory(parties=[cast.marketing, cast.sales]), number=1
        )
        # when
        answer = api_client(cast.alice).post(
            reverse("version-list"),
            {"agreement": agreement.pk, "from_version": other.pk},
            format="json",
        )
        # then
        assert answer.status_code == 400
        assert "from_version" in answer.json()["errors"]
        assert Version.objects.filter(agreement=agreement).count() == 2
        assert not Version.objects.filter(status=VersionStatus.DRAFT, number=4).exists()


# A draft based on a version that is no longer the one in force ---------------------------


@pytest.fixture
def stale(cast):
    """v2 in force; v3 signed for tomorrow; v4 drafted from v2 today. Tomorrow v3 takes
    force: v4 is based on v2 while v3 governs."""
    import datetime

    import time_machine

    from slas.signing.jobs import versions_activate_due
    from slas.tests.signing_factories import local_midnight
    from slas.tests.test_signing_services import sign

    today = datetime.date(2026, 12, 1)
    with time_machine.travel(datetime.datetime(2026, 12, 1, 12, tzinfo=datetime.UTC), tick=False):
        agreement, v2, v3 = marketing_sales(cast, v3_effective=today + datetime.timedelta(days=1))
        # v3 shortens first contact to 16 hours, adds a term and drops a reason code
        services.version_edit(
            actor=cast.alice,
            version=v3,
            expected_revision=None,
            fields={"first_contact_hours": Decimal("16")},
            create=[("terms", {"term": "Nurture", "definition": "Marketing's follow-up."})],
            delete=list(v3.reason_codes.all()),
        )
        version_send_for_signature(version=v3, actor=cast.alice)
        sign(v3, cast.carol)
        sign(v3, cast.alice)
        v4 = services.version_amend(actor=cast.alice, agreement=agreement)
        # v4 changes the return path and the MQL definition, and writes its summary
        services.version_edit(
            actor=cast.alice,
            version=v4,
            expected_revision=None,
            fields={"return_days": 21, "change_summary": "Three weeks to return a lead."},
            update=[(v4.terms.get(term="MQL"), {"definition": "Sixty points or a demo."})],
        )
    with time_machine.travel(local_midnight(today + datetime.timedelta(days=1)), tick=False):
        versions_activate_due()
    v3.refresh_from_db()
    v4.refresh_from_db()
    assert (v3.status, v4.status, v4.based_on) == (VersionStatus.ACTIVE, VersionStatus.DRAFT, v2)
    return agreement, v2, v3, v4


class TestADraftBasedOnAnOlderVersion:
    def test_is_flagged_on_its_page_and_in_the_editor(self, client, cast, stale):
        # given
        _agreement, _v2, _v3, v4 = stale
        client.force_login(cast.carol)
        # when
        page = client.get(v4.get_absolute_url()).content.decode()
        editor = client.get(reverse("slas:version_edit", args=[v4.pk, "frame"])).content.decode()
        # then
        for html in (page, editor):
            assert "Based on v2, and v3 is now in force" in html
            assert reverse("slas:version_rebase", args=[v4.pk]) in html

    def test_cannot_be_sent_until_rebased(self, client, cast, stale):
        # given
        _agreement, _v2, _v3, v4 = stale
        from slas.signing.rounds import SigningError

        # when / then (the service, the page and the API)
        with pytest.raises(SigningError) as error:
            version_send_for_signature(version=v4, actor=cast.alice)
        assert error.value.code == "stale_base"
        assert "rebase" in error.value.message.lower()
        client.force_login(cast.alice)
        page = client.get(reverse("slas:signing_send", args=[v4.pk])).content.decode()
        assert 'data-testid="send-blocker">This draft is based on v2' in page
        answer = api_client(cast.alice).post(
            reverse("api_signing_send", args=[v4.pk]), {}, format="json"
        )
        assert answer.status_code == 409 and answer.json()["code"] == "stale_base"
        v4.refresh_from_db()
        assert v4.status == VersionStatus.DRAFT

    def test_rebasing_carries_the_drafts_changes_onto_the_version_in_force(self, cast, stale):
        # given
        _agreement, _v2, v3, v4 = stale
        revision = v4.edit_revision
        # when
        result = services.version_rebase(actor=cast.carol, version=v4, expected_revision=revision)
        # then the draft keeps its changes and gains v3's, and is based on v3
        v4.refresh_from_db()
        assert v4.based_on == v3 and v4.edit_revision == revision + 1
        assert v4.return_days == 21  # its own change
        assert v4.first_contact_hours == Decimal("16")  # v3's
        assert v4.terms.get(term="MQL").definition == "Sixty points or a demo."  # its own
        assert v4.terms.filter(term="Nurture").exists()  # v3's addition
        assert not v4.reason_codes.exists()  # v3's removal
        assert v4.change_summary == "Three weeks to return a lead."
        assert result.kept == []
        taken = {note.label for note in result.taken}
        assert {
            "First contact within (business hours)",
            "Terms: Nurture",
            "Reason codes: No budget (no_budget)",
        } <= taken
        # (and v3's holiday, on its own effective date, replaces v2's)
        assert list(v4.holidays.values_list("date", flat=True)) == list(
            v3.holidays.values_list("date", flat=True)
        )
        # and it can be sent now
        version_send_for_signature(version=v4, actor=cast.alice)

    def test_where_both_changed_the_same_thing_the_drafts_value_is_kept_and_said(self, cast, stale):
        # given the draft also changed the first-contact window
        _agreement, _v2, _v3, v4 = stale
        services.version_update(
            actor=cast.alice, version=v4, data={"first_contact_hours": Decimal("8")}
        )
        v4.refresh_from_db()
        # when
        result = services.version_rebase(
            actor=cast.alice, version=v4, expected_revision=v4.edit_revision
        )
        # then
        v4.refresh_from_db()
        assert v4.first_contact_hours == Decimal("8")
        assert [note.label for note in result.kept] == ["First contact within (business hours)"]
        assert "16" in result.kept[0].theirs and "8" in result.kept[0].mine

    def test_a_stale_revision_is_refused_and_nothing_changes(self, cast, stale):
        # given
        _agreement, v2, _v3, v4 = stale
        from slas.exceptions import EditConflict

        # when / then
        with pytest.raises(EditConflict):
            services.version_rebase(
                actor=cast.alice, version=v4, expected_revision=v4.edit_revision - 1
            )
        v4.refresh_from_db()
        assert v4.based_on == v2 and v4.first_contact_hours == Decimal("24")

    def test_the_rebase_page_previews_then_rebases(self, client, cast, stale):
        # given
        _agreement, _v2, v3, v4 = stale
        client.force_login(cast.alice)
        url = reverse("slas:version_rebase", args=[v4.pk])
        # when
        preview = client.get(url).content.decode()
        response = client.post(url, {"edit_revision": v4.edit_revision})
        # then
        assert "First contact within (business hours)" in preview
        assert "Nurture" in preview
        assert response.status_code == 302 and response.url == v4.get_absolute_url()
        v4.refresh_from_db()
        assert v4.based_on == v3

    def test_the_api_rebases_with_the_revision_and_says_what_it_did(self, cast, stale):
        # given
        _agreement, _v2, v3, v4 = stale
        client = api_client(cast.alice)
        url = reverse("version-rebase", args=[v4.pk])
        # when
        missing = client.post(url, {}, format="json")
        done = client.post(url, {}, format="json", HTTP_IF_MATCH=str(v4.edit_revision))
        again = client.post(url, {}, format="json", HTTP_IF_MATCH=str(v4.edit_revision + 1))
        # then
        assert missing.status_code == 428
        assert done.status_code == 200, done.content
        body = done.json()
        assert body["version"]["based_on"] == {"id": v3.pk, "number": 3}
        assert body["kept"] == []
        assert {"label": "Terms: Nurture", "mine": "—", "theirs": "Nurture"} in body["taken"]
        assert again.status_code == 409 and again.json()["code"] == "not_needed"
        assert api_client(cast.bob).post(url, {}, format="json").status_code == 403


# Discarding a draft ----------------------------------------------------------------------


@pytest.fixture
def draft_v3(cast):
    agreement, v2, v3 = marketing_sales(cast)
    return cast, agreement, v2, v3


class TestDiscardingADraft:
    def test_a_party_manager_discards_it_and_nothing_is_lost(self, draft_v3):
        # given
        cast, agreement, _v2, v3 = draft_v3
        terms = v3.terms.count()
        # when
        services.version_discard(actor=cast.carol, version=v3, comment="Not this quarter.")
        # then it is kept, discarded, audited, and a new version may start
        v3.refresh_from_db()
        assert v3.status == VersionStatus.DISCARDED and v3.state == "discarded"
        assert v3.terms.count() == terms
        from slas.audit.models import AuditEntry

        entry = AuditEntry.objects.get(agreement=agreement, action="discarded")
        assert entry.version_id == v3.pk and entry.data["comment"] == "Not this quarter."
        v4 = services.version_amend(actor=cast.alice, agreement=agreement)
        assert v4.number == 4 and v4.based_on.number == 2

    def test_its_work_can_be_picked_up_again_as_a_new_version(self, draft_v3):
        # given
        cast, agreement, _v2, v3 = draft_v3
        services.version_discard(actor=cast.carol, version=v3)
        # when
        v4 = services.version_amend(actor=cast.alice, agreement=agreement, base=v3)
        # then
        assert v4.change_summary == "" and v4.terms.count() == v3.terms.count()

    def test_only_a_draft_is_discarded(self, draft_v3):
        # given v3 sent for signature
        cast, _agreement, _v2, v3 = draft_v3
        version_send_for_signature(version=v3, actor=cast.alice)
        from slas.exceptions import VersionLocked

        # when / then
        with pytest.raises(VersionLocked) as error:
            services.version_discard(actor=cast.alice, version=v3)
        assert "withdraw" in str(error.value).lower()
        v3.refresh_from_db()
        assert v3.status == VersionStatus.PENDING_SIGNATURE

    @pytest.mark.parametrize("name", ["bob", "dan", "erin"])
    def test_only_a_party_manager_discards(self, draft_v3, name):
        # given
        cast, _agreement, _v2, v3 = draft_v3
        from django.core.exceptions import PermissionDenied

        # when / then
        with pytest.raises(PermissionDenied):
            services.version_discard(actor=getattr(cast, name), version=v3)

    def test_a_discarded_first_draft_does_not_seal_the_agreement(self, cast):
        # given an agreement whose only version, a draft, is discarded
        agreement = services.agreement_create(
            actor=cast.alice, title="Trial", parties=[cast.marketing, cast.sales]
        )
        services.version_discard(actor=cast.alice, version=agreement.versions.get())
        # when
        agreement.title = "Trial SLA"
        agreement.save()
        # then
        agreement.refresh_from_db()
        assert agreement.title == "Trial SLA"

    def test_the_page_asks_then_discards(self, client, draft_v3):
        # given
        cast, agreement, _v2, v3 = draft_v3
        client.force_login(cast.alice)
        url = reverse("slas:version_discard", args=[v3.pk])
        # when
        page = client.get(v3.get_absolute_url()).content.decode()
        confirm = client.get(url).content.decode()
        response = client.post(url, {"comment": "Wrong numbers."})
        # then
        assert url in page
        assert "Discard draft v3" in confirm
        assert response.status_code == 302 and response.url == agreement.get_absolute_url()
        v3.refresh_from_db()
        assert v3.status == VersionStatus.DISCARDED

    def test_the_api_discards_and_refuses_what_is_not_a_draft(self, draft_v3):
        # given
        cast, _agreement, v2, v3 = draft_v3
        client = api_client(cast.alice)
        # when
        done = client.post(reverse("version-discard", args=[v3.pk]), {}, format="json")
        locked = client.post(reverse("version-discard", args=[v2.pk]), {}, format="json")
        # then
        assert done.status_code == 200, done.content
        assert (done.json()["state"], done.json()["state_label"]) == ("discarded", "Discarded")
        assert locked.status_code == 409 and locked.json()["code"] == "version_locked"
        forbidden = api_client(cast.bob).post(reverse("version-discard", args=[v2.pk]))
        assert forbidden.status_code == 403


def test_versions_made_before_bases_were_kept_get_theirs_from_the_audit_chain(world):
    # given v4 made from v2, its base not stored (as before the field existed)
    import importlib

    from django.apps import apps

    cast, agreement, v2, _v3 = world
    v4 = services.version_amend(actor=cast.alice, agreement=agreement)
    Version.objects.filter(pk=v4.pk).update(based_on=None)
    migration = importlib.import_module("slas.migrations.0011_version_based_on")
    # when
    migration.forwards(apps, None)
    # then
    v4.refresh_from_db()
    assert v4.based_on == v2
