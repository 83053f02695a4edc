"""One small document-to-PDF builder so certificates, version documents and
monthly reports share a single look.

Callers describe the document as a list of blocks (:class:`Heading`,
:class:`Paragraph`, :class:`Table`, :class:`KeyValues`, :class:`Spacer`,
:class:`BarChart`, :class:`LineChart`); :func:`build_pdf` lays them out with
ReportLab platypus on A4 with a footer carrying the title and "Page X of Y"
(translated). Charts are vector drawings (``reportlab.graphics``) that read like
the pages' SVG charts (``portal.charts``): same scale, number format and target
markers.

* All text is escaped for ReportLab's paragraph mini-markup, so user text such
  as ``<b>`` or ``&`` is printed literally, never interpreted.
* Output is deterministic (ReportLab ``invariant=1``): same input, same bytes.
* DejaVu Sans is embedded when installed (broad Unicode: Romanian, Arabic
  glyphs, etc.; no CJK), otherwise the built-in Helvetica is used.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from xml.sax.saxutils import escape as xml_escape

from django.utils.translation import gettext as _
from reportlab import platypus
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, Group, Line, Polygon, PolyLine, Rect, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas

from portal.charts import _y_scale, format_value

DEJAVU_DIR = "/usr/share/fonts/truetype/dejavu"
DEJAVU_REGULAR = os.path.join(DEJAVU_DIR, "DejaVuSans.ttf")
DEJAVU_BOLD = os.path.join(DEJAVU_DIR, "DejaVuSans-Bold.ttf")

PAGE_SIZE = A4
MARGIN = 20 * mm
FOOTER_Y = 10 * mm

#: Keys of ``meta`` that map to PDF document properties.
META_KEYS = ("author", "subject", "keywords", "creator")

_INK = colors.HexColor("#1f2933")
_MUTED = colors.HexColor("#616e7c")
_RULE = colors.HexColor("#cbd2d9")
_HEADER_BG = colors.HexColor("#e4e7eb")
_BAR = colors.HexColor("#3b6ea5")
_ALERT = colors.HexColor("#c0392b")
_SERIES = [
    colors.HexColor(c) for c in ("#3b6ea5", "#e07b39", "#3a9d5d", "#8e5ea2", "#c0392b", "#7f8c8d")
]


# --------------------------------------------------------------------- blocks
@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1  # 1 or 2


@dataclass(frozen=True)
class Paragraph:
    text: str  # plain text; newlines become line breaks


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class KeyValues:
    pairs: list[tuple[str, str]]


@dataclass(frozen=True)
class Spacer:
    height_mm: float = 6


@dataclass(frozen=True)
class BarChart:
    """One bar per label (``None``: no bar). ``targets``: one per bar (``None``: no
    target), drawn as dashed markers; bars whose index is in ``highlight`` are drawn
    in the alert colour. With ``percent`` values are fractions shown as percentages."""

    title: str
    labels: list[str]
    values: list[float | None]
    targets: list[float | None] | None = None
    highlight: frozenset[int] = frozenset()
    percent: bool = False
    height_mm: float = 60


@dataclass(frozen=True)
class LineChart:
    """One line per ``(name, values)`` series over ``x_labels``; ``None`` is a gap."""

    title: str
    x_labels: list[str]
    series: list[tuple[str, list[float | None]]]
    percent: bool = False
    height_mm: float = 65


@dataclass(frozen=True)
class Flowchart:
    """Boxes top-down with arrows between them and an optional loop, in the units of a
    ``width`` x ``height`` canvas with y growing downwards (slas.process.flowchart's
    geometry); scaled to the page width. ``boxes``: (x, y, w, h, name, detail)."""

    width: float
    height: float
    boxes: list[tuple[float, float, float, float, str, str]]
    arrows: list[tuple[float, float, float, float]]
    loop: list[tuple[float, float]] = field(default_factory=list)
    loop_label: str = ""


Block = Heading | Paragraph | Table | KeyValues | Spacer | BarChart | LineChart | Flowchart


# ---------------------------------------------------------------------- fonts
@dataclass(frozen=True)
class _Fonts:
    regular: str
    bold: str


_fonts_cache: list[_Fonts] = []


def _fonts() -> _Fonts:
    """Register DejaVu Sans once if installed; fall back to Helvetica."""
    if _fonts_cache:
        return _fonts_cache[0]
    fonts = _Fonts("Helvetica", "Helvetica-Bold")
    if os.path.exists(DEJAVU_REGULAR):
        pdfmetrics.registerFont(TTFont("DejaVuSans", DEJAVU_REGULAR))
        bold = "DejaVuSans"
        if os.path.exists(DEJAVU_BOLD):
            pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", DEJAVU_BOLD))
            bold = "DejaVuSans-Bold"
        pdfmetrics.registerFontFamily(
            "DejaVuSans", normal="DejaVuSans", bold=bold, italic="DejaVuSans", boldItalic=bold
        )
        fonts = _Fonts("DejaVuSans", bold)
    _fonts_cache.append(fonts)
    return fonts


def escape_markup(text: str) -> str:
    """Escape ``text`` for ReportLab's paragraph mini-markup; newlines -> ``<br/>``."""
    return xml_escape(str(text)).replace("\r\n", "\n").replace("\n", "<br/>")


