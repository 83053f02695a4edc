"""How a version's rules read: every scoring rule, commitment and other criterion as the
sentence it says, in the reader's language.

The one place that words them, for the version's document page, compare, history, the
document PDF and the reports: `Job title contains "VP"`, "First contact within 24
business hours", "Industry is one of Software, Financial Services or
Telecommunications". Sentences are written when read (in the active language), never
stored: a commitment's description is the person's own note, and a description that only
repeats a kind's name (the editor's "First contact within H business hours") is a
placeholder, cleared when saved (`slas.models.commitment_description_clean`), so the
commitment reads from its parameters.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.text import capfirst, get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from portal import dates, numbers
from portal.models import TeamFunction
from slas.models import (
    CHANNELS,
    WEEKDAYS,
    Cadence,
    CommitmentKind,
    Dimension,
    EscalationAction,
    Operator,
    ReasonApplies,
)
from slas.stages import stage_label

#: Lead fields as people call them, and the attributes integrations commonly send; other
#: attribute keys read de-snake-cased ("lead_score" -> "lead score").
ATTRIBUTE_LABELS = {
    "source": gettext_lazy("source system"),
    "external_id": gettext_lazy("external id"),
    "first_name": gettext_lazy("first name"),
    "last_name": gettext_lazy("last name"),
    "email": gettext_lazy("email"),
    "company": gettext_lazy("company"),
    "job_title": gettext_lazy("job title"),
    "industry": gettext_lazy("industry"),
    "company_size": gettext_lazy("company size"),
    "lead_source": gettext_lazy("lead source"),
    "visits": gettext_lazy("website visits"),
    "pricing_page": gettext_lazy("pricing page viewed"),
    "demo_requested": gettext_lazy("demo requested"),
}


def number(value: Any) -> str:
    """A number without noise: 24, 4.5, 1000000 (not 24.00 or 1E+6)."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    # the language's digits and decimal sign (portal.numbers: ٢٤ in Arabic), no grouping
    return numbers.number(_without_noise(amount), grouping=False)


def _without_noise(amount: Decimal) -> str:
    if amount == amount.to_integral():
        return format(amount.quantize(Decimal(1)), "f")
    return format(amount.normalize(), "f")


def percent(value: Any) -> str:
    """A percentage without noise, with the language's digits and percent sign
    (portal.numbers.percent: 90%, ٢٫٥٪ in Arabic)."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    return numbers.percent(_without_noise(amount))


def and_list(items: Iterable[Any]) -> str:
    """Items joined as the language joins a list: "Mon, Tue and Wed"."""
    return str(get_text_list([str(item) for item in items], _("and")))


def or_list(items: Iterable[Any]) -> str:
    """Alternatives joined as the language joins them: "A, B or C"."""
    return str(get_text_list([str(item) for item in items], _("or")))


# Parties ---------------------------------------------------------------------------------

#: Where each team function stands in the funnel: of two parties, the one earlier hands
#: leads off, the later one receives them (marketing to sales, sales to customer success).
FUNNEL_ORDER = {
    TeamFunction.MARKETING: 0,
    TeamFunction.SALES: 1,
    TeamFunction.CUSTOMER_SUCCESS: 2,
    TeamFunction.OTHER: 3,
}


@dataclass(frozen=True)
class Sides:
    """The agreement's two sides as its text names them: who hands leads off, who
    receives them (and contacts, accepts or returns them)."""

    hands_off: str
    receives: str


def agreement_sides(parties: Iterable[Any]) -> Sides:
    """The real team names for "<receives> returns the lead to <hands_off>", from the
    agreement's parties (teams), by their place in the funnel; ties by name."""
    teams = sorted(parties, key=lambda t: (FUNNEL_ORDER.get(t.function, 9), t.name, t.pk))
    if not teams:
        return Sides(hands_off=_("marketing"), receives=_("sales"))
    return Sides(hands_off=teams[0].name, receives=teams[-1].name)


