"""How compliance numbers read: titles, values, targets and statuses as text.

Pages, CSV, PDF and the API all format through these functions so the same
number reads the same everywhere.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from portal import dates, numbers
from reports.engine import COUNT_KINDS
from slas.periods import period_containing
from slas.sentences import commitment_rule
from slas.stages import Stage

STATUS_LABELS = {
    "met": gettext_lazy("Met"),
    "missed": gettext_lazy("Missed"),
    "on_track": gettext_lazy("On track"),
    "at_risk": gettext_lazy("At risk"),
    "no_data": gettext_lazy("No data"),
}

# How an incentive rule's condition stands in a period (reports.incentives), as the
# incentives page and the monthly PDF word it; the payroll and monthly CSVs keep the code.
CONDITION_LABELS = {
    "none": gettext_lazy("no condition"),
    "met": gettext_lazy("condition met"),
    "pending": gettext_lazy("condition holds so far"),
    "at_risk": gettext_lazy("condition at risk"),
    "failed": gettext_lazy("condition failed: nothing paid"),
}

BUCKET_LABELS = {
    "counted": gettext_lazy("Handoffs"),
    "breached": gettext_lazy("Breached"),
    "at_risk": gettext_lazy("Open, at risk"),
    "open": gettext_lazy("Open clocks"),
    "met": gettext_lazy("Met"),
    "rejected": gettext_lazy("Rejected"),
    "accepted": gettext_lazy("Accepted"),
    "undecided": gettext_lazy("Undecided"),
    "short": gettext_lazy("Too few attempts"),
    "overridden": gettext_lazy("Too few, overridden by a manager"),
    "documented": gettext_lazy("Reason documented"),
    "undocumented": gettext_lazy("No agreed reason"),
    "uncovered": gettext_lazy("No feedback"),
    "covered": gettext_lazy("With feedback"),
    "not_converted": gettext_lazy("Not converted"),
    "converted": gettext_lazy("Converted"),
}


def stage_label(stage: str | None) -> str:
    """A lead stage as people read it (``leads.models.Stage`` labels), in the active
    language; an unknown code is shown as it is."""
    if not stage:
        return ""
    try:
        return str(Stage(stage).label)
    except ValueError:
        return str(stage)


def problem_text(bucket: str, n: int) -> str:
    """The count of a scorecard cell's problem list ("3 breached", "1 rejected"), as
    one translatable phrase per list, so translators can order and inflect it."""
    phrases = {
        "breached": lambda: ngettext("%(n)s breached", "%(n)s breached", n),
        "rejected": lambda: ngettext("%(n)s rejected", "%(n)s rejected", n),
        "short": lambda: ngettext("%(n)s with too few attempts", "%(n)s with too few attempts", n),
        "undocumented": lambda: ngettext(
            "%(n)s without an agreed reason", "%(n)s without an agreed reason", n
        ),
        "uncovered": lambda: ngettext("%(n)s without feedback", "%(n)s without feedback", n),
        "not_converted": lambda: ngettext("%(n)s not converted", "%(n)s not converted", n),
    }
    phrase = phrases.get(bucket)
    if phrase is None:
        return f"{numbers.number(n)} {BUCKET_LABELS.get(bucket, bucket)}"
    return numbers.fill(phrase(), {"n": n})


def quarter_of_month(label: str) -> str:
    """``2026-02`` -> ``2026-Q1``; any other label (a quarter's) is returned as it is."""
    year, _sep, month = label.partition("-")
    if not (year.isdigit() and month.isdigit()):
        return label
    return f"{year}-Q{(int(month) - 1) // 3 + 1}"


def result_in_month(line, month_label: str):
    """A commitment's result for a month: its own month, or for a quarterly commitment
    the quarter that contains the month (``None`` if there is none)."""
    if line.spec.period == "quarter":
        return line.result(quarter_of_month(month_label))
    return line.result(month_label)


def period_note(result, month_label: str, now, *, plain: bool = False) -> str:
    """Says which period a result covers when it is not the month itself: a quarter
    still running reads "2026-Q1 (to date)", a finished one "2026-Q1 (whole quarter)"
    (the label in the reader's digits, as `portal.dates.period` writes it; as it is
    with `plain`, for CSV)."""
    if result is None or result.label == month_label:
        return ""
    label = result.label if plain else dates.period(result.label)
    if result.period_end > now:
        return _("%(period)s (to date)") % {"period": label}
    return _("%(period)s (whole quarter)") % {"period": label}


def rate_series(card, labels: list[str]) -> list[tuple[str, list[float | None]]]:
    """The rate commitments of a scorecard over ``labels``, as ``(legend, values)`` with
    values as fractions (0.9), for trend charts on pages and in the PDF."""
    series = []
    for line in card.lines:
        if line.spec.kind in COUNT_KINDS:
            continue
        values = []
        for label in labels:
            r = line.result(label)
            values.append(None if r is None or r.actual is None else r.actual / 100)
        series.append((short_title(line.spec.kind, dict(line.spec.params)), values))
    return series


def volume_bars(comp, labels: list[str]):
    """MQL volume per period for a bar chart: ``(values, targets, highlight)`` where
    ``highlight`` holds the indexes of periods missed or at risk; ``None`` when the
    version has no volume commitment."""
    line = comp.line_of("mql_volume")
    if line is None:
        return None
    values, targets, highlight = [], [], set()
    for i, label in enumerate(labels):
        r = line.result(label)
        values.append(r.actual if r else None)
        targets.append(float(r.target) if r else None)
        if r is not None and r.status in ("missed", "at_risk"):
            highlight.add(i)
    return values, targets, highlight


def labels_until(labels: list[str], month_label: str, count: int) -> list[str]:
    """The last ``count`` period labels up to the month included, and its quarter when
    that comes right after it (the quarter ends with the month: see VersionCompliance)."""
    for key in (month_label, quarter_of_month(month_label)):
        if key in labels:
            end = labels.index(key) + 1
            if end < len(labels) and labels[end] == quarter_of_month(month_label):
                end += 1
            return labels[:end][-count:]
    return labels[-count:]


def running_index(labels: list[str], tz: str, now) -> int | None:
    """Index of the label (a month, a quarter, or "<period> v<n>") of the period still
    running at `now` in `tz`: charts draw it as partial (portal.charts)."""
    running = {period_containing(tz, kind, now).label for kind in ("month", "quarter")}
    for i, label in enumerate(labels):
        if label.split(" ")[0] in running:
            return i
    return None


def commitment_title(kind: str, params: dict) -> str:
    """What a commitment promises, as the agreement words it (slas.sentences)."""
    return commitment_rule(kind, params)


def commitment_stages(kind: str, params: dict) -> list[str]:
    """The stages whose agreed definitions decide what a commitment counts, shown with
    their definitions next to it (slas.glossary)."""
    if kind == "conversion_rate":
        return [str(params.get("from_stage", "")), str(params.get("to_stage", ""))]
    return {
        "mql_volume": ["mql"],
        "first_contact_within": ["mql"],
        "acceptance_rate": ["mql", "sal"],
        "attempts_before_recycle": ["recycled"],
        "reason_documented": ["recycled", "disqualified"],
        "feedback_coverage": ["recycled"],
        "visitor_to_lead": ["lead"],
    }.get(kind, [])


def short_title(kind: str, params: dict) -> str:
    """A few words, for chart legends."""
    return {
        "mql_volume": _("MQLs"),
        "first_contact_within": _("First contact ≤ %(h)s h") % {"h": _shown(params.get("hours"))},
        "acceptance_rate": _("Accepted"),
        "attempts_before_recycle": _("≥ %(k)s attempts") % {"k": _shown(params.get("attempts"))},
        "reason_documented": _("Reasons"),
        "feedback_coverage": _("Feedback"),
        "visitor_to_lead": _("Visitor → lead"),
        "conversion_rate": _("%(from)s→%(to)s")
        % {
            "from": stage_label(params.get("from_stage")),
            "to": stage_label(params.get("to_stage")),
        },
    }.get(kind, kind)


def _shown(value) -> str:
    """`_number` in the reader's digits (portal.numbers), for words on a page or a PDF."""
    return "?" if value is None else numbers.number(_number(value), grouping=False)


def _number(value) -> str:
    if value is None:
        return "?"
    d = Decimal(str(value))
    return str(d.quantize(Decimal(1))) if d == d.to_integral_value() else str(d.normalize())


def format_percent(value: Decimal) -> str:
    """An exact percentage as "50%" or "66.7%" (one decimal, half up), in the reader's
    digits and percent sign (`portal.numbers.percent`: ٥٠٪ in Arabic)."""
    return numbers.percent(value, -1)


def format_actual(kind: str, actual: float | None, *, plain: bool = False) -> str:
    """A figure for a reader (the language's digits and separators, `portal.numbers`), or
    `plain` for a CSV file (1234, 90.5%)."""
    if actual is None:
        return "—"
    places = 0 if kind in COUNT_KINDS or abs(actual - round(actual)) < 0.05 else 1
    if plain:
        return f"{actual:.{places}f}" + ("" if kind in COUNT_KINDS else "%")
    if kind in COUNT_KINDS:
        return numbers.number(actual, 0)
    return numbers.percent(actual, places)


def format_target(kind: str, target, *, plain: bool = False) -> str:
    if target is None:
        return ""
    if plain:
        text = _number(target)
        return f"≥ {text}" if kind in COUNT_KINDS else f"≥ {text}%"
    written = numbers.number(Decimal(_number(target)))
    return (
        f"≥ {written}" if kind in COUNT_KINDS else f"≥ {numbers.percent(Decimal(_number(target)))}"
    )


def format_fraction(kind: str, numerator: int, denominator: int, *, plain: bool = False) -> str:
    if kind in COUNT_KINDS:
        return ""
    if plain:
        return f"{numerator}/{denominator}"
    return f"{numbers.number(numerator)}/{numbers.number(denominator)}"


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def format_duration(seconds: float) -> str:
    """Business time as "3 h 20 min" (negative means overdue)."""
    sign = "-" if seconds < 0 else ""
    minutes = int(abs(seconds) // 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        text = _("%(sign)s%(h)s h %(m)s min") % {"sign": sign, "h": hours, "m": minutes}
    else:
        text = _("%(sign)s%(m)s min") % {"sign": sign, "m": minutes}
    return numbers.digits(text)
