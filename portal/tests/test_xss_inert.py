"""An XSS payload in every free-text field is inert on every page it appears (issue 9).

The world is the authorization matrix's (`World`), so every object a page needs exists.
Then every free-text column of every model of our apps, found through the app registry
so a new model or field is covered without editing this file, is overwritten with a
payload through a plain `QuerySet.update()` (no form, no validation, no draft lock: what
an import, the API, an old row or a bug could leave in the database). Every HTML page of
the matrix is then fetched, with the matrix's objects, by everybody the matrix lets in,
and the answer must carry none of the payload as markup: no `<svg onload`, no
`<script>alert`, no element with an event-handler attribute, no `javascript:` link, and a
strict Content-Security-Policy.

Markdown (section bodies, rendered by `slas.markdown_render`) gets the same payload plus
a `javascript:` link in Markdown syntax and in raw HTML: the sanitiser must drop them.

Spreadsheet formulas in CSV exports: imports neutralise them (`leads/formats.py`, tested
in `leads/tests/test_formats.py` and `test_imports.py`) and the feedback analysis CSV
quotes its labels (`leads/feedback_views._csv_safe`); here every CSV the pages offer is
read after every free-text field was set to a formula, and no cell may start with one.

With Chromium installed, one browser test also opens the lead and agreement pages with a
payload that would set `window.__xss`, and asserts nothing ran and the CSP blocked nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.tests.test_authorization_matrix import MATRIX, SALES_CS_MATRIX, World

OUR_APPS = ("portal", "slas", "leads", "reports")

# Breaks out of a quoted attribute, then tries a tag with a handler, a script, and (for
# unquoted attributes) an event-handler attribute after a space.
PAYLOAD = '"><svg/onload=alert(1)><script>alert(1)</script><img src=x onerror=alert(1)>'
# For Markdown: a link in Markdown syntax and in raw HTML.
MARKDOWN_PAYLOAD = ' [x](javascript:alert(1)) <a href="javascript:alert(1)">y</a>'
# For columns too short for PAYLOAD (the `<svg` part must survive truncation).
SHORT_PAYLOAD = "<svg onload=alert(1)>"
FORMULA = '=HYPERLINK("http://evil.example","x")'

# Columns that are not free text, by name (any model) or as app_label.Model.field, and
# why. Fields with `choices` are skipped too (a value outside them is not displayed raw:
# get_FOO_display), and so are the kinds below (see `_is_free_text`).
NOT_FREE_TEXT = {
    # codes written by the program, never typed: compared with constants, not shown raw
    "kind": "a notification/commitment/compliance kind, a code of the program",
    "clock_stop_kind": "Cycle: how the clock stopped, a code of the engine",
    "status": "a lifecycle code (the ones without `choices` are the engine's)",
    "cadence": "ReviewSession: 'month' or 'quarter', a code",
    "leads.Cycle.rejected_to": "a stage code copied from Lead.stage (choices)",
    "leads.Cycle.sales_recycle_from": "a stage code copied from Lead.stage (choices)",
    "slas.Signature.role": "a role code copied from Membership.role (choices)",
    # identifiers used in URLs or parsed as dates
    "period_label": "YYYY-MM / YYYY-Qn, parsed and used in report URLs",
    "reports.ComplianceResult.label": "a period label (YYYY-MM), used in report URLs",
    # formats validated or parsed by the program: a payload there only breaks parsing
    "calendar_timezone": "an IANA time zone name, parsed by zoneinfo",
    "tz": "ImportJob: an IANA time zone name, parsed by zoneinfo",
    "revenue_goal_currency": "an ISO 4217 code (3 characters: no payload fits)",
    # digests, secrets and keys: generated, never typed, never shown as text
    "content_hash": "a SHA-256 digest",
    "spec_hash": "a SHA-256 digest",
    "prev_hash": "a SHA-256 digest of the audit chain",
    "entry_hash": "a SHA-256 digest of the audit chain",
    "key_hash": "ApiToken: the secret's digest",
    "prefix": "ApiToken: the generated secret's first characters",
    "dedupe_key": "Notification: an idempotency key of the program",
    "seal_key_id": "SigningRound: the seal key's id, hex digits of a SHA-256",
    "seal_signature": "SigningRound: an Ed25519 signature in base64, made by the program",
    # links built with reverse() by the program; javascript: links are checked by markup
    "portal.Notification.url": "built with reverse(), never typed",
}
# Email and URL fields are validated as such by every form and serializer (and neither
# holds "<"); slugs (reason codes) are [-a-z0-9_] only and used as keys.
SKIPPED_KINDS = (models.EmailField, models.URLField, models.SlugField)


def _is_free_text(model, field) -> bool:
    if not isinstance(field, (models.CharField, models.TextField)):
        return False
    if field.choices or isinstance(field, SKIPPED_KINDS):
        return False
    if field.name.startswith("history_") and field.name != "history_change_reason":
        return False  # simple-history's own columns (history_type has choices anyway)
    qualified = f"{model._meta.app_label}.{model.__name__}.{field.name}"
    return field.name not in NOT_FREE_TEXT and qualified not in NOT_FREE_TEXT


def free_text_fields() -> list[tuple[type[models.Model], list[models.Field]]]:
    found = []
    for app in OUR_APPS:
        for model in apps.get_app_config(app).get_models():
            fields = [f for f in model._meta.concrete_fields if _is_free_text(model, f)]
            if fields:
                found.append((model, fields))
    # Not ours, but shown on almost every page (actors, signers, owners).
    user = get_user_model()
    found.append((user, [user._meta.get_field("first_name"), user._meta.get_field("last_name")]))
    return found


def _value(field, payload: str, pk) -> str:
    """`payload` for this row: unique per row (unique constraints), within max_length."""
    suffix = f" {pk}"
    if isinstance(field, models.TextField):
        return payload + suffix
    limit = field.max_length
    if len(payload) + len(suffix) > limit:
        payload = SHORT_PAYLOAD if payload == PAYLOAD else payload[: limit - len(suffix)]
    assert len(payload) + len(suffix) <= limit, f"{field} is too short for a payload"
    return payload + suffix


def poison(payload: str, markdown: str = "") -> int:
    """Write `payload` into every free-text column of every row; returns columns written.

    A plain QuerySet, not the model's manager: the draft lock (slas.models.PartQuerySet)
    refuses bulk updates of signed versions, and a payload must reach those rows too."""
    columns = 0
    for model, fields in free_text_fields():
        rows = models.QuerySet(model).values_list("pk", flat=True)
        for pk in rows:
            values = {
                f.name: _value(
                    f, payload + (markdown if isinstance(f, models.TextField) else ""), pk
                )
                for f in fields
            }
            if "reply" in values:  # a feedback reply is whole or absent (its check)
                values.update(replied_by_id=models.F("author_id"), replied_at=timezone.now())
            models.QuerySet(model).filter(pk=pk).update(**values)
        columns += len(fields)
    return columns


class Markup(HTMLParser):
    """What of the payload became markup: handler attributes, javascript: URLs, scripts."""

    URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = list(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in self.URL_ATTRS and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value!r}>")
        # Data blocks (json_script) may hold the text; only code may not.
        script_type = dict(attrs).get("type") or "text/javascript"
        self._in_script = tag == "script" and script_type in ("text/javascript", "module")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and "alert(" in data:
            self.problems.append(f"<script>{data[:60]}")


RAW = re.compile(r"<svg[\s/]+onload|<script>alert|<img src=x onerror", re.IGNORECASE)


def unescaped(body: str) -> list[str]:
    problems = [body[max(m.start() - 60, 0) : m.end() + 20] for m in RAW.finditer(body)]
    parser = Markup()
    parser.feed(body)
    return problems + parser.problems


def strict_csp(response) -> bool:
    policy = response.get("Content-Security-Policy", "")
    script_src = next((d for d in policy.split(";") if d.strip().startswith("script-src")), "")
    return bool(policy) and "unsafe-inline" not in script_src


def pages() -> list[tuple[str, object]]:
    """(url name, rule) of every page (GET, not the API) of both matrices; those that
    send the draft for signature (`v3_pending`) last, since that ends the draft's editor."""
    found = [
        (name, rule)
        for matrix in (MATRIX, SALES_CS_MATRIX)
        for name, rule in matrix.items()
        if rule.method == "get"
    ]
    return sorted(found, key=lambda item: item[1].kwargs == "v3_pending")


