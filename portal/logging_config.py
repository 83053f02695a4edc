"""Logs a machine can read: one JSON line per request, per Celery task, and per error.

`LOG_FORMAT=json` (the default with debug off) writes every record as one JSON object on
one line: time, level, logger, message, the request id (or task id) it happened under,
the fields the caller gave (`extra=`), and the traceback of an error. `LOG_FORMAT=text`
(the default in development) writes plain lines.

- `RequestLogMiddleware`: `portal.request`, one line per request, after the answer:
  request_id, method, path, status, duration_ms, user_id. The request id is also the
  `X-Request-ID` answer header (taken from the proxy's header with DJANGO_TRUST_PROXY=1).
- `task_started` / `task_finished` (connected in portal/celery.py): `portal.task`, one
  line per task run: task_name, task_id, state, duration_ms.
- Errors: Django (`django.request`) and Celery (`celery.app.trace`) log them with their
  tracebacks, which the formatter adds as `exception`; the request or task id is there too.

Imported by the settings module, so nothing here may touch settings at import time.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import time
import uuid

# The request or task a log record was written under (set by the middleware / signals).
current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
current_task_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "task_id", default=None
)

_STANDARD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
}


class ContextFilter(logging.Filter):
    """Stamps every record with the request id or task id it was written under."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            request_id = current_request_id.get()
            if request_id:
                record.request_id = request_id
        if getattr(record, "task_id", None) is None:
            task_id = current_task_id.get()
            if task_id:
                record.task_id = task_id
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            # Django's error records carry the request object: its id and path say enough.
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_") and key != "request":
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def log_format_default(*, debug: bool) -> str:
    return "text" if debug else "json"


def logging_settings(*, log_format: str, level: str) -> dict:
    """The LOGGING setting: one console handler on the root logger, in `log_format`."""
    json_lines = log_format == "json"
    quiet = {"level": "WARNING"}  # their INFO lines repeat the one line we write
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "portal.logging_config.ContextFilter"}},
        "formatters": {
            "json": {"()": "portal.logging_config.JsonFormatter"},
            "text": {"format": "[%(asctime)s] %(levelname)s %(name)s: %(message)s"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json" if json_lines else "text",
                "filters": ["context"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # In development runserver writes a line per request already.
            "portal.request": {"level": "INFO" if json_lines else "WARNING"},
            # 4xx answers: the request line has the status; errors (5xx) still come.
            "django.request": {"level": "ERROR"} if json_lines else {},
            "celery.app.trace": quiet if json_lines else {},
            "celery.worker.strategy": quiet if json_lines else {},
        },
    }


# --- requests --------------------------------------------------------------------------

request_logger = logging.getLogger("portal.request")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


class RequestLogMiddleware:
    def __init__(self, get_response):
        from django.conf import settings  # settings import this module: read them late

        self.get_response = get_response
        self.trust_proxy = settings.TRUST_PROXY

    def __call__(self, request):
        request_id = self._request_id(request)
        token = current_request_id.set(request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            request_logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "request_id": request_id,
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                    "user_id": _user_id(request),
                },
            )
            return response
        finally:
            current_request_id.reset(token)

    def _request_id(self, request) -> str:
        given = request.headers.get("X-Request-ID", "")
        if self.trust_proxy and _REQUEST_ID.match(given):
            return given
        return uuid.uuid4().hex


def _user_id(request) -> int | None:
    user = getattr(request, "user", None)  # the API's token user too: DRF sets it here
    return user.pk if user is not None and user.is_authenticated else None


# --- Celery tasks ----------------------------------------------------------------------

task_logger = logging.getLogger("portal.task")
_task_runs: dict[str, tuple[float, contextvars.Token]] = {}


def task_started(task_id=None, task=None, **kwargs) -> None:
    _task_runs[task_id] = (time.monotonic(), current_task_id.set(task_id))


def task_finished(task_id=None, task=None, state=None, **kwargs) -> None:
    started, token = _task_runs.pop(task_id, (None, None))
    task_logger.log(
        logging.INFO if state == "SUCCESS" else logging.WARNING,
        "%s %s",
        task.name if task else "?",
        state,
        extra={
            "task_name": task.name if task else None,
            "task_id": task_id,
            "state": state,
            "duration_ms": round((time.monotonic() - started) * 1000, 1) if started else None,
        },
    )
    if token is not None:
        current_task_id.reset(token)


# --- Sentry ----------------------------------------------------------------------------


def sentry_init(dsn: str, *, environment: str) -> None:
    """Errors to Sentry. Imported only when SENTRY_DSN is set: most installs have none."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,  # no names, emails or addresses leave the portal
    )
