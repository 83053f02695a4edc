import re
import xml.etree.ElementTree as ET

import pytest

from portal.charts import Series, bar_chart, format_value, line_chart

SVG = "{http://www.w3.org/2000/svg}"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May"]


def parse(svg):
    return ET.fromstring(str(svg))  # noqa: S314 - our own output, in tests


def paths(svg):
    return [p.get("d") for p in parse(svg).iter(f"{SVG}path")]


def sample_line(**kwargs):
    params = {
        "x_labels": MONTHS,
        "y_label": "Accepted within SLA",
        "target": 0.9,
        "percent": True,
    }
    params.update(kwargs)
    return line_chart(
        [
            Series("MQL to SAL", [0.82, 0.91, 0.95, 0.88, 0.97], "series-1"),
            Series("SAL to SQL", [0.5, 0.55, 0.6, 0.62, 0.7], "series-2"),
        ],
        **params,
    )


def test_line_chart_is_accessible_svg():
    root = parse(sample_line())
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title.text == "Accepted within SLA"
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


def test_line_chart_desc_summarises_the_data():
    desc = parse(sample_line()).find(f"{SVG}desc").text
    assert "MQL to SAL: 82% (Jan) to 97% (May)" in desc
    assert "highest 97% (May)" in desc
    assert "Target: 90%." in desc


def test_line_chart_draws_one_path_per_series_with_css_classes():
    root = parse(sample_line())
    classes = [p.get("class") for p in root.iter(f"{SVG}path")]
    assert classes == ["chart-line series-1", "chart-line series-2"]


def test_line_chart_draws_a_dashed_target_line():
    root = parse(sample_line())
    targets = [el for el in root.iter(f"{SVG}line") if el.get("class") == "chart-target"]
    assert len(targets) == 1
    assert targets[0].get("stroke-dasharray")
    assert "Target 90%" in str(sample_line())


def test_charts_use_no_inline_styles_or_scripts():
    for svg in (sample_line(), bar_chart(["a", "b"], [1, 2], highlight={1})):
        assert "style" not in svg
        assert "<script" not in svg
        assert "<foreignObject" not in svg


def test_x_labels_are_rendered():
    svg = str(sample_line())
    for month in MONTHS:
        assert f">{month}</text>" in svg


def test_none_values_create_gaps_in_the_line():
    svg = line_chart(
        [Series("Leads", [1, 2, None, 4, 5], "series-1")], x_labels=MONTHS, y_label="Leads"
    )
    (d,) = paths(svg)
    assert d.count("M") == 2  # the line restarts after the gap
    assert len(parse(svg).findall(f".//{SVG}circle")) == 4


def test_leading_and_trailing_none_values_do_not_start_empty_segments():
    svg = line_chart([Series("Leads", [None, 2, 3, None], "s")], x_labels=MONTHS[:4])
    (d,) = paths(svg)
    assert d.startswith("M") and d.count("M") == 1


def test_nan_is_treated_as_a_gap():
    svg = line_chart([Series("Leads", [1, float("nan"), 3], "s")], x_labels=MONTHS[:3])
    (d,) = paths(svg)
    assert d.count("M") == 2


def test_line_labels_series_names_and_title_are_escaped():
    svg = line_chart(
        [Series('<script>alert("s")</script>', [1, 2], "series-1")],
        x_labels=["<img src=x onerror=alert(1)>", "Feb & Mar"],
        y_label="<b>y</b>",
        title="</title><script>alert(1)</script>",
    )
    assert "<script" not in svg
    assert "<img" not in svg
    assert "<b>" not in svg
    assert "&lt;img src=x onerror=alert(1)&gt;" in svg
    assert "Feb &amp; Mar" in svg
    parse(svg)  # still well-formed XML


def test_bad_css_class_is_rejected():
    with pytest.raises(ValueError, match="Invalid CSS class"):
        Series("x", [1], 'a" onload="alert(1)')


def test_line_chart_with_no_series_says_no_data():
    svg = line_chart([], x_labels=MONTHS)
    assert ">No data</text>" in svg
    assert parse(svg).get("role") == "img"


def test_line_chart_with_only_none_values_says_no_data():
    assert ">No data</text>" in line_chart([Series("a", [None, None], "s")], x_labels=["x", "y"])


def test_line_chart_with_no_x_labels_says_no_data():
    assert ">No data</text>" in line_chart([Series("a", [1, 2], "s")], x_labels=[])


def test_single_point_line_chart_renders():
    svg = line_chart([Series("a", [5], "s")], x_labels=["Jan"])
    assert len(parse(svg).findall(f".//{SVG}circle")) == 1


def test_line_chart_is_deterministic_and_safe():
    assert str(sample_line()) == str(sample_line())
    assert hasattr(sample_line(), "__html__")


