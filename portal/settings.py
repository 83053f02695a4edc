"""Settings for every environment: development, tests and production.

Everything that differs between environments comes from the environment, read
here and only here (see `portal/env.py`). Production is this module with
`DJANGO_DEBUG` off and the secrets given.
"""

import datetime
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from portal.env import env_bool, env_int, env_list, env_str
from portal.logging_config import log_format_default, logging_settings, sentry_init

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)  # SQLite files, the local broker queue, beat schedule

# Tests run with debug on unless told otherwise (pytest is imported first).
TESTING = "pytest" in sys.modules
DEBUG = env_bool("DJANGO_DEBUG", default=TESTING)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. With DJANGO_DEBUG off the portal refuses to start "
            "without a secret key: set DJANGO_SECRET_KEY to a long random value "
            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"  # noqa: S105

# The seal key (slas/signing/keys.py, docs/security.md): an Ed25519 private key held outside
# the database, which signs the seal of every signing round and the audit chain's
# checkpoints. SEAL_PRIVATE_KEY is the PEM or the base64 of its 32 raw bytes;
# SEAL_PRIVATE_KEY_FILE a PEM file. After a rotation the old public keys stay in
# SEAL_PUBLIC_KEYS (comma-separated: base64, PEM or a PEM file's path) so old seals verify.
SEAL_PRIVATE_KEY = env_str("SEAL_PRIVATE_KEY")
SEAL_PRIVATE_KEY_FILE = env_str("SEAL_PRIVATE_KEY_FILE")
SEAL_PUBLIC_KEYS = env_list("SEAL_PUBLIC_KEYS")
SEAL_DEV_KEY = False
if not SEAL_PRIVATE_KEY and not SEAL_PRIVATE_KEY_FILE:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SEAL_PRIVATE_KEY is not set. With DJANGO_DEBUG off the portal refuses to start "
            "without the key that seals signed agreements: set SEAL_PRIVATE_KEY (or "
            "SEAL_PRIVATE_KEY_FILE), e.g. python manage.py seal_key generate (docs/security.md)."
        )
    # Development: a key of this checkout, generated into var/ on first use.
    SEAL_PRIVATE_KEY_FILE = str(VAR_DIR / "seal-dev-key.pem")
    SEAL_DEV_KEY = True
# Signed checkpoints of each agreement's audit chain head, outside the database: a
# rollback of the chain (newest entries deleted, head moved back) is detected against them.
SEAL_CHECKPOINT_DIR = env_str("SEAL_CHECKPOINT_DIR") or str(VAR_DIR / "seal-checkpoints")

# Behind a reverse proxy (make serve, docs/deploy.md): only with DJANGO_TRUST_PROXY=1 does the
# portal believe X-Forwarded-Proto (https) and X-Forwarded-For (the client's address, as
# DJANGO_PROXY_COUNT proxies in front of it wrote it). Without it anyone could send those.
TRUST_PROXY = env_bool("DJANGO_TRUST_PROXY", False)
PROXY_COUNT = env_int("DJANGO_PROXY_COUNT", 1)

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "portal",
    "slas",
    "leads",
    "reports",
]

