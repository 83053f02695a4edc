"""Fixtures of the portal's own tests that start real processes."""

from portal.tests.processes import redis_server  # noqa: F401
