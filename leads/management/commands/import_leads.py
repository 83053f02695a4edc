"""python manage.py import_leads FILE --format events|hubspot [--tz ZONE] [--report issues.csv]"""

import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from leads.derive import IngestContext
from leads.ingest.importers import IssueReport, events_import
from portal.models import Team


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
            "--marketing-team", default=getattr(settings, "HUBSPOT_MARKETING_TEAM", "Marketing")
        )
        parser.add_argument(
            "--sales-team", default=getattr(settings, "HUBSPOT_SALES_TEAM", "Sales")
        )
        parser.add_argument("--report", help="write every row issue to this CSV file")

    def handle(self, *args, **options):
        try:
            marketing = Team.objects.get(name=options["marketing_team"])
            sales = Team.objects.get(name=options["sales_team"])
        except Team.DoesNotExist as exc:
            raise CommandError(f"unknown team: {exc}") from None
        context = IngestContext(
            marketing_team=marketing, sales_team=sales, mode="history", handoff_on_score=False
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
