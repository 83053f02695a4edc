import re

import pytest
from reportlab.graphics.shapes import Drawing, Group, Line, PolyLine

from portal.pdf import (
    BarChart,
    Heading,
    KeyValues,
    LineChart,
    Paragraph,
    Spacer,
    Table,
    build_pdf,
    escape_markup,
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
        "compress": False,
    }
    params.update(kwargs)
    return build_pdf(**params)


def shown_text(pdf: bytes) -> bytes:
    """Concatenate the literal strings drawn with Tj (good enough for ASCII text)."""
    return b"".join(re.findall(rb"\((.*?)(?<!\\)\) Tj", pdf))


def test_output_is_a_pdf():
    pdf = build()
    assert pdf.startswith(b"%PDF")
    assert pdf.rstrip().endswith(b"%%EOF")


def test_compressed_output_is_also_a_pdf():
    assert build(compress=True).startswith(b"%PDF")


def test_title_subtitle_and_every_block_type_are_printed():
    text = shown_text(build())
    for expected in [
        b"Certificate of Agreement",
        b"Marketing and Sales SLA",
        b"Scope",
        b"Leads are qualified within two days.",
        b"Second line",
        b"Targets",
        b"Stage",
        b"MQL",
        b"24",
        b"Owner",
        b"Ana Popescu",
        b"Signed",
    ]:
        assert expected in text, expected


def test_document_title_and_meta_are_set():
    pdf = build(meta={"author": "Sales Ops", "subject": "SLA v3"})
    assert b"(Certificate of Agreement)" in pdf
    assert b"(Sales Ops)" in pdf
    assert b"(SLA v3)" in pdf


def test_unknown_meta_keys_are_rejected():
    with pytest.raises(ValueError, match="Unknown PDF meta key"):
        build(meta={"colour": "blue"})


def test_footer_numbers_pages_with_total():
    many = [Paragraph("filler text " * 60)] * 25
    text = shown_text(build(blocks=many))
    pages = re.findall(rb"Page (\d+) of (\d+)", text)
    assert len(pages) >= 2
    total = pages[0][1]
    assert [p[0] for p in pages] == [str(i).encode() for i in range(1, len(pages) + 1)]
    assert all(p[1] == total for p in pages)
    assert int(total) == len(pages)


def test_single_page_footer_says_page_1_of_1():
    assert b"Page 1 of 1" in shown_text(build(blocks=[]))


def test_output_is_deterministic():
    assert build() == build()
    assert build(compress=True) == build(compress=True)


def test_reportlab_markup_in_user_text_is_printed_literally():
    text = shown_text(build(blocks=[Paragraph("<b>bold?</b> & <font size=40>x</font>")]))
    assert b"<b>" in text
    assert b"bold?" in text
    assert b"& " in text
    assert b"<font size=40>" in text


def test_escape_markup_escapes_and_keeps_line_breaks():
    assert escape_markup("a < b & c > d\ne") == "a &lt; b &amp; c &gt; d<br/>e"


def test_unicode_text_does_not_break_the_build():
    pdf = build(
        title="Acord SLA — Vânzări și Marketing",
        blocks=[Paragraph("Întârziere, penalități; مدة الاستجابة")],
    )
    assert pdf.startswith(b"%PDF")


def test_empty_tables_and_key_values_are_skipped():
    pdf = build(blocks=[Table([], []), KeyValues([])])
    assert pdf.startswith(b"%PDF")


def test_table_without_header_renders_rows():
    assert b"R1C1" in shown_text(build(blocks=[Table([], [["R1C1", "R1C2"]])]))


def test_long_tables_are_split_across_pages():
    rows = [[f"Row{i}", "x"] for i in range(120)]
    text = shown_text(build(blocks=[Table(["Name", "Value"], rows)]))
    assert b"Row0" in text and b"Row119" in text
    assert text.count(b"Name") >= 2  # header repeated on the next page


def test_unsupported_blocks_are_rejected():
    with pytest.raises(TypeError, match="Unsupported PDF block"):
        build(blocks=["plain string"])


