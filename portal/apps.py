"""The app's configuration: area models loaded with the app's, and in `ready()` its sweeps
registered and its signal receivers connected.

Imports inside functions here are deliberate: Django imports this module before any model
is loaded, so whatever needs models is imported in `ready()` or in a receiver, as the
Django documentation asks (AppConfig.ready).
"""

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

        from django.contrib.auth.signals import user_logged_in

        from portal.middleware import session_time_zone_on_login

        user_logged_in.connect(session_time_zone_on_login, dispatch_uid="portal.reader_zone")
