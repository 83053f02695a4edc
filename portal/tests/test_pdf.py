"""The PDF builder (portal.pdf): blocks laid out as HTML by WeasyPrint, in the portal's
own fonts, in every language, the same bytes every time."""

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.utils import translation
from django.utils.translation import gettext as _
from pypdf import PdfReader

from portal import fonts
from portal import pdf as pdf_module
from portal.pdf import (
    BarChart,
    Heading,
    KeyValues,
    LineChart,
    Paragraph,
    Spacer,
    Table,
    build_pdf,
    render_document,
)
from portal.tests.pdftext import (
    embedded_fonts,
    find_in_order,
    foreign_fonts,
    missing_glyphs,
    pdf_text,
    uncovered,
)

BLOCKS = [
    Heading("Scope"),
    Paragraph("Leads are qualified within two days.\nSecond line"),
    Heading("Targets", level=2),
    Table(["Stage", "Hours"], [["MQL", "24"], ["SQL"]]),
    KeyValues([("Owner", "Ana Popescu"), ("Status", "Signed")]),
    Spacer(),
]


def build(**kwargs):
    params = {
        "title": "Certificate of Agreement",
        "subtitle": "Marketing and Sales SLA",
        "blocks": BLOCKS,
    }
    params.update(kwargs)
    return build_pdf(**params)


def pages_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_output_is_a_pdf_compressed_or_not():
    for compress in (True, False):
        data = build(compress=compress)
        assert data.startswith(b"%PDF")
        assert data.rstrip().endswith(b"%%EOF")


def test_title_subtitle_and_every_block_type_are_printed_in_order():
    text = pdf_text(build())
    assert not find_in_order(
        text,
        [
            "Certificate of Agreement",
            "Marketing and Sales SLA",
            "Scope",
            "Leads are qualified within two days.",
            "Second line",
            "Targets",
            "Stage",
            "Hours",
            "MQL",
            "24",
            "SQL",
            "Owner",
            "Ana Popescu",
            "Status",
            "Signed",
        ],
    )


def test_document_title_and_meta_are_set():
    meta = PdfReader(io.BytesIO(build(meta={"author": "Sales Ops", "subject": "SLA v3"}))).metadata
    assert meta.title == "Certificate of Agreement"
    assert meta.author == "Sales Ops"
    assert meta.subject == "SLA v3"


def test_unknown_meta_keys_are_rejected():
    with pytest.raises(ValueError, match="Unknown PDF meta key"):
        build(meta={"colour": "blue"})


def test_footer_numbers_pages_with_total():
    many = [Paragraph("filler text " * 60)] * 25
    pages = pages_text(build(blocks=many))
    assert len(pages) >= 2
    for n, text in enumerate(pages, start=1):
        assert f"Page {n} of {len(pages)}" in text
        assert "Certificate of Agreement" in text  # the title in every footer


def test_single_page_footer_says_page_1_of_1():
    assert "Page 1 of 1" in pdf_text(build(blocks=[]))


def test_the_footer_is_translated(monkeypatch):
    # given a gettext that marks what it translates
    monkeypatch.setattr(pdf_module, "_", lambda text: f"[{text}]")
    # when a document is built
    text = pdf_text(build(blocks=[]))
    # then the page numbers went through it
    assert "[Page 1 of 1]" in text


def test_output_is_deterministic():
    assert build() == build()
    assert build(compress=False) == build(compress=False)
    with translation.override("ar"):
        assert build(blocks=[Paragraph("مدة الاستجابة")]) == build(
            blocks=[Paragraph("مدة الاستجابة")]
        )


def test_markup_in_user_text_is_printed_literally():
    text = pdf_text(build(blocks=[Paragraph("<b>bold?</b> & <font size=40>x</font>")]))
    assert "<b>bold?</b> & <font size=40>x</font>" in text


def test_empty_tables_and_key_values_are_skipped():
    text = pdf_text(build(blocks=[Table([], []), KeyValues([]), Paragraph("after")]))
    assert "after" in text


def test_table_without_header_renders_rows():
    assert "R1C1" in pdf_text(build(blocks=[Table([], [["R1C1", "R1C2"]])]))


def test_long_tables_are_split_across_pages_with_the_header_repeated():
    rows = [[f"Row{i}", "x"] for i in range(120)]
    pages = pages_text(build(blocks=[Table(["Name", "Value"], rows)]))
    assert len(pages) >= 2
    assert "Row0" in pages[0] and "Row119" in pages[-1]
    assert all("Name" in page for page in pages)