MIDDLEWARE = [
    # /healthz and /readyz, answered before anything else (host check, https redirect)
    "portal.health.HealthCheckMiddleware",
    "portal.logging_config.RequestLogMiddleware",  # one log line per request
    "portal.proxy.ForwardedForMiddleware",  # only with DJANGO_TRUST_PROXY=1
    "django.middleware.security.SecurityMiddleware",
    "portal.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.ReaderTimeZoneMiddleware",  # instants in the reader's zone
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it sees the sign-in that locked someone out
    # (portal.login_throttle.lockout_response keeps the page that says so).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # Production keeps each thread's connection for a minute, checked before reuse: a
        # new PostgreSQL connection per request (a server process forked, authenticated)
        # cost more than most pages. Debug (runserver, tests) opens one per request.
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0 if DEBUG else 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, scheduler) share the file in development.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    # portal.cache.RedisCache: a Redis outage is a miss, not a 500 (see its docstring).
    CACHES = {
        "default": {
            "BACKEND": "portal.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    # Sessions stay in PostgreSQL (shared by every web process, kept through a Redis
    # outage) and are read through the cache: a Redis read instead of a query and its
    # ORM work on every signed-in request. Django writes and deletes both.
    SESSION_ENGINE = "portal.session_store"  # Django's cached_db, its copies kept briefly
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Sign-in lockout (django-axes, portal/login_throttle.py): failures count per username *at*
# an address, so nobody locks a colleague out by guessing other names from the office, nor
# a named person out from elsewhere. The counts are rows in the database (admin: Axes >
# Access attempts; deleting one unlocks), so they hold across web servers and through a
# cache outage. The address is REMOTE_ADDR, which portal.proxy sets from X-Forwarded-For
# only with DJANGO_TRUST_PROXY=1.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out sign-in
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(seconds=env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60))
AXES_RESET_ON_SUCCESS = True
# A try while locked out does not push the end of the pause back: the time the page
# names stays true.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "portal.login_throttle.client_address"
AXES_LOCKOUT_CALLABLE = "portal.login_throttle.lockout_response"
# Password reset by e-mail (portal.views.PasswordResetView): requests an hour per address
# and per e-mail address, and how long a link is good for (seconds).
PASSWORD_RESET_PER_ADDRESS = env_int("PASSWORD_RESET_PER_ADDRESS", 5)
PASSWORD_RESET_PER_EMAIL = env_int("PASSWORD_RESET_PER_EMAIL", 3)
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 60 * 60)
AXES_DISABLE_ACCESS_LOG = True  # a row per failure is enough; no row per sign-in
AXES_VERBOSE = False

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("ar", _("Arabic")),
    ("fa", _("Persian")),
    ("ja", _("Japanese")),
    ("ro", _("Romanian")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# The fonts (installed from PyPI, portal/fonts.py) are served as static/fonts/<file>.
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "portal.fonts.FontFinder",
]
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
if not DEBUG:
    # Production (make serve): collectstatic writes hashed, compressed copies that
    # WhiteNoise serves with far-future caching. Debug (dev, tests) needs no collectstatic:
    # runserver and the test servers serve the files as they are.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    # WhiteNoise's list, and the fonts: compressing the 16 MB Japanese fonts took minutes
    # of collectstatic for a fifth of their size (browsers cache them for ever anyway).
    WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [
        *("jpg", "jpeg", "png", "gif", "webp", "zip", "gz", "tgz", "bz2", "tbz", "xz", "br"),
        *("swf", "flv", "woff", "woff2", "3gp", "3gpp", "asf", "avi", "m4v", "mov", "mp4"),
        *("mpeg", "mpg", "webm", "wmv", "otf", "ttf"),
    ]
# Uploaded import files and their reports: the web writes them, a worker reads them, so
# with several servers this must be shared storage (docs/deploy.md).
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT") or VAR_DIR / "media")
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# Email: the console by default; SMTP when EMAIL_HOST is given.
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "SLA Portal <sla-portal@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery. Without CELERY_BROKER_URL the portal uses kombu's file-system transport in
# var/celery: no broker to install, and `make run` still runs the worker and the
# scheduler (beat) against it.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "filesystem://"
    _celery_dir = VAR_DIR / "celery"
    for _folder in ("queue", "processed"):
        (_celery_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_dir / "queue"),
        "data_folder_out": str(_celery_dir / "queue"),
        "processed_folder": str(_celery_dir / "processed"),
        "control_folder": str(_celery_dir / "control"),
        "store_processed": False,
    }
    CELERY_BROKER_LOCAL = True