# --------------------------------------------------------------------- styles
@dataclass
class _Styles:
    fonts: _Fonts
    title: ParagraphStyle = field(init=False)
    subtitle: ParagraphStyle = field(init=False)
    h1: ParagraphStyle = field(init=False)
    h2: ParagraphStyle = field(init=False)
    body: ParagraphStyle = field(init=False)
    cell: ParagraphStyle = field(init=False)
    cell_bold: ParagraphStyle = field(init=False)

    def __post_init__(self) -> None:
        r, b = self.fonts.regular, self.fonts.bold
        self.title = ParagraphStyle(
            "Title", fontName=b, fontSize=20, leading=24, textColor=_INK, spaceAfter=4
        )
        self.subtitle = ParagraphStyle(
            "Subtitle", fontName=r, fontSize=12, leading=15, textColor=_MUTED, spaceAfter=8
        )
        self.h1 = ParagraphStyle(
            "H1", fontName=b, fontSize=14, leading=18, textColor=_INK, spaceBefore=10, spaceAfter=4
        )
        self.h2 = ParagraphStyle(
            "H2", fontName=b, fontSize=12, leading=15, textColor=_INK, spaceBefore=8, spaceAfter=3
        )
        self.body = ParagraphStyle(
            "Body", fontName=r, fontSize=10, leading=14, textColor=_INK, spaceAfter=6
        )
        self.cell = ParagraphStyle("Cell", fontName=r, fontSize=9, leading=12, textColor=_INK)
        self.cell_bold = ParagraphStyle("CellBold", parent=self.cell, fontName=b)


def _para(text: str, style: ParagraphStyle) -> platypus.Paragraph:
    return platypus.Paragraph(escape_markup(text), style)


_TABLE_STYLE = [
    ("GRID", (0, 0), (-1, -1), 0.5, _RULE),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("TOPPADDING", (0, 0), (-1, -1), 3),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
]


def _flowables(block: Block, styles: _Styles, width: float) -> list[platypus.Flowable]:
    if isinstance(block, Heading):
        return [_para(block.text, styles.h1 if block.level <= 1 else styles.h2)]
    if isinstance(block, Paragraph):
        return [_para(block.text, styles.body)]
    if isinstance(block, Spacer):
        return [platypus.Spacer(1, block.height_mm * mm)]
    if isinstance(block, Table):
        ncols = max([len(block.header), *(len(row) for row in block.rows)], default=0)
        if ncols == 0:
            return []

        def pad(row: list[str]) -> list[str]:
            return [*row, *([""] * (ncols - len(row)))]

        data = []
        if block.header:
            data.append([_para(c, styles.cell_bold) for c in pad(block.header)])
        data.extend([_para(c, styles.cell) for c in pad(row)] for row in block.rows)
        if not data:
            return []
        style = list(_TABLE_STYLE)
        if block.header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), _HEADER_BG))
        table = platypus.Table(
            data,
            colWidths=[width / ncols] * ncols,
            repeatRows=1 if block.header else 0,
            style=style,
        )
        return [table, platypus.Spacer(1, 3 * mm)]
    if isinstance(block, KeyValues):
        if not block.pairs:
            return []
        data = [[_para(k, styles.cell_bold), _para(v, styles.cell)] for k, v in block.pairs]
        table = platypus.Table(
            data,
            colWidths=[width * 0.35, width * 0.65],
            style=[
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, _RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
            ],
        )
        return [table, platypus.Spacer(1, 3 * mm)]
    if isinstance(block, BarChart):
        return [_bar_drawing(block, styles.fonts, width), platypus.Spacer(1, 3 * mm)]
    if isinstance(block, LineChart):
        return [_line_drawing(block, styles.fonts, width), platypus.Spacer(1, 3 * mm)]
    if isinstance(block, Flowchart):
        return [_flowchart_drawing(block, styles.fonts, width), platypus.Spacer(1, 3 * mm)]
    raise TypeError(f"Unsupported PDF block: {type(block).__name__}")


