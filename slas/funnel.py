"""Reverse funnel planner: from a revenue goal back to the leads needed.

Pure arithmetic on :class:`~decimal.Decimal`; no models, no database.

Working backwards from the goal, each stage is computed from the one after it
and **rounded up (ceil) at every step**, because half a deal or a fraction of a
lead cannot be worked::

    won           = ceil(revenue_goal / avg_deal_size)
    opportunities = ceil(won / rates["opportunity_to_won"])
    sqls          = ceil(opportunities / rates["sql_to_opportunity"])
    sals          = ceil(sqls / rates["sal_to_sql"])
    mqls          = ceil(sals / rates["mql_to_sal"])
    leads         = ceil(mqls / rates["lead_to_mql"])
    visitors      = ceil(leads / visitor_to_lead)     (only when that rate is known)

Per-period figures are ``ceil(total / periods)`` for each stage independently,
so ``per_period * periods`` may slightly exceed the total; that is the safe side
for planning.

Messages and labels are translated (they reach people through the planner page).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, InvalidOperation, localcontext
from types import MappingProxyType
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

#: Stage-to-stage conversion rates, in funnel order (top to bottom).
RATE_KEYS = (
    "lead_to_mql",
    "mql_to_sal",
    "sal_to_sql",
    "sql_to_opportunity",
    "opportunity_to_won",
)

#: Editable starting defaults for the planner form. These are typical B2B
#: benchmarks, not facts about this business: replace them with observed rates.
DEFAULT_RATES: MappingProxyType[str, Decimal] = MappingProxyType(
    {
        "lead_to_mql": Decimal("0.20"),
        "mql_to_sal": Decimal("0.70"),
        "sal_to_sql": Decimal("0.50"),
        "sql_to_opportunity": Decimal("0.50"),
        "opportunity_to_won": Decimal("0.25"),
    }
)

_RATE_LABELS = {
    "lead_to_mql": gettext_lazy("lead → MQL"),
    "mql_to_sal": gettext_lazy("MQL → SAL"),
    "sal_to_sql": gettext_lazy("SAL → SQL"),
    "sql_to_opportunity": gettext_lazy("SQL → opportunity"),
    "opportunity_to_won": gettext_lazy("opportunity → won"),
}

#: What each count of :class:`StageCounts` is, for people (the planner's table).
#: The lead stage each planner row counts.
ROW_STAGES = {
    "leads": "lead",
    "mqls": "mql",
    "sals": "sal",
    "sqls": "sql",
    "opportunities": "opportunity",
    "won": "won",
}
STAGE_LABELS = {
    "visitors": gettext_lazy("Visitors"),
    "leads": gettext_lazy("Leads"),
    "mqls": gettext_lazy("MQLs"),
    "sals": gettext_lazy("SALs"),
    "sqls": gettext_lazy("SQLs"),
    "opportunities": gettext_lazy("Opportunities"),
    "won": gettext_lazy("Won deals"),
}


@dataclass(frozen=True)
class StageCounts:
    """Whole-number counts for each funnel stage."""

    leads: int
    mqls: int
    sals: int
    sqls: int
    opportunities: int
    won: int

    def as_dict(self) -> dict[str, int]:
        return {
            "leads": self.leads,
            "mqls": self.mqls,
            "sals": self.sals,
            "sqls": self.sqls,
            "opportunities": self.opportunities,
            "won": self.won,
        }


@dataclass(frozen=True)
class FunnelPlan:
    """Result of :func:`reverse_funnel`: inputs plus totals and per-period counts."""

    revenue_goal: Decimal
    avg_deal_size: Decimal
    periods: int
    rates: dict[str, Decimal]
    total: StageCounts
    per_period: StageCounts
    #: With a known visitor-to-lead rate the plan starts from visitors (the leads needed
    #: divided by that rate, rounded up); else None.
    visitor_to_lead: Decimal | None = None
    visitors: int | None = None
    visitors_per_period: int | None = None

    def rows(self) -> list[tuple[str, int, int]]:
        """``(stage, total, per_period)`` rows from the top of the funnel down."""
        per = self.per_period.as_dict()
        rows = [(stage, count, per[stage]) for stage, count in self.total.as_dict().items()]
        if self.visitors is not None:
            rows.insert(0, ("visitors", self.visitors, self.visitors_per_period))
        return rows

    def labelled_rows(self) -> list[tuple[str, Any, int, int]]:
        """``(stage, label, total, per_period)``: :meth:`rows` with each stage's label."""
        return [(stage, STAGE_LABELS[stage], total, per) for stage, total, per in self.rows()]

    def staged_rows(self) -> list[tuple[str, str, Any, int, int]]:
        """``(row, stage, label, total, per_period)``: :meth:`labelled_rows` with the lead
        stage each row counts (slas.stages), whose agreed definition the page shows; "" for
        visitors, who are not a lead stage."""
        return [
            (row, ROW_STAGES.get(row, ""), label, total, per)
            for row, label, total, per in self.labelled_rows()
        ]


