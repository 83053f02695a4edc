"""The signing API calls the same services as the pages, with the same rules."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from portal.demo import DEMO_PASSWORD
from portal.tokens import api_token_create
from slas.models import VersionStatus
from slas.signing.seal import version_export_bytes
from slas.tests.signing_factories import marketing_sales

pytestmark = pytest.mark.django_db


def client_for(user, scope="write"):
    _token, raw = api_token_create(user=user, name="test", scope=scope)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def api(name, version):
    return reverse(name, args=[version.pk])


def test_send_sign_certificate_and_verify_over_the_api(cast):
    # given
    _agreement, v2, v3 = marketing_sales(cast)
    alice, carol = client_for(cast.alice), client_for(cast.carol)
    # when
    sent = alice.post(api("api_signing_send", v3), {"signers": []}, format="json")
    assert sent.status_code == 201, sent.content
    content_hash = sent.json()["content_hash"]
    body = {"password": DEMO_PASSWORD, "consent": True, "content_hash": content_hash}
    first = carol.post(api("api_signing_sign", v3), {**body, "full_name": "Carol Cruz"})
    second = alice.post(api("api_signing_sign", v3), {**body, "full_name": "alice anders"})
    # then
    assert first.status_code == 201 and second.status_code == 201
    assert second.json()["version_status"] == VersionStatus.ACTIVE
    certificate = client_for(cast.bob, "read").get(api("api_signing_certificate", v3)).json()
    assert {s["name"] for s in certificate["signers"]} == {"Alice Anders", "Carol Cruz"}
    assert certificate["content_hash"] == content_hash
    verify = client_for(cast.erin, "read")
    document = version_export_bytes(v3).decode()
    result = verify.post(reverse("api_signing_verify"), {"document": document}, format="json")
    assert result.status_code == 200, result.content
    assert result.json()["matched"] and result.json()["signed"]
    altered = verify.post(
        reverse("api_signing_verify"), {"document": document + "\n"}, format="json"
    )
    assert not altered.json()["matched"]


def test_wrong_password_is_a_400_with_field_errors(cast):
    _agreement, _v2, v3 = marketing_sales(cast)
    sent = client_for(cast.alice).post(api("api_signing_send", v3), {}, format="json").json()
    response = client_for(cast.carol).post(
        api("api_signing_sign", v3),
        {
            "password": "nope",
            "full_name": "Carol Cruz",
            "consent": True,
            "content_hash": sent["content_hash"],
        },
    )
    assert response.status_code == 400
    assert "password" in response.json()["errors"]


@pytest.mark.parametrize(("name", "status"), [("bob", 403), ("dan", 403), ("mallory", 404)])
def test_non_signatories_are_refused(cast, name, status):
    _agreement, _v2, v3 = marketing_sales(cast)
    sent = client_for(cast.alice).post(api("api_signing_send", v3), {}, format="json").json()
    user = getattr(cast, name)
    response = client_for(user).post(
        api("api_signing_sign", v3),
        {
            "password": DEMO_PASSWORD,
            "full_name": user.get_full_name(),
            "consent": True,
            "content_hash": sent["content_hash"],
        },
    )
    assert response.status_code == status


def test_a_read_only_token_cannot_sign(cast):
    _agreement, _v2, v3 = marketing_sales(cast)
    response = client_for(cast.alice, "read").post(api("api_signing_send", v3), {}, format="json")
    assert response.status_code == 403


def test_decline_and_withdraw_over_the_api(cast):
    _agreement, _v2, v3 = marketing_sales(cast)
    alice, carol = client_for(cast.alice), client_for(cast.carol)
    alice.post(api("api_signing_send", v3), {}, format="json")
    assert carol.post(api("api_signing_decline", v3), {"comment": ""}).status_code == 400
    assert carol.post(api("api_signing_decline", v3), {"comment": "No."}).json()["status"] == (
        "declined"
    )
    alice.post(api("api_signing_send", v3), {}, format="json")
    assert carol.post(api("api_signing_withdraw", v3), {}).status_code == 403
    assert alice.post(api("api_signing_withdraw", v3), {}).json()["status"] == "withdrawn"


@pytest.mark.parametrize(
    "download", ["signing_document_pdf", "signing_certificate_pdf", "signing_export_json"]
)
def test_every_handed_out_file_verifies_over_the_api_and_fails_with_one_byte_changed(
    cast, client, download
):
    # given a signed version and a file downloaded from its certificate page
    from django.core.files.uploadedfile import SimpleUploadedFile

    from slas.signing.services import version_send_for_signature
    from slas.tests.test_signing_services import sign

    _agreement, _v2, v3 = marketing_sales(cast)
    version_send_for_signature(version=v3, actor=cast.alice)
    sign(v3, cast.carol)
    sign(v3, cast.alice)
    client.force_login(cast.bob)
    data = client.get(reverse(f"slas:{download}", args=[v3.pk])).content
    changed = bytearray(data)
    changed[len(changed) // 2] ^= 0x01
    verify = client_for(cast.erin, "read")
    # when
    unchanged = verify.post(
        reverse("api_signing_verify"),
        {"file": SimpleUploadedFile("copy", data)},
        format="multipart",
    )
    altered = verify.post(
        reverse("api_signing_verify"),
        {"file": SimpleUploadedFile("copy", bytes(changed))},
        format="multipart",
    )
    # then
    assert unchanged.status_code == 200, unchanged.content
    assert unchanged.json()["matched"] and unchanged.json()["signed"]
    assert {s["name"] for s in unchanged.json()["signers"]} == {"Alice Anders", "Carol Cruz"}
    assert altered.status_code == 200, altered.content
    assert not altered.json()["matched"]


# The refusals of the signing actions: documented, and in the API's one error body --------


def _schema_responses(path: str, method: str = "post") -> dict:
    client = APIClient()
    schema = client.get("/api/schema/", {"format": "json"}).json()
    return schema["paths"][path][method]["responses"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/versions/{id}/send/",
        "/api/v1/versions/{id}/sign/",
        "/api/v1/versions/{id}/decline/",
        "/api/v1/versions/{id}/withdraw/",
    ],
)
def test_every_refusal_a_signing_action_can_answer_is_in_the_schema(path):
    # when
    responses = _schema_responses(path)
    # then: a refusal the person can understand (409) and invalid input (400), both with
    # the one error body
    for code in ("400", "409"):
        assert code in responses, f"{path} does not document {code}"
        body = responses[code]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/Error"}
    assert "409" in responses and "code" in responses["409"]["description"]


def test_a_refusal_with_field_errors_uses_the_one_error_body(cast):
    # given v3 sent for signature
    _agreement, _v2, v3 = marketing_sales(cast)
    client_for(cast.alice).post(api("api_signing_send", v3), {}, format="json")
    # when carol declines without saying why
    response = client_for(cast.carol).post(api("api_signing_decline", v3), {"comment": " "})
    # then the field error is a list of {message, code}, as everywhere in the API
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["errors"]["comment"] == [
        {"message": "A comment is required to decline.", "code": "invalid"}
    ]


def test_a_refusal_without_field_errors_has_no_errors_key(cast):
    # given v2 is in force, not awaiting signatures
    _agreement, v2, _v3 = marketing_sales(cast)
    # when
    response = client_for(cast.carol).post(api("api_signing_decline", v2), {"comment": "No."})
    # then
    assert response.status_code == 409
    assert response.json()["code"] == "not_pending"
    assert "errors" not in response.json()
