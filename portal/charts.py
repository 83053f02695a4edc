"""Server-side SVG charts: no JavaScript, no CDN, Content-Security-Policy friendly.

Charts are returned as inline ``<svg>`` markup (a :class:`SafeString`):

* accessible: ``role="img"``, ``<title>`` and ``<desc>`` (the ``<desc>`` holds a
  plain-text summary of the data), ``aria-labelledby`` pointing at both;
* every piece of caller-supplied text is escaped with ``django.utils.html.escape``;
* colours come from CSS classes (``chart-line``, ``chart-bar``, ``is-highlight``,
  ``chart-target`` … plus each series' ``css_class``), never ``style=``
  attributes or ``<style>`` elements, so a strict ``style-src`` CSP is fine.
  Neutral presentation attributes (``stroke="currentColor"``, ``fill="none"``)
  act as fallbacks that any stylesheet rule overrides.

``None`` (or NaN) values are gaps: lines break and bars are omitted.
``partial`` is the index of a period still running (its figure is so far, not final):
its step of a line is dashed, its bar hatched, and "to date" is written under its label,
so a month half-way through never reads as a drop. X labels at the edges are anchored
inwards, so none is clipped.
With ``percent=True`` values are fractions (0.95) shown as percentages (95%).
Every word the charts add themselves (default titles, the screen-reader summary,
"Target") is translated in the active language, and numbers are written as it writes
them (portal.numbers).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from portal import numbers

_CSS_CLASS_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*( [A-Za-z_][A-Za-z0-9_-]*)*$")

PAD_LEFT = 52
PAD_RIGHT = 16
PAD_TOP = 28  # room for the legend
PAD_BOTTOM = 30
PARTIAL_PAD = 14  # a second line under the x labels: "to date" under a running period
MAX_X_LABELS = 12
CHAR_WIDTH = 6.2  # an 11px label's characters, on average: what a label is given to fit


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    css_class: str = "series-1"

    def __post_init__(self) -> None:
        if not _CSS_CLASS_RE.match(self.css_class):
            raise ValueError(f"Invalid CSS class name(s) for series {self.name!r}.")


# -------------------------------------------------------------------- helpers
def _clean(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _num(value: float) -> str:
    """Compact coordinate formatting."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_value(value: float, *, percent: bool = False) -> str:
    """Human-readable number (``1,250``, ``0.5``) or percentage (``95%``, ``99.5%``), with
    the active language's separators and digits (``٧٥٪``, ``99,5 %``)."""
    if percent:
        pct = value * 100
        return numbers.percent(f"{pct:.0f}" if abs(pct - round(pct)) < 0.05 else f"{pct:.1f}")
    if abs(value - round(value)) < 1e-9:
        return numbers.number(round(value))
    return numbers.number(f"{value:.2f}".rstrip("0").rstrip("."))


def _nice_step(span: float, ticks: int = 4) -> float:
    raw = span / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude  # pragma: no cover - loop always returns


def _y_scale(values: list[float], *, percent: bool) -> tuple[float, float, list[float]]:
    lo = min([0.0, *values])
    hi = max([0.0, *values])
    if percent:
        hi = max(hi, 1.0)
    if hi == lo:
        hi = lo + 1.0
    step = _nice_step(hi - lo)
    lo = math.floor(lo / step) * step
    hi = math.ceil(hi / step) * step
    count = round((hi - lo) / step)
    return lo, hi, [lo + i * step for i in range(count + 1)]


def _chart_id(kind: str, *parts: object) -> str:
    digest = hashlib.sha256(repr((kind, parts)).encode()).hexdigest()[:10]
    return f"chart-{digest}"


def _svg_open(chart_id: str, width: int, height: int, title: str, desc: str, kind: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>'
    )


