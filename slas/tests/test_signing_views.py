"""Signing pages: who may open them, clear errors that keep the input, certificate, verify."""

import hashlib
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.demo import DEMO_PASSWORD
from portal.tests.pdftext import pdf_text
from slas import home as slas_home
from slas.audit.chain import audit_verify
from slas.audit.models import AuditEntry
from slas.models import VersionStatus
from slas.signing import home as signing_home
from slas.signing.models import SigningOrder
from slas.signing.seal import version_export_bytes
from slas.signing.services import version_send_for_signature
from slas.tests.factories import AgreementFactory
from slas.tests.signing_factories import marketing_sales
from slas.tests.test_signing_services import sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast):
    agreement, v2, v3 = marketing_sales(cast)
    return cast, agreement, v2, v3


def url(name, version):
    return reverse(f"slas:{name}", args=[version.pk])


def sign_post(client, version, **overrides):
    version.refresh_from_db()
    data = {
        "content_hash": version.content_hash,
        "full_name": "Carol Cruz",
        "password": DEMO_PASSWORD,
        "consent": "on",
    }
    data.update(overrides)
    return client.post(url("signing_sign", version), data, HTTP_USER_AGENT="Test agent 1.0")


class TestSendPage:
    def test_a_party_manager_sends_from_the_page(self, client, world):
        cast, _agreement, _v2, v3 = world
        client.force_login(cast.alice)
        page = client.get(url("signing_send", v3))
        assert page.status_code == 200
        assert "First contact within 16 business hours." in page.content.decode()
        response = client.post(
            url("signing_send", v3), {"order": "sequential", "signers": [cast.erin.pk]}
        )
        assert response.status_code == 302
        v3.refresh_from_db()
        rnd = v3.signing_rounds.get()
        assert v3.status == VersionStatus.PENDING_SIGNATURE
        assert rnd.order == SigningOrder.SEQUENTIAL
        assert rnd.requests.filter(user=cast.erin).exists()

    @pytest.mark.parametrize(("name", "status"), [("bob", 403), ("erin", 403), ("mallory", 404)])
    def test_others_are_refused(self, client, world, name, status):
        cast, _agreement, _v2, v3 = world
        client.force_login(getattr(cast, name))
        assert client.get(url("signing_send", v3)).status_code == status
        assert client.post(url("signing_send", v3), {"order": "parallel"}).status_code == status


class TestSignPage:
    def test_the_page_shows_the_hash_the_signers_and_the_consent(self, client, world):
        cast, agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        v3.refresh_from_db()
        client.force_login(cast.carol)
        page = client.get(url("signing_sign", v3)).content.decode()
        assert v3.content_hash in page
        assert "electronic signature binds me" in page
        assert "Marketing" in page and "Sales" in page
        client.get(url("signing_sign", v3))
        viewed = AuditEntry.objects.filter(agreement=agreement, action="viewed", actor=cast.carol)
        assert viewed.count() == 1  # once per round, not per page load

    def test_a_wrong_password_is_explained_and_the_name_is_kept(self, client, world):
        cast, _agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        client.force_login(cast.carol)
        response = sign_post(client, v3, password="wrong-password")
        page = response.content.decode()
        assert response.status_code == 200
        assert "That is not your password" in page
        assert 'value="Carol Cruz"' in page
        assert 'name="consent" id="id_consent" checked' in page

    def test_a_name_that_does_not_match_is_explained(self, client, world):
        cast, _agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        client.force_login(cast.carol)
        page = sign_post(client, v3, full_name="Caroline Cruz").content.decode()
        assert "Type your full name exactly as it appears on your profile: Carol Cruz" in page

    def test_a_missing_consent_is_explained(self, client, world):
        cast, _agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        client.force_login(cast.carol)
        page = sign_post(client, v3, consent="").content.decode()
        assert "Tick the box" in page

    def test_not_your_turn_in_sequential_order(self, client, world):
        cast, _agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice, order="sequential")
        client.force_login(cast.carol)
        assert "It is not your turn yet" in client.get(url("signing_sign", v3)).content.decode()
        page = sign_post(client, v3).content.decode()
        assert "It is not your turn yet" in page

    def test_signing_records_the_address_and_agent_and_a_second_post_says_already_signed(
        self, client, world
    ):
        cast, _agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        client.force_login(cast.carol)
        assert sign_post(client, v3).status_code == 302
        signature = v3.signatures.get()
        assert signature.ip_address == "127.0.0.1"
        assert signature.user_agent == "Test agent 1.0"
        response = sign_post(client, v3)
        assert response.status_code == 302
        messages = [str(m) for m in response.wsgi_request._messages]
        assert "You have already signed this version." in messages
        assert v3.signatures.count() == 1

    @pytest.mark.parametrize(("name", "status"), [("bob", 403), ("dan", 403), ("mallory", 404)])
    def test_non_signatories_cannot_open_or_post(self, client, world, name, status):
        cast, _agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        client.force_login(getattr(cast, name))
        assert client.get(url("signing_sign", v3)).status_code == status
        assert sign_post(client, v3).status_code == status

    def test_erin_may_sign_only_when_named(self, client, world):
        cast, _agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        client.force_login(cast.erin)
        assert client.get(url("signing_sign", v3)).status_code == 403


