"""The one Celery app. Tasks live in each app's `tasks.py` and are autodiscovered.

The periodic jobs (CELERY_BEAT_SCHEDULE in settings) are sent by beat: `celery -A portal
worker --beat` under `make run`, a `celery -A portal beat` of its own under `make serve`.
Beat's scheduler (`portal.beat.SingleBeatScheduler`) sends only while it holds a Redis
lock, so a second beat sends nothing twice; it also sends the notification sweep at once
when it takes over, to catch up after downtime.
"""

import logging
import os
from pathlib import Path

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger, task_postrun, task_prerun
from django.conf import settings

from portal.logging_config import ContextFilter, JsonFormatter, task_finished, task_started

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# kombu's file-system transport (the default without a broker) needs its folders.
for _option in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
    _folder = (app.conf.broker_transport_options or {}).get(_option)
    if _folder and str(app.conf.broker_url).startswith("filesystem"):
        Path(_folder).mkdir(parents=True, exist_ok=True)


@after_setup_logger.connect
@after_setup_task_logger.connect
def _json_lines_in_production(logger=None, **kwargs):
    """With LOG_FORMAT=json, workers and beat write JSON lines as the web does: the
    handlers Celery just set up (stderr, or --logfile) get the portal's formatter."""
    if settings.LOG_FORMAT != "json" or logger is None:
        return
    for handler in logger.handlers:
        handler.setFormatter(JsonFormatter())
        handler.addFilter(ContextFilter())
    for name, config in settings.LOGGING["loggers"].items():
        if "level" in config:
            logging.getLogger(name).setLevel(config["level"])


# One log line per task run (name, id, state, duration); records written while it runs
# carry its id.
task_prerun.connect(task_started, weak=False)
task_postrun.connect(task_finished, weak=False)
