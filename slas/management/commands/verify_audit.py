"""Check every agreement's record: the audit hash chain, its signed checkpoint kept outside
the database, and the signed seal of each open or completed signing round. Prints
"intact" or what is broken; a break tells the agreement's managers (once)."""

from django.core.management.base import BaseCommand, CommandError

from slas.models import Agreement
from slas.signing.integrity import agreement_integrity_check


class Command(BaseCommand):
    help = (
        "Verify each agreement's audit chain, its signed checkpoint and the signed seals of "
        "its signing rounds (exit status 1 if anything is broken)."
    )

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
            result = agreement_integrity_check(agreement=item)
            problems = []
            if not result.chain.intact:
                problems.append(f"BROKEN at entry {result.chain.broken_seq}: {result.chain.reason}")
            if not result.checkpoint.intact:
                problems.append(f"ROLLED BACK: {result.checkpoint.reason}")
            for rnd, seal in result.broken_seals:
                problems.append(
                    f"SEAL BROKEN of v{rnd.version.number} round {rnd.number}: {seal.reason}"
                )
            if problems:
                broken += 1
                for problem in problems:
                    self.stdout.write(self.style.ERROR(f"{item.pk} {item.title}: {problem}"))
                continue
            unsigned = sum(1 for _rnd, seal in result.seals if not seal.signed)
            note = f", {len(result.seals)} seal(s) verified" if result.seals else ""
            if unsigned:
                note += f" ({unsigned} sealed before signatures: hashes only)"
            self.stdout.write(
                f"{item.pk} {item.title}: intact ({result.chain.checked} entries{note})"
            )
        if broken:
            raise CommandError(f"{broken} agreement record(s) broken.", returncode=1)
