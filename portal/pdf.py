"""Every PDF the portal hands out (certificate, signed document, monthly report) is
HTML laid out by WeasyPrint.

Callers describe the document as a list of blocks (:class:`Heading`,
:class:`Paragraph`, :class:`Table`, :class:`KeyValues`, :class:`Spacer`,
:class:`BarChart`, :class:`LineChart`); :func:`build_pdf` renders them with the
template ``pdf/document.html`` (its partial ``pdf/_block.html``, its stylesheet
``pdf/document.css``) in the active language, right to left for Arabic and Persian,
on A4 with a footer carrying the title and "Page X of Y" (translated).

* Text is shaped by Pango and HarfBuzz (system libraries WeasyPrint needs; see the
  README), so Arabic and Persian letters join and lines run right to left.
* The fonts are the portal's own (``portal.fonts``, installed from PyPI), subset and
  embedded; no system font is needed or used.
* Charts are the pages' SVG charts (``portal.charts``). WeasyPrint draws SVG text one
  letter at a time (no shaping, no bidi), so the words of a chart (title, x labels,
  legend) are written in HTML around it and the SVG keeps only numbers.
* User text is escaped by the template, never interpreted.
* Output is deterministic: same input, same bytes. There are no dates in the document
  information, and font subsets carry a fixed time stamp (``SOURCE_DATE_EPOCH``).
"""

from __future__ import annotations

import os

# fontTools stamps the font subsets it cuts out of variable fonts with the clock time
# unless SOURCE_DATE_EPOCH is set; a fixed stamp keeps PDFs byte-for-byte reproducible
# (issued copies are verified by their SHA-256).
os.environ.setdefault("SOURCE_DATE_EPOCH", "0")

import logging  # noqa: E402
import re  # noqa: E402
import threading  # noqa: E402
import unicodedata  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from html import escape  # noqa: E402

# WeasyPrint reports each layout step and fontTools each font it cuts, at INFO: noise in
# the portal's logs. Their warnings still show.
for _name in ("weasyprint", "fontTools"):
    logging.getLogger(_name).setLevel(logging.WARNING)

from django.template.loader import render_to_string  # noqa: E402
from django.utils.safestring import mark_safe  # noqa: E402
from django.utils.translation import get_language, get_language_bidi  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402
from weasyprint import CSS, HTML  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402

from portal import charts, fonts, numbers  # noqa: E402

#: Keys of ``meta`` that map to PDF document properties.
META_KEYS = ("author", "subject", "keywords", "creator")

#: The charts' drawing size (SVG units); the PDF scales them to the text width.
CHART_WIDTH = 640
CHART_HEIGHT = 220


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

#: Colours of the line charts' series, in order (as the pages' reports.css).
SERIES_COLOURS = ("#2f5bea", "#e07b00", "#1d7a46", "#8e44ad", "#b42318", "#0e7c86")


# ------------------------------------------------------------------ direction
def text_direction(text: str) -> str:
    """``"rtl"`` when ``text`` has Arabic or Persian letters (a Persian sentence that
    starts with "MQL" is still a Persian sentence), else ``"ltr"`` (also for numbers
    only, such as "19 / 20", which must not be reversed)."""
    if any(unicodedata.bidirectional(char) in ("R", "AL") for char in str(text)):
        return "rtl"
    return "ltr"


#: A word this long is a code or a hash: its cell may break it anywhere.
LONG_WORD = 24
#: A cell this short (a figure, "≥ 80%", "19 / 20") stays on one line.
SHORT_CELL = 10


def _cell(text) -> dict:
    text = str(text)
    return {
        "lines": text.replace("\r\n", "\n").split("\n"),
        "dir": text_direction(text),
        "code": any(len(word) >= LONG_WORD for word in text.split()),
        "short": len(text) <= SHORT_CELL,
    }


# --------------------------------------------------------------------- charts
def _present(values) -> bool:
    return any(v is not None for v in values)


