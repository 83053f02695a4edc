"""The lead-process flowchart as plain geometry (pure Python): one box per step, top to
bottom in the map's order, arrows between consecutive steps, and the recycle loop from the
step covering `recycled` back to the step covering `mql` (the only way back the lifecycle
allows: recycled -> mql is a new handoff).

The SVG itself is `templates/slas/_flowchart.html`. Right-to-left pages get the mirror
image: the boxes keep their column, the loop runs along the other side and text is
anchored at the boxes' right edge. The chart is decoration for sighted readers
(`aria-hidden`); the table rendered with it carries the same content and links.
"""

from __future__ import annotations

from dataclasses import dataclass, field

WIDTH = 360
BOX_HEIGHT = 58
FIGURES_HEIGHT = 30  # extra height of a box that shows figures
GAP = 26
MARGIN = 8
LANE = 34  # the side lane the recycle loop runs in


@dataclass
class ChartFigure:
    label: str
    value: str
    url: str = ""


@dataclass
class ChartStep:
    key: int
    name: str
    detail: str  # stages, owner, SLA: one short line
    figures: list[ChartFigure] = field(default_factory=list)
    stages: tuple[str, ...] = ()


@dataclass
class ChartBox:
    step: ChartStep
    x: int
    y: int
    width: int
    height: int
    text_x: int  # where lines start (left edge LTR, right edge RTL)
    figure_lines: list[list[ChartFigure]] = field(default_factory=list)

    @property
    def bottom(self) -> int:
        return self.y + self.height

    @property
    def middle_y(self) -> int:
        return self.y + self.height // 2

    @property
    def name_y(self) -> int:
        return self.y + 22

    @property
    def detail_y(self) -> int:
        return self.y + 42

    @property
    def figure_rows(self) -> list[tuple[int, list[ChartFigure]]]:
        return [(self.y + 64 + 16 * i, line) for i, line in enumerate(self.figure_lines)]


@dataclass
class Chart:
    width: int
    height: int
    rtl: bool
    boxes: list[ChartBox]
    arrows: list[tuple[int, int, int, int]]  # x1, y1, x2, y2 (down the column)
    loop_points: list[tuple[int, int]] = field(default_factory=list)  # the recycle loop
    loop_label_x: int = 0
    loop_label_y: int = 0

    @property
    def loop(self) -> str:
        """The recycle loop as an SVG path ("" when the map has none)."""
        if not self.loop_points:
            return ""
        (x0, y0), *rest = self.loop_points
        return f"M{x0},{y0} " + " ".join(f"L{x},{y}" for x, y in rest)

    @property
    def direction(self) -> str:
        """Text runs this way; `text-anchor: start` is then the boxes' inner edge."""
        return "rtl" if self.rtl else "ltr"

    @property
    def center_x(self) -> int:
        return self.boxes[0].x + self.boxes[0].width // 2 if self.boxes else self.width // 2


def flowchart(steps: list[ChartStep], *, rtl: bool = False) -> Chart:
    """Lay out the steps (see the module docstring)."""
    box_width = WIDTH - 2 * MARGIN - LANE
    x = MARGIN + LANE if rtl else MARGIN
    boxes: list[ChartBox] = []
    y = MARGIN
    for step in steps:
        lines = [step.figures[i : i + 2] for i in range(0, len(step.figures), 2)]
        height = BOX_HEIGHT + (FIGURES_HEIGHT if lines else 0) + max(0, len(lines) - 2) * 16
        text_x = x + box_width - 10 if rtl else x + 10
        boxes.append(ChartBox(step, x, y, box_width, height, text_x, lines))
        y += height + GAP
    height = max(y - GAP + MARGIN, 2 * MARGIN)
    center = x + box_width // 2
    arrows = [(center, a.bottom, center, b.y) for a, b in zip(boxes, boxes[1:], strict=False)]
    chart = Chart(WIDTH, height, rtl, boxes, arrows)
    source = next((b for b in boxes if "recycled" in b.step.stages), None)
    target = next((b for b in boxes if "mql" in b.step.stages), None)
    if source is not None and target is not None and source is not target:
        # Out of the source's outer side, along the lane, into the target's outer side.
        edge = x if rtl else x + box_width
        lane = MARGIN + LANE // 2 if rtl else WIDTH - MARGIN - LANE // 2
        chart.loop_points = [
            (edge, source.middle_y),
            (lane, source.middle_y),
            (lane, target.middle_y),
            (edge, target.middle_y),
        ]
        chart.loop_label_x = lane
        chart.loop_label_y = (source.middle_y + target.middle_y) // 2
    return chart