def test_unsupported_blocks_are_rejected():
    with pytest.raises(TypeError, match="Unsupported PDF block"):
        build(blocks=["plain string"])


# ------------------------------------------------------------------------------- charts
FUNNEL = BarChart("Funnel of the month", ["MQL", "SAL", "SQL"], [40, 30, 12])
RATES = LineChart(
    "Sales: rates by period",
    ["2026-01", "2026-02", "2026-03", "2026-04"],
    [("First contact", [0.8, None, 0.9, 0.95]), ("Accepted", [None, 0.7, None, None])],
    percent=True,
)


def test_charts_are_printed_with_their_title_labels_values_and_legend():
    text = pdf_text(build(blocks=[FUNNEL, RATES]))
    # (the SVG's numbers are drawn after the page's words: order is checked within each)
    assert not find_in_order(
        text, ["Funnel of the month", "Sales: rates by period", "First contact", "Accepted"]
    )
    assert not find_in_order(text, ["MQL", "SAL", "SQL"])
    assert not find_in_order(text, ["2026-01", "2026-02", "2026-03", "2026-04"])
    for expected in ["40", "12", "100%", "75%"]:
        assert expected in text


def test_a_chart_is_the_pages_svg_chart_with_its_words_outside():
    # given a bar chart with targets on two of three bars and one bar below its target
    block = BarChart(
        "MQLs", ["Jan", "Feb", "Mar"], [20, 31, 35], targets=[31, 31, None], highlight={0}
    )
    # when it is laid out
    item = pdf_module._item(block)
    svg = str(item["svg"])
    # then the SVG (portal.charts) has one dashed marker per target and the alert bar
    assert svg.count('class="chart-target"') == 2
    assert svg.count('class="chart-bar is-highlight"') == 1
    # and no words: the labels are HTML under the bars, in the bars' order
    drawn = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert drawn and all(re.fullmatch(r"[0-9.,%]+", text) for text in drawn), drawn
    assert [label["text"] for label in item["labels"]] == ["Jan", "Feb", "Mar"]


def test_lines_break_at_gaps_and_a_lone_point_does_not_break_the_build():
    svg = str(pdf_module._item(RATES)["svg"])
    paths = re.findall(r'<path class="chart-line [^"]*" d="([^"]*)"', svg)
    # the first series has a gap: two runs; the second a lone point
    assert [d.count("M") for d in paths] == [2, 1]
    assert build(blocks=[RATES]).startswith(b"%PDF")


def test_charts_without_data_say_so():
    text = pdf_text(build(blocks=[BarChart("Empty", ["a"], [None]), LineChart("None", [], [])]))
    assert text.count("No data") == 2


# ---------------------------------------------------------------------- every language
SAMPLES = {
    "en": "Scorecards",
    "ro": "Întârziere, penalități; țară și șase",
    "ar": "مدة الاستجابة للعميل المحتمل",
    "fa": "گزارش ماهانه پیش‌نویس توافق‌نامه",
    "ja": "月次レポート：コミットメント",
}


@pytest.mark.parametrize("lang", list(SAMPLES))
def test_every_language_is_drawn_in_the_portals_fonts_with_no_missing_glyph(lang):
    # given a document with translated headings and a paragraph in the language
    with translation.override(lang), missing_glyphs() as boxes:
        data = build(
            title=_("Certificate of completion"),
            blocks=[Heading(_("Scorecards")), Paragraph(SAMPLES[lang]), FUNNEL],
        )
        expected = [_("Certificate of completion"), _("Scorecards"), SAMPLES[lang]]
    text = pdf_text(data)
    # then the words read back in order (Arabic and Persian in logical order)
    assert not find_in_order(text, expected), text
    # and only the portal's fonts are embedded, covering every character, none as a box
    assert foreign_fonts(data) == set(), embedded_fonts(data)
    assert uncovered(text) == set()
    assert boxes == []


def test_the_glyph_checks_catch_a_character_no_font_has():
    # given text in a script none of the portal's fonts covers (Egyptian hieroglyphs)
    with missing_glyphs() as boxes:
        data = build(blocks=[Paragraph("before \U00013000 after")])
    # then every check fails: the engine drew a box, the text does not read back, and
    # the fonts do not cover the character
    assert boxes and "U+13000" in boxes[0]
    assert find_in_order(pdf_text(data), ["before", "\U00013000", "after"])
    assert uncovered("\U00013000") == {"\U00013000"}