else:
    # With late acks, a task whose worker died is delivered again after this many seconds
    # (Redis's default is an hour). Five minutes is longer than every task but an import,
    # and an import does not rely on it: a redelivered import whose worker still lives
    # finds the job leased and stops at once; one whose worker died is resumed by the
    # imports sweep when its lease expires (IMPORT_LEASE_SECONDS), not by redelivery.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 300),
        # How often a worker looks for such tasks (seconds; a scan on every look).
        "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_INTERVAL", 10),
        "unacked_restore_throttle": 1,
    }
    CELERY_BROKER_LOCAL = False
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A broker outage must not end the worker. It reconnects for as long as it takes, also
# when it starts while the broker is down. Tasks running when the connection drops are
# left to finish (their late ack then fails and the message comes back after the
# visibility timeout, to find the work done): cancelling them would cut imports short.
# The worker also runs without gossip and mingle (deploy/run worker): Celery's Gossip
# step crashed the worker on reconnection (kombu issue #582, "Error on restarting Gossip",
# AttributeError 'NoneType' object has no attribute 'hostname'); see docs/deploy.md.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = env_str(
    "CELERY_BEAT_SCHEDULE_FILENAME", str(VAR_DIR / "celerybeat-schedule")
)
# Beat sends only while it holds a lock in Redis (portal/beat.py), so a second beat
# started by mistake sends nothing twice. Without Redis (dev on the file-system broker)
# there is no lock: `make run` starts one beat.
CELERY_BEAT_SCHEDULER = "portal.beat:SingleBeatScheduler"
BEAT_LOCK_URL = env_str("BEAT_LOCK_URL") or (
    CELERY_BROKER_URL if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else REDIS_URL
)
BEAT_LOCK_SECONDS = env_int("BEAT_LOCK_SECONDS", 60)
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
# One beat per queue: deployments (or test runs) that share a Redis but not a queue don't
# wait for each other's beat.
BEAT_LOCK_KEY = env_str("BEAT_LOCK_KEY", f"sla-portal:beat-lock:{CELERY_TASK_DEFAULT_QUEUE}")
CELERY_BEAT_SCHEDULE: dict = {}
# Lead imports (leads.ingest.jobs): a worker holds a job under a lease it renews every
# third of this while it lives; once expired, the imports sweep resumes the job elsewhere.
IMPORT_LEASE_SECONDS = env_int("IMPORT_LEASE_SECONDS", 60)
# A queued job whose message was sent this long ago and never claimed is sent again.
IMPORT_REQUEUE_SECONDS = env_int("IMPORT_REQUEUE_SECONDS", 600)
# Events per chunk (one transaction, one progress step, what a resumed job may redo).
IMPORT_CHUNK_EVENTS = env_int("IMPORT_CHUNK_EVENTS", 5000)

# --- Notifications (portal.tasks) ---------------------------------------------------
# Each job recomputes what is due from the database, so a run missed while the broker
# or the worker was down is caught up by the next one; none sends anything twice.
from celery.schedules import crontab  # noqa: E402

PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", "http://127.0.0.1:8000")  # links in emails
NOTIFICATION_DIGEST_HOUR = env_int("NOTIFICATION_DIGEST_HOUR", 17)  # TIME_ZONE hour
CELERY_BEAT_SCHEDULE.update(
    {
        "notifications-sweep": {
            "task": "portal.tasks.notifications_sweep",
            "schedule": float(env_int("NOTIFICATIONS_SWEEP_SECONDS", 60)),
        },
        "agreement-reminders": {
            "task": "portal.tasks.agreement_reminders_sweep",
            "schedule": crontab(minute=5),
        },
        "version-expiry": {
            "task": "portal.tasks.version_expiry_sweep",
            "schedule": crontab(minute=10),
        },
        # Hourly; the task announces each month's report once, on its first business day.
        "monthly-report": {
            "task": "portal.tasks.monthly_report_sweep",
            "schedule": crontab(minute=15),
        },
        "action-items-overdue": {
            "task": "portal.tasks.action_items_overdue_sweep",
            "schedule": crontab(minute=20),
        },
        # Hourly; each person gets one digest a day, from NOTIFICATION_DIGEST_HOUR on.
        "notification-digests": {
            "task": "portal.tasks.notification_digests_send",
            "schedule": crontab(minute=30),
        },
    }
)
# --- end of notifications -----------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "portal.throttling.AnonymousRateFirst",  # first: the "anon" rate, before the 401
        "rest_framework.permissions.IsAuthenticated",
        "portal.tokens.TokenScopeAllows",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api.errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "portal.api.lists.PageNumberPagination",
    # DRF's parsers, with JSON nested too deeply answered 400 (portal/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "portal.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Lists filter by the fields each view names (`filterset_fields`; a value of the wrong
    # type answers 400) and order by `?ordering=` on the view's `ordering_fields`.
    "DEFAULT_FILTER_BACKENDS": [
        "portal.api.lists.StrictFilterBackend",
        "portal.api.lists.DeclaredOrderingFilter",
    ],
    "PAGE_SIZE": 50,
    # Rate limits count per REMOTE_ADDR, which portal.proxy sets from X-Forwarded-For only
    # when DJANGO_TRUST_PROXY=1 (DRF would otherwise believe the header from anyone).
    "NUM_PROXIES": 0,
    "DEFAULT_THROTTLE_CLASSES": [
        "portal.throttling.PerTokenRateThrottle",
        "portal.throttling.AnonRateThrottle",
        "portal.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        # Per token (or per signed-in user for the browser session).
        "api": env_str("API_RATE", "1200/min"),
        "anon": env_str("API_ANON_RATE", "60/min"),
        # Refused API tokens per address (portal.throttling.FailedTokenThrottle).
        "token_failure": env_str("API_TOKEN_FAILURE_RATE", "20/min"),
        # Views that set `throttle_scope`.
        "ingest": env_str("API_INGEST_RATE", "600/min"),
        "webhook": env_str("API_WEBHOOK_RATE", "1200/min"),
    },
}
# No API token lives longer than this (days), whatever it was made with (portal.tokens).
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365)
SPECTACULAR_SETTINGS = {
    "TITLE": "Sales & Marketing SLA portal API",
    "DESCRIPTION": (
        "Everything a person can do in the portal's pages. Authenticate with a session (browser) "
        "or `Authorization: Bearer <token>` (tokens from your profile page; read or write scope)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.api.errors.add_error_responses",
    ],
}

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# Security. Development (debug) runs over plain HTTP on localhost.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
if TRUST_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Logs (portal/logging_config.py): one JSON line per request, task and error with
# LOG_FORMAT=json, the default with debug off; plain text in development.
LOG_FORMAT = env_str("LOG_FORMAT") or log_format_default(debug=DEBUG)
LOGGING = logging_settings(log_format=LOG_FORMAT, level=env_str("LOG_LEVEL", "INFO"))
# Errors also to Sentry when a DSN is given (sentry-sdk is imported only then).
SENTRY_DSN = env_str("SENTRY_DSN")
if SENTRY_DSN:
    sentry_init(SENTRY_DSN, environment=env_str("SENTRY_ENVIRONMENT", "production"))

