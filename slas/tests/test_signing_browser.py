"""In the browser: Alice sends v3, Carol and Alice sign, v3 is in force, the certificate names both."""

import pytest

from portal.demo import DEMO_PASSWORD
from portal.tests.browser import login, screenshot
from portal.tests.pdftext import pdf_text
from slas.models import VersionStatus
from slas.tests.signing_factories import marketing_sales

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def logout(page):
    page.click("button:has-text('Sign out')")
    page.wait_for_url("**/accounts/login/**")


def sign_as(page, version, username, full_name):
    login(page, username, DEMO_PASSWORD)
    page.goto(version.get_absolute_url())
    page.click("[data-testid=sign-link]")
    page.wait_for_selector("[data-testid=sign-form]")
    page.check("#id_consent")
    page.fill("#id_full_name", full_name)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("[data-testid=sign-button]")
    page.wait_for_selector(".message.success")


def test_alice_sends_carol_and_alice_sign_and_the_certificate_names_both(page, cast):
    # given
    _agreement, v2, v3 = marketing_sales(cast)
    # when Alice sends version 3
    login(page, "alice", DEMO_PASSWORD)
    page.goto(v3.get_absolute_url())
    page.click("text=Send for signature")
    screenshot(page, "signing-send")
    page.click("[data-testid=send-button]")
    page.wait_for_selector("[data-testid=signing-panel] >> text=Awaiting signatures")
    logout(page)
    # and Carol signs, after one mistake
    login(page, "carol", DEMO_PASSWORD)
    page.goto(v3.get_absolute_url())
    page.click("[data-testid=sign-link]")
    page.check("#id_consent")
    page.fill("#id_full_name", "Carol Cruz")
    page.fill("#id_password", "not-my-password")
    page.click("[data-testid=sign-button]")
    page.wait_for_selector("text=That is not your password")
    assert page.input_value("#id_full_name") == "Carol Cruz"
    screenshot(page, "signing-sign-error")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("[data-testid=sign-button]")
    page.wait_for_selector(".message.success")
    screenshot(page, "signing-panel-carol-signed")
    logout(page)
    # and Alice signs last
    sign_as(page, v3, "alice", "Alice Anders")
    # then version 3 is active and version 2 superseded
    assert "in force" in page.inner_text(".message.success")
    v2.refresh_from_db()
    v3.refresh_from_db()
    assert v3.status == VersionStatus.ACTIVE
    assert v2.status == VersionStatus.SUPERSEDED
    assert v2.in_force_until == v3.in_force_from
    # and the certificate PDF downloads and names both signers
    page.click("[data-testid=certificate-link]")
    assert page.locator("[data-testid=signer]").count() == 2
    screenshot(page, "signing-certificate")
    with page.expect_download() as download_info:
        page.click("[data-testid=certificate-pdf]")
    pdf = open(download_info.value.path(), "rb").read()  # noqa: SIM115
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "Alice Anders" in text and "Carol Cruz" in text
    # and the document PDF, downloaded from the certificate page, verifies as a match
    with page.expect_download() as download_info:
        page.click("[data-testid=document-pdf]")
    page.goto("/agreements/verify/")
    page.set_input_files("#id_document", download_info.value.path())
    page.click("button:has-text('Verify')")
    assert "Match: this is exactly" in page.inner_text("[data-testid=verdict]")
    assert page.locator("[data-testid=verified-copy]").count() == 1
    screenshot(page, "signing-verify-document-pdf")
    page.goto(f"/agreements/{v3.agreement_id}/audit/")
    assert "Chain intact" in page.inner_text("[data-testid=chain]")
    screenshot(page, "signing-audit")


def test_the_signing_page_and_verify_page_look_right(page, cast):
    from slas.signing.services import version_send_for_signature

    _agreement, _v2, v3 = marketing_sales(cast)
    version_send_for_signature(version=v3, actor=cast.alice, signers=[cast.erin])
    login(page, "carol", DEMO_PASSWORD)
    page.goto(f"/agreements/versions/{v3.pk}/sign/")
    screenshot(page, "signing-sign")
    v3.refresh_from_db()
    assert page.locator("[data-testid=content-hash]").inner_text() == v3.content_hash
    page.goto("/agreements/verify/")
    page.fill("#id_content_hash", "0" * 64)
    page.click("button:has-text('Verify')")
    page.wait_for_selector("[data-testid=verdict]")
    screenshot(page, "signing-verify")
