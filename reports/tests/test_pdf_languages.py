"""The monthly report's PDF in every language (issue 20): its sections and charts read
back as text, in the portal's fonts, with no missing glyph."""

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from portal import numbers
from portal.tests.pdftext import (
    embedded_fonts,
    find_in_order,
    foreign_fonts,
    has_words,
    missing_glyphs,
    normalized,
    pdf_text,
    uncovered,
)
from reports.tests.test_views import NOW, get, world  # noqa: F401 - the fixture

LANGUAGES = ["en", "ar", "fa", "ja", "ro"]
SCRIPT = {"ar": "\u0600-\u06ff", "fa": "\u0600-\u06ff", "ja": "\u3040-\u30ff\u4e00-\u9fff"}


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_monthly_pdf_reads_in_every_language_with_its_charts(client, cast, world, lang):  # noqa: F811
    agreement = world[0]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    with missing_glyphs() as boxes:
        response = get(
            client, cast.erin, reverse("reports:monthly_pdf", args=[agreement.pk, "2026-03"])
        )
    assert response.status_code == 200
    data = response.content
    assert boxes == [], boxes
    text = pdf_text(data)
    with translation.override(lang):
        expected = [
            _("Funnel of the month's handoffs"),
            _("Stage"),
            _("Scorecards"),
            _("Commitment"),
            _("Top rejection reasons"),
            _("Lead-quality feedback"),
        ]
        trend_title = _("%(team)s · v%(n)s: rates by period")
    # the sections in order, Arabic and Persian in logical order, in the language's script
    assert not find_in_order(text, expected), text
    if lang in SCRIPT:
        assert re.search(f"[{SCRIPT[lang]}]", text)
    # the charts are there: the trend charts' titles (their words, around the team's name)
    assert has_words(text, re.sub(r"%\(\w+\)s", " ", trend_title)), (trend_title, text)
    with translation.override(lang):
        axis = [normalized(numbers.percent(0)), normalized(numbers.percent(100))]
    assert axis[0] in text and axis[1] in text, axis
    # only the portal's fonts, covering every character
    assert foreign_fonts(data) == set(), embedded_fonts(data)
    assert uncovered(text) == set()
