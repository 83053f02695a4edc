"""In the browser: Alice and Carol sign v4 (for later) and then v5 (for today), out of
order; the agreement page, the history and the certificates show the same states."""

import datetime

import pytest
from django.utils import timezone

from portal.tests.browser import screenshot
from slas import services
from slas.signing.services import version_send_for_signature
from slas.tests.signing_factories import marketing_sales
from slas.tests.test_signing_browser import logout, sign_as
from slas.tests.test_signing_services import sign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def draft(agreement, cast, *, effective: datetime.date, summary: str):
    version = services.version_amend(actor=cast.alice, agreement=agreement)
    return services.version_update(
        actor=cast.alice,
        version=version,
        data={
            "effective_date": effective,
            "end_date": effective + datetime.timedelta(days=365),
            "review_date": effective + datetime.timedelta(days=90),
            "change_summary": summary,
        },
    )


def states_on(page, rows: str, number: str) -> dict[str, str]:
    """{"v5": "in_force", ...} from the rows of a page: each row names a version and shows
    its state badge."""
    found = {}
    for row in page.locator(rows).all():
        found[row.locator(number).first.inner_text().strip()] = row.locator(
            "[data-state]"
        ).first.get_attribute("data-state")
    return found


def test_versions_signed_out_of_order_read_the_same_everywhere(page, cast):
    # given v3 in force, v4 sent for signature to take force in 20 days
    today = timezone.localdate()
    agreement, _v2, v3 = marketing_sales(cast)
    version_send_for_signature(version=v3, actor=cast.alice)
    sign(v3, cast.carol)
    sign(v3, cast.alice)
    v4 = draft(
        agreement, cast, effective=today + datetime.timedelta(days=20), summary="Next quarter."
    )
    version_send_for_signature(version=v4, actor=cast.alice)

    # when Alice and Carol sign v4: it is scheduled
    sign_as(page, v4, "alice", "Alice Anders")
    logout(page)
    sign_as(page, v4, "carol", "Carol Cruz")
    assert "takes force on" in page.inner_text(".message.success")
    page.goto(v4.get_absolute_url())
    assert page.get_attribute("[data-testid=version-status]", "data-state") == "scheduled"
    logout(page)
    # and then v5, drafted from v3 (in force) to take force today, is signed too
    v5 = draft(agreement, cast, effective=today, summary="Faster first contact, now.")
    version_send_for_signature(version=v5, actor=cast.alice)
    sign_as(page, v5, "carol", "Carol Cruz")
    logout(page)
    sign_as(page, v5, "alice", "Alice Anders")
    assert "in force" in page.inner_text(".message.success")

    # then the agreement page, the history and the certificates say the same
    expected = {
        "v2": "superseded",
        "v3": "superseded",
        "v4": "voided",
        "v5": "in_force",
    }
    page.goto(agreement.get_absolute_url())
    assert states_on(page, "[data-testid=versions] tbody tr", "td strong") == expected
    screenshot(page, "version-states-agreement")
    page.goto(f"/agreements/{agreement.pk}/history/")
    assert states_on(page, "ol.version-strip li", "a") == expected
    screenshot(page, "version-states-history")
    for version, state in ((v4, "voided"), (v5, "in_force")):
        page.goto(f"/agreements/versions/{version.pk}/certificate/")
        assert page.get_attribute("[data-testid=certificate-state]", "data-state") == state
    # v4's certificate: both signatures voided, and it never took force
    assert page.locator("[data-testid=signature-voided]").count() == 0  # (v5's page)
    page.goto(f"/agreements/versions/{v4.pk}/certificate/")
    assert page.locator("[data-testid=signature-voided]").count() == 2
    assert "never" in page.inner_text("dl.kv")
    screenshot(page, "version-states-certificate-voided")
    # and a tap (focus) on a badge shows its one-line explanation
    badge = page.locator("[data-testid=certificate-state]")
    tip = badge.locator(".state-tip")
    assert tip.bounding_box()["width"] <= 1
    badge.focus()
    assert "newer version took force first" in tip.inner_text()
    assert tip.bounding_box()["width"] > 50
