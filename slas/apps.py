"""The app's configuration: area models loaded with the app's, and in `ready()` its sweeps
registered and its signal receivers connected.

Imports inside functions here are deliberate: Django imports this module before any model
is loaded, so whatever needs models is imported in `ready()` or in a receiver, as the
Django documentation asks (AppConfig.ready).
"""

import importlib

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlasConfig(AppConfig):
    name = "slas"
    verbose_name = _("Agreements")
    #: Areas with models of this app: Django imports `<app>.models` only, so these are
    #: imported with it (they name this app's models by label and import nothing of it).
    area_models = ("slas.audit.models", "slas.signing.models", "slas.process.models")

    def import_models(self):
        super().import_models()
        for name in self.area_models:
            importlib.import_module(name)

    def ready(self):
        from portal.schedule import sweep_register
        from slas.signals import audit_appended
        from slas.signing.checkpoints import checkpoint_on_append
        from slas.sweep import agreement_dates_sweep, version_expiry_sweep

        audit_appended.connect(checkpoint_on_append, dispatch_uid="slas.audit_checkpoint")

        sweep_register("reminders", agreement_dates_sweep)
        sweep_register("expiry", version_expiry_sweep)
