"""gunicorn for the portal (deploy/run web). Settings from the environment, as the portal's."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the portal's own modules

from portal.env import env_bool, env_str  # noqa: E402
from portal.logging_config import log_format_default, logging_settings  # noqa: E402

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads per process (gthread when more than one): requests waiting on the database
# leave the CPU to others.
threads = int(os.environ.get("WEB_THREADS", "1"))
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))  # PDFs and reports take a few seconds
graceful_timeout = 30
# No gunicornc control socket: it lives in $HOME by default, shared by every gunicorn of
# the user; supervisord or systemd control the process.
control_socket_disable = True
# Recycle workers now and then, so a slow leak never grows for weeks. Not too often: a new
# worker imports the portal and compiles its templates again (about 1.2 s of CPU), which
# every 2,000 requests cost about 2 % of two cores at saturation.
max_requests = 20000
max_requests_jitter = 2000

# Django alone decides whether to believe X-Forwarded-* (DJANGO_TRUST_PROXY, portal/proxy.py):
# gunicorn trusts no peer to set the scheme, not even 127.0.0.1 (its default).
forwarded_allow_ips = ""

# One line per request comes from the portal itself (portal.logging_config), with the
# request id and user; gunicorn logs only its own life (start, worker timeouts), in the
# portal's format (JSON lines in production), through the root logger.
accesslog = None
errorlog = "-"
loglevel = env_str("LOG_LEVEL", "info").lower()
logconfig_dict = logging_settings(
    log_format=env_str("LOG_FORMAT") or log_format_default(debug=env_bool("DJANGO_DEBUG")),
    level=loglevel.upper(),
)
logconfig_dict["loggers"]["gunicorn.error"] = {"level": loglevel.upper(), "propagate": True}
