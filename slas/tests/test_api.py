"""The agreement API: the same services and rules as the pages."""

import pytest

from portal.tokens import api_token_create
from slas.models import Agreement, Version
from slas.tests.factories import activate

pytestmark = pytest.mark.django_db

JSON = "application/json"


class TestAgreements:
    def test_the_list_holds_only_visible_agreements(self, client, cast, agreement):
        client.force_login(cast.mallory)
        assert client.get("/api/v1/agreements/").json()["results"] == []
        client.force_login(cast.erin)
        assert [a["title"] for a in client.get("/api/v1/agreements/").json()["results"]] == [
            agreement.title
        ]

    def test_mallory_gets_404_on_the_marketing_sales_agreement(self, client, cast, agreement):
        client.force_login(cast.mallory)
        assert client.get(f"/api/v1/agreements/{agreement.pk}/").status_code == 404
        version = agreement.versions.get()
        assert client.get(f"/api/v1/versions/{version.pk}/").status_code == 404
        assert client.get(f"/api/v1/versions/{version.pk}/terms/").status_code == 404

    def test_the_server_sets_the_creator_whatever_the_payload_says(self, client, cast):
        # Carol sees both parties (the API offers what the page offers: test_agreement_parties)
        client.force_login(cast.carol)
        response = client.post(
            "/api/v1/agreements/",
            {
                "title": "Via API",
                "parties": [cast.sales.pk, cast.customer_success.pk],
                "created_by": cast.bob.pk,
            },
            content_type=JSON,
        )
        assert response.status_code == 201, response.content
        agreement = Agreement.objects.get(title="Via API")
        assert agreement.created_by == cast.carol
        row = Version.history.filter(agreement_id=agreement.pk).first()
        assert row.history_user == cast.carol and row.history_change_reason.startswith("API")

    def test_a_rep_cannot_create_an_agreement(self, client, cast):
        client.force_login(cast.bob)
        response = client.post(
            "/api/v1/agreements/",
            {"title": "X", "parties": [cast.marketing.pk, cast.sales.pk]},
            content_type=JSON,
        )
        assert response.status_code == 403


class TestVersions:
    def test_amend_creates_the_next_draft(self, client, cast, draft):
        activate(draft)
        client.force_login(cast.carol)
        response = client.post(
            "/api/v1/versions/", {"agreement": draft.agreement.pk}, content_type=JSON
        )
        assert response.status_code == 201
        assert response.json()["number"] == 2 and response.json()["status"] == "draft"

    def test_a_second_draft_is_refused_with_a_clear_message(self, client, cast, draft):
        client.force_login(cast.carol)
        response = client.post(
            "/api/v1/versions/", {"agreement": draft.agreement.pk}, content_type=JSON
        )
        assert response.status_code == 400 and "already open" in str(response.json())

    def test_patch_updates_a_draft_but_never_its_lifecycle_fields(self, client, cast, draft):
        client.force_login(cast.alice)
        response = client.patch(
            f"/api/v1/versions/{draft.pk}/",
            {
                "goal_statements": "From the API",
                "status": "active",
                "content_hash": "x",
                "number": 9,
                "edit_revision": draft.edit_revision,
            },
            content_type=JSON,
        )
        assert response.status_code == 200, response.content
        draft.refresh_from_db()
        assert draft.goal_statements == "From the API"
        assert draft.status == "draft" and draft.number == 1 and draft.content_hash == ""

    def test_validation_errors_answer_400_per_field(self, client, cast, draft):
        client.force_login(cast.alice)
        response = client.patch(
            f"/api/v1/versions/{draft.pk}/",
            {"working_days": [], "calendar_timezone": "Nowhere"},
            content_type=JSON,
            HTTP_IF_MATCH=str(draft.edit_revision),
        )
        assert response.status_code == 400
        body = response.json()
        assert set(body.get("errors", body)) >= {"working_days", "calendar_timezone"}

    def test_a_stale_revision_answers_409_with_the_changes(self, client, cast, draft):
        client.force_login(cast.alice)
        seen = draft.edit_revision
        client.force_login(cast.carol)
        assert (
            client.patch(
                f"/api/v1/versions/{draft.pk}/",
                {"goal_statements": "Carol", "edit_revision": seen},
                content_type=JSON,
            ).status_code
            == 200
        )
        client.force_login(cast.alice)
        response = client.patch(
            f"/api/v1/versions/{draft.pk}/",
            {"goal_statements": "Alice"},
            content_type=JSON,
            HTTP_IF_MATCH=str(seen),
        )
        assert response.status_code == 409
        body = response.json()
        assert body["code"] == "edit_conflict" and body["changes"][0]["user"] == "Carol Cruz"

    def test_the_version_answers_with_its_revision_as_etag(self, client, cast, draft):
        client.force_login(cast.erin)
        response = client.get(f"/api/v1/versions/{draft.pk}/")
        assert response["ETag"] == f'"{draft.edit_revision}"'
        assert response.json()["edit_revision"] == draft.edit_revision

    @pytest.mark.parametrize("who", ["bob", "dan", "erin"])
    def test_readers_cannot_write(self, client, cast, draft, who):
        client.force_login(getattr(cast, who))
        assert client.get(f"/api/v1/versions/{draft.pk}/").status_code == 200
        assert (
            client.patch(
                f"/api/v1/versions/{draft.pk}/", {"goal_statements": "x"}, content_type=JSON
            ).status_code
            == 403
        )
        assert (
            client.post(
                f"/api/v1/versions/{draft.pk}/terms/",
                {"term": "X", "definition": "Y"},
                content_type=JSON,
            ).status_code
            == 403
        )