class TestDeclineAndWithdrawPages:
    def test_declining_without_a_comment_is_refused_with_a_message(self, client, world):
        cast, _agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        client.force_login(cast.carol)
        page = client.post(url("signing_decline", v3), {"comment": ""}).content.decode()
        assert "A comment is required to decline." in page
        response = client.post(url("signing_decline", v3), {"comment": "Too short a window."})
        assert response.status_code == 302
        v3.refresh_from_db()
        assert v3.status == VersionStatus.DRAFT

    def test_only_the_sender_sees_withdraw(self, client, world):
        cast, _agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        client.force_login(cast.carol)
        assert client.get(url("signing_withdraw", v3)).status_code == 403
        client.force_login(cast.alice)
        assert client.post(url("signing_withdraw", v3), {"comment": ""}).status_code == 302
        v3.refresh_from_db()
        assert v3.status == VersionStatus.DRAFT


@pytest.fixture
def signed(world):
    cast, agreement, v2, v3 = world
    version_send_for_signature(version=v3, actor=cast.alice)
    sign(v3, cast.carol)
    sign(v3, cast.alice)
    v3.refresh_from_db()
    return cast, agreement, v3


class TestCertificateAndExport:
    def test_the_certificate_page_names_every_signer_and_the_hash(self, client, signed):
        cast, _agreement, v3 = signed
        client.force_login(cast.bob)
        page = client.get(url("signing_certificate", v3)).content.decode()
        assert "Seal intact" in page
        assert v3.content_hash in page
        assert "Alice Anders" in page and "Carol Cruz" in page
        assert "203.0.113.7" in page

    def test_the_certificate_pdf_names_both_signers(self, client, signed):
        cast, _agreement, v3 = signed
        client.force_login(cast.erin)
        response = client.get(url("signing_certificate_pdf", v3))
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        text = pdf_text(response.content)
        assert "Alice Anders" in text and "Carol Cruz" in text

    def test_no_certificate_for_an_unsigned_version(self, client, world):
        cast, _agreement, _v2, v3 = world
        client.force_login(cast.alice)
        assert client.get(url("signing_certificate", v3)).status_code == 404

    def test_the_export_is_the_canonical_json_whose_sha256_is_the_signed_hash(self, client, signed):
        cast, _agreement, v3 = signed
        client.force_login(cast.alice)
        response = client.get(url("signing_export_json", v3))
        assert hashlib.sha256(response.content).hexdigest() == v3.content_hash
        document = client.get(url("signing_document_pdf", v3))
        assert document.content.startswith(b"%PDF")

    def test_a_tampered_version_shows_a_broken_seal(self, client, signed):
        cast, _agreement, v3 = signed
        # Tampering bypasses the portal (which refuses any change to a signed version).
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE slas_term SET definition = %s WHERE version_id = %s AND term = %s",
                ["Anything goes.", v3.pk, "MQL"],
            )
        client.force_login(cast.alice)
        assert "Seal broken" in client.get(url("signing_certificate", v3)).content.decode()


