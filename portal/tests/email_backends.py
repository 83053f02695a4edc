"""Email backends for the worker processes of the integration tests (set by env var).

`FileRecordingBackend` appends one line per email to $NOTIFY_TEST_OUTBOX, so the test
process can count what a worker really sent. With $NOTIFY_TEST_GATE set, each send
first touches $NOTIFY_TEST_STARTED and then waits until the gate file exists: the test
kills the worker while it waits, that is, in the middle of a delivery.
"""

import os
import time
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend


class FileRecordingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        gate = os.environ.get("NOTIFY_TEST_GATE")
        if gate:
            Path(os.environ["NOTIFY_TEST_STARTED"]).touch()
            deadline = time.monotonic() + 120
            while not Path(gate).exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        outbox = Path(os.environ["NOTIFY_TEST_OUTBOX"])
        with outbox.open("a", encoding="utf-8") as handle:
            for message in email_messages:
                handle.write(f"{','.join(message.to)}|{message.subject}\n")
            handle.flush()
            os.fsync(handle.fileno())
        return len(email_messages)
