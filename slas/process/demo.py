"""The demo's lead-process map (seed 003): the steps versions 2 and 3 of the demo
agreement name, as `services.version_edit` create rows. The SAL step's SLA is set so that
some of the demo's leads stay in it too long (the compliance page shows the breaches)."""

from __future__ import annotations

from decimal import Decimal

from portal.models import Team

#: SAL step SLA of version 2, and the tighter one version 3 proposes (business hours).
SAL_HOURS_V2 = Decimal(90)
SAL_HOURS_V3 = Decimal(72)


def process_map_rows(*, marketing: Team, sales: Team) -> list[tuple[str, dict]]:
    steps = [
        (
            "Visitor",
            [],
            "",
            marketing,
            "Someone visits the website; counted per source from the web-analytics export.",
            "Fills in a form, downloads content or registers for an event.",
            "Visitors per source; visitor to lead conversion",
            None,
        ),
        (
            "Lead",
            ["lead"],
            "Lead",
            marketing,
            "",
            "The fit and interest score reaches the MQL threshold, or a demo request.",
            "Conversion to MQL",
            None,
        ),
        (
            "MQL: handoff to sales",
            ["mql"],
            "MQL",
            sales,
            "",
            "Sales accepts the lead (SAL) or returns it to marketing with a reason code.",
            "Acceptance rate; first contact within the agreed window",
            Decimal(40),
        ),
        (
            "Sales-accepted lead",
            ["sal"],
            "SAL",
            sales,
            "",
            "Need, budget, authority and timing confirmed (SQL), or recycled with a reason "
            "after the agreed attempts.",
            "Conversion to SQL; time in step",
            SAL_HOURS_V2,
        ),
        (
            "Sales-qualified lead",
            ["sql"],
            "SQL",
            sales,
            "",
            "A deal is opened with a proposal in preparation.",
            "Conversion to opportunity",
            None,
        ),
        (
            "Opportunity",
            ["opportunity"],
            "Opportunity",
            sales,
            "",
            "The deal is won or lost.",
            "Win rate; time to close",
            None,
        ),
        (
            "Closed: won or lost",
            ["won", "lost"],
            "Customer",
            sales,
            "A won deal becomes a customer; a lost one may be recycled to marketing.",
            "",
            "Revenue; win rate",
            None,
        ),
        (
            "Recycle",
            ["recycled"],
            "Recycled lead",
            marketing,
            "",
            "Enters a nurture track; comes back as an MQL when it qualifies again.",
            "Recycled leads that return as MQL",
            None,
        ),
    ]
    return [
        (
            "process_steps",
            {
                "name": name,
                "stages": stages,
                "term": term,
                "owner_team": team,
                "definition": definition,
                "exit_criteria": exit_criteria,
                "metric": metric,
                "sla_hours": hours,
                "position": position,
            },
        )
        for position, (name, stages, term, team, definition, exit_criteria, metric, hours) in (
            enumerate(steps)
        )
    ]
