"""Alice, on a phone-sized screen, reorders two commitments with the keyboard, saves, and
sends the draft for signature with her own reminder and expiry."""

import pytest

from portal.demo import DEMO_PASSWORD
from portal.tests.browser import login, screenshot
from slas import services
from slas.models import Agreement, VersionStatus
from slas.tests.factories import activate, agreement_with_draft, fill_draft

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = (
    "Marketing hands sales at least this many marketing-qualified leads every month, "
    "each with its score, source, company and the pages the person read, so that a rep "
    "can call with context on the first attempt."
)


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_alice_reorders_commitments_with_the_keyboard_on_a_phone_and_sends_the_draft(page, cast):
    # given v1 in force and a draft v2 with two commitments (MQL volume, then first contact)
    agreement = agreement_with_draft(cast)
    v1 = activate(fill_draft(agreement.versions.get(), cast))
    v2 = services.version_amend(actor=cast.alice, agreement=agreement)
    volume = v2.commitments.get(kind="mql_volume")
    services.version_edit(
        actor=cast.alice,
        version=v2,
        expected_revision=None,
        fields={"change_summary": "Speed before volume."},
        update=[(volume, {"description": LONG})],
    )
    assert v1.status == VersionStatus.ACTIVE
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "alice", DEMO_PASSWORD)
    page.goto(f"/agreements/versions/{v2.pk}/edit/kpis/")
    cards = page.locator(".commitment-card[data-commitment-kind]:not([hidden])")
    assert cards.nth(0).get_attribute("data-commitment-kind") == "mql_volume"
    assert _no_sideways_scroll(page)
    # the description shows all its text, and the target reads as a count
    description = cards.nth(0).locator("textarea")
    assert description.evaluate("el => el.scrollHeight <= el.clientHeight + 1")
    assert cards.nth(0).locator("input[name$='-target']").input_value() == "100"
    screenshot(page, "commitments-editor-390")

    # when she tabs from the first card's "Up" to its "Down" button and presses Enter
    cards.nth(0).locator("[data-move=up]").focus()
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "[document.activeElement.dataset.move, document.activeElement.closest('li').id]"
    )
    assert focused == ["down", "card-commitments-0"]
    page.keyboard.press("Enter")

    # then the card moved, the focus stayed on its button, and a screen reader hears it
    assert cards.nth(0).get_attribute("data-commitment-kind") == "first_contact_within"
    assert cards.nth(1).get_attribute("data-commitment-kind") == "mql_volume"
    assert page.evaluate("document.activeElement.closest('li').id") == "card-commitments-0"
    assert "Moved to place 2 of 2" in page.locator("[data-reorder-status]").inner_text()
    assert page.url.endswith("/edit/kpis/")  # moved in place, nothing sent yet

    # she saves with a reason; the order persists
    page.fill("#id_edit_reason", "Speed comes first.")
    page.click("[data-testid=save]")
    assert "saved" in page.locator(".messages").inner_text()
    assert [c.kind for c in v2.commitments.all()] == ["first_contact_within", "mql_volume"]
    assert cards.nth(0).get_attribute("data-commitment-kind") == "first_contact_within"

    # and sends the draft with a reminder after 2 days, then every day, expiring in 10 days
    page.goto(f"/agreements/versions/{v2.pk}/send/")
    assert _no_sideways_scroll(page)
    page.fill("#id_reminder_after_days", "2")
    page.fill("#id_reminder_every_days", "1")
    page.fill("#id_request_expiry_days", "10")
    screenshot(page, "send-for-signature-390")
    page.click("[data-testid=send-button]")
    page.wait_for_selector(".message.success")
    v2.refresh_from_db()
    assert v2.status == VersionStatus.PENDING_SIGNATURE
    agreement = Agreement.objects.get(pk=agreement.pk)
    assert (
        agreement.reminder_after_days,
        agreement.reminder_every_days,
        agreement.request_expiry_days,
    ) == (2, 1, 10)
    assert [c.kind for c in v2.commitments.all()] == ["first_contact_within", "mql_volume"]