class TestVerifyPage:
    def test_an_exported_file_matches_and_names_the_signers(self, client, signed):
        cast, _agreement, v3 = signed
        client.force_login(cast.bob)
        data = version_export_bytes(v3)
        upload = SimpleUploadedFile("v3.json", data, content_type="application/json")
        page = client.post(reverse("slas:signing_verify"), {"document": upload}).content.decode()
        assert "Match: this is exactly" in page
        assert "Alice Anders" in page and "Carol Cruz" in page

    def test_any_altered_byte_fails(self, client, signed):
        cast, _agreement, v3 = signed
        client.force_login(cast.bob)
        data = bytearray(version_export_bytes(v3))
        position = data.index(b"16")
        data[position] = ord("2")
        upload = SimpleUploadedFile("v3.json", bytes(data))
        page = client.post(reverse("slas:signing_verify"), {"document": upload}).content.decode()
        assert "No match" in page
        spaced = SimpleUploadedFile("v3.json", version_export_bytes(v3) + b" ")
        page = client.post(reverse("slas:signing_verify"), {"document": spaced}).content.decode()
        assert "No match" in page

    @pytest.mark.parametrize(
        "download", ["signing_document_pdf", "signing_certificate_pdf", "signing_export_json"]
    )
    def test_every_file_handed_out_for_a_signed_version_verifies_as_a_match(
        self, client, signed, download
    ):
        # given a file downloaded from the certificate page, unchanged
        cast, _agreement, v3 = signed
        client.force_login(cast.bob)
        data = client.get(url(download, v3)).content
        # when it is uploaded to the verify page
        upload = SimpleUploadedFile("copy", data)
        page = client.post(reverse("slas:signing_verify"), {"document": upload}).content.decode()
        # then
        assert "Match: this is exactly" in page
        assert "Alice Anders" in page and "Carol Cruz" in page
        assert ('data-testid="verified-copy"' in page) == download.endswith("_pdf")

    @pytest.mark.parametrize(
        "download", ["signing_document_pdf", "signing_certificate_pdf", "signing_export_json"]
    )
    def test_one_changed_byte_in_a_handed_out_file_is_no_match(self, client, signed, download):
        # given a downloaded file with one byte changed (in the middle, where the text is)
        cast, _agreement, v3 = signed
        client.force_login(cast.bob)
        data = bytearray(client.get(url(download, v3)).content)
        data[len(data) // 2] ^= 0x01
        # when
        upload = SimpleUploadedFile("copy", bytes(data))
        page = client.post(reverse("slas:signing_verify"), {"document": upload}).content.decode()
        # then
        assert "No match" in page

    def test_a_pdf_of_a_version_the_user_cannot_see_is_not_revealed(self, client, signed):
        # given bob downloads the document PDF, and mallory (no access) gets hold of it
        cast, _agreement, v3 = signed
        client.force_login(cast.bob)
        data = client.get(url("signing_document_pdf", v3)).content
        client.force_login(cast.mallory)
        # when
        upload = SimpleUploadedFile("copy.pdf", data)
        by_file = client.post(reverse("slas:signing_verify"), {"document": upload})
        by_hash = client.post(
            reverse("slas:signing_verify"), {"content_hash": hashlib.sha256(data).hexdigest()}
        )
        # then
        assert "No match" in by_file.content.decode()
        assert "No match" in by_hash.content.decode()

    def test_downloading_a_pdf_twice_gives_the_same_file(self, client, signed):
        # given
        cast, _agreement, v3 = signed
        client.force_login(cast.erin)
        # when
        first = client.get(url("signing_document_pdf", v3)).content
        second = client.get(url("signing_document_pdf", v3)).content
        # then
        assert first == second

    def test_a_pasted_hash_matches(self, client, signed):
        cast, _agreement, v3 = signed
        client.force_login(cast.erin)
        page = client.post(
            reverse("slas:signing_verify"), {"content_hash": v3.content_hash.upper()}
        ).content.decode()
        assert "Match: this is exactly" in page

    def test_a_version_the_user_cannot_see_is_not_revealed(self, client, signed):
        cast, _agreement, v3 = signed
        client.force_login(cast.mallory)
        page = client.post(
            reverse("slas:signing_verify"), {"content_hash": v3.content_hash}
        ).content.decode()
        assert "No match" in page

    def test_an_empty_form_is_explained(self, client, cast):
        client.force_login(cast.bob)
        page = client.post(reverse("slas:signing_verify"), {}).content.decode()
        assert "Upload an exported file or paste a content hash." in page


class TestAuditPage:
    def test_the_audit_page_says_intact_then_broken(self, client, signed):
        cast, agreement, _v3 = signed
        client.force_login(cast.erin)
        audit_url = reverse("slas:signing_audit", args=[agreement.pk])
        assert "Chain intact: 5 entries verified." in client.get(audit_url).content.decode()
        AuditEntry.objects.filter(agreement=agreement, seq=2).update(actor_name="Somebody")
        page = client.get(audit_url).content.decode()
        assert re.search(r"Chain broken at entry 2", page)
        assert not audit_verify(agreement=agreement).intact

    def test_the_details_are_labelled_in_words_not_raw_keys(self, client, signed):
        # given
        cast, agreement, _v3 = signed
        client.force_login(cast.erin)
        # when
        page = client.get(reverse("slas:signing_audit", args=[agreement.pk])).content.decode()
        # then
        assert "Typed name:</span> Carol Cruz" in page
        assert "Signing order:</span> Parallel: everyone may sign at once" in page
        assert "Signatories:</span> Marketing, Sales" in page
        assert "full_name:" not in page and "content_hash:" not in page

    def test_mallory_cannot_see_the_audit_log(self, client, signed):
        cast, agreement, _v3 = signed
        client.force_login(cast.mallory)
        audit_url = reverse("slas:signing_audit", args=[agreement.pk])
        assert client.get(audit_url).status_code == 404

    def test_the_audit_page_query_count_does_not_grow_with_entries(
        self, client, signed, django_assert_max_num_queries
    ):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from slas.audit.chain import audit_append

        cast, agreement, v3 = signed
        client.force_login(cast.erin)
        audit_url = reverse("slas:signing_audit", args=[agreement.pk])
        with CaptureQueriesContext(connection) as small:
            client.get(audit_url)
        for _ in range(20):
            audit_append(agreement=agreement, action="viewed", actor=cast.alice, version=v3)
        with CaptureQueriesContext(connection) as large:
            client.get(audit_url)
        assert len(large.captured_queries) == len(small.captured_queries)


class TestVersionPanelAndHome:
    def test_the_version_page_shows_the_signing_panel(self, client, world):
        cast, _agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        client.force_login(cast.carol)
        page = client.get(v3.get_absolute_url()).content.decode()
        assert 'data-testid="signing-panel"' in page
        assert url("signing_sign", v3) in page

    def test_the_panel_query_count_does_not_grow_with_signatures(self, client, world):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        cast, _agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        client.force_login(cast.erin)
        with CaptureQueriesContext(connection) as before:
            client.get(v3.get_absolute_url())
        sign(v3, cast.carol)
        with CaptureQueriesContext(connection) as after:
            client.get(v3.get_absolute_url())
        assert len(after.captured_queries) == len(before.captured_queries)

    @pytest.mark.parametrize("others", [0, 10], ids=["all-summarised", "more-than-summarised"])
    def test_home_versions_being_signed_come_from_the_agreements_summary_when_it_is_all(
        self, world, others, django_assert_num_queries
    ):
        # given a version being signed, and (or not) ten agreements whose titles come first
        cast, agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        for n in range(others):
            AgreementFactory(title=f"A{n:02} agreement").parties.set([cast.marketing])
        # when the agreement area's home sections are read for a rep of both parties' pair
        shown = {s.title: s for s in slas_home.sections(cast.bob)}
        # then the versions being signed are those the signing selectors read by themselves
        alone = {s.title: s for s in signing_home.sections(cast.bob)}
        flight = [(i.title, i.detail, i.badge) for i in shown["Versions being signed"].items]
        assert flight == [
            (i.title, i.detail, i.badge) for i in alone["Versions being signed"].items
        ]
        assert [title for title, _detail, _badge in flight] == [str(v3)]
        assert len(shown["Agreements"].items) == min(others + 1, slas_home.SUMMARY)
        # and they cost no query of their own when the summary holds every agreement
        with django_assert_num_queries(6 if others else 5):
            slas_home.sections(cast.bob)

    def test_home_sections_awaiting_my_signature_and_versions_in_flight(self, world):
        cast, _agreement, _v2, v3 = world
        version_send_for_signature(version=v3, actor=cast.alice)
        carol = {s.title: s for s in signing_home.sections(cast.carol)}
        assert [i.title for i in carol["Awaiting my signature"].items] == [str(v3)]
        assert carol["Signing news"].items
        bob = {s.title: s for s in signing_home.sections(cast.bob)}
        assert "Awaiting my signature" not in bob
        assert [i.title for i in bob["Versions being signed"].items] == [str(v3)]
        erin = {s.title: s for s in signing_home.sections(cast.erin)}
        assert [i.title for i in erin["Versions being signed"].items] == [str(v3)]
        mallory = {s.title: s for s in signing_home.sections(cast.mallory)}
        assert "Versions being signed" not in mallory
        sign(v3, cast.carol)
        carol = {s.title: s for s in signing_home.sections(cast.carol)}
        assert carol["Awaiting my signature"].items == []