def test_bar_chart_renders_one_bar_per_value_with_highlight_class():
    svg = bar_chart(["Ana", "Bob", "Cleo"], [3, 5, 2], highlight={1})
    rects = list(parse(svg).iter(f"{SVG}rect"))
    assert [r.get("class") for r in rects] == ["chart-bar", "chart-bar is-highlight", "chart-bar"]
    assert parse(svg).get("role") == "img"


def test_bar_heights_are_proportional_to_values():
    rects = list(parse(bar_chart(["a", "b"], [2, 4])).iter(f"{SVG}rect"))
    heights = [float(r.get("height")) for r in rects]
    assert heights[1] == pytest.approx(2 * heights[0])


def test_bar_chart_desc_lists_every_value():
    desc = parse(bar_chart(["Ana", "Bob"], [3, 1250])).find(f"{SVG}desc").text
    assert desc == "Ana: 3; Bob: 1,250."


def test_bar_chart_labels_are_escaped():
    svg = bar_chart(["<script>alert(1)</script>", "R&D"], [1, 2], title="<i>t</i>")
    assert "<script" not in svg and "<i>" not in svg
    assert "R&amp;D" in svg
    parse(svg)


def test_bar_chart_without_values_says_no_data():
    assert ">No data</text>" in bar_chart([], [])
    assert ">No data</text>" in bar_chart(["a"], [None])


def test_bar_chart_skips_none_values():
    svg = bar_chart(["a", "b", "c"], [1, None, 3])
    assert len(list(parse(svg).iter(f"{SVG}rect"))) == 2
    assert "b: no data" in svg


def test_bar_chart_handles_negative_values():
    rects = list(parse(bar_chart(["up", "down"], [3, -2])).iter(f"{SVG}rect"))
    assert all(float(r.get("height")) > 0 for r in rects)
    # the negative bar starts at the zero line, below the positive bar's bottom edge
    up, down = rects
    assert float(down.get("y")) == pytest.approx(float(up.get("y")) + float(up.get("height")))


def test_bar_chart_needs_one_value_per_label():
    with pytest.raises(ValueError, match="one value per label"):
        bar_chart(["a", "b"], [1])


@pytest.mark.parametrize(
    ("value", "percent", "expected"),
    [(0.95, True, "95%"), (0.995, True, "99.5%"), (1250, False, "1,250"), (0.5, False, "0.5")],
)
def test_values_are_formatted_for_people(value, percent, expected):
    assert format_value(value, percent=percent) == expected


def test_many_x_labels_are_thinned():
    labels = [f"D{i}" for i in range(60)]
    svg = line_chart([Series("a", list(range(60)), "s")], x_labels=labels)
    shown = re.findall(r">D\d+</text>", str(svg))
    assert 0 < len(shown) <= 12


def test_bar_chart_draws_a_target_marker_on_each_bar_that_has_one():
    # given bars whose target changes from bar to bar (a prorated first month)
    # when the chart is drawn
    svg = bar_chart(["Jan", "Feb", "Mar"], [10, 25, 30], target=[16, 31, None])
    # then each bar with a target gets a dashed marker at the target's height
    root = parse(svg)
    markers = [el for el in root.iter(f"{SVG}line") if el.get("class") == "chart-target"]
    assert [m.find(f"{SVG}title").text for m in markers] == ["Jan: Target 16", "Feb: Target 31"]
    rects = list(root.iter(f"{SVG}rect"))
    feb_bar_top = float(rects[1].get("y"))
    assert float(markers[1].get("y1")) < feb_bar_top  # 31 is above the bar of 25
    assert "Jan: 10 (target 16); Feb: 25 (target 31); Mar: 30." == root.find(f"{SVG}desc").text


def test_bar_chart_scale_makes_room_for_a_target_above_every_bar():
    # given a target far above the bars
    # when the chart is drawn
    root = parse(bar_chart(["a", "b"], [1, 2], target=[None, 40]))
    # then the highest tick reaches the target
    ticks = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "chart-tick"]
    assert "40" in ticks


def test_bar_chart_draws_one_target_line_for_a_single_target():
    # given one target for every bar
    # when the chart is drawn
    svg = bar_chart(["a", "b"], [1, 2], target=3)
    # then one dashed line crosses the chart, labelled, and the summary says so
    root = parse(svg)
    lines = [el for el in root.iter(f"{SVG}line") if el.get("class") == "chart-target"]
    assert len(lines) == 1
    assert "Target 3" in svg
    assert root.find(f"{SVG}desc").text.endswith("Target: 3.")


def test_bar_chart_needs_one_target_per_label_when_targets_vary():
    with pytest.raises(ValueError, match="one target per label"):
        bar_chart(["a", "b"], [1, 2], target=[1])


