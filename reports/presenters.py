"""How compliance numbers read: titles, values, targets and statuses as text.

Pages, CSV, PDF and the API all format through these functions so the same
number reads the same everywhere.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reports.engine import COUNT_KINDS

STATUS_LABELS = {
    "met": gettext_lazy("Met"),
    "missed": gettext_lazy("Missed"),
    "on_track": gettext_lazy("On track"),
    "at_risk": gettext_lazy("At risk"),
    "no_data": gettext_lazy("No data"),
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
    "documented": gettext_lazy("Reason documented"),
    "undocumented": gettext_lazy("No agreed reason"),
    "uncovered": gettext_lazy("No feedback"),
    "covered": gettext_lazy("With feedback"),
    "not_converted": gettext_lazy("Not converted"),
    "converted": gettext_lazy("Converted"),
}


def commitment_title(kind: str, params: dict) -> str:
    if kind == "mql_volume":
        return _("MQLs handed off")
    if kind == "first_contact_within":
        return _("First contact within %(hours)s business hours") % {
            "hours": _number(params.get("hours"))
        }
    if kind == "acceptance_rate":
        return _("MQLs accepted by sales")
    if kind == "attempts_before_recycle":
        return _("At least %(attempts)s attempts before a recycle") % {
            "attempts": _number(params.get("attempts"))
        }
    if kind == "reason_documented":
        return _("Agreed reason on every recycle or disqualification")
    if kind == "feedback_coverage":
        return _("Feedback on rejected or recycled leads")
    if kind == "conversion_rate":
        return _("Conversion %(from)s → %(to)s") % {
            "from": str(params.get("from_stage", "")).upper(),
            "to": str(params.get("to_stage", "")).upper(),
        }
    return kind


def short_title(kind: str, params: dict) -> str:
    """A few words, for chart legends."""
    return {
        "mql_volume": _("MQLs"),
        "first_contact_within": _("First contact ≤ %(h)s h") % {"h": _number(params.get("hours"))},
        "acceptance_rate": _("Accepted"),
        "attempts_before_recycle": _("≥ %(k)s attempts") % {"k": _number(params.get("attempts"))},
        "reason_documented": _("Reasons"),
        "feedback_coverage": _("Feedback"),
        "conversion_rate": f"{str(params.get('from_stage', '')).upper()}"
        f"→{str(params.get('to_stage', '')).upper()}",
    }.get(kind, kind)


def _number(value) -> str:
    if value is None:
        return "?"
    d = Decimal(str(value))
    return str(d.quantize(Decimal(1))) if d == d.to_integral_value() else str(d.normalize())


def format_actual(kind: str, actual: float | None) -> str:
    if actual is None:
        return "—"
    if kind in COUNT_KINDS:
        return f"{actual:,.0f}"
    return f"{actual:.0f}%" if abs(actual - round(actual)) < 0.05 else f"{actual:.1f}%"


def format_target(kind: str, target) -> str:
    if target is None:
        return ""
    text = _number(target)
    return f"≥ {text}" if kind in COUNT_KINDS else f"≥ {text}%"


def format_fraction(kind: str, numerator: int, denominator: int) -> str:
    if kind in COUNT_KINDS:
        return ""
    return f"{numerator}/{denominator}"


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def format_duration(seconds: float) -> str:
    """Business time as "3 h 20 min" (negative means overdue)."""
    sign = "-" if seconds < 0 else ""
    minutes = int(abs(seconds) // 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(sign)s%(h)s h %(m)s min") % {"sign": sign, "h": hours, "m": minutes}
    return _("%(sign)s%(m)s min") % {"sign": sign, "m": minutes}
