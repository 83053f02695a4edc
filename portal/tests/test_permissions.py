import pytest

from portal import permissions
from slas.models import Agreement
from slas.signing.services import version_send_for_signature
from slas.tests.signing_factories import marketing_sales


@pytest.fixture
def agreement(cast):
    agreement = Agreement.objects.create(title="Marketing and Sales SLA")
    agreement.parties.set([cast.marketing, cast.sales])
    return agreement


@pytest.mark.django_db
class TestAgreementVisibility:
    def test_party_members_see_their_agreement(self, cast, agreement):
        for user in (cast.alice, cast.bob, cast.carol, cast.dan):
            assert permissions.can_view_agreement(user, agreement)
            assert agreement in permissions.visible_agreements(user)

    def test_exec_reads_every_agreement(self, cast, agreement):
        assert permissions.is_exec(cast.erin)
        assert permissions.can_view_agreement(cast.erin, agreement)

    def test_mallory_cannot_see_the_marketing_sales_agreement(self, cast, agreement):
        assert not permissions.can_view_agreement(cast.mallory, agreement)
        assert agreement not in permissions.visible_agreements(cast.mallory)

    def test_only_party_managers_manage_the_agreement(self, cast, agreement):
        assert permissions.can_manage_agreement(cast.alice, agreement)
        assert permissions.can_manage_agreement(cast.carol, agreement)
        for user in (cast.bob, cast.dan, cast.erin, cast.mallory):
            assert not permissions.can_manage_agreement(user, agreement)

    def test_staff_may_manage_any_agreement(self, cast, agreement):
        assert permissions.can_manage_agreement(cast.admin, agreement)


@pytest.mark.django_db
class TestTeams:
    def test_a_rep_sees_only_their_own_teams(self, cast):
        assert set(permissions.visible_teams(cast.dan)) == {cast.sales}

    def test_an_exec_sees_every_team(self, cast):
        assert permissions.visible_teams(cast.erin).count() == 4

    def test_primary_role_prefers_exec_then_manager_then_rep(self, cast):
        assert permissions.primary_role(cast.erin) == "exec"
        assert permissions.primary_role(cast.carol) == "manager"
        assert permissions.primary_role(cast.dan) == "rep"


@pytest.mark.django_db
class TestPages:
    def test_a_team_page_of_another_team_answers_404_not_403(self, client, cast):
        client.force_login(cast.mallory)
        response = client.get(f"/people/teams/{cast.marketing.pk}/")
        assert response.status_code == 404

    def test_a_member_sees_their_team_page(self, client, cast):
        client.force_login(cast.bob)
        response = client.get(f"/people/teams/{cast.marketing.pk}/")
        assert response.status_code == 200
        assert "Alice" in response.content.decode()

    def test_an_agreement_of_other_teams_answers_404(self, client, cast, agreement):
        client.force_login(cast.mallory)
        assert client.get(f"/agreements/{agreement.pk}/").status_code == 404

    def test_erin_opens_any_agreement(self, client, cast, agreement):
        client.force_login(cast.erin)
        assert client.get(f"/agreements/{agreement.pk}/").status_code == 200


@pytest.mark.django_db
class TestPendingVersionMatrix:
    """One table: who may view, edit and sign a version sent for signature."""

    # user: (view, edit, sign)
    EXPECTED = {
        "alice": (True, False, True),  # marketing manager: signs for Marketing
        "bob": (True, False, False),  # marketing rep
        "carol": (True, False, True),  # sales manager: signs for Sales
        "dan": (True, False, False),  # sales rep
        "erin": (True, False, False),  # exec: reads everything, signs nothing
        "mallory": (False, False, False),  # customer success: not a party
    }

    def test_view_edit_and_sign_of_a_pending_version(self, cast):
        # given a Marketing ⇄ Sales version sent for signature by Alice

        _agreement, _v2, v3 = marketing_sales(cast)
        version_send_for_signature(version=v3, actor=cast.alice)
        v3.refresh_from_db()
        # when
        actual = {
            name: (
                permissions.can_view_agreement(user, v3.agreement),
                permissions.can_edit_version(user, v3),
                permissions.can_sign_version(user, v3),
            )
            for name, user in cast.everyone().items()
        }
        # then
        assert actual == self.EXPECTED

    def test_a_request_is_signed_by_the_person_it_names_or_a_manager_of_its_team(self, cast):
        # given a round with a request for Sales and one naming Erin

        _agreement, _v2, v3 = marketing_sales(cast)
        rnd = version_send_for_signature(version=v3, actor=cast.alice, signers=[cast.erin])
        for_sales = rnd.requests.get(team=cast.sales)
        for_erin = rnd.requests.get(user=cast.erin)
        v3.refresh_from_db()
        # when
        sales_signers = {
            n for n, u in cast.everyone().items() if permissions.can_sign_request(u, for_sales)
        }
        erin_signers = {
            n for n, u in cast.everyone().items() if permissions.can_sign_request(u, for_erin)
        }
        # then
        assert sales_signers == {"carol"}
        assert erin_signers == {"erin"}
        assert [u.username for u in permissions.request_signers(for_sales)] == ["carol"]
        assert permissions.can_sign_version(cast.erin, v3)

    def test_an_inactive_manager_no_longer_signs(self, cast):
        # given

        _agreement, _v2, v3 = marketing_sales(cast)
        version_send_for_signature(version=v3, actor=cast.alice)
        cast.carol.is_active = False
        cast.carol.save()
        v3.refresh_from_db()
        # when / then
        assert not permissions.can_sign_version(cast.carol, v3)
        assert (
            permissions.request_signers(v3.signing_rounds.get().requests.get(team=cast.sales)) == []
        )

    def test_nobody_signs_a_draft(self, cast):
        # given

        _agreement, _v2, v3 = marketing_sales(cast)
        # when / then
        assert not any(permissions.can_sign_version(u, v3) for u in cast.everyone().values())
        assert permissions.can_edit_version(cast.alice, v3)
        assert permissions.can_edit_version(cast.carol, v3)