def test_words_the_charts_add_are_translated(monkeypatch):
    # given a gettext that marks every string it translates
    import portal.charts as charts_module

    monkeypatch.setattr(charts_module, "_", lambda text: f"«{text}»")
    # when charts are drawn with default titles, targets, gaps and no data
    line = str(line_chart([Series("a", [1, None, 3], "s")], x_labels=MONTHS[:3], target=2))
    bar = str(bar_chart(["a", "b"], [1, None], target=[2, None]))
    empty = str(bar_chart([], []))
    # then no English word is left outside gettext
    assert "«Line chart»" in line and "«Target: 2.»" in line and "«Target 2»" in line
    assert "«a: 1 (Jan) to 3 (Mar); lowest 1 (Jan), highest 3 (Mar).»" in line
    assert "«Bar chart»" in bar and "«a: 1 (target 2)»; «b: «no data»»." in bar
    assert "«No data.»" in empty and "«No data»" in empty


# Running periods and labels at the edges -------------------------------------------------

MONTH_LABELS = ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"]
CHAR_WIDTH = 6.2  # at the charts' 11px: what portal.charts reserves per character


def _label_extents(svg, width):
    """(left, right) of every x label, from its anchor and an 11px character width."""
    root = parse(svg)
    group = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "chart-x-labels")
    out = []
    for text in group.iter(f"{SVG}text"):
        x, est = float(text.get("x")), CHAR_WIDTH * len(text.text)
        anchor = text.get("text-anchor")
        left = {"start": x, "middle": x - est / 2, "end": x - est}[anchor]
        out.append((left, left + est))
    return out


@pytest.mark.parametrize("width", [640, 360])
def test_no_x_label_is_clipped_at_either_edge(width):
    chart = line_chart([Series("Rating", [3, 4, 2, 5, 4, 3])], x_labels=MONTH_LABELS, width=width)
    extents = _label_extents(chart, width)
    assert extents and all(0 <= left and right <= width for left, right in extents)
    bars = bar_chart(MONTH_LABELS, [3, 4, 2, 5, 4, 3], width=width)
    assert all(0 <= left and right <= width for left, right in _label_extents(bars, width))


def test_a_running_period_is_drawn_dashed_and_labelled_to_date():
    chart = line_chart([Series("Rating", [3, 4, 2, 5, 4, 1])], x_labels=MONTH_LABELS, partial=5)
    root = parse(chart)
    lines = [p for p in root.iter(f"{SVG}path") if "chart-line" in p.get("class", "")]
    solid = [p for p in lines if "is-partial" not in p.get("class")]
    dashed = [p for p in lines if "is-partial" in p.get("class")]
    # the settled periods are one solid line of five points; the running one is a dashed step
    assert len(solid) == 1 and solid[0].get("d").count("L") == 4
    assert len(dashed) == 1 and dashed[0].get("stroke-dasharray")
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "to date" in texts
    assert "2026-12 to date" in root.find(f"{SVG}desc").text
    # the whole chart, the "to date" line included, fits in its box
    height = float(root.get("height"))
    assert all(float(t.get("y")) <= height for t in root.iter(f"{SVG}text"))


def test_a_running_period_bar_is_marked_partial():
    chart = bar_chart(MONTH_LABELS, [3, 4, 2, 5, 4, 1], partial=5)
    root = parse(chart)
    rects = [r for r in root.iter(f"{SVG}rect") if "chart-bar" in r.get("class", "")]
    assert ["is-partial" in r.get("class") for r in rects] == [False] * 5 + [True]
    assert "to date" in [t.text for t in root.iter(f"{SVG}text")]


def test_without_a_running_period_nothing_says_to_date():
    chart = line_chart([Series("Rating", [3, 4, 2, 5, 4, 1])], x_labels=MONTH_LABELS)
    assert "to date" not in str(chart)


@pytest.mark.parametrize(
    ("language", "value", "percent", "expected"),
    [
        ("ar", 0.75, True, "٧٥٪"),
        ("fa", 1250, False, "۱٬۲۵۰"),
        ("ro", 0.995, True, "99,5\u00a0%"),
        ("ja", 1250, False, "1,250"),
    ],
)
def test_values_are_written_as_the_language_writes_numbers(language, value, percent, expected):
    """Seen: the Arabic monthly PDF's axes read '100%', '75%' beside Arabic-Indic tables."""
    from django.utils import translation

    with translation.override(language):
        assert format_value(value, percent=percent) == expected


def test_a_persian_chart_writes_its_ticks_in_persian_digits():
    from django.utils import translation

    with translation.override("fa"):
        svg = str(sample_line())
    ticks = [t.text for t in parse(svg).iter(f"{SVG}text") if t.get("class") == "chart-tick"]
    assert ticks and all(not re.search("[0-9]", t) for t in ticks), ticks
