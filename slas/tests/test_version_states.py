"""One set of version states, computed in one place, read the same on every page, the
certificate (page and PDF), the home page and the API."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from portal.tokens import api_token_create
from slas.signing.services import signing_withdraw, version_send_for_signature
from slas.tests.signing_factories import marketing_sales
from slas.tests.test_signing_services import sign

pytestmark = pytest.mark.django_db


def page_text(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def badges(html: str) -> list[tuple[str, str]]:
    """(state, label) of every version-state badge on a page."""
    return re.findall(
        r'data-state="([a-z_]+)"[^>]*>\s*<span class="pill[^"]*"[^>]*>([^<]+)</span>', html
    )


def api_client(user):
    _token, raw = api_token_create(user=user, name="states", scope="read")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def scheduled(cast):
    """v3 signed by both parties, taking force in ten days."""
    start = timezone.localdate() + datetime.timedelta(days=10)
    agreement, v2, v3 = marketing_sales(cast, v3_effective=start)
    version_send_for_signature(version=v3, actor=cast.alice)
    sign(v3, cast.carol)
    sign(v3, cast.alice)
    v3.refresh_from_db()
    return agreement, v2, v3


class TestAFullySignedVersionNotYetInForce:
    def test_its_badge_and_document_header_say_scheduled_not_pending_signature(
        self, client, cast, scheduled
    ):
        # given
        _agreement, _v2, v3 = scheduled
        client.force_login(cast.bob)
        # when
        html = page_text(client, v3.get_absolute_url())
        # then
        assert ("scheduled", "Scheduled") in badges(html)
        header = re.search(r'<header class="doc-title">(.*?)</header>', html, re.S).group(1)
        assert "Scheduled" in header
        assert "Pending signature" not in html

    def test_the_agreement_list_page_history_and_home_say_scheduled(self, client, cast, scheduled):
        # given
        agreement, _v2, v3 = scheduled
        client.force_login(cast.carol)
        # when
        pages = {
            "list": page_text(client, reverse("slas:agreement_list")),
            "agreement": page_text(client, agreement.get_absolute_url()),
            "history": page_text(client, reverse("slas:agreement_history", args=[agreement.pk])),
        }
        home = page_text(client, reverse("home"))
        # then
        for name, html in pages.items():
            assert ("scheduled", "Scheduled") in badges(html), name
            assert ("in_force", "In force") in badges(html), name
        assert "Scheduled" in home and "scheduled<" not in home

    def test_the_certificate_page_and_pdf_say_scheduled(self, client, cast, scheduled, monkeypatch):
        # given the PDF's blocks are kept (its text is drawn in subset glyphs)
        _agreement, _v2, v3 = scheduled
        client.force_login(cast.bob)
        built = {}

        def build_pdf(**kwargs):
            built.update(kwargs)
            return b"%PDF-"

        monkeypatch.setattr("slas.signing.views.build_pdf", build_pdf)
        # when
        html = page_text(client, reverse("slas:signing_certificate", args=[v3.pk]))
        client.get(reverse("slas:signing_certificate_pdf", args=[v3.pk]))
        # then
        assert ("scheduled", "Scheduled") in badges(html)
        facts = dict(built["blocks"][0].pairs)
        assert facts["Status"].startswith("Scheduled: Signed by every party")

    def test_the_api_gives_the_same_state_and_label(self, cast, scheduled):
        # given
        agreement, v2, v3 = scheduled
        client = api_client(cast.bob)
        # when
        version = client.get(reverse("version-detail", args=[v3.pk])).json()
        listed = client.get(reverse("agreement-detail", args=[agreement.pk])).json()
        certificate = client.get(reverse("api_signing_certificate", args=[v3.pk])).json()
        # then
        assert (version["state"], version["state_label"]) == ("scheduled", "Scheduled")
        assert version["state_explanation"].startswith("Signed by every party")
        states = {v["number"]: (v["state"], v["state_label"]) for v in listed["versions"]}
        assert states == {3: ("scheduled", "Scheduled"), 2: ("in_force", "In force")}
        assert (certificate["state"], certificate["state_label"]) == ("scheduled", "Scheduled")

    def test_the_api_lists_versions_by_state(self, cast, scheduled):
        # given
        agreement, _v2, v3 = scheduled
        client = api_client(cast.bob)
        # when
        answer = client.get(reverse("version-list"), {"state": "scheduled"}).json()
        # then
        assert [v["id"] for v in answer["results"]] == [v3.pk]


class TestEveryState:
    def test_every_stored_status_has_one_state_with_a_label_and_an_explanation(self):
        from slas.models import STATE_EXPLANATIONS, Version, VersionState, VersionStatus

        # given / when
        states = {status: Version(status=status).state for status in VersionStatus.values}
        # then every state is reached by exactly one status, and explained in one line
        assert sorted(states.values()) == sorted(VersionState.values)
        for state in VersionState:
            explanation = str(STATE_EXPLANATIONS[state])
            assert explanation.endswith(".") and "\n" not in explanation

    def test_the_badge_explains_its_state_on_hover_and_to_screen_readers(self, client, cast):
        # given
        _agreement, v2, _v3 = marketing_sales(cast)
        client.force_login(cast.bob)
        # when
        html = page_text(client, v2.get_absolute_url())
        # then
        badge = re.search(r'<span class="state"[^>]*data-state="in_force".*?</span></span>', html)
        assert badge is not None
        assert 'tabindex="0"' in badge.group(0)
        assert 'title="The version that governs now' in badge.group(0)
        assert 'class="state-tip">The version that governs now' in badge.group(0)


class TestVoidedSignatures:
    def test_a_signature_of_a_withdrawn_round_never_shows_a_green_signed(self, client, cast):
        # given Carol signed, then Alice withdrew the version from signature
        _agreement, _v2, v3 = marketing_sales(cast)
        version_send_for_signature(version=v3, actor=cast.alice)
        sign(v3, cast.carol)
        signing_withdraw(version=v3, user=cast.alice, comment="One more change.")
        client.force_login(cast.carol)
        # when
        html = page_text(client, v3.get_absolute_url())
        # then
        panel = re.search(r'data-testid="signing-panel".*?</section>', html, re.S).group(0)
        assert "Signed by Carol Cruz" in panel
        assert '<span class="pill success">Signed</span>' not in panel
        assert re.search(r'<span class="pill[^"]*">Voided</span>', panel)


class TestRowsWrittenBeforeTheStates:
    def test_the_migration_tells_scheduled_versions_and_voided_requests_apart(self, cast):
        # given rows as the code wrote them before: a fully signed version waiting for its
        # date stored as pending_signature, and a signed request of a withdrawn round
        import importlib

        from django.apps import apps

        from slas.models import Version
        from slas.signing.models import RequestStatus, SignatureRequest

        start = timezone.localdate() + datetime.timedelta(days=10)
        _agreement, _v2, v3 = marketing_sales(cast, v3_effective=start)
        version_send_for_signature(version=v3, actor=cast.alice)
        sign(v3, cast.carol)
        signing_withdraw(version=v3, user=cast.alice)
        withdrawn_request = SignatureRequest.objects.get(round__number=1, team=cast.sales)
        SignatureRequest.objects.filter(pk=withdrawn_request.pk).update(status="signed")
        version_send_for_signature(version=v3, actor=cast.alice)
        sign(v3, cast.carol)
        sign(v3, cast.alice)
        Version.objects.filter(pk=v3.pk).update(status="pending_signature")
        migration = importlib.import_module("slas.migrations.0009_version_states")
        # when
        migration.forwards(apps, None)
        # then
        v3.refresh_from_db()
        withdrawn_request.refresh_from_db()
        assert v3.status == "scheduled"
        assert withdrawn_request.status == RequestStatus.VOIDED
        assert SignatureRequest.objects.filter(round__number=2, status="signed").count() == 2
