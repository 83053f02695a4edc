import pytest

from portal import permissions
from slas.models import Agreement


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