class TestParts:
    def test_a_manager_adds_changes_and_removes_terms_of_a_draft(self, client, cast, draft):
        # given
        client.force_login(cast.alice)
        base = f"/api/v1/versions/{draft.pk}/terms/"
        # when each write sends the revision the previous answer gave as its ETag
        created = client.post(
            base,
            {"term": "Nurture", "definition": "Follow-up", "position": 9},
            content_type=JSON,
            HTTP_IF_MATCH=f'"{draft.edit_revision}"',
        )
        assert created.status_code == 201, created.content
        assert created["ETag"] == f'"{draft.edit_revision + 1}"'
        pk = created.json()["id"]
        changed = client.patch(
            f"{base}{pk}/",
            {"definition": "Better"},
            content_type=JSON,
            HTTP_IF_MATCH=created["ETag"],
        )
        assert changed.json()["definition"] == "Better"
        removed = client.delete(f"{base}{pk}/", HTTP_IF_MATCH=changed["ETag"])
        # then
        assert removed.status_code == 204
        assert removed["ETag"] == f'"{draft.edit_revision + 3}"'
        assert not draft.terms.filter(term="Nurture").exists()
        reasons = set(
            draft.terms.model.history.filter(id=pk).values_list("history_change_reason", flat=True)
        )
        # what was edited is stored untranslated (the part's key); the row's type says how
        assert reasons == {"API: terms"}
        kinds = set(draft.terms.model.history.filter(id=pk).values_list("history_type", flat=True))
        assert kinds == {"+", "~", "-"}

    def test_commitment_rules_apply_through_the_api(self, client, cast, draft):
        client.force_login(cast.alice)
        response = client.post(
            f"/api/v1/versions/{draft.pk}/commitments/",
            {
                "owner_team": cast.sales.pk,
                "kind": "first_contact_within",
                "params": {},
                "target": "-1",
            },
            content_type=JSON,
            HTTP_IF_MATCH=str(draft.edit_revision),
        )
        assert response.status_code == 400
        body = response.json()
        assert {"params", "target"} <= set(body.get("errors", body))

    @pytest.mark.parametrize(
        "part",
        [
            "scoring_rules",
            "reason_codes",
            "nurture_tracks",
            "commitments",
            "holidays",
            "sections",
            "escalation_steps",
        ],
    )
    def test_every_part_is_listed(self, client, cast, draft, part):
        client.force_login(cast.erin)
        response = client.get(f"/api/v1/versions/{draft.pk}/{part}/")
        assert response.status_code == 200 and response.json()["count"] > 0

    def test_a_read_token_cannot_write(self, client, cast, draft):
        _token, raw = api_token_create(user=cast.alice, name="read")
        response = client.patch(
            f"/api/v1/versions/{draft.pk}/",
            {"goal_statements": "x"},
            content_type=JSON,
            HTTP_AUTHORIZATION=f"Bearer {raw}",
        )
        assert response.status_code == 403