def _empty(chart_id: str, width: int, height: int, title: str, kind: str) -> SafeString:
    return mark_safe(  # noqa: S308 - all text escaped
        _svg_open(chart_id, width, height, title, _("No data."), kind)
        + f'<text class="chart-empty" x="{width / 2:g}" y="{height / 2:g}" '
        'text-anchor="middle" dominant-baseline="middle" fill="currentColor">'
        f"{escape(_('No data'))}</text>"
        "</svg>"
    )


def _y_axis(
    lo: float,
    hi: float,
    ticks: list[float],
    *,
    width: int,
    height: int,
    percent: bool,
    y_label: str,
) -> tuple[list[str], Callable[[float], float]]:
    plot_h = height - PAD_TOP - PAD_BOTTOM

    def y_of(v: float) -> float:
        return PAD_TOP + plot_h * (1 - (v - lo) / (hi - lo))

    out = ['<g class="chart-grid">']
    for tick in ticks:
        y = _num(y_of(tick))
        out.append(
            f'<line x1="{PAD_LEFT}" x2="{width - PAD_RIGHT}" y1="{y}" y2="{y}" '
            'stroke="currentColor" stroke-opacity="0.15"/>'
            f'<text class="chart-tick" x="{PAD_LEFT - 6}" y="{y}" text-anchor="end" '
            f'dominant-baseline="middle" fill="currentColor">'
            f"{escape(format_value(tick, percent=percent))}</text>"
        )
    out.append("</g>")
    if y_label:
        cy = _num(PAD_TOP + plot_h / 2)
        out.append(
            f'<text class="chart-axis-label" x="12" y="{cy}" text-anchor="middle" '
            f'transform="rotate(-90 12 {cy})" fill="currentColor">{escape(y_label)}</text>'
        )
    return out, y_of


def shown_labels(labels: list[str]) -> list[bool]:
    """Which x labels a chart writes: at most :data:`MAX_X_LABELS`, evenly spread."""
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    return [i % every == 0 for i in range(len(labels))]


def x_positions(kind: str, n: int, width: int) -> tuple[list[float], float]:
    """Where a chart of ``kind`` ("line" or "bar") puts its ``n`` points or bars across
    ``width``, and the width of one slot (the space a label may take)."""
    plot_w = width - PAD_LEFT - PAD_RIGHT
    if kind == "bar":
        slot = plot_w / n if n else plot_w
        return [PAD_LEFT + slot * (i + 0.5) for i in range(n)], slot
    xs = [PAD_LEFT + (plot_w * i / (n - 1) if n > 1 else plot_w / 2) for i in range(n)]
    return xs, (plot_w / (n - 1) if n > 1 else plot_w)


def _x_labels(
    labels: list[str], xs: list[float], height: int, width: int, partial: int | None = None
) -> list[str]:
    base = height - PAD_BOTTOM + 16 - (PARTIAL_PAD if partial is not None else 0)
    out = ['<g class="chart-x-labels">']
    for i, (label, x, shown) in enumerate(zip(labels, xs, shown_labels(labels), strict=False)):
        if not shown and i != partial:
            continue
        out.append(_edge_text(label, x, base, width, "chart-tick"))
    out.append("</g>")
    if partial is not None and 0 <= partial < len(xs):
        out.append(
            _edge_text(_("to date"), xs[partial], base + PARTIAL_PAD, width, "chart-partial-label")
        )
    return out


def _edge_text(text: str, x: float, y: float, width: int, css: str) -> str:
    """A label centred on x, or anchored inwards where centring would cross an edge."""
    half = CHAR_WIDTH * len(text) / 2
    anchor = "middle"
    if x + half > width - 1:
        anchor, x = "end", width - 1
    elif x - half < 1:
        anchor, x = "start", 1
    return (
        f'<text class="{css}" x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}" '
        f'fill="currentColor">{escape(text)}</text>'
    )


def _partial_index(partial: int | None, n: int) -> int | None:
    return partial if partial is not None and 0 <= partial < n else None


def _target_text(target: float, percent: bool) -> str:
    return _("Target %(value)s") % {"value": format_value(target, percent=percent)}


