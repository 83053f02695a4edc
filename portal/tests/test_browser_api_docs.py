import pytest

from portal.demo import DEMO_PASSWORD
from portal.tests.browser import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_interactive_api_docs_render_under_the_content_security_policy(page, cast):
    violations = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    login(page, "alice", DEMO_PASSWORD)
    page.goto("/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "SLA portal API" in page.inner_text(".swagger-ui .info .title")
    screenshot(page, "api-docs")
    assert violations == []
