"""Filters and ordering on the agreement area's lists: they narrow what you may see,
refuse bad values with the one error body, and order only by the columns they name."""

import datetime as dt

import pytest

from portal.tests.api_lists_helpers import api, field_codes, ids
from slas.tests.signing_factories import AgreementFactory, VersionFactory, marketing_sales

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    ms, v2, v3 = marketing_sales(cast)
    sc = AgreementFactory(title="A Sales ⇄ CS SLA", parties=[cast.sales, cast.customer_success])
    sc_v1 = VersionFactory(agreement=sc, number=1)
    return ms, v2, v3, sc, sc_v1


def test_agreements_filter_by_party_and_only_among_those_you_see(cast, world):
    ms, _v2, _v3, sc, _ = world
    # Carol (sales) sees both; filtering by the customer-success team keeps one
    assert ids(api(cast.carol).get(f"/api/v1/agreements/?party={cast.customer_success.pk}")) == [
        sc.pk
    ]
    # Alice (marketing) asking for the customer-success team's agreements learns nothing
    assert ids(api(cast.alice).get(f"/api/v1/agreements/?party={cast.customer_success.pk}")) == []
    # nor with an id that does not exist: the same empty list
    assert ids(api(cast.alice).get("/api/v1/agreements/?party=987654")) == []


def test_agreements_order_by_title_by_default_and_by_a_named_column(cast, world):
    ms, _v2, _v3, sc, _ = world
    assert ids(api(cast.carol).get("/api/v1/agreements/")) == [sc.pk, ms.pk]  # "A Sales" first
    assert ids(api(cast.carol).get("/api/v1/agreements/?ordering=-title")) == [ms.pk, sc.pk]


def test_agreements_created_after_narrows_by_time(cast, world):
    client = api(cast.carol)
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert ids(client.get(f"/api/v1/agreements/?created_before={tomorrow}")) != []
    assert ids(client.get(f"/api/v1/agreements/?created_after={tomorrow}")) == []


@pytest.mark.parametrize(
    "query,field,code",
    [
        ("party=marketing", "party", "invalid"),
        ("party=", "party", "blank"),
        ("party=0", "party", "min_value"),
        ("created_after=yesterday", "created_after", "invalid"),
        ("ordering=purpose", "ordering", "invalid_choice"),
        ("ordering=", "ordering", "blank"),
        ("ordering=title,versions", "ordering", "invalid_choice"),
    ],
)
def test_agreements_refuse_a_bad_filter_or_ordering_with_a_field_error(cast, query, field, code):
    assert field_codes(api(cast.alice).get(f"/api/v1/agreements/?{query}"), field) == [code]


def test_versions_filter_by_agreement_and_status(cast, world):
    ms, v2, v3, sc, sc_v1 = world
    client = api(cast.carol)
    assert ids(client.get(f"/api/v1/versions/?agreement={ms.pk}&status=draft")) == [v3.pk]
    assert ids(client.get(f"/api/v1/versions/?agreement={ms.pk}&ordering=number")) == [
        v2.pk,
        v3.pk,
    ]
    # Alice cannot see the Sales-CS agreement: its id filters to nothing, like a missing one
    assert ids(api(cast.alice).get(f"/api/v1/versions/?agreement={sc.pk}")) == []
    assert field_codes(client.get("/api/v1/versions/?status=signed"), "status") == [
        "invalid_choice"
    ]


def test_a_tie_in_the_ordering_is_broken_by_id_so_pages_are_stable(cast, world):
    ms, v2, v3, _sc, _ = world
    # both versions were created in the same test transaction: same created_at
    rows = ids(api(cast.carol).get(f"/api/v1/versions/?agreement={ms.pk}&ordering=-created_at"))
    assert rows == sorted(rows, reverse=True)


def test_version_parts_filter_and_order(cast, world):
    _ms, _v2, v3, _sc, sc_v1 = world
    client = api(cast.alice)
    url = f"/api/v1/versions/{v3.pk}/commitments/"
    every = client.get(url).json()["results"]
    sales = ids(client.get(f"{url}?owner_team={cast.sales.pk}"))
    assert sales and set(sales) == {c["id"] for c in every if c["owner_team"] == cast.sales.pk}
    assert ids(client.get(f"{url}?owner_team={cast.customer_success.pk}")) == []
    kind = every[0]["kind"]
    assert {c["kind"] for c in client.get(f"{url}?kind={kind}").json()["results"]} == {kind}
    assert ids(client.get(f"{url}?ordering=-id")) == sorted((c["id"] for c in every), reverse=True)
    assert field_codes(client.get(f"{url}?kind=revenue"), "kind") == ["invalid_choice"]
    assert field_codes(client.get(f"{url}?ordering=target"), "ordering") == ["invalid_choice"]
    # the parts of a version you cannot see stay 404, whatever the filter
    assert client.get(f"/api/v1/versions/{sc_v1.pk}/commitments/?kind={kind}").status_code == 404


def test_holidays_filter_by_date_range(cast, world):
    _ms, _v2, v3, _sc, _ = world
    client = api(cast.alice)
    url = f"/api/v1/versions/{v3.pk}/holidays/"
    every = client.get(url).json()["results"]
    assert every, "add_every_part gives a holiday"
    day = every[0]["date"]
    assert ids(client.get(f"{url}?date_after={day}&date_before=2999-01-01")) == [every[0]["id"]]
    assert ids(client.get(f"{url}?date_before={day}")) == []
    assert field_codes(client.get(f"{url}?date_after=soon"), "date_after") == ["invalid"]