def _ceil(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def _to_decimal(name: Any, value: Any) -> Decimal:
    not_a_number = _("%(name)s must be a number, got %(value)s.") % {
        "name": name,
        "value": repr(value),
    }
    if isinstance(value, bool) or value is None:
        raise ValueError(not_a_number)
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(not_a_number) from None
    if not result.is_finite():
        raise ValueError(
            _("%(name)s must be a finite number, got %(value)s.")
            % {"name": name, "value": repr(value)}
        )
    return result


def _validate_rates(rates: dict[str, Any]) -> dict[str, Decimal]:
    unknown = sorted(set(rates) - set(RATE_KEYS))
    if unknown:
        raise ValueError(
            _("Unknown conversion rate(s): %(names)s. Expected: %(expected)s.")
            % {"names": ", ".join(unknown), "expected": ", ".join(RATE_KEYS)}
        )
    missing = [key for key in RATE_KEYS if key not in rates]
    if missing:
        raise ValueError(
            _("Missing conversion rate(s): %(names)s.") % {"names": ", ".join(missing)}
        )
    clean = {}
    for key in RATE_KEYS:
        name = _("Conversion rate %(rate)s") % {"rate": _RATE_LABELS[key]}
        rate = _to_decimal(name, rates[key])
        if not (Decimal(0) < rate <= Decimal(1)):
            raise ValueError(
                _(
                    "Conversion rate %(rate)s must be greater than 0 and at most 1 "
                    "(a fraction, e.g. 0.25 for 25%%), got %(value)s."
                )
                % {"rate": _RATE_LABELS[key], "value": rate}
            )
        clean[key] = rate
    return clean


def reverse_funnel(
    *,
    revenue_goal: Decimal,
    avg_deal_size: Decimal,
    rates: dict[str, Decimal],
    periods: int,
    visitor_to_lead: Decimal | None = None,
) -> FunnelPlan:
    """Plan how many of each funnel stage are needed to reach ``revenue_goal``.

    ``rates`` must contain exactly the keys in :data:`RATE_KEYS`, each a
    fraction in (0, 1]. ``periods`` (e.g. months) must be a positive integer.
    Raises :class:`ValueError` with a readable message on invalid input.
    """
    goal = _to_decimal(_("Revenue goal"), revenue_goal)
    if goal <= 0:
        raise ValueError(_("Revenue goal must be greater than 0, got %(value)s.") % {"value": goal})
    deal = _to_decimal(_("Average deal size"), avg_deal_size)
    if deal <= 0:
        raise ValueError(
            _("Average deal size must be greater than 0, got %(value)s.") % {"value": deal}
        )
    if isinstance(periods, bool) or not isinstance(periods, int):
        raise ValueError(
            _("Number of periods must be a whole number, got %(value)s.") % {"value": repr(periods)}
        )
    if periods < 1:
        raise ValueError(
            _("Number of periods must be at least 1, got %(value)s.") % {"value": periods}
        )
    clean_rates = _validate_rates(rates)
    if visitor_to_lead is not None:
        visitor_to_lead = _to_decimal(_("Visitor to lead rate"), visitor_to_lead)
        if not (Decimal(0) < visitor_to_lead <= Decimal(1)):
            raise ValueError(
                _("The visitor to lead rate must be greater than 0 and at most 1, got %(value)s.")
                % {"value": visitor_to_lead}
            )

    with localcontext() as ctx:
        ctx.prec = 50
        won = _ceil(goal / deal)
        opportunities = _ceil(Decimal(won) / clean_rates["opportunity_to_won"])
        sqls = _ceil(Decimal(opportunities) / clean_rates["sql_to_opportunity"])
        sals = _ceil(Decimal(sqls) / clean_rates["sal_to_sql"])
        mqls = _ceil(Decimal(sals) / clean_rates["mql_to_sal"])
        leads = _ceil(Decimal(mqls) / clean_rates["lead_to_mql"])
        visitors = _ceil(Decimal(leads) / visitor_to_lead) if visitor_to_lead else None

    total = StageCounts(
        leads=leads, mqls=mqls, sals=sals, sqls=sqls, opportunities=opportunities, won=won
    )
    per_period = StageCounts(
        **{stage: -(-count // periods) for stage, count in total.as_dict().items()}
    )
    return FunnelPlan(
        revenue_goal=goal,
        avg_deal_size=deal,
        periods=periods,
        rates=clean_rates,
        total=total,
        per_period=per_period,
        visitor_to_lead=visitor_to_lead,
        visitors=visitors,
        visitors_per_period=-(-visitors // periods) if visitors is not None else None,
    )
