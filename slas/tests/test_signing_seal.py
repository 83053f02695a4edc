"""The seal: what was signed is the stored copy of the exact bytes hashed at sending.

A party team renamed (or a field added to the models) after signing changes nothing
that was signed: the certificate still says intact and the export still verifies. A
changed stored byte, a rewritten hash or a row altered behind the portal's back breaks it.
"""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from portal.pdf import KeyValues, Table
from slas.canonical import canonical_json
from slas.signing import seal
from slas.signing import views as signing_views
from slas.signing.models import SigningRound
from slas.signing.seal import (
    VERSION_EXCLUDED,
    _version_content,
    signing_round_seal,
    signing_round_snapshot,
    version_content,
    version_export_bytes,
    version_live_bytes,
)
from slas.signing.services import version_send_for_signature
from slas.tests.signing_factories import marketing_sales
from slas.tests.test_signing_api import api, client_for
from slas.tests.test_signing_services import sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(cast):
    _agreement, _v2, v3 = marketing_sales(cast)
    version_send_for_signature(version=v3, actor=cast.alice)
    sign(v3, cast.carol)
    sign(v3, cast.alice)
    v3.refresh_from_db()
    return cast, v3, SigningRound.objects.get(version=v3, status="completed")


def certificate_page(client, version) -> str:
    return client.get(reverse("slas:signing_certificate", args=[version.pk])).content.decode()


def export(client, version) -> bytes:
    return client.get(reverse("slas:signing_export_json", args=[version.pk])).content


def test_sending_stores_the_exact_bytes_that_were_hashed(signed):
    # given
    _cast, v3, rnd = signed
    # when
    stored = bytes(SigningRound.objects.get(pk=rnd.pk).content_snapshot)
    # then
    assert hashlib.sha256(stored).hexdigest() == rnd.content_hash == v3.content_hash
    assert stored == version_live_bytes(v3)


def test_renaming_a_party_team_keeps_the_seal_intact_and_the_export_verifying(client, signed):
    # given a signed version and its export downloaded at signing
    cast, v3, rnd = signed
    client.force_login(cast.bob)
    before = export(client, v3)
    # when the sales team is renamed
    cast.sales.name = "Revenue"
    cast.sales.save()
    # then the certificate still says intact, and a fresh export is the same bytes
    assert "Seal intact" in certificate_page(client, v3)
    after = export(client, v3)
    assert after == before
    assert hashlib.sha256(after).hexdigest() == v3.content_hash
    assert '"name":"Sales"' in after.decode()  # the name as it was signed
    upload = SimpleUploadedFile("v3.json", after, content_type="application/json")
    page = client.post(reverse("slas:signing_verify"), {"document": upload}).content.decode()
    assert "Match: this is exactly" in page


def test_a_field_added_to_the_models_later_does_not_break_the_seal(client, signed, monkeypatch):
    # given a signed version
    cast, v3, rnd = signed
    # when the live content grows a field that was not there when it was signed
    monkeypatch.setattr(seal, "VERSION_EXCLUDED", VERSION_EXCLUDED - {"edit_revision"})
    assert "edit_revision" in version_content(v3)["version"]
    # then
    assert signing_round_seal(rnd).intact
    client.force_login(cast.alice)
    assert hashlib.sha256(export(client, v3)).hexdigest() == v3.content_hash


def test_a_changed_byte_of_the_stored_copy_breaks_the_seal(client, signed):
    # given
    cast, v3, rnd = signed
    stored = bytearray(rnd.content_snapshot)
    position = stored.index(b'"hours":24') + len(b'"hours":')
    stored[position] = ord("4")
    # when the stored copy is altered behind the portal's back
    SigningRound.objects.filter(pk=rnd.pk).update(content_snapshot=bytes(stored))
    # then
    client.force_login(cast.alice)
    page = certificate_page(client, v3)
    assert "Seal broken" in page
    assert "The stored copy of the signed content was altered." in page
    certificate = client_for(cast.bob, "read").get(api("api_signing_certificate", v3)).json()
    assert certificate["seal"]["intact"] is False


def test_rewriting_the_copy_and_every_hash_is_caught_by_the_audit_trail(signed):
    # given
    _cast, v3, rnd = signed
    forged = bytes(rnd.content_snapshot).replace(b'"hours":24', b'"hours":48')
    assert forged != bytes(rnd.content_snapshot)
    forged_hash = hashlib.sha256(forged).hexdigest()
    # when the copy, the round, the version and the signatures are all rewritten
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE slas_signinground SET content_snapshot = %s, content_hash = %s WHERE id = %s",
            [forged, forged_hash, rnd.pk],
        )
        cursor.execute(
            "UPDATE slas_version SET content_hash = %s WHERE id = %s", [forged_hash, v3.pk]
        )
        cursor.execute(
            "UPDATE slas_signature SET content_hash = %s WHERE version_id = %s",
            [forged_hash, v3.pk],
        )
    # then the "sent" entry of the hash chain still names the signed hash
    seal = signing_round_seal(SigningRound.objects.get(pk=rnd.pk))
    assert not seal.intact
    assert "audit trail" in seal.reason


