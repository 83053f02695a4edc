"""Fixtures for the leads tests: the demo agreement (v1 superseded, v2 in force) on the cast."""

import pytest

from portal.tests.processes import redis_server  # noqa: F401 (a Redis of the test's own)


@pytest.fixture
def sla(cast):
    """The Marketing ⇄ Sales agreement of the demo, with its versions."""
    from slas import demo
    from slas.models import Agreement

    demo.seed()
    agreement = Agreement.objects.get(title=demo.MARKETING_SALES)
    return agreement
