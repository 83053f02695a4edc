"""Build (or rebuild) the demo company. Running it twice gives the same result.

The seed steps run in the order of `SEED_STEPS`, each a module with `seed(stdout=...)`;
later ones build on earlier ones (people, agreements with their signatures, then leads,
then reviews). A new area adds its step here.
"""

import importlib

from django.core.management.base import BaseCommand

from portal.demo import DEMO_PASSWORD, PEOPLE

SEED_STEPS = (
    "portal.demo",
    "slas.demo",
    "leads.demo",
    "leads.reviews.demo",
)


class Command(BaseCommand):
    help = "Create or refresh the demo teams, people, agreements, leads and reports."

    def handle(self, *args, **options):
        for name in SEED_STEPS:
            module = importlib.import_module(name)
            self.stdout.write(f"Seeding {module.__name__}...")
            module.seed(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("\nDemo ready. Sign in at http://127.0.0.1:8000/ as:"))
        for username, first, _last, roles in PEOPLE:
            what = ", ".join(f"{team} {role}" for team, role in roles)
            self.stdout.write(f"  {username:<9} {DEMO_PASSWORD}   ({first}: {what})")
        self.stdout.write(f"  {'admin':<9} {DEMO_PASSWORD}   (staff: Django admin at /admin/)")