class TestRevisionRequired:
    def test_every_write_to_a_draft_without_a_revision_answers_428_and_changes_nothing(
        self, client, cast, draft
    ):
        # given
        client.force_login(cast.alice)
        term = draft.terms.get(term="MQL")
        base = f"/api/v1/versions/{draft.pk}"
        before = Version.objects.get(pk=draft.pk).edit_revision
        # when
        responses = [
            client.patch(f"{base}/", {"goal_statements": "x"}, content_type=JSON),
            client.post(f"{base}/terms/", {"term": "X", "definition": "Y"}, content_type=JSON),
            client.patch(f"{base}/terms/{term.pk}/", {"definition": "Y"}, content_type=JSON),
            client.delete(f"{base}/terms/{term.pk}/"),
        ]
        # then
        for response in responses:
            assert response.status_code == 428, response.content
            body = response.json()
            assert body["code"] == "revision_required"
            assert body["header"] == "If-Match" and body["field"] == "edit_revision"
            assert (
                "If-Match" in body["detail"] and f"/api/v1/versions/{draft.pk}/" in body["detail"]
            )
        term.refresh_from_db()
        assert term.definition != "Y" and not draft.terms.filter(term="X").exists()
        draft.refresh_from_db()
        assert draft.goal_statements != "x" and draft.edit_revision == before

    def test_the_revision_may_come_in_the_body_or_as_a_weak_etag(self, client, cast, draft):
        # given
        client.force_login(cast.alice)
        base = f"/api/v1/versions/{draft.pk}/terms/"
        # when
        created = client.post(
            base,
            {"term": "X", "definition": "Y", "edit_revision": draft.edit_revision},
            content_type=JSON,
        )
        renamed = client.patch(
            f"{base}{created.json()['id']}/",
            {"definition": "Z"},
            content_type=JSON,
            HTTP_IF_MATCH=f'W/"{draft.edit_revision + 1}"',
        )
        # then
        assert created.status_code == 201 and renamed.status_code == 200, renamed.content
        assert draft.terms.get(term="X").definition == "Z"

    def test_a_revision_that_is_not_a_number_answers_400(self, client, cast, draft):
        client.force_login(cast.alice)
        response = client.patch(
            f"/api/v1/versions/{draft.pk}/",
            {"goal_statements": "x"},
            content_type=JSON,
            HTTP_IF_MATCH="*",
        )
        body = response.json()
        assert response.status_code == 400 and "edit_revision" in body.get("errors", body)

    def test_a_stale_part_write_answers_409_with_what_changed(self, client, cast, draft):
        # given Alice read the draft, then Carol changed a term
        seen = draft.edit_revision
        client.force_login(cast.carol)
        term = draft.terms.get(term="SQL")
        assert (
            client.patch(
                f"/api/v1/versions/{draft.pk}/terms/{term.pk}/",
                {"definition": "Carol's"},
                content_type=JSON,
                HTTP_IF_MATCH=str(seen),
            ).status_code
            == 200
        )
        # when Alice deletes it from what she read
        client.force_login(cast.alice)
        response = client.delete(
            f"/api/v1/versions/{draft.pk}/terms/{term.pk}/", HTTP_IF_MATCH=str(seen)
        )
        # then
        assert response.status_code == 409 and response.json()["code"] == "edit_conflict"
        assert response.json()["changes"][0]["user"] == "Carol Cruz"
        assert draft.terms.filter(pk=term.pk).exists()


