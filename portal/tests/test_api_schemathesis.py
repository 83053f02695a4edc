"""Schemathesis against the portal's own OpenAPI schema, in-process (WSGI).

Every operation of /api/schema/ is called with generated input, valid and invalid, by a
manager holding a write token, with real objects in the database (an agreement with an
active and a draft version, leads). The checks: no server error, status codes, content
types, headers and bodies conform to the schema, and invalid input is refused with 4xx.

Reproducible: the examples come from one seed, `FUZZ_SEED` (a number; "random" for a new
one each run), fixed by default so CI and `make test` try the same inputs on every
machine, and no example database replays another run's finds. A failure says its seed
and how to run it again.
"""

import os
import random

import pytest
import schemathesis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, seed, settings

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


#: The seed CI and `make test` use unless FUZZ_SEED says otherwise.
DEFAULT_SEED = 16_2026


def fuzz_seed(raw: str | None) -> int:
    """FUZZ_SEED: unset or empty for the fixed seed, a number, or "random" for a new one."""
    raw = (raw or "").strip()
    if not raw:
        return DEFAULT_SEED
    if raw == "random":
        return random.SystemRandom().randrange(2**32)
    return int(raw)


SEED = fuzz_seed(os.environ.get("FUZZ_SEED"))


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
@seed(SEED)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,  # no replay of earlier runs' examples: the seed alone decides
)
def test_every_operation_conforms_to_the_schema_and_never_fails_on_bad_input(case, fuzz_headers):
    cache.clear()  # the per-token rate limit is tested elsewhere (test_tokens)
    call_and_validate(case, fuzz_headers, seed_value=SEED)


def call_and_validate(case, headers: dict, *, seed_value: int) -> None:
    """Call the operation and run every check; a failure carries the seed that found it."""
    try:
        case.call_and_validate(
            headers=headers,
            # "Schema-valid input is accepted" cannot hold for ids of objects that do not
            # exist (a foreign key of 0 is a valid integer): those answer 400 or 404.
            excluded_checks=[schemathesis.checks.positive_data_acceptance],
        )
    except BaseException as error:
        error.add_note(
            f"Fuzzed with seed {seed_value}: run it again with FUZZ_SEED={seed_value} "
            ".venv/bin/python -m pytest portal/tests/test_api_schemathesis.py"
        )
        raise


def test_the_fuzz_seed_is_fixed_unless_asked_otherwise():
    # given / when / then
    assert fuzz_seed(None) == fuzz_seed("") == DEFAULT_SEED
    assert fuzz_seed(" 42 ") == 42
    assert 0 <= fuzz_seed("random") < 2**32


def test_a_failure_names_the_seed_that_reproduces_it():
    # given an operation whose checks fail
    class FailingCase:
        def call_and_validate(self, **kwargs):
            raise AssertionError("Undocumented status code")

    # when
    with pytest.raises(AssertionError) as error:
        call_and_validate(FailingCase(), {}, seed_value=42)
    # then
    assert any("FUZZ_SEED=42 " in note for note in error.value.__notes__)
