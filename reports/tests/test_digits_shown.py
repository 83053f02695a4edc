"""Numbers in Arabic and Persian pages are written in the language's digits (issue 20):
the counts inside translated sentences ("بأقل من ٦ محاولات", plural forms included), the
figures in tables and charts, the monthly report's page and PDF. Only what must stay
Latin does: identifiers (a version "v2", an external id), and what is not read as text
(URLs, ISO 8601 values in attributes), which this check does not look at."""

import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from leads.models import Lead
from portal import numbers
from portal.tests.pdftext import pdf_text
from reports.tests.factories import local
from reports.tests.test_incentives import paying_version
from reports.tests.test_process_views import mapped  # noqa: F401 - the fixture
from reports.tests.test_views import get, world  # noqa: F401 - the fixture
from slas import services
from slas.tests.factories import agreement_with_draft, fill_draft

RTL = ["ar", "fa"]
# A run of ASCII digits (with its separators) that is not part of a word written in
# Latin letters: "6", "1,250", "14:05", "2026-03" are numbers a reader reads; "v2",
# "SHA-256", "Q0", "alice@example.com" are names and stay as they are.
LATIN_NUMBER = re.compile(r"(?<![A-Za-z0-9@._/#-])[0-9][0-9.,:/\-]*(?![A-Za-z0-9@_])")


class _Text(HTMLParser):
    """The text a person reads: text nodes outside scripts, styles and code."""

    SKIP = {"script", "style", "code", "pre", "textarea"}

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth and data.strip():
            self.parts.append(data.strip())


def latin_numbers(text_parts: list[str]) -> list[str]:
    return [part for part in text_parts if LATIN_NUMBER.search(part)]


def in_context(parts: list[str]) -> set[str]:
    """Each Latin number found, with a few characters around it (for the failure)."""
    return {
        part[max(0, m.start() - 25) : m.end() + 25]
        for part in parts
        for m in LATIN_NUMBER.finditer(part)
    }


