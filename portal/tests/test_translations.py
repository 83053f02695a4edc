"""The shipped translations: pages switch language and direction, and no catalog entry is broken.

The catalog checks read the .po files with a small parser (no gettext tools needed, a newcomer
has only Python) and load the committed .mo files with the standard library, so a broken
placeholder, a malformed format string or a forgotten `compilemessages` fails here.
"""

import ast
import gettext
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
SHIPPED = ["ar", "fa", "ja", "ro"]

# What a person sees for a few navigation and login labels, per language.
EXPECTED = {
    "ar": {"Agreements": "الاتفاقيات", "Leads": "العملاء المحتملون", "Sign in": "تسجيل الدخول"},
    "fa": {"Agreements": "توافق‌نامه‌ها", "Leads": "سرنخ‌های فروش", "Sign in": "ورود"},
    "ja": {"Agreements": "契約", "Leads": "リード", "Sign in": "サインイン"},
    "ro": {"Agreements": "Acorduri", "Leads": "Leaduri", "Sign in": "Autentificare"},
}
DIRECTION = {"ar": "rtl", "fa": "rtl", "ja": "ltr", "ro": "ltr"}


# --- a minimal .po reader -------------------------------------------------------------------


@dataclass
class Entry:
    line: int
    flags: set = field(default_factory=set)
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict = field(default_factory=dict)  # index -> text; singular entries use 0

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values())


def read_po(path: Path) -> list[Entry]:
    """Entries are blocks separated by blank lines, as gettext writes them."""
    keyword = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")$')
    entries = []
    number = 1
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry = Entry(line=number)
        target = None
        for offset, raw in enumerate(block.strip("\n").splitlines()):
            line = raw.strip()
            where = f"{path}:{number + offset}"
            if line.startswith("#,"):
                entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                assert target is not None, f"{where}: continuation line without a keyword"
                value = ast.literal_eval(line)
                if target[0] == "msgstr":
                    entry.msgstr[target[1]] += value
                else:
                    setattr(entry, target[0], getattr(entry, target[0]) + value)
            else:
                match = keyword.match(line)
                assert match, f"{where}: not valid .po syntax: {raw!r}"
                word, index, quoted = match.groups()
                value = ast.literal_eval(quoted)
                if word == "msgstr":
                    target = ("msgstr", int(index or 0))
                    entry.msgstr[target[1]] = value
                else:
                    target = (word,)
                    setattr(entry, word, value)
        number += block.count("\n") + 2
        if entry.msgstr or entry.msgid:
            entries.append(entry)
    return entries


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "django.po"