if TESTING:
    # Fast hashing in tests only; production keeps Django's default (PBKDF2).
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so a worker process in the integration tests can share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
# One name for the reporting-cadence choices shared by versions and commitments (slas).
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    "CadenceEnum": "slas.models.Cadence",
    "VersionStatusEnum": "slas.models.VersionStatus",
    "VersionStateEnum": "slas.models.VersionState",
    "SigningRoundStatusEnum": "slas.signing.models.RoundStatus",
    "SignatureRequestStatusEnum": "slas.signing.models.RequestStatus",
    "ReviewSessionStatusEnum": "leads.reviews.models.SessionStatus",
    "ActionItemStatusEnum": "leads.reviews.models.ActionStatus",
    "EmailDeliveryEnum": "portal.models.EmailDelivery",
}

# Signing jobs (slas.signing.tasks): reminders, request expiry, version activation/expiry.
CELERY_BEAT_SCHEDULE.update(
    {
        "signing-reminders": {
            "task": "slas.signing_tasks.signing_reminders_send",
            "schedule": 3600,
        },
        "signing-requests-expire": {
            "task": "slas.signing_tasks.signing_requests_expire",
            "schedule": 3600,
        },
        "versions-lifecycle": {
            "task": "slas.signing_tasks.versions_lifecycle_run",
            "schedule": 300,
        },
    }
)

# Leads: HubSpot webhooks (leads/webhooks.py). Requests are signed with the app's client
# secret (signature v3); without it every webhook request is refused. Leads created by the
# webhook belong to these teams (by name) and to the agreement between them.
HUBSPOT_CLIENT_SECRET = env_str("HUBSPOT_CLIENT_SECRET")
# Webhook limits (leads/ingest/webhooks.py): HubSpot sends at most 100 events a request.
HUBSPOT_WEBHOOK_MAX_EVENTS = env_int("HUBSPOT_WEBHOOK_MAX_EVENTS", 1000)
HUBSPOT_WEBHOOK_MAX_BYTES = env_int("HUBSPOT_WEBHOOK_MAX_BYTES", 2 * 1024 * 1024)
HUBSPOT_WEBHOOK_UNSIGNED_LIMIT = env_int("HUBSPOT_WEBHOOK_UNSIGNED_LIMIT", 30)  # a minute
HUBSPOT_MARKETING_TEAM = env_str("HUBSPOT_MARKETING_TEAM", "Marketing")
HUBSPOT_SALES_TEAM = env_str("HUBSPOT_SALES_TEAM", "Sales")