# ----------------------------------------------------------------- line chart
def _series_summary(series: Series, labels: list[str], percent: bool) -> str:
    points = [
        (labels[i] if i < len(labels) else str(i + 1), v)
        for i, v in enumerate(_clean(v) for v in series.values)
        if v is not None
    ]
    if not points:
        return _("%(name)s: no data.") % {"name": series.name}
    (first_label, first), (last_label, last) = points[0], points[-1]
    lo_label, lo = min(points, key=lambda p: p[1])
    hi_label, hi = max(points, key=lambda p: p[1])

    def fmt(v: float) -> str:
        return format_value(v, percent=percent)

    return _(
        "%(name)s: %(first)s (%(first_label)s) to %(last)s (%(last_label)s); "
        "lowest %(lowest)s (%(lowest_label)s), highest %(highest)s (%(highest_label)s)."
    ) % {
        "name": series.name,
        "first": fmt(first),
        "first_label": first_label,
        "last": fmt(last),
        "last_label": last_label,
        "lowest": fmt(lo),
        "lowest_label": lo_label,
        "highest": fmt(hi),
        "highest_label": hi_label,
    }


def line_chart(
    series: list[Series],
    *,
    x_labels: list[str],
    y_label: str = "",
    target: float | None = None,
    width: int = 640,
    height: int = 240,
    percent: bool = False,
    title: str | None = None,
    partial: int | None = None,
    words_outside: bool = False,
) -> SafeString:
    """Render one or more series over ``x_labels`` as an SVG line chart.

    Each series' values align with ``x_labels`` (extra values are ignored,
    missing ones are gaps). ``target`` draws a dashed horizontal line.
    ``partial``: the index of a running period (see the module's docstring).
    ``words_outside`` leaves out the x labels and the legend (the PDFs write them
    in HTML around the chart, where Arabic is shaped: see ``portal.pdf``).
    """
    title = title or y_label or _("Line chart")
    x_labels = [numbers.digits(str(label)) for label in x_labels]  # periods: 2026-03
    n = len(x_labels)
    partial = _partial_index(partial, n)
    if partial is not None:
        height += PARTIAL_PAD
    chart_id = _chart_id("line", series, x_labels, y_label, target, title)
    cleaned = [[_clean(v) for v in list(s.values)[:n]] for s in series]
    present = [v for values in cleaned for v in values if v is not None]
    if not n or not present:
        return _empty(chart_id, width, height, title, "line")

    described = list(x_labels)
    if partial is not None:
        described[partial] = _("%(label)s to date") % {"label": x_labels[partial]}
    summaries = [_series_summary(s, described, percent) for s in series]
    if target is not None:
        summaries.append(_("Target: %(value)s.") % {"value": format_value(target, percent=percent)})
    lo, hi, ticks = _y_scale(present + ([target] if target is not None else []), percent=percent)

    xs, _slot = x_positions("line", n, width)

    parts = [_svg_open(chart_id, width, height, title, " ".join(summaries), "line")]
    plot_height = height - (PARTIAL_PAD if partial is not None else 0)
    axis, y_of = _y_axis(
        lo, hi, ticks, width=width, height=plot_height, percent=percent, y_label=y_label
    )
    parts += axis
    if not words_outside:
        parts += _x_labels(x_labels, xs, height, width, partial)

    if target is not None:
        ty = _num(y_of(target))
        parts.append(
            f'<line class="chart-target" x1="{PAD_LEFT}" x2="{width - PAD_RIGHT}" '
            f'y1="{ty}" y2="{ty}" stroke="currentColor" stroke-dasharray="6 4"/>'
            f'<text class="chart-target-label" x="{width - PAD_RIGHT}" y="{_num(y_of(target) - 4)}" '
            f'text-anchor="end" fill="currentColor">'
            f"{escape(_target_text(target, percent))}</text>"
        )

    for s, values in zip(series, cleaned, strict=True):
        settled = values if partial is None else values[:partial]
        segments: list[list[tuple[float, float]]] = [[]]
        for x, v in zip(xs, settled, strict=False):
            if v is None:
                if segments[-1]:
                    segments.append([])
                continue
            segments[-1].append((x, y_of(v)))
        d = " ".join(
            "M" + " L".join(f"{_num(x)} {_num(y)}" for x, y in seg) for seg in segments if seg
        )
        css = escape(s.css_class)
        parts.append(f'<g class="chart-series {css}">')
        if d:
            parts.append(
                f'<path class="chart-line {css}" d="{d}" fill="none" stroke="currentColor" '
                'stroke-width="2" stroke-linejoin="round"/>'
            )
        if partial is not None and values[partial] is not None:
            # The running period: a dashed step from the last settled point (if any).
            end = (xs[partial], y_of(values[partial]))
            before = values[partial - 1] if partial > 0 else None
            start = (xs[partial - 1], y_of(before)) if before is not None else end
            parts.append(
                f'<path class="chart-line is-partial {css}" '
                f'd="M{_num(start[0])} {_num(start[1])} L{_num(end[0])} {_num(end[1])}" '
                'fill="none" stroke="currentColor" stroke-width="2" stroke-dasharray="5 4"/>'
            )
        for i, v in enumerate(values):
            if v is None:
                continue
            point = "chart-point is-partial" if i == partial else "chart-point"
            parts.append(
                f'<circle class="{point} {css}" cx="{_num(xs[i])}" cy="{_num(y_of(v))}" '
                f'r="3" fill="currentColor"><title>{escape(s.name)}, {escape(described[i])}: '
                f"{escape(format_value(v, percent=percent))}</title></circle>"
            )
        parts.append("</g>")

    if words_outside:
        parts.append("</svg>")
        return mark_safe("".join(parts))  # noqa: S308 - all text escaped
    # Legend along the top.
    x = PAD_LEFT
    parts.append('<g class="chart-legend">')
    for s in series:
        css = escape(s.css_class)
        parts.append(
            f'<rect class="chart-swatch {css}" x="{x}" y="8" width="10" height="10" '
            f'fill="currentColor"/><text x="{x + 14}" y="17" fill="currentColor">'
            f"{escape(s.name)}</text>"
        )
        x += 24 + 7 * len(s.name)
    parts.append("</g></svg>")
    return mark_safe("".join(parts))  # noqa: S308 - all text escaped