def test_falls_back_to_helvetica_when_dejavu_is_missing(monkeypatch):
    import portal.pdf as pdf_module

    monkeypatch.setattr(pdf_module, "DEJAVU_REGULAR", "/nonexistent/DejaVuSans.ttf")
    monkeypatch.setattr(pdf_module, "_fonts_cache", [])
    pdf = build()
    assert b"/BaseFont /Helvetica" in pdf
    assert b"Certificate of Agreement" in shown_text(pdf)


def shapes(drawing: Drawing, kind: type) -> list:
    """Every shape of ``kind`` in a drawing, charts expanded into their shapes."""
    found = []

    def walk(node):
        if isinstance(node, kind):
            found.append(node)
        if hasattr(node, "draw") and not isinstance(node, Group | Drawing):
            node = node.draw()
            if isinstance(node, kind):
                found.append(node)
        for child in getattr(node, "contents", []):
            walk(child)

    walk(drawing)
    return found


def drawing_of(block) -> Drawing:
    import portal.pdf as pdf_module

    flowables = pdf_module._flowables(block, pdf_module._Styles(pdf_module._fonts()), 480)
    assert isinstance(flowables[0], Drawing)
    return flowables[0]


FUNNEL = BarChart("Funnel of the month", ["MQL", "SAL", "SQL"], [40, 30, 12])
RATES = LineChart(
    "Sales: rates by period",
    ["2026-01", "2026-02", "2026-03", "2026-04"],
    [("First contact", [0.8, None, 0.9, 0.95]), ("Accepted", [None, 0.7, None, None])],
    percent=True,
)


def test_charts_are_printed_with_their_title_labels_and_values():
    # given a document with a bar chart and a line chart
    # when it is built
    text = shown_text(build(blocks=[FUNNEL, RATES]))
    # then titles, category labels, values, axis ticks and legends are in the PDF
    for expected in [
        b"Funnel of the month",
        b"SAL",
        b"40",
        b"Sales: rates by period",
        b"2026-03",
        b"100%",
        b"First contact",
        b"Accepted",
    ]:
        assert expected in text, expected


def test_a_chart_is_a_vector_drawing_in_the_document():
    # given a bar chart block
    # when it is laid out
    drawing = drawing_of(FUNNEL)
    # then it is one ReportLab drawing as wide as the text
    assert drawing.width == 480


def test_bar_targets_are_dashed_markers_and_highlighted_bars_change_colour():
    # given bars with a target on two of three and one bar below its target
    block = BarChart(
        "MQLs", ["Jan", "Feb", "Mar"], [20, 31, 35], targets=[31, 31, None], highlight={0}
    )
    # when it is drawn
    drawing = drawing_of(block)
    # then there is one dashed marker per target, and the first bar is in the alert colour
    dashed = [line for line in shapes(drawing, Line) if line.strokeDashArray]
    assert len(dashed) == 2
    assert drawing.contents[1].bars[(0, 0)].fillColor != drawing.contents[1].bars[(0, 1)].fillColor


def test_lines_break_at_gaps_and_a_lone_point_does_not_break_the_build():
    # given one series with a gap and one with a single point
    # when the chart is drawn
    drawing = drawing_of(RATES)
    # then only the two-point run of the first series is a line; every point has a marker
    assert [len(p.points) // 2 for p in shapes(drawing, PolyLine)] == [2]
    assert build(blocks=[RATES]).startswith(b"%PDF")


def test_charts_without_data_say_so():
    text = shown_text(build(blocks=[BarChart("Empty", ["a"], [None]), LineChart("None", [], [])]))
    assert text.count(b"No data") == 2


def test_the_footer_is_translated(monkeypatch):
    # given a gettext that marks what it translates
    import portal.pdf as pdf_module

    monkeypatch.setattr(pdf_module, "_", lambda text: f"[{text}]")
    # when a document is built
    text = shown_text(build(blocks=[]))
    # then the page numbers went through it
    assert b"[Page 1 of 1]" in text
