"""Check every agreement's audit hash chain: prints "intact" or the first broken link."""

from django.core.management.base import BaseCommand, CommandError

from slas.audit.chain import audit_verify
from slas.models import Agreement


class Command(BaseCommand):
    help = "Verify the hash chain of each agreement's audit log (exit status 1 if any is broken)."

    def add_arguments(self, parser):
        parser.add_argument("--agreement", type=int, help="Only this agreement id.")

    def handle(self, *args, agreement=None, **options):
        agreements = Agreement.objects.order_by("pk")
        if agreement is not None:
            agreements = agreements.filter(pk=agreement)
            if not agreements.exists():
                raise CommandError(f"No agreement with id {agreement}.")
        broken = 0
        for item in agreements:
            result = audit_verify(agreement=item)
            if result.intact:
                self.stdout.write(f"{item.pk} {item.title}: intact ({result.checked} entries)")
            else:
                broken += 1
                self.stdout.write(
                    self.style.ERROR(
                        f"{item.pk} {item.title}: BROKEN at entry {result.broken_seq}: "
                        f"{result.reason}"
                    )
                )
        if broken:
            raise CommandError(f"{broken} audit chain(s) broken.", returncode=1)
