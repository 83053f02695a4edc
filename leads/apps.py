"""The app's configuration: area models loaded with the app's, and in `ready()` its sweeps
registered and its signal receivers connected.

Imports inside functions here are deliberate: Django imports this module before any model
is loaded, so whatever needs models is imported in `ready()` or in a receiver, as the
Django documentation asks (AppConfig.ready).
"""

import importlib

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _version_in_force_changed(sender, agreement_id, since, **kwargs):
    from leads.cycle_rows import cycles_regovern

    cycles_regovern(agreement_id=agreement_id, since=since)


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = _("Leads")
    #: Areas with models of this app: Django imports `<app>.models` only, so these are
    #: imported with it (they name this app's models by label and import nothing of it).
    area_models = ("leads.ingest.models", "leads.reviews.models", "leads.visitors.models")

    def import_models(self):
        super().import_models()
        for name in self.area_models:
            importlib.import_module(name)

    def ready(self):
        from leads.ingest.uploads import import_jobs_requeue
        from leads.reviews.sweep import action_items_sweep
        from leads.sweep import lead_clocks_sweep
        from portal.schedule import sweep_register
        from slas.signals import version_in_force_changed

        sweep_register("leads", lead_clocks_sweep)
        sweep_register("actions", action_items_sweep)
        sweep_register("imports", import_jobs_requeue)

        # A version took force, was superseded or expired: the cycles handed off since
        # are governed anew, in the same transaction.
        version_in_force_changed.connect(
            _version_in_force_changed, dispatch_uid="leads-regovern-cycles"
        )