def test_a_row_altered_behind_the_portals_back_breaks_the_seal(signed):
    # given
    _cast, v3, rnd = signed
    # when
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE slas_section SET body = %s WHERE version_id = %s", ["Anything goes.", v3.pk]
        )
    # then
    seal = signing_round_seal(rnd)
    assert not seal.intact
    assert "changed after it was signed" in seal.reason


def test_a_round_sealed_before_copies_were_stored_gets_its_copy_once(signed):
    # given a round from before the copy was stored
    _cast, v3, rnd = signed
    expected = bytes(rnd.content_snapshot)
    SigningRound.objects.filter(pk=rnd.pk).update(content_snapshot=None)
    rnd = SigningRound.objects.get(pk=rnd.pk)
    # when
    data = signing_round_snapshot(rnd)
    # then the current content still hashes to the signed hash: it is what was signed
    assert data == expected
    assert bytes(SigningRound.objects.get(pk=rnd.pk).content_snapshot) == expected
    assert signing_round_seal(rnd).intact


def test_a_round_sealed_as_schema_1_is_reconstructed_as_schema_1(signed):
    # given a round sealed before the purpose was part of the content, copy not stored
    _cast, v3, rnd = signed
    legacy = canonical_json(_version_content(v3, schema="sla-portal/version/1"))
    legacy_hash = hashlib.sha256(legacy).hexdigest()
    SigningRound.objects.filter(pk=rnd.pk).update(content_snapshot=None, content_hash=legacy_hash)
    rnd = SigningRound.objects.get(pk=rnd.pk)
    # when
    data = signing_round_snapshot(rnd)
    # then
    assert data == legacy
    assert b'"purpose"' not in data


def test_a_legacy_round_whose_content_changed_before_its_copy_was_stored_is_broken(client, signed):
    # given a round without a stored copy, and a party renamed since it was signed
    cast, v3, rnd = signed
    SigningRound.objects.filter(pk=rnd.pk).update(content_snapshot=None)
    cast.sales.name = "Revenue"
    cast.sales.save()
    # when
    rnd = SigningRound.objects.get(pk=rnd.pk)
    # then the signed bytes cannot be reconstructed, and nothing pretends otherwise
    assert signing_round_snapshot(rnd) is None
    assert not signing_round_seal(rnd).intact
    client.force_login(cast.alice)
    response = client.get(reverse("slas:signing_export_json", args=[v3.pk]))
    assert response.status_code == 404


def test_the_api_certificate_carries_the_stored_document_which_verifies(signed):
    # given
    cast, v3, rnd = signed
    cast.marketing.name = "Growth"
    cast.marketing.save()
    # when
    certificate = client_for(cast.bob, "read").get(api("api_signing_certificate", v3)).json()
    # then
    assert certificate["seal"]["intact"] is True and certificate["seal"]["signed"] is True
    assert certificate["document"].encode() == bytes(rnd.content_snapshot)
    result = client_for(cast.erin, "read").post(
        reverse("api_signing_verify"), {"document": certificate["document"]}, format="json"
    )
    assert result.json()["matched"] and result.json()["signed"]


def test_the_export_of_a_draft_is_its_current_content(cast):
    # given a draft never sent
    _agreement, _v2, v3 = marketing_sales(cast)
    # when / then
    assert version_export_bytes(v3) == version_live_bytes(v3)


def test_the_document_pdf_names_teams_and_shows_labels_not_codes(client, signed, monkeypatch):
    # given a signed version, and the sales team renamed since
    cast, v3, _rnd = signed
    cast.sales.name = "Revenue"
    cast.sales.save()
    drawn = {}

    def fake_build_pdf(**kwargs):
        drawn.update(kwargs)
        return b"%PDF-fake"

    monkeypatch.setattr(signing_views, "build_pdf", fake_build_pdf)
    client.force_login(cast.alice)
    # when
    response = client.get(reverse("slas:signing_document_pdf", args=[v3.pk]))
    # then what is printed is the signed copy, in words
    assert response.content == b"%PDF-fake"
    text = []
    for block in drawn["blocks"]:
        if isinstance(block, KeyValues):
            text += [f"{key}={value}" for key, value in block.pairs]
        if isinstance(block, Table):
            text += [" | ".join(block.header)] + [" | ".join(row) for row in block.rows]
    printed = "\n".join(text)
    assert "Parties=Marketing, Sales" in printed  # the names as signed
    assert "Working days=Monday, Tuesday, Wednesday, Thursday, Friday" in printed
    assert "Reporting cadence=Monthly" in printed
    assert "Owner | Commitment | Target | Period" in printed
    # every rule as the sentence it says, never the placeholder or raw parameters
    commitment = next(line for line in text if "First contact within 24 business hours" in line)
    assert commitment.startswith("Sales | ")  # the owner team by name, not its id
    assert "hours" not in commitment.replace("business hours", "")
    assert "First contact within H business hours" not in printed
    assert 'Job title contains "VP"' in printed and "job_title" not in printed
