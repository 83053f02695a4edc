"""The app's configuration: area models loaded with the app's, and in `ready()` its sweeps
registered and its signal receivers connected.

Imports inside functions here are deliberate: Django imports this module before any model
is loaded, so whatever needs models is imported in `ready()` or in a receiver, as the
Django documentation asks (AppConfig.ready).
"""

import importlib

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils.translation import gettext_lazy as _

# What of a feedback entry the figures read: its lead and when it was written.
_FEEDBACK_FIGURE_FIELDS = {"lead", "lead_id", "created_at"}


def _feedback_saving(sender, instance, update_fields=None, **kwargs):
    """Note the entry's lead and instant before the save (post_save adjusts from them); a
    save of other fields only (an edit, a reply) notes that no figure can change."""
    if update_fields is not None and not _FEEDBACK_FIGURE_FIELDS & set(update_fields):
        instance._figures_before = "unchanged"
    elif instance._state.adding:
        instance._figures_before = None
    else:
        instance._figures_before = (
            sender._default_manager.filter(pk=instance.pk)
            .values_list("lead_id", "created_at")
            .first()
        )


def _feedback_saved(sender, instance, **kwargs):
    from reports.facts import month_figures_changed
    from reports.results import results_adjust_feedback

    # The monthly report counts and rates the month's feedback: any save may change it
    # (a rating edited too, which no stored result reads).
    month_figures_changed()
    before = instance.__dict__.pop("_figures_before", None)
    if before != "unchanged":
        results_adjust_feedback(
            before=tuple(before) if before else None,
            after=(instance.lead_id, instance.created_at),
        )


def _feedback_deleted(sender, instance, **kwargs):
    from reports.facts import month_figures_changed
    from reports.results import results_adjust_feedback

    month_figures_changed()
    results_adjust_feedback(before=(instance.lead_id, instance.created_at), after=None)


# The columns of a cycle the agreements' funnel counts read (slas.selectors).
FUNNEL_COLUMNS = ("agreement_id", "sal_at", "sql_at", "opportunity_at", "won_at")


def _any_changed(changes, columns) -> bool:
    return any(
        old is None or new is None or any(old[c] != new[c] for c in columns) for old, new in changes
    )


def _cycles_changed(sender, changes=None, touched=None, **kwargs):
    from reports.facts import MONTH_COLUMNS, month_figures_changed, results_invalidate
    from reports.results import results_adjust
    from slas.selectors import funnel_counts_changed

    if changes is not None:
        results_adjust(changes)
        if _any_changed(changes, FUNNEL_COLUMNS):
            funnel_counts_changed()
        if _any_changed(changes, MONTH_COLUMNS):
            month_figures_changed()
    if touched is not None:
        results_invalidate(touched)
        funnel_counts_changed()
        month_figures_changed()


def _lead_deleted(sender, **kwargs):
    # its cycles go with it (a cascade, which sends no cycles_changed)
    from reports.facts import month_figures_changed
    from slas.selectors import funnel_counts_changed

    funnel_counts_changed()
    month_figures_changed()


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
        post_delete.connect(_lead_deleted, sender="leads.Lead", dispatch_uid="reports-lead-gone")
        # Feedback is written by the leads app; the stored feedback_coverage results
        # it feeds are adjusted in the writer's transaction, as for cycles.
        pre_save.connect(
            _feedback_saving, sender="leads.Feedback", dispatch_uid="reports-fb-saving"
        )
        post_save.connect(_feedback_saved, sender="leads.Feedback", dispatch_uid="reports-fb-save")
        post_delete.connect(
            _feedback_deleted, sender="leads.Feedback", dispatch_uid="reports-fb-delete"
        )
