"""The signed version's PDFs in every language (issue 20): the certificate of completion
and the document (the PDF export of the signed content), read back as text."""

import hashlib
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from portal import dates, numbers
from portal.models import Role
from portal.tests.pdftext import (
    embedded_fonts,
    find_in_order,
    foreign_fonts,
    missing_glyphs,
    pdf_text,
    uncovered,
)
from slas.signing.models import IssuedCopy
from slas.signing.seal import version_part_relations
from slas.signing.services import version_send_for_signature
from slas.tests.signing_factories import marketing_sales
from slas.tests.test_signing_services import sign

pytestmark = pytest.mark.django_db

LANGUAGES = ["en", "ar", "fa", "ja", "ro"]
SCRIPT = {"ar": "\u0600-\u06ff", "fa": "\u0600-\u06ff", "ja": "\u3040-\u30ff\u4e00-\u9fff"}


@pytest.fixture
def signed(cast):
    _agreement, _v2, v3 = marketing_sales(cast)
    version_send_for_signature(version=v3, actor=cast.alice)
    sign(v3, cast.carol)
    sign(v3, cast.alice)
    v3.refresh_from_db()
    return cast, v3


def download(client, user, name, version, lang) -> bytes:
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    with missing_glyphs() as boxes:
        response = client.get(reverse(f"slas:{name}", args=[version.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert boxes == [], boxes  # no character drawn as an empty box
    return response.content


def assert_reads(data: bytes, lang: str, expected: list[str]) -> None:
    text = pdf_text(data)
    # the words, in the order they were written (Arabic and Persian in logical order)
    assert not find_in_order(text, expected), text
    # in the language's own script
    if lang in SCRIPT:
        assert re.search(f"[{SCRIPT[lang]}]", text)
    # only the portal's fonts, and they have every character
    assert foreign_fonts(data) == set(), embedded_fonts(data)
    assert uncovered(text) == set()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_certificate_pdf_reads_in_every_language(client, signed, lang):
    cast, v3 = signed
    data = download(client, cast.erin, "signing_certificate_pdf", v3, lang)
    with translation.override(lang):
        expected = [
            _("Certificate of completion"),
            _("Agreement"),
            _("Content hash (SHA-256)"),
            _("Signers"),
            "Carol Cruz",
            _("Audit trail"),
            _("Seal"),
        ]
    assert_reads(data, lang, expected)
    assert v3.content_hash in pdf_text(data).replace(" ", "")  # wrapped anywhere in its cell
    # and the copy handed out is the one recorded for the verify page
    assert IssuedCopy.objects.filter(sha256=hashlib.sha256(data).hexdigest()).exists()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_document_pdf_reads_in_every_language(client, signed, lang):
    cast, v3 = signed
    data = download(client, cast.bob, "signing_document_pdf", v3, lang)
    with translation.override(lang):
        parts = [
            str(capfirst(model._meta.verbose_name_plural))
            for _accessor, model in version_part_relations()
        ]
        expected = [_("Agreement"), _("Parties"), "Marketing", *parts]
    assert_reads(data, lang, expected)


def test_the_same_pdf_comes_out_twice_in_arabic(client, signed):
    cast, v3 = signed
    first = download(client, cast.erin, "signing_document_pdf", v3, "ar")
    second = download(client, cast.erin, "signing_document_pdf", v3, "ar")
    assert first == second


@pytest.mark.parametrize("lang", ["fa", "ar", "ja", "ro"])
def test_the_certificate_writes_its_days_and_roles_in_the_readers_language(client, signed, lang):
    """Seen: the Persian certificate printed 'Effective date 2026-08-28' (Gregorian, Latin
    digits) and the signer's role as the stored code 'manager'."""
    cast, v3 = signed
    text = pdf_text(download(client, cast.erin, "signing_certificate_pdf", v3, lang))
    with translation.override(lang):
        expected = [
            _("Effective date"),
            dates.day(v3.effective_date),
            _("End date"),
            dates.day(v3.end_date),
            str(Role.MANAGER.label),
        ]
    # pypdf reads a run of digits inside right-to-left text backwards ('۱۵' as '۵۱')
    as_read = [re.sub(r"\d+", lambda m: m.group()[::-1], item) for item in expected]
    assert not find_in_order(text, expected) or not find_in_order(text, as_read), text
    assert v3.effective_date.isoformat() not in text
    assert "manager" not in text.split()


def test_the_certificate_page_names_the_role(client, signed):
    cast, v3 = signed
    client.force_login(cast.erin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ro"
    page = client.get(reverse("slas:signing_certificate", args=[v3.pk])).content.decode()
    with translation.override("ro"):
        assert f"<td>{Role.MANAGER.label}</td>" in page


def test_the_document_pdf_writes_numbers_and_times_as_the_reader_does(client, signed):
    """Seen: the Arabic document PDF printed '1000000', '25000' and '09:00:00' (the sealed
    JSON values as they are) beside Arabic text."""
    cast, v3 = signed
    text = pdf_text(download(client, cast.bob, "signing_document_pdf", v3, "ar"))
    assert "09:00:00" not in text
    assert not re.search(r"(?<![\d.])\d{5,}(?![\d.])", re.sub(r"[0-9a-f]{16,}", "", text)), text
    assert v3.revenue_goal_amount
    with translation.override("ar"):
        written = numbers.number(v3.revenue_goal_amount, -2)
    assert "٬" in written
    assert written in text or written[::-1] in text, text


def test_the_document_pdf_keeps_the_capitals_of_its_labels(client, signed):
    """Seen: 'Mql threshold' (English), 'حد mql' (Arabic): str.capitalize() lowered the rest."""
    cast, v3 = signed
    text = pdf_text(download(client, cast.bob, "signing_document_pdf", v3, "en"))
    assert "MQL threshold" in text
    assert "Mql" not in text
