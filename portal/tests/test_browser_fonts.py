"""The pages bring their own fonts (portal/fonts.py, served as static files): Japanese,
Arabic and Persian read on a machine that has no such fonts installed."""

import pytest
from django.conf import settings

from portal.tests.browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOADED_FAMILIES = """() => document.fonts.ready.then(
  () => [...document.fonts].filter((f) => f.status === "loaded").map((f) => f.family)
)"""


@pytest.mark.parametrize(
    "lang,family,text",
    [("ja", "Noto Sans CJK JP", "サインイン"), ("fa", "IBM Plex Sans Arabic", "ورود")],
)
def test_the_sign_in_page_loads_the_portals_font_for_its_script(
    page, live_server, lang, family, text
):
    # given a visitor who reads Japanese or Persian
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": lang, "url": live_server.url}]
    )
    # when the sign-in page is shown
    page.goto("/accounts/login/")
    assert text in page.inner_text("body")
    # then the browser drew it in the portal's own font, fetched from the static files
    loaded = page.evaluate(LOADED_FAMILIES)
    assert family.strip('"') in [name.strip('"') for name in loaded], loaded
    screenshot(page, f"sign-in-{lang}-fonts")