# ------------------------------------------------------------------ bar chart
def _bar_targets(
    target: float | Sequence[float | None] | None, n: int
) -> tuple[float | None, list[float | None]]:
    """Split ``target`` into one value for the whole chart or one per bar."""
    if target is None:
        return None, [None] * n
    if not isinstance(target, Sequence):
        return _clean(target), [None] * n
    targets = [_clean(t) for t in target]
    if len(targets) != n:
        raise ValueError(
            f"bar_chart needs one target per label ({n} labels, {len(targets)} targets)."
        )
    return None, targets


def bar_chart(
    labels: list[str],
    values: list[float | None],
    *,
    width: int = 640,
    height: int = 240,
    highlight: set[int] | frozenset[int] = frozenset(),
    percent: bool = False,
    target: float | Sequence[float | None] | None = None,
    title: str | None = None,
    partial: int | None = None,
    words_outside: bool = False,
) -> SafeString:
    """Render a vertical bar chart; bars whose index is in ``highlight`` get ``is-highlight``.

    ``target`` is either one number (a dashed line across the chart, as in
    :func:`line_chart`) or one value per bar (a dashed marker across each bar's
    slot, for targets that change from bar to bar; ``None`` means no target).
    ``words_outside`` leaves out the x labels (as in :func:`line_chart`).
    """
    title = title or _("Bar chart")
    labels = [numbers.digits(str(label)) for label in labels]  # periods: 2026-03
    if len(labels) != len(values):
        raise ValueError(
            f"bar_chart needs one value per label ({len(labels)} labels, {len(values)} values)."
        )
    partial = _partial_index(partial, len(labels))
    if partial is not None:
        height += PARTIAL_PAD
    described = list(labels)
    if partial is not None:
        described[partial] = _("%(label)s to date") % {"label": labels[partial]}
    common, targets = _bar_targets(target, len(labels))
    chart_id = _chart_id("bar", labels, values, sorted(highlight), targets, common, title)
    cleaned = [_clean(v) for v in values]
    present = [v for v in cleaned if v is not None]
    if not present:
        return _empty(chart_id, width, height, title, "bar")

    def fmt(v: float) -> str:
        return format_value(v, percent=percent)

    items = []
    for label, v, t in zip(described, cleaned, targets, strict=True):
        value = fmt(v) if v is not None else _("no data")
        if t is None:
            items.append(_("%(label)s: %(value)s") % {"label": label, "value": value})
        else:
            items.append(
                _("%(label)s: %(value)s (target %(target)s)")
                % {"label": label, "value": value, "target": fmt(t)}
            )
    summary = "; ".join(items) + "."
    if common is not None:
        summary += " " + _("Target: %(value)s.") % {"value": fmt(common)}
    scale = (
        present + [t for t in targets if t is not None] + ([common] if common is not None else [])
    )
    lo, hi, ticks = _y_scale(scale, percent=percent)
    parts = [_svg_open(chart_id, width, height, title, summary, "bar")]
    plot_height = height - (PARTIAL_PAD if partial is not None else 0)
    axis, y_of = _y_axis(
        lo, hi, ticks, width=width, height=plot_height, percent=percent, y_label=""
    )
    parts += axis

    xs, slot = x_positions("bar", len(labels), width)
    bar_w = slot * 0.7
    if not words_outside:
        parts += _x_labels(labels, xs, height, width, partial)
    base = y_of(0.0)
    parts.append('<g class="chart-bars">')
    for i, v in enumerate(cleaned):
        if v is None:
            continue
        top, bottom = sorted((y_of(v), base))
        css = "chart-bar is-highlight" if i in highlight else "chart-bar"
        extra = ""
        if i == partial:
            # So far, not final: a lighter bar with a dashed outline.
            css += " is-partial"
            extra = ' fill-opacity="0.45" stroke="currentColor" stroke-dasharray="4 3"'
        text = escape(fmt(v))
        parts.append(
            f'<rect class="{css}" x="{_num(xs[i] - bar_w / 2)}" y="{_num(top)}" '
            f'width="{_num(bar_w)}" height="{_num(bottom - top)}" fill="currentColor"{extra}>'
            f"<title>{escape(described[i])}: {text}</title></rect>"
        )
        if bar_w >= 24:
            parts.append(
                f'<text class="chart-value" x="{_num(xs[i])}" y="{_num(top - 4)}" '
                f'text-anchor="middle" fill="currentColor">{text}</text>'
            )
    parts.append("</g>")
    if any(t is not None for t in targets):
        parts.append('<g class="chart-targets">')
        for i, (label, t) in enumerate(zip(labels, targets, strict=True)):
            if t is None:
                continue
            ty = _num(y_of(t))
            parts.append(
                f'<line class="chart-target" x1="{_num(xs[i] - slot / 2 + 2)}" '
                f'x2="{_num(xs[i] + slot / 2 - 2)}" y1="{ty}" y2="{ty}" '
                'stroke="currentColor" stroke-width="2" stroke-dasharray="4 3">'
                f"<title>{escape(label)}: {escape(_target_text(t, percent))}</title></line>"
            )
        parts.append("</g>")
    if common is not None:
        ty = _num(y_of(common))
        parts.append(
            f'<line class="chart-target" x1="{PAD_LEFT}" x2="{width - PAD_RIGHT}" '
            f'y1="{ty}" y2="{ty}" stroke="currentColor" stroke-dasharray="6 4"/>'
            f'<text class="chart-target-label" x="{width - PAD_RIGHT}" '
            f'y="{_num(y_of(common) - 4)}" text-anchor="end" fill="currentColor">'
            f"{escape(_target_text(common, percent))}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - all text escaped
