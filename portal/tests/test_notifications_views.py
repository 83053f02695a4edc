"""The notification centre and the preferences page."""

import pytest
from django.urls import reverse

from portal.models import Notification, NotificationPreference
from portal.notifications import notification_create


def note(user, key, **fields):
    return notification_create(
        recipient=user,
        kind=fields.pop("kind", "lead_at_risk"),
        title=fields.pop("title", f"Title {key}"),
        dedupe_key=key,
        email=False,
        **fields,
    )


@pytest.mark.django_db
class TestNotificationCentre:
    def test_it_lists_my_notifications_with_reason_and_unread_badge(self, client, cast):
        note(cast.dan, "a", title="At risk: Ada", reason="You own this lead.", url="/leads/1/")
        note(cast.carol, "b", title="Not for Dan")
        client.force_login(cast.dan)
        response = client.get(reverse("notifications"))
        body = response.content.decode()
        assert response.status_code == 200
        assert "At risk: Ada" in body and "You own this lead." in body
        assert "Not for Dan" not in body
        assert 'data-testid="unread-badge">1<' in body
        assert reverse("notification_preferences") in body

    def test_the_unread_filter_hides_what_was_read(self, client, cast):
        note(cast.dan, "a", title="Fresh one")
        old = note(cast.dan, "b", title="Old one")
        Notification.objects.filter(pk=old.pk).update(read_at="2026-01-01T00:00:00Z")
        client.force_login(cast.dan)
        body = client.get(reverse("notifications") + "?show=unread").content.decode()
        assert "Fresh one" in body and "Old one" not in body
        assert "Old one" in client.get(reverse("notifications")).content.decode()

    def test_opening_a_notification_marks_it_read_and_lands_on_its_object(self, client, cast):
        item = note(cast.dan, "a", url="/leads/42/")
        client.force_login(cast.dan)
        response = client.get(reverse("notification_open", args=[item.pk]))
        assert response.status_code == 302 and response["Location"] == "/leads/42/"
        item.refresh_from_db()
        assert item.read_at is not None

    def test_a_link_to_another_site_is_not_followed(self, client, cast):
        item = note(cast.dan, "a", url="https://evil.example.com/")
        client.force_login(cast.dan)
        response = client.get(reverse("notification_open", args=[item.pk]))
        assert response["Location"] == reverse("notifications")

    def test_marking_one_read_leaves_the_others(self, client, cast):
        first, second = note(cast.dan, "a"), note(cast.dan, "b")
        client.force_login(cast.dan)
        response = client.post(
            reverse("notification_read", args=[first.pk]), {"next": "/notifications/?show=unread"}
        )
        assert response["Location"] == "/notifications/?show=unread"
        first.refresh_from_db(), second.refresh_from_db()
        assert first.read_at is not None and second.read_at is None

    def test_mark_read_needs_a_post(self, client, cast):
        item = note(cast.dan, "a")
        client.force_login(cast.dan)
        assert client.get(reverse("notification_read", args=[item.pk])).status_code == 405

    def test_mark_all_read_clears_the_badge(self, client, cast):
        note(cast.dan, "a"), note(cast.dan, "b")
        client.force_login(cast.dan)
        client.post(reverse("notifications_read_all"))
        body = client.get(reverse("notifications")).content.decode()
        assert 'data-testid="unread-badge"' not in body

    def test_someone_elses_notification_is_not_found(self, client, cast):
        item = note(cast.carol, "a", url="/leads/1/")
        client.force_login(cast.dan)
        assert client.get(reverse("notification_open", args=[item.pk])).status_code == 404
        assert client.post(reverse("notification_read", args=[item.pk])).status_code == 404
        item.refresh_from_db()
        assert item.read_at is None

    def test_signed_out_visitors_are_sent_to_sign_in(self, client):
        response = client.get(reverse("notifications"))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    @pytest.mark.parametrize("count", [3, 30])
    def test_the_list_reads_a_constant_number_of_queries(
        self, client, cast, count, django_assert_num_queries, settings
    ):
        # sessions read from the database, as without REDIS_URL (with it, from Redis: one
        # query fewer, portal.session_store), so the count is the same wherever it runs
        settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
        for i in range(count):
            note(cast.dan, f"k{i}", url="/leads/1/")
        client.force_login(cast.dan)
        client.get(reverse("notifications"))
        with django_assert_num_queries(6):
            assert client.get(reverse("notifications")).status_code == 200

    def test_long_lists_are_paged(self, client, cast):
        for i in range(55):
            note(cast.dan, f"k{i}", title=f"Item {i:02d}")
        client.force_login(cast.dan)
        first = client.get(reverse("notifications")).content.decode()
        second = client.get(reverse("notifications") + "?page=2").content.decode()
        assert "Item 54" in first and "Item 00" not in first
        assert "Item 00" in second and "Page 2 of 2" in second


@pytest.mark.django_db
class TestPreferencesPage:
    def test_the_profile_and_the_centre_link_to_it(self, client, cast):
        client.force_login(cast.dan)
        url = reverse("notification_preferences")
        assert url in client.get(reverse("profile")).content.decode()
        assert url in client.get(reverse("notifications")).content.decode()

    def test_it_shows_every_kind_with_its_current_choice(self, client, cast):
        client.force_login(cast.dan)
        body = client.get(reverse("notification_preferences")).content.decode()
        assert "Your lead&#x27;s first-contact clock is at risk" in body
        assert 'name="monthly_report_ready" value="digest"' in body
        assert "checked" in body.split('name="monthly_report_ready" value="digest"')[1][:60]

    def test_saving_stores_the_choices(self, client, cast):
        from portal.notifications import KINDS, preferences_for

        client.force_login(cast.dan)
        data = dict.fromkeys(KINDS, "immediate")
        data["lead_at_risk"] = "off"
        data["monthly_report_ready"] = "digest"
        response = client.post(reverse("notification_preferences"), data)
        assert response.status_code == 302
        assert preferences_for(cast.dan)["lead_at_risk"] == "off"
        assert not NotificationPreference.objects.filter(user=cast.carol).exists()

    def test_an_invalid_choice_is_refused_and_the_rest_is_kept_on_screen(self, client, cast):
        from portal.notifications import KINDS

        client.force_login(cast.dan)
        data = dict.fromkeys(KINDS, "off")
        data["lead_at_risk"] = "shout"
        response = client.post(reverse("notification_preferences"), data)
        assert response.status_code == 400
        body = response.content.decode()
        assert "could not be saved" in body
        assert "checked" in body.split('name="lead_breached" value="off"')[1][:60]
        assert not NotificationPreference.objects.exists()