# --------------------------------------------------------------------- charts
def _arrowhead(x: float, y: float, dx: float, dy: float, colour) -> Polygon:
    """A small filled triangle pointing along (dx, dy) with its tip at (x, y)."""
    length = (dx * dx + dy * dy) ** 0.5 or 1.0
    ux, uy = dx / length, dy / length
    size = 5.0
    return Polygon(
        [
            x,
            y,
            x - size * ux + size * 0.5 * uy,
            y - size * uy - size * 0.5 * ux,
            x - size * ux - size * 0.5 * uy,
            y - size * uy + size * 0.5 * ux,
        ],
        fillColor=colour,
        strokeColor=colour,
    )


def _flowchart_drawing(block: Flowchart, fonts: _Fonts, width: float) -> Drawing:
    scale = min(1.0, width / block.width) if block.width else 1.0
    drawing = Drawing(block.width * scale, block.height * scale)
    group = Group()
    group.scale(scale, scale)

    def flip(y: float) -> float:  # the geometry's y grows downwards, a PDF's upwards
        return block.height - y

    line_colour = colors.HexColor("#5b7088")
    loop_colour = colors.HexColor("#b7791f")
    for x1, y1, x2, y2 in block.arrows:
        group.add(Line(x1, flip(y1), x2, flip(y2), strokeColor=line_colour, strokeWidth=1.2))
        group.add(_arrowhead(x2, flip(y2), x2 - x1, flip(y2) - flip(y1), line_colour))
    if len(block.loop) >= 2:
        points = [v for x, y in block.loop for v in (x, flip(y))]
        group.add(
            PolyLine(points, strokeColor=loop_colour, strokeWidth=1.2, strokeDashArray=[4, 2])
        )
        (xa, ya), (xb, yb) = block.loop[-2], block.loop[-1]
        group.add(_arrowhead(xb, flip(yb), xb - xa, flip(yb) - flip(ya), loop_colour))
        if block.loop_label:
            mid_x = block.loop[1][0]
            mid_y = (flip(block.loop[1][1]) + flip(block.loop[2][1])) / 2
            label = String(mid_x + 3, mid_y, block.loop_label, fontName=fonts.regular)
            label.fontSize, label.fillColor = 7, loop_colour
            group.add(label)
    for x, y, w, h, name, detail in block.boxes:
        group.add(
            Rect(
                x,
                flip(y + h),
                w,
                h,
                rx=6,
                ry=6,
                fillColor=colors.HexColor("#f4f7fb"),
                strokeColor=line_colour,
                strokeWidth=1,
            )
        )
        title = String(x + 8, flip(y + 20), name, fontName=fonts.bold)
        title.fontSize, title.fillColor = 10, _INK
        group.add(title)
        if detail:
            text = String(x + 8, flip(y + 38), detail, fontName=fonts.regular)
            text.fontSize, text.fillColor = 8, _MUTED
            group.add(text)
    drawing.add(group)
    return drawing


_CHART_LEFT = 42  # room for the value axis labels
_CHART_BOTTOM = 22  # room for the category labels


def _finite(values) -> list[float]:
    return [float(v) for v in values if v is not None]


def _value_axis(axis, values: list[float], *, percent: bool, font: str) -> tuple[float, float]:
    lo, hi, ticks = _y_scale(values, percent=percent)
    axis.valueMin, axis.valueMax = lo, hi
    axis.valueSteps = ticks
    axis.labelTextFormat = lambda v: format_value(v, percent=percent)
    axis.labels.fontName = font
    axis.labels.fontSize = 7
    axis.strokeColor = _RULE
    axis.visibleGrid = 1
    axis.gridStrokeColor = _RULE
    axis.gridStrokeWidth = 0.3
    return lo, hi