def xss_world(cast) -> World:
    """The matrix's world, plus a lead rejected just now with the agreement's first reason
    code, so reason labels reach the pages and the monthly report's rejection rows."""
    from leads.tests.review_factories import rejected_lead

    world = World(cast)
    reason = world.v2.reason_codes.first()
    rejected_lead(
        cast, world.v2, timezone.now() - dt.timedelta(hours=2, seconds=1), reason=reason.code
    )
    return world


def every_page(cast, world):
    """Yield (url name, who, url, response) for every page and everybody the matrix lets in,
    following redirects (a notification opens its target, a bare compare picks versions)."""
    for name, rule in pages():
        url = reverse(name, kwargs=world.kwargs(rule.kwargs)) + world.query(rule.kwargs)
        if url.startswith("/api/"):
            continue
        for who in sorted(rule.allowed):
            client = Client()
            client.force_login(getattr(cast, who))
            yield name, who, url, client.get(url, follow=True)


def body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode()


def test_the_checker_finds_nothing_on_clean_pages_and_payloads_in_raw_markup():
    assert unescaped("<p>&lt;svg onload=alert(1)&gt; <a href='/x'>x</a></p>") == []
    assert unescaped(f"<p>{PAYLOAD}</p>")
    assert unescaped('<a href=" JavaScript:alert(1)">x</a>')
    assert unescaped("<p title=x onerror=alert(1)&gt;>x</p>")
    # json_script data may hold the text (escaped for JSON); it is not code
    assert unescaped('<script type="application/json">"\\u003Cb alert(1)"</script>') == []
    assert unescaped("<script>alert(1)//</script>")


