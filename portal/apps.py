from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("People")

    def ready(self) -> None:
        from portal.api import schema  # noqa: F401  (registers the OpenAPI auth extension)
        from portal.schedule import sweep_register
        from portal.sweep import pending_emails_requeue

        sweep_register("emails", pending_emails_requeue)