class TestCompare:
    def test_the_compare_endpoint_reports_changes_with_a_redline(self, client, cast, draft):
        activate(draft)
        client.force_login(cast.alice)
        v2 = client.post(
            "/api/v1/versions/", {"agreement": draft.agreement.pk}, content_type=JSON
        ).json()
        term = Version.objects.get(pk=v2["id"]).terms.get(term="SAL")
        client.patch(
            f"/api/v1/versions/{v2['id']}/terms/{term.pk}/",
            {"definition": "An MQL sales accepted."},
            content_type=JSON,
            HTTP_IF_MATCH=str(v2["edit_revision"]),
        )
        response = client.get(
            f"/api/v1/agreements/{draft.agreement.pk}/compare/?a={draft.pk}&b={v2['id']}"
        )
        assert response.status_code == 200
        definitions = next(c for c in response.json()["components"] if c["key"] == "definitions")
        changed = definitions["parts"][0]["changed"][0]
        assert changed["label"] == "SAL" and "<ins>" in changed["fields"][0]["redline"]

    def test_compare_refuses_versions_of_another_agreement(self, client, cast, draft):
        from slas.tests.factories import agreement_with_draft

        other = agreement_with_draft(cast, title="Other").versions.get()
        client.force_login(cast.alice)
        response = client.get(
            f"/api/v1/agreements/{draft.agreement.pk}/compare/?a={draft.pk}&b={other.pk}"
        )
        assert response.status_code == 404


def test_the_schema_describes_the_agreement_api(client, cast):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    assert "/api/v1/agreements/{id}/compare/" in paths
    assert "/api/v1/versions/{version_pk}/commitments/{id}/" in paths
    assert "409" in paths["/api/v1/versions/{version_pk}/terms/"]["post"]["responses"]
    writes = [
        paths["/api/v1/versions/{id}/"]["patch"],
        paths["/api/v1/versions/{version_pk}/terms/"]["post"],
        paths["/api/v1/versions/{version_pk}/terms/{id}/"]["patch"],
        paths["/api/v1/versions/{version_pk}/terms/{id}/"]["delete"],
    ]
    for operation in writes:
        if_match = next(p for p in operation["parameters"] if p["name"] == "If-Match")
        assert if_match["in"] == "header" and if_match["required"] is True
        assert {"409", "428"} <= set(operation["responses"])


def test_an_api_edit_of_a_draft_taken_back_from_signature_needs_an_edit_reason(client, cast, draft):
    # given a draft that was sent for signature and withdrawn
    from slas.history import split_reason
    from slas.signing.services import signing_withdraw, version_send_for_signature

    version_send_for_signature(version=draft, actor=cast.alice)
    signing_withdraw(version=draft, user=cast.alice, comment="One more change.")
    draft.refresh_from_db()
    client.force_login(cast.alice)
    # when a write comes without a reason
    refused = client.patch(
        f"/api/v1/versions/{draft.pk}/",
        {"goal_statements": "From the API"},
        content_type=JSON,
        HTTP_IF_MATCH=str(draft.edit_revision),
    )
    # then it is a 400 on edit_reason, and with one it is saved
    assert refused.status_code == 400, refused.content
    assert "edit_reason" in refused.json()["errors"]
    saved = client.post(
        f"/api/v1/versions/{draft.pk}/terms/",
        {"term": "Nurture", "definition": "Follow-up", "edit_reason": "Sales asked for it."},
        content_type=JSON,
        HTTP_IF_MATCH=str(draft.edit_revision),
    )
    assert saved.status_code == 201, saved.content
    row = draft.terms.model.history.get(id=saved.json()["id"])
    assert split_reason(row.history_change_reason).why == "Sales asked for it."
