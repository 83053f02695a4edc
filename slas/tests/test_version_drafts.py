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
