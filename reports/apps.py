"""The app's configuration: area models loaded with the app's, and in `ready()` its sweeps
registered and its signal receivers connected.

Imports inside functions here are deliberate: Django imports this module before any model
is loaded, so whatever needs models is imported in `ready()` or in a receiver, as the
Django documentation asks (AppConfig.ready).
"""

import importlib

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


def _feedback_changed(sender, instance, **kwargs):
    from reports.services import feedback_changed

    feedback_changed(lead_id=instance.lead_id)


def _cycles_changed(sender, changes=None, touched=None, **kwargs):
    from reports.facts import results_invalidate
    from reports.results import results_adjust

    if changes is not None:
        results_adjust(changes)
    if touched is not None:
        results_invalidate(touched)


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")
    #: Areas with models of this app (see leads.apps): the team rituals' meetings.
    area_models = ("reports.rituals.models",)

    def import_models(self):
        super().import_models()
        for name in self.area_models:
            importlib.import_module(name)

    def ready(self):
        from leads.signals import cycles_changed
        from portal.schedule import sweep_register
        from reports.step_sweep import step_clocks_sweep
        from reports.sweep import monthly_report_sweep

        sweep_register("monthly", monthly_report_sweep)
        sweep_register("steps", step_clocks_sweep)

        # Cycles are maintained by the leads app; stored results they fed are adjusted
        # (or dropped) in the writer's transaction.
        cycles_changed.connect(_cycles_changed, dispatch_uid="reports-cycles-changed")
        # Feedback is written by the leads app; stored feedback_coverage results
        # must not outlive a change of it (see reports.models).
        post_save.connect(
            _feedback_changed, sender="leads.Feedback", dispatch_uid="reports-fb-save"
        )
        post_delete.connect(
            _feedback_changed, sender="leads.Feedback", dispatch_uid="reports-fb-delete"
        )
