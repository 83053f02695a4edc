"""Build (or rebuild) the demo company. Running it twice gives the same result.

Each app may provide `seed(stdout=...)` in `<app>/demo.py` and `<app>/demo_*.py`; they run
in INSTALLED_APPS order, the plain `demo` first, so later ones build on earlier ones
(agreements, then signatures, then leads, then feedback and reports).
"""

from django.core.management.base import BaseCommand

from portal.demo import DEMO_PASSWORD, PEOPLE
from portal.discovery import app_modules


class Command(BaseCommand):
    help = "Create or refresh the demo teams, people, agreements, leads and reports."

    def handle(self, *args, **options):
        for module in app_modules("demo"):
            if not hasattr(module, "seed"):
                continue
            self.stdout.write(f"Seeding {module.__name__}...")
            module.seed(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("\nDemo ready. Sign in at http://127.0.0.1:8000/ as:"))
        for username, first, _last, roles in PEOPLE:
            what = ", ".join(f"{team} {role}" for team, role in roles)
            self.stdout.write(f"  {username:<9} {DEMO_PASSWORD}   ({first}: {what})")
        self.stdout.write(f"  {'admin':<9} {DEMO_PASSWORD}   (staff: Django admin at /admin/)")