def header(entries: list[Entry]) -> dict[str, str]:
    head = next(entry for entry in entries if entry.msgid == "")
    pairs = (line.split(":", 1) for line in head.msgstr[0].splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def nplurals(entries: list[Entry]) -> int:
    return int(re.search(r"nplurals=(\d+)", header(entries)["Plural-Forms"]).group(1))


PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%[sdifr]|%%|\{\{?\s*\w+\s*\}?\}")
TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def tokens(text: str, pattern=PLACEHOLDER) -> Counter:
    return Counter(pattern.findall(text))


def catalog_entries():
    for lang in SHIPPED:
        for entry in read_po(po_path(lang)):
            if entry.msgid and entry.translated:
                yield lang, entry


# --- pages in each language -----------------------------------------------------------------


@pytest.mark.django_db
class TestPagesSpeakTheLanguage:
    @pytest.mark.parametrize("lang", SHIPPED)
    def test_the_login_page_is_translated_and_set_in_the_languages_direction(self, client, lang):
        # given
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
        # when
        content = client.get("/accounts/login/").content.decode()
        # then
        assert f'lang="{lang}"' in content
        assert f'dir="{DIRECTION[lang]}"' in content
        assert EXPECTED[lang]["Sign in"] in content
        assert ">Sign in<" not in content

    @pytest.mark.parametrize("lang", SHIPPED)
    def test_the_home_page_shows_translated_navigation(self, client, cast, lang):
        # given
        client.force_login(cast.alice)
        # when
        response = client.get("/", HTTP_ACCEPT_LANGUAGE=lang)
        # then
        content = response.content.decode()
        assert f'dir="{DIRECTION[lang]}"' in content
        assert EXPECTED[lang]["Agreements"] in content
        assert EXPECTED[lang]["Leads"] in content
        assert ">Agreements<" not in content

    @pytest.mark.parametrize("lang", SHIPPED)
    def test_gettext_finds_the_shipped_catalog(self, lang):
        # given / when
        with translation.override(lang):
            agreements = translation.gettext("Agreements")
            bidi = translation.get_language_bidi()
        # then
        assert agreements == EXPECTED[lang]["Agreements"]
        assert bidi is (DIRECTION[lang] == "rtl")


# --- catalogs that cannot break a page ------------------------------------------------------


class TestCatalogs:
    @pytest.mark.parametrize("lang", SHIPPED)
    def test_each_catalog_parses_and_declares_its_language_and_plural_forms(self, lang):
        # given / when
        entries = read_po(po_path(lang))
        # then
        meta = header(entries)
        assert meta["Language"] == lang
        assert "nplurals=" in meta["Plural-Forms"]
        assert not any("fuzzy" in entry.flags for entry in entries if entry.translated)
        plural_entries = [
            entry for entry in entries if entry.msgid_plural is not None and entry.translated
        ]
        for entry in plural_entries:
            assert sorted(entry.msgstr) == list(range(nplurals(entries))), entry.msgid

    @pytest.mark.parametrize("lang", SHIPPED)
    def test_every_entry_of_the_catalog_is_translated_and_none_is_fuzzy(self, lang):
        # given the catalog as makemessages left it (obsolete #~ entries have no msgid here)
        entries = [entry for entry in read_po(po_path(lang)) if entry.msgid]
        # when looking for what a reader would see in English, or a guess
        untranslated = [entry.msgid for entry in entries if not entry.translated]
        fuzzy = [entry.msgid for entry in entries if "fuzzy" in entry.flags]
        # then there is none
        assert not untranslated, f"{lang}: {len(untranslated)} untranslated: {untranslated[:5]}"
        assert not fuzzy, f"{lang}: {len(fuzzy)} fuzzy: {fuzzy[:5]}"

    @pytest.mark.parametrize("lang", SHIPPED)
    def test_the_committed_mo_file_holds_every_translation_of_the_po_file(self, lang):
        # given
        mo = po_path(lang).with_suffix(".mo")
        assert mo.exists(), f"{mo} is missing: run compilemessages and commit it"
        with mo.open("rb") as handle:
            compiled = gettext.GNUTranslations(handle)
        # when
        stale = []
        for entry in read_po(po_path(lang)):
            if not entry.msgid or not entry.translated:
                continue
            key = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
            # GNUTranslations keeps singular entries under the msgid, plural forms under
            # (msgid, index): compare every form with the .po text.
            catalog = compiled._catalog
            if entry.msgid_plural is None:
                current = catalog.get(key) == entry.msgstr[0]
            else:
                current = all(catalog.get((key, i)) == text for i, text in entry.msgstr.items())
            if not current:
                stale.append(entry.msgid)
        # then
        assert not stale, f"{lang}: .mo is older than .po (run compilemessages): {stale[:5]}"

    def test_every_translation_keeps_the_placeholders_and_tags_of_its_source(self):
        # given
        broken = []
        # when
        for lang, entry in catalog_entries():
            for index, text in entry.msgstr.items():
                source = (
                    entry.msgid if index == 0 or entry.msgid_plural is None else entry.msgid_plural
                )
                # a literal percent may be written as the language's own sign (٪)
                if "%%" in source:
                    text = text.replace("\u066a", "%%")
                if tokens(text) != tokens(source) and set(tokens(text)) != set(tokens(source)):
                    broken.append((lang, entry.msgid, text))
                if tokens(text, TAG) != tokens(source, TAG):
                    broken.append((lang, entry.msgid, text))
        # then
        assert not broken, broken[:5]

    def test_every_python_format_translation_formats_without_error(self):
        # given
        failures = []
        # when
        for lang, entry in catalog_entries():
            if "python-format" not in entry.flags:
                continue
            names = set(re.findall(r"%\((\w+)\)", entry.msgid + (entry.msgid_plural or "")))
            for text in entry.msgstr.values():
                try:
                    if names:
                        text % dict.fromkeys(names, 3)
                    else:
                        text % tuple(3 for _ in re.findall(r"%[sdifr]", entry.msgid))
                except (TypeError, ValueError, KeyError) as error:
                    failures.append((lang, entry.msgid, text, str(error)))
        # then
        assert not failures, failures[:5]

    @pytest.mark.parametrize("lang", [lang for lang in SHIPPED if DIRECTION[lang] == "rtl"])
    def test_a_move_from_one_name_to_another_points_the_way_the_language_reads(self, lang):
        # given the entries that show a move ("MQL → SAL", "Conversion %(from)s → %(to)s")
        moves = [e for e in read_po(po_path(lang)) if "→" in e.msgid and e.translated]
        assert moves
        # then, read right to left, the arrow points left, and each name is isolated
        # (FSI ... PDI) so a Latin name does not turn the phrase around
        isolated = re.compile("\u2068[^\u2068\u2069]+\u2069 ?← ?\u2068[^\u2068\u2069]+\u2069")
        wrong = [(e.msgid, e.msgstr[0]) for e in moves if not isolated.search(e.msgstr[0])]
        assert not wrong, wrong


@pytest.mark.django_db
@pytest.mark.parametrize("lang", SHIPPED)
def test_the_commitment_editor_labels_its_columns_in_the_language(lang, cast):
    # given the commitments form of a draft's editor
    from slas.forms import CommitmentForm

    with translation.override(lang):
        labels = {name: str(field.label) for name, field in CommitmentForm().fields.items()}
    with translation.override("en"):
        english = {name: str(field.label) for name, field in CommitmentForm().fields.items()}
    # then the owner team and position columns are translated like the others
    assert labels["owner_team"] != english["owner_team"] == "Owner team"
    assert labels["position"] != english["position"] == "Position"


@pytest.mark.parametrize("lang", SHIPPED)
def test_the_editor_names_every_part_of_a_version_in_the_language(lang):
    # given the parts of a version's content (the editor's section titles)
    from slas.models import PART_MODELS

    for name, model in PART_MODELS.items():
        with translation.override("en"):
            english = str(model._meta.verbose_name_plural)
        with translation.override(lang):
            shown = str(model._meta.verbose_name_plural)
        # then each is translated (Japanese has no plural, so singular may equal plural)
        assert shown != english, (lang, name, english)


@pytest.mark.parametrize(
    ("lang", "when", "when_short"),
    [
        ("en", "25 Nov 2026, 14:05", "25 Nov, 14:05"),
        ("ro", "25 noiembrie 2026, 14:05", "25 noiembrie, 14:05"),
        ("ja", "2026年11月25日 14:05", "11月25日 14:05"),
    ],
)
def test_dates_read_as_the_language_writes_them(lang, when, when_short, settings):
    # given an instant, in the portal's time zone
    import datetime as dt

    from portal.templatetags import dates

    settings.TIME_ZONE = "UTC"
    at = dt.datetime(2026, 11, 25, 14, 5, tzinfo=dt.UTC)
    # when it is shown in each language
    with translation.override(lang):
        shown = dates.when(at), dates.when_short(at)
    # then day, month and time come in the language's order and words
    assert shown == (when, when_short)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("ar", "٢٥ نوفمبر، ١٤:٠٥"), ("fa", "۴ آذر، ۱۴:۰۵")],
)
def test_dates_in_right_to_left_languages_use_their_month_names(lang, expected, settings):
    import datetime as dt

    from portal.templatetags import dates

    settings.TIME_ZONE = "UTC"
    at = dt.datetime(2026, 11, 25, 14, 5, tzinfo=dt.UTC)
    with translation.override(lang):
        shown = dates.when_short(at)
    # Arabic: the Gregorian month, Arabic-Indic digits; Persian: the Solar Hijri month
    # (25 November 2026 is 4 Azar 1405), Persian digits
    assert shown == expected