def _category_axis(axis, labels: list[str], font: str) -> None:
    every = max(1, -(-len(labels) // 12))  # at most 12 labels, as on the pages
    axis.categoryNames = [label if i % every == 0 else "" for i, label in enumerate(labels)]
    axis.labels.fontName = font
    axis.labels.fontSize = 7
    axis.labels.dy = -2
    axis.strokeColor = _RULE


def _chart_frame(title: str, width: float, height: float, fonts: _Fonts) -> Drawing:
    drawing = Drawing(width, height)
    drawing.add(String(0, height - 10, title, fontName=fonts.bold, fontSize=9, fillColor=_INK))
    return drawing


def _no_data(drawing: Drawing, width: float, height: float, fonts: _Fonts) -> Drawing:
    drawing.add(
        String(
            width / 2,
            height / 2,
            _("No data"),
            fontName=fonts.regular,
            fontSize=9,
            fillColor=_MUTED,
            textAnchor="middle",
        )
    )
    return drawing


def _bar_drawing(block: BarChart, fonts: _Fonts, width: float) -> Drawing:
    height = block.height_mm * mm
    drawing = _chart_frame(block.title, width, height, fonts)
    targets = list(block.targets or [None] * len(block.labels))
    present = _finite(block.values)
    if not present or len(block.values) != len(block.labels):
        return _no_data(drawing, width, height, fonts)
    chart = VerticalBarChart()
    chart.x, chart.y = _CHART_LEFT, _CHART_BOTTOM
    # headroom above the plot: the value label of the tallest bar, then the title
    chart.width, chart.height = width - _CHART_LEFT - 4, height - _CHART_BOTTOM - 28
    chart.data = [[None if v is None else float(v) for v in block.values]]
    chart.bars.strokeColor = None
    chart.bars[0].fillColor = _BAR
    for i in block.highlight:
        chart.bars[(0, i)].fillColor = _ALERT
    chart.barLabelFormat = lambda v: format_value(v, percent=block.percent)
    chart.barLabels.fontName = fonts.regular
    chart.barLabels.fontSize = 7
    chart.barLabels.nudge = 6
    lo, hi = _value_axis(
        chart.valueAxis, present + _finite(targets), percent=block.percent, font=fonts.regular
    )
    _category_axis(chart.categoryAxis, block.labels, fonts.regular)
    drawing.add(chart)
    slot = chart.width / len(block.labels)
    for i, target in enumerate(targets):
        if target is None:
            continue
        y = chart.y + chart.height * (float(target) - lo) / (hi - lo)
        x0 = chart.x + slot * i
        drawing.add(
            Line(
                x0 + 2,
                y,
                x0 + slot - 2,
                y,
                strokeColor=_ALERT,
                strokeWidth=1.2,
                strokeDashArray=[3, 2],
            )
        )
    return drawing


class _GappedLineChart(HorizontalLineChart):
    """ReportLab's line chart joins points across ``None`` and fails on a lone point;
    this one breaks a line at every gap, as the pages' charts do, and shows a lone
    point as its marker."""

    def makeLines(self):  # noqa: N802 - ReportLab API
        self.joinedLines = 0  # the parent draws only the markers
        group = super().makeLines()
        for row_no, row in enumerate(self.data):
            style = self.lines[row_no]
            segments: list[list[float]] = [[]]
            for col_no, value in enumerate(row):
                if value is None:
                    segments.append([])
                    continue
                x = self.categoryAxis.scale(col_no)[0] + self._hngs
                segments[-1] += [x, self.valueAxis.scale(value)]
            for points in segments:
                if len(points) >= 4:
                    group.add(
                        PolyLine(
                            points,
                            strokeColor=style.strokeColor,
                            strokeWidth=style.strokeWidth,
                            strokeLineJoin=1,
                        )
                    )
        return group


def _line_drawing(block: LineChart, fonts: _Fonts, width: float) -> Drawing:
    height = block.height_mm * mm
    drawing = _chart_frame(block.title, width, height, fonts)
    n = len(block.x_labels)
    data = [
        [None if v is None else float(v) for v in list(values)[:n]] for _n, values in block.series
    ]
    data = [values + [None] * (n - len(values)) for values in data]
    present = _finite(v for values in data for v in values)
    if not n or not present:
        return _no_data(drawing, width, height, fonts)
    rows = -(-len(block.series) // 3)  # the legend has up to three columns
    legend_h = 12 * rows
    chart = _GappedLineChart()
    chart.x, chart.y = _CHART_LEFT, _CHART_BOTTOM + legend_h
    chart.width = width - _CHART_LEFT - 4
    chart.height = height - _CHART_BOTTOM - legend_h - 18
    chart.data = data
    for i in range(len(data)):
        colour = _SERIES[i % len(_SERIES)]
        chart.lines[i].strokeColor = colour
        chart.lines[i].strokeWidth = 1.5
        chart.lines[i].symbol = makeMarker("FilledCircle", size=3, fillColor=colour)
    _value_axis(chart.valueAxis, present, percent=block.percent, font=fonts.regular)
    _category_axis(chart.categoryAxis, block.x_labels, fonts.regular)
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = _CHART_LEFT, legend_h
    legend.alignment = "right"
    legend.fontName = fonts.regular
    legend.fontSize = 7
    legend.columnMaximum = rows
    legend.deltax = width / 3
    legend.dx = legend.dy = 6
    legend.colorNamePairs = [
        (_SERIES[i % len(_SERIES)], name) for i, (name, _values) in enumerate(block.series)
    ]
    legend.boxAnchor = "nw"
    drawing.add(legend)
    return drawing


# --------------------------------------------------------------------- canvas
def _numbered_canvas(footer_title: str, font: str) -> type[rl_canvas.Canvas]:
    """A canvas class that defers pages to print "Page X of Y" in the footer."""

    class NumberedCanvas(rl_canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._page_states: list[dict] = []

        def showPage(self):  # noqa: N802 - ReportLab API
            self._page_states.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._page_states)
            for state in self._page_states:
                self.__dict__.update(state)
                self._draw_footer(total)
                super().showPage()
            super().save()

        def _draw_footer(self, total: int) -> None:
            width = PAGE_SIZE[0]
            self.saveState()
            self.setStrokeColor(_RULE)
            self.setLineWidth(0.5)
            self.line(MARGIN, FOOTER_Y + 5 * mm, width - MARGIN, FOOTER_Y + 5 * mm)
            self.setFont(font, 8)
            self.setFillColor(_MUTED)
            self.drawString(MARGIN, FOOTER_Y, footer_title)
            self.drawRightString(
                width - MARGIN,
                FOOTER_Y,
                _("Page %(n)s of %(total)s") % {"n": self._pageNumber, "total": total},
            )
            self.restoreState()

    return NumberedCanvas


# ---------------------------------------------------------------------- build
def build_pdf(
    *,
    title: str,
    subtitle: str = "",
    blocks: list[Block],
    meta: dict | None = None,
    compress: bool = True,
) -> bytes:
    """Render a PDF document and return its bytes.

    ``meta`` may set the PDF document properties in :data:`META_KEYS`
    (author, subject, keywords, creator); other keys raise ``ValueError``.
    ``compress=False`` disables page-stream compression (useful in tests to
    search the raw output for text).
    """
    meta = dict(meta or {})
    unknown = sorted(set(meta) - set(META_KEYS))
    if unknown:
        raise ValueError(
            f"Unknown PDF meta key(s): {', '.join(unknown)}; allowed: {', '.join(META_KEYS)}."
        )
    fonts = _fonts()
    styles = _Styles(fonts)
    buffer = io.BytesIO()
    doc = platypus.SimpleDocTemplate(
        buffer,
        pagesize=PAGE_SIZE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 5 * mm,
        title=title,
        author=str(meta.get("author", "")),
        subject=str(meta.get("subject", "")),
        keywords=str(meta.get("keywords", "")),
        creator=str(meta.get("creator", "")),
        invariant=1,
        pageCompression=1 if compress else 0,
    )
    story: list[platypus.Flowable] = [_para(title, styles.title)]
    if subtitle:
        story.append(_para(subtitle, styles.subtitle))
    story.append(platypus.Spacer(1, 4 * mm))
    for block in blocks:
        story.extend(_flowables(block, styles, doc.width))
    doc.build(story, canvasmaker=_numbered_canvas(title, fonts.regular))
    return buffer.getvalue()
