"""Recompute every cycle's facts from the events, or (--verify) check them.

python manage.py compliance_rebuild            # rebuild leads.Cycle, drop stored results
python manage.py compliance_rebuild --verify   # compare, write nothing; exit 1 on differences
"""

from django.core.management.base import BaseCommand, CommandError

from reports.services import cycles_rebuild, cycles_verify


class Command(BaseCommand):
    help = "Recompute the per-cycle compliance facts from lead events, or verify them."

    def add_arguments(self, parser):
        parser.add_argument(
            "--verify",
            action="store_true",
            help="Compare the maintained facts with a full recomputation; change nothing.",
        )
        parser.add_argument("--chunk", type=int, default=5000, help="Leads per batch.")

    def handle(self, *args, verify=False, chunk=5000, **options):
        if verify:
            checked, differences = cycles_verify(chunk=chunk)
            for difference in differences:
                self.stdout.write(str(difference))
            if differences:
                raise CommandError(
                    f"{len(differences)} difference(s) between the maintained facts and a "
                    f"full recomputation ({checked} cycles checked)."
                )
            self.stdout.write(self.style.SUCCESS(f"No differences ({checked} cycles checked)."))
            return
        total = cycles_rebuild(chunk=chunk)
        self.stdout.write(self.style.SUCCESS(f"Rebuilt {total} cycles."))
