"""The one Celery app. Tasks live in each app's `tasks.py` and are autodiscovered.

The periodic jobs (CELERY_BEAT_SCHEDULE in settings) are sent by beat: `celery -A portal
worker --beat` under `make run`, a `celery -A portal beat` of its own under `make serve`.
Beat's scheduler (`portal.beat.SingleBeatScheduler`) sends only while it holds a Redis
lock, so a second beat sends nothing twice; it also sends the notification sweep at once
when it takes over, to catch up after downtime.
"""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# kombu's file-system transport (the default without a broker) needs its folders.
for _option in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
    _folder = (app.conf.broker_transport_options or {}).get(_option)
    if _folder and str(app.conf.broker_url).startswith("filesystem"):
        Path(_folder).mkdir(parents=True, exist_ok=True)
