from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlasConfig(AppConfig):
    name = "slas"
    verbose_name = _("Agreements")

    def ready(self):
        from portal.sweep import sweep_register
        from slas.sweep import agreement_dates_sweep, version_expiry_sweep

        sweep_register("reminders", agreement_dates_sweep)
        sweep_register("expiry", version_expiry_sweep)
