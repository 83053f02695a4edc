"""Build the demo company, only into an empty database; `--reset` erases it and builds anew.

The seed steps run in the order of `SEED_STEPS`, each a module with `seed(stdout=...)`;
later ones build on earlier ones (people, agreements with their signatures, then leads,
then reviews). A new area adds its step here.

Whether the database is empty is decided here, not in those modules: `make run` calls this
command every time, and a database that holds anything (the demo people worked with, or a
real company's data) is kept as it is. Erasing is only ever `--reset`, which lists what it
will erase and asks first (unless `--noinput`).
"""

from __future__ import annotations

import importlib

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext as _

from portal.demo import DEMO_PASSWORD, PEOPLE

SEED_STEPS = (
    "portal.demo",
    "slas.demo",
    "leads.demo",
    "leads.reviews.demo",
    "leads.visitors.demo",
    "reports.rituals.demo",
)
#: The apps whose rows are someone's work (with the users).
OUR_APPS = ("portal", "slas", "leads", "reports")


def _data_models() -> list[type]:
    """The models whose rows are someone's work: people, and everything in our apps.

    History rows (simple_history) follow the rows they record, so they are not listed.
    """
    models = [get_user_model()]
    for label in OUR_APPS:
        for model in apps.get_app_config(label).get_models():
            if model._meta.proxy or not model._meta.managed:
                continue
            if model.__name__.startswith("Historical"):
                continue
            models.append(model)
    return models


def database_holds_data() -> bool:
    return any(model._default_manager.exists() for model in _data_models())


def database_contents() -> list[tuple[str, int]]:
    """(what, how many) for every kind of row the database holds, in a stable order."""
    held = []
    for model in _data_models():
        count = model._default_manager.count()
        if count:
            held.append((str(model._meta.verbose_name_plural), count))
    return held


class Command(BaseCommand):
    @property
    def help(self):  # translated when asked for, not when the module is imported
        return _(
            "Build the demo company (teams, people, agreements, leads, feedback) in an empty "
            "database. A database that holds data is kept as it is; --reset erases it first."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help=_("Erase everything in the database, then build the demo anew (asks first)."),
        )
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help=_("With --reset: do not ask for confirmation."),
        )

    def handle(self, *args, reset: bool = False, interactive: bool = True, **options):
        if reset:
            self._erase(interactive=interactive)
        elif database_holds_data():
            self.stdout.write(
                _(
                    "The database already holds data: it is kept as it is, nothing was seeded. "
                    "To erase it and build the demo anew: make demo-reset "
                    "(python manage.py seed_demo --reset)."
                )
            )
            if get_user_model().objects.filter(username=PEOPLE[0][0]).exists():
                self._sign_ins(_("Demo sign-ins (unless someone changed their password):"))
            return
        for name in SEED_STEPS:
            module = importlib.import_module(name)
            self.stdout.write(_("Seeding %(module)s...") % {"module": module.__name__})
            module.seed(stdout=self.stdout)
        # The planner's statistics of the tables just filled: without them (a server with
        # autovacuum off, or before its first pass) PostgreSQL plans the pages' queries for
        # empty tables, e.g. 50 ms instead of 3 for the home page's feedback on my leads.
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write("")
        self._sign_ins(_("Demo ready. Sign in at http://127.0.0.1:8000/ as:"))

    def _erase(self, *, interactive: bool) -> None:
        held = database_contents()
        if not held:
            self.stdout.write(_("The database is empty: nothing to erase."))
            return
        name = connections[DEFAULT_DB_ALIAS].settings_dict["NAME"]
        self.stdout.write(
            _(
                "This erases everything in the database %(name)s (every table of the portal, "
                "sign-in sessions included), then builds the demo anew. It holds:"
            )
            % {"name": name}
        )
        for what, count in held:
            self.stdout.write(f"  {count:>8}  {what}")
        if interactive:
            answer = input(_("Type 'yes' to erase all of it: "))
            if answer.strip().lower() != "yes":
                raise CommandError(_("Reset cancelled: nothing was erased."))
        call_command("flush", interactive=False, verbosity=0, database=DEFAULT_DB_ALIAS)
        self.stdout.write(_("Erased."))

    def _sign_ins(self, title: str) -> None:
        self.stdout.write(self.style.SUCCESS(title))
        for username, first, _last, roles in PEOPLE:
            what = ", ".join(f"{team} {role}" for team, role in roles)
            self.stdout.write(f"  {username:<9} {DEMO_PASSWORD}   ({first}: {what})")
        self.stdout.write(
            f"  {'admin':<9} {DEMO_PASSWORD}   " + _("(staff: Django admin at /admin/)")
        )
