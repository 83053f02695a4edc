"""One small document-to-PDF builder so certificates, version documents and
monthly reports share a single look.

Callers describe the document as a list of blocks (:class:`Heading`,
:class:`Paragraph`, :class:`Table`, :class:`KeyValues`, :class:`Spacer`);
:func:`build_pdf` lays them out with ReportLab platypus on A4 with a footer
carrying the title and "Page X of Y".

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

from reportlab import platypus
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas

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


Block = Heading | Paragraph | Table | KeyValues | Spacer


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
    raise TypeError(f"Unsupported PDF block: {type(block).__name__}")


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
            width, _ = PAGE_SIZE
            self.saveState()
            self.setStrokeColor(_RULE)
            self.setLineWidth(0.5)
            self.line(MARGIN, FOOTER_Y + 5 * mm, width - MARGIN, FOOTER_Y + 5 * mm)
            self.setFont(font, 8)
            self.setFillColor(_MUTED)
            self.drawString(MARGIN, FOOTER_Y, footer_title)
            self.drawRightString(width - MARGIN, FOOTER_Y, f"Page {self._pageNumber} of {total}")
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
