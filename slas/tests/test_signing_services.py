"""Send, sign, decline, withdraw, activate: the rules of signing."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from portal.demo import DEMO_PASSWORD
from portal.models import Notification
from slas.audit.chain import audit_verify
from slas.audit.models import AuditEntry
from slas.models import Version, VersionStatus
from slas.signing.activation import version_end_instant
from slas.signing.jobs import versions_activate_due, versions_expire_due
from slas.signing.models import RoundStatus, Signature, SigningOrder
from slas.signing.rounds import SigningError
from slas.signing.seal import version_content_hash
from slas.signing.services import (
    signature_add,
    signing_decline,
    signing_withdraw,
    version_send_for_signature,
)
from slas.tests.signing_factories import local_midnight, marketing_sales

pytestmark = pytest.mark.django_db


def sign(version, user, **overrides):
    version.refresh_from_db()
    params = {
        "version": version,
        "user": user,
        "password": DEMO_PASSWORD,
        "full_name": user.get_full_name(),
        "consent": True,
        "content_hash_seen": version.content_hash,
        "ip_address": "203.0.113.7",
        "user_agent": "pytest-browser/1.0",
    }
    params.update(overrides)
    return signature_add(**params)


@pytest.fixture
def world(cast):
    agreement, v2, v3 = marketing_sales(cast)
    return cast, agreement, v2, v3


class TestSend:
    def test_a_party_manager_freezes_the_draft_and_asks_every_party_team(self, world):
        # given
        cast, agreement, _v2, v3 = world
        # when
        rnd = version_send_for_signature(version=v3, actor=cast.alice)
        # then
        v3.refresh_from_db()
        assert v3.status == VersionStatus.PENDING_SIGNATURE
        assert v3.content_hash == version_content_hash(v3) == rnd.content_hash
        assert [r.team for r in rnd.requests.order_by("position")] == [cast.marketing, cast.sales]
        assert all(r.opened_at is not None for r in rnd.requests.all())
        assert cast.carol.notifications.filter(kind="signing.requested").count() == 1
        assert AuditEntry.objects.filter(agreement=agreement, action="sent").count() == 1

    def test_a_change_summary_is_required(self, world):
        cast, _agreement, _v2, v3 = world
        Version.objects.filter(pk=v3.pk).update(change_summary="  ")
        with pytest.raises(SigningError) as error:
            version_send_for_signature(version=v3, actor=cast.alice)
        assert error.value.code == "no_summary"
        v3.refresh_from_db()
        assert v3.status == VersionStatus.DRAFT

    @pytest.mark.parametrize("name", ["bob", "dan", "mallory", "erin"])
    def test_only_a_party_manager_may_send(self, world, name):
        cast, _agreement, _v2, v3 = world
        with pytest.raises(PermissionDenied):
            version_send_for_signature(version=v3, actor=getattr(cast, name))

    def test_a_version_already_sent_cannot_be_sent_again(self, world):
        cast, _agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        with pytest.raises(SigningError) as error:
            version_send_for_signature(version=v3, actor=cast.carol)
        assert error.value.code == "not_draft"

    def test_a_named_signer_must_be_able_to_see_the_agreement(self, world):
        cast, _agreement, _v2, v3 = world
        with pytest.raises(SigningError) as error:
            version_send_for_signature(version=v3, actor=cast.alice, signers=[cast.mallory])
        assert error.value.code == "bad_signer"


class TestWhoMaySign:
    @pytest.mark.parametrize("name", ["bob", "dan", "mallory", "erin"])
    def test_nobody_but_a_required_signatory_can_sign(self, world, name):
        # given
        cast, _agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        # when / then
        with pytest.raises(PermissionDenied):
            sign(v3, getattr(cast, name))
        assert Signature.objects.count() == 0

    def test_erin_signs_only_when_named(self, world):
        # given
        cast, _agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice, signers=[cast.erin])
        # when
        signatures = sign(v3, cast.erin)
        # then
        assert [s.user for s in signatures] == [cast.erin]
        assert signatures[0].team is None and signatures[0].role == "exec"

    def test_any_manager_of_a_party_team_signs_for_it(self, world):
        cast, _agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        (signature,) = sign(v3, cast.carol)
        assert signature.team == cast.sales and signature.role == "manager"


class TestSignatureInput:
    def test_a_wrong_password_a_wrong_name_and_no_consent_are_each_explained(self, world):
        cast, _agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        with pytest.raises(SigningError) as error:
            sign(v3, cast.carol, password="nope", full_name="Carol C", consent=False)
        assert set(error.value.field_errors) == {"password", "full_name", "consent"}
        assert Signature.objects.count() == 0

    def test_the_typed_name_matches_case_insensitively(self, world):
        cast, _agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        (signature,) = sign(v3, cast.carol, full_name="  carol   CRUZ ")
        assert signature.full_name == "carol CRUZ"

    def test_the_signature_records_who_where_when_and_the_hash_seen(self, world):
        cast, _agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        (signature,) = sign(v3, cast.carol)
        v3.refresh_from_db()
        assert signature.ip_address == "203.0.113.7"
        assert signature.user_agent == "pytest-browser/1.0"
        assert signature.content_hash == v3.content_hash
        assert signature.signed_at is not None and signature.consent_text

    def test_a_signature_on_a_stale_hash_is_refused(self, world):
        cast, _agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        with pytest.raises(SigningError) as error:
            sign(v3, cast.carol, content_hash_seen="0" * 64)
        assert error.value.code == "stale"

    def test_signing_twice_is_stored_once(self, world):
        cast, _agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        sign(v3, cast.carol)
        with pytest.raises(SigningError) as error:
            sign(v3, cast.carol)
        assert error.value.code == "already_signed"
        assert Signature.objects.filter(user=cast.carol).count() == 1


class TestActivation:
    def test_the_last_signature_activates_and_supersedes_at_the_same_instant(self, world):
        # given
        cast, agreement, v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        sign(v3, cast.carol)
        v3.refresh_from_db()
        assert v3.status == VersionStatus.PENDING_SIGNATURE
        # when
        sign(v3, cast.alice)
        # then
        v2.refresh_from_db()
        v3.refresh_from_db()
        assert v3.status == VersionStatus.ACTIVE
        assert v2.status == VersionStatus.SUPERSEDED
        assert v2.in_force_until == v3.in_force_from is not None
        actions = list(
            AuditEntry.objects.filter(agreement=agreement).values_list("action", flat=True)
        )
        assert actions == ["sent", "signed", "signed", "superseded", "activated"]
        assert audit_verify(agreement=agreement).intact
        assert cast.carol.notifications.filter(kind="signing.activated").count() == 1

    def test_a_future_effective_date_leaves_it_scheduled_until_then(self, cast):
        # given
        start = timezone.localdate() + datetime.timedelta(days=10)
        _agreement, v2, v3 = marketing_sales(cast, v3_effective=start)
        version_send_for_signature(version=v3, actor=cast.alice)
        sign(v3, cast.carol)
        sign(v3, cast.alice)
        v3.refresh_from_db()
        assert v3.status == VersionStatus.SCHEDULED
        assert v3.signing_rounds.get().status == RoundStatus.COMPLETED
        assert versions_activate_due() == 0
        # when the effective date comes
        with time_machine.travel(local_midnight(start) + datetime.timedelta(minutes=5)):
            assert versions_activate_due() == 1
            assert versions_activate_due() == 0
        # then it took effect at local midnight of its effective date
        v2.refresh_from_db()
        v3.refresh_from_db()
        assert v3.status == VersionStatus.ACTIVE
        assert v3.in_force_from == local_midnight(start)
        assert v2.status == VersionStatus.SUPERSEDED
        assert v2.in_force_until == v3.in_force_from

    def test_a_version_expires_at_the_end_of_its_end_date_in_its_time_zone(self, world):
        # given
        _cast, _agreement, v2, _v3 = world
        end = version_end_instant(v2)
        assert end == local_midnight(v2.end_date + datetime.timedelta(days=1))
        # when / then
        assert versions_expire_due(now=end - datetime.timedelta(seconds=1)) == 0
        assert versions_expire_due(now=end) == 1
        v2.refresh_from_db()
        assert v2.status == VersionStatus.EXPIRED and v2.in_force_until == end


class TestSequentialOrder:
    def test_the_next_request_opens_only_when_the_previous_is_signed(self, world):
        # given: alice sends, so marketing signs first
        cast, _agreement, _v2, v3 = world
        rnd = version_send_for_signature(
            version=v3, actor=cast.alice, order=SigningOrder.SEQUENTIAL
        )
        sales_request = rnd.requests.get(team=cast.sales)
        assert sales_request.opened_at is None
        assert not cast.carol.notifications.filter(kind="signing.requested").exists()
        # when carol tries first
        with pytest.raises(SigningError) as error:
            sign(v3, cast.carol)
        # then
        assert error.value.code == "not_your_turn"
        sign(v3, cast.alice)
        sales_request.refresh_from_db()
        assert sales_request.opened_at is not None
        assert cast.carol.notifications.filter(kind="signing.requested").count() == 1
        sign(v3, cast.carol)
        v3.refresh_from_db()
        assert v3.status == VersionStatus.ACTIVE


class TestDeclineAndWithdraw:
    def test_a_decline_needs_a_comment(self, world):
        cast, _agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        with pytest.raises(SigningError) as error:
            signing_decline(version=v3, user=cast.carol, comment=" ")
        assert "comment" in error.value.field_errors

    def test_a_decline_voids_the_round_and_tells_everyone(self, world):
        # given
        cast, agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice, signers=[cast.erin])
        sign(v3, cast.alice)
        # when
        rnd = signing_decline(version=v3, user=cast.carol, comment="16 hours is too short.")
        # then
        v3.refresh_from_db()
        assert v3.status == VersionStatus.DRAFT and v3.content_hash == ""
        assert rnd.status == RoundStatus.DECLINED
        signature = Signature.objects.get(user=cast.alice)
        assert signature.voided_at is not None  # kept in history, voided
        for user in (cast.alice, cast.erin):
            notification = user.notifications.get(kind="signing.declined")
            assert notification.body == "16 hours is too short."
        assert not cast.carol.notifications.filter(kind="signing.declined").exists()
        assert AuditEntry.objects.filter(agreement=agreement, action="declined").exists()

    def test_after_a_decline_the_draft_can_be_sent_again_as_a_new_round(self, world):
        cast, _agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        signing_decline(version=v3, user=cast.carol, comment="No.")
        rnd = version_send_for_signature(version=v3, actor=cast.alice)
        assert rnd.number == 2
        sign(v3, cast.alice)
        sign(v3, cast.carol)
        v3.refresh_from_db()
        assert v3.status == VersionStatus.ACTIVE

    def test_a_non_signatory_cannot_decline(self, world):
        cast, _agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        with pytest.raises(PermissionDenied):
            signing_decline(version=v3, user=cast.bob, comment="I do not like it.")

    def test_the_sender_withdraws_and_the_round_is_voided(self, world):
        cast, _agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        sign(v3, cast.carol)
        rnd = signing_withdraw(version=v3, user=cast.alice, comment="One more change.")
        v3.refresh_from_db()
        assert v3.status == VersionStatus.DRAFT
        assert rnd.status == RoundStatus.WITHDRAWN
        assert Signature.objects.get(user=cast.carol).voided_at is not None
        assert cast.carol.notifications.filter(kind="signing.withdrawn").count() == 1

    def test_only_the_sender_withdraws(self, world):
        cast, _agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        with pytest.raises(PermissionDenied):
            signing_withdraw(version=v3, user=cast.carol)

    def test_nothing_is_notified_twice_when_the_same_event_repeats(self, world):
        cast, _agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        signing_withdraw(version=v3, user=cast.alice)
        keys = list(Notification.objects.values_list("recipient_id", "dedupe_key"))
        assert len(keys) == len(set(keys))