def page_text(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.parts


def test_the_check_finds_latin_digits_in_a_sentence_and_leaves_names_alone():
    # a sanity check of the check itself
    assert latin_numbers(["بأقل من 6 محاولات", "۱۲ سرنخ", "12:30", "1,250"]) == [
        "بأقل من 6 محاولات",
        "12:30",
        "1,250",
    ]
    assert latin_numbers(["v2", "SHA-256", "Q0", "alice@example.com", "٦ محاولات"]) == []


@pytest.mark.django_db
@pytest.mark.parametrize("lang", RTL)
def test_pages_write_every_number_in_the_languages_digits(client, cast, world, lang):  # noqa: F811
    # given an agreement with handed-off leads, a rejection and a monthly report
    agreement, _v1, v2, _draft, leads = world
    Lead.objects.update(company="Acme")  # the factory's "Company 1" is data, not a number
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    pages = {
        "home": (cast.erin, "/"),
        "queue": (cast.dan, reverse("leads:queue")),
        "team queue": (cast.carol, reverse("leads:team_queue")),
        "lead": (cast.carol, leads["late"].get_absolute_url()),
        "compliance": (cast.erin, reverse("reports:version", args=[v2.pk])),
        "compliance index": (cast.erin, reverse("reports:index")),
        "monthly": (cast.erin, reverse("reports:monthly", args=[agreement.pk, "2026-03"])),
    }
    found = {}
    # when each is read in the language
    for name, (user, url) in pages.items():
        response = get(client, user, url)
        assert response.status_code == 200, (name, response.status_code)
        latin = in_context(latin_numbers(page_text(response.content.decode())))
        if latin:
            found[name] = sorted(latin)
    # then no number is written in Latin digits
    assert found == {}


@pytest.mark.django_db
@pytest.mark.parametrize("lang", RTL)
def test_the_monthly_pdf_writes_its_numbers_in_the_languages_digits(client, cast, world, lang):  # noqa: F811
    agreement = world[0]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    response = get(
        client, cast.erin, reverse("reports:monthly_pdf", args=[agreement.pk, "2026-03"])
    )
    text = pdf_text(response.content)
    assert in_context(latin_numbers([text])) == set(), text


def test_no_template_prints_a_plural_count_as_it_is():
    # Django writes a blocktranslate's `count` value with Latin digits; a template shows
    # the count through `number` instead, keeping the msgid:
    # {% blocktranslate count counted=n with n=n|number %}{{ n }} lead{% plural %}...
    tag = re.compile(
        r"\{% blocktranslate count (\w+)=[^%]*%\}(.*?)\{% endblocktranslate %\}", re.DOTALL
    )
    raw = [
        f"{path.relative_to(settings.BASE_DIR)}: {match.group(0)[:80]}"
        for path in sorted((Path(settings.BASE_DIR) / "templates").rglob("*.*"))
        for match in tag.finditer(path.read_text(encoding="utf-8"))
        if "{{ " + match.group(1) + " }}" in match.group(2)
    ]
    assert raw == []


def _latin_on(client, user, url) -> list[str]:
    response = get(client, user, url)
    assert response.status_code == 200, (url, response.status_code)
    return sorted(in_context(latin_numbers(page_text(response.content.decode()))))


@pytest.mark.django_db
@pytest.mark.parametrize("lang", RTL)
def test_the_compliance_page_writes_its_scores_and_process_map_in_the_languages_digits(
    client,
    cast,
    mapped,  # noqa: F811
    lang,
):
    # given a version with process steps (one with a step SLA) and scored leads in March
    version, _steps, _leads = mapped
    Lead.objects.update(company="Acme")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    url = reverse("reports:version", args=[version.pk])
    # when its compliance page is read on March (the flowchart's period) and on the current one
    found = {
        period: _latin_on(client, cast.erin, f"{url}?period={period}")
        for period in ("2026-03", "2026-04")
    }
    # then the rates, fractions, step numbers, hours, counts and labels are the language's
    assert found == {"2026-03": [], "2026-04": []}


@pytest.mark.django_db
@pytest.mark.parametrize("lang", RTL)
def test_the_version_document_writes_its_generated_numbers_in_the_languages_digits(
    client, cast, lang
):
    # given a filled draft with an escalation ladder and a rate with a decimal
    agreement = agreement_with_draft(cast)
    draft = fill_draft(agreement.versions.get(number=1), cast)
    # (a new version starts with the default ladder: 50%, 100%, 150%)
    assert draft.escalation_steps.exists()
    services.version_part_create(
        actor=cast.alice,
        version=draft,
        part="commitments",
        data={
            "owner_team": cast.sales,
            "kind": "conversion_rate",
            "params": {"from_stage": "sql", "to_stage": "opportunity"},
            "target": Decimal("2.5"),
            "period": "quarter",
        },
    )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    client.force_login(cast.erin)
    html = client.get(reverse("slas:version_detail", args=[draft.pk])).content.decode()
    document = html[html.index('<article class="document') :]
    parts = page_text(document)
    # then the section numbers, percentages and amounts are the language's; user text
    # ("First **Tuesday**", "Christmas") has no digits to check
    assert sorted(in_context(latin_numbers(parts))) == [], sorted(in_context(latin_numbers(parts)))
    # and a percentage takes the language's percent sign
    assert numbers.percent(Decimal("2.5"), language=lang) in document
    assert numbers.number(Decimal("2.5"), language=lang) + "%" not in document


@pytest.mark.django_db
@pytest.mark.parametrize("lang", RTL)
def test_the_monthly_incentives_write_their_amounts_in_the_languages_digits(client, cast, lang):
    # given a version whose incentive rules paid in April
    version = paying_version(cast)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    client.force_login(cast.alice)
    url = reverse("reports:monthly", args=[version.agreement_id, "2026-04"])
    with time_machine.travel(local(5, 4, 9), tick=False):
        html = client.get(url).content.decode()
    table = html[html.index('data-testid="monthly-incentives"') :]
    table = table[: table.index("</section>")]
    # then the amounts are written in the language's digits
    assert sorted(in_context(latin_numbers(page_text(table)))) == []
    assert numbers.number(Decimal("1525"), 2, language=lang) in table


@pytest.mark.django_db
@pytest.mark.parametrize("lang", RTL)
def test_the_monthly_pdf_writes_its_incentive_amounts_in_the_languages_digits(client, cast, lang):
    # given a version whose incentive rules paid in April, and one more deal won in May
    version = paying_version(cast)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    client.force_login(cast.alice)
    # when April's PDF is read, and May's while the month is running (a projection)
    texts = []
    for label, now in (("2026-04", local(5, 4, 9)), ("2026-05", local(5, 16, 0))):
        url = reverse("reports:monthly_pdf", args=[version.agreement_id, label])
        with time_machine.travel(now, tick=False):
            texts.append(pdf_text(client.get(url).content))
    text = "\n".join(texts)
    # then the amounts are written in the language's digits, and the CSV stays plain
    assert "R1" in text and "Shared incentives" not in text  # the table, in the language
    assert in_context(latin_numbers([text])) == set(), text


@pytest.mark.django_db
@pytest.mark.parametrize("lang", RTL)
def test_the_incentives_pages_write_periods_and_counts_in_the_languages_digits(client, cast, lang):
    # given a version whose incentive rules paid in April
    version = paying_version(cast)
    Lead.objects.update(company="Acme", first_name="Ann", last_name="Lee")
    rule = version.incentives.get(name="R1")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    pages = {
        "incentives": reverse("reports:incentives", args=[version.pk]) + "?period=2026-04",
        "deals": reverse("reports:incentive_leads", args=[version.pk, rule.pk, "2026-04"]),
    }
    found = {}
    # when its incentives page and a rule's deals are read
    with time_machine.travel(local(5, 4, 9), tick=False):
        for name, url in pages.items():
            client.force_login(cast.alice)
            response = client.get(url)
            assert response.status_code == 200, name
            latin = in_context(latin_numbers(page_text(response.content.decode())))
            if latin:
                found[name] = sorted(latin)
    # then the periods and the counted deals are in the language's digits
    assert found == {}