def _first_line_x(document) -> tuple[float, float]:
    """Where the title line starts and ends on the first page (points from the left)."""
    page = document.pages[0]._page_box
    boxes = [page]
    while boxes:
        box = boxes.pop(0)
        if getattr(box, "element_tag", None) == "h1" and box.children:
            line = box.children[0]
            return line.children[0].position_x, line.children[-1].position_x + line.children[
                -1
            ].width
        boxes.extend(getattr(box, "children", []))
    raise AssertionError("no title")


@pytest.mark.parametrize("lang,rtl", [("en", False), ("ja", False), ("ar", True), ("fa", True)])
def test_arabic_and_persian_are_laid_out_right_to_left(lang, rtl):
    with translation.override(lang):
        document = render_document(title=_("Certificate of completion"), blocks=[])
    start, end = _first_line_x(document)
    width = document.pages[0].width
    # the title hugs the right margin in Arabic and Persian, the left one otherwise
    assert (width - end < start) == rtl


# ------------------------------------------------------------------ headers stay whole
def _header_lines(document, tag: str = "th") -> list[tuple[str, list[str]]]:
    """(text, its lines) of every header cell (or ``tag``) of the document."""
    found = []

    def text_of(box) -> str:
        if hasattr(box, "text"):
            return box.text
        return "".join(text_of(child) for child in getattr(box, "children", []))

    def walk(box):
        if getattr(box, "element_tag", None) == tag:
            lines = [text_of(line).strip() for line in box.children]
            found.append((" ".join(lines), lines))
            return
        for child in getattr(box, "children", []):
            walk(child)

    for page in document.pages:
        walk(page._page_box)
    return found


HEADERS = ["Version", "Team", "Commitment", "Actual", "Target", "Cycles", "Status"]


@pytest.mark.parametrize("lang", list(SAMPLES))
def test_table_headers_never_break_inside_a_word(lang):
    # given the monthly report's seven-column scorecard table, translated
    with translation.override(lang):
        header = [_(h) for h in HEADERS]
        document = render_document(
            title="t", blocks=[Table(header, [["v1", "Marketing", "x " * 30, "1", "2", "3", "4"]])]
        )
    cells = _header_lines(document)
    assert [text for text, _lines in cells] == [" ".join(h.split()) for h in header]
    for text, lines in cells:
        # a header wraps only between words (never "Commitme / nt"); Japanese not at all
        assert " ".join(lines).split() == text.split(), lines
        if lang == "ja" or " " not in text:
            assert len(lines) == 1, lines


def test_the_pages_declare_and_serve_the_same_font_files():
    stylesheet = (Path(settings.BASE_DIR) / "static" / "css" / "portal.css").read_text()
    for face in fonts.FACES:
        assert f'font-family: "{face.family}"' in stylesheet
        assert f'url("../fonts/{face.path.name}")' in stylesheet
        assert finders.find(face.static_name) == str(face.path)


def test_the_reading_checks_fail_on_missing_or_reordered_words():
    text = "شهادة الإتمام ینطرف )SHA-256( بصمة المحتوى Scope"
    # a misplaced ligature and a swapped left-to-right part still read as written
    assert find_in_order(text, ["شهادة الإتمام", "طرفین", "بصمة المحتوى (SHA-256)", "Scope"]) == []
    # a missing word, or items out of order, do not
    assert find_in_order(text, ["شهادة الإنجاز"]) == ["شهادة الإنجاز"]
    assert find_in_order(text, ["Scope", "شهادة الإتمام"]) == ["شهادة الإتمام"]
    assert find_in_order(text, ["طرفنا"]) == ["طرفنا"]


def test_a_cell_reads_right_to_left_when_it_has_arabic_or_persian_letters():
    assert pdf_module.text_direction("MQL\u200cهای تحویل\u200cشده") == "rtl"
    assert pdf_module.text_direction("مدة الاستجابة") == "rtl"
    assert pdf_module.text_direction("19 / 20") == "ltr"
    assert pdf_module.text_direction("≥ 80%") == "ltr"
    assert pdf_module.text_direction("Marketing ⇄ Sales SLA") == "ltr"


def test_a_short_cell_such_as_a_target_stays_on_one_line():
    long_text = "リサイクル前に少なくとも 6 回の試行 " * 6
    with translation.override("ja"):
        header = [_(h) for h in HEADERS]
        document = render_document(
            title="t",
            blocks=[
                Table(header, [["v2", "Marketing", long_text, "78.5%", "≥ 80%", "10/32", "x"]])
            ],
        )
    cells = dict(_header_lines(document, "td"))
    for short in ["Marketing", "78.5%", "≥ 80%", "10/32"]:
        assert cells[short] == [short]
