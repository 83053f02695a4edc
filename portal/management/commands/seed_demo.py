"""Build (or rebuild) the demo company. Running it twice gives the same result.

Each app may provide `<app>.demo.seed(stdout=...)`; they run in INSTALLED_APPS order,
so later apps can build on earlier ones (agreements before leads, leads before reports).
"""

import importlib
import importlib.util

from django.apps import apps
from django.core.management.base import BaseCommand

from portal.demo import DEMO_PASSWORD, PEOPLE


class Command(BaseCommand):
    help = "Create or refresh the demo teams, people, agreements, leads and reports."

    def handle(self, *args, **options):
        for config in apps.get_app_configs():
            module_name = f"{config.name}.demo"
            if importlib.util.find_spec(module_name) is None:
                continue
            module = importlib.import_module(module_name)
            self.stdout.write(f"Seeding {config.verbose_name}...")
            module.seed(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("\nDemo ready. Sign in at http://127.0.0.1:8000/ as:"))
        for username, first, _last, roles in PEOPLE:
            what = ", ".join(f"{team} {role}" for team, role in roles)
            self.stdout.write(f"  {username:<9} {DEMO_PASSWORD}   ({first}: {what})")
        self.stdout.write(f"  {'admin':<9} {DEMO_PASSWORD}   (staff: Django admin at /admin/)")
