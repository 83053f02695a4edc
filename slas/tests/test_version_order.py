"""The order of versions: a version never takes force after a newer one did.

The rule (docs/compliance.md#versions-in-force): when a version takes force, every older
version of the agreement that has not (a draft, awaiting signatures or scheduled) is
voided, with an audit entry and a notification to its signatories.
"""

import datetime

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from portal.demo import DEMO_PASSWORD
from portal.tokens import api_token_create
from slas import services
from slas.audit.chain import audit_verify
from slas.audit.models import AuditEntry
from slas.models import Version, VersionStatus
from slas.signing.jobs import versions_activate_due
from slas.signing.models import RequestStatus, RoundStatus, Signature
from slas.signing.rounds import SigningError
from slas.signing.services import signing_withdraw, version_send_for_signature
from slas.tests.signing_factories import local_midnight, marketing_sales
from slas.tests.test_signing_services import sign

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 1)
NOON = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)


def day(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def next_version(agreement, cast, *, effective: datetime.date) -> Version:
    """A new draft of the agreement taking effect on `effective`, ready to send."""
    version = services.version_amend(actor=cast.alice, agreement=agreement)
    return services.version_update(
        actor=cast.alice,
        version=version,
        data={
            "effective_date": effective,
            "end_date": effective + datetime.timedelta(days=365),
            "review_date": effective + datetime.timedelta(days=180),
            "change_summary": f"Version {version.number}.",
        },
    )


def signed_by_both(version, cast) -> Version:
    version_send_for_signature(version=version, actor=cast.alice)
    sign(version, cast.carol)
    sign(version, cast.alice)
    version.refresh_from_db()
    return version


@pytest.fixture
def world(cast):
    """v2 in force; v3 a draft taking effect in 20 days. Today is 1 December 2026."""
    with time_machine.travel(NOON, tick=False):
        agreement, v2, v3 = marketing_sales(cast, v3_effective=day(20))
        yield cast, agreement, v2, v3


def statuses(agreement) -> dict[int, str]:
    return dict(agreement.versions.values_list("number", "status"))


class TestANewerVersionTakingForceVoidsTheOlderOnes:
    def test_an_older_scheduled_version_is_voided_and_never_takes_force(self, world):
        # given v3 signed, scheduled for 21 December; v4 drafted from v2, in force today
        cast, agreement, v2, v3 = world
        signed_by_both(v3, cast)
        assert v3.status == VersionStatus.SCHEDULED
        v4 = next_version(agreement, cast, effective=TODAY)
        # when v4 is signed: it takes force at once
        signed_by_both(v4, cast)
        # then v3 is voided, with its signatures, an audit entry and a word to its signers
        assert statuses(agreement) == {2: "superseded", 3: "voided", 4: "active"}
        v3.refresh_from_db()
        assert v3.in_force_from is None and v3.in_force_until is None
        assert not Signature.objects.filter(version=v3, voided_at__isnull=True).exists()
        assert set(v3.signing_rounds.get().requests.values_list("status", flat=True)) == {
            RequestStatus.VOIDED
        }
        voided = AuditEntry.objects.get(agreement=agreement, action="voided")
        assert voided.version_id == v3.pk and voided.data["voided_by"] == 4
        for user in (cast.alice, cast.carol):
            notification = user.notifications.get(kind="signing.voided")
            assert "v4" in notification.title_text and notification.url.endswith(
                f"/versions/{v3.pk}/"
            )
        assert audit_verify(agreement=agreement).intact
        # and when v3's date comes, nothing takes force
        with time_machine.travel(local_midnight(day(20)) + datetime.timedelta(hours=1)):
            assert versions_activate_due() == 0
        assert statuses(agreement) == {2: "superseded", 3: "voided", 4: "active"}

    def test_an_older_version_awaiting_signatures_is_voided_with_its_round(self, world):
        # given v3 was sent, v4 drafted, v3 withdrawn to change it; v4 is signed for
        # tomorrow, and v3 sent again, Carol has signed it
        cast, agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        v4 = next_version(agreement, cast, effective=day(1))
        signing_withdraw(version=v3, user=cast.alice, comment="One more change.")
        signed_by_both(v4, cast)
        version_send_for_signature(version=v3, actor=cast.alice)
        sign(v3, cast.carol)
        # when v4's date comes
        with time_machine.travel(local_midnight(day(1)) + datetime.timedelta(minutes=5)):
            assert versions_activate_due() == 1
        # then v3's open round is closed as voided, Carol's signature with it
        assert statuses(agreement) == {2: "superseded", 3: "voided", 4: "active"}
        rnd = v3.signing_rounds.order_by("-number").first()
        assert rnd.status == RoundStatus.VOIDED and rnd.closed_at is not None
        assert Signature.objects.get(request__round=rnd, user=cast.carol).voided_at is not None
        assert cast.carol.notifications.filter(kind="signing.voided").count() == 1

    def test_the_api_tells_the_same(self, world):
        # given v3 scheduled, v4 signed over the API and in force today
        cast, agreement, _v2, v3 = world
        signed_by_both(v3, cast)
        v4 = next_version(agreement, cast, effective=TODAY)
        version_send_for_signature(version=v4, actor=cast.alice)
        sign(v4, cast.carol)
        v4.refresh_from_db()
        _token, raw = api_token_create(user=cast.alice, name="order", scope="write")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        # when
        answer = client.post(
            reverse("api_signing_sign", args=[v4.pk]),
            {
                "password": DEMO_PASSWORD,
                "full_name": "Alice Anders",
                "consent": True,
                "content_hash": v4.content_hash,
            },
        )
        older = client.get(reverse("version-detail", args=[v3.pk])).json()
        # then
        assert answer.status_code == 201, answer.content
        assert answer.json()["version_state"] == "in_force"
        assert (older["state"], older["status"]) == ("voided", "voided")


class TestTwoScheduledVersionsWhoseDatesArriveInTheSameSweep:
    def scheduled_pair(self, world, *, v3_on, v4_on):
        cast, agreement, v2, v3 = world
        services.version_update(
            actor=cast.alice,
            version=v3,
            data={
                "effective_date": v3_on,
                "end_date": v3_on + datetime.timedelta(days=365),
                "review_date": v3_on + datetime.timedelta(days=10),
            },
        )
        signed_by_both(v3, cast)
        v4 = signed_by_both(next_version(agreement, cast, effective=v4_on), cast)
        assert statuses(agreement) == {2: "active", 3: "scheduled", 4: "scheduled"}
        return agreement, v2, v3, v4

    def test_the_older_first_then_the_newer_each_from_its_own_date(self, world):
        # given v3 on the 5th, v4 on the 9th; the scheduler was down until the 10th
        agreement, v2, v3, v4 = self.scheduled_pair(world, v3_on=day(4), v4_on=day(8))
        # when
        with time_machine.travel(local_midnight(day(9))):
            assert versions_activate_due() == 2
        # then each governed from its own date, as if the scheduler had run on time
        for version in (v2, v3, v4):
            version.refresh_from_db()
        assert statuses(agreement) == {2: "superseded", 3: "superseded", 4: "active"}
        assert v2.in_force_until == v3.in_force_from == local_midnight(day(4))
        assert v3.in_force_until == v4.in_force_from == local_midnight(day(8))

    def test_the_newer_first_voids_the_older(self, world):
        # given v3 on the 9th, v4 (newer) on the 5th
        agreement, v2, v3, v4 = self.scheduled_pair(world, v3_on=day(8), v4_on=day(4))
        # when both dates have passed
        with time_machine.travel(local_midnight(day(9))):
            assert versions_activate_due() == 1
        # then v4 governs from the 5th and v3 never does
        v4.refresh_from_db()
        assert statuses(agreement) == {2: "superseded", 3: "voided", 4: "active"}
        assert v4.in_force_from == local_midnight(day(4))
        assert AuditEntry.objects.filter(agreement=agreement, action="activated").count() == 1

    def test_on_the_same_date_the_newer_wins(self, world):
        # given
        agreement, _v2, _v3, v4 = self.scheduled_pair(world, v3_on=day(4), v4_on=day(4))
        # when
        with time_machine.travel(local_midnight(day(4)) + datetime.timedelta(minutes=5)):
            assert versions_activate_due() == 1
        # then
        assert statuses(agreement) == {2: "superseded", 3: "voided", 4: "active"}


class TestAnOlderVersionLeftScheduledBeforeTheRule:
    def test_its_date_coming_voids_it_instead_of_superseding_the_newer(self, world):
        # given rows written before the rule: v3 still scheduled for the 21st, its
        # signatures standing, while v4, newer, already took force
        cast, agreement, _v2, v3 = world
        signed_by_both(v3, cast)
        v4 = signed_by_both(next_version(agreement, cast, effective=TODAY), cast)
        Version.objects.filter(pk=v3.pk).update(status=VersionStatus.SCHEDULED)
        Signature.objects.filter(version=v3).update(voided_at=None)
        before = AuditEntry.objects.filter(agreement=agreement, action="voided").count()
        # when the 21st comes
        with time_machine.travel(local_midnight(day(20)) + datetime.timedelta(hours=1)):
            assert versions_activate_due() == 0
        # then v4 stays in force, and v3 is voided (audited, its signatures void)
        v4.refresh_from_db()
        assert statuses(agreement) == {2: "superseded", 3: "voided", 4: "active"}
        assert v4.in_force_until is None
        after = AuditEntry.objects.filter(agreement=agreement, action="voided")
        assert after.count() == before + 1
        assert after.order_by("-seq").first().data["voided_by"] == 4
        assert not Signature.objects.filter(version=v3, voided_at__isnull=True).exists()


class TestOneVersionAwaitingSignaturesAtATime:
    def test_a_second_version_cannot_be_sent_while_one_awaits_signatures(self, world):
        # given v3 awaits signatures and v4 is drafted
        cast, agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        v4 = next_version(agreement, cast, effective=day(30))
        # when
        with pytest.raises(SigningError) as error:
            version_send_for_signature(version=v4, actor=cast.alice)
        # then Carol is never asked to sign two versions at once
        assert error.value.code == "another_awaiting"
        assert "v3" in error.value.message
        assert statuses(agreement) == {2: "active", 3: "pending_signature", 4: "draft"}
        assert not cast.carol.notifications.filter(
            kind="signing.requested", url__contains=f"/versions/{v4.pk}/"
        ).exists()

    def test_once_the_first_is_signed_and_scheduled_the_next_may_be_sent(self, world):
        # given v3 signed, waiting for its date
        cast, agreement, _v2, v3 = world
        signed_by_both(v3, cast)
        v4 = next_version(agreement, cast, effective=day(30))
        # when
        version_send_for_signature(version=v4, actor=cast.alice)
        # then
        assert statuses(agreement) == {2: "active", 3: "scheduled", 4: "pending_signature"}

    def test_the_send_page_says_so_before_the_form(self, world, client):
        # given
        cast, agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        v4 = next_version(agreement, cast, effective=day(30))
        client.force_login(cast.carol)
        # when
        page = client.get(reverse("slas:signing_send", args=[v4.pk])).content.decode()
        posted = client.post(reverse("slas:signing_send", args=[v4.pk]), {"order": "parallel"})
        # then
        assert 'data-testid="send-blocker">v3 is still awaiting signatures' in page
        assert posted.status_code == 200 and "v3 is still awaiting" in posted.content.decode()
        assert statuses(agreement)[4] == "draft"

    def test_the_api_refuses_with_a_409(self, world):
        # given
        cast, agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        v4 = next_version(agreement, cast, effective=day(30))
        _token, raw = api_token_create(user=cast.alice, name="order", scope="write")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        # when
        answer = client.post(reverse("api_signing_send", args=[v4.pk]), {}, format="json")
        # then
        assert answer.status_code == 409
        assert answer.json()["code"] == "another_awaiting"


class TestAnOlderDraft:
    def test_is_voided_when_a_newer_version_takes_force(self, world):
        # given v3 was sent, v4 drafted, then v3 withdrawn to change it: two drafts
        cast, agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        v4 = next_version(agreement, cast, effective=TODAY)
        signing_withdraw(version=v3, user=cast.alice, comment="One more change.")
        # when v4 is signed and takes force today
        signed_by_both(v4, cast)
        # then v3 can never take force after v4: voided, and its authors are told how to
        # carry its changes over
        assert statuses(agreement) == {2: "superseded", 3: "voided", 4: "active"}
        notification = cast.alice.notifications.get(kind="signing.voided")
        assert "start a new version from it" in notification.body_text


class TestWithdrawingAScheduledVersion:
    @pytest.mark.parametrize("name", ["carol", "alice"])
    def test_a_manager_of_a_signing_team_withdraws_it_before_it_takes_force(self, world, name):
        # given v3 signed by both teams, taking force on the 21st
        cast, agreement, v2, v3 = world
        signed_by_both(v3, cast)
        manager = getattr(cast, name)
        # when
        signing_withdraw(version=v3, user=manager, comment="The pricing changed.")
        # then it never takes force: withdrawn, its signatures void, audited, all told
        v3.refresh_from_db()
        assert v3.status == VersionStatus.WITHDRAWN and v3.in_force_from is None
        assert v3.signing_rounds.get().status == RoundStatus.COMPLETED
        assert not Signature.objects.filter(version=v3, voided_at__isnull=True).exists()
        entry = AuditEntry.objects.filter(agreement=agreement, action="withdrawn").get()
        assert entry.actor == manager and entry.data["comment"] == "The pricing changed."
        assert entry.data["was"] == "scheduled"
        other = cast.alice if name == "carol" else cast.carol
        told = other.notifications.get(kind="signing.withdrawn")
        assert told.body_text == "The pricing changed."
        assert "before it took force" in told.title_text
        with time_machine.travel(local_midnight(day(20)) + datetime.timedelta(hours=1)):
            assert versions_activate_due() == 0
        assert statuses(agreement) == {2: "active", 3: "withdrawn"}
        assert audit_verify(agreement=agreement).intact

    def test_a_reason_is_required(self, world):
        # given
        cast, _agreement, _v2, v3 = world
        signed_by_both(v3, cast)
        # when / then
        with pytest.raises(SigningError) as error:
            signing_withdraw(version=v3, user=cast.carol, comment=" ")
        assert error.value.code == "invalid" and "comment" in error.value.field_errors
        v3.refresh_from_db()
        assert v3.status == VersionStatus.SCHEDULED

    @pytest.mark.parametrize("name", ["bob", "dan", "erin"])
    def test_nobody_else_withdraws_it(self, world, name):
        # given
        cast, _agreement, _v2, v3 = world
        signed_by_both(v3, cast)
        from django.core.exceptions import PermissionDenied

        # when / then
        with pytest.raises(PermissionDenied):
            signing_withdraw(version=v3, user=getattr(cast, name), comment="No.")

    def test_once_in_force_it_cannot_be_withdrawn(self, world):
        # given
        cast, _agreement, v2, _v3 = world
        # when / then
        with pytest.raises(SigningError) as error:
            signing_withdraw(version=v2, user=cast.carol, comment="No.")
        assert error.value.code == "not_withdrawable"
        assert "in force" in error.value.message

    def test_the_page_and_the_certificate_say_withdrawn(self, world, client):
        # given
        cast, _agreement, _v2, v3 = world
        signed_by_both(v3, cast)
        client.force_login(cast.carol)
        url = reverse("slas:signing_withdraw", args=[v3.pk])
        # when
        version_page = client.get(v3.get_absolute_url()).content.decode()
        form = client.get(url).content.decode()
        empty = client.post(url, {"comment": ""})
        done = client.post(url, {"comment": "The pricing changed."})
        certificate = client.get(reverse("slas:signing_certificate", args=[v3.pk]))
        # then
        assert url in version_page
        assert "never takes force" in form
        assert empty.status_code == 200
        assert "A comment is required to withdraw a signed version." in empty.content.decode()
        assert done.status_code == 302
        html = certificate.content.decode()
        assert 'data-state="withdrawn"' in html
        assert html.count('data-testid="signature-voided"') == 2

    def test_the_api_withdraws_it_and_gives_the_state(self, world):
        # given
        cast, _agreement, _v2, v3 = world
        signed_by_both(v3, cast)
        _token, raw = api_token_create(user=cast.carol, name="order", scope="write")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        url = reverse("api_signing_withdraw", args=[v3.pk])
        # when
        empty = client.post(url, {"comment": ""}, format="json")
        done = client.post(url, {"comment": "The pricing changed."}, format="json")
        again = client.post(url, {"comment": "Again."}, format="json")
        # then
        assert empty.status_code == 400
        assert done.status_code == 200, done.content
        assert (done.json()["version_state"], done.json()["version_status"]) == (
            "withdrawn",
            "withdrawn",
        )
        assert again.status_code == 409 and again.json()["code"] == "not_withdrawable"


def test_the_audit_log_words_the_new_entries(world, client):
    # given v3 voided by v4
    cast, agreement, _v2, v3 = world
    signed_by_both(v3, cast)
    signed_by_both(next_version(agreement, cast, effective=TODAY), cast)
    client.force_login(cast.erin)
    # when
    page = client.get(reverse("slas:signing_audit", args=[agreement.pk])).content.decode()
    # then
    assert "Voided by version, which took force first:</span> 4" in page
    assert "State before:</span> Scheduled" in page
    assert "voided_by:" not in page and "was:" not in page