def _x_labels(kind: str, labels: list[str]) -> list[dict]:
    """The x labels as HTML boxes placed under the chart's points or bars (percentages
    of the chart's width, so they follow it at any size)."""
    xs, slot = charts.x_positions(kind, len(labels), CHART_WIDTH)
    every = max(1, -(-len(labels) // charts.MAX_X_LABELS))  # as charts.shown_labels
    width = slot * every
    out = []
    for label, x, shown in zip(labels, xs, charts.shown_labels(labels), strict=True):
        if shown:
            out.append(
                {
                    "text": numbers.digits(str(label)),  # periods: 2026-03
                    "left": f"{100 * (x - width / 2) / CHART_WIDTH:.3f}%",
                    "width": f"{100 * width / CHART_WIDTH:.3f}%",
                }
            )
    return out


def _chart(block: BarChart | LineChart) -> dict:
    if isinstance(block, BarChart):
        ok = len(block.values) == len(block.labels) and _present(block.values)
        svg = (
            charts.bar_chart(
                list(block.labels),
                list(block.values),
                width=CHART_WIDTH,
                height=CHART_HEIGHT,
                highlight=frozenset(block.highlight),
                percent=block.percent,
                target=list(block.targets) if block.targets is not None else None,
                title=block.title,
                words_outside=True,
            )
            if ok
            else ""
        )
        return {"kind": "bar", "svg": svg, "labels": _x_labels("bar", list(block.labels))}
    n = len(block.x_labels)
    ok = n > 0 and any(_present(list(values)[:n]) for _name, values in block.series)
    svg = (
        charts.line_chart(
            [
                charts.Series(name=name, values=list(values), css_class=f"series-{i % 6}")
                for i, (name, values) in enumerate(block.series)
            ],
            x_labels=list(block.x_labels),
            width=CHART_WIDTH,
            height=CHART_HEIGHT,
            percent=block.percent,
            title=block.title,
            words_outside=True,
        )
        if ok
        else ""
    )
    return {
        "kind": "line",
        "svg": svg,
        "labels": _x_labels("line", list(block.x_labels)),
        "legend": [
            {
                "name": name,
                "dir": text_direction(name),
                "colour": SERIES_COLOURS[i % len(SERIES_COLOURS)],
            }
            for i, (name, _values) in enumerate(block.series)
        ],
    }


#: Inside a chart's SVG (WeasyPrint reads only the SVG's own style sheet there): the
#: portal's fonts for the numbers (Arabic-Indic digits are in the Arabic face) and the
#: pages' chart colours.
_SVG_STYLE = (
    "<style>"
    # WeasyPrint splits an SVG font-family at commas and strips only quotes: no spaces.
    "text { font-family: " + ",".join(fonts.FAMILIES) + "; font-size: 11px; }"
    ".chart-tick, .chart-value { fill: #5d6776; }"
    ".chart-bar { fill: #2f5bea; } .chart-bar.is-highlight { fill: #b42318; }"
    ".chart-target { stroke: #b42318; }"
    + "".join(
        f".chart-line.series-{i} {{ stroke: {c}; }} .chart-point.series-{i} {{ fill: {c}; }}"
        for i, c in enumerate(SERIES_COLOURS)
    )
    + "</style>"
)


def _styled_svg(svg: str) -> str:
    return re.sub(r"(<svg\b[^>]*>)", lambda m: m.group(1) + _SVG_STYLE, svg, count=1)


# ---------------------------------------------------------------------- build
def _item(block: Block) -> dict:
    if isinstance(block, Heading):
        return {"type": "heading", "text": block.text, "level": 2 if block.level <= 1 else 3}
    if isinstance(block, Paragraph):
        return {"type": "paragraph", **_cell(block.text)}
    if isinstance(block, Spacer):
        return {"type": "spacer", "height": f"{block.height_mm:g}mm"}
    if isinstance(block, Table):
        ncols = max([len(block.header), *(len(row) for row in block.rows)], default=0)
        if ncols == 0:
            return {"type": "none"}

        def pad(row: list[str]) -> list[str]:
            return [*row, *([""] * (ncols - len(row)))]

        return {
            "type": "table",
            "header": [_cell(c) for c in pad(block.header)] if block.header else [],
            "rows": [[_cell(c) for c in pad(row)] for row in block.rows],
        }
    if isinstance(block, KeyValues):
        if not block.pairs:
            return {"type": "none"}
        return {"type": "keyvalues", "pairs": [(_cell(k), _cell(v)) for k, v in block.pairs]}
    if isinstance(block, BarChart | LineChart):
        chart = _chart(block)
        chart["svg"] = mark_safe(_styled_svg(chart["svg"]))  # noqa: S308 - charts escape
        return {
            "type": "chart",
            "title": block.title,
            "height": f"{block.height_mm:g}mm",
            **chart,
        }
    if isinstance(block, Flowchart):
        svg = _styled_svg(_flowchart_svg(block))  # the portal's fonts, as the charts
        return {"type": "flowchart", "svg": mark_safe(svg)}  # noqa: S308 - texts escaped
    raise TypeError(f"Unsupported PDF block: {type(block).__name__}")


def _flowchart_svg(block: Flowchart) -> str:
    """The lead-process flowchart (slas.process.flowchart's geometry) as SVG, every text
    escaped; scaled to the page by the template's CSS."""
    ink, line, loop = "#1a2633", "#5b7088", "#b7791f"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {block.width:g} {block.height:g}" '
        f'class="flowchart-svg">',
        '<defs><marker id="fc-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="{line}"/></marker></defs>',
    ]
    for x1, y1, x2, y2 in block.arrows:
        out.append(
            f'<line x1="{x1:g}" y1="{y1:g}" x2="{x2:g}" y2="{y2 - 2:g}" stroke="{line}" '
            'stroke-width="1.5" marker-end="url(#fc-arrow)"/>'
        )
    if len(block.loop) >= 2:
        points = " ".join(f"{x:g},{y:g}" for x, y in block.loop)
        out.append(
            f'<polyline points="{points}" fill="none" stroke="{loop}" stroke-width="1.5" '
            'stroke-dasharray="5 3" marker-end="url(#fc-arrow)"/>'
        )
        if block.loop_label and len(block.loop) >= 3:
            x, y = block.loop[1][0], (block.loop[1][1] + block.loop[2][1]) / 2
            out.append(
                f'<text x="{x + 4:g}" y="{y:g}" font-size="11" fill="{loop}">'
                f"{escape(block.loop_label)}</text>"
            )
    for x, y, w, h, name, detail in block.boxes:
        out.append(
            f'<rect x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}" rx="8" fill="#f4f7fb" '
            f'stroke="{line}" stroke-width="1.2"/>'
            f'<text x="{x + 10:g}" y="{y + 22:g}" font-size="14" font-weight="600" '
            f'fill="{ink}">{escape(name)}</text>'
        )
        if detail:
            out.append(
                f'<text x="{x + 10:g}" y="{y + 40:g}" font-size="11.5" fill="#44546a">'
                f"{escape(detail)}</text>"
            )
    out.append("</svg>")
    return "".join(out)


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string (for generated content)."""
    escaped = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\A ")
    return f'"{escaped}"'


PAGE_COUNTER_STYLES = {"ar": "arabic-indic", "fa": "persian"}


def page_counter_content() -> str:
    """The translated "Page X of Y" as a CSS ``content`` value with page counters."""
    marker = "\x00"
    text = _("Page %(n)s of %(total)s") % {"n": f"{marker}n{marker}", "total": f"{marker}t{marker}"}
    # the language's digits (portal.numbers): WeasyPrint's counter styles of CSS
    style = PAGE_COUNTER_STYLES.get((get_language() or "en").split("-")[0])
    suffix = f", {style}" if style else ""
    parts = []
    for i, piece in enumerate(text.split(marker)):
        if i % 2:
            parts.append(f"counter(page{suffix})" if piece == "n" else f"counter(pages{suffix})")
        elif piece:
            parts.append(css_string(piece))
    return " ".join(parts)


_local = threading.local()


def _font_setup() -> tuple[FontConfiguration, CSS]:
    """One font configuration and style sheet per thread: loading the fonts once
    saves most of the time of a small document."""
    if not hasattr(_local, "fonts"):
        config = FontConfiguration()
        _local.fonts = (config, CSS(string=fonts.font_face_css(), font_config=config))
    return _local.fonts


def render_document(
    *, title: str, subtitle: str = "", blocks: list[Block], meta: dict | None = None
):
    """Lay the document out (a WeasyPrint ``Document``: its pages and boxes, which tests
    read); :func:`build_pdf` writes it."""
    meta = dict(meta or {})
    unknown = sorted(set(meta) - set(META_KEYS))
    if unknown:
        raise ValueError(
            f"Unknown PDF meta key(s): {', '.join(unknown)}; allowed: {', '.join(META_KEYS)}."
        )
    items = [_item(block) for block in blocks]
    rtl = get_language_bidi()
    html = render_to_string(
        "pdf/document.html",
        {
            "lang": get_language() or "en",
            "dir": "rtl" if rtl else "ltr",
            "title": title,
            "subtitle": subtitle,
            "items": items,
            "meta": meta,
            "font_stack": mark_safe(fonts.font_stack()),  # noqa: S308 - fixed names
            "footer_title": mark_safe(css_string(title)),  # noqa: S308 - CSS-escaped
            "page_counter": mark_safe(page_counter_content()),  # noqa: S308 - CSS-escaped
            "footer_start": "right" if rtl else "left",
            "footer_end": "left" if rtl else "right",
        },
    )
    config, font_css = _font_setup()
    return HTML(string=html).render(stylesheets=[font_css], font_config=config)


def build_pdf(
    *,
    title: str,
    subtitle: str = "",
    blocks: list[Block],
    meta: dict | None = None,
    compress: bool = True,
) -> bytes:
    """Render a PDF document in the active language and return its bytes.

    ``meta`` may set the PDF document properties in :data:`META_KEYS`
    (author, subject, keywords, creator); other keys raise ``ValueError``.
    ``compress=False`` leaves the page streams uncompressed (for inspection).
    """
    document = render_document(title=title, subtitle=subtitle, blocks=blocks, meta=meta)
    return document.write_pdf(uncompressed_pdf=not compress)