# Qualification ---------------------------------------------------------------------------


def attribute_label(attribute: str) -> str:
    """A lead attribute as people call it ("job title"), never its key ("job_title")."""
    label = ATTRIBUTE_LABELS.get(attribute)
    return str(label) if label is not None else str(attribute).replace("_", " ").strip()


def rule_values(operator: str, value: str) -> list[str]:
    """The values a rule compares with: the items of an "is one of" list, else the value."""
    if operator == Operator.IN:
        return [item.strip() for item in str(value).split(",") if item.strip()]
    return [str(value)]


def scoring_rule_condition(attribute: str, operator: str, value: Any) -> str:
    """`Job title contains "VP"`, "Company size is at least 200", "Industry is one of
    Software, Financial Services or Telecommunications"."""
    subject = capfirst(attribute_label(attribute))
    if operator == Operator.IN:
        return _("%(attribute)s is one of %(values)s") % {
            "attribute": subject,
            "values": or_list(rule_values(operator, value)),
        }
    templates = {
        Operator.EQUALS: _('%(attribute)s is "%(value)s"'),
        Operator.NOT_EQUALS: _('%(attribute)s is not "%(value)s"'),
        Operator.CONTAINS: _('%(attribute)s contains "%(value)s"'),
        Operator.GTE: _("%(attribute)s is at least %(value)s"),
        Operator.LTE: _("%(attribute)s is at most %(value)s"),
    }
    template = templates.get(operator)
    if template is None:
        return f"{subject} {operator} {value}"
    shown = number(value) if operator in (Operator.GTE, Operator.LTE) else value
    return template % {"attribute": subject, "value": shown}


def scoring_rule_points(points: Any, dimension: str) -> str:
    """ "25 fit points", "40 interest points"."""
    count = _plural_count(points)
    if dimension == Dimension.INTEREST:
        text = ngettext("%(points)s interest point", "%(points)s interest points", count)
    else:
        text = ngettext("%(points)s fit point", "%(points)s fit points", count)
    return text % {"points": number(points)}


def scoring_rule_sentence(rule: Any) -> str:
    """A scoring rule (a row or its dict) with its points: `Job title contains "VP": 25
    fit points`."""
    data = _as_dict(rule, ("attribute", "operator", "value", "points", "dimension"))
    return _("%(condition)s: %(points)s") % {
        "condition": scoring_rule_condition(data["attribute"], data["operator"], data["value"]),
        "points": scoring_rule_points(data["points"], data["dimension"]),
    }


# Commitments -----------------------------------------------------------------------------


def commitment_rule(kind: str, params: dict[str, Any] | None) -> str:
    """What a commitment promises, from its kind and parameters: "First contact within 24
    business hours", "Conversion from MQL to SQL" (its target and period aside)."""
    params = params or {}
    if kind == CommitmentKind.MQL_VOLUME:
        return _("MQLs handed off")
    if kind == CommitmentKind.FIRST_CONTACT_WITHIN:
        hours = params.get("hours")
        count = _plural_count(hours)
        return ngettext(
            "First contact within %(hours)s business hour",
            "First contact within %(hours)s business hours",
            count,
        ) % {"hours": number(hours)}
    if kind == CommitmentKind.ACCEPTANCE_RATE:
        return _("Handed-off MQLs accepted")
    if kind == CommitmentKind.ATTEMPTS_BEFORE_RECYCLE:
        attempts = params.get("attempts")
        count = _plural_count(attempts)
        return ngettext(
            "At least %(attempts)s contact attempt before a recycle",
            "At least %(attempts)s contact attempts before a recycle",
            count,
        ) % {"attempts": number(attempts)}
    if kind == CommitmentKind.REASON_DOCUMENTED:
        return _("An agreed reason for every recycle or disqualification")
    if kind == CommitmentKind.FEEDBACK_COVERAGE:
        return _("Feedback on rejected or recycled leads")
    if kind == CommitmentKind.CONVERSION_RATE:
        return _("Conversion from %(from)s to %(to)s") % {
            "from": stage_label(str(params.get("from_stage") or "")) or "—",
            "to": stage_label(str(params.get("to_stage") or "")) or "—",
        }
    if kind == CommitmentKind.VISITOR_TO_LEAD:
        return _("Visitors who became leads")
    return str(kind)


