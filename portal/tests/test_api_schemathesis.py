"""Schemathesis against the portal's own OpenAPI schema, in-process (WSGI).

Every operation of /api/schema/ is called with generated input, valid and invalid, by a
manager holding a write token, with real objects in the database (an agreement with an
active and a draft version, leads). The checks: no server error, status codes, content
types, headers and bodies conform to the schema, and invalid input is refused with 4xx.
"""

import pytest
import schemathesis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from portal.models import TokenScope
from portal.tokens import api_token_create


class InTestHandler(WSGIHandler):
    """Django's handler without closing the test's database connection after each
    request (what django.test.Client does too)."""

    def __call__(self, environ, start_response):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            return super().__call__(environ, start_response)
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


# Loaded at collection: generating the schema reads no database. (The lazy
# `schemathesis.pytest.from_fixture` loader does not work with pytest 9.)
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", InTestHandler())


@pytest.fixture
def fuzz_headers(cast):
    from slas.tests.signing_factories import marketing_sales

    marketing_sales(cast)
    _token, raw = api_token_create(user=cast.alice, name="fuzz", scope=TokenScope.WRITE)
    return {"Authorization": f"Bearer {raw}"}


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_conforms_to_the_schema_and_never_fails_on_bad_input(case, fuzz_headers):
    cache.clear()  # the per-token rate limit is tested elsewhere (test_tokens)
    case.call_and_validate(
        headers=fuzz_headers,
        # "Schema-valid input is accepted" cannot hold for ids of objects that do not
        # exist (a foreign key of 0 is a valid integer): those answer 400 or 404.
        excluded_checks=[schemathesis.checks.positive_data_acceptance],
    )