def test_a_payload_in_every_free_text_field_is_inert_on_every_page(cast):
    # given the matrix's world, every free-text column holding a payload
    world = xss_world(cast)
    columns = poison(PAYLOAD, MARKDOWN_PAYLOAD)
    assert columns >= 80  # the registry walk found the fields (93 in 38 models today)

    # when everybody the matrix lets in opens every page
    problems, html_pages, seen = [], set(), set()
    for _name, who, url, response in every_page(cast, world):
        seen.add(url)
        if response.status_code != 200:
            problems.append(f"{who}: {response.status_code} on {url} (with payloads)")
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            # PDF, CSV, JSON: rendered (the PDFs' markup escapes text, else ReportLab would
            # fail on the payload), and never sniffed as HTML by a browser.
            if response.get("X-Content-Type-Options") != "nosniff":
                problems.append(f"{who}: {url} may be sniffed as HTML (no nosniff)")
            continue
        html_pages.add(url)
        # then no payload is markup, and the page forbids inline scripts anyway
        problems += [f"{who} on {url}: {found}" for found in unescaped(body(response))]
        if not strict_csp(response):
            problems.append(f"{who}: no strict Content-Security-Policy on {url}")

    assert problems == []
    assert len(html_pages) >= 40, sorted(seen - html_pages)  # 48 today, by 6 people


def formula_cells(cast) -> dict[str, list[str]]:
    """{url name: cells starting like a formula} over every CSV the pages offer, after
    every free-text column was set to start with a formula."""
    world = xss_world(cast)
    poison(FORMULA)
    found: dict[str, list[str]] = {}
    for name, who, url, response in every_page(cast, world):
        if not response.get("Content-Type", "").startswith("text/csv"):
            continue
        cells = found.setdefault(name, [])
        for row in csv.reader(io.StringIO(body(response))):
            cells += [
                f"{who} on {url}: {cell!r}"
                for cell in row
                if "HYPERLINK" in cell and cell[:1] in ("=", "+", "-", "@", "\t", "\r")
            ]
    return found


def test_a_formula_in_every_free_text_field_is_no_formula_in_any_csv(cast):
    # given every free-text column starting with a spreadsheet formula,
    # when everybody the matrix lets in downloads every CSV the pages offer
    found = formula_cells(cast)

    # then no cell holding the text starts like a formula
    assert {name: cells for name, cells in found.items() if cells} == {}
    # monthly report, feedback analysis, import issues
    assert {"reports:monthly_csv", "reviews:analysis_export", "leads:import_issues"} <= set(found)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_payload_runs_nothing_in_a_browser_on_the_lead_and_agreement_pages(cast, page):
    """In Chromium: no payload sets `window.__xss`, and none even reaches the CSP (a
    violation would mean the payload became markup and only the policy stopped it)."""
    from portal.demo import DEMO_PASSWORD
    from portal.tests.browser import login

    # given every free-text column holding a handler that would set window.__xss
    world = xss_world(cast)
    poison('<img src=x onerror="window.__xss=1">', MARKDOWN_PAYLOAD)
    page.add_init_script(
        "window.__csp = [];"
        "document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.sample));"
    )
    login(page, "dan", DEMO_PASSWORD)

    for url in (
        world.lead.get_absolute_url(),
        reverse("slas:agreement_detail", args=[world.ms.pk]),
        reverse("slas:version_detail", args=[world.v2.pk]),
    ):
        # when Dan opens the page
        response = page.goto(url)
        page.wait_for_load_state("load")

        # then it rendered the text, and nothing ran or even tried to
        assert response.status == 200, url
        assert page.get_by_text('<img src=x onerror="window.__xss=1">').count() > 0, url
        assert page.evaluate("window.__xss") is None, url
        assert page.evaluate("window.__csp") == [], url
