"""The one Celery app. Tasks live in each app's `tasks.py` and are autodiscovered.

The periodic jobs (CELERY_BEAT_SCHEDULE in settings) run with `celery -A portal worker
--beat` (what `make run` starts).
"""

import logging
import os
from pathlib import Path

from celery import Celery
from celery.signals import beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# kombu's file-system transport (the default without a broker) needs its folders.
for _option in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
    _folder = (app.conf.broker_transport_options or {}).get(_option)
    if _folder and str(app.conf.broker_url).startswith("filesystem"):
        Path(_folder).mkdir(parents=True, exist_ok=True)


@beat_init.connect
def _sweep_when_the_scheduler_starts(sender=None, **kwargs):
    """Catch up at once after downtime instead of waiting for the first interval."""
    try:
        app.send_task("portal.tasks.notifications_sweep")
    except Exception:  # the broker is down: the schedule will try again
        logging.getLogger(__name__).warning("Could not enqueue the start-up sweep")