def commitment_target(kind: str, target: Any) -> str:
    """A target in its unit: "120 MQLs" for a count, "90%" for a rate."""
    if target is None or target == "":
        return "—"
    if kind == CommitmentKind.MQL_VOLUME:
        return ngettext("%(count)s MQL", "%(count)s MQLs", _plural_count(target)) % {
            "count": number(target)
        }
    return percent(target)


def commitment_sentence(commitment: Any) -> str:
    """The whole commitment (a row or its dict): "First contact within 24 business hours:
    at least 90%, monthly"."""
    data = _as_dict(commitment, ("kind", "params", "target", "period"))
    return _("%(rule)s: at least %(target)s, %(period)s") % {
        "rule": commitment_rule(data["kind"], data["params"]),
        "target": commitment_target(data["kind"], data["target"]),
        "period": str(dict(Cadence.choices).get(data["period"], data["period"])).lower(),
    }


# Other criteria --------------------------------------------------------------------------


def escalation_step_sentence(at_percent: Any, action: str, receives: str = "") -> str:
    """ "At 50% of the first-contact window: Remind the owner"; with the receiving team
    named, "At 100% of the first-contact window: tell the manager of Customer Success"."""
    if action == EscalationAction.NOTIFY_MANAGER and receives:
        label = _("Tell the manager of %(team)s") % {"team": receives}
    else:
        label = str(dict(EscalationAction.choices).get(action, action))
    return _("At %(percent)s%% of the first-contact window: %(action)s") % {
        "percent": number(at_percent),
        "action": label,
    }


def reason_applies_label(applies_to: str, hands_off: str = "") -> str:
    """Which moves a reason code is for; a rejection names the team the lead returns to
    ("Reject (return to Sales)" in a Sales <-> Customer Success agreement)."""
    if applies_to == ReasonApplies.REJECT and hands_off:
        return _("Reject (return to %(team)s)") % {"team": hands_off}
    return str(dict(ReasonApplies.choices).get(applies_to, applies_to))


def reason_code_sentence(label: str, code: str, applies_to: str) -> str:
    """ "Not reachable after the agreed attempts (not_reachable): Recycle"."""
    return _("%(label)s (%(code)s): %(applies)s") % {
        "label": label,
        "code": code,
        "applies": str(dict(ReasonApplies.choices).get(applies_to, applies_to)),
    }


def holiday_sentence(day: Any, name: str = "") -> str:
    """ "25 Dec 2026 (Christmas)": the day as a calendar date."""
    if isinstance(day, str):
        day = datetime.date.fromisoformat(day)
    when = dates.day(day)
    return _("%(day)s (%(name)s)") % {"day": when, "name": name} if name else when


def working_day_names(days: Iterable[int]) -> list[str]:
    labels = dict(WEEKDAYS)
    return [str(labels[d]) for d in sorted(days) if d in labels]


def channel_names(codes: Iterable[str]) -> list[str]:
    labels = dict(CHANNELS)
    return [str(labels.get(code, code)) for code in codes]


def _plural_count(value: Any) -> int:
    """The count a plural form is chosen by (values sealed as strings too): 1.5 reads as
    plural, as 2 does."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return 2
    return int(amount) if amount == amount.to_integral() else math.ceil(amount) + 1


def _as_dict(item: Any, names: tuple[str, ...]) -> dict[str, Any]:
    if isinstance(item, dict):
        return {name: item.get(name) for name in names}
    return {name: getattr(item, name) for name in names}
