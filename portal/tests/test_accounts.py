import re

import pytest
from django.test import override_settings

from portal.demo import DEMO_PASSWORD


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
class TestLogin:
    def test_it_signs_in_with_the_right_password(self, client, cast):
        response = client.post("/accounts/login/", {"username": "alice", "password": DEMO_PASSWORD})
        assert response.status_code == 302
        assert response["Location"] == "/"

    def test_a_wrong_password_gets_a_clear_message(self, client, cast):
        response = client.post("/accounts/login/", {"username": "alice", "password": "nope"})
        assert response.status_code == 200
        assert "do not match" in response.content.decode()

    @override_settings(AXES_FAILURE_LIMIT=3)
    def test_repeated_failures_pause_sign_in_even_with_the_right_password(self, client, cast):
        for _ in range(3):
            client.post("/accounts/login/", {"username": "alice", "password": "nope"})
        response = client.post("/accounts/login/", {"username": "alice", "password": DEMO_PASSWORD})
        assert response.status_code == 429
        assert "Too many failed sign-in attempts" in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_anonymous_visitors_are_sent_to_sign_in(self, client):
        response = client.get("/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")

    def test_password_change_requires_the_old_password(self, client, cast):
        client.force_login(cast.bob)
        response = client.post(
            "/accounts/password/",
            {
                "old_password": "wrong",
                "new_password1": "a-new-secret-42",
                "new_password2": "a-new-secret-42",
            },
        )
        assert response.status_code == 200
        cast.bob.refresh_from_db()
        assert cast.bob.check_password(DEMO_PASSWORD)

    def test_password_change_with_the_old_password_works(self, client, cast):
        client.force_login(cast.bob)
        response = client.post(
            "/accounts/password/",
            {
                "old_password": DEMO_PASSWORD,
                "new_password1": "a-new-secret-42",
                "new_password2": "a-new-secret-42",
            },
        )
        assert response.status_code == 302
        cast.bob.refresh_from_db()
        assert cast.bob.check_password("a-new-secret-42")


@pytest.mark.django_db
class TestPages:
    def test_an_unknown_url_gets_the_designed_404_page(self, client, cast, settings):
        settings.DEBUG = False
        client.force_login(cast.dan)
        response = client.get("/no/such/page/")
        assert response.status_code == 404
        assert "We could not find that page" in response.content.decode()

    @pytest.mark.parametrize("who", ["alice", "bob", "carol", "dan", "erin", "mallory"])
    def test_every_cast_member_gets_a_home_page_naming_their_team(self, client, cast, who):
        user = getattr(cast, who)
        client.force_login(user)
        response = client.get("/")
        assert response.status_code == 200
        # then every team of theirs is named in its membership pill with their role
        pills = re.findall(r'data-testid="membership">([^<]*)</span>', response.content.decode())
        expected = {f"{m.team.name} · {m.get_role_display()}" for m in user.memberships.all()}
        assert expected and set(pills) == expected

    def test_every_page_carries_a_content_security_policy_without_inline_scripts(
        self, client, cast
    ):
        client.force_login(cast.alice)
        policy = client.get("/")["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy

    def test_profile_lists_the_users_teams_and_roles(self, client, cast):
        client.force_login(cast.carol)
        content = client.get("/people/me/").content.decode()
        teams = re.findall(r'data-testid="profile-team">([^<]*)</a>', content)
        assert sorted(teams) == ["Customer Success", "Sales"]

    def test_notifications_can_all_be_marked_read(self, client, cast):
        from portal.notifications import notification_create

        notification_create(
            recipient=cast.dan, kind="lead_at_risk", title="Hello", dedupe_key="k1", email=False
        )
        client.force_login(cast.dan)
        assert 'data-testid="unread-badge"' in client.get("/").content.decode()
        client.post("/notifications/read-all/")
        assert cast.dan.notifications.filter(read_at__isnull=True).count() == 0
