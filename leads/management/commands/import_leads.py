"""python manage.py import_leads FILE --format events|hubspot [--tz ZONE] [--marketing-team NAME] [--sales-team NAME] [--report issues.csv]"""

import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from leads.derive import IngestContext
from leads.ingest.importers import IssueReport, events_import
from portal.models import Team, TeamFunction

# (option, the setting giving its default, that setting's default, the team's function):
# the same defaults as the webhook and the bulk API.
TEAM_OPTIONS = (
    ("marketing_team", "HUBSPOT_MARKETING_TEAM", "Marketing", TeamFunction.MARKETING),
    ("sales_team", "HUBSPOT_SALES_TEAM", "Sales", TeamFunction.SALES),
)


def teams_resolve(options: dict) -> dict[str, Team]:
    """The import's two teams by the names given (or the settings' defaults).

    Every problem is told at once, naming the team looked for, where that name came
    from and the option that sets it, with the teams that would fit (CommandError)."""
    found: dict[str, Team] = {}
    problems: list[str] = []
    for name, setting, default, function in TEAM_OPTIONS:
        option = "--" + name.replace("_", "-")
        given = options.get(name)
        wanted = given or getattr(settings, setting, default)
        fitting = ", ".join(
            f"“{t}”" for t in Team.objects.filter(function=function).order_by("name")
        ) or _("none")
        values = {
            "team": wanted,
            "option": option,
            "setting": setting,
            "function": str(TeamFunction(function).label).lower(),
            "Function": TeamFunction(function).label,
            "teams": fitting,
        }
        team = Team.objects.filter(name=wanted).first()
        if team is None:
            if given:
                text = _("There is no team “%(team)s” (given with %(option)s).")
            else:
                text = _(
                    "There is no team “%(team)s” (the default %(function)s team, from the "
                    "setting %(setting)s): name the %(function)s team with %(option)s NAME."
                )
            problems.append(f"{text % values} " + _("%(Function)s teams: %(teams)s.") % values)
        elif team.function != function:
            text = _(
                "The team “%(team)s” (%(option)s) is not a %(function)s team; name the "
                "%(function)s team with %(option)s NAME. %(Function)s teams: %(teams)s."
            )
            problems.append(text % values)
        else:
            found[name] = team
    if problems:
        raise CommandError("\n".join(problems))
    return found


class Command(BaseCommand):
    help = (
        "Import lead events from a CSV file (the portal's events format or a HubSpot contacts "
        "export). Re-importing the same file adds nothing. Problems are listed per row."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--format", choices=["events", "hubspot"], default="events")
        parser.add_argument("--tz", default="UTC", help="time zone for times without offset")
        parser.add_argument(
            "--marketing-team",
            help="the leads' marketing team (default: the setting HUBSPOT_MARKETING_TEAM, "
            "“Marketing”)",
        )
        parser.add_argument(
            "--sales-team",
            help="the sales team the leads are handed to (default: the setting "
            "HUBSPOT_SALES_TEAM, “Sales”)",
        )
        parser.add_argument("--report", help="write every row issue to this CSV file")

    def handle(self, *args, **options):
        teams = teams_resolve(options)
        context = IngestContext(
            marketing_team=teams["marketing_team"],
            sales_team=teams["sales_team"],
            mode="history",
            handoff_on_score=False,
        )
        report_out = (
            open(options["report"], "w", newline="", encoding="utf-8")
            if options["report"]
            else None
        )  # noqa: SIM115
        report = IssueReport(report_out) if report_out else None
        shown = 0

        def on_issue(issue):
            nonlocal shown
            if report:
                report(issue)
            if shown < 50:
                where = f"row {issue.row}" if issue.row else "file"
                col = f" [{issue.column}]" if issue.column else ""
                self.stderr.write(f"{where}{col} {issue.severity}: {issue.message}")
                shown += 1

        try:
            with open(options["file"], "rb") as stream:
                summary = events_import(
                    stream=stream,
                    format=options["format"],
                    tz=options["tz"],
                    context=context,
                    on_issue=on_issue,
                    on_progress=lambda s: (
                        self.stdout.write(
                            f"  {s.rows} rows, {s.created} events stored...", ending="\r"
                        )
                        if sys.stdout.isatty()
                        else None
                    ),
                )
        except OSError as exc:
            raise CommandError(f"cannot read {options['file']}: {exc.strerror}") from None
        finally:
            if report_out:
                report_out.close()
        self.stdout.write(
            f"{summary.rows} rows: {summary.created} events stored, {summary.duplicates} duplicates, "
            f"{summary.failed} rows refused, {summary.warnings} warnings"
        )
        if summary.error:
            raise CommandError(summary.error)
